// gateway/ctl_client.cpp — dmsc-ctl's debug-socket client: requests, readable replies, the live
// trace, and the offline hex → pcap converter.
#include "gateway/ctl_client.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <poll.h>
#include <set>
#include <signal.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cat/bytes.hpp"
#include "gateway/trace.hpp"

namespace dmsc::gateway {

namespace {

using nlohmann::json;

constexpr std::string_view kDaemonCommands[] = {"status", "stats", "channels", "apps", "events", "timers",
                                                "trace",  "help",  "event",    "call", "sms-pp", "envelope"};

volatile sig_atomic_t g_interrupted = 0;
extern "C" void on_sigint(int) {
    g_interrupted = 1;
}

std::string scalar_text(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "-";
    return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool is_scalar(const json& v) {
    return !v.is_object() && !v.is_array();
}

// Width in code points, so "→" and other UTF-8 text line up.
std::size_t text_width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

std::string pad(const std::string& s, std::size_t width) {
    const std::size_t n = text_width(s);
    return n >= width ? s : s + std::string(width - n, ' ');
}

void render_table(const json& rows, const std::string& indent, std::string& out) {
    std::vector<std::string> columns;
    std::set<std::string> seen;
    // "id" and "name" lead when present; then every other key in first-seen order.
    for (const char* lead : {"id", "name"}) {
        for (const auto& r : rows) {
            if (r.contains(lead) && seen.insert(lead).second) columns.push_back(lead);
        }
    }
    for (const auto& r : rows) {
        for (const auto& [k, v] : r.items()) {
            if (seen.insert(k).second) columns.push_back(k);
        }
    }
    std::vector<std::vector<std::string>> cells;
    std::vector<std::size_t> width;
    for (const auto& c : columns) width.push_back(text_width(c));
    for (const auto& r : rows) {
        std::vector<std::string> line;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            const auto it = r.find(columns[i]);
            std::string cell = it == r.end() ? "" : scalar_text(*it);
            width[i] = std::max(width[i], text_width(cell));
            line.push_back(std::move(cell));
        }
        cells.push_back(std::move(line));
    }
    auto emit = [&](const std::vector<std::string>& line) {
        std::string s = indent;
        for (std::size_t i = 0; i < line.size(); ++i) {
            s += i + 1 < line.size() ? pad(line[i], width[i]) + "  " : line[i];
        }
        while (!s.empty() && s.back() == ' ') s.pop_back();
        out += s + "\n";
    };
    std::vector<std::string> header;
    for (const auto& c : columns) {
        std::string h = c;
        std::transform(h.begin(), h.end(), h.begin(), [](unsigned char ch) { return std::toupper(ch); });
        header.push_back(h);
    }
    emit(header);
    for (const auto& line : cells) emit(line);
}

bool all_objects(const json& a) {
    return !a.empty() && std::all_of(a.begin(), a.end(), [](const json& e) { return e.is_object(); });
}

void render_object(const json& obj, const std::string& indent, std::string& out) {
    std::size_t width = 0;
    for (const auto& [k, v] : obj.items()) {
        if (is_scalar(v) || v.empty() || (v.is_array() && !all_objects(v)))
            width = std::max(width, k.size() + 1);
    }
    for (const auto& [k, v] : obj.items()) {
        if (v.is_object() && !v.empty()) {
            out += indent + k + ":\n";
            render_object(v, indent + "  ", out);
        } else if (v.is_array() && all_objects(v)) {
            out += indent + k + ":\n";
            render_table(v, indent + "  ", out);
        } else if (v.is_array() || v.is_object()) {
            std::string list;
            for (const auto& e : v) list += (list.empty() ? "" : ", ") + scalar_text(e);
            out += indent + pad(k + ":", width) + " " + (v.empty() ? "(none)" : list) + "\n";
        } else {
            out += indent + pad(k + ":", width) + " " + scalar_text(v) + "\n";
        }
    }
}

// Parses k=v (string) or k:=JSON into `out`.
bool parse_kv(std::string_view a, json& out, std::string& error) {
    const auto eq = a.find('=');
    if (eq == std::string_view::npos || eq == 0) {
        error = "'" + std::string(a) + "' is not KEY=VALUE (or KEY:=JSON)";
        return false;
    }
    if (a[eq - 1] == ':' && eq > 1) {
        const std::string key(a.substr(0, eq - 1));
        try {
            out[key] = json::parse(a.substr(eq + 1));
        } catch (const json::exception&) {
            error = "'" + std::string(a) + "': the value after ':=' is not JSON";
            return false;
        }
        return true;
    }
    out[std::string(a.substr(0, eq))] = std::string(a.substr(eq + 1));
    return true;
}

// --- the socket --------------------------------------------------------------------------

class Connection {
public:
    ~Connection() {
        if (fd_ >= 0) ::close(fd_);
    }
    // Returns "" or the reason.
    std::string connect(const std::string& path) {
        if (path.size() >= sizeof(sockaddr_un{}.sun_path)) return "path too long";
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) return std::strerror(errno);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path.c_str(), path.size());
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
            return std::strerror(errno);
        return "";
    }
    bool send_line(const std::string& line) {
        std::string data = line + "\n";
        std::size_t done = 0;
        while (done < data.size()) {
            const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    }
    enum class Read { Line, Eof, Timeout, Interrupted, Error };
    // Reads one line; timeout_ms < 0 waits forever.
    Read read_line(std::string& line, int timeout_ms) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            if (const auto nl = buf_.find('\n'); nl != std::string::npos) {
                line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return Read::Line;
            }
            if (g_interrupted) return Read::Interrupted;
            int wait = -1;
            if (timeout_ms >= 0) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now())
                                      .count();
                if (left <= 0) return Read::Timeout;
                wait = static_cast<int>(left);
            }
            pollfd p{fd_, POLLIN, 0};
            const int rc = ::poll(&p, 1, wait);
            if (rc < 0 && errno == EINTR) continue;
            if (rc < 0) return Read::Error;
            if (rc == 0) continue;  // the deadline check above ends it
            char chunk[65536];
            const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return Read::Error;
            if (n == 0) return Read::Eof;
            buf_.append(chunk, static_cast<std::size_t>(n));
        }
    }

private:
    int fd_ = -1;
    std::string buf_;
};

bool parse_reply(const std::string& line, json& reply) {
    try {
        reply = json::parse(line);
    } catch (const json::exception&) {
        return false;
    }
    return reply.is_object();
}

}  // namespace

std::string ctl_socket_path(const CtlOptions& o) {
    if (!o.socket.empty()) return o.socket;
    if (const char* env = std::getenv("DMSC_CTL_SOCKET"); env && *env) return env;
    return kDefaultCtlSocket;
}

bool is_daemon_command(std::string_view cmd) {
    return std::find(std::begin(kDaemonCommands), std::end(kDaemonCommands), cmd) !=
           std::end(kDaemonCommands);
}

bool build_request(std::string_view cmd, const std::vector<std::string_view>& args, json& request,
                   std::string& error) {
    std::size_t first = 0;
    request = json::object();
    if (cmd == "event") {
        if (args.empty() || args[0].find('=') != std::string_view::npos) {
            error = "usage: dmsc-ctl event NAME [KEY=VALUE | KEY:=JSON ...]";
            return false;
        }
        request["cmd"] = "event";
        request["name"] = std::string(args[0]);
        json a = json::object();
        for (std::size_t i = 1; i < args.size(); ++i) {
            if (!parse_kv(args[i], a, error)) return false;
        }
        request["args"] = std::move(a);
        return true;
    }
    if (cmd == "call") {
        if (args.empty() || args[0].find('=') != std::string_view::npos) {
            error = "usage: dmsc-ctl call COMMAND [KEY=VALUE | KEY:=JSON ...]";
            return false;
        }
        cmd = args[0];
        first = 1;
    }
    for (std::size_t i = first; i < args.size(); ++i) {
        if (!parse_kv(args[i], request, error)) return false;
    }
    request["cmd"] = std::string(cmd);
    return true;
}

std::string format_reply(const json& reply) {
    json shown = reply;
    if (shown.is_object()) {
        shown.erase("ok");
        shown.erase("id");
    } else {
        shown = json{{"result", reply}};
    }
    std::string out;
    render_object(shown, "", out);
    return out;
}

std::string format_trace_record(const json& record, bool hex) {
    if (record.contains("lost")) {
        return "-- lost " + scalar_text(record["lost"]) + " trace records (this client read too slowly) --\n";
    }
    const std::string time = record.value("time", "");
    // "2024-05-01T12:34:56.789Z" → "12:34:56.789"
    std::string line = time.size() >= 23 ? time.substr(11, 12) : time;
    line += " " + record.value("link", "?") + "  " + record.value("summary", "");
    if (record.contains("sw") && record["sw"].is_string()) line += "  " + record["sw"].get<std::string>();
    if (record.contains("error")) line += "  error: " + scalar_text(record["error"]);
    line += "\n";
    if (hex) {
        line += "    C: " + record.value("command", "") + "\n";
        if (!record.value("response", "").empty()) line += "    R: " + record.value("response", "") + "\n";
    }
    return line;
}

int run_ctl_command(std::string_view cmd, const std::vector<std::string_view>& args, const CtlOptions& o) {
    json request;
    std::string error;
    if (!build_request(cmd, args, request, error)) {
        std::fprintf(stderr, "dmsc-ctl: %s\n", error.c_str());
        return 2;
    }
    const std::string path = ctl_socket_path(o);
    Connection c;
    if (const auto why = c.connect(path); !why.empty()) {
        std::fprintf(
            stderr,
            "dmsc-ctl: cannot connect to %s: %s — is dmsc-gatewayd running? (-s SOCKET to use another)\n",
            path.c_str(), why.c_str());
        return 1;
    }
    const bool trace = request["cmd"] == "trace";
    if (trace) {
        struct sigaction sa {};
        sa.sa_handler = on_sigint;  // no SA_RESTART: poll() returns EINTR and we end cleanly
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, nullptr);
        sigaction(SIGTERM, &sa, nullptr);
    }
    if (!c.send_line(request.dump())) {
        std::fprintf(stderr, "dmsc-ctl: %s: the daemon closed the connection\n", path.c_str());
        return 1;
    }
    std::string line;
    switch (c.read_line(line, o.timeout_ms)) {
        case Connection::Read::Line:
            break;
        case Connection::Read::Timeout:
            std::fprintf(stderr, "dmsc-ctl: %s: no reply within %d ms\n", path.c_str(), o.timeout_ms);
            return 1;
        case Connection::Read::Interrupted:
            return 130;
        default:
            std::fprintf(stderr, "dmsc-ctl: %s: the daemon closed the connection without a reply\n",
                         path.c_str());
            return 1;
    }
    json reply;
    if (!parse_reply(line, reply)) {
        std::fprintf(stderr, "dmsc-ctl: %s: not a JSON reply: %.200s\n", path.c_str(), line.c_str());
        return 1;
    }
    const bool ok = reply.value("ok", false);
    if (o.json) {
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
    }
    if (!ok) {
        if (!o.json)
            std::fprintf(stderr, "dmsc-ctl: %s\n", reply.value("error", std::string("error")).c_str());
        return 1;
    }
    // sms-pp: the ENVELOPE is queued; ask for its outcome until the card has answered it.
    if (request["cmd"] == "sms-pp" && reply.contains("envelope")) {
        const json poll = {{"cmd", "envelope"}, {"envelope", reply["envelope"]}};
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(o.timeout_ms);
        while (reply.value("state", "") == "queued" || reply.value("state", "") == "busy") {
            if (std::chrono::steady_clock::now() > deadline) {
                std::fprintf(stderr, "dmsc-ctl: the card did not answer the ENVELOPE within %d ms\n",
                             o.timeout_ms);
                return 1;
            }
            ::poll(nullptr, 0, 20);
            if (!c.send_line(poll.dump()) || c.read_line(line, o.timeout_ms) != Connection::Read::Line ||
                !parse_reply(line, reply) || !reply.value("ok", false)) {
                std::fprintf(stderr, "dmsc-ctl: %s: lost the ENVELOPE's outcome\n", path.c_str());
                return 1;
            }
            if (o.json) std::printf("%s\n", line.c_str());
        }
        if (!o.json) std::fputs(format_reply(reply).c_str(), stdout);
        return reply.value("state", "") == "done" ? 0 : 1;
    }
    if (!trace) {
        if (!o.json) std::fputs(format_reply(reply).c_str(), stdout);
        return 0;
    }
    if (!o.json) {
        std::fprintf(stderr, "tracing APDUs from %s (Ctrl-C to stop)\n", path.c_str());
    }
    for (;;) {
        switch (c.read_line(line, -1)) {
            case Connection::Read::Line:
                break;
            case Connection::Read::Interrupted:
                return 0;
            case Connection::Read::Eof:
                std::fprintf(stderr, "dmsc-ctl: the daemon ended the trace (stopped?)\n");
                return 1;
            default:
                std::fprintf(stderr, "dmsc-ctl: %s: read error: %s\n", path.c_str(), std::strerror(errno));
                return 1;
        }
        if (o.json) {
            std::printf("%s\n", line.c_str());
        } else {
            json record;
            if (parse_reply(line, record)) {
                std::fputs(format_trace_record(record, o.hex).c_str(), stdout);
            } else {
                std::printf("%s\n", line.c_str());
            }
        }
        std::fflush(stdout);
    }
}

int run_pcap_command(const std::vector<std::string_view>& args) {
    if (args.empty() || args.size() > 2) {
        std::fputs("usage: dmsc-ctl pcap OUT.pcap [FILE|-]   (one \"C-APDU R-APDU\" hex pair per line)\n",
                   stderr);
        return 2;
    }
    std::ifstream file;
    std::istream* in = &std::cin;
    if (args.size() == 2 && args[1] != "-") {
        file.open(std::string(args[1]));
        if (!file) {
            std::fprintf(stderr, "dmsc-ctl pcap: cannot read %.*s\n", static_cast<int>(args[1].size()),
                         args[1].data());
            return 1;
        }
        in = &file;
    }
    std::string out(args[0]);
    std::remove(out.c_str());  // a new trace, not an append to an older one
    std::unique_ptr<PcapSink> sink;
    try {
        sink = std::make_unique<PcapSink>(out);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dmsc-ctl: %s\n", e.what());
        return 1;
    }
    const auto base = std::chrono::system_clock::now();
    std::string line;
    int n = 0;
    int lineno = 0;
    while (std::getline(*in, line)) {
        ++lineno;
        if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') continue;
        std::string c_hex;
        std::string r_hex;
        if (const auto bar = line.find(" | "); bar != std::string::npos) line.erase(bar);
        std::istringstream words(line);
        if (const auto c = line.find("C: "); c != std::string::npos) {
            // A daemon trace log line: "sim C: HEX R: HEX | summary".
            words.str(line.substr(c + 3));
        }
        // The first word is the C-APDU; the other words (after an optional "R:") the R-APDU.
        words >> c_hex;
        for (std::string w; words >> w;) {
            if (w != "R:") r_hex += w;
        }
        ApduRecord r;
        r.time = base + std::chrono::milliseconds(n);
        r.link = "pcap";
        if (!cat::from_hex(c_hex, r.command) || r.command.size() < 4 || !cat::from_hex(r_hex, r.response) ||
            (!r.response.empty() && r.response.size() < 2)) {
            std::fprintf(stderr, "dmsc-ctl pcap: line %d: expected \"C-APDU R-APDU\" in hex\n", lineno);
            return 1;
        }
        sink->write(r);
        ++n;
    }
    if (sink->failed() > 0) {
        std::fprintf(stderr, "dmsc-ctl pcap: %s: write failed\n", out.c_str());
        return 1;
    }
    std::fprintf(stderr, "dmsc-ctl pcap: %d exchanges written to %s\n", n, out.c_str());
    return 0;
}

}  // namespace dmsc::gateway
