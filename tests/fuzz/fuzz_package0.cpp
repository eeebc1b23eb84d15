// tests/fuzz/fuzz_package0.cpp — bip::decode_package0 (DM 1.2 notification, DM 2.0 Package#0,
// WSP push) on arbitrary bytes: no crash, and whatever decodes is self-consistent: the
// notification is the tail of the input, decoding it alone gives the same fields, the digest
// inputs have the sizes the formats imply, and the text renderings work.
#include <cstdint>
#include <cstdlib>

#include "bip/package0.hpp"

using namespace dmsc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    cat::ByteView in(data, size);
    (void)bip::decode_wsp_push(in);
    auto p = bip::decode_package0(in);
    if (!p) {
        if (p.error().offset > size) std::abort();
        if (p.error().message.empty()) std::abort();
        return 0;
    }
    if (p->offset + p->notification.size() != size) std::abort();
    for (std::size_t i = 0; i < p->notification.size(); ++i) {
        if (p->notification[i] != data[p->offset + i]) std::abort();
    }
    if (const auto* d = p->dm12()) {
        auto again = bip::decode_dm12(p->notification);
        if (!again || again->server_id != d->server_id || again->session_id != d->session_id ||
            again->digest != d->digest || again->vendor != d->vendor)
            std::abort();
        if (bip::dm12_trigger(*p).size() + bip::kDm12DigestSize != p->notification.size()) std::abort();
    } else {
        const auto* n = p->dm20();
        if (!n) std::abort();
        auto again = bip::decode_dm20(p->notification);
        if (!again || again->server_id != n->server_id || again->notification_id != n->notification_id ||
            again->sha256_digest != n->sha256_digest || again->req_mos != n->req_mos)
            std::abort();
        const auto zero = bip::dm20_zero_digest_message(*p);
        if (n->sha256_digest) {
            if (zero.size() != p->notification.size()) std::abort();
            // With the digest zeroed it still decodes, to an all-zero digest.
            auto z = bip::decode_dm20(zero);
            if (!z || !z->sha256_digest || *z->sha256_digest != cat::Bytes(bip::kDm20DigestSize, 0))
                std::abort();
        } else if (!zero.empty()) {
            std::abort();
        }
    }
    if (bip::summary(*p).empty() || bip::to_text(*p).empty()) std::abort();
    return 0;
}
