// gateway/debug_server.hpp — the debug socket: a Unix stream socket speaking one JSON object per
// line each way, with commands the daemon registers, plus the built-ins `help` and `trace`
// (a live stream of APDU exchanges). Protocol reference: docs/debug-socket.md.
#pragma once

#include <sys/types.h>

// GCC 12 at -O2 sees a "potential null pointer dereference" inside Asio's scheduler
// (scheduler.ipp, compensating_work_started); the warning is Asio's, not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#pragma GCC diagnostic pop
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "gateway/trace.hpp"

namespace dmsc::gateway {

// Thrown by a command handler to answer {"ok":false,"error":what()}.
class CommandError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct DebugServerOptions {
    std::string path = "/run/dmsc-gateway/ctl.sock";
    std::string group;                        // "" = keep the daemon's group; else chown to it
    std::size_t max_line = 64 * 1024;         // longer request → error reply and close
    std::size_t max_clients = 16;             // one more → error reply and close
    std::size_t max_backlog_bytes = 1 << 20;  // unsent bytes per client before trace records drop
    bool check_peer = true;                   // SO_PEERCRED: root, our uid or the socket's group
    std::optional<uid_t> owner;               // chown the socket file to this user (privilege drop)
};

class DebugServer {
public:
    // Receives the whole request object ({"cmd":..., ...}); returns the reply's fields (an
    // object; "ok":true is added) or throws CommandError. Any other exception is answered
    // as an internal error and logged by the caller's on_error, never fatal.
    using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

    // Everything (handlers too) runs on `io`'s thread; publish_apdu must be called there.
    DebugServer(boost::asio::io_context& io, DebugServerOptions options);
    ~DebugServer();
    DebugServer(const DebugServer&) = delete;
    DebugServer& operator=(const DebugServer&) = delete;

    // Creates the parent directory if missing, removes a stale socket file, binds with mode
    // 0660 (and the group), starts accepting. Throws std::runtime_error naming the path and
    // what to do when another daemon already answers there, the path is not a socket, or the
    // bind / chmod / chown fails.
    void start();
    // Closes the listener and every connection, removes the socket file. Idempotent.
    void stop();

    // Registers (or replaces) a command. `help` is one line for the `help` listing.
    void add_command(std::string name, Handler handler, std::string help = "");

    // Sends one record to every client that asked for `trace`.
    void publish_apdu(const ApduRecord& record);
    // Sends an annotation to every `trace` client: `note` (its kind, e.g. "package0") and the
    // fields that go with it; "time" is added. dmsc-ctl trace prints it between the APDUs.
    void publish_note(nlohmann::json note);

    // Reports problems worth a log line (a peer refused, a handler threw). Optional.
    void on_error(std::function<void(const std::string&)> log) { log_ = std::move(log); }

    const std::string& path() const { return options_.path; }
    std::size_t client_count() const { return sessions_.size(); }
    std::size_t trace_client_count() const;
    // The most unsent output bytes any one client has queued (bounded by max_backlog_bytes for
    // trace records; a request's reply is written before the next request is read).
    std::size_t largest_backlog() const;
    bool has_trace_clients() const { return trace_client_count() > 0; }

    // The reply line (without '\n') to one request line; public for tests.
    std::string handle_line(const std::string& line, bool* start_trace = nullptr);

    class Session;

private:
    struct Command {
        Handler handler;
        std::string help;
    };

    void do_accept();
    void check_no_live_daemon();
    void log(const std::string& message) const;
    std::string known_commands() const;
    bool peer_allowed(int fd, std::string& why) const;
    void remove_session(Session* s);

    DebugServerOptions options_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    std::map<std::string, Command> commands_;
    std::set<std::shared_ptr<Session>> sessions_;
    std::function<void(const std::string&)> log_;
    std::optional<gid_t> socket_gid_;
    bool started_ = false;
    friend class Session;
};

}  // namespace dmsc::gateway
