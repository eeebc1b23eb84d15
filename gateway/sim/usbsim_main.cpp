// gateway/sim/usbsim_main.cpp — dmsc-usbsim: the IP side of a simulated USB UICC (docs/usb.md).
// Its "USB pipe" is a unix stream socket carrying the CDC EEM bulk bytes: it listens on
// --pipe, and each connection is the gateway plugging the card in. Its network side is a TAP
// (--tap, --address A.B.C.D/P or "dhcp" = no IPv4 address until a DHCP client run on the TAP
// sets one, --address6) — run it inside a network namespace so it has its own address
// configuration — bridged with the same EEM codec (the card sends data packets with the
// DE AD BE EF sentinel unless --crc). Like a UICC's SCWS it runs a PSK-TLS HTTP server
// (--port, default 443, on every address of the card) answering /OMA/DM, and like the card's DM_SC Server it
// connects to the DM Client's registered port (--notify HOST:PORT) and sends a Package#0 (--package0 HEX).
// Lines on stdout say what happened ("ready", "http POST /OMA/DM 12", "notified 10.0.0.1:1100").
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#pragma GCC diagnostic pop
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
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

#include "gateway/eem_bridge.hpp"
#include "gateway/tap.hpp"

namespace {

using dmsc::gateway::EemBridge;
using dmsc::gateway::EemBridgeOptions;
using dmsc::gateway::Ipv4Prefix;
using dmsc::gateway::Tap;

std::mutex out_mutex;
void say(const std::string& line) {
    std::lock_guard<std::mutex> lock(out_mutex);
    std::cout << line << std::endl;
}

struct Options {
    std::string pipe, tap = "uicc1", address = "192.168.212.2/30";  // or "dhcp"
    std::string address6;                                           // "" = link-local only
    std::uint16_t port = 443;
    std::string psk_identity = "dmsc", psk_hex = "0102030405060708090A0B0C0D0E0F10";
    std::string notify;  // HOST:PORT
    std::string package0_hex;
    bool crc = false;
    bool echo = false;
};

std::vector<std::uint8_t> from_hex(const std::string& h) {
    std::vector<std::uint8_t> out;
    if (h.size() % 2) throw std::runtime_error("odd hex length");
    for (std::size_t i = 0; i < h.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
    return out;
}

std::vector<std::uint8_t> g_psk;
std::string g_identity;

unsigned int psk_cb(SSL*, const char* identity, unsigned char* psk, unsigned int max_len) {
    if (!identity || g_identity != identity || g_psk.size() > max_len) {
        say(std::string("tls unknown identity ") + (identity ? identity : ""));
        return 0;
    }
    std::memcpy(psk, g_psk.data(), g_psk.size());
    return static_cast<unsigned int>(g_psk.size());
}

// One HTTP/1.1 request over TLS: headers, Content-Length body; a 200 for POST /OMA/DM whose
// body says how many bytes arrived (a DM_SC Server stand-in), 404 otherwise.
void serve(SSL* ssl) {
    std::string req;
    char buf[4096];
    std::size_t header_end = std::string::npos;
    while (header_end == std::string::npos) {
        const int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) return;
        req.append(buf, static_cast<std::size_t>(n));
        header_end = req.find("\r\n\r\n");
        if (req.size() > 65536) return;
    }
    std::size_t length = 0;
    for (const char* name : {"Content-Length:", "content-length:"}) {
        const auto at = req.find(name);
        if (at != std::string::npos && at < header_end)
            length = std::stoul(req.substr(at + std::strlen(name)));
    }
    while (req.size() < header_end + 4 + length) {
        const int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
    }
    const std::string first = req.substr(0, req.find("\r\n"));
    const std::string body = req.substr(std::min(req.size(), header_end + 4));
    say("http " + first.substr(0, first.rfind(' ')) + " " + std::to_string(body.size()));
    std::string status = "404 Not Found", type = "text/plain", out = "no such resource\n";
    if (first.rfind("POST /OMA/DM ", 0) == 0) {
        status = "200 OK";
        type = "application/vnd.syncml.dm+xml";
        out = "<SyncML><SyncHdr><Source><LocURI>dmsc-usbsim</LocURI></Source></SyncHdr><SyncBody>received " +
              std::to_string(body.size()) + " bytes</SyncBody></SyncML>\n";
    }
    const std::string resp = "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
                             "\r\nContent-Length: " + std::to_string(out.size()) +
                             "\r\nConnection: close\r\n\r\n" + out;
    SSL_write(ssl, resp.data(), static_cast<int>(resp.size()));
    SSL_shutdown(ssl);
}

void tls_server(const Options& o) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx, "kPSK:kECDHEPSK:!NULL:!RC4:!3DES");
    SSL_CTX_set_psk_server_callback(ctx, psk_cb);
    // Every address of the card (IPv4 static or from DHCP, IPv6): one dual-stack socket on
    // [::]:port, or 0.0.0.0:port where IPv6 is off.
    const int one = 1, zero = 0;
    int s = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    std::string where = "[::]";
    if (s >= 0) {
        ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        ::setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(o.port);
        a.sin6_addr = in6addr_any;
        if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(s);
            s = -1;
        }
    }
    if (s < 0) {
        where = "0.0.0.0";
        s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(o.port);
        a.sin_addr.s_addr = htonl(INADDR_ANY);
        if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            say(std::string("error tls bind: ") + std::strerror(errno));
            return;
        }
    }
    if (::listen(s, 8) != 0) {
        say(std::string("error tls listen: ") + std::strerror(errno));
        return;
    }
    say("listening " + where + ":" + std::to_string(o.port));
    for (;;) {
        sockaddr_storage peer{};
        socklen_t peer_len = sizeof peer;
        const int c = ::accept4(s, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC);
        if (c < 0) continue;
        char host[INET6_ADDRSTRLEN] = {};
        if (peer.ss_family == AF_INET6)
            ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr, host, sizeof host);
        else
            ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, host, sizeof host);
        say(std::string("connection from ") + host);
        SSL* ssl = SSL_new(ctx);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) == 1) {
            say(std::string("tls ") + SSL_get_version(ssl) + " " + SSL_get_cipher_name(ssl));
            serve(ssl);
        } else {
            char e[256];
            ERR_error_string_n(ERR_get_error(), e, sizeof e);
            say(std::string("tls handshake failed ") + e);
        }
        SSL_free(ssl);
        ::close(c);
    }
}

// The card's DM_SC Server pushing a Package#0 to the DM Client's registered port: retries
// until something listens there (the link may still be coming up).
void notify(const Options& o, std::atomic<bool>& stop) {
    const auto colon = o.notify.rfind(':');
    const std::string host = o.notify.substr(0, colon);
    const auto port = static_cast<std::uint16_t>(std::stoul(o.notify.substr(colon + 1)));
    const auto data = from_hex(o.package0_hex);
    for (int attempt = 0; attempt < 600 && !stop; ++attempt) {
        const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
        if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            const auto w = ::write(s, data.data(), data.size());
            ::close(s);
            if (w == static_cast<ssize_t>(data.size())) {
                say("notified " + o.notify + " " + std::to_string(data.size()));
                return;
            }
        } else {
            ::close(s);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    say("error notify " + o.notify + " never reachable");
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        try {
            if (a == "--pipe")
                o.pipe = val();
            else if (a == "--tap")
                o.tap = val();
            else if (a == "--address")
                o.address = val();
            else if (a == "--address6")
                o.address6 = val();
            else if (a == "--port")
                o.port = static_cast<std::uint16_t>(std::stoul(val()));
            else if (a == "--psk-identity")
                o.psk_identity = val();
            else if (a == "--psk")
                o.psk_hex = val();
            else if (a == "--notify")
                o.notify = val();
            else if (a == "--package0")
                o.package0_hex = val();
            else if (a == "--crc")
                o.crc = true;
            else if (a == "--echo")
                o.echo = true;
            else {
                std::cerr << "usage: dmsc-usbsim --pipe /path.sock [--tap uicc1] [--address A.B.C.D/P|dhcp] "
                             "[--address6 ADDR6/P] "
                             "[--port 443]\n"
                             "  [--psk-identity ID] [--psk HEX] [--notify HOST:PORT --package0 HEX] [--crc] "
                             "[--echo]\n";
                return 2;
            }
        } catch (const std::exception& e) {
            std::cerr << "dmsc-usbsim: " << a << ": " << e.what() << "\n";
            return 2;
        }
    }
    if (o.pipe.empty()) {
        std::cerr << "dmsc-usbsim: --pipe is required\n";
        return 2;
    }
    Ipv4Prefix me;
    std::string why;
    const bool dhcp = o.address == "dhcp";
    if (!dhcp && !dmsc::gateway::parse_ipv4_prefix(o.address, me, why)) {
        std::cerr << "dmsc-usbsim: --address: " << why << "\n";
        return 2;
    }
    dmsc::gateway::Ipv6Prefix me6;
    if (!o.address6.empty() && !dmsc::gateway::parse_ipv6_prefix(o.address6, me6, why)) {
        std::cerr << "dmsc-usbsim: --address6: " << why << "\n";
        return 2;
    }
    g_psk = from_hex(o.psk_hex);
    g_identity = o.psk_identity;

    try {
        Tap tap(o.tap);
        if (dhcp)
            tap.up(1500);  // a DHCP client (busybox udhcpc in the tests) sets the address
        else
            tap.configure(me, 1500);
        if (!o.address6.empty()) tap.add_ipv6(me6);
        boost::asio::io_context io;
        ::unlink(o.pipe.c_str());
        boost::asio::local::stream_protocol::acceptor acceptor(
            io, boost::asio::local::stream_protocol::endpoint(o.pipe));
        std::thread(tls_server, o).detach();
        static std::atomic<bool> stop{false};  // outlives the detached notify thread
        std::unique_ptr<EemBridge> bridge;
        bool notified = false;
        boost::asio::signal_set signals(io, SIGTERM, SIGINT);
        signals.async_wait([&](auto, int) {
            stop = true;
            io.stop();
        });
        std::function<void()> accept = [&] {
            acceptor.async_accept(
                [&](boost::system::error_code ec, boost::asio::local::stream_protocol::socket s) {
                    if (ec) return;
                    if (bridge) {  // one host at a time: a second plug is refused
                        boost::system::error_code ignored;
                        s.close(ignored);
                    } else {
                        EemBridgeOptions bo;
                        bo.send_crc = o.crc;
                        bo.log = [](const std::string& m) { say("eem " + m); };
                        bridge = std::make_unique<EemBridge>(
                            io, ::dup(tap.fd()), dmsc::gateway::make_socket_pipe(std::move(s), "host"), bo);
                        bridge->start([&](const std::string& why_closed) {
                            say("unplugged " + why_closed);
                            boost::asio::post(io, [&] { bridge.reset(); });
                        });
                        say("plugged");
                        if (o.echo)
                            bridge->send_command(
                                dmsc::eem::Command::Echo, 0,
                                dmsc::eem::ByteView(reinterpret_cast<const std::uint8_t*>("ping"), 4));
                        if (!notified && !o.notify.empty()) {
                            notified = true;
                            std::thread(notify, o, std::ref(stop)).detach();
                        }
                    }
                    accept();
                });
        };
        accept();
        say("ready " + o.tap + " " + (dhcp ? std::string("dhcp") : me.to_string()) +
            (o.address6.empty() ? std::string() : " " + me6.to_string()) + " pipe " + o.pipe);
        io.run();
        ::unlink(o.pipe.c_str());
    } catch (const std::exception& e) {
        std::cerr << "dmsc-usbsim: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
