// tests/gateway/test_demo_client.cpp — the demo DM Client (gateway/demo_dm_client) against a real
// TLS-PSK HTTP server on loopback (OpenSSL, in a thread) that hands each request to the
// simulated DM_SC Server (gateway/sim/dm_server): the whole DM 2.0 session over real sockets,
// the Package#0 arriving on the client's listening socket, and a failure at each step named.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <atomic>
#include <cstring>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "gateway/demo_dm_client.hpp"
#include "gateway/sim/dm_server.hpp"
#include "gateway/sim/scenario.hpp"

using namespace dmsc;
using namespace dmsc::gateway;

namespace {

const cat::Bytes kKey = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
                         0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF};

int listen_loopback(std::uint16_t& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
    return fd;
}

unsigned int server_psk(SSL* /*ssl*/, const char* identity, unsigned char* psk, unsigned int max_len) {
    if (identity == nullptr || std::string(identity) != "DMSC-DM-Client" || kKey.size() > max_len) return 0;
    std::memcpy(psk, kKey.data(), kKey.size());
    return static_cast<unsigned int>(kKey.size());
}

// One TLS-PSK connection served by `dm` until the client closes it.
class PskHttpServer {
public:
    explicit PskHttpServer(sim::DmServer& dm) : dm_(dm) {
        fd_ = listen_loopback(port_);
        thread_ = std::thread([this] { serve(); });
    }
    ~PskHttpServer() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }
    bool handshake_ok() const { return handshake_ok_; }

private:
    void serve() {
        pollfd p{fd_, POLLIN, 0};
        while (!stop_) {
            if (::poll(&p, 1, 100) <= 0) continue;
            const int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) continue;
            timeval tv{10, 0};
            ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
            SSL_CTX_set_cipher_list(ctx, "kPSK:kECDHEPSK:!NULL:!RC4:!3DES");
            SSL_CTX_set_psk_server_callback(ctx, &server_psk);
            SSL* ssl = SSL_new(ctx);
            SSL_set_fd(ssl, c);
            if (SSL_accept(ssl) == 1) {
                handshake_ok_ = true;
                serve_requests(ssl);
                SSL_shutdown(ssl);
            }
            SSL_free(ssl);
            SSL_CTX_free(ctx);
            ::close(c);
        }
    }
    void serve_requests(SSL* ssl) {
        std::string buf;
        char chunk[4096];
        while (true) {
            std::size_t end;
            while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
                const int n = SSL_read(ssl, chunk, sizeof chunk);
                if (n <= 0) return;
                buf.append(chunk, static_cast<std::size_t>(n));
            }
            sim::DmHttpRequest rq;
            const std::string head = buf.substr(0, end);
            buf.erase(0, end + 4);
            const auto sp1 = head.find(' ');
            const auto sp2 = head.find(' ', sp1 + 1);
            rq.method = head.substr(0, sp1);
            rq.path = head.substr(sp1 + 1, sp2 - sp1 - 1);
            std::size_t length = 0;
            std::size_t pos = head.find("\r\n");
            while (pos != std::string::npos) {
                const auto next = head.find("\r\n", pos + 2);
                const std::string line =
                    head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
                pos = next;
                const auto colon = line.find(": ");
                if (colon == std::string::npos) continue;
                rq.headers.push_back({line.substr(0, colon), line.substr(colon + 2)});
                if (line.substr(0, colon) == "Content-Length") length = std::stoul(line.substr(colon + 2));
            }
            while (buf.size() < length) {
                const int n = SSL_read(ssl, chunk, sizeof chunk);
                if (n <= 0) return;
                buf.append(chunk, static_cast<std::size_t>(n));
            }
            rq.body = buf.substr(0, length);
            buf.erase(0, length);
            rq.psk_identity = "DMSC-DM-Client";
            const auto r = dm_.handle(rq);
            const std::string out =
                "HTTP/1.1 " + std::to_string(r.status) + " X\r\nContent-Type: " + r.content_type +
                "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
            if (SSL_write(ssl, out.data(), static_cast<int>(out.size())) <= 0) return;
        }
    }

    sim::DmServer& dm_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> handshake_ok_{false};
};

demo::ClientOptions options(std::uint16_t port) {
    demo::ClientOptions o;
    o.server_id = "DMSC-Server";
    o.psk_key = kKey;
    o.url = "https://127.0.0.1:" + std::to_string(port) + "/OMA/DM";
    o.timeout_s = 10;
    return o;
}

cat::Bytes dm20_notification(std::uint32_t id, const std::string& server = "DMSC-Server") {
    sim::Dm20Package0 p;
    p.server_id = server;
    p.notification_id = id;
    return encode(p);
}

}  // namespace

TEST_CASE("demo DM Client: Package#0 -> TLS-PSK -> Package#1/#2/#3 -> END against the simulated server") {
    sim::DmServerSettings settings;
    settings.expect_notification_id = 7;
    sim::DmServer dm(settings);
    PskHttpServer server(dm);
    std::vector<std::string> lines;
    const auto r = demo::run_session(options(server.port()), dm20_notification(7),
                                     [&](const std::string& l) { lines.push_back(l); });
    INFO(r.error);
    CHECK(r.ok);
    CHECK(r.tls_up);
    CHECK(r.ended);
    CHECK(server.handshake_ok());
    CHECK(r.tls_detail.find("PSK") != std::string::npos);
    REQUIRE(r.exchanged.size() == 4);
    CHECK(r.exchanged[0] == "Package#1 (ServerInitiatedMgmt, NOTIFICATION-ID 7) -> HTTP 200");
    CHECK(r.exchanged[1] == "Package#2: GET urn:oma:mo:oma-dm-devinfo:1.0//");
    CHECK(r.exchanged[2] == "Package#3 (status 200, 1 data part) -> HTTP 200");
    CHECK(r.exchanged[3] == "Package#2: END");
    REQUIRE(lines.size() >= 4);
    CHECK(lines.front().rfind("[1/4] notification delivered: ", 0) == 0);
    CHECK(lines[1].rfind("[2/4] TLS session up: ", 0) == 0);
    CHECK(lines.back() == "[4/4] DM session ended: END received");
    // The server's side of the same session.
    CHECK(dm.outcome().ok());
    CHECK(dm.outcome().notification_id == 7u);
    CHECK(dm.outcome().devinfo.at("DevID") == "IMEI:493005100592800");
}

TEST_CASE(
    "demo DM Client: the Package#0 arrives on its listening socket (DM 1.2: the session id stands in)") {
    sim::DmServer dm;  // no NOTIFICATION-ID expected
    PskHttpServer server(dm);
    auto o = options(server.port());
    o.listen_port = 0;
    std::string error;
    const int lfd = demo::listen_on(o, error);
    REQUIRE_MESSAGE(lfd >= 0, error);
    sockaddr_in a{};
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    sim::Dm12Package0 p;
    p.session_id = 77;
    const cat::Bytes bytes = encode(p);
    std::thread gateway([&] {
        const int c = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::send(c, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()));
        ::close(c);  // CLOSE CHANNEL
    });
    const auto r = demo::run_once(o, lfd, [](const std::string&) {});
    gateway.join();
    ::close(lfd);
    INFO(r.error);
    CHECK(r.ok);
    CHECK(r.notification == bytes);
    CHECK(dm.outcome().ok());
    CHECK(dm.outcome().notification_id == 77u);
}

TEST_CASE("demo DM Client: each failure names its step") {
    SUBCASE("another server's notification: no session") {
        const auto r =
            demo::run_session(options(1), dm20_notification(7, "other"), [](const std::string&) {});
        CHECK_FALSE(r.ok);
        CHECK(r.failed_step == demo::Step::Notification);
        CHECK(r.error ==
              "step \"notification delivered\": the notification names server \"other\", not the configured "
              "DM_SC "
              "server \"DMSC-Server\"; no DM session");
    }
    SUBCASE("bytes that are no Package#0") {
        const auto r = demo::run_session(options(1), cat::Bytes{0x01}, [](const std::string&) {});
        CHECK(r.failed_step == demo::Step::Notification);
        CHECK(r.error.find("not a DM Package#0: offset ") != std::string::npos);
    }
    SUBCASE("wrong PSK key: the handshake fails") {
        sim::DmServer dm;
        PskHttpServer server(dm);
        auto o = options(server.port());
        o.psk_key[0] ^= 0xFF;
        const auto r = demo::run_session(o, dm20_notification(7), [](const std::string&) {});
        CHECK_FALSE(r.ok);
        CHECK(r.failed_step == demo::Step::Tls);
        CHECK(r.error.find("TLS-PSK handshake with 127.0.0.1:") != std::string::npos);
        CHECK_FALSE(dm.outcome().package1);
    }
    SUBCASE("the server refuses the Package#1: the HTTP status and its reason") {
        sim::DmServerSettings settings;
        settings.expect_notification_id = 8;
        sim::DmServer dm(settings);
        PskHttpServer server(dm);
        const auto r =
            demo::run_session(options(server.port()), dm20_notification(7), [](const std::string&) {});
        CHECK(r.failed_step == demo::Step::Packages);
        CHECK(r.tls_up);
        CHECK(r.error ==
              "step \"packages exchanged\": Package#1 (ServerInitiatedMgmt, NOTIFICATION-ID 7) answered HTTP "
              "400: "
              "Package#1: NOTIFICATION-ID 7, the Package#0 carried 8");
    }
    SUBCASE("nothing listens at the SCWS address") {
        std::uint16_t port = 0;
        const int fd = listen_loopback(port);
        ::close(fd);  // the port is free again: connect is refused
        const auto r = demo::run_session(options(port), dm20_notification(7), [](const std::string&) {});
        CHECK(r.failed_step == demo::Step::Tls);
        CHECK(r.error.find("cannot connect to 127.0.0.1:") != std::string::npos);
    }
}
