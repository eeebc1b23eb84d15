// cat/describe.hpp — "what are these bytes?": classifies and decodes a proactive command, a
// TERMINAL RESPONSE, an ENVELOPE, a TERMINAL PROFILE or a whole C-APDU + R-APDU exchange into
// one Description (named fields, every TLV) for dmsc-ctl decode, logs and traces. No JSON or
// printing here: gateway/ renders it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/objects.hpp"
#include "cat/result.hpp"

namespace dmsc::cat {

enum class Kind { ProactiveCommand, TerminalResponse, Envelope, TerminalProfile, ApduExchange };
std::string_view kind_name(Kind k);  // "proactive_command", "terminal_response", ...

struct TlvDescription {
    std::uint16_t tag = 0;  // without CR
    bool cr = false;
    bool long_tag = false;
    std::string name;  // "channel status", "" if unknown
    Bytes value;
    Fields fields;
    std::size_t offset = 0;
};

struct Description {
    Kind kind = Kind::ProactiveCommand;
    std::string title;  // "OPEN CHANNEL", "ENVELOPE event download (data available)", ...
    std::optional<CommandDetails> details;
    std::optional<DeviceIdentities> devices;
    std::optional<ResultInfo> result;
    std::optional<std::uint8_t> ber_tag;
    Fields fields;                     // the decoded body
    std::vector<TlvDescription> tlvs;  // every TLV, in order
    std::vector<std::string> notes;    // decode problems that did not stop the description

    // APDU exchange only
    std::optional<Bytes> apdu_header;  // CLA INS P1 P2 P3
    std::optional<std::uint16_t> status_word;
    std::vector<Description> parts;  // the command data and/or the response data, described
};

enum class Hint { Auto, ProactiveCommand, TerminalResponse, Envelope, TerminalProfile, Apdu };

// Decodes `data`. With Hint::Auto: 'D0' proactive command, 'D1'..'DE' ENVELOPE, '01'/'81'
// command details first = TERMINAL RESPONSE, a CAT APDU header (CLA '80'/'A0'/'00' with INS
// '10', '12', '14', 'C2', 'F2' or 'C0') = an APDU exchange. Errors: nothing recognisable, or
// an object that does not parse at all (the Error names the byte).
Result<Description> describe_bytes(ByteView data, Hint hint = Hint::Auto);

// Multi-line human-readable rendering.
std::string to_text(const Description& d);

}  // namespace dmsc::cat
