// tests/fuzz/fuzz_config.cpp — the TOML configuration parser (gateway/config.hpp parse_config)
// on arbitrary text: it must never crash, every error must name its place, and a configuration
// it accepts must survive the round trip through --check-config's output (to_toml): that text
// parses again, to a configuration printed the same (to_toml spells out every [log.category]
// level, so the structs differ there while meaning the same).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dmsc::gateway;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::string source = "/fuzz/gateway.toml";
    const ConfigResult r = parse_config(text, source);
    if (r.ok() == !r.errors.empty()) std::abort();  // a config, or errors: never both or neither
    for (const auto& e : r.errors) {
        if (e.message.empty() || e.to_string().find(source) != 0) std::abort();
    }
    if (r.ok()) {
        const std::string effective = to_toml(*r.config);
        const ConfigResult again = parse_config(effective, source);
        if (!again.ok() || to_toml(*again.config) != effective) std::abort();
    }
    return 0;
}
