// tests/registry/vectors.hpp — the resolved conformance vectors (tests/vectors/resolved_vectors.json)
// by group, and small helpers shared by the registry tests.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/proactive.hpp"

namespace registry_test {

inline const nlohmann::json& resolved() {
    static const nlohmann::json v = [] {
        std::ifstream in(std::string(DMSC_VECTORS_DIR) + "/resolved_vectors.json");
        REQUIRE_MESSAGE(in.good(), "cannot open resolved_vectors.json");
        return nlohmann::json::parse(in);
    }();
    return v;
}

// Every vector whose group starts with `prefix` ("event_download:", "timer_management" ...).
inline std::vector<nlohmann::json> group(const std::string& prefix) {
    std::vector<nlohmann::json> out;
    for (const auto& v : resolved()) {
        if (v.at("group").get<std::string>().rfind(prefix, 0) == 0) out.push_back(v);
    }
    return out;
}

inline const nlohmann::json& by_name(const std::string& name) {
    for (const auto& v : resolved()) {
        if (v.at("name").get<std::string>() == name) return v;
    }
    FAIL("no vector " << name);
    static const nlohmann::json none;
    return none;
}

inline dmsc::cat::Bytes hex(const std::string& s) {
    dmsc::cat::Bytes b;
    REQUIRE_MESSAGE(dmsc::cat::from_hex(s, b), "bad hex " << s);
    return b;
}

inline std::string hex_of(const nlohmann::json& v) {
    return v.at("hex").get<std::string>();
}

inline dmsc::cat::ProactiveCommand command(const std::string& hex_text) {
    auto r = dmsc::cat::decode_proactive_command(hex(hex_text));
    REQUIRE_MESSAGE(r.ok(), "vector does not decode: " << hex_text);
    return r.value();
}

// The fake clock: time points built from an arbitrary origin.
using Clock = std::chrono::steady_clock;
inline Clock::time_point t0() {
    return Clock::time_point{} + std::chrono::hours(1000);
}
inline Clock::time_point at(std::chrono::milliseconds ms) {
    return t0() + ms;
}

}  // namespace registry_test
