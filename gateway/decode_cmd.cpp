// gateway/decode_cmd.cpp — `dmsc-ctl decode`: hex in, a readable dump or JSON out. Works
// without a daemon; the decoding is cat::describe_bytes, this file only renders it.
#include "gateway/decode_cmd.hpp"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cat/bytes.hpp"
#include "cat/codes.hpp"
#include "cat/describe.hpp"

namespace dmsc::gateway {

namespace {

using nlohmann::json;

json field_json(const cat::FieldValue& v) {
    if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
    if (auto* b = std::get_if<bool>(&v)) return *b;
    return std::get<std::string>(v);
}

// Fields as an object; a name that repeats ("feature", "event") becomes an array.
json fields_json(const cat::Fields& fields) {
    json out = json::object();
    for (const auto& f : fields) {
        json v = field_json(f.value);
        if (!out.contains(f.name)) {
            out[f.name] = std::move(v);
        } else {
            json& slot = out[f.name];
            if (!slot.is_array()) slot = json::array({slot});
            slot.push_back(std::move(v));
        }
    }
    return out;
}

std::string hex_byte(unsigned v) {
    char b[8];
    std::snprintf(b, sizeof b, "%02X", v & 0xFFu);
    return b;
}

json to_json(const cat::Description& d) {
    json j;
    j["kind"] = std::string(cat::kind_name(d.kind));
    j["title"] = d.title;
    if (d.apdu_header) j["header"] = cat::to_hex(*d.apdu_header);
    if (d.status_word) {
        j["status_word"] = hex_byte(*d.status_word >> 8) + hex_byte(*d.status_word);
    }
    if (d.ber_tag) j["ber_tag"] = hex_byte(*d.ber_tag);
    if (d.details) {
        j["command"] = {
            {"number", d.details->number},
            {"type", d.details->type},
            {"type_name", std::string(cat::name_of(static_cast<cat::CommandType>(d.details->type)))},
            {"qualifier", d.details->qualifier}};
    }
    if (d.devices) {
        j["device_identities"] = {{"source", d.devices->source},
                                  {"source_name", cat::device_name(d.devices->source)},
                                  {"destination", d.devices->destination},
                                  {"destination_name", cat::device_name(d.devices->destination)}};
    }
    if (d.result) {
        j["result"] = {
            {"general", d.result->general},
            {"general_name", std::string(cat::name_of(static_cast<cat::GeneralResult>(d.result->general)))},
            {"additional_info", cat::to_hex(d.result->additional)}};
    }
    j["fields"] = fields_json(d.fields);
    json tlvs = json::array();
    for (const auto& t : d.tlvs) {
        tlvs.push_back({{"tag", t.long_tag ? "7F" + hex_byte(t.tag >> 8) + hex_byte(t.tag) : hex_byte(t.tag)},
                        {"cr", t.cr},
                        {"name", t.name},
                        {"offset", t.offset},
                        {"length", t.value.size()},
                        {"value", cat::to_hex(t.value)},
                        {"fields", fields_json(t.fields)}});
    }
    j["tlvs"] = std::move(tlvs);
    if (!d.notes.empty()) j["notes"] = d.notes;
    if (!d.parts.empty()) {
        json parts = json::array();
        for (const auto& p : d.parts) parts.push_back(to_json(p));
        j["parts"] = std::move(parts);
    }
    return j;
}

bool parse_hint(std::string_view s, cat::Hint& hint) {
    if (s == "auto")
        hint = cat::Hint::Auto;
    else if (s == "command" || s == "proactive")
        hint = cat::Hint::ProactiveCommand;
    else if (s == "response" || s == "tr")
        hint = cat::Hint::TerminalResponse;
    else if (s == "envelope")
        hint = cat::Hint::Envelope;
    else if (s == "profile")
        hint = cat::Hint::TerminalProfile;
    else if (s == "apdu")
        hint = cat::Hint::Apdu;
    else
        return false;
    return true;
}

// Decodes one input; prints the result; returns 0 or 1.
int decode_one(const std::string& hex, cat::Hint hint, bool as_json) {
    cat::Bytes bytes;
    if (!cat::from_hex(hex, bytes)) {
        std::fprintf(stderr,
                     "dmsc-ctl decode: '%s' is not hex (an odd number of digits or a non-hex character)\n",
                     hex.c_str());
        return 1;
    }
    auto d = cat::describe_bytes(bytes, hint);
    if (!d) {
        if (as_json) {
            json j = {{"ok", false},
                      {"error", d.error().describe()},
                      {"offset", d.error().offset},
                      {"result", hex_byte(d.error().result)}};
            std::cout << j.dump() << "\n";
        } else {
            std::fprintf(stderr, "dmsc-ctl decode: %s\n", d.error().describe().c_str());
        }
        return 1;
    }
    if (as_json) {
        json j = to_json(*d);
        j["ok"] = true;
        std::cout << j.dump() << "\n";
    } else {
        std::cout << cat::to_text(*d);
    }
    return 0;
}

}  // namespace

int run_decode(const std::vector<std::string_view>& args, bool json) {
    cat::Hint hint = cat::Hint::Auto;
    std::string hex;
    bool from_stdin = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto a = args[i];
        if (a == "--as") {
            if (i + 1 >= args.size() || !parse_hint(args[i + 1], hint)) {
                std::fputs("dmsc-ctl decode: --as takes auto|command|response|envelope|profile|apdu\n",
                           stderr);
                return 2;
            }
            ++i;
        } else if (a == "-") {
            from_stdin = true;
        } else {
            hex += std::string(a);  // a C-APDU and its R-APDU may come as two words
        }
    }
    if (from_stdin) {
        int rc = 0;
        std::string line;
        while (std::getline(std::cin, line)) {
            if (line.empty() || line[0] == '#') continue;
            rc |= decode_one(line, hint, json);
        }
        return rc;
    }
    if (hex.empty()) {
        std::fputs("usage: dmsc-ctl decode [--as KIND] HEX... | -   (- reads one hex object per line)\n",
                   stderr);
        return 2;
    }
    return decode_one(hex, hint, json);
}

}  // namespace dmsc::gateway
