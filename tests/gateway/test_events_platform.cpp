// tests/gateway/test_events_platform.cpp — the [platform] table: values read and checked as the
// card would get them (errors name the key), the effective config reads back to itself.
#include <doctest/doctest.h>

#include <string>

#include "gateway/config.hpp"

namespace {

using namespace dmsc::gateway;

std::string errors_of(const ConfigResult& r) {
    std::string out;
    for (const auto& e : r.errors) out += e.to_string() + "\n";
    return out;
}

}  // namespace

TEST_CASE("Config [platform]: every key is read") {
    const auto r = parse_config(R"toml(
[platform]
imei = "490154203237518"
imeisv = "4901542032375181"
language = "de"
access_technology = "utran"
[platform.location]
mcc = "262"
mnc = "01"
lac = 0x2A
cell_id = 7
rnc_id = 3
)toml",
                                "p.toml");
    INFO(errors_of(r));
    REQUIRE(r.ok());
    const auto& p = r.config->platform;
    CHECK(p.imei == "490154203237518");
    CHECK(p.imeisv == "4901542032375181");
    CHECK(p.language == "de");
    CHECK(p.access_technology == "utran");
    CHECK(p.location.at("mcc") == "262");
    CHECK(p.location.at("lac") == "42");
    CHECK(p.location.at("rnc_id") == "3");
    // The effective configuration reads back to the same values.
    const auto again = parse_config(to_toml(*r.config), "effective.toml");
    INFO(errors_of(again));
    REQUIRE(again.ok());
    CHECK(again.config->platform == p);
}

TEST_CASE("Config [platform]: defaults are empty (nothing claimed about the device)") {
    const auto r = parse_config("", "empty.toml");
    REQUIRE(r.ok());
    CHECK(r.config->platform == PlatformConfig{});
}

TEST_CASE("Config [platform]: bad values name the key and say what is expected") {
    const auto r = parse_config(R"toml(
[platform]
imei = "49015420323751"
imeisv = "49015420323751AB"
language = "deu"
access_technology = "lte5"
colour = "red"
[platform.location]
mcc = "26x"
mnc = "01"
lac = 1
cell_id = 2
)toml",
                                "bad.toml");
    REQUIRE_FALSE(r.ok());
    const std::string e = errors_of(r);
    INFO(e);
    CHECK(e.find("bad.toml:3:8: platform.imei: \"49015420323751\" is not 15 decimal digits") !=
          std::string::npos);
    CHECK(e.find("platform.imeisv: \"49015420323751AB\" is not 16 decimal digits") != std::string::npos);
    CHECK(e.find("platform.language: \"deu\" is not two ISO 639 letters") != std::string::npos);
    CHECK(e.find("platform.access_technology: \"lte5\" is not an access technology") != std::string::npos);
    CHECK(e.find("platform.colour: unknown key") != std::string::npos);
    CHECK(e.find("platform.location: location-status: key \"mcc\": \"26x\" is not 3 decimal digits") !=
          std::string::npos);
}

TEST_CASE("Config [platform.location]: incomplete or mixed cells are refused like the event") {
    auto errors = [](const std::string& location) {
        return errors_of(parse_config("[platform.location]\n" + location, "loc.toml"));
    };
    CHECK(errors("mcc = \"262\"\nmnc = \"01\"\ncell_id = 1\n").find("platform.location") !=
          std::string::npos);
    CHECK(errors("mcc = \"262\"\nmnc = \"01\"\nlac = 1\ncell_id = 1\neci = 5\n").find("platform.location") !=
          std::string::npos);
    CHECK(errors("mcc = 262\nmnc = \"01\"\nlac = 1\ncell_id = 70000\n").find("platform.location") !=
          std::string::npos);
    CHECK(errors("mcc = \"262\"\nmnc = \"01\"\nlac = 1\ncell_id = 1\nfoo = true\n")
              .find("platform.location.foo") != std::string::npos);
    CHECK(errors("mcc = \"262\"\nmnc = \"01\"\nlac = 1\ncell_id = 1\n").empty());
}
