// tests/fuzz/fuzz_debug_request.cpp — the debug socket's request parsing and reply framing
// (gateway/debug_request.hpp) on arbitrary lines, as the server hands them over (up to the
// first '\n', at most 64 KiB). Whatever comes in, the answer is one line of valid JSON: an
// error object with "ok":false, or — for a request — a reply with "ok":true echoing the id.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "gateway/debug_request.hpp"

namespace {

using nlohmann::json;

// One line, parses back as an object with a boolean "ok" equal to `ok`.
void check_line(const std::string& line, bool ok) {
    if (line.find('\n') != std::string::npos) std::abort();
    const json back = json::parse(line, nullptr, false);
    if (back.is_discarded() || !back.is_object()) std::abort();
    const auto it = back.find("ok");
    if (it == back.end() || !it->is_boolean() || it->get<bool>() != ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view line(reinterpret_cast<const char*>(data), size < 65536 ? size : 65536);
    line = line.substr(0, line.find('\n'));
    auto parsed = dmsc::gateway::parse_debug_request(line, "help, trace, status");
    if (const auto* error = std::get_if<std::string>(&parsed)) {
        check_line(*error, false);
        return 0;
    }
    const auto& request = std::get<dmsc::gateway::DebugRequest>(parsed);
    if (!request.object.is_object() || request.object.at("cmd") != request.cmd) std::abort();
    const json* id = request.id ? &*request.id : nullptr;
    // The server answers with the handler's fields (here: the request itself, the worst case
    // for size and nesting) or an error naming the command.
    const std::string reply = dmsc::gateway::debug_reply_line(json{{"got", request.object}}, id);
    check_line(reply, true);
    if (id != nullptr && json::parse(reply).at("id") != *id) std::abort();
    check_line(dmsc::gateway::debug_error_line("unknown command '" + request.cmd + "'", id), false);
    return 0;
}
