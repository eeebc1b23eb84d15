// gateway/daemon.cpp — the start-up sequence, the card pump (cat::Session ↔ CardLink on the
// io_context), the gateway's own proactive command handlers, counters, signals and reload.
#include "gateway/daemon.hpp"

#include "gateway/link_select.hpp"
#include "gateway/usb_probe.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/post.hpp>
#pragma GCC diagnostic pop

#include <algorithm>
#include <csignal>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <variant>

#include "cat/describe.hpp"
#include "cat/envelope.hpp"
#include "cat/profile.hpp"
#include "cat/response.hpp"
#include "dmsc_config.h"
#include "gateway/bip_sockets.hpp"
#include "gateway/debug_server.hpp"
#include "gateway/eem_service.hpp"
#if DMSC_HAVE_USB
#include "gateway/iccd_link.hpp"
#endif
#include "gateway/features.hpp"
#include "gateway/package0_check.hpp"
#include "gateway/sim/sim_link.hpp"
#include "registry/events.hpp"
#if DMSC_HAVE_PCSC
#include "gateway/pcsc_link.hpp"
#endif

namespace dmsc::gateway {

namespace {

using SteadyClock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;

// Transport errors in a row (not "card gone") after which the daemon stops resetting the card
// and waits for the link to report it again: a reset loop would only hide a broken reader.
constexpr unsigned kMaxTransportFailures = 3;

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string hex2(std::uint8_t v) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    return {kHex[v >> 4], kHex[v & 0x0F]};
}

std::string command_name(std::uint8_t type) {
    const auto name = cat::name_of(static_cast<cat::CommandType>(type));
    return name.empty() ? "type " + hex2(type) : std::string(name);
}

std::string ins_name(const cat::Bytes& command) {
    if (command.size() < 2) return "?";
    const auto name = cat::name_of(static_cast<cat::Ins>(command[1]));
    return name.empty() ? "INS " + hex2(command[1]) : std::string(name);
}

// "event download (data available)", "Terminal Applications" ... for stats and logs.
std::string envelope_kind(const cat::Bytes& ber) {
    auto d = cat::describe_bytes(ber, cat::Hint::Envelope);
    if (!d) return ber.empty() ? "empty" : "tag " + hex2(ber[0]);
    std::string title = d->title;
    constexpr std::string_view kPrefix = "ENVELOPE ";
    if (title.rfind(kPrefix, 0) == 0) title.erase(0, kPrefix.size());
    return title;
}

cat::TimePoint now() {
    return SteadyClock::now();
}

// The configuration's applications as registry/ takes them.
std::vector<registry::ApplicationConfig> registry_applications(const Config& config) {
    std::vector<registry::ApplicationConfig> apps;
    for (const auto& a : config.applications) {
        registry::ApplicationConfig r;
        r.name = a.name;
        r.type = a.type;
        r.port = a.port;
        r.coding = a.coding == NameCoding::Ucs2 ? registry::NameCoding::Ucs2 : registry::NameCoding::Gsm7;
        r.deliver = a.deliver.to_string();
        r.launch = a.launch;
        r.launch_timeout = std::chrono::milliseconds(a.launch_timeout_ms);
        apps.push_back(std::move(r));
    }
    return apps;
}

// [platform] into the registry's PlatformInfo: IMEI/IMEISV always (the device has them or
// not); language, access technology and location when configured (an injected event changes
// them later). The config was checked at load, so the parses here succeed.
void apply_platform(registry::PlatformInfo& info, const PlatformConfig& p) {
    info.imei = p.imei;
    info.imeisv = p.imeisv;
    if (!p.language.empty()) info.language = p.language;
    if (!p.access_technology.empty())
        info.access_technology = registry::access_technology_code(p.access_technology);
    if (!p.location.empty()) {
        registry::EventArguments args(p.location.begin(), p.location.end());
        args["state"] = "normal";
        if (auto ev = registry::parse_platform_event("location-status", args)) {
            if (const auto* loc = std::get_if<registry::LocationStatus>(&ev.value())) info.location = *loc;
        }
    }
}

registry::RegistryConfig registry_config(const Config& config) {
    registry::RegistryConfig rc;
    rc.applications = registry_applications(config);
    const auto events = gateway_features().events;
    rc.supported_events.assign(events.begin(), events.end());
    rc.polling.default_interval = registry::Milliseconds(config.card.poll_interval_ms);
    rc.polling.min_interval = registry::Milliseconds(config.card.poll_interval_min_ms);
    rc.polling.default_enabled = config.card.poll_interval_ms != 0;
    apply_platform(rc.platform, config.platform);
    return rc;
}

// Local date, time and time zone for PROVIDE LOCAL INFORMATION (TS 102 223 8.39, TS 23.040
// 9.2.3.11: the zone in quarters of an hour, BCD with swapped nibbles, bit 3 = negative).
cat::DateTimeTimeZone local_time() {
    const std::time_t t = SystemClock::to_time_t(SystemClock::now());
    std::tm tm{};
    ::localtime_r(&t, &tm);
    cat::DateTimeTimeZone d;
    d.year = static_cast<std::uint8_t>(tm.tm_year % 100);
    d.month = static_cast<std::uint8_t>(tm.tm_mon + 1);
    d.day = static_cast<std::uint8_t>(tm.tm_mday);
    d.hour = static_cast<std::uint8_t>(tm.tm_hour);
    d.minute = static_cast<std::uint8_t>(tm.tm_min);
    d.second = static_cast<std::uint8_t>(tm.tm_sec);
    const long quarters = tm.tm_gmtoff / 900;
    const auto q = static_cast<unsigned>(quarters < 0 ? -quarters : quarters);
    d.time_zone = static_cast<std::uint8_t>(((q % 10) << 4) | (q / 10) | (quarters < 0 ? 0x08 : 0x00));
    return d;
}

nlohmann::json sw_json(const std::optional<cat::StatusWord>& sw) {
    if (!sw) return nullptr;
    return hex2(sw->sw1) + " " + hex2(sw->sw2);
}

std::uint64_t sum(const std::map<std::string, std::uint64_t>& m) {
    std::uint64_t n = 0;
    for (const auto& [k, v] : m) n += v;
    return n;
}

}  // namespace

std::string_view name_of(CardState state) {
    return state == CardState::Powered ? "powered" : "absent";
}

std::unique_ptr<CardLink> make_card_link(boost::asio::io_context& io, const Config& config) {
    switch (config.card.link) {
        case LinkKind::Sim: {
            try {
                auto scenario = config.card.scenario.empty() ? sim::default_scenario()
                                                             : sim::load_scenario_file(config.card.scenario);
                return sim::make_sim_link(io, std::move(scenario));
            } catch (const sim::ScenarioError& e) {
                throw ConfigException({{config.path, 0, 0, "card.scenario", e.what()}});
            }
        }
        case LinkKind::Pcsc: {
#if DMSC_HAVE_PCSC
            PcscOptions o;
            o.reader = config.card.reader;
            o.protocol = config.card.protocol == CardProtocol::T0   ? PcscOptions::Protocol::T0
                         : config.card.protocol == CardProtocol::T1 ? PcscOptions::Protocol::T1
                                                                    : PcscOptions::Protocol::Any;
            o.share = config.card.share == CardShare::Shared ? PcscOptions::Share::Shared
                                                             : PcscOptions::Share::Exclusive;
            o.log = [](PcscOptions::LogLevel level, const std::string& message) {
                switch (level) {
                    case PcscOptions::LogLevel::Debug:
                        log_debug(LogCategory::Card, message);
                        break;
                    case PcscOptions::LogLevel::Info:
                        log_info(LogCategory::Card, message);
                        break;
                    case PcscOptions::LogLevel::Warning:
                        log_warn(LogCategory::Card, message);
                        break;
                    case PcscOptions::LogLevel::Error:
                        log_error(LogCategory::Card, message);
                        break;
                }
            };
            return make_pcsc_link(io, std::move(o));
#else
            throw std::runtime_error("card.link = \"pcsc\": this dmsc-gatewayd was built without PC/SC");
#endif
        }
        case LinkKind::Auto: {
            const LinkChoice choice = resolve_card_link(config);
            if (!choice.ok) throw std::runtime_error("card.link = \"auto\": " + choice.reason);
            Config chosen = config;
            chosen.card.link = choice.link;
            return make_card_link(io, chosen);
        }
        case LinkKind::Iccd: {
#if DMSC_HAVE_USB
            IccdOptions o;
            o.usb = config.card.usb;
            o.log = [](const std::string& message) { log_info(LogCategory::Card, message); };
            return make_iccd_link(io, std::move(o));
#else
            break;
#endif
        }
    }
    throw std::runtime_error(
        "card.link = \"iccd\": this dmsc-gatewayd was built without libusb-1.0; use \"pcsc\" or \"sim\"");
}

Daemon::Daemon(Config config, Options options)
    : config_(std::move(config)),
      options_(std::move(options)),
      deadline_timer_(io_),
      signals_(io_),
      terminal_profile_(cat::build_terminal_profile(gateway_features())),
      started_at_(SteadyClock::now()) {
    auto created = registry::Registry::create(registry_config(config_));
    if (!created) {
        throw ConfigException({{config_.path, 0, 0, "application", created.error()}});
    }
    registry_ = std::make_unique<registry::Registry>(std::move(created).value());
    register_own_handlers();
    bip_ = std::make_unique<BipSockets>(*this);
    bip_->set_delivery_hook(
        [this](const std::string& application, const std::string& endpoint, cat::ByteView data) {
            return inspect_delivery_bytes(application, endpoint, data);
        });
}

// Package#0 inspection (docs/package0.md): every Terminal Server Mode delivery is decoded; a
// recognised notification goes to the log and to `dmsc-ctl trace` clients, with its digest
// checked against [[dm_server]]. Delivery changes only for a bad digest with drop_bad_digest.
bool Daemon::inspect_delivery_bytes(const std::string& application, const std::string& endpoint,
                                    cat::ByteView data) {
    const Package0Report report = inspect_delivery(config_, data);
    if (!report.recognised) {
        log_debug(LogCategory::Bip, "delivery to ", application, " (", endpoint, "), ", data.size(),
                  " bytes: not a Package#0 (", report.error, ")");
        return true;
    }
    const std::string text = describe(report);
    if (report.digest == DigestVerdict::Bad) {
        log_warn(LogCategory::Bip, "delivery to ", application, " (", endpoint, "): ", text);
    } else {
        log_info(LogCategory::Bip, "delivery to ", application, " (", endpoint, "): ", text);
    }
    ++stats_.package0_seen;
    if (report.drop) ++stats_.package0_dropped;
    if (debug_server_ && debug_server_->has_trace_clients()) {
        nlohmann::json note = {{"note", "package0"},
                               {"application", application},
                               {"endpoint", endpoint},
                               {"summary", text},
                               {"digest", std::string(name_of(report.digest))},
                               {"delivered", !report.drop}};
        if (report.server_id) note["server_id"] = *report.server_id;
        if (report.session_id) note["session_id"] = *report.session_id;
        if (report.notification_id) note["notification_id"] = *report.notification_id;
        if (report.ui_mode) note["ui_mode"] = *report.ui_mode;
        debug_server_->publish_note(std::move(note));
    }
    if (report.drop) {
        log_warn(LogCategory::Bip, "Package#0 for ", application,
                 " dropped: its digest is wrong and [[dm_server]] drop_bad_digest = true");
        return false;
    }
    return true;
}

Daemon::~Daemon() {
    // Other layers are gone by now: no observers, just the card and the sockets.
    stopped_ = true;
    if (link_) link_->stop();
    if (debug_server_) debug_server_->stop();
}

void Daemon::apply_log_settings() const {
    LogSettings settings = config_.log;
    std::string error;
    if (!options_.log_spec.empty() && !apply_log_spec(options_.log_spec, settings, error)) {
        log_warn(LogCategory::Daemon, "--log-level: ", error);
    }
    Logger::instance().configure(settings);
}

// --- start-up -----------------------------------------------------------------------------

void Daemon::start() {
    if (started_) return;
    started_ = true;
    started_at_ = SteadyClock::now();
    apply_log_settings();
    log_info(LogCategory::Daemon, "dmsc-gatewayd ", DMSC_VERSION, " starting, config ",
             config_.path.empty() ? std::string("(built-in defaults)") : config_.path);
    log_info(LogCategory::Config, config_.applications.size(),
             " application(s), card.link = ", name_of(config_.card.link));
    if (options_.handle_signals) {
        signals_.add(SIGTERM);
        signals_.add(SIGINT);
        signals_.add(SIGHUP);
        wait_signals();
    }
    run_as_ = resolve_run_as(config_);       // a missing account is a configuration error
    if (run_as_) (void)plan_drop(*run_as_);  // neither root nor that user: refuse before opening anything
    start_traces();
    start_debug_socket();
    if (config_.eem.enabled) {
        // The TAP (CAP_NET_ADMIN) and the hosts line need root: before the privilege drop.
        add_privileged_step("eem", [this] {
            eem_ = std::make_unique<EemService>(io_, config_.eem);
            eem_->start();
        });
    }
    open_privileged_then_drop();
    start_card_link();
    add_status_provider("interfaces", [this] {
        nlohmann::json apdu = {{"link", link_ ? link_->name() : std::string(name_of(config_.card.link))},
                               {"configured", name_of(config_.card.link)},
                               {"reason", link_reason_},
                               {"state", name_of(card_state_)}};
        if (card_state_ == CardState::Powered && card_info_ && !card_info_->atr.empty()) {
            // TS 102 221 table 6.7: the ATR's global interface byte says whether this UICC also has
            // the inter-chip USB interface (TS 102 600).
            const auto tb = atr_global_tb(card_info_->atr);
            apdu["atr_global_tb"] = tb ? nlohmann::json(*tb) : nlohmann::json(nullptr);
            apdu["atr_usb_interface"] = atr_indicates_usb(card_info_->atr);
        }
        return nlohmann::json{{"apdu", apdu},
                              {"eem", eem_ ? eem_->status_json() : nlohmann::json{{"enabled", false}}}};
    });
    log_info(LogCategory::Card, "waiting for a card (", link_->name(),
             config_.card.reader.empty() ? std::string() : ", reader \"" + config_.card.reader + "\"", ")");
}

void Daemon::start_traces() {
    auto writer = std::make_unique<TraceWriter>();
    try {
        if (!config_.trace.gsmtap.empty())
            writer->add_sink(std::make_unique<GsmtapSink>(io_, config_.trace.gsmtap));
        if (!config_.trace.pcap.empty()) writer->add_sink(std::make_unique<PcapSink>(config_.trace.pcap));
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("trace: ") + e.what());
    }
    for (const auto& sink : writer->sinks())
        log_info(LogCategory::Daemon, "tracing APDUs to ", sink->describe());
    traces_ = std::move(writer);
}

void Daemon::start_debug_socket() {
    if (config_.debug.socket.empty()) {
        log_info(LogCategory::Ctl, "debug socket off (debug.socket = \"\")");
        return;
    }
    DebugServerOptions o;
    o.path = config_.debug.socket;
    o.group = config_.debug.group;
    o.max_clients = config_.debug.max_clients;
    o.max_line = config_.debug.max_line_bytes;
    if (run_as_) {  // created by root, handed to the account the daemon switches to
        o.owner = run_as_->uid;
        if (o.group.empty()) o.group = run_as_->group;
    }
    auto server = std::make_unique<DebugServer>(io_, o);
    server->on_error([](const std::string& message) { log_warn(LogCategory::Ctl, message); });
    server->add_command(
        "status", [this](const nlohmann::json&) { return status_json(); },
        "card state, link, ATR, terminal profile, uptime, counters");
    server->add_command(
        "stats", [this](const nlohmann::json&) { return stats_json(); },
        "APDUs, proactive commands by type, TERMINAL RESPONSEs by result, ENVELOPEs by kind, errors");
    register_registry_commands(*server);
    server->add_command(
        "channels", [this](const nlohmann::json&) { return bip_->channels_json(); },
        "BIP channels: mode, state, endpoint, buffered and transferred bytes");
    server->start();  // throws with the path and what to do
    // The server binds 0660; a stricter (or group-only) debug.mode is applied on top.
    if (config_.debug.mode != 0660 && ::chmod(config_.debug.socket.c_str(), config_.debug.mode) != 0) {
        log_warn(LogCategory::Ctl, "chmod ", config_.debug.socket, " failed; it stays 0660");
    }
    log_info(LogCategory::Ctl, "debug socket ", config_.debug.socket);
    debug_server_ = std::move(server);
}

// --- privilege drop ([daemon], docs/operations.md) ------------------------------------------

void Daemon::add_privileged_step(std::string name, std::function<void()> step) {
    privileged_steps_.emplace_back(std::move(name), std::move(step));
}

void Daemon::open_privileged_then_drop() {
    for (const auto& [name, step] : privileged_steps_) {
        try {
            step();
        } catch (const std::exception& e) {
            const std::string what = e.what();
            throw std::runtime_error(what.rfind(name + ":", 0) == 0 ? what : name + ": " + what);
        }
    }
    if (!run_as_) {
        if (::geteuid() == 0) log_info(LogCategory::Daemon, "running as root (daemon.user is not set)");
        return;
    }
    if (plan_drop(*run_as_) == DropPlan::AlreadyThere) {
        log_info(LogCategory::Daemon, "already running as ", run_as_->user, " (uid ", run_as_->uid, ")");
        return;
    }
    drop_privileges(*run_as_);  // throws: start-up fails, main exits 1
    std::string kept;
    for (const auto& name : config_.daemon.keep_capabilities) kept += (kept.empty() ? "" : ", ") + name;
    log_info(LogCategory::Daemon, "running as user ", run_as_->user, " (uid ", run_as_->uid, "), group ",
             run_as_->group, " (gid ", run_as_->gid, ")", kept.empty() ? "" : ", keeping ", kept);
}

void Daemon::start_card_link() {
    // card.link = "auto" is decided here, once, so that status can say why (docs/usb.md).
    Config link_config = config_;
    if (config_.card.link == LinkKind::Auto) {
        const LinkChoice choice = resolve_card_link(config_);
        if (!choice.ok) throw std::runtime_error("card.link = \"auto\": " + choice.reason);
        link_config.card.link = choice.link;
        link_reason_ = choice.reason;
        log_info(LogCategory::Card, "card link ", name_of(choice.link), ": ", choice.reason);
    } else {
        link_reason_ = "card.link = \"" + std::string(name_of(config_.card.link)) + "\" in the configuration";
    }
    link_ =
        options_.link_factory ? options_.link_factory(io_, link_config) : make_card_link(io_, link_config);
    if (!link_) throw std::runtime_error("no card link");
    CardLink::Callbacks callbacks;
    callbacks.card_ready = [this](const CardInfo& info) { on_card_ready(info); };
    callbacks.card_gone = [this](const std::string& reason) { on_card_gone(reason); };
    callbacks.warning = [](const std::string& message) { log_warn(LogCategory::Card, message); };
    link_->start(std::move(callbacks));
}

int Daemon::run() {
    if (!stopped_) io_.run();
    return exit_code_;
}

void Daemon::stop() {
    if (stopped_) return;
    stopped_ = true;
    log_info(LogCategory::Daemon, "stopping");
    stop_observers_.notify();  // BIP closes its channels and sockets
    deadline_timer_.cancel();
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    if (link_) {
        link_->stop();  // powers the card down; blocks until the card thread has ended
        log_info(LogCategory::Card, "card powered down");
    }
    card_state_ = CardState::Absent;
    if (eem_) eem_->stop();  // TAP removed, localuicc line gone
    if (debug_server_) debug_server_->stop();
    io_.stop();
    log_info(LogCategory::Daemon, "stopped");
}

void Daemon::wait_signals() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
        if (ec) return;  // cancelled at stop()
        if (signo == SIGHUP) {
            log_info(LogCategory::Daemon, "SIGHUP: reloading ", config_.path);
            reload();
            wait_signals();
            return;
        }
        log_info(LogCategory::Daemon, signo == SIGTERM ? "SIGTERM" : "SIGINT", " received");
        stop();
    });
}

// --- reload -------------------------------------------------------------------------------

bool Daemon::reload() {
    if (config_.path.empty()) {
        log_warn(LogCategory::Config, "reload: running on built-in defaults, there is no file to re-read");
        ++stats_.reload_failures;
        return false;
    }
    return reload_from(config_.path);
}

bool Daemon::reload_from(const std::string& path) {
    ConfigResult result = load_config_file(path);
    if (!result.ok()) {
        ++stats_.reload_failures;
        for (const auto& e : result.errors) log_error(LogCategory::Config, e.to_string());
        log_error(LogCategory::Config, "reload failed (", result.errors.size(),
                  " error(s)); keeping the running configuration");
        return false;
    }
    Config next = std::move(*result.config);
    // What is bound or opened at start-up stays until a restart: say so, keep the old values.
    auto keep = [](auto& next_value, const auto& old_value, std::string_view key) {
        if (next_value == old_value) return;
        log_warn(LogCategory::Config, key, " changed; restart dmsc-gatewayd to apply it");
        next_value = old_value;
    };
    keep(next.card.link, config_.card.link, "card.link");
    keep(next.card.reader, config_.card.reader, "card.reader");
    keep(next.card.scenario, config_.card.scenario, "card.scenario");
    keep(next.card.usb, config_.card.usb, "card.usb");
    keep(next.card.protocol, config_.card.protocol, "card.protocol");
    keep(next.card.share, config_.card.share, "card.share");
    keep(next.bip, config_.bip, "[bip]");
    keep(next.debug, config_.debug, "[debug]");
    keep(next.daemon, config_.daemon, "[daemon]");

    auto apps = registry_->reload_applications(registry_applications(next));
    if (!apps) {
        ++stats_.reload_failures;
        log_error(LogCategory::Config, path, ": application: ", apps.error(),
                  "; keeping the running configuration");
        return false;
    }
    if (apps.value())
        log_info(LogCategory::Config, "applications changed; registering them with the card again");
    if (next.platform != config_.platform) {
        log_info(LogCategory::Config,
                 "[platform] changed; PROVIDE LOCAL INFORMATION answers from the new values");
        apply_platform(registry_->platform(), next.platform);
    }
    Config before = std::move(config_);
    config_ = std::move(next);
    apply_log_settings();
    if (config_.trace != before.trace && started_) {
        try {
            start_traces();
        } catch (const std::exception& e) {
            log_error(LogCategory::Config, e.what(), "; tracing is off until the next reload");
            traces_.reset();
        }
    }
    ++stats_.reloads;
    log_info(LogCategory::Config, "reloaded ", path, " (", config_.applications.size(),
             " application(s); card.* timing applies from the next card session)");
    reload_observers_.notify(before, config_);
    pump();
    return true;
}

// --- hooks --------------------------------------------------------------------------------

Daemon::ObserverId Daemon::add_apdu_observer(ApduObserver observer) {
    const ObserverId id = next_observer_++;
    apdu_observers_.list.emplace_back(id, std::move(observer));
    return id;
}
Daemon::ObserverId Daemon::add_session_observer(SessionObserver observer) {
    const ObserverId id = next_observer_++;
    session_observers_.list.emplace_back(id, std::move(observer));
    return id;
}
Daemon::ObserverId Daemon::add_card_observer(CardObserver observer) {
    const ObserverId id = next_observer_++;
    ready_observers_.list.emplace_back(id, std::move(observer.ready));
    gone_observers_.list.emplace_back(id, std::move(observer.gone));
    return id;
}
Daemon::ObserverId Daemon::add_reload_observer(ReloadObserver observer) {
    const ObserverId id = next_observer_++;
    reload_observers_.list.emplace_back(id, std::move(observer));
    return id;
}
Daemon::ObserverId Daemon::add_stop_observer(std::function<void()> observer) {
    const ObserverId id = next_observer_++;
    stop_observers_.list.emplace_back(id, std::move(observer));
    return id;
}
void Daemon::remove_observer(ObserverId id) {
    auto drop = [id](auto& observers) {
        std::erase_if(observers.list, [id](const auto& entry) { return entry.first == id; });
    };
    drop(apdu_observers_);
    drop(session_observers_);
    drop(ready_observers_);
    drop(gone_observers_);
    drop(reload_observers_);
    drop(stop_observers_);
}

void Daemon::set_handler(cat::CommandType type, cat::Handler handler) {
    const auto key = static_cast<std::uint8_t>(type);
    if (!handler) {
        handlers_.erase(key);
        if (session_) session_->clear_handler(type);
        return;
    }
    handlers_[key] = handler;
    if (session_) session_->set_handler(type, std::move(handler));
}

std::optional<cat::EnvelopeId> Daemon::queue_envelope(cat::Bytes ber) {
    std::string kind = envelope_kind(ber);
    if (!session_ || card_state_ != CardState::Powered || stopped_) {
        ++stats_.envelopes_refused;
        log_debug(LogCategory::Cat, "ENVELOPE ", kind, " not queued: no card");
        return std::nullopt;
    }
    const cat::EnvelopeId id = next_envelope_id_++;
    const cat::Bytes ber_copy = ber;
    if (!session_->queue_envelope(std::move(ber), id)) {
        ++stats_.envelopes_refused;
        log_warn(LogCategory::Cat, "ENVELOPE ", kind, " refused (queue full or longer than 255 bytes)");
        return std::nullopt;
    }
    ++stats_.envelopes_queued[kind];
    // bip/ queues its Data available / Channel status Event downloads here (after its own
    // check of the card's event list): the `events` counts include them.
    if (auto env = cat::decode_envelope(ber_copy);
        env && env->tag == static_cast<std::uint8_t>(cat::BerTag::EventDownload)) {
        if (const auto event = env->event())
            registry_->event_queued_elsewhere(static_cast<cat::EventType>(*event));
    }
    log_debug(LogCategory::Cat, "ENVELOPE #", id, " ", kind, " queued");
    envelope_kinds_[id] = std::move(kind);
    pump();
    return id;
}

std::optional<cat::EnvelopeId> Daemon::sms_pp_download(cat::Bytes address, cat::Bytes tpdu) {
    cat::Bytes ber = cat::encode(cat::sms_pp_download(std::move(address), std::move(tpdu)));
    // Tracked before it is queued: queue_envelope() pumps, and a synchronous link may answer
    // before it returns.
    const cat::EnvelopeId id = next_envelope_id_;
    TrackedEnvelope t;
    t.kind = envelope_kind(ber);
    tracked_[id] = t;
    tracked_order_.push_back(id);
    constexpr std::size_t kKeepTracked = 64;
    while (tracked_order_.size() > kKeepTracked) {
        tracked_.erase(tracked_order_.front());
        tracked_order_.erase(tracked_order_.begin());
    }
    auto queued = queue_envelope(std::move(ber));
    if (!queued || *queued != id) {
        tracked_.erase(id);
        std::erase(tracked_order_, id);
        return std::nullopt;
    }
    log_info(LogCategory::Cat, "SMS-PP data download queued as ENVELOPE #", id);
    return queued;
}

nlohmann::json Daemon::envelope_result(cat::EnvelopeId id) const {
    const auto it = tracked_.find(id);
    if (it == tracked_.end()) return nullptr;
    const TrackedEnvelope& t = it->second;
    nlohmann::json j = {{"envelope", id},
                        {"kind", t.kind},
                        {"state", t.state},
                        {"sw", sw_json(t.sw)},
                        {"data", cat::to_hex(t.data)},
                        {"busy_retries", t.busy_retries}};
    if (!t.reason.empty()) j["reason"] = t.reason;
    return j;
}

bool Daemon::complete(std::uint8_t command_number, cat::TerminalResponse response) {
    const bool ok = session_ && session_->complete(command_number, std::move(response));
    pump();
    return ok;
}

void Daemon::request_status() {
    if (!session_) return;
    session_->request_status();
    pump();
}

std::optional<std::chrono::milliseconds> Daemon::poll_interval() const {
    const auto& polling = registry_->polling();
    if (!polling.enabled() || polling.interval().count() == 0) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(polling.interval());
}

// ENVELOPEs the registry queued go to the session under the registry's own ids, so the
// session's answers can be routed back (registry::is_registry_envelope).
bool Daemon::queue_envelope_as(cat::Bytes ber, cat::EnvelopeId id) {
    std::string kind = envelope_kind(ber);
    if (!session_ || card_state_ != CardState::Powered || stopped_ ||
        !session_->queue_envelope(std::move(ber), id)) {
        return false;
    }
    ++stats_.envelopes_queued[kind];
    log_debug(LogCategory::Cat, "ENVELOPE ", kind, " queued (registry)");
    envelope_kinds_[id] = std::move(kind);
    return true;
}

void Daemon::drain_registry() {
    if (!registry_ || !session_ || card_state_ != CardState::Powered || stopped_) return;
    const auto t = now();
    registry_->on_tick(t);
    if (registry_->status_due(t)) {
        ++stats_.status_polls;
        session_->request_status();
        registry_->mark_polled(t);
    }
    auto envelopes = registry_->take_envelopes();
    for (std::size_t i = 0; i < envelopes.size(); ++i) {
        if (queue_envelope_as(envelopes[i].ber, envelopes[i].id)) continue;
        ++stats_.envelopes_refused;
        log_debug(LogCategory::Cat, "registry ENVELOPE not queued now; kept for later");
        // Given back last first: each goes to the front, so the order stays.
        for (std::size_t j = envelopes.size(); j > i; --j) registry_->envelope_not_queued(envelopes[j - 1]);
        break;
    }
}

// --- the gateway's own proactive command handlers ---------------------------------------------

void Daemon::register_own_handlers() {
    // registry/ answers SET UP EVENT LIST, TIMER MANAGEMENT, POLL INTERVAL, POLLING OFF, MORE
    // TIME, PROVIDE LOCAL INFORMATION and REFRESH.
    for (const auto type : registry::Registry::command_types()) {
        handlers_[static_cast<std::uint8_t>(type)] =
            [this](const cat::ProactiveCommand& cmd) -> cat::HandlerReply {
            auto outcome = registry_->handle(cmd, now(), local_time());
            if (!outcome) {
                return cat::make_response(cmd.details, cat::GeneralResult::BeyondTerminalCapabilities);
            }
            if (outcome->refresh == registry::RefreshAction::ResetCard) {
                log_info(LogCategory::Cat, "REFRESH: resetting the card");
                ++stats_.refresh_resets;
                const std::uint64_t generation = card_generation_;
                boost::asio::post(io_, [this, generation] {
                    if (!stopped_ && link_ && generation == card_generation_) link_->reset();
                });
            } else if (outcome->refresh == registry::RefreshAction::Reinitialise) {
                // TS 102 223 clause 6.4.7: NAA initialisation includes the profile download
                // (clause 5). The session sends TERMINAL PROFILE right after this TERMINAL
                // RESPONSE; ProfileDownloaded{reinitialisation} then registers the Terminal
                // Applications again. Queued ENVELOPEs stay queued (no reset).
                log_info(LogCategory::Cat, "REFRESH: toolkit re-initialisation (TERMINAL PROFILE again)");
                ++stats_.refresh_reinitialisations;
                if (session_) session_->reinitialise();
            }
            if (!outcome->response) return cat::Pending{};
            return *outcome->response;
        };
    }
}

// --- registry debug commands ---------------------------------------------------------------

void Daemon::register_registry_commands(DebugServer& server) {
    using nlohmann::json;
    server.add_command(
        "apps",
        [this](const json&) -> json {
            const auto snap = registry_->apps_snapshot();
            json apps = json::array();
            for (const auto& a : snap.apps) {
                apps.push_back({{"name", a.name},
                                {"type", hex2(a.type)},
                                {"port", a.port},
                                {"coding", a.coding},
                                {"deliver", a.deliver},
                                {"launch", a.launch},
                                {"registered", a.registered}});
            }
            return {{"apps", apps},
                    {"registration",
                     {{"state", registry::name_of(snap.state)},
                      {"last_sw", sw_json(snap.last_sw)},
                      {"envelopes", snap.envelopes},
                      {"registrations", snap.registrations},
                      {"detail", snap.detail}}}};
        },
        "Terminal Applications and their registration with the card");
    server.add_command(
        "events",
        [this](const json&) -> json {
            const auto snap = registry_->events_snapshot();
            json events = json::array();
            for (const auto& e : snap.supported) {
                events.push_back({{"code", hex2(e.code)},
                                  {"name", e.name},
                                  {"registered", e.registered},
                                  {"sent", e.sent},
                                  {"filtered", e.filtered}});
            }
            json registered = json::array();
            for (const auto e : snap.registered) registered.push_back(hex2(e));
            return {{"events", events},
                    {"registered", registered},
                    {"set_up_event_lists", snap.set_up_event_lists},
                    {"refused_lists", snap.refused_lists}};
        },
        "events the gateway reports, the card's event list, sent/filtered counts");
    server.add_command(
        "timers",
        [this](const json&) -> json {
            auto value = [](const cat::TimerValue& v) {
                return std::to_string(v.hours) + ":" + (v.minutes < 10 ? "0" : "") +
                       std::to_string(v.minutes) + ":" + (v.seconds < 10 ? "0" : "") +
                       std::to_string(v.seconds);
            };
            json timers = json::array();
            for (const auto& t : registry_->timers_snapshot(now())) {
                timers.push_back({{"id", t.id},
                                  {"running", t.running},
                                  {"started_with", value(t.started_with)},
                                  {"remaining", value(t.remaining)},
                                  {"expiries", t.expiries}});
            }
            const auto p = registry_->polling_snapshot(now());
            json polling = {
                {"enabled", p.enabled},
                {"interval_ms", p.interval.count()},
                {"next_status_in_ms", p.next_status_in ? json(p.next_status_in->count()) : json(nullptr)},
                {"statuses", p.statuses}};
            return {{"timers", timers}, {"polling", polling}};
        },
        "TIMER MANAGEMENT timers and STATUS polling");
    server.add_command(
        "sms-pp",
        [this](const json& request) -> json {
            auto hex_field = [&](const char* key, bool required) -> cat::Bytes {
                if (!request.contains(key)) {
                    if (required)
                        throw CommandError(std::string("\"") + key +
                                           "\" missing: the SMS-DELIVER TPDU in hex (TS 23.040 9.2.2.1)");
                    return {};
                }
                cat::Bytes out;
                if (!request[key].is_string() || !cat::from_hex(request[key].get<std::string>(), out)) {
                    throw CommandError(std::string("\"") + key + "\" is not a hex string");
                }
                return out;
            };
            cat::Bytes tpdu = hex_field("tpdu", true);
            cat::Bytes address = hex_field("address", false);
            if (tpdu.empty()) throw CommandError("\"tpdu\" is empty");
            if (card_state_ != CardState::Powered) throw CommandError("no card: nothing to download to");
            const std::size_t size = cat::encode(cat::sms_pp_download(address, tpdu)).size();
            if (size > 255) {
                throw CommandError("the ENVELOPE would be " + std::to_string(size) +
                                   " bytes; one short APDU carries at most 255 (shorten the TPDU)");
            }
            const auto id = sms_pp_download(std::move(address), std::move(tpdu));
            if (!id) throw CommandError("the ENVELOPE was not queued (queue full or the card is gone)");
            return envelope_result(*id);
        },
        "SMS-PP data download: {\"tpdu\":HEX[,\"address\":HEX]}; then `envelope` for the card's answer");
    server.add_command(
        "envelope",
        [this](const json& request) -> json {
            cat::EnvelopeId id = 0;
            const json* v = request.contains("envelope") ? &request["envelope"] : nullptr;
            if (v != nullptr && v->is_number_unsigned()) {
                id = v->get<cat::EnvelopeId>();
            } else if (v != nullptr && v->is_string() && !v->get<std::string>().empty() &&
                       v->get<std::string>().find_first_not_of("0123456789") == std::string::npos &&
                       v->get<std::string>().size() < 18) {
                id = std::stoull(v->get<std::string>());
            } else {
                throw CommandError("\"envelope\" missing or not a number: give the number `sms-pp` answered");
            }
            json r = envelope_result(id);
            if (r.is_null()) throw CommandError("no tracked ENVELOPE #" + std::to_string(id));
            return r;
        },
        "the card's answer to a tracked ENVELOPE (sms-pp): {\"envelope\":N}");
    server.add_command(
        "event",
        [this](const json& request) -> json {
            if (!request.contains("name") || !request["name"].is_string()) {
                throw CommandError("\"name\" missing; e.g. {\"cmd\":\"event\",\"name\":\"user-activity\"}");
            }
            const std::string name = request["name"].get<std::string>();
            registry::EventArguments args;
            if (request.contains("args")) {
                if (!request["args"].is_object()) throw CommandError("\"args\" must be an object of strings");
                for (const auto& [k, v] : request["args"].items()) {
                    args[k] = v.is_string() ? v.get<std::string>() : v.dump();
                }
            }
            auto event = registry::parse_platform_event(name, args);
            if (!event) throw CommandError(event.error());
            const std::uint64_t dropped_before = registry_->envelopes_dropped();
            const bool queued = registry_->inject(event.value());
            const bool dropped = registry_->envelopes_dropped() != dropped_before;
            if (dropped)
                log_warn(LogCategory::Cat, "event ", name, " dropped: ", registry_->envelopes_waiting(),
                         " ENVELOPEs already wait for the card (it keeps answering '93 00')");
            pump();
            const auto type = registry::event_type(event.value());
            const auto type_name = cat::name_of(type);
            return {
                {"event", name},
                {"type", type_name.empty() ? hex2(static_cast<std::uint8_t>(type)) : std::string(type_name)},
                {"queued", queued},
                {"result", queued    ? "queued"
                           : dropped ? "dropped"
                                     : "filtered"}};
        },
        "inject a platform event: {\"name\":NAME,\"args\":{KEY:VALUE}}");
}

// --- card presence ------------------------------------------------------------------------

void Daemon::make_session() {
    cat::SessionConfig sc;
    sc.class_mode = class_mode_;
    sc.terminal_profile = terminal_profile_;
    sc.busy_backoff_initial = cat::Milliseconds(config_.card.busy_backoff_initial_ms);
    sc.busy_backoff_max = cat::Milliseconds(config_.card.busy_backoff_max_ms);
    sc.pending_timeout = cat::Milliseconds(config_.card.pending_timeout_ms);
    session_ = std::make_unique<cat::Session>(sc);
    for (const auto& [type, handler] : handlers_) {
        session_->set_handler(static_cast<cat::CommandType>(type), handler);
    }
}

void Daemon::on_card_ready(const CardInfo& info) {
    if (stopped_) return;
    ++card_generation_;
    ++stats_.cards_ready;
    card_state_ = CardState::Powered;
    card_info_ = info;
    card_since_ = SteadyClock::now();
    envelope_kinds_.clear();
    class_mode_ = config_.card.card_class == CardClass::Sim ? cat::ClassMode::Sim : cat::ClassMode::Uicc;
    // A fresh Session per card session: a previous card's queue, back-off or pending handler
    // must not leak into this one; card.* timing from a reload applies here.
    make_session();
    session_->power_on();
    registry_->card_session_started(now());
    log_info(LogCategory::Card, "card ready: ", info.link,
             info.reader.empty() ? "" : " \"" + info.reader + "\"", ", ", info.protocol, ", ATR ",
             cat::to_hex(info.atr));
    ready_observers_.notify(info);
    pump();
}

void Daemon::on_card_gone(const std::string& reason) {
    if (card_state_ == CardState::Absent) return;
    ++card_generation_;
    ++stats_.cards_gone;
    card_state_ = CardState::Absent;
    if (session_) session_->card_removed();
    registry_->card_removed();
    log_info(LogCategory::Card, "card gone: ", reason);
    gone_observers_.notify(reason);
    pump();
}

void Daemon::on_transport_failure(const std::string& why) {
    ++transport_failures_;
    ++card_generation_;  // whatever answer comes for this card session is stale now
    if (session_) session_->card_removed();
    if (transport_failures_ > kMaxTransportFailures) {
        log_error(LogCategory::Card, "APDU exchange failed: ", why, "; ", transport_failures_,
                  " failures in a row, waiting for the card to be re-inserted");
        card_state_ = CardState::Absent;
        registry_->card_removed();
        gone_observers_.notify(why);
        return;
    }
    // The card's state is unknown after a failed exchange: a reset starts a new card session
    // (card_ready follows, TERMINAL PROFILE first).
    log_warn(LogCategory::Card, "APDU exchange failed: ", why, "; resetting the card");
    link_->reset();
}

// --- the pump -----------------------------------------------------------------------------

void Daemon::pump() {
    if (in_pump_) {  // called from a handler, an observer or a synchronous transmit
        repump_ = true;
        return;
    }
    in_pump_ = true;
    do {
        repump_ = false;
        handle_events();
        drain_registry();
        if (session_ && link_ && !in_flight_ && !stopped_ && card_state_ == CardState::Powered) {
            if (auto apdu = session_->next_apdu(now())) send(*apdu);
        }
        handle_events();
    } while (repump_);
    arm_deadline();
    in_pump_ = false;
}

void Daemon::send(const cat::CommandApdu& apdu) {
    cat::Bytes bytes = apdu.encode();
    ++stats_.apdus;
    ++stats_.apdus_by_ins[ins_name(bytes)];
    if (apdu.ins == static_cast<std::uint8_t>(cat::Ins::TerminalResponse)) {
        // PRODUCT.md: delivery failures by cause = the '3A' answers the gateway gave.
        auto tr = cat::decode_terminal_response(apdu.data);
        if (tr && tr->result.general ==
                      static_cast<std::uint8_t>(cat::GeneralResult::BearerIndependentProtocolError)) {
            const std::uint8_t cause = tr->result.additional.empty() ? 0 : tr->result.additional[0];
            const auto name = cat::name_of(static_cast<cat::BipCause>(cause));
            ++stats_.delivery_failures[hex2(cause) + (name.empty() ? "" : " " + std::string(name))];
        }
    }
    in_flight_ = true;
    const std::uint64_t generation = card_generation_;
    const auto sent = SystemClock::now();
    const auto started = SteadyClock::now();
    cat::Bytes copy = bytes;
    link_->transmit(std::move(bytes),
                    [this, generation, copy = std::move(copy), sent, started](TransmitResult r) {
                        on_transmit_done(generation, copy, sent, started, std::move(r));
                    });
}

void Daemon::on_transmit_done(std::uint64_t generation, const cat::Bytes& command,
                              SystemClock::time_point sent, SteadyClock::time_point started,
                              TransmitResult result) {
    in_flight_ = false;
    ApduRecord record;
    record.time = sent;
    record.command = command;
    record.link = link_ ? link_->name() : "";
    if (result.ok) {
        record.response = result.response;
    } else {
        record.error = result.error;
    }
    publish(record);
    if (stopped_) return;
    if (generation != card_generation_) {
        log_debug(LogCategory::Card, "answer from a previous card session ignored");
        pump();
        return;
    }
    if (!result.ok) {
        ++stats_.transmit_errors;
        if (result.card_gone) {
            on_card_gone(result.error);
        } else {
            on_transport_failure(result.error);
        }
        pump();
        return;
    }
    auto response = cat::ResponseApdu::parse(result.response);
    if (!response) {
        ++stats_.transmit_errors;
        on_transport_failure("R-APDU of " + std::to_string(result.response.size()) + " byte(s), no SW1 SW2");
        pump();
        return;
    }
    transport_failures_ = 0;
    log_trace(LogCategory::Card, "exchange took ",
              std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started).count(),
              " us");
    session_->on_response(*response, now());
    pump();
}

void Daemon::publish(const ApduRecord& record) {
    if (Logger::instance().enabled(LogCategory::Card, LogLevel::Debug)) {
        log_debug(LogCategory::Card, trace_text(record));
    }
    if (traces_ && !traces_->empty()) traces_->write(record);
    if (debug_server_ && debug_server_->has_trace_clients()) debug_server_->publish_apdu(record);
    apdu_observers_.notify(record);
}

void Daemon::handle_events() {
    while (session_) {
        auto events = session_->take_events();
        if (events.empty()) return;
        for (const auto& event : events) handle_event(event);
    }
}

void Daemon::handle_event(const cat::SessionEvent& event) {
    std::visit(
        Overloaded{
            [&](const cat::ProfileDownloaded& e) {
                log_info(LogCategory::Cat,
                         e.reinitialisation ? "TERMINAL PROFILE sent again (" : "TERMINAL PROFILE sent (",
                         cat::to_hex(terminal_profile_), "): ", cat::describe_sw(e.sw.sw1, e.sw.sw2));
                // After a REFRESH's re-initialisation the Terminal Applications go again
                // (clause 7: registration follows the profile download).
                if (e.reinitialisation) registry_->toolkit_reinitialised();
            },
            [&](const cat::ProactiveCommandReceived& e) {
                ++stats_.proactive_commands[command_name(e.details.type)];
                if (!e.decoded) ++stats_.undecodable_commands;
                log_info(LogCategory::Cat, cat::describe(event));
            },
            [&](const cat::TerminalResponseSent& e) {
                ++stats_.terminal_responses[hex2(e.general_result)];
                log_info(LogCategory::Cat, cat::describe(event));
            },
            [&](const cat::EnvelopeDone& e) {
                if (registry::is_registry_envelope(e.id)) registry_->on_envelope_done(e.id, e.sw);
                if (auto t = tracked_.find(e.id); t != tracked_.end()) {
                    t->second.state = "done";
                    t->second.sw = e.sw;
                    t->second.data = e.data;
                }
                const auto it = envelope_kinds_.find(e.id);
                ++stats_.envelopes_done[it != envelope_kinds_.end() ? it->second : "unknown"];
                if (it != envelope_kinds_.end()) envelope_kinds_.erase(it);
                log_debug(LogCategory::Cat, cat::describe(event));
            },
            [&](const cat::EnvelopeBusy& e) {
                if (registry::is_registry_envelope(e.id)) registry_->on_envelope_busy(e.id);
                if (auto t = tracked_.find(e.id); t != tracked_.end()) {
                    t->second.state = "busy";
                    ++t->second.busy_retries;
                }
                ++stats_.busy_retries;
                log_debug(LogCategory::Cat, cat::describe(event));
            },
            [&](const cat::EnvelopeFailed& e) {
                if (registry::is_registry_envelope(e.id)) registry_->on_envelope_failed(e.id, e.reason, e.sw);
                if (auto t = tracked_.find(e.id); t != tracked_.end()) {
                    t->second.state = "failed";
                    t->second.sw = e.sw;
                    t->second.reason = std::string(cat::name_of(e.reason));
                }
                ++stats_.envelopes_failed[std::string(cat::name_of(e.reason))];
                envelope_kinds_.erase(e.id);
                log_warn(LogCategory::Cat, cat::describe(event));
            },
            [&](const cat::CardError& e) {
                ++stats_.card_errors;
                log_warn(LogCategory::Cat, cat::describe(event));
                // "auto": a 2G SIM does not know class '80' and says so to TERMINAL PROFILE
                // ('6E 00' class not supported, TS 102 221 10.2.1.6): speak 'A0' to it.
                if (e.ins == cat::Ins::TerminalProfile && e.sw && e.sw->sw1 == 0x6E &&
                    config_.card.card_class == CardClass::Auto && class_mode_ == cat::ClassMode::Uicc) {
                    log_info(LogCategory::Card, "the card refuses class '80': a 2G SIM, using class 'A0'");
                    class_mode_ = cat::ClassMode::Sim;
                    make_session();
                    session_->power_on();
                    repump_ = true;
                }
            },
            [&](const cat::HandlerTimedOut&) {
                ++stats_.handler_timeouts;
                log_warn(LogCategory::Cat, cat::describe(event));
            },
            [&](const cat::CompletionIgnored&) {
                ++stats_.completions_ignored;
                log_debug(LogCategory::Cat, cat::describe(event));
            },
        },
        event);
    session_observers_.notify(event);
}

void Daemon::arm_deadline() {
    std::optional<cat::TimePoint> deadline = session_ ? session_->next_deadline() : std::nullopt;
    if (registry_ && card_state_ == CardState::Powered && !stopped_) {
        if (const auto r = registry_->next_deadline(now()); r && (!deadline || *r < *deadline)) deadline = r;
    }
    if (deadline == armed_deadline_) return;
    armed_deadline_ = deadline;
    if (!deadline) {
        deadline_timer_.cancel();
        return;
    }
    deadline_timer_.expires_at(*deadline);
    deadline_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopped_) return;
        armed_deadline_.reset();
        if (session_) session_->on_tick(now());
        pump();
    });
}

// --- debug socket data --------------------------------------------------------------------

nlohmann::json Daemon::status_json() const {
    using nlohmann::json;
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(SteadyClock::now() - started_at_);
    json card = {
        {"state", name_of(card_state_)},
        {"link", link_ ? link_->name() : std::string(name_of(config_.card.link))},
        {"class", class_mode_ == cat::ClassMode::Sim ? "sim" : "uicc"},
        {"terminal_profile", cat::to_hex(terminal_profile_)},
    };
    if (card_info_) {
        card["reader"] = card_info_->reader;
        card["protocol"] = card_info_->protocol;
        card["atr"] = cat::to_hex(card_info_->atr);
    } else {
        card["reader"] = config_.card.reader;
        card["protocol"] = nullptr;
        card["atr"] = nullptr;
    }
    if (card_state_ == CardState::Powered) {
        card["powered_s"] =
            std::chrono::duration_cast<std::chrono::seconds>(SteadyClock::now() - card_since_).count();
        json events = json::array();
        for (const auto e : event_list()) {
            const auto name = cat::name_of(static_cast<cat::EventType>(e));
            events.push_back(name.empty() ? hex2(e) : std::string(name));
        }
        card["events"] = events;
        const auto interval = poll_interval();
        card["poll_interval_ms"] = interval ? json(interval->count()) : json(nullptr);
    }
    json session = nullptr;
    if (session_ && card_state_ == CardState::Powered) {
        session = {{"apdu_outstanding", session_->apdu_outstanding()},
                   {"awaiting_handler", session_->awaiting_handler()},
                   {"queued_envelopes", session_->queued_envelopes()}};
    }
    json out = {
        {"version", DMSC_VERSION},
        {"config", config_.path},
        {"uptime_s", uptime.count()},
        {"card", card},
        {"session", session},
        {"counters",
         {{"apdus", stats_.apdus},
          {"proactive_commands", sum(stats_.proactive_commands)},
          {"terminal_responses", sum(stats_.terminal_responses)},
          {"envelopes", sum(stats_.envelopes_queued)},
          {"busy_retries", stats_.busy_retries},
          {"errors", stats_.transmit_errors + stats_.card_errors + stats_.handler_timeouts},
          {"cards_ready", stats_.cards_ready},
          {"cards_gone", stats_.cards_gone}}},
    };
    for (const auto& [key, provider] : status_providers_) out[key] = provider();
    return out;
}

void Daemon::add_status_provider(std::string key, std::function<nlohmann::json()> provider) {
    status_providers_[std::move(key)] = std::move(provider);
}

nlohmann::json Daemon::stats_json() const {
    return {
        {"apdus",
         {{"total", stats_.apdus},
          {"by_ins", stats_.apdus_by_ins},
          {"transmit_errors", stats_.transmit_errors}}},
        {"proactive_commands",
         {{"by_type", stats_.proactive_commands}, {"undecodable", stats_.undecodable_commands}}},
        {"terminal_responses", {{"by_result", stats_.terminal_responses}}},
        {"envelopes",
         {{"queued", stats_.envelopes_queued},
          {"done", stats_.envelopes_done},
          {"failed", stats_.envelopes_failed},
          {"refused", stats_.envelopes_refused},
          {"dropped", registry_->envelopes_dropped()},
          {"waiting", registry_->envelopes_waiting()},
          {"busy_retries", stats_.busy_retries}}},
        {"delivery_failures", stats_.delivery_failures},
        {"errors",
         {{"card", stats_.card_errors},
          {"transmit", stats_.transmit_errors},
          {"handler_timeouts", stats_.handler_timeouts},
          {"completions_ignored", stats_.completions_ignored}}},
        {"card",
         {{"ready", stats_.cards_ready},
          {"gone", stats_.cards_gone},
          {"status_polls", stats_.status_polls},
          {"refresh_resets", stats_.refresh_resets},
          {"refresh_reinitialisations", stats_.refresh_reinitialisations}}},
        {"config", {{"reloads", stats_.reloads}, {"reload_failures", stats_.reload_failures}}},
        {"package0", {{"seen", stats_.package0_seen}, {"dropped", stats_.package0_dropped}}},
    };
}

}  // namespace dmsc::gateway
