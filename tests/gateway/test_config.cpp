// tests/gateway/test_config.cpp — the TOML configuration: defaults, every key read, every kind
// of mistake reported as "FILE:LINE:COL: key: what; what to do", the effective config printout,
// the shipped example, log level specs, and a reload that keeps the old config on failure.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "gateway/config.hpp"
#include "gateway/daemon.hpp"
#include "gateway/log.hpp"

namespace {

using namespace dmsc::gateway;

ConfigResult parse(std::string_view text) {
    return parse_config(text, "cfg.toml");
}

// All error lines, for failure messages.
std::string all_errors(const ConfigResult& r) {
    std::string out;
    for (const auto& e : r.errors) out += e.to_string() + "\n";
    return out;
}

// The one error of `text` starts with "cfg.toml:LINE:" and names `key`; its text contains `what`.
void check_error(std::string_view text, int line, std::string_view key, std::string_view what) {
    const ConfigResult r = parse(text);
    INFO(all_errors(r));
    REQUIRE(r.errors.size() == 1);
    CHECK_FALSE(r.ok());
    const std::string s = r.errors[0].to_string();
    CHECK(s.rfind("cfg.toml:" + std::to_string(line) + ":", 0) == 0);
    CHECK(r.errors[0].key == key);
    CHECK(s.find(": " + std::string(key) + ": ") != std::string::npos);
    CHECK(s.find(what) != std::string::npos);
}

std::filesystem::path temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dmsc-config-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    return tmpl;
}

void write_file(const std::filesystem::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::trunc);
    out << text;
}

constexpr std::string_view kFull = R"toml(
[card]
link = "sim"
reader = "Virtual PCD"
class = "uicc"
protocol = "t1"
share = "shared"
poll_interval_ms = 0
poll_interval_min_ms = 500
busy_backoff_initial_ms = 100
busy_backoff_max_ms = 5000
pending_timeout_ms = 0

[[application]]
name = "DM Client"
type = 0x07
port = 1100
coding = "gsm7"
deliver = "tcp://127.0.0.1:1100"
launch = "/usr/bin/dm-client --notify"
launch_timeout_ms = 2000

[[application]]
name = "Ω client"
port = 2948
coding = "ucs2"
deliver = "wap-push+udp://[::1]:2948"

[bip]
listen = "::1"
buffer_size = 1500
max_channels = 3

[debug]
socket = "/run/dmsc/ctl.sock"
group = "dmsc"
mode = "0600"

[trace]
gsmtap = "127.0.0.1"

[log]
level = "debug"
format = "plain"
[log.category]
card = "trace"
)toml";

}  // namespace

TEST_CASE("Config: an empty file gives the documented defaults") {
    const ConfigResult r = parse("");
    REQUIRE(r.ok());
    const Config& c = *r.config;
    CHECK(c.card.link == (card_link_built(LinkKind::Pcsc) ? LinkKind::Pcsc : LinkKind::Sim));
    CHECK(c.card.card_class == CardClass::Auto);
    CHECK(c.card.poll_interval_ms == 30'000);
    CHECK(c.applications.empty());
    CHECK(c.bip.listen == "127.0.0.1");
    CHECK(c.bip.buffer_size == 1400);
    CHECK(c.bip.max_channels == 7);
    CHECK_FALSE(c.bip.allow_remote);
    CHECK(c.debug.socket == "/run/dmsc-gateway/ctl.sock");
    CHECK(c.debug.mode == 0660);
    CHECK(c.trace.gsmtap.empty());
    CHECK(c.trace.pcap.empty());
    CHECK(c.log.level == LogLevel::Info);
}

TEST_CASE("Config: every key is read into the typed Config") {
    const ConfigResult r = parse(kFull);
    INFO(all_errors(r));
    REQUIRE(r.ok());
    const Config& c = *r.config;
    CHECK(c.card.link == LinkKind::Sim);
    CHECK(c.card.reader == "Virtual PCD");
    CHECK(c.card.card_class == CardClass::Uicc);
    CHECK(c.card.protocol == CardProtocol::T1);
    CHECK(c.card.share == CardShare::Shared);
    CHECK(c.card.poll_interval_ms == 0);
    CHECK(c.card.poll_interval_min_ms == 500);
    CHECK(c.card.busy_backoff_initial_ms == 100);
    CHECK(c.card.busy_backoff_max_ms == 5000);
    CHECK(c.card.pending_timeout_ms == 0);
    REQUIRE(c.applications.size() == 2);
    CHECK(c.applications[0].name == "DM Client");
    CHECK(c.applications[0].type == 0x07);
    CHECK(c.applications[0].port == 1100);
    CHECK(c.applications[0].deliver == DeliverUri{DeliverScheme::Tcp, "127.0.0.1", 1100, ""});
    CHECK(c.applications[0].launch == "/usr/bin/dm-client --notify");
    CHECK(c.applications[0].launch_timeout_ms == 2000);
    CHECK(c.applications[1].coding == NameCoding::Ucs2);
    CHECK(c.applications[1].deliver == DeliverUri{DeliverScheme::WapPushUdp, "::1", 2948, ""});
    CHECK(c.applications[1].deliver.to_string() == "wap-push+udp://[::1]:2948");
    CHECK(c.bip.listen == "::1");
    CHECK(c.bip.buffer_size == 1500);
    CHECK(c.bip.max_channels == 3);
    CHECK(c.debug.socket == "/run/dmsc/ctl.sock");
    CHECK(c.debug.group == "dmsc");
    CHECK(c.debug.mode == 0600);
    CHECK(c.trace.gsmtap_host == "127.0.0.1");
    CHECK(c.trace.gsmtap_port == 4729);
    CHECK(c.log.level == LogLevel::Debug);
    CHECK(c.log.format == LogFormat::Plain);
    CHECK(c.log.categories.at(LogCategory::Card) == LogLevel::Trace);
}

TEST_CASE("Config: an application's deliver defaults to tcp://127.0.0.1:PORT") {
    const ConfigResult r = parse("[[application]]\nname = \"DM\"\nport = 1234\n");
    REQUIRE(r.ok());
    CHECK(r.config->applications[0].deliver.to_string() == "tcp://127.0.0.1:1234");
    CHECK(r.config->applications[0].type == 0x07);
}

TEST_CASE("Config: a value of the wrong type names the key and the type wanted") {
    check_error("[card]\nlink = 3\n", 2, "card.link", "expected a string, found an integer");
    check_error("[bip]\nbuffer_size = \"1400\"\n", 2, "bip.buffer_size",
                "expected an integer, found a string");
    check_error("[bip]\nallow_remote = 1\n", 2, "bip.allow_remote", "expected a boolean");
    check_error("card = 1\n", 1, "card", "expected a table");
    check_error("[application]\nname = \"x\"\nport = 1\n", 1, "application",
                "write each one as [[application]]");
}

TEST_CASE("Config: unknown keys are errors everywhere, with a suggestion for a typo") {
    check_error("[card]\nlink = \"sim\"\nraeder = \"x\"\n", 3, "card.raeder", "did you mean \"reader\"?");
    check_error("[[application]]\nname = \"DM\"\nport = 1100\nprot = 1\n", 4, "application[0].prot",
                "did you mean \"port\"?");
    check_error("[frobnicate]\nx = 1\n", 1, "frobnicate", "unknown key");
    check_error("[log.category]\ncrad = \"debug\"\n", 2, "log.category.crad", "unknown log category");
}

TEST_CASE("Config: ports out of range, duplicate ports and missing keys") {
    check_error("[[application]]\nname = \"DM\"\nport = 0\n", 3, "application[0].port",
                "0 is out of range; use 1..65535");
    check_error("[[application]]\nname = \"DM\"\nport = 65536\n", 3, "application[0].port", "out of range");
    check_error("[[application]]\nname = \"A\"\nport = 1100\n\n[[application]]\nname = \"B\"\nport = 1100\n",
                7, "application[1].port", "already used by application[0] (line 1)");
    check_error("[[application]]\nport = 1100\n", 1, "application[0].name", "missing");
    check_error("[[application]]\nname = \"DM\"\n", 1, "application[0].port", "missing");
    check_error("[bip]\nmax_channels = 8\n", 2, "bip.max_channels", "use 1..7");
}

TEST_CASE("Config: bad enum values list the valid ones") {
    check_error("[card]\nlink = \"usb\"\n", 2, "card.link", "use \"pcsc\" | \"iccd\" | \"sim\"");
    check_error("[card]\nclass = \"2g\"\n", 2, "card.class", "\"auto\" | \"uicc\" | \"sim\"");
    check_error("[[application]]\nname = \"DM\"\nport = 1\ncoding = \"latin1\"\n", 4, "application[0].coding",
                "\"gsm7\" | \"ucs2\"");
    check_error("[log]\nlevel = \"loud\"\n", 2, "log.level", "use error, warn, info, debug or trace");
    check_error("[log.category]\ncard = \"loud\"\n", 2, "log.category.card", "expected a log level");
}

TEST_CASE("Config: bip.listen must be loopback unless allow_remote is set") {
    check_error("[bip]\nlisten = \"0.0.0.0\"\n", 2, "bip.listen", "would expose the SCWS");
    check_error("[bip]\nlisten = \"localhost\"\n", 2, "bip.listen", "is not an IP address");
    const ConfigResult r = parse("[bip]\nlisten = \"0.0.0.0\"\nallow_remote = true\n");
    CHECK(r.ok());
}

TEST_CASE("Config: malformed deliver URIs say what is wrong and what is accepted") {
    const std::string head = "[[application]]\nname = \"DM\"\nport = 1100\ndeliver = ";
    check_error(head + "\"http://127.0.0.1:80\"\n", 4, "application[0].deliver", "unknown scheme \"http\"");
    check_error(head + "\"tcp://127.0.0.1\"\n", 4, "application[0].deliver", "the port is missing");
    check_error(head + "\"tcp://127.0.0.1:99999\"\n", 4, "application[0].deliver", "out of range");
    check_error(head + "\"unix:relative.sock\"\n", 4, "application[0].deliver", "absolute path");
    check_error(head + "\"127.0.0.1:1100\"\n", 4, "application[0].deliver", "write tcp://HOST:PORT");
    CHECK(parse(head + "\"unix:/run/dm.sock\"\n").ok());
    CHECK(parse(head + "\"udp://[::1]:1100\"\n").ok());
}

TEST_CASE("Config: names, launch commands, socket modes and cross-key checks") {
    check_error("[[application]]\nname = \"DM ☃\"\nport = 1\n", 2, "application[0].name",
                "set coding = \"ucs2\"");
    CHECK(parse("[[application]]\nname = \"DM ☃\"\nport = 1\ncoding = \"ucs2\"\n").ok());
    check_error("[[application]]\nname = \"DM\"\nport = 1\nlaunch = \"dm-client\"\n", 4,
                "application[0].launch", "absolute path");
    check_error("[[application]]\nname = \"DM\"\nport = 1\nlaunch = '/bin/sh -c \"exit 1'\n", 4,
                "application[0].launch", "quote is not closed");
    CHECK(parse("[[application]]\nname = \"DM\"\nport = 1\nlaunch = '/bin/sh -c \"exit 1\"'\n").ok());
    check_error("[[application]]\nname = \"DM\"\nport = 1\nlaunch = \"/bin/dm\"\nlaunch_timeout_ms = 60000\n",
                5, "application[0].launch_timeout_ms", "not below card.pending_timeout_ms (60000)");
    CHECK(
        parse(
            "[card]\npending_timeout_ms = 0\n[[application]]\nname = \"DM\"\nport = 1\nlaunch = \"/bin/dm\"\n"
            "launch_timeout_ms = 60000\n")
            .ok());
    check_error("[debug]\nmode = \"0666\"\n", 2, "debug.mode", "world-writable");
    check_error("[debug]\nmode = \"rw\"\n", 2, "debug.mode", "permission bits");
    CHECK(parse("[debug]\nmode = 0o640\n").config->debug.mode == 0640);
    check_error("[debug]\nsocket = \"ctl.sock\"\n", 2, "debug.socket", "absolute path");
    check_error("[card]\nbusy_backoff_initial_ms = 5000\nbusy_backoff_max_ms = 100\n", 2,
                "card.busy_backoff_initial_ms", "larger than card.busy_backoff_max_ms");
    check_error("[card]\npoll_interval_ms = 200\n", 2, "card.poll_interval_ms",
                "below card.poll_interval_min_ms");
    check_error("[card]\nusb = \"dongle\"\n", 2, "card.usb", "neither VID:PID nor BUS:ADDR");
    if (card_link_built(LinkKind::Iccd)) {
        CHECK(parse("[card]\nlink = \"iccd\"\nusb = \"076b:3821\"\n").ok());
    } else {
        check_error("[card]\nlink = \"iccd\"\n", 2, "card.link", "not built");
    }
    check_error("[card]\nlink = \"sim\"\nscenario = \"no-such-scenario.toml\"\n", 3, "card.scenario",
                "is not a readable file");
    check_error("[trace]\ngsmtap = \"wireshark:4729\"\n", 2, "trace.gsmtap", "not an IP address");
    check_error("[trace]\npcap = \"/no/such/dir/x.pcap\"\n", 2, "trace.pcap", "does not exist");
}

TEST_CASE("Config: TOML syntax errors give the position") {
    const ConfigResult r = parse("[card]\nlink = \"sim\"\nreader = \n");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].to_string().rfind("cfg.toml:3:", 0) == 0);
    CHECK(r.errors[0].to_string().find("fix the TOML syntax") != std::string::npos);
}

TEST_CASE("Config: every error is reported, in file order") {
    const ConfigResult r =
        parse("[bip]\nlisten = \"8.8.8.8\"\n[card]\nlink = \"usb\"\n[[application]]\nport = 0\n");
    INFO(all_errors(r));
    REQUIRE(r.errors.size() == 4);
    CHECK(r.errors[0].key == "bip.listen");
    CHECK(r.errors[1].key == "card.link");
    CHECK(r.errors[2].key == "application[0].name");
    CHECK(r.errors[3].key == "application[0].port");
}

TEST_CASE("Config: relative paths start at the config file's directory") {
    const auto dir = temp_dir();
    write_file(dir / "gw.toml", "[trace]\npcap = \"apdu.pcap\"\n");
    const ConfigResult r = load_config_file((dir / "gw.toml").string());
    INFO(all_errors(r));
    REQUIRE(r.ok());
    CHECK(r.config->trace.pcap == (dir / "apdu.pcap").string());
    CHECK(r.config->path == (dir / "gw.toml").string());
    std::filesystem::remove_all(dir);
}

TEST_CASE("Config: a missing file is one error saying what to do") {
    const ConfigResult r = load_config_file("/nonexistent/gateway.toml");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].to_string() ==
          "/nonexistent/gateway.toml: no such file; check the path (gateway.example.toml is a commented "
          "start)");
}

TEST_CASE("Config: the effective config lists every key and reads back to itself") {
    const ConfigResult r = parse(kFull);
    REQUIRE(r.ok());
    const std::string printed = to_toml(*r.config);
    for (const char* key : {"link =",
                            "reader =",
                            "scenario =",
                            "usb =",
                            "class =",
                            "protocol =",
                            "share =",
                            "poll_interval_ms =",
                            "poll_interval_min_ms =",
                            "busy_backoff_initial_ms =",
                            "busy_backoff_max_ms =",
                            "pending_timeout_ms =",
                            "name =",
                            "type = 0x07",
                            "port =",
                            "coding =",
                            "deliver =",
                            "launch =",
                            "launch_timeout_ms =",
                            "listen =",
                            "allow_remote =",
                            "buffer_size =",
                            "max_channels =",
                            "socket =",
                            "group =",
                            "mode = \"0600\"",
                            "gsmtap =",
                            "pcap =",
                            "level =",
                            "format =",
                            "[log.category]"}) {
        CHECK_MESSAGE(printed.find(key) != std::string::npos, key);
    }
    const ConfigResult again = parse(printed);
    INFO(all_errors(again));
    REQUIRE(again.ok());
    const auto body = [](const std::string& s) { return s.substr(s.find('\n')); };  // skip the header line
    CHECK(body(to_toml(*again.config)) == body(printed));
}

TEST_CASE("Config: the shipped gateway.example.toml passes the check") {
    const ConfigResult r = load_config_file(DMSC_SOURCE_DIR "/gateway/gateway.example.toml");
    INFO(all_errors(r));
    if (!card_link_built(LinkKind::Pcsc)) {
        // The example uses the PC/SC link; without it that is the one error.
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].key == "card.link");
        return;
    }
    REQUIRE(r.ok());
    CHECK(r.config->card.link == LinkKind::Pcsc);
    CHECK(r.config->applications.size() == 1);
}

TEST_CASE("Log: level specs from the command line") {
    LogSettings s;
    std::string error;
    CHECK(apply_log_spec("debug", s, error));
    CHECK(s.level == LogLevel::Debug);
    CHECK(apply_log_spec("info,card=trace,cat=debug", s, error));
    CHECK(s.level == LogLevel::Info);
    CHECK(s.categories.at(LogCategory::Card) == LogLevel::Trace);
    CHECK(s.categories.at(LogCategory::Cat) == LogLevel::Debug);
    CHECK_FALSE(apply_log_spec("card=loud", s, error));
    CHECK(error.find("unknown log level") != std::string::npos);
    CHECK_FALSE(apply_log_spec("cards=debug", s, error));
    CHECK(error.find("unknown log category") != std::string::npos);
    CHECK(s.categories.at(LogCategory::Card) == LogLevel::Trace);  // unchanged after a failure
}

TEST_CASE("Log: one line per event, journal priorities, per-category levels") {
    std::vector<std::string> lines;
    Logger& logger = Logger::instance();
    const LogSettings saved = logger.settings();
    logger.set_sink([&](LogLevel, std::string_view line) { lines.emplace_back(line); });
    LogSettings s;
    s.level = LogLevel::Warn;
    s.categories[LogCategory::Card] = LogLevel::Debug;
    s.format = LogFormat::Journal;
    logger.configure(s);
    log_info(LogCategory::Cat, "not shown");
    log_debug(LogCategory::Card, "shown ", 42);
    log_error(LogCategory::Config, "two\nlines");
    s.format = LogFormat::Plain;
    logger.configure(s);
    log_warn(LogCategory::Bip, "plain");
    logger.set_sink({});
    logger.configure(saved);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "<7>card: shown 42");
    CHECK(lines[1] == "<3>config: two\\nlines");
    CHECK(lines[2].find(" warn  bip: plain") != std::string::npos);
    CHECK(lines[2][4] == '-');  // starts with a date
}

TEST_CASE("Config reload: a broken file keeps the running configuration; restart-only keys are kept") {
    const auto dir = temp_dir();
    const auto file = dir / "gateway.toml";
    write_file(file, "[card]\nlink = \"sim\"\n[debug]\nsocket = \"\"\n[log]\nlevel = \"error\"\n");
    ConfigResult first = load_config_file(file.string());
    REQUIRE(first.ok());
    DaemonOptions o;
    o.handle_signals = false;
    Daemon daemon(*first.config, o);
    const Config before = daemon.config();

    std::vector<std::string> lines;
    Logger::instance().set_sink([&](LogLevel, std::string_view line) { lines.emplace_back(line); });
    write_file(file, "[card]\nlink = \"sim\"\n[bip]\nlisten = \"0.0.0.0\"\n");
    CHECK_FALSE(daemon.reload());
    CHECK(daemon.config() == before);
    CHECK(daemon.stats().reload_failures == 1);
    bool named = false;
    for (const auto& l : lines)
        named = named || l.find("gateway.toml:4:10: bip.listen:") != std::string::npos;
    CHECK(named);

    // Applications and log levels apply; the debug socket does not move without a restart.
    write_file(file,
               "[card]\nlink = \"sim\"\n[debug]\nsocket = \"/tmp/other.sock\"\n[log]\nlevel = \"error\"\n"
               "[[application]]\nname = \"DM\"\nport = 1100\n");
    CHECK(daemon.reload());
    Logger::instance().set_sink({});
    CHECK(daemon.config().applications.size() == 1);
    CHECK(daemon.config().debug.socket.empty());
    CHECK(daemon.stats().reloads == 1);
    std::filesystem::remove_all(dir);
}

TEST_CASE("Config: [[dm_server]] entries for the Package#0 digest check") {
    const ConfigResult r = parse(R"toml(
[[dm_server]]
id = "DMSC-Server"
secret = "pw"
nonce = "n1"

[[dm_server]]
id = "dms2"
secret = "s2"
auth_data = "ad"
nonce_hex = "00 00 00 00"
drop_bad_digest = true
)toml");
    INFO(all_errors(r));
    REQUIRE(r.ok());
    REQUIRE(r.config->dm_servers.size() == 2);
    CHECK(r.config->dm_servers[0] == DmServerConfig{"DMSC-Server", "pw", "", "n1", false});
    CHECK(r.config->dm_servers[1] == DmServerConfig{"dms2", "s2", "ad", std::string(4, '\0'), true});
    CHECK(find_dm_server(*r.config, "dms2") == &r.config->dm_servers[1]);
    CHECK(find_dm_server(*r.config, "nobody") == nullptr);
    // The effective config names the servers but never prints a secret.
    const std::string printed = to_toml(*r.config);
    CHECK(printed.find("id = \"dms2\"") != std::string::npos);
    CHECK(printed.find("drop_bad_digest = true") != std::string::npos);
    CHECK(printed.find("\"pw\"") == std::string::npos);
    CHECK(printed.find("\"s2\"") == std::string::npos);
}

TEST_CASE("Config: [[dm_server]] mistakes name the key") {
    check_error("[[dm_server]]\nsecret = \"x\"\n", 1, "dm_server[0].id",
                "missing; give the server identifier");
    check_error("[[dm_server]]\nid = \"\"\nsecret = \"x\"\n", 2, "dm_server[0].id", "empty");
    check_error("[[dm_server]]\nid = \"a\"\n", 1, "dm_server[0].secret",
                "missing; the digest is checked with it");
    check_error("[[dm_server]]\nid = \"a\"\nsecret = \"x\"\n[[dm_server]]\nid = \"a\"\nsecret = \"y\"\n", 5,
                "dm_server[1].id", "already configured by dm_server[0] (line 1)");
    check_error("[[dm_server]]\nid = \"a\"\nsecret = \"x\"\nnonce = \"n\"\nnonce_hex = \"00\"\n", 5,
                "dm_server[0].nonce_hex", "both nonce and nonce_hex are set");
    check_error("[[dm_server]]\nid = \"a\"\nsecret = \"x\"\nnonce_hex = \"0g\"\n", 4,
                "dm_server[0].nonce_hex", "is not hex");
    check_error("[[dm_server]]\nid = \"a\"\nsecret = \"x\"\ndrop_bad_digets = true\n", 4,
                "dm_server[0].drop_bad_digets", "did you mean \"drop_bad_digest\"?");
    check_error("dm_server = 1\n", 1, "dm_server", "expected [[dm_server]] entries");
}

TEST_CASE("Config: [eem] keys, defaults and errors") {
    ConfigResult r = parse("");
    REQUIRE(r.ok());
    CHECK_FALSE(r.config->eem.enabled);
    CHECK(r.config->eem.tap == "uicc0");
    CHECK(r.config->eem.hostname == "localuicc");
    r = parse(
        "[eem]\nenabled = true\ntap = \"card0\"\naddress = \"10.9.0.1/29\"\nuicc_address = \"10.9.0.2\"\n"
        "mtu = 1400\npipe = \"unix:/run/usbsim.sock\"\nhosts_file = \"\"\ncrc = false\n");
    REQUIRE(r.ok());
    CHECK(r.config->eem.enabled);
    CHECK(r.config->eem.tap == "card0");
    CHECK(r.config->eem.address == "10.9.0.1/29");
    CHECK(r.config->eem.mtu == 1400);
    CHECK(r.config->eem.pipe == "unix:/run/usbsim.sock");
    CHECK(r.config->eem.hosts_file.empty());
    CHECK_FALSE(r.config->eem.crc);
    check_error("[eem]\naddress = \"10.9.0.300/30\"\n", 2, "eem.address", "is not an IPv4 address");
    check_error("[eem]\naddress = \"10.9.0.1/31\"\n", 2, "eem.address", "prefix of 30 or shorter");
    check_error("[eem]\ntap = \"a/b\"\n", 2, "eem.tap", "is not an interface name");
    check_error("[eem]\npipe = \"tcp:1\"\n", 2, "eem.pipe", "use \"usb\" or \"unix:/absolute/path\"");
    check_error("[eem]\nmtu = 100\n", 2, "eem.mtu", "");
    check_error("[eem]\nusb = \"stick\"\n", 2, "eem.usb", "neither VID:PID");
    CHECK(parse("[eem]\nusb = \"1234:567a\"\n").config->eem.usb == "1234:567a");
}

TEST_CASE("Config: [eem] DHCP server and IPv6 keys") {
    ConfigResult r = parse("");
    CHECK(r.config->eem.dhcp);
    CHECK(r.config->eem.dhcp_lease == 3600U);
    CHECK(r.config->eem.address6.empty());
    CHECK(r.config->eem.uicc_address6.empty());
    r = parse(
        "[eem]\ndhcp = false\ndhcp_lease = 120\naddress6 = \"fd00:1::1/64\"\nuicc_address6 = "
        "\"fd00:1::2\"\n");
    INFO(all_errors(r));
    REQUIRE(r.ok());
    CHECK_FALSE(r.config->eem.dhcp);
    CHECK(r.config->eem.dhcp_lease == 120U);
    CHECK(r.config->eem.address6 == "fd00:1::1/64");
    CHECK(r.config->eem.uicc_address6 == "fd00:1::2");
    check_error("[eem]\ndhcp_lease = 10\n", 2, "eem.dhcp_lease", "");
    // The card's address must be the other host of the terminal's subnet.
    check_error("[eem]\nuicc_address = \"192.168.213.2\"\n", 2, "eem.uicc_address",
                "is not a host address of \"192.168.212.1/30\" other than the terminal's");
    check_error("[eem]\nuicc_address = \"192.168.212.1\"\n", 2, "eem.uicc_address",
                "other than the terminal's");
    check_error("[eem]\nuicc_address = \"192.168.212.3\"\n", 2, "eem.uicc_address", "is not a host address");
    check_error("[eem]\naddress = \"10.0.0.1/30\"\n", 1, "eem.uicc_address", "is not a host address");
    check_error("[eem]\naddress6 = \"fe80::1%uicc0/64\"\n", 2, "eem.address6", "no %scope");
    check_error("[eem]\naddress6 = \"fd00::1/127\"\n", 2, "eem.address6", "prefix of 126 or shorter");
    check_error("[eem]\nuicc_address6 = \"fd00::2\"\n", 2, "eem.uicc_address6", "needs eem.address6");
    check_error("[eem]\naddress6 = \"fd00:1::1/64\"\nuicc_address6 = \"fd00:2::2\"\n", 3, "eem.uicc_address6",
                "is not another address in \"fd00:1::1/64\"");
    check_error("[eem]\naddress6 = \"fd00:1::1/64\"\nuicc_address6 = \"fd00:1::1\"\n", 3, "eem.uicc_address6",
                "is not another address in");
}

TEST_CASE("Config: card.link = \"auto\"") {
    const ConfigResult r = parse("[card]\nlink = \"auto\"\n");
    if (card_link_built(LinkKind::Pcsc) || card_link_built(LinkKind::Iccd)) {
        REQUIRE(r.ok());
        CHECK(r.config->card.link == LinkKind::Auto);
        CHECK(to_toml(*r.config).find("link = \"auto\"") != std::string::npos);
    } else {
        CHECK_FALSE(r.ok());
    }
}
