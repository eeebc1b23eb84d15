// gateway/debug_request.hpp — the debug socket's request parsing and reply framing, pure (no
// sockets): one request line → a checked request or the error reply line. DebugServer and
// the fuzz target tests/fuzz/fuzz_debug_request.cpp use it. Protocol: docs/debug-socket.md.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace dmsc::gateway {

// Deepest nesting of arrays/objects a request may have (the reply echoes "id", and printing
// JSON recurses: a 64 KiB line of '[' must not exhaust the stack).
inline constexpr std::size_t kMaxRequestDepth = 32;

struct DebugRequest {
    nlohmann::json object;             // the whole request, an object with a string "cmd"
    std::string cmd;                   // object["cmd"]
    std::optional<nlohmann::json> id;  // echoed in the reply when present
};

// The line without its '\n' (a trailing '\r' is the caller's to strip). On a bad request the
// variant holds the complete error reply line; `commands` ("help, trace, ...") is quoted in
// the "missing cmd" error.
std::variant<DebugRequest, std::string> parse_debug_request(std::string_view line, std::string_view commands);

// {"ok":false,"error":message[,"id":id]} as one line; invalid UTF-8 is replaced, never thrown.
std::string debug_error_line(const std::string& message, const nlohmann::json* id = nullptr);
// `reply` (an object) with "ok":true and the id added, as one line.
std::string debug_reply_line(nlohmann::json reply, const nlohmann::json* id = nullptr);
// Any JSON as one line, invalid UTF-8 replaced.
std::string debug_dump_line(const nlohmann::json& j);

}  // namespace dmsc::gateway
