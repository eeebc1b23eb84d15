// registry/applications.hpp — the Terminal Applications registry (class "k"): the configured
// applications, their validation, the ENVELOPE (Terminal Applications) that registers them with
// the card (TS 102 223 clause 7.x 'DC', registry application data clause 8.71), the
// registration state per card session, and the port lookup bip/ needs for OPEN CHANNEL in
// Terminal Server Mode.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/objects.hpp"
#include "cat/session.hpp"
#include "registry/expected.hpp"
#include "registry/outbox.hpp"

namespace dmsc::registry {

// Application type of the registry application data: '07' = DM Client (OMA DM_SC, seed 000
// section 7.1 step 1).
inline constexpr std::uint8_t kDmClientType = 0x07;

// Data coding scheme of the name (clause 8.71): '04' GSM default alphabet 8-bit, '08' UCS2.
enum class NameCoding : std::uint8_t { Gsm7 = 0x04, Ucs2 = 0x08 };
std::string_view name_of(NameCoding coding);  // "gsm7" | "ucs2"

// One [[application]] of the config. `deliver` and `launch` are opaque here (the daemon's).
struct ApplicationConfig {
    std::string name;  // UTF-8
    std::uint8_t type = kDmClientType;
    std::uint16_t port = 0;
    NameCoding coding = NameCoding::Gsm7;
    std::string deliver;  // "tcp://127.0.0.1:1100", "unix:/path" ...
    std::string launch;   // command line, "" = none
    std::chrono::milliseconds launch_timeout{5'000};
    bool operator==(const ApplicationConfig&) const = default;
};

// The name coded for the card. Errors: empty name, invalid UTF-8, a character without a GSM
// 7-bit coding (named, with its position), a character outside UCS2, a name too long for one
// ENVELOPE.
Expected<cat::Bytes> encode_name(std::string_view name, NameCoding coding);
// The registry application data object of one application (after encode_name).
Expected<cat::RegistryApplicationData> registry_data(const ApplicationConfig& app);
// Every application checked, and the set as a whole: port 0, duplicate ports. The message names
// the application by index and name: `application[1] "Other": port 1100 is already used by
// application[0] "DM Client"; each application needs its own port`.
Expected<std::vector<cat::RegistryApplicationData>> validate(const std::vector<ApplicationConfig>& apps);

// Where the registration of the current set stands in this card session.
enum class RegistrationState : std::uint8_t {
    NotSent,   // nothing sent in this card session (or the set changed and is not sent yet)
    Sent,      // queued / sent, no answer yet
    Busy,      // the card answered '93 00'; cat::Session resends it after back-off
    Accepted,  // every ENVELOPE answered '90 00' / '91 XX' (or a '62'/'63' warning)
    Rejected,  // the card refused one (SW kept); not retried until the next card session/reload
};
std::string_view name_of(RegistrationState state);

struct ApplicationsSnapshot {
    struct App {
        std::string name;
        std::uint8_t type = 0;
        std::uint16_t port = 0;
        std::string coding;  // "gsm7" | "ucs2"
        std::string deliver;
        std::string launch;
        bool registered = false;  // in the registration sent to this card session
    };
    std::vector<App> apps;
    RegistrationState state = RegistrationState::NotSent;
    std::optional<cat::StatusWord> last_sw;  // the card's answer that set `state`
    std::size_t envelopes = 0;               // ENVELOPEs of the last registration
    std::uint32_t registrations = 0;         // registrations sent since start
    std::string detail;                      // "rejected: SW 6F 00" ...
};

class TerminalApplications {
public:
    // Replaces the configured set (start-up, SIGHUP reload). On error nothing changes. Returns
    // whether the set changed as the card sees it (names, ports, types, codings) — then the
    // registration must be sent again.
    Expected<bool> configure(std::vector<ApplicationConfig> apps);
    const std::vector<ApplicationConfig>& applications() const { return apps_; }

    // Queues the ENVELOPE(s) (Terminal Applications) for the current set into `out` and marks
    // the registration Sent. An empty set sends one ENVELOPE with only "last envelope" (the
    // card forgets earlier applications).
    void send_registration(Outbox& out);
    // Card session over (removed, reset): nothing is registered any more.
    void card_session_ended();
    // After power-on / UICC reset / NAA initialisation (REFRESH) / a changed set: whether
    // send_registration() is due (state NotSent and there is something to tell the card).
    bool registration_due() const;

    // Feedback from cat::Session for this registry's ids; false when `id` is not one of ours.
    bool on_envelope_done(EnvelopeId id, cat::StatusWord sw);
    bool on_envelope_busy(EnvelopeId id);
    bool on_envelope_failed(EnvelopeId id, cat::FailReason reason, std::optional<cat::StatusWord> sw);

    RegistrationState state() const { return state_; }

    // The application registered on `port` in this card session (OPEN CHANNEL in Terminal
    // Server Mode must target such a port, else '3A' '10' port not available). A registration
    // counts once it is sent (the card may answer the ENVELOPE with '91 XX' and fetch the
    // OPEN CHANNEL before the daemon has read EnvelopeDone), and not after a refusal.
    const ApplicationConfig* find_registered(std::uint16_t port) const;

    ApplicationsSnapshot snapshot() const;

private:
    struct Pending {
        EnvelopeId id = 0;
        enum class State : std::uint8_t { Sent, Busy, Done } state = State::Sent;
    };
    void update_state();

    std::vector<ApplicationConfig> apps_;
    std::vector<ApplicationConfig> registered_;  // the set in the last registration sent
    std::vector<Pending> pending_;
    RegistrationState state_ = RegistrationState::NotSent;
    bool sent_this_session_ = false;
    std::optional<cat::StatusWord> last_sw_;
    std::string detail_;
    std::uint32_t registrations_ = 0;
};

}  // namespace dmsc::registry
