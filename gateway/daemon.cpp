// gateway/daemon.cpp — the start-up sequence, the card pump (cat::Session ↔ CardLink on the
// io_context), the gateway's own proactive command handlers, counters, signals and reload.
#include "gateway/daemon.hpp"

#include <algorithm>
#include <csignal>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <sys/stat.h>
#include <utility>
#include <variant>

#include "cat/describe.hpp"
#include "cat/profile.hpp"
#include "cat/response.hpp"
#include "dmsc_config.h"
#include "gateway/debug_server.hpp"
#include "gateway/features.hpp"
#include "gateway/sim/sim_link.hpp"
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

// The interval granted for a POLL INTERVAL, expressed as a duration (TS 102 223 8.8: unit +
// 1..255). The card's own unit first, so a granted request is echoed as it was asked.
cat::Duration duration_for(std::uint64_t ms, std::uint8_t preferred_unit) {
    constexpr std::uint64_t kUnitMs[] = {60'000, 1'000, 100};  // '00' minutes, '01' s, '02' 1/10 s
    std::vector<std::uint8_t> units{preferred_unit, 0x01, 0x02, 0x00};
    for (const auto unit : units) {
        if (unit > 0x02) continue;
        const std::uint64_t per = kUnitMs[unit];
        const std::uint64_t v = (ms + per - 1) / per;
        if (v >= 1 && v <= 255) return {unit, static_cast<std::uint8_t>(v)};
    }
    return {0x00, 255};
}

cat::TimePoint now() {
    return SteadyClock::now();
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
        case LinkKind::Iccd:
            break;
    }
    throw std::runtime_error(
        "card.link = \"iccd\": the USB ICCD link is not built yet; use \"pcsc\" or \"sim\"");
}

Daemon::Daemon(Config config, Options options)
    : config_(std::move(config)),
      options_(std::move(options)),
      deadline_timer_(io_),
      poll_timer_(io_),
      signals_(io_),
      terminal_profile_(cat::build_terminal_profile(gateway_features())),
      started_at_(SteadyClock::now()) {
    register_own_handlers();
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
    start_traces();
    start_debug_socket();
    start_card_link();
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
    auto server = std::make_unique<DebugServer>(io_, o);
    server->on_error([](const std::string& message) { log_warn(LogCategory::Ctl, message); });
    server->add_command(
        "status", [this](const nlohmann::json&) { return status_json(); },
        "card state, link, ATR, terminal profile, uptime, counters");
    server->add_command(
        "stats", [this](const nlohmann::json&) { return stats_json(); },
        "APDUs, proactive commands by type, TERMINAL RESPONSEs by result, ENVELOPEs by kind, errors");
    server->start();  // throws with the path and what to do
    // The server binds 0660; a stricter (or group-only) debug.mode is applied on top.
    if (config_.debug.mode != 0660 && ::chmod(config_.debug.socket.c_str(), config_.debug.mode) != 0) {
        log_warn(LogCategory::Ctl, "chmod ", config_.debug.socket, " failed; it stays 0660");
    }
    log_info(LogCategory::Ctl, "debug socket ", config_.debug.socket);
    debug_server_ = std::move(server);
}

void Daemon::start_card_link() {
    link_ = options_.link_factory ? options_.link_factory(io_, config_) : make_card_link(io_, config_);
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
    poll_timer_.cancel();
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    if (link_) {
        link_->stop();  // powers the card down; blocks until the card thread has ended
        log_info(LogCategory::Card, "card powered down");
    }
    card_state_ = CardState::Absent;
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
    if (!session_->queue_envelope(std::move(ber), id)) {
        ++stats_.envelopes_refused;
        log_warn(LogCategory::Cat, "ENVELOPE ", kind, " refused (queue full or longer than 255 bytes)");
        return std::nullopt;
    }
    ++stats_.envelopes_queued[kind];
    log_debug(LogCategory::Cat, "ENVELOPE #", id, " ", kind, " queued");
    envelope_kinds_[id] = std::move(kind);
    pump();
    return id;
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
    if (polling_off_ || poll_interval_ms_ == 0) return std::nullopt;
    return std::chrono::milliseconds(poll_interval_ms_);
}

// --- the gateway's own proactive command handlers ---------------------------------------------

void Daemon::register_own_handlers() {
    using cat::CommandType;
    using cat::GeneralResult;
    // TS 102 223 6.4.4: MORE TIME needs nothing but an answer.
    handlers_[static_cast<std::uint8_t>(CommandType::MoreTime)] = [](const cat::ProactiveCommand& cmd) {
        return cat::HandlerReply{cat::make_response(cmd.details, GeneralResult::Success)};
    };
    // TS 102 223 6.4.6: the terminal may use another interval than asked and says which.
    handlers_[static_cast<std::uint8_t>(CommandType::PollInterval)] =
        [this](const cat::ProactiveCommand& cmd) {
            const auto* body = std::get_if<cat::PollInterval>(&cmd.body);
            const cat::Duration asked = body != nullptr ? body->interval : cat::Duration{};
            const std::uint64_t wanted =
                std::max<std::uint64_t>(asked.milliseconds(), config_.card.poll_interval_min_ms);
            const cat::Duration used = duration_for(wanted, asked.unit);
            poll_interval_ms_ = static_cast<std::uint32_t>(used.milliseconds());
            polling_off_ = false;
            log_info(LogCategory::Cat, "POLL INTERVAL: asked ", asked.milliseconds(), " ms, polling every ",
                     poll_interval_ms_, " ms");
            arm_poll();
            return cat::HandlerReply{cat::poll_interval_response(cmd.details, used)};
        };
    // TS 102 223 6.4.8: no STATUS polling until the next POLL INTERVAL.
    handlers_[static_cast<std::uint8_t>(CommandType::PollingOff)] = [this](const cat::ProactiveCommand& cmd) {
        polling_off_ = true;
        poll_timer_.cancel();
        log_info(LogCategory::Cat, "POLLING OFF: STATUS polling stopped");
        return cat::HandlerReply{cat::make_response(cmd.details, GeneralResult::Success)};
    };
    // TS 102 223 6.4.16: the list replaces the previous one (an empty list removes all).
    handlers_[static_cast<std::uint8_t>(CommandType::SetUpEventList)] =
        [this](const cat::ProactiveCommand& cmd) {
            const auto* body = std::get_if<cat::SetUpEventList>(&cmd.body);
            event_list_ = body != nullptr ? body->events : std::vector<std::uint8_t>{};
            const auto supported = gateway_features().events;
            std::string names;
            for (const auto e : event_list_) {
                const auto name = cat::name_of(static_cast<cat::EventType>(e));
                names +=
                    (names.empty() ? "" : ", ") + (name.empty() ? "event " + hex2(e) : std::string(name));
                if (!supported.contains(static_cast<cat::EventType>(e))) {
                    log_warn(LogCategory::Cat, "SET UP EVENT LIST: the gateway never reports event ", hex2(e),
                             " ", name);
                }
            }
            log_info(LogCategory::Cat, "SET UP EVENT LIST: ", names.empty() ? std::string("(none)") : names);
            return cat::HandlerReply{cat::make_response(cmd.details, GeneralResult::Success)};
        };
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
    event_list_.clear();
    poll_interval_ms_ = config_.card.poll_interval_ms;
    polling_off_ = false;
    envelope_kinds_.clear();
    class_mode_ = config_.card.card_class == CardClass::Sim ? cat::ClassMode::Sim : cat::ClassMode::Uicc;
    // A fresh Session per card session: a previous card's queue, back-off or pending handler
    // must not leak into this one; card.* timing from a reload applies here.
    make_session();
    session_->power_on();
    log_info(LogCategory::Card, "card ready: ", info.link,
             info.reader.empty() ? "" : " \"" + info.reader + "\"", ", ", info.protocol, ", ATR ",
             cat::to_hex(info.atr));
    ready_observers_.notify(info);
    arm_poll();
    pump();
}

void Daemon::on_card_gone(const std::string& reason) {
    if (card_state_ == CardState::Absent) return;
    ++card_generation_;
    ++stats_.cards_gone;
    card_state_ = CardState::Absent;
    poll_timer_.cancel();
    if (session_) session_->card_removed();
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
        poll_timer_.cancel();
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
                log_info(LogCategory::Cat, "TERMINAL PROFILE sent (", cat::to_hex(terminal_profile_),
                         "): ", cat::describe_sw(e.sw.sw1, e.sw.sw2));
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
                const auto it = envelope_kinds_.find(e.id);
                ++stats_.envelopes_done[it != envelope_kinds_.end() ? it->second : "unknown"];
                if (it != envelope_kinds_.end()) envelope_kinds_.erase(it);
                log_debug(LogCategory::Cat, cat::describe(event));
            },
            [&](const cat::EnvelopeBusy&) {
                ++stats_.busy_retries;
                log_debug(LogCategory::Cat, cat::describe(event));
            },
            [&](const cat::EnvelopeFailed& e) {
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
    const std::optional<cat::TimePoint> deadline = session_ ? session_->next_deadline() : std::nullopt;
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

void Daemon::arm_poll() {
    poll_timer_.cancel();
    if (card_state_ != CardState::Powered || polling_off_ || poll_interval_ms_ == 0 || stopped_) return;
    const std::uint64_t generation = card_generation_;
    poll_timer_.expires_after(std::chrono::milliseconds(poll_interval_ms_));
    poll_timer_.async_wait([this, generation](const boost::system::error_code& ec) {
        if (ec || stopped_ || generation != card_generation_) return;
        ++stats_.status_polls;
        if (session_) session_->request_status();
        arm_poll();
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
        for (const auto e : event_list_) {
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
    return {
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
          {"busy_retries", stats_.busy_retries}}},
        {"delivery_failures", stats_.delivery_failures},
        {"errors",
         {{"card", stats_.card_errors},
          {"transmit", stats_.transmit_errors},
          {"handler_timeouts", stats_.handler_timeouts},
          {"completions_ignored", stats_.completions_ignored}}},
        {"card",
         {{"ready", stats_.cards_ready}, {"gone", stats_.cards_gone}, {"status_polls", stats_.status_polls}}},
        {"config", {{"reloads", stats_.reloads}, {"reload_failures", stats_.reload_failures}}},
    };
}

}  // namespace dmsc::gateway
