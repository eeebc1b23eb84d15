// gateway/sim/scenario.hpp — the simulated DM_SC Server's script: a TOML scenario file parsed
// into steps (trigger → proactive command → expectations on its TERMINAL RESPONSE), plus the
// DM Package#0 builders its SEND DATA payloads use. Format: docs/simulated-card.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/objects.hpp"
#include "cat/proactive.hpp"
#include "cat/session.hpp"
#include "cat/tlv.hpp"

namespace dmsc::gateway::sim {

// A scenario that cannot be used. what() is "file:line: key: problem; what to do".
class ScenarioError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// When a step fires. A step becomes current when the previous one is done (the first one at
// power-on); its trigger then waits for its condition, and the step fires at the first APDU
// at or after (condition time + delay): a card can only speak when the terminal sends
// something (TS 102 221 clause 7.4.2: '91 XX' is the card's only way to ask).
enum class TriggerKind : std::uint8_t {
    Profile,               // "profile": TERMINAL PROFILE received
    TerminalApplications,  // "terminal-applications": ENVELOPE 'DC' carrying "last envelope"
    Response,              // "response": the previous step's (last) TERMINAL RESPONSE
    Event,                 // "event:NAME": ENVELOPE (Event download) 'D6' for that event
    Timer,                 // "timer:N": ENVELOPE (Timer expiration) 'D7' for timer N
    Status,                // "status": a STATUS command
    Envelope,              // "envelope": any ENVELOPE
};

struct Trigger {
    TriggerKind kind = TriggerKind::Response;
    std::uint8_t code = 0;  // event code (Event) or timer id (Timer)
    cat::Milliseconds delay{0};
    std::string text;  // as written, for logs
};

enum class CommandKind : std::uint8_t {
    None,  // a step that only waits for its trigger (and checks what it carried)
    Raw,
    SetUpEventList,
    PollInterval,
    TimerManagement,
    MoreTime,
    PollingOff,
    OpenChannel,
    SendData,
    ReceiveData,
    CloseChannel,
    GetChannelStatus,
    Refresh,
    ProvideLocalInfo,
    ScwsOpen,  // the SCWS's UICC server mode channels ([scws]): one OPEN CHANNEL each
};
std::string_view name_of(CommandKind kind);

// TS 102 223 clause 6.4.27: the OPEN CHANNEL variants the card can issue.
enum class ChannelMode : std::uint8_t {
    TerminalServer,  // 6.4.27.7 class "k": UICC in client mode, local connection ('04'/'05')
    UiccServer,      // 6.4.27.5: TCP, UICC in server mode ('03')
    Client,          // 6.4.27.4: default bearer, UICC in client mode, remote ('01'/'02')
};

struct OpenChannelSpec {
    ChannelMode mode = ChannelMode::TerminalServer;
    bool tcp = true;
    std::optional<std::uint16_t> port;  // nullopt: the port an application of `app_type` registered
    std::uint8_t app_type = 0x07;       // DM Client (seed 000 section 7.1)
    std::uint16_t buffer_size = 1400;
    std::optional<cat::OtherAddress> destination;  // client mode: data destination address
};

struct CommandSpec {
    CommandKind kind = CommandKind::None;
    std::optional<std::uint8_t> qualifier;  // overrides the one the typed command implies
    std::optional<std::uint8_t> number;     // command number; default: counts up from 1
    std::optional<std::string> alpha;       // alpha identifier (GSM default alphabet, unpacked)
    cat::Bytes raw;                         // Raw: the whole 'D0' object
    std::vector<std::uint8_t> events;       // SetUpEventList
    cat::Duration duration;                 // PollInterval
    std::uint8_t timer_id = 1;              // TimerManagement
    cat::TimerManagement::Action timer_action = cat::TimerManagement::Action::Start;
    std::optional<cat::TimerValue> timer_value;
    OpenChannelSpec open;
    std::optional<std::uint8_t> channel;  // nullopt: the channel the last OPEN CHANNEL got
    cat::Bytes data;                      // SendData (split over several commands past `chunk`)
    std::size_t chunk = 200;
    bool immediate = true;  // SEND DATA qualifier bit 1 on the last chunk
    std::uint8_t length = 0;
    // ReceiveData: keep issuing RECEIVE DATA until this many bytes came (0 = one command);
    // when the Rx buffer is empty, wait for the next Data available event and go on.
    std::size_t total = 0;
    std::vector<cat::Bytes> files;  // Refresh file list (full paths)
};

// What the card checks in the TERMINAL RESPONSE (TS 102 223 clause 6.8). Command details
// echoed and device identities terminal → UICC are always checked.
struct Expectation {
    std::vector<std::uint8_t> results;  // any of these general results; empty: any result
    std::optional<cat::Bytes> additional;
    std::vector<cat::Ctlv> objects;  // each must be present (tag compared without CR)
    std::optional<std::uint16_t> buffer_size;
    std::optional<cat::Bytes> channel_data;  // RECEIVE DATA
    bool empty() const {
        return results.empty() && !additional && objects.empty() && !buffer_size && !channel_data;
    }
};

// What the card checks in the Registry application data of ENVELOPE (Terminal Applications).
struct ApplicationExpectation {
    std::optional<std::uint16_t> port;
    std::optional<std::uint8_t> type;
    std::optional<std::string> name;
};

struct Step {
    std::size_t index = 0;  // 0-based position in the file
    std::size_t line = 0;   // where the step's table starts
    std::string label;      // "step 3 (default.toml:22)" or the step's `name`
    Trigger trigger;
    CommandSpec command;
    Expectation expect;
    std::optional<ApplicationExpectation> expect_application;
};

// A TERMINAL PROFILE bit the scenario requires (TS 102 223 clause 5.2; bit 1 = LSB).
struct ProfileRequirement {
    std::uint8_t byte = 1;
    std::uint8_t bit = 1;
    std::string text;  // as written
};

struct CardSettings {
    cat::Bytes atr;                 // empty: kDefaultAtr
    bool t0 = false;                // "T=0": '61 XX' + GET RESPONSE for case-4 response data
    std::size_t envelope_busy = 0;  // answer '93 00' to the first N ENVELOPEs
};

// [scws]: the card's Smart Card Web Server over BIP UICC server mode (gateway/sim/scws.hpp,
// docs/simulated-card.md "SCWS"). A step with command = "scws_open" opens its channels.
struct ScwsSettings {
    bool enabled = false;             // a [scws] table is present
    std::uint16_t http_port = 3516;   // 0: no plain HTTP channels
    std::uint16_t https_port = 4116;  // 0: no HTTPS (PSK-TLS) channels
    std::size_t http_channels = 1;    // concurrent clients per port: one channel each
    std::size_t https_channels = 2;   // (TS 102 223 8.7: at most 7 channels in all)
    std::uint16_t buffer_size = 1400;
    std::string psk_identity = "DMSC-DM-Client";
    cat::Bytes psk_key;               // default: 0123456789ABCDEF0123456789ABCDEF (a test key)
    std::size_t max_body = 4u << 20;  // larger request bodies get 413
};

struct Scenario {
    std::string name;        // [scenario] name, or the file name
    std::string source;      // file name for messages
    std::size_t repeat = 1;  // [scenario] repeat: passes over the steps per card session
    CardSettings card;
    ScwsSettings scws;
    std::vector<ProfileRequirement> profile_requires;
    std::vector<Step> steps;
};

// Parses scenario text; `source` names it in errors. Throws ScenarioError.
Scenario parse_scenario(std::string_view text, const std::string& source);
Scenario load_scenario_file(const std::string& path);
// The built-in scenario (a copy of gateway/sim/scenarios/default.toml compiled in) used when
// `card.link = "sim"` names no scenario file.
std::string_view default_scenario_text();
Scenario default_scenario();

// A UICC ATR (ISO/IEC 7816-3 clause 8): direct convention, TA1 '96' (Fi 512 / Di 32),
// T=0 offered first, T=1 offered (IFSC 254, BWI 4 / CWI 5), T=15 global bytes with TA '07'
// (classes A, B, C; clock stop no preference) — TS 102 221 clause 6.3.
extern const cat::Bytes kDefaultAtr;

// OMA DM 1.2 "General Notification Initiated Session Alert" (DM Notification 1.2, as seed 000
// section 7.1 requires): digest (16 bytes; not computed here, configurable), then the trigger
// header: version (10 bits, 12 = "1.2"), UI mode (2), initiator (1), future use (27 bits, 0),
// session id (16), server identifier length (8) and identifier; then the vendor body.
struct Dm12Package0 {
    cat::Bytes digest = cat::Bytes(16, 0);
    std::uint16_t version = 12;
    std::uint8_t ui_mode = 0;    // 0 not specified, 1 background, 2 informative, 3 user interaction
    std::uint8_t initiator = 1;  // 1: server initiated
    std::uint16_t session_id = 1;
    std::string server_id = "DMSC-Server";
    cat::Bytes vendor;
};
cat::Bytes encode(const Dm12Package0& p);

// OMA DM 2.0 binary Package#0 (seed 004 sections 5.2.1 and 7.1.1): 2-byte header VER (4 bits,
// 0x02), OC (5 bits), reserved (7 bits); then options in increasing number, each a 4-bit delta,
// a 12-bit length and the value.
struct Dm20Package0 {
    std::optional<std::string> server_id;           // 1 SERVER-ID (String)
    std::vector<std::uint8_t> preferred_con_types;  // 2 PREFERRED-CON-TYPE (Opaque)
    std::optional<std::uint32_t> notification_id;   // 3 NOTIFICATION-ID (Uint, 2 bytes; 4 past 0xFFFF)
    std::optional<cat::Bytes> sha256_digest;        // 4 SHA256-DIGEST (Opaque; zeros by default)
    std::optional<cat::Bytes> timestamp;            // 5 TIMESTAMP (Opaque)
    bool req_mos = false;                           // 6 REQ-MOS (Null)
};
cat::Bytes encode(const Dm20Package0& p);

// Event names as scenario files write them ("data-available" ...): lower case, '-' for spaces.
std::string event_name(std::uint8_t code);
std::optional<std::uint8_t> event_code(std::string_view name);

}  // namespace dmsc::gateway::sim
