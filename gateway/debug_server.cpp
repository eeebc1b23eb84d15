// gateway/debug_server.cpp — the debug socket: accept, per-connection line protocol, commands,
// the `trace` stream with bounded per-client backlog, peer credential checks.
#include "gateway/debug_server.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

// GCC 12 at -O2 sees a "potential null pointer dereference" inside Asio's scheduler
// (scheduler.ipp, compensating_work_started); the warning is Asio's, not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <variant>
#include <vector>

#include "gateway/debug_request.hpp"

namespace dmsc::gateway {

namespace {

using nlohmann::json;
using stream = boost::asio::local::stream_protocol;

// Card text may be anything: never let invalid UTF-8 throw out of a reply.
std::string dump_line(const json& j) {
    return debug_dump_line(j);
}

std::string error_line(const std::string& message, const json* id = nullptr) {
    return debug_error_line(message, id);
}

std::string errno_text(int e) {
    return std::strerror(e);
}

gid_t resolve_group(const std::string& name) {
    std::vector<char> buf(16384);
    group gr{};
    group* found = nullptr;
    const int rc = getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found);
    if (rc != 0 || !found) {
        throw std::runtime_error("debug socket group \"" + name + "\": no such group" +
                                 (rc ? " (" + errno_text(rc) + ")" : std::string()) +
                                 "; create it or set debug.group to an existing one");
    }
    return found->gr_gid;
}

// Whether `uid` belongs to `gid` as its primary or a supplementary group.
bool user_in_group(uid_t uid, gid_t primary, gid_t gid) {
    if (primary == gid) return true;
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return false;
    int n = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(n));
    if (getgrouplist(found->pw_name, found->pw_gid, groups.data(), &n) < 0) {
        groups.resize(static_cast<std::size_t>(n));
        if (getgrouplist(found->pw_name, found->pw_gid, groups.data(), &n) < 0) return false;
    }
    groups.resize(static_cast<std::size_t>(n));
    for (gid_t g : groups) {
        if (g == gid) return true;
    }
    return false;
}

// Whether the peer process has `gid` as its group or a supplementary group (SO_PEERGROUPS,
// Linux 4.13+); where the kernel lacks it, the peer user's groups in the group database.
bool peer_in_group(int fd, const ucred& cred, gid_t gid) {
    if (cred.gid == gid) return true;
#ifdef SO_PEERGROUPS
    std::vector<gid_t> groups(64);
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
            groups.resize(len / sizeof(gid_t));
            return std::find(groups.begin(), groups.end(), gid) != groups.end();
        }
        if (errno != ERANGE) break;
        groups.resize(len / sizeof(gid_t) + 1);
    }
#endif
    return user_in_group(cred.uid, cred.gid, gid);
}

}  // namespace

// One connection. Owned by the server's session set; async operations keep it alive through
// shared_from_this until they complete, and check server_ (cleared on stop) before touching it.
class DebugServer::Session : public std::enable_shared_from_this<Session> {
public:
    Session(DebugServer& server, stream::socket socket)
        : server_(&server),
          socket_(std::move(socket)),
          in_(server.options_.max_line + 1),
          max_backlog_(server.options_.max_backlog_bytes) {}

    void start() { do_read(); }

    // Sends one line, then closes.
    void refuse(const std::string& line) {
        closing_ = true;
        queue(line);
    }

    // Called by the server on stop: forget it and close.
    void detach() {
        server_ = nullptr;
        boost::system::error_code ec;
        socket_.close(ec);
    }

    bool tracing() const { return tracing_; }
    std::size_t queued_bytes() const { return queued_bytes_; }
    int native_handle() { return socket_.native_handle(); }

    void publish(const std::string& line) {
        if (!tracing_ || closing_) return;
        if (queued_bytes_ + line.size() + 1 > max_backlog_) {
            ++lost_;  // a client that does not read must not grow our memory
            return;
        }
        flush_lost_notice();
        queue(line);
    }

private:
    void do_read() {
        if (reading_ || closing_ || !server_) return;
        reading_ = true;
        boost::asio::async_read_until(
            socket_, in_, '\n', [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                self->on_read(ec, n);
            });
    }

    void on_read(boost::system::error_code ec, std::size_t n) {
        reading_ = false;
        if (!server_) return;
        if (ec == boost::asio::error::not_found) {
            closing_ = true;
            queue(error_line("request line longer than " + std::to_string(server_->options_.max_line) +
                             " bytes; closing the connection"));
            return;
        }
        if (ec) {
            close();  // EOF: the client is done (a trace client stops this way)
            return;
        }
        std::string line(boost::asio::buffers_begin(in_.data()),
                         boost::asio::buffers_begin(in_.data()) + n - 1);
        in_.consume(n);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (tracing_ || line.find_first_not_of(" \t") == std::string::npos) {
            do_read();  // a streaming connection only reads to notice the client leaving
            return;
        }
        bool start_trace = false;
        queue(server_->handle_line(line, &start_trace));
        if (start_trace) {
            tracing_ = true;
            do_read();
        }
        // Otherwise the next request is read once this reply is written: a client that
        // pipelines without reading replies stalls itself, not the daemon.
    }

    void queue(const std::string& line) {
        out_.push_back(line + "\n");
        queued_bytes_ += out_.back().size();
        if (!writing_) do_write();
    }

    void do_write() {
        writing_ = true;
        boost::asio::async_write(
            socket_, boost::asio::buffer(out_.front()),
            [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(boost::system::error_code ec) {
        // writing_ stays set while we decide, so queue() below only appends.
        if (!server_) return;
        if (ec) {
            writing_ = false;
            close();
            return;
        }
        queued_bytes_ -= out_.front().size();
        out_.pop_front();
        if (out_.empty()) flush_lost_notice();
        if (!out_.empty()) {
            do_write();
            return;
        }
        writing_ = false;
        if (closing_) {
            close();
            return;
        }
        if (!tracing_) do_read();
    }

    void flush_lost_notice() {
        if (lost_ == 0) return;
        const json notice = {
            {"lost", lost_},
            {"notice", "lost " + std::to_string(lost_) + " trace records: this client read too slowly"}};
        lost_ = 0;
        queue(dump_line(notice));
    }

    void close() {
        boost::system::error_code ec;
        socket_.shutdown(stream::socket::shutdown_both, ec);
        socket_.close(ec);
        if (auto* s = server_) {
            server_ = nullptr;
            s->remove_session(this);  // may drop the last owner but our caller holds `self`
        }
    }

    DebugServer* server_;
    stream::socket socket_;
    boost::asio::streambuf in_;
    std::deque<std::string> out_;
    std::size_t queued_bytes_ = 0;
    std::size_t max_backlog_;
    std::uint64_t lost_ = 0;
    bool reading_ = false;
    bool writing_ = false;
    bool tracing_ = false;
    bool closing_ = false;
};

DebugServer::DebugServer(boost::asio::io_context& io, DebugServerOptions options)
    : options_(std::move(options)), acceptor_(io) {}

DebugServer::~DebugServer() {
    stop();
}

void DebugServer::log(const std::string& message) const {
    if (log_) log_(message);
}

void DebugServer::check_no_live_daemon() {
    struct stat st {};
    if (::lstat(options_.path.c_str(), &st) != 0) {
        if (errno == ENOENT) return;
        throw std::runtime_error("debug socket " + options_.path + ": " + errno_text(errno));
    }
    if (!S_ISSOCK(st.st_mode)) {
        throw std::runtime_error(
            "debug socket " + options_.path +
            ": exists and is not a socket; remove it or set debug.socket to another path");
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("debug socket: socket(): " + errno_text(errno));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, options_.path.c_str(), options_.path.size());
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    const int err = errno;
    ::close(fd);
    if (rc == 0) {
        throw std::runtime_error("debug socket " + options_.path +
                                 ": another dmsc-gatewayd is already listening there; stop it or set "
                                 "debug.socket to another path");
    }
    if (err != ECONNREFUSED) {
        throw std::runtime_error("debug socket " + options_.path +
                                 ": cannot check the existing socket: " + errno_text(err));
    }
    // A stale socket left by a daemon that did not stop cleanly.
    if (::unlink(options_.path.c_str()) != 0 && errno != ENOENT) {
        throw std::runtime_error("debug socket " + options_.path +
                                 ": cannot remove the stale socket: " + errno_text(errno));
    }
}

void DebugServer::start() {
    if (started_) return;
    const auto& path = options_.path;
    if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path)) {
        throw std::runtime_error("debug socket \"" + path + "\": the path must be 1.." +
                                 std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " characters");
    }
    const auto parent = std::filesystem::path(path).parent_path();
    bool created_parent = false;
    if (!parent.empty()) {
        std::error_code ec;
        created_parent = std::filesystem::create_directories(parent, ec);
        if (ec) {
            throw std::runtime_error("debug socket " + path + ": cannot create " + parent.string() + ": " +
                                     ec.message());
        }
    }
    check_no_live_daemon();
    if (!options_.group.empty()) socket_gid_ = resolve_group(options_.group);

    boost::system::error_code ec;
    acceptor_.open(stream(), ec);
    if (!ec) acceptor_.bind(stream::endpoint(path), ec);
    if (ec) throw std::runtime_error("debug socket " + path + ": bind: " + ec.message());
    // Permissions are set before listen(): until then every connect() is refused, so nobody
    // ever reaches the socket with the umask's mode.
    if (::chmod(path.c_str(), 0660) != 0) {
        const int e = errno;
        acceptor_.close(ec);
        ::unlink(path.c_str());
        throw std::runtime_error("debug socket " + path + ": chmod 0660: " + errno_text(e));
    }
    const uid_t owner = options_.owner ? *options_.owner : static_cast<uid_t>(-1);
    if ((socket_gid_ || options_.owner) &&
        ::chown(path.c_str(), owner, socket_gid_ ? *socket_gid_ : static_cast<gid_t>(-1)) != 0) {
        const int e = errno;
        acceptor_.close(ec);
        ::unlink(path.c_str());
        throw std::runtime_error("debug socket " + path + ": chown to group \"" + options_.group +
                                 "\": " + errno_text(e) + " (the daemon must be root or a member)");
    }
    // A directory we made is handed over too, so the daemon can remove the socket at stop
    // after the privilege drop (never a directory that existed before).
    if (created_parent && options_.owner &&
        ::chown(parent.c_str(), *options_.owner, socket_gid_ ? *socket_gid_ : static_cast<gid_t>(-1)) != 0) {
        log("debug socket: chown " + parent.string() + ": " + errno_text(errno));
    }
    if (!socket_gid_) socket_gid_ = ::getegid();
    acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec) {
        acceptor_.close(ec);
        ::unlink(path.c_str());
        throw std::runtime_error("debug socket " + path + ": listen: " + ec.message());
    }
    started_ = true;
    do_accept();
}

void DebugServer::stop() {
    if (!started_) return;
    started_ = false;
    boost::system::error_code ec;
    acceptor_.close(ec);
    auto sessions = std::move(sessions_);
    sessions_.clear();
    for (auto& s : sessions) s->detach();
    ::unlink(options_.path.c_str());
}

bool DebugServer::peer_allowed(int fd, std::string& why) const {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        why = "SO_PEERCRED: " + errno_text(errno);
        return false;
    }
    if (cred.uid == 0 || cred.uid == ::geteuid()) return true;
    if (socket_gid_ && peer_in_group(fd, cred, *socket_gid_)) return true;
    why = "uid " + std::to_string(cred.uid) + " (pid " + std::to_string(cred.pid) +
          ") is neither root, the daemon's user nor in the socket's group";
    return false;
}

void DebugServer::do_accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, stream::socket socket) {
        if (ec == boost::asio::error::operation_aborted || !started_) return;
        if (!ec) {
            auto session = std::make_shared<Session>(*this, std::move(socket));
            std::string why;
            sessions_.insert(session);
            if (sessions_.size() > options_.max_clients) {
                session->refuse(error_line("too many clients (" + std::to_string(options_.max_clients) +
                                           " connected); try again later"));
            } else if (options_.check_peer && !peer_allowed(session->native_handle(), why)) {
                log("debug socket: refused a client: " + why);
                session->refuse(error_line("permission denied: " + why));
            } else {
                session->start();
            }
        } else {
            log("debug socket: accept: " + ec.message());
        }
        do_accept();
    });
}

void DebugServer::remove_session(Session* s) {
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
        if (it->get() == s) {
            sessions_.erase(it);
            return;
        }
    }
}

std::size_t DebugServer::trace_client_count() const {
    std::size_t n = 0;
    for (const auto& s : sessions_) n += s->tracing() ? 1 : 0;
    return n;
}

std::size_t DebugServer::largest_backlog() const {
    std::size_t most = 0;
    for (const auto& s : sessions_) most = std::max(most, s->queued_bytes());
    return most;
}

void DebugServer::add_command(std::string name, Handler handler, std::string help) {
    if (name == "help" || name == "trace") {
        throw std::invalid_argument("debug socket: '" + name + "' is a built-in command");
    }
    commands_[std::move(name)] = Command{std::move(handler), std::move(help)};
}

void DebugServer::publish_apdu(const ApduRecord& record) {
    if (!has_trace_clients()) return;  // decoding costs; nobody is watching
    const std::string line = dump_line(trace_json(record));
    // Copy: a failing write may remove a session while we iterate.
    std::vector<std::shared_ptr<Session>> sessions(sessions_.begin(), sessions_.end());
    for (auto& s : sessions) s->publish(line);
}

void DebugServer::publish_note(nlohmann::json note) {
    if (!has_trace_clients()) return;
    note["time"] = iso_time(std::chrono::system_clock::now());
    const std::string line = dump_line(note);
    std::vector<std::shared_ptr<Session>> sessions(sessions_.begin(), sessions_.end());
    for (auto& s : sessions) s->publish(line);
}

std::string DebugServer::known_commands() const {
    std::string s = "help, trace";
    for (const auto& [name, c] : commands_) s += ", " + name;
    return s;
}

std::string DebugServer::handle_line(const std::string& line, bool* start_trace) {
    auto parsed = parse_debug_request(line, known_commands());
    if (auto* error = std::get_if<std::string>(&parsed)) return std::move(*error);
    const DebugRequest& request = std::get<DebugRequest>(parsed);
    const json* id = request.id ? &*request.id : nullptr;
    const std::string& cmd = request.cmd;
    json reply;
    if (cmd == "help") {
        json list = {{"help", "list the commands"},
                     {"trace", "stream every APDU exchange, one JSON line each, until disconnect"}};
        for (const auto& [name, c] : commands_) list[name] = c.help;
        reply = {{"commands", std::move(list)}};
    } else if (cmd == "trace") {
        if (start_trace) *start_trace = true;
        reply = {{"streaming", true}};
    } else if (auto it = commands_.find(cmd); it != commands_.end()) {
        try {
            json r = it->second.handler(request.object);
            if (r.is_object()) {
                reply = std::move(r);
            } else if (!r.is_null()) {
                reply = {{"result", std::move(r)}};
            } else {
                reply = json::object();
            }
        } catch (const CommandError& e) {
            return error_line(e.what(), id);
        } catch (const std::exception& e) {
            log("debug socket: command '" + cmd + "' failed: " + e.what());
            return error_line("internal error in '" + cmd + "': " + e.what(), id);
        }
    } else {
        json err = {{"ok", false},
                    {"error", "unknown command '" + cmd + "'; commands: " + known_commands()},
                    {"commands", json::array()}};
        err["commands"].push_back("help");
        err["commands"].push_back("trace");
        for (const auto& [name, c] : commands_) err["commands"].push_back(name);
        if (id) err["id"] = *id;
        return dump_line(err);
    }
    return debug_reply_line(std::move(reply), id);
}

}  // namespace dmsc::gateway
