// bip/wsp_push.cpp — connectionless WSP Push PDU encoding (WAP-230-WSP 8.2.4.1).
#include "bip/wsp_push.hpp"

namespace dmsc::bip {

cat::Bytes encode_uintvar(std::uint32_t value) {
    cat::Bytes out;
    out.push_back(static_cast<std::uint8_t>(value & 0x7F));
    value >>= 7;
    while (value != 0) {
        out.insert(out.begin(), static_cast<std::uint8_t>(0x80 | (value & 0x7F)));
        value >>= 7;
    }
    return out;
}

std::uint8_t notification_content_type(cat::ByteView body) {
    // Seed 004 7.1.1: VER (4 bits) = 2, OC (5 bits), reserved (7 bits); then OC options of a
    // 4-bit delta and a 12-bit length each, followed by that many bytes.
    if (body.size() < 2 || (body[0] >> 4) != 0x2) return kContentTypeSyncmlNotification;
    const unsigned options = static_cast<unsigned>(((body[0] & 0x0F) << 1) | (body[1] >> 7));
    std::size_t at = 2;
    for (unsigned i = 0; i < options; ++i) {
        if (body.size() - at < 2) return kContentTypeSyncmlNotification;
        const std::size_t length = static_cast<std::size_t>(((body[at] & 0x0F) << 8) | body[at + 1]);
        if ((body[at] >> 4) == 0) return kContentTypeSyncmlNotification;  // option numbers increase
        at += 2;
        if (body.size() - at < length) return kContentTypeSyncmlNotification;
        at += length;
    }
    return at == body.size() ? kContentTypeSyncmlDmNotification : kContentTypeSyncmlNotification;
}

cat::Bytes wsp_push_pdu(std::uint8_t tid, std::uint8_t content_type, std::uint8_t application_id,
                        cat::ByteView body) {
    // 8.4.2.24 Content-type-value as a Constrained-media (Short-integer: 0x80 | code); 8.4.2.6
    // the header field name as a Short-integer; 8.4.2.54 X-Wap-Application-Id value as an
    // Integer-value (Short-integer for codes below 128).
    const cat::Bytes headers = {static_cast<std::uint8_t>(0x80 | (content_type & 0x7F)),
                                static_cast<std::uint8_t>(0x80 | kWspHeaderXWapApplicationId),
                                static_cast<std::uint8_t>(0x80 | (application_id & 0x7F))};
    cat::Bytes pdu = {tid, kWspPduPush};
    const auto length = encode_uintvar(static_cast<std::uint32_t>(headers.size()));
    pdu.insert(pdu.end(), length.begin(), length.end());
    pdu.insert(pdu.end(), headers.begin(), headers.end());
    pdu.insert(pdu.end(), body.begin(), body.end());
    return pdu;
}

cat::Bytes wsp_push_notification(std::uint8_t tid, cat::ByteView body) {
    return wsp_push_pdu(tid, notification_content_type(body), kWapAppIdSyncmlDm, body);
}

}  // namespace dmsc::bip
