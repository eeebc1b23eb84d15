// tests/gateway/test_bip_sockets.cpp — BipSockets with real sockets and processes: the Daemon
// in-process with the simulated UICC, stand-in DM Clients and local clients/servers on the
// same io_context. UICC server mode, Terminal Server Mode delivery to every endpoint kind,
// launch, client mode, and every row of the failure table (docs/failure-mapping.md).
#include <doctest/doctest.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <unistd.h>

#include "bip/wsp_push.hpp"
#include "gateway/bip_sockets.hpp"
#include "tests/gateway/sim_daemon.hpp"

namespace {

using namespace dmsc;
using namespace dmsc::gateway;
using namespace dmsc::gateway::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

std::uint16_t free_tcp_port(const char* host = "127.0.0.1") {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address(host), 0));
    return a.local_endpoint().port();
}

std::uint16_t free_udp_port(const char* host = "127.0.0.1") {
    asio::io_context io;
    udp::socket s(io, udp::endpoint(asio::ip::make_address(host), 0));
    return s.local_endpoint().port();
}

cat::Bytes pattern(std::size_t n, std::uint8_t seed = 0) {
    cat::Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>((i * 7 + seed) & 0xFF);
    return b;
}

cat::Bytes text_bytes(std::string_view s) {
    return cat::Bytes(s.begin(), s.end());
}

std::string hex(std::string_view s) {
    return cat::to_hex(text_bytes(s));
}

nlohmann::json channels(SimDaemon& sd) {
    return sd.daemon->bip().channels_json();
}

// A client of a UICC server mode port: connects, writes, keeps what it reads, sees the close.
struct Client {
    tcp::socket socket;
    std::array<std::uint8_t, 4096> buffer{};
    cat::Bytes received;
    bool connected = false;
    bool closed = false;
    Client(asio::io_context& io, const std::string& host, std::uint16_t port) : socket(io) {
        socket.async_connect(tcp::endpoint(asio::ip::make_address(host), port),
                             [this](const boost::system::error_code& ec) {
                                 if (ec) {
                                     closed = true;
                                     return;
                                 }
                                 connected = true;
                                 read();
                             });
    }
    void read() {
        socket.async_read_some(asio::buffer(buffer), [this](const boost::system::error_code& ec,
                                                            std::size_t n) {
            received.insert(received.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
            if (ec) {
                closed = true;
                return;
            }
            read();
        });
    }
    void send(cat::Bytes data) {
        auto d = std::make_shared<cat::Bytes>(std::move(data));
        asio::async_write(socket, asio::buffer(*d), [d](const boost::system::error_code&, std::size_t) {});
    }
};

constexpr std::string_view kRegisterEvents = R"toml(
[[step]]
name = "register events"
on = "profile"
command = "set_up_event_list"
events = ["data-available", "channel-status"]
expect_result = "00"
)toml";

// Then, once the DM Client's port is registered (Terminal Applications), a harmless command
// so that the next steps can follow on "response".
constexpr std::string_view kRegisteredApps = R"toml(
[[step]]
name = "applications registered"
on = "terminal-applications"
command = "get_channel_status"
expect_result = "00"
)toml";

}  // namespace

// ---------------------------------------------------------------------------------------------
// UICC server mode

TEST_CASE("UICC server mode: a TCP client's bytes reach the card, the card's answer reaches the client") {
    const std::uint16_t port = free_tcp_port();
    std::ostringstream s;
    s << kRegisterEvents << R"toml(
[[step]]
name = "open UICC server channel"
on = "response"
command = "open_channel"
mode = "uicc-server"
port = )toml"
      << port << R"toml(
buffer_size = 1400
expect_result = "00"
expect_objects = ["B8 02 41 00"]

[[step]]
name = "receive the request"
on = "event:data-available"
command = "receive_data"
length = 5
expect_result = "00"
expect_channel_data = ")toml"
      << hex("hello") << R"toml("

[[step]]
name = "answer"
on = "response"
command = "send_data"
data = ")toml"
      << hex("world!") << R"toml("
expect_result = "00"

[[step]]
name = "client gone (channel status back to LISTEN): close the channel and the port"
on = "event:channel-status"
command = "close_channel"
expect_result = "00"
)toml";
    SimDaemon sd(s.str());
    sd.daemon->start();
    // The listener is bound first; the channel reaches LISTEN when the engine hears of it.
    REQUIRE(step_until(sd.io(), [&] {
        const auto c = channels(sd);
        return !c["listeners"].empty() && !c["channels"].empty() && c["channels"][0]["state"] == "listen";
    }));
    const auto listening = channels(sd);
    CHECK(listening["listeners"][0]["local"] == "127.0.0.1:" + std::to_string(port));
    CHECK(listening["channels"][0]["state"] == "listen");
    CHECK(listening["channels"][0]["status"] == "4100");

    Client client(sd.io(), "127.0.0.1", port);
    REQUIRE(step_until(sd.io(), [&] { return client.connected; }));
    client.send(text_bytes("hello"));
    REQUIRE(step_until(sd.io(), [&] { return client.received.size() == 6; }));
    CHECK(client.received == text_bytes("world!"));
    const auto established = channels(sd);
    CHECK(established["channels"][0]["state"] == "established");
    CHECK(established["channels"][0]["local"] == "127.0.0.1:" + std::to_string(port));
    CHECK(established["channels"][0]["peer"] ==
          "127.0.0.1:" + std::to_string(client.socket.local_endpoint().port()));
    CHECK(established["channels"][0]["bytes_received"] == 5);
    CHECK(established["channels"][0]["bytes_sent"] == 6);

    client.socket.shutdown(tcp::socket::shutdown_send);
    REQUIRE(step_until(sd.io(), [&] { return sd.completed(); }));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
    // Channel status events: '81 00' when the client came, '41 00' when it left (7.5.11).
    const auto log = sd.report();
    CHECK(log.find("channel-status D60B99010A82028281B8028100") != std::string::npos);
    CHECK(log.find("channel-status D60B99010A82028281B8024100") != std::string::npos);
    CHECK(channels(sd)["channels"].empty());
    CHECK(channels(sd)["listeners"].empty());  // CLOSE CHANNEL without the listen qualifier frees the port
    // The port is really free again.
    asio::io_context io;
    CHECK_NOTHROW(tcp::acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)));
}

TEST_CASE(
    "UICC server mode back-pressure: 5000 bytes through a 500-byte Rx buffer, nothing lost or reordered") {
    const std::uint16_t port = free_tcp_port();
    std::ostringstream s;
    s << kRegisterEvents << R"toml(
[[step]]
name = "open UICC server channel, 500-byte buffer"
on = "response"
command = "open_channel"
mode = "uicc-server"
port = )toml"
      << port << R"toml(
buffer_size = 500
expect_result = "00"

[[step]]
name = "read everything"
on = "event:data-available"
command = "receive_data"
length = 237
total = 5000
expect_result = ["00", "02"]
)toml";
    SimDaemon sd(s.str());
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return !channels(sd)["listeners"].empty(); }));
    Client client(sd.io(), "127.0.0.1", port);
    REQUIRE(step_until(sd.io(), [&] { return client.connected; }));
    const cat::Bytes sent = pattern(5000, 3);
    client.send(sent);
    // The gateway never holds more than the buffer: the Rx buffer stays within 500 bytes.
    std::size_t most = 0;
    REQUIRE(step_until(
        sd.io(),
        [&] {
            const auto c = channels(sd)["channels"];
            if (!c.empty()) most = std::max<std::size_t>(most, c[0]["rx_buffered"].get<std::size_t>());
            return sd.completed();
        },
        20s));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
    CHECK(most <= 500);
    CHECK(sd.card().channel_data_received(1) == sent);
    const auto c = channels(sd)["channels"][0];
    CHECK(c["bytes_received"] == 5000);
    CHECK(c["bytes_dropped"] == 0);
}

TEST_CASE("UICC server mode: 7 channels on one port, 7 concurrent clients, an 8th refused") {
    const std::uint16_t port = free_tcp_port();
    std::ostringstream s;
    s << kRegisterEvents;
    for (int i = 1; i <= 7; ++i) {
        s << "\n[[step]]\nname = \"open server channel " << i
          << "\"\non = \"response\"\ncommand = \"open_channel\"\n"
          << "mode = \"uicc-server\"\nport = " << port << "\nbuffer_size = 1000\nexpect_result = \"00\"\n"
          << "expect_objects = [\"B8 02 " << cat::to_hex(cat::Bytes{static_cast<std::uint8_t>(0x40 + i)})
          << " 00\"]\n";
    }
    // Then, when the test says every client has sent (a STATUS), each channel is served.
    for (int i = 1; i <= 7; ++i) {
        const std::string request = "request " + std::to_string(i);
        const std::string answer = "answer to " + std::to_string(i);
        s << "\n[[step]]\non = \"" << (i == 1 ? "status" : "response")
          << "\"\ncommand = \"receive_data\"\nchannel = " << i << "\nlength = " << request.size()
          << "\nexpect_result = \"00\"\nexpect_channel_data = \"" << hex(request) << "\"\n";
        s << "\n[[step]]\non = \"response\"\ncommand = \"send_data\"\nchannel = " << i << "\ndata = \""
          << hex(answer) << "\"\nexpect_result = \"00\"\n";
    }
    SimDaemon sd(s.str());
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return channels(sd)["channels"].size() == 7; }));
    INFO(sd.report());
    REQUIRE(channels(sd)["listeners"].size() == 1);  // one listener shared by the 7 channels

    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 1; i <= 7; ++i) {
        clients.push_back(std::make_unique<Client>(sd.io(), "127.0.0.1", port));
        // One at a time: the lowest channel in LISTEN takes the next client.
        REQUIRE(step_until(sd.io(), [&] {
            const auto c = channels(sd)["channels"];
            return clients.back()->connected && c[i - 1]["state"] == "established";
        }));
        clients.back()->send(text_bytes("request " + std::to_string(i)));
    }
    REQUIRE(step_until(sd.io(), [&] {
        const auto all = channels(sd)["channels"];  // a copy: the reply is a temporary
        for (const auto& c : all) {
            if (c["rx_buffered"] != 9) return false;
        }
        return true;
    }));
    // An 8th client while every channel has one: closed at once.
    Client eighth(sd.io(), "127.0.0.1", port);
    REQUIRE(step_until(sd.io(), [&] { return eighth.closed; }));
    CHECK(eighth.received.empty());
    CHECK(channels(sd)["listeners"][0]["refused"] == 1);
    CHECK(channels(sd)["listeners"][0]["accepted"] == 7);

    sd.daemon->request_status();
    REQUIRE(step_until(
        sd.io(),
        [&] {
            for (int i = 1; i <= 7; ++i) {
                if (clients[i - 1]->received.size() < ("answer to " + std::to_string(i)).size()) return false;
            }
            return sd.completed();
        },
        10s));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
    for (int i = 1; i <= 7; ++i)
        CHECK(clients[i - 1]->received == text_bytes("answer to " + std::to_string(i)));
}

TEST_CASE("UICC server mode: CLOSE CHANNEL with the listen qualifier drops the client and keeps the port") {
    const std::uint16_t port = free_tcp_port();
    std::ostringstream s;
    s << kRegisterEvents
      << "\n[[step]]\non = \"response\"\ncommand = \"open_channel\"\nmode = \"uicc-server\"\nport = " << port
      << R"toml(
expect_result = "00"

[[step]]
name = "first client's request"
on = "event:data-available"
command = "receive_data"
length = 3
expect_channel_data = "6F6E65"

[[step]]
name = "close the client, keep listening (qualifier bit 1)"
on = "response"
command = "close_channel"
qualifier = 1
expect_result = "00"

[[step]]
name = "second client's request on the same channel"
on = "event:data-available"
command = "receive_data"
length = 3
expect_channel_data = "74776F"
)toml";
    SimDaemon sd(s.str());
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return !channels(sd)["listeners"].empty(); }));
    Client first(sd.io(), "127.0.0.1", port);
    REQUIRE(step_until(sd.io(), [&] { return first.connected; }));
    first.send(text_bytes("one"));
    REQUIRE(step_until(sd.io(), [&] { return first.closed; }));  // the gateway closed it
    CHECK(channels(sd)["channels"][0]["state"] == "listen");
    CHECK(channels(sd)["listeners"].size() == 1);
    Client second(sd.io(), "127.0.0.1", port);
    REQUIRE(step_until(sd.io(), [&] { return second.connected; }));
    second.send(text_bytes("two"));
    REQUIRE(step_until(sd.io(), [&] { return sd.completed(); }));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
    CHECK(channels(sd)["listeners"][0]["accepted"] == 2);
    CHECK_FALSE(second.closed);
}

TEST_CASE("UICC server mode: listening only on bip.listen (::1 here, never 127.0.0.1)") {
    const std::uint16_t port = free_tcp_port("::1");
    Config config = sim_config();
    config.bip.listen = "::1";
    std::ostringstream s;
    s << kRegisterEvents
      << "\n[[step]]\non = \"response\"\ncommand = \"open_channel\"\nmode = \"uicc-server\"\nport = " << port
      << "\nexpect_result = \"00\"\n";
    SimDaemon sd(s.str(), config);
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.completed(); }));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
    CHECK(channels(sd)["listeners"][0]["local"] == "[::1]:" + std::to_string(port));
    Client v4(sd.io(), "127.0.0.1", port);
    REQUIRE(step_until(sd.io(), [&] { return v4.closed || v4.connected; }));
    CHECK_FALSE(v4.connected);
    Client v6(sd.io(), "::1", port);
    REQUIRE(step_until(sd.io(), [&] { return v6.closed || v6.connected; }));
    CHECK(v6.connected);
}

namespace {

// Client mode: echo servers on the loop.
struct TcpEcho {
    tcp::acceptor acceptor;
    std::optional<tcp::socket> peer;
    std::array<std::uint8_t, 2048> buffer{};
    TcpEcho(asio::io_context& io, const char* host)
        : acceptor(io, tcp::endpoint(asio::ip::make_address(host), 0)) {
        acceptor.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
            if (ec) return;
            peer.emplace(std::move(s));
            read();
        });
    }
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }
    void read() {
        peer->async_read_some(asio::buffer(buffer),
                              [this](const boost::system::error_code& ec, std::size_t n) {
                                  if (ec) return;
                                  asio::write(*peer, asio::buffer(buffer.data(), n));
                                  read();
                              });
    }
};

struct UdpEcho {
    udp::socket socket;
    udp::endpoint from;
    std::array<std::uint8_t, 2048> buffer{};
    UdpEcho(asio::io_context& io, const char* host)
        : socket(io, udp::endpoint(asio::ip::make_address(host), 0)) {
        read();
    }
    std::uint16_t port() const { return socket.local_endpoint().port(); }
    void read() {
        socket.async_receive_from(asio::buffer(buffer), from,
                                  [this](const boost::system::error_code& ec, std::size_t n) {
                                      if (ec) return;
                                      socket.send_to(asio::buffer(buffer.data(), n), from);
                                      read();
                                  });
    }
};

std::string client_mode_scenario(const char* transport, const char* address, std::uint16_t port) {
    std::ostringstream s;
    s << kRegisterEvents
      << "\n[[step]]\nname = \"open client channel\"\non = \"response\"\ncommand = \"open_channel\"\n"
      << "mode = \"client\"\ntransport = \"" << transport << "\"\naddress = \"" << address
      << "\"\nport = " << port << "\nbuffer_size = 1400\nexpect_result = \"00\"\n"
      << "\n[[step]]\nname = \"send\"\non = \"response\"\ncommand = \"send_data\"\ndata = \""
      << hex("ping over BIP") << "\"\nexpect_result = \"00\"\n"
      << "\n[[step]]\nname = \"echo back\"\non = \"event:data-available\"\ncommand = "
         "\"receive_data\"\nlength = 13\n"
      << "expect_result = \"00\"\nexpect_channel_data = \"" << hex("ping over BIP") << "\"\n"
      << "\n[[step]]\non = \"response\"\ncommand = \"close_channel\"\nexpect_result = \"00\"\n";
    return s.str();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Client mode (loopback: no allow_remote needed)

TEST_CASE("Client mode: TCP and UDP echo servers on 127.0.0.1 and ::1") {
    for (const char* host : {"127.0.0.1", "::1"}) {
        for (const char* transport : {"tcp", "udp"}) {
            CAPTURE(host);
            CAPTURE(transport);
            const bool tcp_mode = std::string(transport) == "tcp";
            // The scenario needs the port before the daemon (and its loop) exists: a free port,
            // then the echo server binds it on the daemon's loop.
            const std::uint16_t port = tcp_mode ? free_tcp_port(host) : free_udp_port(host);
            SimDaemon sd(client_mode_scenario(transport, host, port));
            std::optional<TcpEcho> tcp_echo;
            std::optional<UdpEcho> udp_echo;
            if (tcp_mode) {
                tcp_echo.emplace(sd.io(), host);
                tcp_echo->acceptor.close();
                tcp_echo->acceptor.open(asio::ip::make_address(host).is_v6() ? tcp::v6() : tcp::v4());
                tcp_echo->acceptor.set_option(asio::socket_base::reuse_address(true));
                tcp_echo->acceptor.bind(tcp::endpoint(asio::ip::make_address(host), port));
                tcp_echo->acceptor.listen();
                tcp_echo->acceptor.async_accept(
                    [&e = *tcp_echo](const boost::system::error_code& ec, tcp::socket s) {
                        if (ec) return;
                        e.peer.emplace(std::move(s));
                        e.read();
                    });
            } else {
                udp_echo.emplace(sd.io(), host);
                udp_echo->socket.close();
                udp_echo->socket.open(asio::ip::make_address(host).is_v6() ? udp::v6() : udp::v4());
                udp_echo->socket.bind(udp::endpoint(asio::ip::make_address(host), port));
                udp_echo->read();
            }
            sd.daemon->start();
            REQUIRE(step_until(sd.io(), [&] { return sd.completed(); }));
            INFO(sd.report());
            // The card checks that the bytes it sent came back from the echo server.
            CHECK(sd.card().verdict().passed);
            CHECK(channels(sd)["channels"].empty());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Terminal Server Mode delivery to each endpoint kind

namespace {

// A stand-in DM Client on a stream endpoint (tcp or unix): keeps every byte of the first
// connection; once it has `reply_after` bytes it answers `reply`; optionally hangs up at once.
template <class Protocol>
struct StreamSink {
    typename Protocol::acceptor acceptor;
    std::optional<typename Protocol::socket> peer;
    std::array<std::uint8_t, 4096> buffer{};
    cat::Bytes received;
    std::size_t reply_after = 0;
    cat::Bytes reply;
    bool hang_up = false;
    bool accepted = false;
    bool closed = false;

    StreamSink(asio::io_context& io, const typename Protocol::endpoint& at) : acceptor(io, at) {
        acceptor.async_accept([this](const boost::system::error_code& ec, typename Protocol::socket s) {
            if (ec) return;
            accepted = true;
            peer.emplace(std::move(s));
            if (hang_up) {
                peer->close();
                closed = true;
                return;
            }
            read();
        });
    }
    void read() {
        peer->async_read_some(asio::buffer(buffer), [this](const boost::system::error_code& ec,
                                                           std::size_t n) {
            const bool before = received.size() >= reply_after;
            received.insert(received.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
            if (!reply.empty() && !before && received.size() >= reply_after)
                asio::write(*peer, asio::buffer(reply));
            if (ec) {
                closed = true;
                return;
            }
            read();
        });
    }
};
using TcpSink = StreamSink<tcp>;
using UnixSink = StreamSink<asio::local::stream_protocol>;

// A stand-in DM Client on UDP: one entry per datagram; answers `reply` to the first one.
struct UdpSink {
    udp::socket socket;
    udp::endpoint from;
    std::array<std::uint8_t, 65536> buffer{};
    std::vector<cat::Bytes> datagrams;
    cat::Bytes reply;
    UdpSink(asio::io_context& io, std::uint16_t port = 0)
        : socket(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), port)) {
        read();
    }
    std::uint16_t port() const { return socket.local_endpoint().port(); }
    void read() {
        socket.async_receive_from(
            asio::buffer(buffer), from, [this](const boost::system::error_code& ec, std::size_t n) {
                if (ec) return;
                datagrams.emplace_back(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
                if (!reply.empty() && datagrams.size() == 1) socket.send_to(asio::buffer(reply), from);
                read();
            });
    }
};

cat::Bytes package0() {
    return sim::encode(sim::Dm12Package0{});  // what default.toml sends
}

Config config_with_app(const std::string& deliver, const std::string& launch = "",
                       std::uint32_t launch_timeout_ms = 5000) {
    Config config = sim_config();
    ApplicationConfig app;
    app.name = "DM Client";
    app.port = 1100;
    std::string why;
    auto uri = parse_deliver_uri(deliver, why);
    REQUIRE_MESSAGE(uri.has_value(), why);
    app.deliver = *uri;
    app.launch = launch;
    app.launch_timeout_ms = launch_timeout_ms;
    config.applications.push_back(app);
    return config;
}

// default.toml, then: the DM Client's answer comes back (Data available → RECEIVE DATA).
std::string deliver_and_receive_scenario(const cat::Bytes& answer) {
    std::string text(sim::default_scenario_text());
    const auto close = text.rfind("[[step]]");
    text = text.substr(0, close);
    std::ostringstream s;
    s << text
      << "[[step]]\nname = \"the DM Client answers\"\non = \"event:data-available\"\ncommand = "
         "\"receive_data\"\n"
      << "length = " << answer.size() << "\nexpect_result = \"00\"\nexpect_channel_data = \""
      << cat::to_hex(answer)
      << "\"\n\n[[step]]\nname = \"close channel\"\non = \"response\"\ncommand = \"close_channel\"\n"
      << "expect_result = \"00\"\n";
    return s.str();
}

// Children of this process in state Z (exited, not reaped), from /proc/PID/stat.
int zombie_children() {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        std::ifstream f(e.path() / "stat");
        std::string line;
        if (!std::getline(f, line)) continue;
        const auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 2));
        char state = 0;
        long ppid = 0;
        rest >> state >> ppid;
        if (state == 'Z' && ppid == ::getpid()) ++n;
    }
    return n;
}

std::string temp_dir(const std::string& name) {
    auto dir =
        std::filesystem::temp_directory_path() / ("dmsc-bipio-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}

}  // namespace

TEST_CASE("TSM delivery tcp://: Package#0 byte-identical, the DM Client's answer reaches the card") {
    const std::uint16_t port = free_tcp_port();
    const cat::Bytes answer = text_bytes("DM client got it");
    SimDaemon sd(deliver_and_receive_scenario(answer),
                 config_with_app("tcp://127.0.0.1:" + std::to_string(port)));
    TcpSink sink(sd.io(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    sink.reply_after = package0().size();
    sink.reply = answer;
    std::vector<std::pair<std::string, cat::Bytes>> hooked;
    sd.daemon->bip().set_delivery_hook(
        [&](const std::string& app, const std::string& endpoint, cat::ByteView data) {
            hooked.emplace_back(app + " " + endpoint, cat::Bytes(data.begin(), data.end()));
            return true;
        });
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.completed() && sink.closed; }));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
    CHECK(cat::to_hex(sink.received) == cat::to_hex(package0()));
    CHECK(sd.daemon->stats().terminal_responses.at("00") == 5);
    // The inspector hook saw exactly the bytes delivered, once.
    REQUIRE(hooked.size() == 1);
    CHECK(hooked[0].first == "DM Client tcp://127.0.0.1:" + std::to_string(port));
    CHECK(hooked[0].second == package0());
}

namespace {
// default.toml with a signed DM 1.2 Package#0 (the card's password `card_secret`, nonce "n1"),
// and an answer step expecting `expect` for the SEND DATA.
std::string signed_scenario(const std::string& card_secret, const std::string& expect) {
    std::string text(sim::default_scenario_text());
    const auto at = text.find("session_id = 1\nexpect_result = \"00\"");
    REQUIRE(at != std::string::npos);
    text.replace(at, std::string("session_id = 1\nexpect_result = \"00\"").size(),
                 "session_id = 1\nsecret = \"" + card_secret + "\"\nnonce = \"n1\"\nexpect_result = \"" +
                     expect + "\"" + (expect == "3A" ? "\nexpect_additional = \"05\"" : ""));
    return text;
}
Config config_with_dm_server(std::uint16_t port, bool drop) {
    Config config = config_with_app("tcp://127.0.0.1:" + std::to_string(port));
    DmServerConfig server;
    server.id = "DMSC-Server";
    server.secret = "right password";
    server.nonce = "n1";
    server.drop_bad_digest = drop;
    config.dm_servers.push_back(server);
    return config;
}
}  // namespace

TEST_CASE("Package#0 check: a notification with the right digest is delivered and counted") {
    const std::uint16_t port = free_tcp_port();
    SimDaemon sd(signed_scenario("right password", "00"), config_with_dm_server(port, true));
    TcpSink sink(sd.io(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.completed() && sink.closed; }));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
    CHECK(sink.received.size() > 16);
    CHECK(sd.daemon->stats().package0_seen == 1);
    CHECK(sd.daemon->stats().package0_dropped == 0);
}

TEST_CASE("Package#0 check: a wrong digest with drop_bad_digest is not delivered, SEND DATA '3A' '05'") {
    const std::uint16_t port = free_tcp_port();
    SimDaemon sd(signed_scenario("wrong password", "3A"), config_with_dm_server(port, true));
    TcpSink sink(sd.io(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.completed(); }));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
    CHECK(sink.received.empty());  // nothing reached the DM Client's socket
    CHECK(sd.daemon->stats().package0_dropped == 1);
    std::uint64_t security_errors = 0;
    for (const auto& [cause, n] : sd.daemon->stats().delivery_failures)
        if (cause.rfind("05", 0) == 0) security_errors += n;
    CHECK(security_errors == 1);
}

TEST_CASE("Package#0 check: a wrong digest without drop_bad_digest is still delivered unchanged") {
    const std::uint16_t port = free_tcp_port();
    SimDaemon sd(signed_scenario("wrong password", "00"), config_with_dm_server(port, false));
    TcpSink sink(sd.io(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.completed() && sink.closed; }));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
    CHECK(sink.received.size() > 16);
    CHECK(sd.daemon->stats().package0_seen == 1);
    CHECK(sd.daemon->stats().package0_dropped == 0);
}

TEST_CASE("TSM delivery tcp:// to a host name (resolved asynchronously)") {
    const std::uint16_t port = free_tcp_port();
    SimDaemon sd(sim::default_scenario_text(), config_with_app("tcp://localhost:" + std::to_string(port)));
    TcpSink sink(sd.io(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.completed() && sink.closed; }));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
    CHECK(sink.received == package0());
}

TEST_CASE("TSM delivery tcp://[::1]: IPv6 endpoint") {
    const std::uint16_t port = free_tcp_port("::1");
    SimDaemon sd(sim::default_scenario_text(), config_with_app("tcp://[::1]:" + std::to_string(port)));
    TcpSink sink(sd.io(), tcp::endpoint(asio::ip::make_address("::1"), port));
    nlohmann::json seen;
    sd.daemon->bip().set_delivery_hook([&](const std::string&, const std::string&, cat::ByteView) {
        seen = channels(sd)["channels"][0];
        return true;
    });
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.completed() && sink.closed; }));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
    CHECK(sink.received == package0());
    CHECK(seen["peer"] == "[::1]:" + std::to_string(port));
}

TEST_CASE("TSM delivery udp://: one datagram per send, byte-identical; the UDP answer reaches the card") {
    const cat::Bytes answer = text_bytes("ack");
    const std::uint16_t port = free_udp_port();
    SimDaemon sd(deliver_and_receive_scenario(answer),
                 config_with_app("udp://127.0.0.1:" + std::to_string(port)));
    UdpSink sink(sd.io(), port);
    sink.reply = answer;
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.completed(); }));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
    REQUIRE(sink.datagrams.size() == 1);
    CHECK(cat::to_hex(sink.datagrams[0]) == cat::to_hex(package0()));
    CHECK(sd.daemon->stats().terminal_responses.at("00") == 5);
}

TEST_CASE("TSM delivery unix:/path: stream, byte-identical, answer back") {
    const auto dir = temp_dir("unix");
    const std::string path = dir + "/dm.sock";
    const cat::Bytes answer = text_bytes("unix answer");
    SimDaemon sd(deliver_and_receive_scenario(answer), config_with_app("unix:" + path));
    UnixSink sink(sd.io(), asio::local::stream_protocol::endpoint(path));
    sink.reply_after = package0().size();
    sink.reply = answer;
    nlohmann::json seen;
    sd.daemon->bip().set_delivery_hook([&](const std::string&, const std::string&, cat::ByteView) {
        seen = channels(sd)["channels"][0];
        return true;
    });
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.completed() && sink.closed; }));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
    CHECK(sink.received == package0());
    CHECK(seen["peer"] == "unix:" + path);
    CHECK(seen["endpoint"] == "unix:" + path);
    std::filesystem::remove_all(dir);
}

TEST_CASE("TSM delivery wap-push+udp://: WSP Push PDU 00 06 03 C4 AF 87 + Package#0") {
    const std::uint16_t port = free_udp_port();
    SimDaemon sd(sim::default_scenario_text(),
                 config_with_app("wap-push+udp://127.0.0.1:" + std::to_string(port)));
    UdpSink sink(sd.io(), port);
    std::vector<cat::Bytes> hooked;
    sd.daemon->bip().set_delivery_hook([&](const std::string&, const std::string&, cat::ByteView data) {
        hooked.emplace_back(data.begin(), data.end());
        return true;
    });
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.completed() && !sink.datagrams.empty(); }));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
    REQUIRE(sink.datagrams.size() == 1);
    const cat::Bytes& d = sink.datagrams[0];
    // TID 00, PDU type 06 (Push), HeadersLen 03, content type 0xC4 (application/vnd.syncml.
    // notification), X-Wap-Application-Id 0xAF = 0x87 (x-wap-application:syncml.dm).
    REQUIRE(d.size() == package0().size() + 6);
    CHECK(cat::to_hex(cat::ByteView(d).first(6)) == "000603C4AF87");
    CHECK(cat::Bytes(d.begin() + 6, d.end()) == package0());
    // The hook sees the notification itself, not the PDU.
    REQUIRE(hooked.size() == 1);
    CHECK(hooked[0] == package0());
}

// ---------------------------------------------------------------------------------------------
// launch

TEST_CASE(
    "launch: the DM Client is down, launch starts it, the Package#0 reaches it; the process is reaped") {
    const std::uint16_t port = free_tcp_port();
    const auto dir = temp_dir("launch");
    const std::string out = dir + "/received.bin";
    const std::string command = "/usr/bin/python3 " + std::string(DMSC_SOURCE_DIR) +
                                "/tests/gateway/scripts/dm_client_stub.py " + std::to_string(port) + " " +
                                out;
    SimDaemon sd(sim::default_scenario_text(),
                 config_with_app("tcp://127.0.0.1:" + std::to_string(port), command, 20'000));
    sd.daemon->start();
    REQUIRE(step_until(
        sd.io(),
        [&] {
            return sd.completed() && std::filesystem::exists(out) && sd.daemon->bip().launched_running() == 0;
        },
        30s));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);  // OPEN CHANNEL '00', SEND DATA '00', CLOSE CHANNEL '00'
    std::ifstream f(out, std::ios::binary);
    const cat::Bytes got((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    CHECK(cat::to_hex(got) == cat::to_hex(package0()));
    CHECK(sd.daemon->stats().terminal_responses.at("00") == 4);
    CHECK(zombie_children() == 0);
    std::filesystem::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// The failure table (docs/bip.md), each row through the daemon: the card checks the exact '3A'
// cause in its TERMINAL RESPONSE (docs/failure-mapping.md names these tests).

namespace {

void expect_passes(SimDaemon& sd, std::chrono::milliseconds limit = 10s) {
    sd.daemon->start();
    REQUIRE(step_until(
        sd.io(), [&] { return sd.completed(); }, limit));
    INFO(sd.report());
    CHECK(sd.card().verdict().passed);
}

std::string open_tsm(const char* expect_result, const char* expect_additional = nullptr, int qualifier = -1,
                     int buffer_size = 1400) {
    std::ostringstream s;
    s << "\n[[step]]\nname = \"open channel\"\non = \"response\"\ncommand = \"open_channel\"\nmode = "
         "\"terminal-server\"\n"
      << "port = \"registered\"\nbuffer_size = " << buffer_size << "\nexpect_result = \"" << expect_result
      << "\"\n";
    if (expect_additional) s << "expect_additional = \"" << expect_additional << "\"\n";
    if (qualifier >= 0) s << "qualifier = " << qualifier << "\n";
    return s.str();
}

std::string send_package(const char* on, const char* expect_result, const char* expect_additional) {
    std::ostringstream s;
    s << "\n[[step]]\nname = \"send Package#0\"\non = \"" << on << "\"\ncommand = \"send_data\"\n"
      << "payload = \"dm12-package0\"\nexpect_result = \"" << expect_result << "\"\n";
    if (expect_additional) s << "expect_additional = \"" << expect_additional << "\"\n";
    return s.str();
}

std::string unused_tcp_endpoint() {
    return "tcp://127.0.0.1:" + std::to_string(free_tcp_port());
}

}  // namespace

TEST_CASE("failure row: no free channel → OPEN CHANNEL '3A' '01'") {
    std::string s = std::string(kRegisterEvents) + std::string(kRegisteredApps);
    for (int i = 0; i < 7; ++i) s += open_tsm("00", nullptr, /*on demand*/ 0);
    s += open_tsm("3A", "01", 0);
    SimDaemon sd(s, config_with_app(unused_tcp_endpoint()));
    expect_passes(sd);
    CHECK(channels(sd)["channels"].size() == 7);
}

TEST_CASE("failure row: unsupported transport (client remote to a non-loopback host) → '3A' '06'") {
    SimDaemon sd(std::string(kRegisterEvents) + R"toml(
[[step]]
on = "response"
command = "open_channel"
mode = "client"
transport = "tcp"
address = "192.0.2.1"
port = 80
expect_result = "3A"
expect_additional = "06"
)toml");
    expect_passes(sd);
}

TEST_CASE("failure row: Terminal Server Mode port nobody registered → '3A' '10'") {
    SimDaemon sd(std::string(kRegisterEvents) + std::string(kRegisteredApps) + R"toml(
[[step]]
on = "response"
command = "open_channel"
mode = "terminal-server"
port = 4444
expect_result = "3A"
expect_additional = "10"
)toml",
                 config_with_app(unused_tcp_endpoint()));
    expect_passes(sd);
}

TEST_CASE("failure row: UICC server mode port taken on the terminal → '3A' '10'") {
    asio::io_context io;
    tcp::acceptor taken(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = taken.local_endpoint().port();
    SimDaemon sd(std::string(kRegisterEvents) +
                 "\n[[step]]\non = \"response\"\ncommand = \"open_channel\"\n" +
                 "mode = \"uicc-server\"\nport = " + std::to_string(port) +
                 "\nexpect_result = \"3A\"\nexpect_additional = \"10\"\n");
    expect_passes(sd);
    CHECK(channels(sd)["listeners"].empty());
    CHECK(channels(sd)["channels"].empty());
}

TEST_CASE("failure row: nothing listening, no launch → OPEN CHANNEL '3A' '07'") {
    SimDaemon sd(std::string(kRegisterEvents) + std::string(kRegisteredApps) + open_tsm("3A", "07"),
                 config_with_app(unused_tcp_endpoint()));
    expect_passes(sd);
    CHECK(channels(sd)["channels"].empty());
}

TEST_CASE("failure row: nothing listening on an on-demand link → SEND DATA '3A' '07'") {
    SimDaemon sd(std::string(kRegisterEvents) + std::string(kRegisteredApps) + open_tsm("00", nullptr, 0) +
                     send_package("response", "3A", "07"),
                 config_with_app(unused_tcp_endpoint()));
    expect_passes(sd);
}

TEST_CASE("failure row: launch cannot start (on-demand link) → SEND DATA '3A' '12'") {
    SimDaemon sd(std::string(kRegisterEvents) + std::string(kRegisteredApps) + open_tsm("00", nullptr, 0) +
                     send_package("response", "3A", "12"),
                 config_with_app(unused_tcp_endpoint(), "/nonexistent/dm-client --notify"));
    expect_passes(sd);
}

TEST_CASE("failure row: launch cannot start during an immediate OPEN CHANNEL → '3A' '07'") {
    SimDaemon sd(std::string(kRegisterEvents) + std::string(kRegisteredApps) + open_tsm("3A", "07"),
                 config_with_app(unused_tcp_endpoint(), "/nonexistent/dm-client"));
    expect_passes(sd);
}

TEST_CASE("failure row: launched application exits non-zero before listening → SEND DATA '3A' '12'") {
    SimDaemon sd(std::string(kRegisterEvents) + std::string(kRegisteredApps) + open_tsm("00") +
                     send_package("response", "3A", "12"),
                 config_with_app(unused_tcp_endpoint(), "/bin/false", 50'000));
    // Without the exit being noticed this would wait for the 50 s launch_timeout_ms.
    expect_passes(sd, 20s);
    REQUIRE(step_until(sd.io(), [&] { return sd.daemon->bip().launched_running() == 0; }));
    CHECK(zombie_children() == 0);
}

TEST_CASE("failure row: launched application never listens → SEND DATA '3A' '12' after launch_timeout_ms") {
    SimDaemon sd(std::string(kRegisterEvents) + std::string(kRegisteredApps) + open_tsm("00") +
                     send_package("response", "3A", "12"),
                 config_with_app(unused_tcp_endpoint(), "/bin/sleep 1", 600));
    expect_passes(sd, 20s);
    // It ends by itself a little later and is reaped (no zombie).
    REQUIRE(step_until(sd.io(), [&] { return sd.daemon->bip().launched_running() == 0; }));
    CHECK(zombie_children() == 0);
}

TEST_CASE("failure row: launch parameters unusable → '3A' '11'") {
    SimDaemon sd(std::string(kRegisterEvents) + std::string(kRegisteredApps) + open_tsm("3A", "11"),
                 config_with_app(unused_tcp_endpoint(), "/bin/sh \"-c unterminated"));
    expect_passes(sd);
}

TEST_CASE("failure row: channel identifier not open → SEND DATA '3A' '03'") {
    SimDaemon sd(std::string(kRegisterEvents) + R"toml(
[[step]]
on = "response"
command = "send_data"
channel = 5
data = "0102"
expect_result = "3A"
expect_additional = "03"
)toml");
    expect_passes(sd);
}

TEST_CASE("failure row: the DM Client closed the connection → Channel status event, SEND DATA '3A' '02'") {
    const std::uint16_t port = free_tcp_port();
    SimDaemon sd(std::string(kRegisterEvents) + std::string(kRegisteredApps) + open_tsm("00") +
                     send_package("event:channel-status", "3A", "02"),
                 config_with_app("tcp://127.0.0.1:" + std::to_string(port)));
    TcpSink sink(sd.io(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    sink.hang_up = true;
    expect_passes(sd);
    // The event was link dropped: '01 05' in the channel status (8.56).
    CHECK(sd.report().find("channel-status D60B99010A82028281B8020105") != std::string::npos);
    CHECK(channels(sd)["channels"][0]["state"] == "link dropped");
}

TEST_CASE("failure row: SEND DATA past the Tx buffer → '3A' '04'") {
    SimDaemon sd(
        std::string(kRegisterEvents) + std::string(kRegisteredApps) + open_tsm("00", nullptr, 0, 10) + R"toml(
[[step]]
on = "response"
command = "send_data"
data = "0102030405060708090A0B0C0D0E0F1011121314"
immediate = false
expect_result = "3A"
expect_additional = "04"
)toml",
        config_with_app(unused_tcp_endpoint()));
    expect_passes(sd);
    CHECK(channels(sd)["channels"][0]["tx_buffered"] == 0);
}

TEST_CASE("failure row: buffer larger than bip.buffer_size → OPEN CHANNEL '07' with the size granted") {
    SimDaemon sd(std::string(kRegisterEvents) + std::string(kRegisteredApps) + R"toml(
[[step]]
on = "response"
command = "open_channel"
mode = "terminal-server"
port = "registered"
qualifier = 0
buffer_size = 65535
expect_result = "07"
expect_buffer_size = 1400
)toml",
                 config_with_app(unused_tcp_endpoint()));
    expect_passes(sd);
}

TEST_CASE("split_command: blanks split, quotes group, no shell") {
    std::string why;
    auto argv = split_command("/usr/bin/dm-client  --notify 'a b' \"c  d\"e", why);
    REQUIRE(argv.has_value());
    CHECK(*argv == std::vector<std::string>{"/usr/bin/dm-client", "--notify", "a b", "c  de"});
    CHECK(split_command("/bin/x \"\"", why)->size() == 2);  // an empty quoted word is a word
    CHECK_FALSE(split_command("/bin/x 'open", why));
    CHECK(why.find("not closed") != std::string::npos);
    CHECK_FALSE(split_command("   ", why));
    CHECK(why.find("empty") != std::string::npos);
    CHECK_FALSE(split_command("dm-client --notify", why));
    CHECK(why.find("absolute") != std::string::npos);
}
