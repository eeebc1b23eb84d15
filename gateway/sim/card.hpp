// gateway/sim/card.hpp — the simulated UICC: a DM_SC Server card model that answers C-APDUs
// like a UICC with a CAT applet (TS 102 221 clause 10-11, TS 102 223), driven by a Scenario,
// keeping a log and a verdict. Pure and deterministic: time is passed in, never read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/objects.hpp"
#include "cat/session.hpp"
#include "gateway/sim/dm_server.hpp"
#include "gateway/sim/scenario.hpp"
#include "gateway/sim/scws.hpp"

namespace dmsc::gateway::sim {

struct LogEntry {
    std::uint64_t apdu = 0;  // number of the APDU it happened at (0: at power-on)
    std::string text;
};

struct Verdict {
    bool passed = false;             // no failed expectation and at least one run completed
    std::size_t runs_completed = 0;  // times every step was done (a run restarts at power-on)
    std::size_t steps_done = 0;      // in the current run
    std::size_t steps_total = 0;
    std::vector<std::string> failures;
    // "PASS: default (5/5 steps, 1 run completed)" or "FAIL: ..." with one failure per line.
    std::string describe() const;
};

class Card {
public:
    explicit Card(Scenario scenario);
    ~Card();
    Card(const Card&) = delete;
    Card& operator=(const Card&) = delete;

    // Cold or warm reset (TS 102 221 clause 6.2): returns the ATR. A new run of the scenario
    // starts (step 1 armed); registrations, channels and pending commands are forgotten.
    cat::Bytes power_on(cat::TimePoint now);
    void power_off();
    bool powered() const { return powered_; }

    // One C-APDU → its R-APDU (data + SW1 SW2). Never throws; a malformed APDU gets the ISO
    // status word for it ('67 00', '6E 00', '6D 00' ...).
    cat::Bytes process(cat::ByteView command, cat::TimePoint now);

    const cat::Bytes& atr() const { return atr_; }
    std::string_view protocol() const { return scenario_.card.t0 ? "T=0" : "T=1"; }
    const Scenario& scenario() const { return scenario_; }

    Verdict verdict() const;
    const std::vector<LogEntry>& log() const { return log_; }
    // What the terminal told the card in this card session.
    const cat::Bytes& terminal_profile() const { return profile_; }
    const std::vector<cat::RegistryApplicationData>& applications() const { return apps_; }
    const std::vector<std::uint8_t>& events_received() const { return events_; }
    // Channel data of every RECEIVE DATA answer for `channel` this card session, in order.
    cat::Bytes channel_data_received(std::uint8_t channel) const;
    // The step the card is at (== steps.size() once the run is complete).
    std::size_t current_step() const { return cursor_; }
    bool proactive_pending() const { return pending_.has_value(); }
    std::uint64_t apdu_count() const { return apdus_; }
    // The Smart Card Web Server ([scws] in the scenario), nullptr without one. Add HTTP routes
    // here (gateway/sim/scws.hpp); only touch it on the thread that drives the card.
    Scws* scws() { return scws_.get(); }
    const Scws* scws() const { return scws_.get(); }
    // The DM_SC Server's DM 2.0 session ([dm_server] in the scenario), nullptr without one.
    const DmServer* dm_server() const { return dm_server_.get(); }

private:
    enum class StepState : std::uint8_t { Waiting, Due, Issued };
    // Who issued a proactive command: the scenario's current step or the SCWS agent. The card
    // has one command at a time (TS 102 223 clause 6.2); the two take turns (tick()).
    enum class Owner : std::uint8_t { Scenario, Scws };
    struct Outstanding {
        cat::CommandDetails details;
        std::uint8_t type = 0;
        Owner owner = Owner::Scenario;
    };
    struct Apdu;

    cat::Bytes dispatch(const Apdu& a, cat::TimePoint now, std::uint16_t& sw);
    cat::Bytes on_terminal_profile(const Apdu& a, cat::TimePoint now, std::uint16_t& sw);
    cat::Bytes on_fetch(const Apdu& a, std::uint16_t& sw);
    cat::Bytes on_terminal_response(const Apdu& a, cat::TimePoint now, std::uint16_t& sw);
    cat::Bytes on_envelope(const Apdu& a, cat::TimePoint now, std::uint16_t& sw);
    cat::Bytes on_status(const Apdu& a, cat::TimePoint now, std::uint16_t& sw);
    cat::Bytes on_get_response(const Apdu& a, std::uint16_t& sw);

    void restart_run(cat::TimePoint now);
    void arm_current(cat::TimePoint now);
    void condition(TriggerKind kind, std::uint8_t code, cat::TimePoint now);
    void tick(cat::TimePoint now);
    void fire(cat::TimePoint now);
    void step_done(cat::TimePoint now);
    std::vector<cat::Bytes> render(const Step& step);
    void check_response(const Step& step, const cat::TerminalResponse& tr, const Outstanding& out);
    void check_application_expectation(const Step& step);
    void scws_response(const cat::Bytes& data, const Outstanding& out);
    void absorb_scws_log();
    bool receive_more(const Step& step, const cat::TerminalResponse& tr);

    std::uint8_t next_number();
    void note(std::string text);
    void fail(std::string text);

    Scenario scenario_;
    cat::Bytes atr_;
    bool powered_ = false;
    std::uint64_t apdus_ = 0;
    std::vector<LogEntry> log_;
    std::vector<std::string> failures_;
    std::size_t runs_completed_ = 0;
    std::size_t passes_ = 0;  // runs completed since power-on (Scenario::repeat)

    // Card session state (cleared at power-on).
    cat::Bytes profile_;
    bool profile_seen_ = false;
    bool apps_complete_ = false;
    std::vector<cat::RegistryApplicationData> apps_;
    std::vector<std::uint8_t> events_;
    std::size_t busy_left_ = 0;
    cat::Bytes get_response_;
    std::optional<std::uint8_t> last_channel_;
    std::uint8_t number_ = 0;

    // Scenario progress.
    std::size_t cursor_ = 0;
    StepState state_ = StepState::Waiting;
    cat::TimePoint due_at_{};
    std::vector<cat::Bytes> commands_;  // the current step's commands (SEND DATA may be split)
    std::size_t command_index_ = 0;
    std::vector<ScwsListener> open_listeners_;  // scws_open: the listener of each command
    std::optional<cat::Bytes> scenario_next_;   // the step's next command, not yet pending
    std::optional<cat::Bytes> pending_;         // ready, not yet fetched
    Owner pending_owner_ = Owner::Scenario;
    Owner last_owner_ = Owner::Scenario;
    std::optional<Outstanding> outstanding_;  // fetched, awaiting its TERMINAL RESPONSE

    std::unique_ptr<Scws> scws_;
    std::unique_ptr<DmServer> dm_server_;
    // receive_data with `total`: what the step received so far; waiting for Data available.
    cat::Bytes step_received_;
    bool awaiting_data_ = false;
    std::map<std::uint8_t, cat::Bytes> received_;  // per channel, this card session
};

}  // namespace dmsc::gateway::sim
