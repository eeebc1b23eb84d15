// gateway/ctl_main.cpp — dmsc-ctl: the debug-socket client and the offline decoder.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/profile.hpp"
#include "dmsc_config.h"
#include "gateway/decode_cmd.hpp"
#include "gateway/features.hpp"

namespace {

void usage(std::FILE* to) {
    std::fputs(
        "usage: dmsc-ctl [--json] decode [--as KIND] HEX... | -\n"
        "       dmsc-ctl [--json] profile\n"
        "       dmsc-ctl --version\n"
        "\n"
        "  decode HEX   decode a proactive command ('D0..'), an ENVELOPE ('D1'..'DE'), a\n"
        "               TERMINAL RESPONSE ('81 03 ..'), or a whole C-APDU + R-APDU exchange;\n"
        "               KIND forces one: command|response|envelope|profile|apdu; '-' reads\n"
        "               one hex object per line from stdin. Works without a running daemon.\n"
        "  profile      the TERMINAL PROFILE this build sends, in hex and feature by feature\n"
        "  --json       machine-readable output\n",
        to);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    bool json = false;
    std::vector<std::string_view> rest;
    for (auto a : args) {
        if (a == "--json") {
            json = true;
        } else if (a == "-h" || a == "--help") {
            usage(stdout);
            return 0;
        } else if (a == "--version") {
            std::printf("dmsc-ctl %s\n", DMSC_VERSION);
            return 0;
        } else {
            rest.push_back(a);
        }
    }
    if (rest.empty()) {
        usage(stderr);
        return 2;
    }
    if (rest[0] == "profile") {
        const auto profile = dmsc::cat::build_terminal_profile(dmsc::gateway::gateway_features());
        const auto features = dmsc::cat::describe_terminal_profile(profile);
        if (json) {
            std::printf("{\"profile\":\"%s\",\"features\":[", dmsc::cat::to_hex(profile).c_str());
            for (std::size_t i = 0; i < features.size(); ++i) {
                std::printf("%s\"%s\"", i ? "," : "", features[i].c_str());
            }
            std::printf("]}\n");
        } else {
            std::printf("TERMINAL PROFILE (%zu bytes): %s\n", profile.size(),
                        dmsc::cat::to_hex(profile).c_str());
            for (const auto& f : features) std::printf("  %s\n", f.c_str());
        }
        return 0;
    }
    if (rest[0] == "decode") {
        return dmsc::gateway::run_decode(std::vector<std::string_view>(rest.begin() + 1, rest.end()), json);
    }
    std::fprintf(stderr, "dmsc-ctl: unknown command '%.*s'\n", static_cast<int>(rest[0].size()),
                 rest[0].data());
    usage(stderr);
    return 2;
}
