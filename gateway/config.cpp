// gateway/config.cpp — TOML → Config: one pass over the document that reads every known key,
// checks its type and range, and collects every problem (unknown keys included) with its
// position, then the checks that span keys (duplicate ports, loopback, ...).
#include "gateway/config.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <toml++/toml.h>
#include <tuple>
#include <utility>

#include "cat/bytes.hpp"
#include "cat/text.hpp"
#include "dmsc_config.h"
#include "gateway/iccd_proto.hpp"
#include "gateway/launcher.hpp"
#include "gateway/sim/scenario.hpp"
#include "gateway/tap.hpp"
#include "registry/events.hpp"
#include "registry/local_info.hpp"

namespace dmsc::gateway {

namespace fs = std::filesystem;

namespace {

constexpr std::uint16_t kGsmtapPort = 4729;  // IANA "gsmtap"
// A name's coded bytes: the Registry application data of one application must fit one
// ENVELOPE (255 bytes) with its device identities and "last envelope" (docs/cat.md).
constexpr std::size_t kMaxNameBytes = 200;
// sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
constexpr std::size_t kMaxSocketPath = 107;

std::string_view type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a floating-point number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string toml_quote(std::string_view s) {
    std::string out = "\"";
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7F) {
            out += "\\u00";
            out += kHex[u >> 4];
            out += kHex[u & 0x0F];
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// Everything one parse shares: where errors go and where relative paths start.
struct Context {
    std::string file;
    fs::path base_dir;
    std::vector<ConfigError> errors;

    void add(const toml::source_region& at, std::string key, std::string message) {
        errors.push_back({file, at.begin.line, at.begin.column, std::move(key), std::move(message)});
    }
    std::string resolve(const std::string& path) const {
        if (path.empty()) return path;
        const fs::path p(path);
        return (p.is_absolute() ? p : base_dir / p).lexically_normal().string();
    }
};

// One TOML table: typed getters that report wrong types and ranges, and unknown keys at the end.
class Section {
public:
    Section(const toml::table& table, std::string path, Context& ctx,
            std::initializer_list<std::string_view> known)
        : table_(table), path_(std::move(path)), ctx_(ctx), known_(known) {}

    std::string key_path(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }
    const toml::table& table() const { return table_; }

    const toml::node* node(std::string_view key) const { return table_.get(key); }

    void error(std::string_view key, std::string message) {
        const toml::node* n = node(key);
        ctx_.add(n != nullptr ? n->source() : table_.source(), key_path(key), std::move(message));
    }
    void error_at_table(std::string_view key, std::string message) {
        ctx_.add(table_.source(), key_path(key), std::move(message));
    }

    bool string(std::string_view key, std::string& out) {
        const toml::node* n = node(key);
        if (n == nullptr) return false;
        if (const auto* s = n->as_string()) {
            out = s->get();
            return true;
        }
        error(key, "expected a string, found " + std::string(type_name(*n)) + "; write " + std::string(key) +
                       " = \"...\"");
        return false;
    }

    bool boolean(std::string_view key, bool& out) {
        const toml::node* n = node(key);
        if (n == nullptr) return false;
        if (const auto* b = n->as_boolean()) {
            out = b->get();
            return true;
        }
        error(key, "expected a boolean, found " + std::string(type_name(*n)) + "; write " + std::string(key) +
                       " = true or false");
        return false;
    }

    template <class T>
    bool integer(std::string_view key, std::int64_t lo, std::int64_t hi, T& out, std::string_view what = {}) {
        const toml::node* n = node(key);
        if (n == nullptr) return false;
        const auto* i = n->as_integer();
        if (i == nullptr) {
            error(key, "expected an integer, found " + std::string(type_name(*n)) + "; write a number in " +
                           std::to_string(lo) + ".." + std::to_string(hi) + " without quotes");
            return false;
        }
        const std::int64_t v = i->get();
        if (v < lo || v > hi) {
            error(key, std::to_string(v) + " is out of range; use " + std::to_string(lo) + ".." +
                           std::to_string(hi) + (what.empty() ? "" : " (") + std::string(what) +
                           (what.empty() ? "" : ")"));
            return false;
        }
        out = static_cast<T>(v);
        return true;
    }

    template <class E>
    bool choice(std::string_view key, E& out, std::initializer_list<std::pair<std::string_view, E>> options) {
        std::string text;
        if (!string(key, text)) return false;
        std::string names;
        for (const auto& [name, value] : options) {
            if (name == text) {
                out = value;
                return true;
            }
            if (!names.empty()) names += " | ";
            names += toml_quote(name);
        }
        error(key, toml_quote(text) + " is not a valid value; use " + names);
        return false;
    }

    // Unknown keys (typos included) are errors: a misspelt key silently ignored would leave
    // its default in force without anyone noticing.
    void finish() {
        for (const auto& [k, v] : table_) {
            const std::string_view name = k.str();
            if (std::find(known_.begin(), known_.end(), name) != known_.end()) continue;
            std::string hint;
            std::size_t best = 3;
            for (const auto candidate : known_) {
                const std::size_t d = edit_distance(name, candidate);
                if (d < best) {
                    best = d;
                    hint = candidate;
                }
            }
            std::string msg = "unknown key; ";
            if (!hint.empty()) {
                msg += "did you mean \"" + hint + "\"?";
            } else if (known_.size() == 0) {
                msg += "this table takes no keys";
            } else {
                msg += "known keys here: ";
                for (std::size_t i = 0; i < known_.size(); ++i) {
                    if (i > 0) msg += ", ";
                    msg += known_[i];
                }
            }
            ctx_.add(k.source(), key_path(name), std::move(msg));
        }
    }

private:
    const toml::table& table_;
    std::string path_;
    Context& ctx_;
    std::vector<std::string_view> known_;
};

// A sub-table that must be a table (e.g. [card]); nullptr when absent or of another type.
const toml::table* sub_table(Section& parent, std::string_view key) {
    const toml::node* n = parent.node(key);
    if (n == nullptr) return nullptr;
    if (const auto* t = n->as_table()) return t;
    parent.error(key, "expected a table, found " + std::string(type_name(*n)) + "; write it as [" +
                          parent.key_path(key) + "]");
    return nullptr;
}

bool parse_ip(const std::string& text, boost::asio::ip::address& out) {
    boost::system::error_code ec;
    out = boost::asio::ip::make_address(text, ec);
    return !ec;
}

bool is_hex4(std::string_view s) {
    return s.size() == 4 && std::all_of(s.begin(), s.end(), [](char c) {
               return std::isxdigit(static_cast<unsigned char>(c)) != 0;
           });
}
bool is_dec(std::string_view s, std::size_t max_len) {
    return !s.empty() && s.size() <= max_len &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "HOST:PORT" / "[V6]:PORT" / "HOST" (port optional when `default_port` is set).
bool split_host_port(std::string_view text, std::string& host, std::uint16_t& port,
                     std::uint16_t default_port, std::string& why) {
    std::string_view rest;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            why = "missing ']' after an IPv6 address";
            return false;
        }
        host = std::string(text.substr(1, close - 1));
        rest = text.substr(close + 1);
    } else {
        const auto colon = text.rfind(':');
        if (colon != std::string_view::npos && text.find(':') != colon) {
            why = "write an IPv6 address in brackets, e.g. [::1]:4729";
            return false;
        }
        host = std::string(text.substr(0, colon));
        rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
    }
    if (host.empty()) {
        why = "the host is missing";
        return false;
    }
    if (rest.empty()) {
        if (default_port == 0) {
            why = "the port is missing";
            return false;
        }
        port = default_port;
        return true;
    }
    if (rest.front() != ':' || !is_dec(rest.substr(1), 5)) {
        why = "the port must be a number after ':'";
        return false;
    }
    const unsigned long v = std::stoul(std::string(rest.substr(1)));
    if (v == 0 || v > 65535) {
        why = "port " + std::to_string(v) + " is out of range 1..65535";
        return false;
    }
    port = static_cast<std::uint16_t>(v);
    return true;
}

void read_card(Section& s, Context& ctx, CardConfig& card) {
    s.choice("link", card.link,
             {{"pcsc", LinkKind::Pcsc},
              {"iccd", LinkKind::Iccd},
              {"sim", LinkKind::Sim},
              {"auto", LinkKind::Auto}});
    s.string("reader", card.reader);
    if (s.string("scenario", card.scenario)) card.scenario = ctx.resolve(card.scenario);
    s.string("usb", card.usb);
    s.choice("class", card.card_class,
             {{"auto", CardClass::Auto}, {"uicc", CardClass::Uicc}, {"sim", CardClass::Sim}});
    s.choice("protocol", card.protocol,
             {{"any", CardProtocol::Any}, {"t0", CardProtocol::T0}, {"t1", CardProtocol::T1}});
    s.choice("share", card.share, {{"exclusive", CardShare::Exclusive}, {"shared", CardShare::Shared}});
    s.integer("poll_interval_ms", 0, 3'600'000, card.poll_interval_ms, "0 = no polling until POLL INTERVAL");
    s.integer("poll_interval_min_ms", 100, 3'600'000, card.poll_interval_min_ms);
    s.integer("busy_backoff_initial_ms", 1, 60'000, card.busy_backoff_initial_ms);
    s.integer("busy_backoff_max_ms", 1, 600'000, card.busy_backoff_max_ms);
    s.integer("pending_timeout_ms", 0, 3'600'000, card.pending_timeout_ms, "0 = wait forever");

    if (!card_link_built(card.link)) {
        s.error("link", toml_quote(name_of(card.link)) +
                            " is not built into this dmsc-gatewayd; use \"sim\"" +
                            (card_link_built(LinkKind::Pcsc) ? " or \"pcsc\"" : "") +
                            (card.link == LinkKind::Iccd ? " (rebuild with libusb-1.0: meson -Dusb=enabled)"
                                                         : " or rebuild with it enabled"));
    }
    if (!card.scenario.empty()) {
        std::error_code ec;
        if (!fs::is_regular_file(card.scenario, ec)) {
            s.error("scenario",
                    toml_quote(card.scenario) +
                        " is not a readable file; give the path of a scenario "
                        "(relative paths start at the config file's directory) or \"\" for the built-in one");
        } else if (card.link == LinkKind::Sim) {
            // The simulated card would refuse it at start-up: say so now (--check-config).
            try {
                (void)sim::load_scenario_file(card.scenario);
            } catch (const sim::ScenarioError& e) {
                s.error("scenario", std::string(e.what()) + " (see docs/simulated-card.md)");
            }
        }
    }
    if (!card.usb.empty()) {
        const auto colon = card.usb.find(':');
        const std::string_view a = std::string_view(card.usb).substr(0, colon);
        const std::string_view b =
            colon == std::string::npos ? std::string_view{} : std::string_view(card.usb).substr(colon + 1);
        const bool vid_pid = colon != std::string::npos && is_hex4(a) && is_hex4(b);
        const bool bus_addr = colon != std::string::npos && is_dec(a, 3) && is_dec(b, 3);
        if (!vid_pid && !bus_addr) {
            s.error("usb", toml_quote(card.usb) +
                               " is neither VID:PID nor BUS:ADDR; write e.g. \"076b:3821\" or \"001:004\"");
        }
    }
    if (card.busy_backoff_initial_ms > card.busy_backoff_max_ms) {
        s.error("busy_backoff_initial_ms", "larger than card.busy_backoff_max_ms (" +
                                               std::to_string(card.busy_backoff_max_ms) +
                                               "); make it smaller or raise the maximum");
    }
    if (card.poll_interval_ms != 0 && card.poll_interval_ms < card.poll_interval_min_ms) {
        s.error("poll_interval_ms",
                std::to_string(card.poll_interval_ms) + " is below card.poll_interval_min_ms (" +
                    std::to_string(card.poll_interval_min_ms) + "); raise it or use 0 (no polling)");
    }
    s.finish();
}

void read_application(Section& s, ApplicationConfig& app) {
    const bool has_name = s.string("name", app.name);
    if (!has_name && s.node("name") == nullptr) {
        s.error_at_table(
            "name",
            "missing; every [[application]] needs a name (sent to the card), e.g. name = \"DM Client\"");
    } else if (has_name && app.name.empty()) {
        s.error("name", "empty; give the application a name, e.g. name = \"DM Client\"");
    }
    s.integer("type", 0, 255, app.type, "'07' = DM Client");
    if (s.node("port") == nullptr) {
        s.error_at_table("port",
                         "missing; give the port the application registers with the card, e.g. port = 1100");
    } else {
        s.integer("port", 1, 65535, app.port);
    }
    s.choice("coding", app.coding, {{"gsm7", NameCoding::Gsm7}, {"ucs2", NameCoding::Ucs2}});
    if (has_name && !app.name.empty()) {
        cat::Bytes coded;
        const bool ok = app.coding == NameCoding::Gsm7 ? cat::utf8_to_gsm7_unpacked(app.name, coded)
                                                       : cat::utf8_to_ucs2(app.name, coded);
        if (!ok) {
            s.error("name", toml_quote(app.name) +
                                std::string(app.coding == NameCoding::Gsm7
                                                ? " has characters the GSM default alphabet lacks; "
                                                  "set coding = \"ucs2\" or change the name"
                                                : " is not valid UTF-8 in the BMP; change the name"));
        } else if (coded.size() > kMaxNameBytes) {
            s.error("name", "too long (" + std::to_string(coded.size()) + " bytes coded, at most " +
                                std::to_string(kMaxNameBytes) + "); shorten it");
        }
    }
    std::string deliver;
    if (s.string("deliver", deliver)) {
        std::string why;
        if (auto uri = parse_deliver_uri(deliver, why)) {
            app.deliver = *uri;
        } else {
            s.error("deliver",
                    toml_quote(deliver) + ": " + why +
                        "; write tcp://HOST:PORT, udp://HOST:PORT, unix:/PATH or wap-push+udp://HOST:PORT");
        }
    } else if (s.node("deliver") == nullptr) {
        app.deliver = DeliverUri{DeliverScheme::Tcp, "127.0.0.1", app.port, {}};
    }
    if (s.string("launch", app.launch)) {
        const auto first = app.launch.find_first_not_of(' ');
        if (first == std::string::npos) {
            app.launch.clear();  // "" = never launched
        } else if (app.launch[first] != '/') {
            s.error("launch", toml_quote(app.launch) +
                                  ": the command must start with an absolute path "
                                  "(PATH is not searched), e.g. \"/usr/bin/dm-client --notify\"");
        } else if (std::string why; !split_command(app.launch, why)) {
            s.error("launch", toml_quote(app.launch) + ": " + why +
                                  " (words are split at blanks; \"...\" or '...' keep blanks, no shell)");
        }
    }
    s.integer("launch_timeout_ms", 100, 600'000, app.launch_timeout_ms);
    s.finish();
}

void read_dm_server(Section& s, DmServerConfig& server) {
    const bool has_id = s.string("id", server.id);
    if (!has_id && s.node("id") == nullptr) {
        s.error_at_table(
            "id", "missing; give the server identifier its notifications carry, e.g. id = \"DMSC-Server\"");
    } else if (has_id && server.id.empty()) {
        s.error("id", "empty; give the server identifier its notifications carry");
    }
    if (!s.string("secret", server.secret) && s.node("secret") == nullptr) {
        s.error_at_table("secret",
                         "missing; the digest is checked with it (DM 1.2: the server password, DM 2.0: the "
                         "server secret)");
    }
    s.string("auth_data", server.auth_data);
    const bool has_nonce = s.string("nonce", server.nonce);
    std::string nonce_hex;
    if (s.string("nonce_hex", nonce_hex)) {
        cat::Bytes bytes;
        if (has_nonce) {
            s.error("nonce_hex", "both nonce and nonce_hex are set; keep one");
        } else if (!cat::from_hex(nonce_hex, bytes)) {
            s.error("nonce_hex",
                    toml_quote(nonce_hex) + " is not hex; write the nonce bytes, e.g. \"00000000\"");
        } else {
            server.nonce.assign(bytes.begin(), bytes.end());
        }
    }
    s.boolean("drop_bad_digest", server.drop_bad_digest);
    s.finish();
}

void check_dm_servers(Context& ctx, const toml::array& array, const std::vector<DmServerConfig>& servers) {
    for (std::size_t i = 0; i < servers.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (servers[i].id.empty() || servers[i].id != servers[j].id) continue;
            const toml::table& entry = *array[i].as_table();
            const toml::node* id = entry.get("id");
            ctx.add(id != nullptr ? id->source() : entry.source(), "dm_server[" + std::to_string(i) + "].id",
                    toml_quote(servers[i].id) + " is already configured by dm_server[" + std::to_string(j) +
                        "] (line " + std::to_string(array[j].source().begin.line) +
                        "); keep one entry per server");
            break;
        }
    }
}

void read_bip(Section& s, BipConfig& bip) {
    s.boolean("allow_remote", bip.allow_remote);
    if (s.string("listen", bip.listen)) {
        boost::asio::ip::address addr;
        if (!parse_ip(bip.listen, addr)) {
            s.error("listen", toml_quote(bip.listen) + " is not an IP address; use \"127.0.0.1\" or \"::1\"");
        } else if (!addr.is_loopback() && !bip.allow_remote) {
            // ARCHITECTURE.md "safe by default": the SCWS must not be reachable from the network.
            s.error("listen", toml_quote(bip.listen) +
                                  " would expose the SCWS beyond this host; use a loopback "
                                  "address, or set bip.allow_remote = true if you mean it");
        }
    }
    s.integer("buffer_size", 1, 65535, bip.buffer_size, "the buffer size object has 2 bytes");
    s.integer("max_channels", 1, 7, bip.max_channels, "channel identifiers are 1..7");
    s.finish();
}

void read_debug(Section& s, DebugConfig& debug) {
    if (s.string("socket", debug.socket) && !debug.socket.empty()) {
        if (debug.socket.front() != '/') {
            s.error("socket", toml_quote(debug.socket) +
                                  " is not an absolute path; write e.g. \"/run/dmsc-gateway/ctl.sock\"");
        } else if (debug.socket.size() > kMaxSocketPath) {
            s.error("socket", "longer than a Unix socket path may be (" + std::to_string(kMaxSocketPath) +
                                  " bytes); use a shorter path");
        }
    }
    s.string("group", debug.group);
    if (const toml::node* n = s.node("mode")) {
        std::optional<std::int64_t> mode;
        if (const auto* i = n->as_integer()) {
            mode = i->get();
        } else if (const auto* str = n->as_string()) {
            const std::string& t = str->get();
            if (!t.empty() && t.size() <= 4 &&
                std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '7'; })) {
                mode = std::stoll(t, nullptr, 8);
            }
        }
        if (!mode || *mode < 0 || *mode > 0777) {
            s.error("mode", "expected permission bits such as \"0660\" or 0o660; write mode = \"0660\"");
        } else if ((*mode & 0002) != 0) {
            s.error("mode",
                    "world-writable: any local user could drive the card; use \"0660\" and debug.group");
        } else {
            debug.mode = static_cast<std::uint32_t>(*mode);
        }
    }
    s.integer("max_clients", 1, 1024, debug.max_clients);
    s.integer("max_line_bytes", 1024, 16 * 1024 * 1024, debug.max_line_bytes);
    s.finish();
}

// --- [daemon]: privilege drop (docs/operations.md) ---------------------------------------

// A user or group name as useradd/groupadd accept them (no lookup here: --check-config
// runs on build hosts too; dmsc-gatewayd resolves the names at start-up).
bool valid_account_name(std::string_view name) {
    if (name.empty() || name.size() > 32 || name.front() == '-') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
    });
}

void read_daemon(Section& s, Context& ctx, DaemonConfig& daemon) {
    for (const auto* key : {"user", "group"}) {
        std::string& out = std::string_view(key) == "user" ? daemon.user : daemon.group;
        if (s.string(key, out) && !out.empty() && !valid_account_name(out)) {
            s.error(key, toml_quote(out) + " is not a valid " + key +
                             " name (letters, digits, '_', '-', '.', at most 32, not starting with '-')");
        }
    }
    if (!daemon.group.empty() && daemon.user.empty()) {
        s.error("group", "daemon.group needs daemon.user; set the user too or remove the group");
    }
    if (const toml::node* n = s.node("keep_capabilities")) {
        const toml::array* array = n->as_array();
        if (array == nullptr) {
            s.error("keep_capabilities", "expected an array of strings, found " + std::string(type_name(*n)) +
                                             "; write keep_capabilities = [\"CAP_NET_ADMIN\"]");
        } else {
            for (const auto& item : *array) {
                const auto* str = item.as_string();
                if (str == nullptr ||
                    (str->get() != "CAP_NET_ADMIN" && str->get() != "CAP_NET_BIND_SERVICE")) {
                    ctx.add(item.source(), s.key_path("keep_capabilities"),
                            "expected \"CAP_NET_ADMIN\" or \"CAP_NET_BIND_SERVICE\" (the only ones the "
                            "gateway may keep)");
                } else if (std::find(daemon.keep_capabilities.begin(), daemon.keep_capabilities.end(),
                                     str->get()) == daemon.keep_capabilities.end()) {
                    daemon.keep_capabilities.push_back(str->get());
                }
            }
            if (!array->empty() && daemon.user.empty()) {
                s.error("keep_capabilities",
                        "only meaningful with daemon.user (capabilities kept when switching user)");
            }
        }
    }
    s.finish();
}

void read_trace(Section& s, Context& ctx, TraceConfig& trace) {
    if (s.string("gsmtap", trace.gsmtap) && !trace.gsmtap.empty()) {
        std::string why;
        boost::asio::ip::address addr;
        if (!split_host_port(trace.gsmtap, trace.gsmtap_host, trace.gsmtap_port, kGsmtapPort, why)) {
            s.error("gsmtap", toml_quote(trace.gsmtap) + ": " + why + "; write \"127.0.0.1:4729\"");
        } else if (!parse_ip(trace.gsmtap_host, addr)) {
            s.error("gsmtap",
                    toml_quote(trace.gsmtap_host) + " is not an IP address; write \"127.0.0.1:4729\"");
        }
    }
    if (s.string("pcap", trace.pcap) && !trace.pcap.empty()) {
        trace.pcap = ctx.resolve(trace.pcap);
        std::error_code ec;
        const fs::path parent = fs::path(trace.pcap).parent_path();
        if (!fs::is_directory(parent, ec)) {
            s.error("pcap", "directory " + toml_quote(parent.string()) +
                                " does not exist; create it or choose another path");
        } else if (fs::is_directory(trace.pcap, ec)) {
            s.error("pcap", toml_quote(trace.pcap) +
                                " is a directory; give a file name, e.g. \"/var/log/dmsc.pcap\"");
        }
    }
    s.finish();
}

void read_log(Section& s, Context& ctx, LogSettings& log) {
    std::string text;
    if (s.string("level", text)) {
        if (auto level = parse_log_level(text)) {
            log.level = *level;
        } else {
            s.error("level", toml_quote(text) + " is not a log level; use error, warn, info, debug or trace");
        }
    }
    if (s.string("format", text)) {
        if (auto format = parse_log_format(text)) {
            log.format = *format;
        } else {
            s.error("format", toml_quote(text) + " is not valid; use \"auto\" | \"journal\" | \"plain\"");
        }
    }
    if (const toml::table* cats = sub_table(s, "category")) {
        for (const auto& [k, v] : *cats) {
            const std::string path = s.key_path("category") + "." + std::string(k.str());
            const auto category = parse_log_category(k.str());
            if (!category) {
                ctx.add(k.source(), path,
                        "unknown log category; use daemon, config, card, cat, bip, registry, eem or ctl");
                continue;
            }
            const auto* str = v.as_string();
            const auto level = str != nullptr ? parse_log_level(str->get()) : std::nullopt;
            if (!level) {
                ctx.add(v.source(), path,
                        "expected a log level; use \"error\", \"warn\", \"info\", \"debug\" or \"trace\"");
                continue;
            }
            log.categories[*category] = *level;
        }
    }
    s.finish();
}

void read_eem(Section& s, EemConfig& eem) {
    s.boolean("enabled", eem.enabled);
    if (s.string("tap", eem.tap) &&
        (eem.tap.empty() || eem.tap.size() > 15 || eem.tap.find_first_of("/ \t:") != std::string::npos)) {
        s.error("tap", toml_quote(eem.tap) +
                           " is not an interface name; use 1..15 characters without '/', ':' or spaces");
    }
    if (s.string("address", eem.address)) {
        Ipv4Prefix p;
        std::string why;
        if (!parse_ipv4_prefix(eem.address, p, why) || p.prefix > 30)
            s.error("address",
                    why.empty() ? toml_quote(eem.address) + ": use a prefix of 30 or shorter" : why);
    }
    if (s.string("uicc_address", eem.uicc_address)) {
        Ipv4Prefix p;
        std::string why;
        if (!parse_ipv4_prefix(eem.uicc_address, p, why)) s.error("uicc_address", why);
    }
    s.integer("mtu", 576, 9000, eem.mtu);
    if (s.string("pipe", eem.pipe) && eem.pipe != "usb" &&
        (eem.pipe.rfind("unix:/", 0) != 0 || eem.pipe.size() < 7)) {
        s.error("pipe", toml_quote(eem.pipe) +
                            " is not a pipe; use \"usb\" or \"unix:/absolute/path\" (a simulated USB UICC)");
    }
    s.string("hosts_file", eem.hosts_file);
    s.string("hostname", eem.hostname);
    s.boolean("crc", eem.crc);
    s.boolean("dhcp", eem.dhcp);
    s.integer("dhcp_lease", 60, 604800, eem.dhcp_lease);
    {
        // The card's address must be a host on the terminal's subnet (the link's other end):
        // the DHCP server hands it out, the hosts line names it.
        Ipv4Prefix net, card;
        std::string why;
        if (parse_ipv4_prefix(eem.address, net, why) && net.prefix <= 30 &&
            parse_ipv4_prefix(eem.uicc_address, card, why)) {
            const std::uint32_t mask = net.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - net.prefix);
            if ((card.address & mask) != (net.address & mask) || card.address == net.address ||
                (card.address & ~mask) == 0 || (card.address & ~mask) == ~mask)
                s.error("uicc_address", toml_quote(eem.uicc_address) + " is not a host address of " +
                                            toml_quote(eem.address) +
                                            " other than the terminal's; use e.g. the other end of the /30");
        }
    }
    Ipv6Prefix net6;
    bool have_net6 = false;
    if (s.string("address6", eem.address6) && !eem.address6.empty()) {
        std::string why;
        if (!parse_ipv6_prefix(eem.address6, net6, why))
            s.error("address6", why);
        else if (net6.prefix > 126)
            s.error("address6", toml_quote(eem.address6) + ": use a prefix of 126 or shorter (e.g. /64)");
        else
            have_net6 = true;
    }
    if (s.string("uicc_address6", eem.uicc_address6) && !eem.uicc_address6.empty()) {
        Ipv6Prefix card6;
        std::string why;
        if (!parse_ipv6_prefix(eem.uicc_address6, card6, why)) {
            s.error("uicc_address6", why);
        } else if (eem.address6.empty()) {
            s.error("uicc_address6", "needs eem.address6 (the terminal's IPv6 address on the same prefix)");
        } else if (have_net6) {
            bool same = card6.address != net6.address;
            for (unsigned bit = 0; bit < net6.prefix && same; ++bit) {
                const unsigned byte = bit / 8, mask = 0x80U >> (bit % 8);
                same = (card6.address[byte] & mask) == (net6.address[byte] & mask);
            }
            if (!same)
                s.error("uicc_address6", toml_quote(eem.uicc_address6) + " is not another address in " +
                                             toml_quote(eem.address6));
        }
    }
    if (s.string("usb", eem.usb)) {
        std::string why;
        if (!iccd::parse_device_selector(eem.usb, why)) s.error("usb", why);
    }
    if (eem.enabled && eem.pipe == "usb" && !DMSC_HAVE_USB) {
        s.error(
            "pipe",
            "\"usb\" needs libusb-1.0, not built into this dmsc-gatewayd; use \"unix:/path\" (dmsc-usbsim)");
    }
    s.finish();
}

void check_applications(Context& ctx, const toml::array& array, const std::vector<ApplicationConfig>& apps,
                        std::uint32_t pending_timeout_ms) {
    // A launched application is waited for while the card's command is pending: past the
    // session's pending time-out the card would get '20' instead of '3A'/'12' (docs/bip.md).
    for (std::size_t i = 0; i < apps.size(); ++i) {
        if (apps[i].launch.empty() || pending_timeout_ms == 0 ||
            apps[i].launch_timeout_ms < pending_timeout_ms)
            continue;
        const toml::table& entry = *array[i].as_table();
        const toml::node* n = entry.get("launch_timeout_ms");
        ctx.add(n != nullptr ? n->source() : entry.source(),
                "application[" + std::to_string(i) + "].launch_timeout_ms",
                std::to_string(apps[i].launch_timeout_ms) + " is not below card.pending_timeout_ms (" +
                    std::to_string(pending_timeout_ms) +
                    "): the card's command would time out first; lower it");
    }
    // Each port is one registration on the card and one delivery target; two applications on
    // one port could not be told apart when the card opens a channel to it.
    for (std::size_t i = 0; i < apps.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (apps[i].port == 0 || apps[i].port != apps[j].port) continue;
            // Every entry is a table here (checked before the applications were read).
            const toml::table& entry = *array[i].as_table();
            const toml::node* port = entry.get("port");
            const auto first_line = array[j].source().begin.line;
            ctx.add(port != nullptr ? port->source() : entry.source(),
                    "application[" + std::to_string(i) + "].port",
                    "port " + std::to_string(apps[i].port) + " is already used by application[" +
                        std::to_string(j) + "] (line " + std::to_string(first_line) +
                        "); give each application its own port");
            break;
        }
    }
}

}  // namespace

std::string_view name_of(LinkKind v) {
    switch (v) {
        case LinkKind::Pcsc:
            return "pcsc";
        case LinkKind::Iccd:
            return "iccd";
        case LinkKind::Sim:
            return "sim";
        case LinkKind::Auto:
            return "auto";
    }
    return "";
}
std::string_view name_of(CardClass v) {
    switch (v) {
        case CardClass::Auto:
            return "auto";
        case CardClass::Uicc:
            return "uicc";
        case CardClass::Sim:
            return "sim";
    }
    return "";
}
std::string_view name_of(CardProtocol v) {
    switch (v) {
        case CardProtocol::Any:
            return "any";
        case CardProtocol::T0:
            return "t0";
        case CardProtocol::T1:
            return "t1";
    }
    return "";
}
std::string_view name_of(CardShare v) {
    return v == CardShare::Shared ? "shared" : "exclusive";
}
std::string_view name_of(NameCoding v) {
    return v == NameCoding::Ucs2 ? "ucs2" : "gsm7";
}
std::string_view name_of(DeliverScheme v) {
    switch (v) {
        case DeliverScheme::Tcp:
            return "tcp";
        case DeliverScheme::Udp:
            return "udp";
        case DeliverScheme::Unix:
            return "unix";
        case DeliverScheme::WapPushUdp:
            return "wap-push+udp";
    }
    return "";
}

std::string DeliverUri::to_string() const {
    if (scheme == DeliverScheme::Unix) return "unix:" + path;
    const bool v6 = host.find(':') != std::string::npos;
    return std::string(name_of(scheme)) + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<DeliverUri> parse_deliver_uri(std::string_view text, std::string& why) {
    DeliverUri uri;
    if (text.rfind("unix:", 0) == 0) {
        uri.scheme = DeliverScheme::Unix;
        uri.path = std::string(text.substr(5));
        if (uri.path.empty() || uri.path.front() != '/') {
            why = "a unix: target needs an absolute path";
            return std::nullopt;
        }
        if (uri.path.size() > kMaxSocketPath) {
            why = "the socket path is too long";
            return std::nullopt;
        }
        return uri;
    }
    const auto sep = text.find("://");
    if (sep == std::string_view::npos) {
        why = "no scheme";
        return std::nullopt;
    }
    const std::string_view scheme = text.substr(0, sep);
    if (scheme == "tcp") {
        uri.scheme = DeliverScheme::Tcp;
    } else if (scheme == "udp") {
        uri.scheme = DeliverScheme::Udp;
    } else if (scheme == "wap-push+udp") {
        uri.scheme = DeliverScheme::WapPushUdp;
    } else {
        why = "unknown scheme \"" + std::string(scheme) + "\"";
        return std::nullopt;
    }
    std::string_view rest = text.substr(sep + 3);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.find('/') != std::string_view::npos) {
        why = "a path is not allowed after HOST:PORT";
        return std::nullopt;
    }
    if (!split_host_port(rest, uri.host, uri.port, 0, why)) return std::nullopt;
    return uri;
}

std::string ConfigError::to_string() const {
    std::string out = file;
    if (line != 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    out += ": ";
    if (!key.empty()) out += key + ": ";
    return out + message;
}

ConfigException::ConfigException(std::vector<ConfigError> errors)
    : std::runtime_error(errors.empty() ? std::string("configuration error") : errors.front().to_string()),
      errors_(std::move(errors)) {}

const DmServerConfig* find_dm_server(const Config& config, std::string_view id) {
    for (const auto& d : config.dm_servers) {
        if (d.id == id) return &d;
    }
    return nullptr;
}

bool card_link_built(LinkKind link) {
    switch (link) {
        case LinkKind::Pcsc:
            return DMSC_HAVE_PCSC != 0;
        case LinkKind::Iccd:
            return DMSC_HAVE_USB != 0;  // gateway/iccd_link.cpp (libusb-1.0)
        case LinkKind::Sim:
            return true;  // always built (libcamera-style virtual backend)
        case LinkKind::Auto:
            return DMSC_HAVE_PCSC != 0 || DMSC_HAVE_USB != 0;  // picks one of them at start-up
    }
    return false;
}

Config default_config() {
    Config c;
    if (!card_link_built(c.card.link)) c.card.link = LinkKind::Sim;
    return c;
}

// [platform] (docs/configuration.md): checked with the same rules as PROVIDE LOCAL
// INFORMATION and the location-status event use, so a value the card would get wrong is a
// load error naming the key.
std::string without_key(const std::string& message) {  // "imei: ..." → "..."
    const auto at = message.find(": ");
    return at == std::string::npos ? message : message.substr(at + 2);
}

void read_platform(Section& s, Context& ctx, PlatformConfig& p) {
    if (s.string("imei", p.imei) && !p.imei.empty()) {
        if (auto e = registry::encode_imei(p.imei); !e) s.error("imei", without_key(e.error()));
    }
    if (s.string("imeisv", p.imeisv) && !p.imeisv.empty()) {
        if (auto e = registry::encode_imeisv(p.imeisv); !e) s.error("imeisv", without_key(e.error()));
    }
    if (s.string("language", p.language) && !p.language.empty()) {
        if (!registry::parse_platform_event("language", {{"language", p.language}})) {
            s.error("language", toml_quote(p.language) + " is not two ISO 639 letters; write e.g. \"en\"");
        }
    }
    if (s.string("access_technology", p.access_technology) && !p.access_technology.empty() &&
        !registry::access_technology_code(p.access_technology)) {
        s.error("access_technology", toml_quote(p.access_technology) +
                                         " is not an access technology; use \"gsm\", \"utran\", "
                                         "\"e-utran\", \"ng-ran\" ... or a number (TS 102 223 8.61)");
    }
    if (const toml::table* t = sub_table(s, "location")) {
        Section loc(*t, s.key_path("location"), ctx,
                    {"mcc", "mnc", "lac", "tac", "cell_id", "rnc_id", "eci"});
        registry::EventArguments args{{"state", "normal"}};
        for (const auto& [k, v] : *t) {
            if (const auto* str = v.as_string()) {
                args[std::string(k.str())] = str->get();
            } else if (const auto* i = v.as_integer()) {
                args[std::string(k.str())] = std::to_string(i->get());
            } else {
                loc.error(k.str(), "expected a string or an integer, found " + std::string(type_name(v)));
            }
        }
        loc.finish();
        if (auto e = registry::parse_platform_event("location-status", args); !e) {
            s.error("location", e.error());
        } else {
            args.erase("state");
            p.location = std::move(args);
        }
    }
    s.finish();
}

ConfigResult parse_config(std::string_view text, const std::string& source) {
    Context ctx;
    ctx.file = source;
    std::error_code dir_ec;
    ctx.base_dir = fs::absolute(source, dir_ec).parent_path();

    toml::table doc;
    try {
        doc = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        ConfigResult r;
        const auto& at = e.source().begin;
        r.errors.push_back({source, at.line, at.column, "",
                            std::string(e.description()) + "; fix the TOML syntax (https://toml.io)"});
        return r;
    }

    Config config = default_config();
    std::error_code abs_ec;
    const fs::path absolute = fs::absolute(source, abs_ec);
    config.path = abs_ec ? source : absolute.lexically_normal().string();
    Section root(
        doc, "", ctx,
        {"daemon", "card", "application", "dm_server", "bip", "debug", "trace", "log", "platform", "eem"});
    if (const toml::table* t = sub_table(root, "daemon")) {
        Section s(*t, "daemon", ctx, {"user", "group", "keep_capabilities"});
        read_daemon(s, ctx, config.daemon);
    }
    if (const toml::table* t = sub_table(root, "card")) {
        Section s(
            *t, "card", ctx,
            {"link", "reader", "scenario", "usb", "class", "protocol", "share", "poll_interval_ms",
             "poll_interval_min_ms", "busy_backoff_initial_ms", "busy_backoff_max_ms", "pending_timeout_ms"});
        read_card(s, ctx, config.card);
    }
    if (const toml::node* n = root.node("application")) {
        const toml::array* array = n->as_array();
        if (array == nullptr || !array->is_array_of_tables()) {
            root.error("application", "expected [[application]] entries (an array of tables), found " +
                                          std::string(type_name(*n)) + "; write each one as [[application]]");
        } else {
            for (std::size_t i = 0; i < array->size(); ++i) {
                ApplicationConfig app;
                Section s(*array->get(i)->as_table(), "application[" + std::to_string(i) + "]", ctx,
                          {"name", "type", "port", "coding", "deliver", "launch", "launch_timeout_ms"});
                read_application(s, app);
                config.applications.push_back(std::move(app));
            }
            check_applications(ctx, *array, config.applications, config.card.pending_timeout_ms);
        }
    }
    if (const toml::node* n = root.node("dm_server")) {
        const toml::array* array = n->as_array();
        if (array == nullptr || !array->is_array_of_tables()) {
            root.error("dm_server", "expected [[dm_server]] entries (an array of tables), found " +
                                        std::string(type_name(*n)) + "; write each one as [[dm_server]]");
        } else {
            for (std::size_t i = 0; i < array->size(); ++i) {
                DmServerConfig server;
                Section s(*array->get(i)->as_table(), "dm_server[" + std::to_string(i) + "]", ctx,
                          {"id", "secret", "auth_data", "nonce", "nonce_hex", "drop_bad_digest"});
                read_dm_server(s, server);
                config.dm_servers.push_back(std::move(server));
            }
            check_dm_servers(ctx, *array, config.dm_servers);
        }
    }
    if (const toml::table* t = sub_table(root, "bip")) {
        Section s(*t, "bip", ctx, {"listen", "allow_remote", "buffer_size", "max_channels"});
        read_bip(s, config.bip);
    }
    if (const toml::table* t = sub_table(root, "debug")) {
        Section s(*t, "debug", ctx, {"socket", "group", "mode", "max_clients", "max_line_bytes"});
        read_debug(s, config.debug);
    }
    if (const toml::table* t = sub_table(root, "trace")) {
        Section s(*t, "trace", ctx, {"gsmtap", "pcap"});
        read_trace(s, ctx, config.trace);
    }
    if (const toml::table* t = sub_table(root, "eem")) {
        Section s(*t, "eem", ctx,
                  {"enabled", "tap", "address", "uicc_address", "mtu", "pipe", "usb", "hosts_file",
                   "hostname", "crc", "dhcp", "dhcp_lease", "address6", "uicc_address6"});
        read_eem(s, config.eem);
    }
    if (const toml::table* t = sub_table(root, "log")) {
        Section s(*t, "log", ctx, {"level", "format", "category"});
        read_log(s, ctx, config.log);
    }
    if (const toml::table* t = sub_table(root, "platform")) {
        Section s(*t, "platform", ctx, {"imei", "imeisv", "language", "access_technology", "location"});
        read_platform(s, ctx, config.platform);
    }
    root.finish();

    ConfigResult r;
    std::stable_sort(ctx.errors.begin(), ctx.errors.end(), [](const ConfigError& a, const ConfigError& b) {
        return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    r.errors = std::move(ctx.errors);
    if (r.errors.empty()) r.config = std::move(config);
    return r;
}

ConfigResult load_config_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        ConfigResult r;
        std::error_code ec;
        const bool exists = fs::exists(path, ec);
        r.errors.push_back(
            {path, 0, 0, "",
             exists ? "cannot be read; check its permissions"
                    : "no such file; check the path (gateway.example.toml is a commented start)"});
        return r;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_config(text.str(), path);
}

std::string to_toml(const Config& c) {
    std::ostringstream o;
    o << "# effective configuration" << (c.path.empty() ? " (built-in defaults)" : " of " + c.path) << "\n\n";
    o << "[daemon]\n";
    o << "user = " << toml_quote(c.daemon.user) << "\n";
    o << "group = " << toml_quote(c.daemon.group) << "\n";
    o << "keep_capabilities = [";
    for (std::size_t i = 0; i < c.daemon.keep_capabilities.size(); ++i)
        o << (i ? ", " : "") << toml_quote(c.daemon.keep_capabilities[i]);
    o << "]\n\n";
    o << "[card]\n";
    o << "link = " << toml_quote(name_of(c.card.link)) << "\n";
    o << "reader = " << toml_quote(c.card.reader) << "\n";
    o << "scenario = " << toml_quote(c.card.scenario) << "\n";
    o << "usb = " << toml_quote(c.card.usb) << "\n";
    o << "class = " << toml_quote(name_of(c.card.card_class)) << "\n";
    o << "protocol = " << toml_quote(name_of(c.card.protocol)) << "\n";
    o << "share = " << toml_quote(name_of(c.card.share)) << "\n";
    o << "poll_interval_ms = " << c.card.poll_interval_ms << "\n";
    o << "poll_interval_min_ms = " << c.card.poll_interval_min_ms << "\n";
    o << "busy_backoff_initial_ms = " << c.card.busy_backoff_initial_ms << "\n";
    o << "busy_backoff_max_ms = " << c.card.busy_backoff_max_ms << "\n";
    o << "pending_timeout_ms = " << c.card.pending_timeout_ms << "\n";
    for (const auto& a : c.applications) {
        static constexpr char kHex[] = "0123456789ABCDEF";
        o << "\n[[application]]\n";
        o << "name = " << toml_quote(a.name) << "\n";
        o << "type = 0x" << kHex[a.type >> 4] << kHex[a.type & 0x0F] << "\n";
        o << "port = " << a.port << "\n";
        o << "coding = " << toml_quote(name_of(a.coding)) << "\n";
        o << "deliver = " << toml_quote(a.deliver.to_string()) << "\n";
        o << "launch = " << toml_quote(a.launch) << "\n";
        o << "launch_timeout_ms = " << a.launch_timeout_ms << "\n";
    }
    for (const auto& d : c.dm_servers) {
        // Secrets are not printed: the effective config is shown on terminals and in bug reports.
        o << "\n[[dm_server]]\n";
        o << "id = " << toml_quote(d.id) << "\n";
        o << "# secret, auth_data, nonce: " << (d.secret.empty() ? "secret empty" : "set, not shown") << "\n";
        o << "drop_bad_digest = " << (d.drop_bad_digest ? "true" : "false") << "\n";
    }
    o << "\n[bip]\n";
    o << "listen = " << toml_quote(c.bip.listen) << "\n";
    o << "allow_remote = " << (c.bip.allow_remote ? "true" : "false") << "\n";
    o << "buffer_size = " << c.bip.buffer_size << "\n";
    o << "max_channels = " << static_cast<unsigned>(c.bip.max_channels) << "\n";
    o << "\n[debug]\n";
    o << "socket = " << toml_quote(c.debug.socket) << "\n";
    o << "group = " << toml_quote(c.debug.group) << "\n";
    char mode[16];
    std::snprintf(mode, sizeof mode, "%04o", c.debug.mode);
    o << "mode = " << toml_quote(mode) << "\n";
    o << "max_clients = " << c.debug.max_clients << "\n";
    o << "max_line_bytes = " << c.debug.max_line_bytes << "\n";
    o << "\n[trace]\n";
    o << "gsmtap = " << toml_quote(c.trace.gsmtap) << "\n";
    o << "pcap = " << toml_quote(c.trace.pcap) << "\n";
    o << "\n[platform]\n";
    o << "imei = " << toml_quote(c.platform.imei) << "\n";
    o << "imeisv = " << toml_quote(c.platform.imeisv) << "\n";
    o << "language = " << toml_quote(c.platform.language) << "\n";
    o << "access_technology = " << toml_quote(c.platform.access_technology) << "\n";
    if (!c.platform.location.empty()) {
        o << "\n[platform.location]\n";
        for (const auto& [k, v] : c.platform.location) o << k << " = " << toml_quote(v) << "\n";
    }
    o << "\n[eem]\n";
    o << "enabled = " << (c.eem.enabled ? "true" : "false") << "\n";
    o << "tap = " << toml_quote(c.eem.tap) << "\n";
    o << "address = " << toml_quote(c.eem.address) << "\n";
    o << "uicc_address = " << toml_quote(c.eem.uicc_address) << "\n";
    o << "mtu = " << c.eem.mtu << "\n";
    o << "pipe = " << toml_quote(c.eem.pipe) << "\n";
    o << "usb = " << toml_quote(c.eem.usb) << "\n";
    o << "hosts_file = " << toml_quote(c.eem.hosts_file) << "\n";
    o << "hostname = " << toml_quote(c.eem.hostname) << "\n";
    o << "crc = " << (c.eem.crc ? "true" : "false") << "\n";
    o << "dhcp = " << (c.eem.dhcp ? "true" : "false") << "\n";
    o << "dhcp_lease = " << c.eem.dhcp_lease << "\n";
    o << "address6 = " << toml_quote(c.eem.address6) << "\n";
    o << "uicc_address6 = " << toml_quote(c.eem.uicc_address6) << "\n";
    o << "\n[log]\n";
    o << "level = " << toml_quote(name_of(c.log.level)) << "\n";
    o << "format = " << toml_quote(name_of(c.log.format)) << "\n";
    o << "\n[log.category]\n";
    for (std::size_t i = 0; i < kLogCategoryCount; ++i) {
        const auto category = static_cast<LogCategory>(i);
        const auto it = c.log.categories.find(category);
        o << name_of(category) << " = "
          << toml_quote(name_of(it != c.log.categories.end() ? it->second : c.log.level)) << "\n";
    }
    return o.str();
}

}  // namespace dmsc::gateway
