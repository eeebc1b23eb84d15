// tools/demo_dm_client.cpp — dmsc-demo-client, the demo DM Client of tools/demo.sh (not a product
// DM Client, not installed): argument parsing around gateway/demo_dm_client. docs/dm-demo.md.
#include "gateway/demo_dm_client.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cat/bytes.hpp"

namespace {

void usage(std::FILE* to) {
    std::fputs(
        "usage: dmsc-demo-client [--listen HOST:PORT] [--server-id ID --psk-identity ID --psk-key HEX]\n"
        "                        [--url URL] [--dev-id ID] [--once] [--timeout SECONDS]\n"
        "\n"
        "  A demo DM Client: waits for a DM Package#0 (DM 1.2 notification or DM 2.0 binary) on\n"
        "  --listen (default 127.0.0.1:1100), decodes it and, when it names --server-id, runs the\n"
        "  DM 2.0 session with the card's SCWS at --url (default https://127.0.0.1:4116/OMA/DM)\n"
        "  over TLS-PSK: Package#1, the GETs of Package#2 on a small DevInfo tree, Package#3, END.\n"
        "  Exit 0 only if every step happened; a failure names the step.\n"
        "  --once        handle one notification, then exit (default: keep listening)\n"
        "  --timeout S   seconds to wait for the notification and for each network step (30)\n",
        to);
}

bool split_host_port(std::string_view s, std::string& host, std::uint16_t& port) {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = std::string(s.substr(0, colon));
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    const long p = std::strtol(std::string(s.substr(colon + 1)).c_str(), nullptr, 10);
    if (host.empty() || p < 1 || p > 65535) return false;
    port = static_cast<std::uint16_t>(p);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    using dmsc::gateway::demo::ClientOptions;
    ClientOptions o;
    o.once = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&](const char* what) -> std::string_view {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "dmsc-demo-client: %s needs a value\n", what);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--listen") {
            if (!split_host_port(value("--listen"), o.listen_host, o.listen_port)) {
                std::fputs("dmsc-demo-client: --listen takes HOST:PORT\n", stderr);
                return 2;
            }
        } else if (a == "--port") {
            o.listen_port = static_cast<std::uint16_t>(std::atoi(std::string(value("--port")).c_str()));
        } else if (a == "--server-id") {
            o.server_id = value("--server-id");
        } else if (a == "--psk-identity") {
            o.psk_identity = value("--psk-identity");
        } else if (a == "--psk-key") {
            const auto hex = value("--psk-key");
            if (!dmsc::cat::from_hex(hex, o.psk_key) || o.psk_key.empty()) {
                std::fputs("dmsc-demo-client: --psk-key takes the key in hex\n", stderr);
                return 2;
            }
        } else if (a == "--url") {
            o.url = value("--url");
        } else if (a == "--dev-id") {
            o.devinfo.dev_id = value("--dev-id");
        } else if (a == "--once") {
            o.once = true;
        } else if (a == "--timeout") {
            o.timeout_s = std::atoi(std::string(value("--timeout")).c_str());
            if (o.timeout_s < 1) {
                std::fputs("dmsc-demo-client: --timeout takes a number of seconds >= 1\n", stderr);
                return 2;
            }
        } else if (a == "-h" || a == "--help") {
            usage(stdout);
            return 0;
        } else {
            std::fprintf(stderr, "dmsc-demo-client: unknown argument \"%s\"\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!o.server_id.empty() && o.url.rfind("https://", 0) == 0 && o.psk_key.empty()) {
        std::fputs("dmsc-demo-client: --server-id with an https URL needs --psk-key HEX\n", stderr);
        return 2;
    }
    return dmsc::gateway::demo::run(o);
}
