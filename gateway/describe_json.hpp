// gateway/describe_json.hpp — a cat::Description rendered as JSON, the one shape shared by
// `dmsc-ctl decode --json` and the debug socket's `trace` records.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cat/describe.hpp"
#include "cat/result.hpp"

namespace dmsc::gateway {

// {"kind","title",["header","status_word","ber_tag","command","device_identities","result"],
//  "fields","tlvs",["notes","parts"]} — see docs/debug-socket.md.
nlohmann::json describe_json(const cat::Description& d);

// {"ok":false,"error","offset","result"} for bytes that do not decode.
nlohmann::json describe_error_json(const cat::Error& e);

// "9000", "6A82": two bytes as four uppercase hex digits.
std::string hex_word(std::uint16_t v);

}  // namespace dmsc::gateway
