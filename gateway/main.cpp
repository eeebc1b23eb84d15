// gateway/main.cpp — dmsc-gatewayd: command line, configuration, then Daemon; every exception
// ends here. Exit codes: 0 clean stop, 1 runtime failure, 2 configuration or usage error.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "dmsc_config.h"
#include "gateway/config.hpp"
#include "gateway/daemon.hpp"
#include "gateway/log.hpp"
#include "gateway/privileges.hpp"
#include "gateway/sd_notify.hpp"

namespace {

using namespace dmsc::gateway;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitConfig = 2;

constexpr std::string_view kUsage =
    "usage: dmsc-gatewayd [-c FILE] [--check-config] [-v|-vv] [--log-level SPEC] [--version]\n"
    "  -c, --config FILE     configuration (default /etc/dmsc-gateway/gateway.toml)\n"
    "      --check-config    validate, print the effective configuration, exit 0 (or 2)\n"
    "  -v                    log at debug level (-vv: trace)\n"
    "      --log-level SPEC  e.g. \"debug\" or \"info,card=trace,cat=debug\"\n"
    "      --version         print the version and exit\n"
    "Runs in the foreground. SIGTERM/SIGINT: stop cleanly; SIGHUP: reload the configuration.\n";

struct Args {
    std::optional<std::string> config;
    bool check = false;
    bool version = false;
    bool help = false;
    std::string log_spec;  // -v and --log-level, in order
};

// Returns false (after printing why) on a usage error.
bool parse_args(int argc, char** argv, Args& args) {
    auto add_spec = [&args](std::string_view spec) {
        if (!args.log_spec.empty()) args.log_spec += ',';
        args.log_spec += spec;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&](std::string_view name) -> std::optional<std::string> {
            const std::string prefix = std::string(name) + "=";
            if (a.rfind(prefix, 0) == 0) return std::string(a.substr(prefix.size()));
            if (i + 1 < argc) return std::string(argv[++i]);
            std::cerr << "dmsc-gatewayd: " << name << " needs a value\n" << kUsage;
            return std::nullopt;
        };
        if (a == "-c" || a == "--config" || a.rfind("--config=", 0) == 0) {
            auto v = value("--config");
            if (!v) return false;
            args.config = *v;
        } else if (a == "--check-config") {
            args.check = true;
        } else if (a == "--version") {
            args.version = true;
        } else if (a == "-h" || a == "--help") {
            args.help = true;
        } else if (a == "-v" || a == "--verbose") {
            add_spec("debug");
        } else if (a == "-vv") {
            add_spec("trace");
        } else if (a == "--log-level" || a.rfind("--log-level=", 0) == 0) {
            auto v = value("--log-level");
            if (!v) return false;
            LogSettings probe;
            std::string error;
            if (!apply_log_spec(*v, probe, error)) {
                std::cerr << "dmsc-gatewayd: --log-level: " << error << "\n";
                return false;
            }
            add_spec(*v);
        } else {
            std::cerr << "dmsc-gatewayd: unknown argument \"" << a << "\"\n" << kUsage;
            return false;
        }
    }
    return true;
}

// The configuration: -c FILE must exist; the default path may be missing, then the built-in
// defaults run (card.link = "pcsc", no applications) and a warning says so.
ConfigResult load(const Args& args, bool& defaults_used) {
    defaults_used = false;
    if (args.config) return load_config_file(*args.config);
    const std::string path(kDefaultConfigPath);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        defaults_used = true;
        ConfigResult r;
        r.config = default_config();
        return r;
    }
    return load_config_file(path);
}

// --- systemd (Type=notify) and the [daemon] account (docs/operations.md) ------------------

// READY=1 once start-up is done (debug socket listening, privileges dropped, card link
// waiting for a card); STATUS= follows the card; STOPPING=1 at stop. Without NOTIFY_SOCKET
// (not under systemd) every send is a no-op.
void attach_systemd_notify(Daemon& daemon) {
    Daemon::CardObserver card;
    card.ready = [](const CardInfo&) { sd_notify_send("STATUS=card present"); };
    card.gone = [](const std::string& reason) {
        sd_notify_send("STATUS=waiting for a card (" + reason + ")");
    };
    daemon.add_card_observer(std::move(card));
    daemon.add_stop_observer([] { sd_notify_send("STOPPING=1"); });
}

void notify_ready() {
    std::string why;
    if (!sd_notify_send("READY=1\nSTATUS=waiting for a card", &why) && !why.empty()) {
        log_warn(LogCategory::Daemon, "sd_notify: ", why);
    }
}

// --check-config: accounts are looked up at start-up; say now when one is missing here.
void warn_missing_accounts(const Config& config) {
    try {
        (void)resolve_run_as(config);
    } catch (const ConfigException& e) {
        for (const auto& error : e.errors())
            std::cerr << "dmsc-gatewayd: warning: " << error.to_string() << " (start-up would fail)\n";
    }
}

int run(const Args& args) {
    bool defaults_used = false;
    ConfigResult loaded = load(args, defaults_used);
    if (!loaded.ok()) {
        for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
        std::cerr << "dmsc-gatewayd: " << loaded.errors.size()
                  << " configuration error(s); nothing started\n";
        return kExitConfig;
    }
    if (args.check) {
        if (defaults_used) {
            std::cerr << "dmsc-gatewayd: " << kDefaultConfigPath << " does not exist; built-in defaults:\n";
        }
        warn_missing_accounts(*loaded.config);
        std::cout << to_toml(*loaded.config);
        return kExitOk;
    }
    DaemonOptions options;
    options.log_spec = args.log_spec;
    Daemon daemon(std::move(*loaded.config), std::move(options));
    if (defaults_used) {
        log_warn(LogCategory::Config, kDefaultConfigPath,
                 " does not exist; running with built-in defaults (see gateway.example.toml)");
    }
    attach_systemd_notify(daemon);
    daemon.start();
    notify_ready();
    return daemon.run();
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    if (!parse_args(argc, argv, args)) return kExitConfig;
    if (args.help) {
        std::cout << kUsage;
        return kExitOk;
    }
    if (args.version) {
        std::cout << "dmsc-gatewayd " << DMSC_VERSION << "\n";
        return kExitOk;
    }
    try {
        return run(args);
    } catch (const ConfigException& e) {
        for (const auto& error : e.errors()) log_error(LogCategory::Config, error.to_string());
        log_error(LogCategory::Daemon, "configuration error; nothing started");
        return kExitConfig;
    } catch (const std::exception& e) {
        log_error(LogCategory::Daemon, e.what());
        log_error(LogCategory::Daemon, "start-up failed; exiting");
        return kExitFailure;
    }
}
