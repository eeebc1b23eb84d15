// tests/gateway/test_scws_e2e.cpp — the daemon in-process with the simulated card's SCWS:
// real TCP clients (OpenSSL PSK-TLS on real sockets, in their own threads) talk to
// 127.0.0.1:PORT, the daemon bridges each connection over a BIP UICC server mode channel to the
// card, the card's SCWS answers. Byte-exact HTTPS, 1 MiB both ways, 7 channels at once.
#include <doctest/doctest.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/ip/tcp.hpp>
#pragma GCC diagnostic pop
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "gateway/bip_sockets.hpp"
#include "gateway/daemon.hpp"
#include "gateway/sim/scws.hpp"
#include "gateway/sim/sim_link.hpp"
#include "tests/gateway/sim_daemon.hpp"

namespace {

using namespace dmsc;
using namespace dmsc::gateway;
using namespace dmsc::gateway::test;
using namespace std::chrono_literals;

const char* kKeyHex = "00112233445566778899AABBCCDDEEFF";
const char* kIdentity = "e2e-client";

std::string scenario(std::uint16_t http, std::uint16_t https, int http_channels, int https_channels) {
    return R"toml(
[scenario]
name = "scws-e2e"

[scws]
http_port = )toml" +
           std::to_string(http) + "\nhttps_port = " + std::to_string(https) +
           "\nhttp_channels = " + std::to_string(http_channels) +
           "\nhttps_channels = " + std::to_string(https_channels) + "\npsk_identity = \"" + kIdentity +
           "\"\npsk_key = \"" + kKeyHex +
           R"toml("

[[step]]
name = "events"
on = "profile"
command = "set_up_event_list"
events = ["data-available", "channel-status"]
expect_result = "00"

[[step]]
name = "SCWS"
on = "response"
command = "scws_open"
expect_result = "00"
)toml";
}

// This file's daemons: STATUS polling as configured (30 s: none within a test), scenarios named
// scws-e2e.toml.
const SimOptions kOptions{.source = "scws-e2e.toml"};

// Starts the daemon and steps it until the card's SCWS listens.
bool start_listening(SimDaemon& sd) {
    sd.daemon->start();
    return step_until(
        sd.io(), [&] { return sd.card().verdict().runs_completed == 1; }, 10s);
}

std::string pattern(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& c : s) {
        x = x * 1664525u + 1013904223u;
        c = static_cast<char>(x >> 24);
    }
    return s;
}

// A blocking client on a real socket (its own thread), plain or PSK-TLS.
class Client {
public:
    Client(std::uint16_t port, bool tls) : tls_(tls) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ok_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        if (!ok_ || !tls_) return;
        ctx_ = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_psk_client_callback(ctx_,
                                        [](SSL*, const char*, char* id, unsigned int max_id,
                                           unsigned char* psk, unsigned int max_psk) -> unsigned int {
                                            cat::Bytes key;
                                            (void)cat::from_hex(kKeyHex, key);
                                            if (std::strlen(kIdentity) + 1 > max_id || key.size() > max_psk)
                                                return 0;
                                            std::memcpy(id, kIdentity, std::strlen(kIdentity) + 1);
                                            std::memcpy(psk, key.data(), key.size());
                                            return static_cast<unsigned int>(key.size());
                                        });
        ssl_ = SSL_new(ctx_);
        SSL_set_fd(ssl_, fd_);
        ok_ = SSL_connect(ssl_) == 1;
        if (!ok_) error_ = "TLS handshake failed";
    }
    ~Client() {
        if (ssl_) SSL_free(ssl_);
        if (ctx_) SSL_CTX_free(ctx_);
        if (fd_ >= 0) ::close(fd_);
    }
    bool ok() const { return ok_; }
    const std::string& error() const { return error_; }
    std::string tls_version() const { return ssl_ ? SSL_get_version(ssl_) : ""; }

    bool write_all(const std::string& s) {
        std::size_t off = 0;
        while (off < s.size()) {
            const int n = tls_ ? SSL_write(ssl_, s.data() + off,
                                           static_cast<int>(std::min<std::size_t>(s.size() - off, 1 << 16)))
                               : static_cast<int>(::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL));
            if (n <= 0) return false;
            off += static_cast<std::size_t>(n);
        }
        return true;
    }
    // One whole response (Content-Length framing): head + body, as received.
    std::string read_response() {
        std::string in;
        char buf[16384];
        for (;;) {
            const auto end = in.find("\r\n\r\n");
            if (end != std::string::npos) {
                const auto cl = in.find("Content-Length: ");
                const std::size_t len =
                    cl != std::string::npos && cl < end ? std::stoul(in.substr(cl + 16)) : 0;
                if (in.size() >= end + 4 + len) return in;
            }
            const int n =
                tls_ ? SSL_read(ssl_, buf, sizeof buf) : static_cast<int>(::recv(fd_, buf, sizeof buf, 0));
            if (n <= 0) return in;
            in.append(buf, static_cast<std::size_t>(n));
        }
    }

private:
    bool tls_ = false;
    int fd_ = -1;
    bool ok_ = false;
    std::string error_;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
};

std::string post(const std::string& path, const std::string& body, const std::string& extra = "") {
    return "POST " + path +
           " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

std::string body_of(const std::string& response) {
    const auto end = response.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : response.substr(end + 4);
}

}  // namespace

TEST_CASE("SCWS e2e: HTTPS (PSK-TLS) through 127.0.0.1 reaches the card's SCWS; the answer is byte-exact") {
    const auto http = free_port();
    const auto https = free_port();
    SimDaemon sd(scenario(http, https, 1, 2), sim_config(Polling::Configured), kOptions);
    REQUIRE(start_listening(sd));
    // A route whose answer the test knows byte for byte.
    std::string seen_body;
    sd.card().scws()->route("POST", "/OMA/DM", [&](const sim::HttpRequest& rq) {
        seen_body = rq.body;
        sim::HttpResponse r =
            sim::HttpResponse::make(200, "{\"package\":2}", "application/vnd.oma.dm.initiation+json");
        return r;
    });
    std::string response, version, error;
    std::atomic<bool> done = false;
    std::thread t([&] {
        Client c(https, true);
        if (!c.ok()) {
            error = "connect/handshake failed";
        } else {
            version = c.tls_version();
            if (c.write_all(post("/OMA/DM", "{\"package\":1}"))) response = c.read_response();
        }
        done = true;
    });
    const bool finished = step_until(
        sd.io(), [&] { return done.load(); }, 60s);
    t.join();
    REQUIRE(finished);
    INFO(sd.card().verdict().describe());
    CHECK(error.empty());
    CHECK(seen_body == "{\"package\":1}");
    CHECK(
        response ==
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oma.dm.initiation+json\r\nServer: dmsc-sim-scws\r\n"
        "Content-Length: 13\r\n\r\n{\"package\":2}");
    CHECK(version == "TLSv1.3");
    CHECK(sd.card().scws()->stats().tls_handshakes == 1);
    CHECK(sd.card().verdict().passed);
}

TEST_CASE("SCWS e2e: 1 MiB POST /echo over HTTPS and over HTTP crosses both ways unchanged") {
    const auto http = free_port();
    const auto https = free_port();
    SimDaemon sd(scenario(http, https, 1, 1), sim_config(Polling::Configured), kOptions);
    REQUIRE(start_listening(sd));
    for (const bool tls : {true, false}) {
        CAPTURE(tls);
        const std::string body = pattern(1 << 20, tls ? 5 : 6);
        std::string response;
        std::atomic<bool> done = false;
        std::thread t([&] {
            Client c(tls ? https : http, tls);
            if (c.ok() && c.write_all(post("/echo", body))) response = c.read_response();
            done = true;
        });
        const bool finished = step_until(
            sd.io(), [&] { return done.load(); }, 300s);
        t.join();
        REQUIRE(finished);
        INFO(sd.card().verdict().describe());
        CHECK(response.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
        const std::string echoed = body_of(response);
        CHECK(echoed.size() == body.size());
        CHECK(echoed == body);  // nothing lost, nothing reordered
    }
    for (const auto& c : sd.daemon->bip().engine().snapshot()) CHECK(c.bytes_dropped == 0);
    CHECK(sd.card().verdict().passed);
}

TEST_CASE("SCWS e2e: 7 channels, 7 clients connected at once (3 HTTP + 4 HTTPS), each answered") {
    const auto http = free_port();
    const auto https = free_port();
    SimDaemon sd(scenario(http, https, 3, 4), sim_config(Polling::Configured), kOptions);
    REQUIRE(start_listening(sd));
    constexpr int kClients = 7;
    std::mutex m;
    std::condition_variable cv;
    int connected = 0;
    bool release = false;
    std::vector<std::string> responses(kClients);
    std::atomic<int> finished = 0;
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i) {
        threads.emplace_back([&, i] {
            const bool tls = i >= 3;
            Client c(tls ? https : http, tls);
            if (c.ok() && c.write_all(post("/echo", pattern(4000 + static_cast<std::size_t>(i),
                                                            static_cast<unsigned>(i)))))
                responses[static_cast<std::size_t>(i)] = c.read_response();
            // Hold the connection until all seven have their answers: seven channels at once.
            std::unique_lock lock(m);
            ++connected;
            cv.notify_all();
            cv.wait(lock, [&] { return release; });
            ++finished;
        });
    }
    std::size_t most_established = 0;
    const bool all = step_until(
        sd.io(),
        [&] {
            std::size_t established = 0;
            for (const auto& c : sd.daemon->bip().engine().snapshot())
                established += c.state == "established" ? 1 : 0;
            most_established = std::max(most_established, established);
            std::lock_guard lock(m);
            return connected == kClients;
        },
        120s);
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    for (auto& t : threads) t.join();
    REQUIRE(all);
    INFO(sd.card().verdict().describe());
    for (int i = 0; i < kClients; ++i) {
        CAPTURE(i);
        CHECK(body_of(responses[static_cast<std::size_t>(i)]) ==
              pattern(4000 + static_cast<std::size_t>(i), static_cast<unsigned>(i)));
    }
    CHECK(most_established == 7);
    CHECK(sd.card().scws()->stats().requests == 7);
    CHECK(sd.card().verdict().passed);
}
