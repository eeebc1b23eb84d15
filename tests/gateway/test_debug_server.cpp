// tests/gateway/test_debug_server.cpp — the debug socket on a real Unix socket in a temp dir,
// driven by stepping the io_context: replies, errors, caps, the trace stream, file handling.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"  // GCC 12 false positive inside Asio
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cat/bytes.hpp"
#include "gateway/debug_server.hpp"
#include "gateway/trace.hpp"

using namespace dmsc;
using gateway::DebugServer;
using gateway::DebugServerOptions;
using nlohmann::json;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/dmsc-ds-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

// A test client: a non-blocking Unix socket; every wait steps the server's io_context.
class Client {
public:
    Client(boost::asio::io_context& io, const std::string& path) : io_(io) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path.c_str(), path.size());
        REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
        ::fcntl(fd_, F_SETFL, O_NONBLOCK);
    }
    ~Client() { close(); }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    void send(const std::string& data) {
        std::size_t done = 0;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (done < data.size() && std::chrono::steady_clock::now() < deadline) {
            const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
            if (n > 0) {
                done += static_cast<std::size_t>(n);
            } else {
                if (n < 0 && errno != EAGAIN) break;
                step();
            }
        }
    }
    // One line (without '\n'), or "" with eof() set / after the timeout.
    std::string line(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (const auto nl = buf_.find('\n'); nl != std::string::npos) {
                std::string l = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return l;
            }
            if (eof_ || std::chrono::steady_clock::now() >= deadline) return "";
            if (!fill()) step();
        }
    }
    json reply(const std::string& request) {
        send(request + "\n");
        const auto l = line();
        REQUIRE_MESSAGE(!l.empty(), "no reply to " << request);
        return json::parse(l);
    }
    bool eof() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!eof_ && std::chrono::steady_clock::now() < deadline) {
            if (!fill()) step();
        }
        return eof_;
    }

private:
    bool fill() {
        char chunk[65536];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n > 0) {
            buf_.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
        if (n == 0 || (n < 0 && errno != EAGAIN)) eof_ = true;
        return false;
    }
    void step() {
        io_.restart();
        io_.run_for(std::chrono::milliseconds(2));
    }

    boost::asio::io_context& io_;
    int fd_ = -1;
    std::string buf_;
    bool eof_ = false;
};

void run_a_little(boost::asio::io_context& io) {
    io.restart();
    io.run_for(std::chrono::milliseconds(20));
}

struct Fixture {
    TempDir dir;
    boost::asio::io_context io;
    DebugServerOptions options;
    std::unique_ptr<DebugServer> server;

    Fixture() { options.path = dir.path + "/run/ctl.sock"; }
    DebugServer& start() {
        server = std::make_unique<DebugServer>(io, options);
        server->add_command(
            "status",
            [](const json&) {
                return json{{"card", {{"state", "powered"}, {"link", "sim"}, {"atr", "3B00"}}},
                            {"uptime_s", 3}};
            },
            "card state and counters");
        server->add_command("fail", [](const json&) -> json { throw gateway::CommandError("no card"); });
        server->add_command("crash", [](const json&) -> json { throw std::logic_error("oops"); });
        server->add_command("echo", [](const json& r) { return json{{"got", r}}; });
        server->start();
        return *server;
    }
};

gateway::ApduRecord record() {
    gateway::ApduRecord r;
    r.time = std::chrono::system_clock::now();
    r.link = "sim";
    REQUIRE(cat::from_hex("8012000014", r.command));
    REQUIRE(cat::from_hex("D01281030140018202818239020578 3C0305044C 9000", r.response));
    return r;
}

}  // namespace

TEST_CASE("Debug socket: status reply carries ok:true and the handler's fields") {
    Fixture f;
    f.start();
    Client c(f.io, f.options.path);
    const auto r = c.reply(R"({"cmd":"status"})");
    CHECK(r["ok"] == true);
    CHECK(r["card"]["state"] == "powered");
    CHECK(r["uptime_s"] == 3);
    // Several requests on one connection, and the request reaches the handler whole.
    const auto e = c.reply(R"({"cmd":"echo","x":1,"id":7})");
    CHECK(e["got"]["x"] == 1);
    CHECK(e["id"] == 7);
}

TEST_CASE("Debug socket: help lists built-ins and registered commands") {
    Fixture f;
    f.start();
    Client c(f.io, f.options.path);
    const auto r = c.reply(R"({"cmd":"help"})");
    CHECK(r["ok"] == true);
    CHECK(r["commands"].contains("help"));
    CHECK(r["commands"].contains("trace"));
    CHECK(r["commands"]["status"] == "card state and counters");
    CHECK_THROWS_AS(f.server->add_command("trace", [](const json&) { return json(); }),
                    std::invalid_argument);
}

TEST_CASE("Debug socket: unknown command answers ok:false listing the known ones") {
    Fixture f;
    f.start();
    Client c(f.io, f.options.path);
    const auto r = c.reply(R"({"cmd":"nope"})");
    CHECK(r["ok"] == false);
    CHECK(r["error"].get<std::string>().find("unknown command 'nope'") != std::string::npos);
    CHECK(r["error"].get<std::string>().find("status") != std::string::npos);
    CHECK(r["commands"].size() == 6);
    // The connection stays usable.
    CHECK(c.reply(R"({"cmd":"status"})")["ok"] == true);
}

TEST_CASE("Debug socket: malformed JSON and bad requests answer ok:false, connection kept") {
    Fixture f;
    f.start();
    Client c(f.io, f.options.path);
    auto r = c.reply("{\"cmd\":");
    CHECK(r["ok"] == false);
    CHECK(r["error"].get<std::string>().rfind("malformed JSON", 0) == 0);
    r = c.reply("[1,2]");
    CHECK(r["ok"] == false);
    r = c.reply(R"({"command":"status"})");
    CHECK(r["ok"] == false);
    CHECK(r["error"].get<std::string>().find("missing \"cmd\"") != std::string::npos);
    CHECK(c.reply(R"({"cmd":"status"})")["ok"] == true);
}

TEST_CASE("Debug socket: CommandError gives its message; other exceptions an internal error") {
    Fixture f;
    f.start();
    std::string logged;
    f.server->on_error([&](const std::string& m) { logged = m; });
    Client c(f.io, f.options.path);
    auto r = c.reply(R"({"cmd":"fail"})");
    CHECK(r["ok"] == false);
    CHECK(r["error"] == "no card");
    r = c.reply(R"({"cmd":"crash"})");
    CHECK(r["ok"] == false);
    CHECK(r["error"] == "internal error in 'crash': oops");
    CHECK(logged.find("oops") != std::string::npos);
}

TEST_CASE("Debug socket: a request line over the cap is answered with an error and closed") {
    Fixture f;
    f.options.max_line = 1024;
    f.start();
    Client c(f.io, f.options.path);
    c.send(std::string(4096, 'x'));
    const auto l = c.line();
    REQUIRE(!l.empty());
    const auto r = json::parse(l);
    CHECK(r["ok"] == false);
    CHECK(r["error"].get<std::string>().find("longer than 1024") != std::string::npos);
    CHECK(c.eof());
    run_a_little(f.io);
    CHECK(f.server->client_count() == 0);
}

TEST_CASE("Debug socket: a line just under the cap is still a request") {
    Fixture f;
    f.options.max_line = 1024;
    f.start();
    Client c(f.io, f.options.path);
    std::string req = R"({"cmd":"echo","pad":")";
    req += std::string(1024 - req.size() - 2, 'p') + "\"}";
    REQUIRE(req.size() == 1024);
    CHECK(c.reply(req)["ok"] == true);
}

TEST_CASE("Debug socket: trace streams published exchanges until the client leaves") {
    Fixture f;
    auto& server = f.start();
    Client quiet(f.io, f.options.path);
    Client c(f.io, f.options.path);
    const auto r = c.reply(R"({"cmd":"trace"})");
    CHECK(r["ok"] == true);
    CHECK(r["streaming"] == true);
    CHECK(server.trace_client_count() == 1);
    server.publish_apdu(record());
    const auto l = c.line();
    REQUIRE(!l.empty());
    const auto rec = json::parse(l);
    CHECK(rec["command"] == "8012000014");
    CHECK(rec["sw"] == "9000");
    CHECK(rec["link"] == "sim");
    CHECK(rec["summary"] == "FETCH → OPEN CHANNEL (Terminal Server Mode, port 1100)");
    CHECK(rec["decoded"]["parts"][0]["command"]["type_name"] == "OPEN CHANNEL");
    // A client that did not ask for trace gets nothing.
    CHECK(quiet.line(std::chrono::milliseconds(50)).empty());
    c.close();
    run_a_little(f.io);
    CHECK(server.trace_client_count() == 0);
    CHECK(server.client_count() == 1);
    server.publish_apdu(record());  // nobody listening: nothing happens
}

TEST_CASE("Debug socket: a trace client that does not read loses records, counted, memory bounded") {
    Fixture f;
    f.options.max_backlog_bytes = 16 * 1024;
    auto& server = f.start();
    Client c(f.io, f.options.path);
    REQUIRE(c.reply(R"({"cmd":"trace"})")["ok"] == true);
    constexpr int kPublished = 3000;
    for (int i = 0; i < kPublished; ++i) {
        server.publish_apdu(record());
        if (i % 100 == 0) run_a_little(f.io);
    }
    // Now read everything: the records plus the lost counts add up to what was published (the
    // notice goes out as soon as the backlog drains).
    long records = 0;
    long lost = 0;
    long notices = 0;
    for (auto l = c.line(std::chrono::milliseconds(300)); !l.empty();
         l = c.line(std::chrono::milliseconds(300))) {
        const auto j = json::parse(l);
        if (j.contains("lost")) {
            lost += j["lost"].get<long>();
            ++notices;
        } else {
            ++records;
        }
    }
    CHECK(lost > 0);
    CHECK(notices >= 1);
    CHECK(records + lost == kPublished);
    // Still a live trace client: the next record arrives normally.
    server.publish_apdu(record());
    CHECK(json::parse(c.line())["sw"] == "9000");
    CHECK(server.client_count() == 1);
}

TEST_CASE(
    "Bounded input: a trace client that never reads: its unsent output stays within max_backlog_bytes") {
    Fixture f;
    f.options.max_backlog_bytes = 16 * 1024;
    auto& server = f.start();
    Client c(f.io, f.options.path);
    REQUIRE(c.reply(R"({"cmd":"trace"})")["ok"] == true);
    std::size_t most = 0;
    for (int i = 0; i < 20000; ++i) {  // about 20 MB of records
        server.publish_apdu(record());
        if (i % 200 == 0) run_a_little(f.io);
        most = std::max(most, server.largest_backlog());
    }
    CHECK(most <= f.options.max_backlog_bytes);
    CHECK(server.client_count() == 1);
}

TEST_CASE("Bounded input: a client pipelining requests without reading replies holds one reply at most") {
    Fixture f;
    auto& server = f.start();
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", f.options.path.c_str());
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    const std::string request = R"({"cmd":"echo","pad":")" + std::string(200, 'x') + "\"}\n";
    std::size_t sent = 0;
    std::size_t most = 0;
    int stalls = 0;
    while (stalls < 50 && sent < 64 * 1024 * 1024) {
        const ssize_t n = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else {
            ++stalls;  // the daemon stopped reading: the kernel buffers are full
            run_a_little(f.io);
        }
        most = std::max(most, server.largest_backlog());
    }
    INFO("bytes of requests the client got in: " << sent);
    CHECK(sent > 64 * 1024);
    CHECK(most <= 1024);  // one echo reply (about 260 bytes), never the thousands owed
    ::close(fd);
}

TEST_CASE("Debug socket: clients past the cap are told and closed") {
    Fixture f;
    f.options.max_clients = 2;
    auto& server = f.start();
    Client a(f.io, f.options.path);
    Client b(f.io, f.options.path);
    CHECK(a.reply(R"({"cmd":"status"})")["ok"] == true);
    CHECK(b.reply(R"({"cmd":"status"})")["ok"] == true);
    Client third(f.io, f.options.path);
    const auto l = third.line();
    REQUIRE(!l.empty());
    CHECK(json::parse(l)["error"].get<std::string>().find("too many clients") != std::string::npos);
    CHECK(third.eof());
    a.close();
    run_a_little(f.io);
    CHECK(server.client_count() == 1);
    Client fourth(f.io, f.options.path);
    CHECK(fourth.reply(R"({"cmd":"status"})")["ok"] == true);
}

TEST_CASE("Debug socket: the socket is created 0660 in a new parent directory") {
    Fixture f;
    f.start();
    struct stat st {};
    REQUIRE(::stat(f.options.path.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 07777) == 0660);
}

TEST_CASE("Debug socket: a stale socket file is replaced; a live one is refused") {
    Fixture f;
    f.start();
    // A second server on the same path while the first answers: refused, first untouched.
    boost::asio::io_context io2;
    DebugServer second(io2, f.options);
    CHECK_THROWS_WITH_AS(second.start(), doctest::Contains("already listening"), std::runtime_error);
    Client c(f.io, f.options.path);
    CHECK(c.reply(R"({"cmd":"status"})")["ok"] == true);

    // A socket file nobody listens on (a crashed daemon): removed and re-bound.
    TempDir dir;
    const std::string stale = dir.path + "/stale.sock";
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, stale.c_str(), stale.size());
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    ::close(fd);
    DebugServerOptions o;
    o.path = stale;
    boost::asio::io_context io3;
    DebugServer third(io3, o);
    CHECK_NOTHROW(third.start());
    third.stop();
    CHECK_FALSE(std::filesystem::exists(stale));
}

TEST_CASE("Debug socket: a path that is not a socket is refused, the file kept") {
    TempDir dir;
    const std::string path = dir.path + "/ctl.sock";
    std::ofstream(path) << "x";
    boost::asio::io_context io;
    DebugServerOptions o;
    o.path = path;
    DebugServer s(io, o);
    CHECK_THROWS_WITH_AS(s.start(), doctest::Contains("not a socket"), std::runtime_error);
    CHECK(std::filesystem::is_regular_file(path));
    o.path = dir.path + "/" + std::string(120, 'a');
    DebugServer too_long(io, o);
    CHECK_THROWS_AS(too_long.start(), std::runtime_error);
}

TEST_CASE("Debug socket: an unknown group is refused at start") {
    Fixture f;
    f.options.group = "dmsc-no-such-group-xyz";
    CHECK_THROWS_WITH_AS(f.start(), doctest::Contains("no such group"), std::runtime_error);
}

TEST_CASE("Debug socket: stop closes clients and removes the socket file") {
    Fixture f;
    auto& server = f.start();
    Client c(f.io, f.options.path);
    CHECK(c.reply(R"({"cmd":"status"})")["ok"] == true);
    server.stop();
    CHECK_FALSE(std::filesystem::exists(f.options.path));
    CHECK(c.eof());
    server.stop();  // idempotent
}
