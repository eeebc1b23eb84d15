// gateway/describe_json.cpp — renders cat::Description as JSON for dmsc-ctl and the debug socket.
#include "gateway/describe_json.hpp"

#include <cstdio>

#include "cat/bytes.hpp"
#include "cat/codes.hpp"

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

}  // namespace

std::string hex_word(std::uint16_t v) {
    return hex_byte(v >> 8) + hex_byte(v);
}

json describe_json(const cat::Description& d) {
    json j;
    j["kind"] = std::string(cat::kind_name(d.kind));
    j["title"] = d.title;
    if (d.apdu_header) j["header"] = cat::to_hex(*d.apdu_header);
    if (d.status_word) j["status_word"] = hex_word(*d.status_word);
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
        for (const auto& p : d.parts) parts.push_back(describe_json(p));
        j["parts"] = std::move(parts);
    }
    return j;
}

json describe_error_json(const cat::Error& e) {
    return {{"ok", false}, {"error", e.describe()}, {"offset", e.offset}, {"result", hex_byte(e.result)}};
}

}  // namespace dmsc::gateway
