// tests/gateway/test_debug_peer.cpp — the debug socket's SO_PEERCRED check with real peers of
// other uids/gids: a forked child switches identity, connects and reports the first line it
// reads. The socket is made 0666 here so the file mode does not refuse the peer first: the
// credential check must hold on its own (a widened debug.mode, a bind mount, a passed fd).
// Needs root (skipped otherwise).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"  // GCC 12 false positive inside Asio
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gateway/debug_server.hpp"

using dmsc::gateway::DebugServer;
using dmsc::gateway::DebugServerOptions;
using nlohmann::json;

namespace {

constexpr uid_t kPeerUid = 4242;
constexpr gid_t kPeerGid = 4242;

struct Peer {
    gid_t gid;
    std::vector<gid_t> groups;
};

// Forks a child that becomes uid kPeerUid with `peer`'s groups, connects to `path`, sends a
// status request, and writes back the first line it receives ("" on EOF). The parent steps
// `io` until the child's answer arrives.
std::string ask_as(boost::asio::io_context& io, const std::string& path, const Peer& peer) {
    int pipefd[2];
    REQUIRE(::pipe(pipefd) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(pipefd[0]);
        if (::setgroups(peer.groups.size(), peer.groups.data()) != 0 ||
            ::setresgid(peer.gid, peer.gid, peer.gid) != 0 ||
            ::setresuid(kPeerUid, kPeerUid, kPeerUid) != 0) {
            ::_exit(3);
        }
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path.c_str(), path.size());
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) ::_exit(4);
        const char request[] = "{\"cmd\":\"status\"}\n";
        (void)!::send(fd, request, sizeof request - 1, MSG_NOSIGNAL);  // a refused peer may be closed already
        std::string line;
        char c = 0;
        while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
        // Then EOF or not: a refused peer is closed, an allowed one stays connected.
        timeval tv{0, 300'000};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        // Closed: EOF, or ECONNRESET when our request was still unread at the server's close.
        const ssize_t n = ::read(fd, &c, 1);
        const bool closed = n == 0 || (n < 0 && errno == ECONNRESET);
        line += closed ? "\n<closed>" : "\n<open>";
        (void)!::write(pipefd[1], line.data(), line.size());
        ::_exit(0);
    }
    ::close(pipefd[1]);
    ::fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        char buf[4096];
        const ssize_t n = ::read(pipefd[0], buf, sizeof buf);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0 || std::chrono::steady_clock::now() > deadline) break;
        io.restart();
        io.run_for(std::chrono::milliseconds(5));
    }
    ::close(pipefd[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE_MESSAGE(WIFEXITED(status), "peer child crashed");
    REQUIRE_MESSAGE(WEXITSTATUS(status) == 0, "peer child failed at step " << WEXITSTATUS(status));
    return out;
}

struct PeerFixture {
    std::string dir;
    boost::asio::io_context io;
    std::unique_ptr<DebugServer> server;
    std::vector<std::string> logged;

    explicit PeerFixture(const std::string& group) {
        char tmpl[] = "/tmp/dmsc-peer-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        ::chmod(dir.c_str(), 0755);
        DebugServerOptions o;
        o.path = dir + "/ctl.sock";
        o.group = group;
        server = std::make_unique<DebugServer>(io, o);
        server->add_command("status", [](const json&) { return json{{"state", "powered"}}; });
        server->on_error([this](const std::string& m) { logged.push_back(m); });
        server->start();
        REQUIRE(::chmod(o.path.c_str(), 0666) == 0);
    }
    ~PeerFixture() {
        server->stop();
        std::filesystem::remove_all(dir);
    }
    std::string path() const { return dir + "/ctl.sock"; }
};

// Splits "LINE\n<closed>" into the reply and whether the server closed the connection.
std::pair<json, bool> parse_answer(const std::string& answer) {
    const auto nl = answer.rfind('\n');
    REQUIRE(nl != std::string::npos);
    const std::string line = answer.substr(0, nl);
    REQUIRE_MESSAGE(!line.empty(), "no reply line: " << answer);
    return {json::parse(line), answer.substr(nl + 1) == "<closed>"};
}

// The socket's group: an existing group (adding one to /etc/group is not this test's business).
struct ExistingGroup {
    std::string name;
    gid_t gid = 0;
};
ExistingGroup pick_group() {
    for (const char* name : {"nogroup", "users", "daemon"}) {
        if (const group* g = ::getgrnam(name)) return {name, g->gr_gid};
    }
    return {};
}

}  // namespace

TEST_CASE("Debug socket peers: a uid that is neither root, ours nor in the group is refused and closed") {
    if (::geteuid() != 0) return;  // needs root to fork peers of other uids
    const auto g = pick_group();
    REQUIRE(!g.name.empty());
    PeerFixture f(g.name);
    const auto [reply, closed] = parse_answer(ask_as(f.io, f.path(), {kPeerGid, {kPeerGid}}));
    CHECK(reply["ok"] == false);
    const std::string error = reply["error"].get<std::string>();
    CHECK(error.find("permission denied: uid 4242") != std::string::npos);
    CHECK(error.find("neither root, the daemon's user nor in the socket's group") != std::string::npos);
    CHECK(reply.find("state") == reply.end());  // the command did not run
    CHECK(closed);
    REQUIRE(!f.logged.empty());
    CHECK(f.logged.back().find("refused a client: uid 4242") != std::string::npos);
}

TEST_CASE("Debug socket peers: the socket's group as primary group is allowed") {
    if (::geteuid() != 0) return;
    const auto g = pick_group();
    REQUIRE(!g.name.empty());
    PeerFixture f(g.name);
    struct stat st {};
    REQUIRE(::stat(f.path().c_str(), &st) == 0);
    CHECK(st.st_gid == g.gid);
    const auto [reply, closed] = parse_answer(ask_as(f.io, f.path(), {g.gid, {g.gid}}));
    CHECK(reply["ok"] == true);
    CHECK(reply["state"] == "powered");
    CHECK_FALSE(closed);
}

TEST_CASE("Debug socket peers: the socket's group as a supplementary group only is allowed") {
    if (::geteuid() != 0) return;
    const auto g = pick_group();
    REQUIRE(!g.name.empty());
    PeerFixture f(g.name);
    // uid 4242 has no passwd entry: only the kernel's view (SO_PEERGROUPS) can know this.
    const auto [reply, closed] = parse_answer(ask_as(f.io, f.path(), {kPeerGid, {kPeerGid, g.gid}}));
    CHECK(reply["ok"] == true);
    CHECK_FALSE(closed);
}

TEST_CASE("Debug socket peers: without a group option the daemon's group counts; other gids are refused") {
    if (::geteuid() != 0) return;
    PeerFixture f("");
    // The daemon (this test) runs with gid 0: a peer in group 0 is allowed, one outside is not.
    auto [ok_reply, ok_closed] = parse_answer(ask_as(f.io, f.path(), {0, {0}}));
    CHECK(ok_reply["ok"] == true);
    CHECK_FALSE(ok_closed);
    auto [no_reply, no_closed] = parse_answer(ask_as(f.io, f.path(), {kPeerGid, {kPeerGid}}));
    CHECK(no_reply["ok"] == false);
    CHECK(no_closed);
}
