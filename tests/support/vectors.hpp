// tests/support/vectors.hpp — loading the public conformance vectors (tests/vectors/*.json)
// and reading their fields: shared by the codec tests that compare against them.
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cat/bytes.hpp"

namespace dmsc::test {

inline nlohmann::json load_vectors(const char* file) {
    std::ifstream in(std::string(DMSC_VECTORS_DIR) + "/" + file);
    REQUIRE_MESSAGE(in.good(), "cannot open " << file);
    return nlohmann::json::parse(in);
}

inline const nlohmann::json& symbols() {
    static const nlohmann::json s = load_vectors("symbol_values.json");  // loaded once
    return s;
}

inline cat::Bytes hex(const std::string& s) {
    cat::Bytes b;
    REQUIRE_MESSAGE(cat::from_hex(s, b), "bad hex " << s);
    return b;
}

// A number, a STK_* symbol (symbol_values.json), "TRUE"/"FALSE", or one of the TS 23.040 codes
// the symbolic file uses without listing them.
inline int num(const nlohmann::json& v) {
    if (v.is_number()) return v.get<int>();
    if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
    const auto s = v.get<std::string>();
    if (s == "TRUE") return 1;
    if (s == "FALSE") return 0;
    if (s == "SMS_NUMBER_TYPE_INTERNATIONAL") return 1;  // 9.1.2.5 type of number
    if (s == "SMS_NUMBERING_PLAN_ISDN") return 1;        // 9.1.2.5 numbering plan
    if (s == "SMS_PID_TYPE_USIM_DOWNLOAD") return 0x7F;  // 9.2.3.9 (U)SIM data download
    REQUIRE_MESSAGE(symbols().contains(s), "unknown symbol " << s);
    return symbols().at(s).get<int>();
}

}  // namespace dmsc::test
