// tests/gateway/test_bounded_input.cpp — "no card or DM Client input can make the daemon allocate
// without bound" (docs/failure-mapping.md "Bounded input"): each test feeds far more than the
// bound through real sockets and checks the buffered size or counter stays at the bound. BIP
// channels flooded by a DM Client (UICC server mode over TCP, Terminal Server Mode over unix:,
// client mode over UDP with datagrams larger than the buffer), a storm of clients at a UICC
// server port, the ENVELOPE queue while the card answers '93 00', the EEM bridge's queue towards
// a card that does not read (Echo and TAP floods), the simulated card's SCWS request parser.
#include <doctest/doctest.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include "cat/envelope.hpp"
#include "eem/eem.hpp"
#include "gateway/bip_sockets.hpp"
#include "gateway/eem_bridge.hpp"
#include "gateway/sim/http_parser.hpp"
#include "registry/events.hpp"
#include "registry/outbox.hpp"
#include "tests/gateway/sim_daemon.hpp"

namespace {

using namespace dmsc;
using namespace dmsc::gateway;
using namespace dmsc::gateway::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

constexpr std::size_t kFlood = 16 * 1024 * 1024;  // what a misbehaving peer sends

std::uint16_t free_tcp_port() {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

std::uint16_t free_udp_port() {
    asio::io_context io;
    udp::socket s(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return s.local_endpoint().port();
}

// Runs the loop for `rounds` more turns (each up to 2 ms): what the daemon does with input that
// keeps coming. The checks after it are on sizes, never on time.
void keep_running(asio::io_context& io, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        if (io.stopped()) io.restart();
        io.run_for(2ms);
    }
}

nlohmann::json channels(SimDaemon& sd) {
    return sd.daemon->bip().channels_json();
}

constexpr std::string_view kRegisterEvents = R"toml(
[[step]]
name = "register events"
on = "profile"
command = "set_up_event_list"
events = ["data-available", "channel-status"]
expect_result = "00"
)toml";

// A stream peer that writes `kFlood` bytes as fast as the other side takes them.
template <class Socket>
void flood(Socket& socket, std::shared_ptr<cat::Bytes> data, bool& done) {
    asio::async_write(socket, asio::buffer(*data),
                      [data, &done](const boost::system::error_code&, std::size_t) { done = true; });
}

Config config_with_app(const std::string& deliver) {
    Config config = sim_config();
    ApplicationConfig app;
    app.name = "DM Client";
    app.port = 1100;
    std::string why;
    auto uri = parse_deliver_uri(deliver, why);
    REQUIRE_MESSAGE(uri.has_value(), why);
    app.deliver = *uri;
    config.applications.push_back(app);
    return config;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// BIP channels: a DM Client that floods

TEST_CASE("Bounded input: a client floods a UICC server mode channel (TCP) the card never reads") {
    const std::uint16_t port = free_tcp_port();
    std::ostringstream s;
    s << kRegisterEvents << "\n[[step]]\nname = \"open\"\non = \"response\"\ncommand = \"open_channel\"\n"
      << "mode = \"uicc-server\"\nport = " << port << "\nbuffer_size = 500\nexpect_result = \"00\"\n";
    SimDaemon sd(s.str());
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return !channels(sd)["listeners"].empty(); }));
    tcp::socket client(sd.io());
    bool connected = false;
    client.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                         [&](const boost::system::error_code& ec) { connected = !ec; });
    REQUIRE(step_until(sd.io(), [&] { return connected; }));
    bool all_written = false;
    flood(client, std::make_shared<cat::Bytes>(kFlood, 0x5A), all_written);
    REQUIRE(step_until(sd.io(), [&] { return channels(sd)["channels"][0]["rx_buffered"] == 500; }));
    keep_running(sd.io(), 300);
    const auto c = channels(sd)["channels"][0];
    CHECK(c["rx_buffered"] == 500);     // the channel's buffer, not a byte more
    CHECK(c["bytes_received"] == 500);  // the daemon stopped reading: TCP holds the rest
    CHECK(c["bytes_dropped"] == 0);     // nothing lost on a stream
    CHECK_FALSE(all_written);           // the client is held back by TCP flow control
}

TEST_CASE("Bounded input: a DM Client floods a Terminal Server Mode channel (unix:) the card never reads") {
    const auto dir = std::filesystem::temp_directory_path() / ("dmsc-bounded-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "dm.sock").string();
    std::ostringstream s;
    s << kRegisterEvents << R"toml(
[[step]]
name = "open"
on = "terminal-applications"
command = "open_channel"
port = "registered"
buffer_size = 1400
expect_result = "00"

[[step]]
name = "hello"
on = "response"
command = "send_data"
data = "68656C6C6F"
expect_result = "00"
)toml";
    SimDaemon sd(s.str(), config_with_app("unix:" + path));
    asio::local::stream_protocol::acceptor acceptor(sd.io(), asio::local::stream_protocol::endpoint(path));
    std::optional<asio::local::stream_protocol::socket> peer;
    bool all_written = false;
    acceptor.async_accept(
        [&](const boost::system::error_code& ec, asio::local::stream_protocol::socket sock) {
            if (ec) return;
            peer.emplace(std::move(sock));
            flood(*peer, std::make_shared<cat::Bytes>(kFlood, 0xA5), all_written);
        });
    sd.daemon->start();
    REQUIRE(step_until(
        sd.io(),
        [&] {
            const auto c = channels(sd)["channels"];
            return !c.empty() && c[0]["rx_buffered"] == 1400;
        },
        10s));
    keep_running(sd.io(), 300);
    const auto c = channels(sd)["channels"][0];
    CHECK(c["rx_buffered"] == 1400);
    CHECK(c["bytes_received"] == 1400);
    CHECK(c["bytes_dropped"] == 0);
    CHECK_FALSE(all_written);
    std::filesystem::remove_all(dir);
}

TEST_CASE("Bounded input: UDP datagrams larger than the channel buffer (client mode) are cut and counted") {
    const std::uint16_t port = free_udp_port();
    std::ostringstream s;
    s << kRegisterEvents << "\n[[step]]\nname = \"open\"\non = \"response\"\ncommand = \"open_channel\"\n"
      << "mode = \"client\"\ntransport = \"udp\"\naddress = \"127.0.0.1\"\nport = " << port
      << "\nbuffer_size = 1000\nexpect_result = \"00\"\n"
      << "\n[[step]]\nname = \"hello\"\non = \"response\"\ncommand = \"send_data\"\ndata = \"68656C6C6F\"\n"
      << "expect_result = \"00\"\n";
    SimDaemon sd(s.str());
    udp::socket server(sd.io(), udp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    std::array<std::uint8_t, 64> first{};
    udp::endpoint from;
    bool heard = false;
    server.async_receive_from(asio::buffer(first), from,
                              [&](const boost::system::error_code& ec, std::size_t) { heard = !ec; });
    sd.daemon->start();
    REQUIRE(step_until(
        sd.io(), [&] { return heard; }, 10s));
    // 50 datagrams of 60000 bytes to a 1000-byte channel.
    const cat::Bytes big(60000, 0x42);
    for (int i = 0; i < 50; ++i) {
        boost::system::error_code ignored;
        server.send_to(asio::buffer(big), from, 0, ignored);
    }
    REQUIRE(step_until(sd.io(), [&] { return channels(sd)["channels"][0]["rx_buffered"] == 1000; }));
    keep_running(sd.io(), 200);
    const auto c = channels(sd)["channels"][0];
    CHECK(c["rx_buffered"] == 1000);
    CHECK(c["bytes_received"] == 1000);
    // The first datagram cut to the room left; no more read until the card makes room (the
    // kernel's socket buffer drops the rest, as UDP does).
    CHECK(c["bytes_dropped"] == 60000 - 1000);
}

TEST_CASE("Bounded input: 300 clients at a UICC server port with one channel: one taken, the rest closed") {
    const std::uint16_t port = free_tcp_port();
    std::ostringstream s;
    s << kRegisterEvents << "\n[[step]]\nname = \"open\"\non = \"response\"\ncommand = \"open_channel\"\n"
      << "mode = \"uicc-server\"\nport = " << port << "\nbuffer_size = 500\nexpect_result = \"00\"\n";
    SimDaemon sd(s.str());
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return !channels(sd)["listeners"].empty(); }));
    constexpr int kClients = 300;
    std::vector<std::unique_ptr<tcp::socket>> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<tcp::socket>(sd.io()));
        clients.back()->async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                      [](const boost::system::error_code&) {});
    }
    REQUIRE(step_until(
        sd.io(),
        [&] {
            const auto l = channels(sd)["listeners"][0];
            return l["accepted"].get<int>() + l["refused"].get<int>() == kClients;
        },
        20s));
    const auto all = channels(sd);
    CHECK(all["listeners"][0]["accepted"] == 1);
    CHECK(all["listeners"][0]["refused"] == kClients - 1);
    CHECK(all["channels"].size() == 1);
}

// ---------------------------------------------------------------------------------------------
// ENVELOPEs while the card is busy

TEST_CASE(
    "Bounded input: 1000 ENVELOPEs while the card answers '93 00': at most 64 queued, the rest refused") {
    SimDaemon sd(R"toml(
[card]
envelope_busy = 1000

[[step]]
name = "wait"
on = "status"
)toml");
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.daemon->card_state() == CardState::Powered; }));
    const std::uint64_t refused_before = sd.daemon->stats().envelopes_refused;
    int queued = 0;
    for (int i = 0; i < 1000; ++i) {
        if (sd.daemon->queue_envelope(cat::encode(cat::user_activity_event()))) ++queued;
        if (i % 50 == 0) keep_running(sd.io(), 2);
    }
    keep_running(sd.io(), 50);
    const auto status = sd.daemon->status_json();
    const std::size_t in_queue = status["session"]["queued_envelopes"].get<std::size_t>();
    CHECK(in_queue <= 64);  // cat::SessionConfig::max_queued_envelopes
    CHECK(queued <= 64);
    CHECK(sd.daemon->stats().envelopes_refused - refused_before == static_cast<std::uint64_t>(1000 - queued));
    CHECK(sd.daemon->stats().busy_retries > 0);  // still trying, never dropped
    // SMS-PP data download (the on-line trigger, `dmsc-ctl sms-pp`) goes through the same queue.
    int sms_queued = 0;
    for (int i = 0; i < 500; ++i) {
        if (sd.daemon->sms_pp_download({}, cat::Bytes(150, 0x44))) ++sms_queued;
    }
    CHECK(sd.daemon->status_json()["session"]["queued_envelopes"].get<std::size_t>() <= 64);
    CHECK(sms_queued <= 64 - static_cast<int>(std::min<std::size_t>(in_queue, 64)));
}

// ---------------------------------------------------------------------------------------------
// EEM: the queue towards a card that does not read

namespace {

struct EemRig {
    asio::io_context io;
    int tap[2] = {-1, -1};  // [0] the bridge's "TAP", [1] the test's side (one frame per datagram)
    asio::local::stream_protocol::socket card{io};
    std::unique_ptr<EemBridge> bridge;

    explicit EemRig(std::size_t max_out_queue) {
        REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, tap) == 0);
        asio::local::stream_protocol::socket ours(io);
        asio::local::connect_pair(ours, card);
        EemBridgeOptions o;
        o.max_out_queue = max_out_queue;
        bridge = std::make_unique<EemBridge>(io, tap[0], make_socket_pipe(std::move(ours), "test pipe"), o);
        bridge->start([](const std::string&) {});
    }
    ~EemRig() {
        bridge.reset();
        ::close(tap[1]);
    }
};

}  // namespace

TEST_CASE(
    "Bounded input: a card flooding EEM Echo without reading the answers: the OUT queue stays bounded") {
    constexpr std::size_t kMaxQueue = 64 * 1024;
    EemRig rig(kMaxQueue);
    // 3000 Echo commands of 2047 bytes (6 MB of Echo Responses owed), the card never reads.
    eem::Bytes echoes;
    for (int i = 0; i < 3000; ++i) {
        REQUIRE(eem::append_command(echoes, eem::Command::Echo, eem::kMaxEchoLength,
                                    eem::Bytes(eem::kMaxEchoLength, static_cast<std::uint8_t>(i))));
    }
    bool written = false;
    flood(rig.card, std::make_shared<eem::Bytes>(std::move(echoes)), written);
    std::size_t most = 0;
    REQUIRE(step_until(
        rig.io,
        [&] {
            most = std::max(most, rig.bridge->queued_out_bytes());
            const auto& in = rig.bridge->counters().commands_in;
            const auto it = in.find("echo");
            return it != in.end() && it->second == 3000;
        },
        20s));
    const auto& c = rig.bridge->counters();
    CHECK(most <= kMaxQueue);
    CHECK(rig.bridge->queued_out_bytes() <= kMaxQueue);
    CHECK(c.out_queue_drops > 0);
    const auto answered = c.commands_out.count("echo-response") ? c.commands_out.at("echo-response") : 0;
    CHECK(answered + c.out_queue_drops == 3000);  // every Echo answered or counted as dropped
}

TEST_CASE("Bounded input: TAP frames towards a card that does not read: the OUT queue stays bounded") {
    constexpr std::size_t kMaxQueue = 32 * 1024;
    EemRig rig(kMaxQueue);
    const eem::Bytes frame(1500, 0x77);
    std::uint64_t sent = 0;
    std::size_t most = 0;
    for (int round = 0; round < 200; ++round) {
        for (int i = 0; i < 50; ++i) {
            if (::send(rig.tap[1], frame.data(), frame.size(), MSG_DONTWAIT) == 1500) ++sent;
        }
        keep_running(rig.io, 2);
        most = std::max(most, rig.bridge->queued_out_bytes());
    }
    REQUIRE(step_until(rig.io, [&] {
        const auto& c = rig.bridge->counters();
        return c.frames_out + c.out_queue_drops == sent;
    }));
    const auto& c = rig.bridge->counters();
    INFO("frames sent to the TAP: " << sent);
    CHECK(sent > 1000);
    CHECK(most <= kMaxQueue);
    CHECK(c.out_queue_drops > 0);
}

// ---------------------------------------------------------------------------------------------
// The simulated card's SCWS: HTTP requests

TEST_CASE("Bounded input: an SCWS request head that never ends is refused 431 at kMaxHttpHead") {
    sim::HttpParser p(4 * 1024 * 1024);
    const std::string piece(237, 'a');  // what one RECEIVE DATA brings
    std::string head = "GET / HTTP/1.1\r\nX-Long: ";
    p.feed(head);
    std::size_t fed = head.size();
    auto r = sim::HttpParser::Result::NeedMore;
    while (r == sim::HttpParser::Result::NeedMore && fed < 1024 * 1024) {
        p.feed(piece);
        fed += piece.size();
        r = p.next();
        CHECK(p.buffered() <= sim::kMaxHttpHead + piece.size());
    }
    CHECK(r == sim::HttpParser::Result::Error);
    CHECK(p.error_status() == 431);
    CHECK(fed <= sim::kMaxHttpHead + 2 * piece.size());  // refused as soon as it passed the cap
}

TEST_CASE("Bounded input: an SCWS request announcing a body over max_body is refused 413 before any body") {
    sim::HttpParser p(4096);
    p.feed("POST /echo HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n");
    CHECK(p.next() == sim::HttpParser::Result::Error);
    CHECK(p.error_status() == 413);
    sim::HttpParser ok(4096);
    ok.feed("POST /echo HTTP/1.1\r\nContent-Length: 4096\r\n\r\n");
    CHECK(ok.next() == sim::HttpParser::Result::NeedMore);
    for (int i = 0; i < 17; ++i) ok.feed(std::string(237, 'b'));  // 4029 of 4096
    CHECK(ok.next() == sim::HttpParser::Result::NeedMore);
    CHECK(ok.buffered() <= 4096);
}

TEST_CASE("Bounded input: 2000 platform events while the card answers '93 00': the registry keeps 256") {
    SimDaemon sd(R"toml(
[card]
envelope_busy = 1000

[[step]]
name = "register location status"
on = "profile"
command = "set_up_event_list"
events = ["location-status"]
expect_result = "00"
)toml");
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] {
        return sd.daemon->registry().events().is_registered(cat::EventType::LocationStatus);
    }));
    auto event = registry::parse_platform_event("location-status", {{"state", "no-service"}});
    REQUIRE(event);
    int kept = 0;
    for (int i = 0; i < 2000; ++i) {
        if (sd.daemon->registry().inject(event.value())) ++kept;
        if (i % 100 == 0) keep_running(sd.io(), 2);
        CHECK(sd.daemon->registry().envelopes_waiting() <= registry::Outbox::kMaxQueued);
    }
    keep_running(sd.io(), 50);
    const auto stats = sd.daemon->stats_json();
    const auto waiting = stats["envelopes"]["waiting"].get<std::size_t>();
    const auto dropped = stats["envelopes"]["dropped"].get<std::uint64_t>();
    const auto queued = sd.daemon->status_json()["session"]["queued_envelopes"].get<std::size_t>();
    INFO("kept " << kept << ", waiting " << waiting << ", in the session " << queued << ", dropped "
                 << dropped);
    CHECK(waiting <= registry::Outbox::kMaxQueued);
    CHECK(queued <= 64);
    CHECK(dropped == static_cast<std::uint64_t>(2000 - kept));
    CHECK(dropped > 0);
}
