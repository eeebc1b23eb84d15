// cat/response.cpp — TERMINAL RESPONSE (TS 102 223 clause 6.8): the builders for what the
// gateway answers, the encoder, and a decoder for traces, dmsc-ctl and the simulated card.
#include "cat/response.hpp"

#include <string>

namespace dmsc::cat {

namespace {

constexpr std::uint8_t kRequiredValuesMissing = 0x36;  // clause 8.12: '36'

std::uint8_t u8(Tag t) {
    return static_cast<std::uint8_t>(t);
}

Ctlv make_ctlv(Tag tag, bool cr, Bytes value) {
    Ctlv c;
    c.tag = u8(tag);
    c.cr = cr;
    c.value = std::move(value);
    return c;
}

// Offset of the value of a parsed TLV (tag + length bytes after its tag offset).
std::size_t value_offset(const Ctlv& t) {
    return t.offset + (t.long_tag ? 3 : 1) + length_size(t.value.size());
}

// The three mandatory objects open every TERMINAL RESPONSE, in this order (clause 6.8).
Error missing(std::size_t offset, Tag tag, const char* what) {
    return make_error(kRequiredValuesMissing, offset, u8(tag),
                      std::string(what) +
                          " missing: a TERMINAL RESPONSE starts with command details, "
                          "device identities and result (TS 102 223 clause 6.8)");
}

void append_prefixed(Fields& out, const std::string& prefix, const Fields& in) {
    for (const auto& f : in) out.push_back(Field{prefix + f.name, f.value});
}

}  // namespace

// The CR flag of response data objects (the objects after the result).
//
// TS 102 223 clause 6.8 gives the structure of the TERMINAL RESPONSE; the command details,
// device identities and result are always sent with CR set. For the response data objects the
// bytes the UICC conformance tests expect (TS 102 384 / TS 31.124, as carried by the vectors in
// tests/vectors) are:
//   - OPEN CHANNEL (clause 6.4.27): channel status '38', bearer description '35', buffer size
//     '39' — and the other address '3E' of a dynamic local address, which the gateway treats
//     the same way — WITHOUT CR;
//   - PROVIDE LOCAL INFORMATION access technology '3F' WITHOUT CR (Provide Local Info 1.7.1,
//     1.14.1);
//   - every other response data object WITH CR: GET CHANNEL STATUS 'B8', SEND / RECEIVE DATA
//     'B6' / 'B7', TIMER MANAGEMENT 'A4' / 'A5', POLL INTERVAL '84', local information '93',
//     '94', '96', '9D', 'A6', 'AD', 'AE', 'C6', 'E2', 'E3', text string '8D', item id '90' ...
// That is the rule below. A UICC has to accept either form (the CR flag only tells it whether
// it may skip an object it does not understand), and the decoder accepts either.
bool response_data_cr(std::uint8_t command_type, Tag tag) {
    if (command_type == static_cast<std::uint8_t>(CommandType::OpenChannel)) {
        switch (tag) {
            case Tag::ChannelStatus:
            case Tag::BearerDescription:
            case Tag::BufferSize:
            case Tag::OtherAddress:
                return false;
            default:
                return true;
        }
    }
    if (command_type == static_cast<std::uint8_t>(CommandType::ProvideLocalInformation) &&
        tag == Tag::AccessTechnology) {
        return false;
    }
    return true;
}

TerminalResponse& TerminalResponse::add(Tag tag, bool cr, Bytes value) {
    data.push_back(make_ctlv(tag, cr, std::move(value)));
    return *this;
}

TerminalResponse& TerminalResponse::add(Tag tag, Bytes value) {
    return add(tag, response_data_cr(details.type, tag), std::move(value));
}

const Ctlv* TerminalResponse::find(Tag tag) const {
    return dmsc::cat::find(data, u8(tag));
}

Bytes encode(const TerminalResponse& tr) {
    ByteWriter w;
    write_ctlv(w, u8(Tag::CommandDetails), true, tr.details.encode());
    write_ctlv(w, u8(Tag::DeviceIdentities), true, tr.devices.encode());
    write_ctlv(w, u8(Tag::Result), true, tr.result.encode());
    for (const auto& d : tr.data) write_ctlv(w, d);
    return w.take();
}

Result<TerminalResponse> decode_terminal_response(ByteView data) {
    auto parsed = parse_ctlvs(data, 0);
    if (!parsed) return parsed.error();
    auto& tlvs = parsed.value();

    TerminalResponse tr;
    const Tag order[] = {Tag::CommandDetails, Tag::DeviceIdentities, Tag::Result};
    const char* names[] = {"command details", "device identities", "result"};
    for (std::size_t i = 0; i < 3; ++i) {
        if (tlvs.size() <= i) return missing(data.size(), order[i], names[i]);
        const Ctlv& t = tlvs[i];
        if (!t.is(u8(order[i]))) return missing(t.offset, order[i], names[i]);
    }
    auto details = CommandDetails::decode(tlvs[0].value, value_offset(tlvs[0]));
    if (!details) return details.error();
    auto devices = DeviceIdentities::decode(tlvs[1].value, value_offset(tlvs[1]));
    if (!devices) return devices.error();
    auto result = ResultInfo::decode(tlvs[2].value, value_offset(tlvs[2]));
    if (!result) return result.error();
    tr.details = details.value();
    tr.devices = devices.value();
    tr.result = std::move(result).value();
    tr.data.assign(std::make_move_iterator(tlvs.begin() + 3), std::make_move_iterator(tlvs.end()));
    return tr;
}

Fields describe(const TerminalResponse& tr) {
    Fields out;
    append_prefixed(out, "", tr.details.describe());
    append_prefixed(out, "", tr.devices.describe());
    append_prefixed(out, "", tr.result.describe());
    for (const auto& d : tr.data) {
        std::string name(d.long_tag ? std::string_view{} : name_of(static_cast<Tag>(d.tag)));
        if (name.empty()) name = "tag " + std::to_string(d.tag);
        out.push_back(Field{name + ".cr", d.cr});
        append_prefixed(out, name + ".", describe_object(d.tag, d.value));
    }
    return out;
}

TerminalResponse make_response(const CommandDetails& details, GeneralResult general, Bytes additional) {
    TerminalResponse tr;
    tr.details = details;
    tr.devices = DeviceIdentities{static_cast<std::uint8_t>(DeviceId::Terminal),
                                  static_cast<std::uint8_t>(DeviceId::Uicc)};
    tr.result.general = static_cast<std::uint8_t>(general);
    tr.result.additional = std::move(additional);
    return tr;
}

// Clause 8.12.11: '3A' with the cause as additional information.
TerminalResponse bip_error(const CommandDetails& details, BipCause cause) {
    return make_response(details, GeneralResult::BearerIndependentProtocolError,
                         Bytes{static_cast<std::uint8_t>(cause)});
}

// Clause 6.4.27 / 6.8: channel status (when a channel was opened), bearer description, buffer
// size — in that order, without CR (see response_data_cr).
TerminalResponse open_channel_response(const CommandDetails& details, GeneralResult general,
                                       std::optional<ChannelStatus> status,
                                       std::optional<BearerDescription> bearer, std::uint16_t buffer_size,
                                       Bytes additional) {
    auto tr = make_response(details, general, std::move(additional));
    if (status) tr.add(Tag::ChannelStatus, status->encode());
    if (bearer) tr.add(Tag::BearerDescription, bearer->encode());
    tr.add(Tag::BufferSize,
           Bytes{static_cast<std::uint8_t>(buffer_size >> 8), static_cast<std::uint8_t>(buffer_size & 0xFF)});
    return tr;
}

// Clause 6.4.30: channel data length = free space in the Tx buffer ('FF' = more than 255).
TerminalResponse send_data_response(const CommandDetails& details, std::uint8_t tx_free) {
    auto tr = make_response(details, GeneralResult::Success);
    tr.add(Tag::ChannelDataLength, Bytes{tx_free});
    return tr;
}

// Clause 6.4.29: channel data, then channel data length = bytes left in the Rx buffer.
TerminalResponse receive_data_response(const CommandDetails& details, GeneralResult general, ByteView data,
                                       std::uint8_t remaining) {
    auto tr = make_response(details, general);
    tr.add(Tag::ChannelData, Bytes(data.begin(), data.end()));
    tr.add(Tag::ChannelDataLength, Bytes{remaining});
    return tr;
}

// Clause 6.4.31: one channel status per channel; with no channel at all, one channel status
// '00 00' (channel 0, link not established — GET CHANNEL STATUS 1.1.1).
TerminalResponse get_channel_status_response(const CommandDetails& details,
                                             const std::vector<ChannelStatus>& channels) {
    auto tr = make_response(details, GeneralResult::Success);
    if (channels.empty()) {
        tr.add(Tag::ChannelStatus, Bytes{0x00, 0x00});
    }
    for (const auto& c : channels) tr.add(Tag::ChannelStatus, c.encode());
    return tr;
}

// Clause 6.4.21: timer identifier, and the timer value for "get current value" / "deactivate".
TerminalResponse timer_management_response(const CommandDetails& details, GeneralResult general,
                                           std::uint8_t timer_id, std::optional<TimerValue> value) {
    auto tr = make_response(details, general);
    if (timer_id != 0) tr.add(Tag::TimerIdentifier, Bytes{timer_id});
    if (value) tr.add(Tag::TimerValue, value->encode());
    return tr;
}

// Clause 6.4.6: the interval the terminal will really use.
TerminalResponse poll_interval_response(const CommandDetails& details, const Duration& used) {
    auto tr = make_response(details, GeneralResult::Success);
    tr.add(Tag::Duration, used.encode());
    return tr;
}

TerminalResponse provide_local_info_response(const CommandDetails& details, GeneralResult general,
                                             std::vector<std::pair<Tag, Bytes>> objects) {
    auto tr = make_response(details, general);
    for (auto& [tag, value] : objects) tr.add(tag, std::move(value));
    return tr;
}

std::uint8_t channel_data_length_byte(std::size_t n) {
    return n > 0xFF ? std::uint8_t{0xFF} : static_cast<std::uint8_t>(n);
}

}  // namespace dmsc::cat
