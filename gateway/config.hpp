// gateway/config.hpp — the daemon's configuration: the TOML file (docs/configuration.md) read
// into a typed Config with a default for every optional key, validated as a whole; every
// problem is reported as "FILE:LINE:COL: key.path: what is wrong; what to do".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/log.hpp"

namespace dmsc::gateway {

inline constexpr std::string_view kDefaultConfigPath = "/etc/dmsc-gateway/gateway.toml";

// Auto: the USB UICC's ICCD interface when one is present at start-up, else PC/SC (link_select.hpp).
enum class LinkKind : std::uint8_t { Pcsc, Iccd, Sim, Auto };
// Which class byte the CAT commands use: "uicc" '80', "sim" 'A0' (2G SIM, TS 51.011), "auto":
// UICC first, a 2G SIM when the card refuses the class of TERMINAL PROFILE ('6E 00').
enum class CardClass : std::uint8_t { Auto, Uicc, Sim };
enum class CardProtocol : std::uint8_t { Any, T0, T1 };     // pcsc only
enum class CardShare : std::uint8_t { Exclusive, Shared };  // pcsc only
// Coding of an application's name in its Registry application data: GSM default alphabet
// unpacked (DCS '04') or UCS2 (DCS '08').
enum class NameCoding : std::uint8_t { Gsm7, Ucs2 };
enum class DeliverScheme : std::uint8_t { Tcp, Udp, Unix, WapPushUdp };

std::string_view name_of(LinkKind v);
std::string_view name_of(CardClass v);
std::string_view name_of(CardProtocol v);
std::string_view name_of(CardShare v);
std::string_view name_of(NameCoding v);
std::string_view name_of(DeliverScheme v);  // the URI scheme: "tcp", "udp", "unix", "wap-push+udp"

// Where data for an application's port goes: tcp://HOST:PORT, udp://HOST:PORT,
// unix:/absolute/path, wap-push+udp://HOST:PORT. HOST is an IPv4 address, [IPv6] or a name.
struct DeliverUri {
    DeliverScheme scheme = DeliverScheme::Tcp;
    std::string host;  // without brackets
    std::uint16_t port = 0;
    std::string path;  // unix only
    std::string to_string() const;
    bool operator==(const DeliverUri&) const = default;
};
// Parses `text`; on failure returns nullopt and says why in `why`.
std::optional<DeliverUri> parse_deliver_uri(std::string_view text, std::string& why);

struct CardConfig {
    LinkKind link = LinkKind::Pcsc;
    std::string reader;    // pcsc: substring of the reader name; "" = first reader with a card
    std::string scenario;  // sim: scenario file (absolute after loading); "" = built-in scenario
    std::string usb;       // iccd: "VID:PID" (hex) or "BUS:ADDR" (decimal); "" = first ICCD device
    CardClass card_class = CardClass::Auto;
    CardProtocol protocol = CardProtocol::Any;
    CardShare share = CardShare::Exclusive;
    // Proactive polling: STATUS every so often while idle, before the card asks for an
    // interval with POLL INTERVAL; 0 = no polling until it does.
    std::uint32_t poll_interval_ms = 30'000;
    // The shortest interval the gateway grants a POLL INTERVAL; the TERMINAL RESPONSE says
    // the interval really used.
    std::uint32_t poll_interval_min_ms = 1'000;
    // cat::SessionConfig: '93 00' back-off and the pending-handler time-out.
    std::uint32_t busy_backoff_initial_ms = 200;
    std::uint32_t busy_backoff_max_ms = 10'000;
    std::uint32_t pending_timeout_ms = 60'000;
    bool operator==(const CardConfig&) const = default;
};

struct ApplicationConfig {
    std::string name;
    std::uint8_t type = 0x07;  // '07' DM Client
    std::uint16_t port = 0;
    NameCoding coding = NameCoding::Gsm7;
    DeliverUri deliver;  // default tcp://127.0.0.1:PORT
    std::string launch;  // "" = never launched; else an absolute command line
    std::uint32_t launch_timeout_ms = 5'000;
    bool operator==(const ApplicationConfig&) const = default;
};

struct BipConfig {
    std::string listen = "127.0.0.1";  // UICC server mode listeners bind here only
    bool allow_remote = false;         // allow a non-loopback `listen`
    std::uint16_t buffer_size = 1400;  // the most a channel buffer may be
    std::uint8_t max_channels = 7;     // 1..7 (TS 102 223: channel identifiers 1..7)
    bool operator==(const BipConfig&) const = default;
};

struct DebugConfig {
    std::string socket = "/run/dmsc-gateway/ctl.sock";  // "" = no debug socket
    std::string group;                                  // "" = the daemon's own group
    std::uint32_t mode = 0660;
    std::uint32_t max_clients = 16;            // connections at once; one more is refused
    std::uint32_t max_line_bytes = 64 * 1024;  // a longer request line is refused, then closed
    bool operator==(const DebugConfig&) const = default;
};

// [daemon]: who the daemon runs as after opening what needs root (docs/operations.md).
struct DaemonConfig {
    std::string user;   // "" = keep the identity it was started with
    std::string group;  // "" = the user's primary group
    // Capabilities kept across the switch to `user`: "CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE".
    std::vector<std::string> keep_capabilities;
    bool operator==(const DaemonConfig&) const = default;
};

struct TraceConfig {
    std::string gsmtap;  // "" = off; else "HOST:PORT" as written (port default 4729)
    std::string gsmtap_host;
    std::uint16_t gsmtap_port = 0;
    std::string pcap;  // "" = off; else a file path (absolute after loading)
    bool operator==(const TraceConfig&) const = default;
};

// A DM server whose Package#0 digests the gateway checks (docs/package0.md). Inspection only:
// delivery is never changed unless `drop_bad_digest` is set.
struct DmServerConfig {
    std::string id;                // server identifier, as the notification carries it
    std::string secret;            // DM 1.2: the server password; DM 2.0: the server secret (AuthNoti/Secret)
    std::string auth_data;         // DM 2.0: auth-data appended to the digest input (AuthNoti/Data)
    std::string nonce;             // DM 1.2: the server nonce (bytes of `nonce`, or of `nonce_hex` decoded)
    bool drop_bad_digest = false;  // do not deliver a notification whose digest is wrong
    bool operator==(const DmServerConfig&) const = default;
};

// [platform]: what the device tells the card through PROVIDE LOCAL INFORMATION until a
// platform event (dmsc-ctl event) says otherwise. "" / empty = not known (answered '20'/'30').
struct PlatformConfig {
    std::string imei;               // 15 digits
    std::string imeisv;             // 16 digits
    std::string language;           // two ISO 639 letters
    std::string access_technology;  // "gsm", "utran", "e-utran", "ng-ran" ... or a number
    // [platform.location]: mcc, mnc, lac or tac, cell_id [rnc_id] or eci, as the
    // location-status event takes them (normal service); kept as text, checked at load.
    std::map<std::string, std::string> location;
    bool operator==(const PlatformConfig&) const = default;
};

// [eem]: TCP/IP to a USB UICC over CDC EEM (docs/usb.md).
struct EemConfig {
    bool enabled = false;
    std::string tap = "uicc0";                   // the TAP interface the gateway creates
    std::string address = "192.168.212.1/30";    // the terminal's IPv4 address on it
    std::string uicc_address = "192.168.212.2";  // the card's address (what localuicc names)
    std::uint32_t mtu = 1500;
    std::string pipe = "usb";  // "usb" (the UICC's EEM interface) or "unix:/path" (simulated UICC)
    std::string usb;           // pipe "usb": "VID:PID", "BUS:ADDR" or "" (the first EEM interface)
    std::string hosts_file = "/etc/hosts";  // where the localuicc line is kept; "" = not managed
    std::string hostname = "localuicc";
    bool crc = true;   // real CRC-32 on data packets to the card (else the DE AD BE EF sentinel)
    bool dhcp = true;  // DHCPv4 server on the TAP handing out uicc_address
    std::uint32_t dhcp_lease = 3600;  // seconds
    std::string address6;       // the terminal's IPv6 address/prefix on the TAP; "" = none (link-local only)
    std::string uicc_address6;  // the card's IPv6 address (a second localuicc line); "" = none
    bool operator==(const EemConfig&) const = default;
};

struct Config {
    std::string path;  // the file it came from ("" = built-in defaults)
    DaemonConfig daemon;
    CardConfig card;
    std::vector<ApplicationConfig> applications;
    std::vector<DmServerConfig> dm_servers;
    BipConfig bip;
    DebugConfig debug;
    TraceConfig trace;
    EemConfig eem;
    LogSettings log;
    PlatformConfig platform;
    bool operator==(const Config&) const = default;
};

// One problem, where it is and what to do about it.
struct ConfigError {
    std::string file;
    std::uint32_t line = 0;  // 0 = the file as a whole
    std::uint32_t column = 0;
    std::string key;      // "bip.listen", "application[1].port"; "" for syntax errors
    std::string message;  // "what is wrong; what to do"
    // "FILE:LINE:COL: key.path: message"
    std::string to_string() const;
};

struct ConfigResult {
    std::optional<Config> config;     // set only when there is no error
    std::vector<ConfigError> errors;  // in file order
    bool ok() const { return config.has_value(); }
};

// Parses and validates TOML text; `source` names it in errors and relative paths
// (scenario, pcap) are taken from its directory.
ConfigResult parse_config(std::string_view text, const std::string& source);
// Reads and parses a file (a missing or unreadable file is one error).
ConfigResult load_config_file(const std::string& path);
// Built-in defaults (no file).
Config default_config();

// The effective configuration as TOML, every key including defaults (--check-config).
std::string to_toml(const Config& config);

// Thrown at the edges (main, start-up) when a configuration cannot be used.
class ConfigException : public std::runtime_error {
public:
    explicit ConfigException(std::vector<ConfigError> errors);
    const std::vector<ConfigError>& errors() const { return errors_; }

private:
    std::vector<ConfigError> errors_;
};

// The [[dm_server]] entry for a server identifier, or nullptr.
const DmServerConfig* find_dm_server(const Config& config, std::string_view id);

// Whether this build has the card link (meson options decide which backends are compiled in).
bool card_link_built(LinkKind link);

}  // namespace dmsc::gateway
