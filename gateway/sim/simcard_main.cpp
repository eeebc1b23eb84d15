// gateway/sim/simcard_main.cpp — dmsc-simcard: the simulated DM_SC Server UICC as a virtual card
// in vsmartcard's vpcd reader, so the real pcscd (and anything on PC/SC) sees it.
// Signals: SIGTERM/SIGINT write the verdict and exit (0 all expectations met, 1 not);
// SIGUSR1 = card removed (disconnect from vpcd), SIGUSR2 = card inserted (reconnect).
#pragma GCC diagnostic ignored "-Wnull-dereference"  // Boost.Asio 1.74 false positive, see vpcd_client.cpp

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cat/bytes.hpp"
#include "gateway/sim/card.hpp"
#include "gateway/sim/scenario.hpp"
#include "gateway/sim/vpcd_client.hpp"

namespace {

constexpr const char* kUsage =
    "usage: dmsc-simcard [--vpcd HOST:PORT] [--scenario FILE] [--verdict-file FILE] [--once] [-q]\n"
    "  --vpcd HOST:PORT     vpcd to connect to (default 127.0.0.1:35963)\n"
    "  --scenario FILE      scenario TOML (default: the built-in default.toml)\n"
    "  --verdict-file FILE  write the verdict and the card log there as JSON at exit\n"
    "  --once               exit when the scenario completes once, or when vpcd goes away\n"
    "  --check              parse the scenario, print its steps, exit 0 (or 2 with the error)\n"
    "  -q, --quiet          do not print the card log to stderr\n"
    "signals: SIGTERM/SIGINT write the verdict and exit 0 (passed) or 1; SIGUSR1 removes the\n"
    "card (disconnects from vpcd), SIGUSR2 inserts it again.\n";

using dmsc::gateway::sim::Card;

nlohmann::json verdict_json(const Card& card) {
    const auto v = card.verdict();
    nlohmann::json j;
    j["scenario"] = card.scenario().name;
    j["passed"] = v.passed;
    j["runs_completed"] = v.runs_completed;
    j["steps_done"] = v.steps_done;
    j["steps_total"] = v.steps_total;
    j["failures"] = v.failures;
    j["apdus"] = card.apdu_count();
    auto& apps = j["applications"] = nlohmann::json::array();
    for (const auto& a : card.applications()) {
        apps.push_back({{"port", a.port},
                        {"type", a.application_type},
                        {"dcs", a.dcs},
                        {"name_hex", dmsc::cat::to_hex(a.name)}});
    }
    auto& log = j["log"] = nlohmann::json::array();
    for (const auto& e : card.log()) log.push_back({{"apdu", e.apdu}, {"text", e.text}});
    return j;
}

}  // namespace

int main(int argc, char** argv) {
    std::string vpcd = "127.0.0.1:35963";
    std::string scenario_path;
    std::string verdict_file;
    bool once = false;
    bool quiet = false;
    bool check = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&](const char* what) -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "dmsc-simcard: %s needs a value\n%s", what, kUsage);
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--vpcd")
            vpcd = value("--vpcd");
        else if (arg == "--scenario")
            scenario_path = value("--scenario");
        else if (arg == "--verdict-file")
            verdict_file = value("--verdict-file");
        else if (arg == "--once")
            once = true;
        else if (arg == "--check")
            check = true;
        else if (arg == "-q" || arg == "--quiet")
            quiet = true;
        else if (arg == "-h" || arg == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        } else {
            std::fprintf(stderr, "dmsc-simcard: unknown argument \"%s\"\n%s", arg.c_str(), kUsage);
            return 2;
        }
    }
    std::string host;
    std::uint16_t port = 0;
    if (!dmsc::gateway::sim::parse_host_port(vpcd, host, port)) {
        std::fprintf(stderr, "dmsc-simcard: --vpcd \"%s\": expected HOST:PORT, e.g. 127.0.0.1:35963\n",
                     vpcd.c_str());
        return 2;
    }

    dmsc::gateway::sim::Scenario scenario;
    try {
        scenario = scenario_path.empty() ? dmsc::gateway::sim::default_scenario()
                                         : dmsc::gateway::sim::load_scenario_file(scenario_path);
    } catch (const dmsc::gateway::sim::ScenarioError& e) {
        std::fprintf(stderr, "dmsc-simcard: %s\n", e.what());
        return 2;
    }
    if (check) {
        std::printf("scenario \"%s\": %zu steps\n", scenario.name.c_str(), scenario.steps.size());
        for (const auto& s : scenario.steps) {
            std::printf("  %s: on %s -> %s\n", s.label.c_str(), s.trigger.text.c_str(),
                        std::string(dmsc::gateway::sim::name_of(s.command.kind)).c_str());
        }
        return 0;
    }

    Card card(std::move(scenario));
    boost::asio::io_context io;
    std::size_t printed = 0;
    auto flush_log = [&] {
        if (quiet) {
            printed = card.log().size();
            return;
        }
        for (; printed < card.log().size(); ++printed) {
            const auto& e = card.log()[printed];
            std::fprintf(stderr, "card [%llu] %s\n", static_cast<unsigned long long>(e.apdu), e.text.c_str());
        }
    };
    auto say = [&](const std::string& line) {
        flush_log();
        if (!quiet) std::fprintf(stderr, "%s\n", line.c_str());
    };
    dmsc::gateway::sim::VpcdClient client(io, card, host, port, say);
    int exit_code = -1;
    auto finish = [&] {
        if (exit_code >= 0) return;
        flush_log();
        const auto v = card.verdict();
        exit_code = v.passed ? 0 : 1;
        if (!verdict_file.empty()) {
            std::ofstream out(verdict_file);
            out << verdict_json(card).dump(2) << "\n";
            if (!out) std::fprintf(stderr, "dmsc-simcard: cannot write %s\n", verdict_file.c_str());
        }
        std::fprintf(stderr, "%s\n", v.describe().c_str());
        client.stop();
        io.stop();
    };
    client.set_after_message([&] {
        flush_log();
        if (once && card.verdict().runs_completed > 0) {
            // Let the last R-APDU go out first.
            boost::asio::post(io, [&] { finish(); });
        }
    });
    if (once) {
        client.set_reconnect(false);
        client.set_on_disconnect([&] { finish(); });
    }

    boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGUSR1);
    signals.add(SIGUSR2);
    std::function<void()> wait_signal;
    wait_signal = [&] {
        signals.async_wait([&](const boost::system::error_code& ec, int sig) {
            if (ec) return;
            if (sig == SIGUSR1) {
                client.remove();
                flush_log();
            } else if (sig == SIGUSR2) {
                client.insert();
            } else {
                finish();
                return;
            }
            wait_signal();
        });
    };
    wait_signal();
    client.start();
    io.run();
    return exit_code < 0 ? 1 : exit_code;
}
