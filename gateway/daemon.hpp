// gateway/daemon.hpp — dmsc::gateway::Daemon: the composition root of dmsc-gatewayd. Owns the
// io_context, the configuration, the card link and the cat::Session, pumps APDUs between them
// (docs/daemon.md), answers the proactive commands the gateway handles itself, counts, and
// offers hooks to the other layers (command handlers, ENVELOPEs, APDU/card/session observers).
#pragma once

// GCC 12 at -O2 sees a "potential null pointer dereference" inside Asio's own scheduler
// (scheduler.ipp, compensating_work_started) when boost is not a system include directory.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cat/session.hpp"
#include "gateway/card_link.hpp"
#include "gateway/config.hpp"
#include "gateway/privileges.hpp"
#include "gateway/trace.hpp"
#include "registry/registry.hpp"

namespace dmsc::gateway {

class EemService;

class DebugServer;
class BipSockets;

// Counters for the debug socket's `stats` (PRODUCT.md) and the logs. Keys of the maps are
// names: INS and command types as the spec spells them ("FETCH", "OPEN CHANNEL"), results as
// two hex digits ("00", "3A"), ENVELOPE kinds as described ("event download (data available)").
struct Stats {
    std::uint64_t apdus = 0;
    std::map<std::string, std::uint64_t> apdus_by_ins;
    std::uint64_t transmit_errors = 0;
    std::map<std::string, std::uint64_t> proactive_commands;  // by command type
    std::uint64_t undecodable_commands = 0;                   // answered '32'/'36' by the session
    std::map<std::string, std::uint64_t> terminal_responses;  // by general result
    std::map<std::string, std::uint64_t> delivery_failures;   // '3A' answers by BIP cause
    std::map<std::string, std::uint64_t> envelopes_queued;    // by kind
    std::map<std::string, std::uint64_t> envelopes_done;      // by kind
    std::map<std::string, std::uint64_t> envelopes_failed;    // by reason
    std::uint64_t envelopes_refused = 0;                      // queue_envelope() said no
    std::uint64_t busy_retries = 0;                           // '93 00' to an ENVELOPE
    std::uint64_t card_errors = 0;                            // cat::CardError events
    std::uint64_t handler_timeouts = 0;
    std::uint64_t completions_ignored = 0;
    std::uint64_t status_polls = 0;
    std::uint64_t refresh_resets = 0;             // REFRESH UICC reset: card reset by the link
    std::uint64_t refresh_reinitialisations = 0;  // REFRESH NAA init: TERMINAL PROFILE again
    std::uint64_t cards_ready = 0;
    std::uint64_t cards_gone = 0;
    std::uint64_t reloads = 0;
    std::uint64_t reload_failures = 0;
    std::uint64_t package0_seen = 0;     // Terminal Server Mode deliveries recognised as a Package#0
    std::uint64_t package0_dropped = 0;  // of which not delivered (bad digest, drop_bad_digest)
};

enum class CardState : std::uint8_t { Absent, Powered };
std::string_view name_of(CardState state);  // "absent", "powered"

using DaemonLinkFactory = std::function<std::unique_ptr<CardLink>(boost::asio::io_context&, const Config&)>;

struct DaemonOptions {
    // Tests (or a future backend) supply the card link; empty = chosen by card.link.
    DaemonLinkFactory link_factory;
    // SIGTERM/SIGINT stop, SIGHUP reloads. Off for tests that run several daemons.
    bool handle_signals = true;
    // -v / --log-level: applied on top of [log] now and after every reload.
    std::string log_spec;
};

class Daemon {
public:
    using LinkFactory = DaemonLinkFactory;
    using Options = DaemonOptions;
    using ObserverId = std::uint64_t;
    using ApduObserver = std::function<void(const ApduRecord&)>;  // every exchange, ok or not
    using SessionObserver = std::function<void(const cat::SessionEvent&)>;
    struct CardObserver {
        std::function<void(const CardInfo&)> ready;    // after TERMINAL PROFILE is queued
        std::function<void(const std::string&)> gone;  // reason
    };
    // After a successful reload: the old and the new configuration.
    using ReloadObserver = std::function<void(const Config& before, const Config& after)>;

    explicit Daemon(Config config, Options options = {});
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Start-up, in order: trace sinks, debug socket, card link, then waiting for a card.
    // Throws std::runtime_error with a message for the operator when a step fails.
    void start();
    // Runs the loop until stop(); returns the exit code (0 after a clean stop).
    int run();
    // Stop observers (BIP closes channels), session and link stopped, card powered down,
    // loop left. Idempotent; also what SIGTERM/SIGINT do.
    void stop();
    bool stopped() const { return stopped_; }
    // SIGHUP: re-reads the file the config came from; on any error the running configuration
    // stays and the errors are logged. True when the new one was applied.
    bool reload();
    bool reload_from(const std::string& path);

    boost::asio::io_context& io() { return io_; }
    const Config& config() const { return config_; }
    const Stats& stats() const { return stats_; }
    CardState card_state() const { return card_state_; }
    const std::optional<CardInfo>& card_info() const { return card_info_; }
    const cat::Bytes& terminal_profile() const { return terminal_profile_; }
    cat::ClassMode class_mode() const { return class_mode_; }
    // The card's event list from its last SET UP EVENT LIST (cleared at power-on).
    const std::vector<std::uint8_t>& event_list() const { return registry_->events().registered(); }
    // Terminal Applications, event list, timers, polling (registry/), built from the config.
    registry::Registry& registry() { return *registry_; }
    const registry::Registry& registry() const { return *registry_; }
    // The BIP engine and its sockets, listeners and launches (docs/bip.md, the daemon adapter).
    const BipSockets& bip() const { return *bip_; }
    BipSockets& bip() { return *bip_; }  // set_delivery_hook (the Package#0 inspector)
    // Current STATUS polling interval; nullopt while polling is off.
    std::optional<std::chrono::milliseconds> poll_interval() const;

    // --- hooks for the other layers (all on the loop thread) ---
    // Handles a proactive command type (replaces the gateway's own handler for it, if any).
    void set_handler(cat::CommandType type, cat::Handler handler);
    // Queues an ENVELOPE (whole BER-TLV); its id comes back in EnvelopeDone/EnvelopeFailed to
    // session observers. nullopt when refused (no card, queue full, too long).
    std::optional<cat::EnvelopeId> queue_envelope(cat::Bytes ber);
    // The TERMINAL RESPONSE of a command whose handler answered cat::Pending.
    bool complete(std::uint8_t command_number, cat::TerminalResponse response);
    // A STATUS as soon as the card is idle (wake-up).
    void request_status();
    // SMS-PP data download (TS 102 223 clause 7.1): the ENVELOPE ('D1': device identities
    // network → UICC, the optional service centre address (8.1 value: TON/NPI + BCD), the
    // SMS-DELIVER TPDU) is queued and tracked: envelope_result(id) says what the card
    // answered. nullopt when refused (no card, queue full, longer than 255 bytes).
    std::optional<cat::EnvelopeId> sms_pp_download(cat::Bytes address, cat::Bytes tpdu);
    // A tracked ENVELOPE (SMS-PP): {"envelope", "kind", "state": queued|busy|done|failed,
    // "sw", "data", "reason", "busy_retries"}; null when unknown (the last 64 are kept).
    nlohmann::json envelope_result(cat::EnvelopeId id) const;

    ObserverId add_apdu_observer(ApduObserver observer);
    ObserverId add_session_observer(SessionObserver observer);
    ObserverId add_card_observer(CardObserver observer);
    ObserverId add_reload_observer(ReloadObserver observer);
    ObserverId add_stop_observer(std::function<void()> observer);
    // Start-up steps that need root (the EEM TAP device, ...): start() runs them after the
    // trace sinks and the debug socket and before the privilege drop ([daemon] user,
    // docs/operations.md), then starts the card link unprivileged. Register before start();
    // a step that throws stops the start-up with "NAME: what".
    void add_privileged_step(std::string name, std::function<void()> step);
    // The account start() switched to; nullopt when daemon.user is "".
    const std::optional<RunAs>& run_as() const { return run_as_; }
    void remove_observer(ObserverId id);

    // The debug socket (nullptr when debug.socket = "" or before start()): other layers add
    // their commands (channels, apps, events, timers, event) with add_command().
    DebugServer* debug_server() { return debug_server_.get(); }
    // Debug socket data (PRODUCT.md "Debug socket"); the server adds {"ok": true}.
    nlohmann::json status_json() const;
    nlohmann::json stats_json() const;
    // Adds status_json()[key] = provider() (USB interfaces, EEM counters...).
    void add_status_provider(std::string key, std::function<nlohmann::json()> provider);

private:
    template <class F>
    struct Observers {
        std::vector<std::pair<ObserverId, F>> list;
        template <class... Args>
        void notify(const Args&... args) const {
            const auto copy = list;  // an observer may add or remove observers
            for (const auto& [id, f] : copy) {
                if (f) f(args...);
            }
        }
    };

    void make_session();
    void register_own_handlers();
    void on_card_ready(const CardInfo& info);
    void on_card_gone(const std::string& reason);
    void pump();
    void send(const cat::CommandApdu& apdu);
    void on_transmit_done(std::uint64_t generation, const cat::Bytes& command,
                          std::chrono::system_clock::time_point sent,
                          std::chrono::steady_clock::time_point started, TransmitResult result);
    void on_transport_failure(const std::string& why);
    void handle_events();
    void handle_event(const cat::SessionEvent& event);
    void arm_deadline();
    void register_registry_commands(DebugServer& server);
    void drain_registry();
    bool queue_envelope_as(cat::Bytes ber, cat::EnvelopeId id);
    void wait_signals();
    void start_traces();
    // BipSockets' delivery hook: Package#0 inspection, log, trace note; false = drop.
    bool inspect_delivery_bytes(const std::string& application, const std::string& endpoint,
                                cat::ByteView data);
    void start_debug_socket();
    void start_card_link();
    void open_privileged_then_drop();
    void apply_log_settings() const;
    void publish(const ApduRecord& record);

    boost::asio::io_context io_;
    Config config_;
    Options options_;
    boost::asio::steady_timer deadline_timer_;
    std::optional<cat::TimePoint> armed_deadline_;
    boost::asio::signal_set signals_;

    std::optional<RunAs> run_as_;
    std::vector<std::pair<std::string, std::function<void()>>> privileged_steps_;
    std::unique_ptr<TraceWriter> traces_;
    std::unique_ptr<DebugServer> debug_server_;
    std::unique_ptr<CardLink> link_;
    std::string link_reason_;  // why this card link (card.link, or what "auto" found)
    std::unique_ptr<cat::Session> session_;
    std::map<std::uint8_t, cat::Handler> handlers_;
    cat::Bytes terminal_profile_;
    cat::ClassMode class_mode_ = cat::ClassMode::Uicc;

    CardState card_state_ = CardState::Absent;
    std::optional<CardInfo> card_info_;
    std::chrono::steady_clock::time_point card_since_;
    std::uint64_t card_generation_ = 0;  // bumped at every card_ready / card_gone
    bool in_flight_ = false;
    bool in_pump_ = false;
    bool repump_ = false;
    unsigned transport_failures_ = 0;  // in a row; reset by any good exchange

    std::unique_ptr<registry::Registry> registry_;
    std::unique_ptr<BipSockets> bip_;  // after registry_: its port lookup reads the registry

    cat::EnvelopeId next_envelope_id_ = 1;
    std::map<cat::EnvelopeId, std::string> envelope_kinds_;
    // ENVELOPEs whose outcome a caller asks for later (SMS-PP data download), oldest first.
    struct TrackedEnvelope {
        std::string kind;
        std::string state = "queued";  // queued | busy | done | failed
        std::optional<cat::StatusWord> sw;
        cat::Bytes data;
        std::string reason;
        std::uint64_t busy_retries = 0;
    };
    std::map<cat::EnvelopeId, TrackedEnvelope> tracked_;
    std::vector<cat::EnvelopeId> tracked_order_;

    ObserverId next_observer_ = 1;
    Observers<ApduObserver> apdu_observers_;
    Observers<SessionObserver> session_observers_;
    Observers<std::function<void(const CardInfo&)>> ready_observers_;
    Observers<std::function<void(const std::string&)>> gone_observers_;
    Observers<ReloadObserver> reload_observers_;
    Observers<std::function<void()>> stop_observers_;

    std::map<std::string, std::function<nlohmann::json()>> status_providers_;
    std::unique_ptr<EemService> eem_;  // [eem] enabled: TAP + EEM bridge (docs/usb.md)

    Stats stats_;
    std::chrono::steady_clock::time_point started_at_;
    bool started_ = false;
    bool stopped_ = false;
    int exit_code_ = 0;
};

// Builds the card link the configuration asks for (throws std::runtime_error when this build
// lacks it).
std::unique_ptr<CardLink> make_card_link(boost::asio::io_context& io, const Config& config);

}  // namespace dmsc::gateway
