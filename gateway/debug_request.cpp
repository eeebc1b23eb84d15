// gateway/debug_request.cpp — see debug_request.hpp.
#include "gateway/debug_request.hpp"

#include <algorithm>

namespace dmsc::gateway {

namespace {

using nlohmann::json;

// The deepest '['/'{' nesting outside strings; stops counting past `limit`.
std::size_t nesting_depth(std::string_view text, std::size_t limit) {
    std::size_t depth = 0;
    std::size_t deepest = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > limit) return deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

}  // namespace

std::string debug_dump_line(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string debug_error_line(const std::string& message, const json* id) {
    json j = {{"ok", false}, {"error", message}};
    if (id) j["id"] = *id;
    return debug_dump_line(j);
}

std::string debug_reply_line(json reply, const json* id) {
    if (!reply.is_object()) reply = json{{"result", std::move(reply)}};
    reply["ok"] = true;
    if (id) reply["id"] = *id;
    return debug_dump_line(reply);
}

std::variant<DebugRequest, std::string> parse_debug_request(std::string_view line,
                                                            std::string_view commands) {
    if (nesting_depth(line, kMaxRequestDepth) > kMaxRequestDepth) {
        return debug_error_line("request nested deeper than " + std::to_string(kMaxRequestDepth) +
                                " arrays/objects; send a flat object such as {\"cmd\":\"status\"}");
    }
    DebugRequest r;
    try {
        r.object = json::parse(line);
    } catch (const json::exception& e) {
        // parse_error, and out_of_range for numbers beyond a double (1e400): never let either
        // escape into the event loop.
        return debug_error_line(std::string("malformed JSON: ") + e.what());
    }
    if (!r.object.is_object())
        return debug_error_line("a request is a JSON object such as {\"cmd\":\"status\"}");
    if (const auto it = r.object.find("id"); it != r.object.end()) r.id = *it;
    const json* id = r.id ? &*r.id : nullptr;
    const auto cmd = r.object.find("cmd");
    if (cmd == r.object.end() || !cmd->is_string()) {
        return debug_error_line("missing \"cmd\" (a string); commands: " + std::string(commands), id);
    }
    r.cmd = cmd->get<std::string>();
    return r;
}

}  // namespace dmsc::gateway
