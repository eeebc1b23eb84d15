// cat/response.hpp — TERMINAL RESPONSE (TS 102 223 clause 6.8): building what the gateway
// sends, and decoding (for dmsc-ctl, traces and the simulated card).
//
// Layout: command details (copied from the command), device identities (terminal -> UICC),
// result, then the response data objects of the command, in the order of its clause.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/codes.hpp"
#include "cat/objects.hpp"
#include "cat/result.hpp"
#include "cat/tlv.hpp"

namespace dmsc::cat {

struct TerminalResponse {
    CommandDetails details;
    DeviceIdentities devices{0x82, 0x81};
    ResultInfo result;
    std::vector<Ctlv> data;  // response data objects after the result, in order

    TerminalResponse& add(Tag tag, bool cr, Bytes value);
    // Adds a response data object with the CR flag of response_data_cr() for this command.
    TerminalResponse& add(Tag tag, Bytes value);
    const Ctlv* find(Tag tag) const;
};

// The TERMINAL RESPONSE data (the APDU body, no header).
Bytes encode(const TerminalResponse& tr);
Result<TerminalResponse> decode_terminal_response(ByteView data);
Fields describe(const TerminalResponse& tr);

// Builders for what the gateway answers. `details` is the command's own.
TerminalResponse make_response(const CommandDetails& details, GeneralResult general, Bytes additional = {});
TerminalResponse bip_error(const CommandDetails& details, BipCause cause);
TerminalResponse open_channel_response(const CommandDetails& details, GeneralResult general,
                                       std::optional<ChannelStatus> status,
                                       std::optional<BearerDescription> bearer, std::uint16_t buffer_size,
                                       Bytes additional = {});
TerminalResponse send_data_response(const CommandDetails& details, std::uint8_t tx_free);  // 'FF' = >255
TerminalResponse receive_data_response(const CommandDetails& details, GeneralResult general, ByteView data,
                                       std::uint8_t remaining);
TerminalResponse get_channel_status_response(const CommandDetails& details,
                                             const std::vector<ChannelStatus>& channels);
// timer_id 0 = no timer identifier object (e.g. '24' on a timer the UICC never started).
TerminalResponse timer_management_response(const CommandDetails& details, GeneralResult general,
                                           std::uint8_t timer_id, std::optional<TimerValue> value);
TerminalResponse poll_interval_response(const CommandDetails& details, const Duration& used);

// PROVIDE LOCAL INFORMATION (clause 6.4.15): the local information objects, in order, each
// with the CR flag of response_data_cr().
TerminalResponse provide_local_info_response(const CommandDetails& details, GeneralResult general,
                                             std::vector<std::pair<Tag, Bytes>> objects);

// The CR flag the gateway gives a response data object of `command_type` (rule and sources in
// response.cpp). Decoders accept either form.
bool response_data_cr(std::uint8_t command_type, Tag tag);

// Channel data length byte: lengths above 255 are 'FF' (TS 102 223 clause 8.54).
std::uint8_t channel_data_length_byte(std::size_t n);

}  // namespace dmsc::cat
