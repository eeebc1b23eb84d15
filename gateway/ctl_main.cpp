// gateway/ctl_main.cpp — dmsc-ctl: the debug-socket client and the offline decoder.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/profile.hpp"
#include "dmsc_config.h"
#include "gateway/ctl_client.hpp"
#include "gateway/decode_cmd.hpp"
#include "gateway/features.hpp"

namespace {

void usage(std::FILE* to) {
    std::fputs(
        "usage: dmsc-ctl [-s SOCKET] [--json] status|stats|channels|apps|events|timers|help\n"
        "       dmsc-ctl [-s SOCKET] [--json] [--hex] trace\n"
        "       dmsc-ctl [-s SOCKET] [--json] event NAME [KEY=VALUE | KEY:=JSON ...]\n"
        "       dmsc-ctl [-s SOCKET] [--json] sms-pp tpdu=HEX [address=HEX]\n"
        "       dmsc-ctl [-s SOCKET] [--json] call COMMAND [KEY=VALUE | KEY:=JSON ...]\n"
        "       dmsc-ctl [--json] decode [--as KIND] HEX... | -\n"
        "       dmsc-ctl [--json] decode --as package0 [--config FILE] HEX... | -\n"
        "       dmsc-ctl [--json] profile\n"
        "       dmsc-ctl pcap OUT.pcap [FILE|-]\n"
        "       dmsc-ctl --version\n"
        "\n"
        "  status ...   ask the running dmsc-gatewayd (its debug socket, docs/debug-socket.md)\n"
        "  trace        every APDU exchange, one line each as it happens, until Ctrl-C;\n"
        "               --hex adds the C-APDU and R-APDU\n"
        "  event NAME   inject a platform event; KEY=VALUE is a string, KEY:=JSON any JSON value\n"
        "  sms-pp       SMS-PP data download of an SMS-DELIVER TPDU; waits for the card's answer\n"
        "               (exit 0 when it accepted the ENVELOPE, 1 when it refused it)\n"
        "  call CMD     send any debug-socket command (KEY=VALUE become request fields)\n"
        "  -s SOCKET    the debug socket (default $DMSC_CTL_SOCKET, else /run/dmsc-gateway/ctl.sock)\n"
        "  decode HEX   decode a proactive command ('D0..'), an ENVELOPE ('D1'..'DE'), a\n"
        "               TERMINAL RESPONSE ('81 03 ..'), or a whole C-APDU + R-APDU exchange;\n"
        "               KIND forces one: command|response|envelope|profile|apdu; '-' reads\n"
        "               one hex object per line from stdin. Works without a running daemon.\n"
        "               --as package0: a DM 1.2 notification or DM 2.0 Package#0 (also in a\n"
        "               WSP push); --config FILE checks its digest with [[dm_server]] entries\n"
        "  profile      the TERMINAL PROFILE this build sends, in hex and feature by feature\n"
        "  pcap OUT     write \"C-APDU R-APDU\" hex lines (or daemon trace log lines) from FILE or\n"
        "               stdin as a pcap file for Wireshark/tshark (GSMTAP SIM over UDP 4729)\n"
        "  --json       machine-readable output (the daemon's JSON lines as they are)\n",
        to);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    bool json = false;
    dmsc::gateway::CtlOptions ctl;
    std::vector<std::string_view> rest;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto a = args[i];
        if (a == "--json") {
            json = true;
        } else if (a == "--hex") {
            ctl.hex = true;
        } else if (a == "-s" || a == "--socket") {
            if (i + 1 >= args.size()) {
                std::fputs("dmsc-ctl: -s needs a socket path\n", stderr);
                return 2;
            }
            ctl.socket = std::string(args[++i]);
        } else if (a.rfind("--socket=", 0) == 0) {
            ctl.socket = std::string(a.substr(9));
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
    if (rest[0] == "pcap") {
        return dmsc::gateway::run_pcap_command(std::vector<std::string_view>(rest.begin() + 1, rest.end()));
    }
    if (dmsc::gateway::is_daemon_command(rest[0])) {
        ctl.json = json;
        return dmsc::gateway::run_ctl_command(
            rest[0], std::vector<std::string_view>(rest.begin() + 1, rest.end()), ctl);
    }
    std::fprintf(stderr, "dmsc-ctl: unknown command '%.*s'\n", static_cast<int>(rest[0].size()),
                 rest[0].data());
    usage(stderr);
    return 2;
}
