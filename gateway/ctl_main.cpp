// gateway/ctl_main.cpp — dmsc-ctl: the debug-socket client and the offline decoder.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "dmsc_config.h"
#include "gateway/decode_cmd.hpp"

namespace {

void usage(std::FILE* to) {
    std::fputs(
        "usage: dmsc-ctl [--json] decode HEX...\n"
        "       dmsc-ctl --version\n"
        "\n"
        "  decode HEX   decode a proactive command ('D0..'), an ENVELOPE ('D1'..'DE'), a\n"
        "               TERMINAL RESPONSE ('81 03 ..'), or a whole C-APDU + R-APDU exchange;\n"
        "               works without a running daemon\n"
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
    if (rest[0] == "decode") {
        return dmsc::gateway::run_decode(std::vector<std::string_view>(rest.begin() + 1, rest.end()), json);
    }
    std::fprintf(stderr, "dmsc-ctl: unknown command '%.*s'\n", static_cast<int>(rest[0].size()), rest[0].data());
    usage(stderr);
    return 2;
}
