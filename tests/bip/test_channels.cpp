// tests/bip/test_channels.cpp — bip::Channels state machines without I/O: Terminal Server Mode
// delivery, store vs send immediately, buffer boundaries, RECEIVE DATA chunking, back-pressure,
// UICC server mode listen/accept/close, events, card removal.
#include <doctest/doctest.h>

#include "tests/bip/test_support.hpp"

using namespace dmsc;
using namespace dmsc::bip;
using namespace dmsc::bip::test;

TEST_CASE("Terminal Server Mode, immediate link: Connect to the application, then 00 link established") {
    Harness h;
    auto fx = h->on_command(open_tsm(kImmediate, 1100, 1000));
    CHECK(fx.pending);
    CHECK_FALSE(fx.response);
    const auto c = actions_of<Connect>(fx);
    REQUIRE(c.size() == 1);
    CHECK(c[0].channel == 1);
    CHECK(c[0].endpoint == "tcp://127.0.0.1:1100");
    CHECK(h->channel(1)->state == ChannelState::Connecting);
    auto done = h->on_connected(1);
    // Channel status '81 00' link established, buffer size 1000 ('03E8').
    CHECK(tr_hex(done.completion) == "81030140018202828183010038028100390203E8");
    CHECK_FALSE(h->command_pending());
}

TEST_CASE("Terminal Server Mode over UDP ('04') connects with the UDP transport") {
    Harness h;
    auto fx = h->on_command(open_tsm(kImmediate, 1100, 500, /*udp=*/true));
    REQUIRE(actions_of<Connect>(fx).size() == 1);
    CHECK(actions_of<Connect>(fx)[0].transport == Transport::Udp);
}

TEST_CASE("The off-line trigger: Package#0 stored then sent immediately reaches the DM Client in one write") {
    Harness h;
    h->on_command(open_tsm(kOnDemand, 1100, 1000));
    CHECK(h->channel(1)->state == ChannelState::Idle);
    const auto part1 = pattern(150, 0);
    const auto part2 = pattern(60, 150);
    auto s1 = h->on_command(send(1, kStore, part1));
    CHECK(tr_hex(s1.response) == "810301430082028281830100B701FF");  // 850 free: 'FF'
    CHECK(s1.actions.empty());
    auto s2 = h->on_command(send(1, kSendNow, part2));
    REQUIRE(s2.pending);
    REQUIRE(actions_of<Connect>(s2).size() == 1);  // on demand: the first send-immediately connects
    auto connected = h->on_connected(1);
    const auto w = actions_of<Write>(connected);
    REQUIRE(w.size() == 1);
    CHECK(w[0].data == pattern(210, 0));
    CHECK_FALSE(connected.completion);  // not before the bytes are written
    auto done = h->on_write_done(1);
    CHECK(tr_hex(done.completion) == "810301430182028281830100B701FF");
    CHECK(h->channel(1)->bytes_sent == 210);
    // The DM_SC Server then closes the channel.
    auto closed = h->on_command(close(1));
    CHECK(result_hex(closed.response) == "00");
    CHECK(actions_of<Close>(closed).size() == 1);
    CHECK(h->open_channels() == 0);
}

TEST_CASE("SEND DATA channel data length: free Tx space, 'FF' above 255") {
    Harness h;
    const auto id = h.open_connected(300);
    CHECK(tr_hex(h->on_command(send(id, kStore, pattern(44))).response) ==
          "810301430082028281830100B701FF");  // 256
    CHECK(tr_hex(h->on_command(send(id, kStore, pattern(1))).response) ==
          "810301430082028281830100B701FF");  // 255
    CHECK(tr_hex(h->on_command(send(id, kStore, pattern(1))).response) ==
          "810301430082028281830100B701FE");  // 254
    CHECK(tr_hex(h->on_command(send(id, kStore, pattern(200))).response) == "810301430082028281830100B70136");
    CHECK(tr_hex(h->on_command(send(id, kStore, pattern(54))).response) == "810301430082028281830100B70100");
    CHECK(result_hex(h->on_command(send(id, kStore, pattern(1))).response) == "3A04");  // full
    auto now = h->on_command(send(id, kSendNow, {}));  // flushes the full buffer
    REQUIRE(actions_of<Write>(now).size() == 1);
    CHECK(actions_of<Write>(now)[0].data.size() == 300);
    CHECK(tr_hex(h->on_write_done(id).completion) == "810301430182028281830100B701FF");
}

TEST_CASE("SEND DATA filling the buffer exactly in immediate mode is one write") {
    Harness h;
    const auto id = h.open_connected(200);
    h->on_command(send(id, kStore, pattern(100)));
    auto fx = h->on_command(send(id, kSendNow, pattern(100, 100)));
    REQUIRE(actions_of<Write>(fx).size() == 1);
    CHECK(actions_of<Write>(fx)[0].data == pattern(200));
    CHECK(result_hex(h->on_write_done(id).completion) == "00");
}

TEST_CASE("RECEIVE DATA of 1000 bytes in chunks of 237 with the remaining length") {
    Harness h;
    const auto id = h.open_connected(1000);
    const auto data = pattern(1000, 7);
    auto fx = h->on_data(id, data);
    CHECK(envelopes(fx) == std::vector<std::string>{"D60E99010982028281B8028100B701FF"});
    cat::Bytes got;
    const std::vector<std::pair<std::size_t, std::string>> steps{
        {237, "FF"}, {237, "FF"}, {237, "FF"}, {237, "34"}, {52, "00"}};
    for (const auto& [n, remaining] : steps) {
        auto r = h->on_command(receive(id, static_cast<std::uint8_t>(n)));
        REQUIRE(r.response);
        CHECK(result_hex(r.response) == "00");
        const auto* cd = r.response->find(cat::Tag::ChannelData);
        REQUIRE(cd);
        CHECK(cd->value.size() == n);
        got.insert(got.end(), cd->value.begin(), cd->value.end());
        CHECK(cat::to_hex(r.response->find(cat::Tag::ChannelDataLength)->value) == remaining);
        CHECK(cat::encode(*r.response).size() <= 255);
    }
    CHECK(got == data);
}

TEST_CASE("RECEIVE DATA asking more than one TERMINAL RESPONSE carries gets 237 bytes and 07") {
    Harness h;
    const auto id = h.open_connected(1000);
    h->on_data(id, pattern(600));
    auto r = h->on_command(receive(id, 255));
    CHECK(result_hex(r.response) == "07");
    CHECK(r.response->find(cat::Tag::ChannelData)->value.size() == kMaxReceiveChunk);
    CHECK(cat::encode(*r.response).size() == 255);
}

TEST_CASE("RECEIVE DATA asking more than is buffered gets what there is and 02") {
    Harness h;
    const auto id = h.open_connected();
    h->on_data(id, pattern(30));
    auto r = h->on_command(receive(id, 100));
    CHECK(result_hex(r.response) == "02");
    CHECK(r.response->find(cat::Tag::ChannelData)->value == pattern(30));
    CHECK(cat::to_hex(r.response->find(cat::Tag::ChannelDataLength)->value) == "00");
    // Nothing at all: empty channel data, still '02'.
    auto empty = h->on_command(receive(id, 1));
    CHECK(tr_hex(empty.response) == "810301420082028281830102B600B70100");
}

TEST_CASE("Data available only when the Rx buffer goes from empty to non-empty") {
    Harness h;
    const auto id = h.open_connected();
    CHECK(envelopes(h->on_data(id, pattern(10))) ==
          std::vector<std::string>{"D60E99010982028281B8028100B7010A"});
    CHECK(envelopes(h->on_data(id, pattern(10))).empty());  // still not read
    h->on_command(receive(id, 5));
    CHECK(envelopes(h->on_data(id, pattern(3))).empty());  // not emptied
    h->on_command(receive(id, 18));
    CHECK(h->channel(id)->rx.empty());
    CHECK(envelopes(h->on_data(id, pattern(4))) ==
          std::vector<std::string>{"D60E99010982028281B8028100B70104"});
}

TEST_CASE("No ENVELOPE for events the card did not register") {
    Harness h;
    h.events.clear();
    const auto id = h.open_connected();
    CHECK(envelopes(h->on_data(id, pattern(10))).empty());
    CHECK(envelopes(h->on_peer_closed(id)).empty());
}

TEST_CASE("Back-pressure: never more than the Rx buffer holds, reading resumes after RECEIVE DATA") {
    Harness h;
    const auto id = h.open_connected(100);
    CHECK(h->rx_room(id) == 100);
    h->on_data(id, pattern(60));
    CHECK(h->rx_room(id) == 40);
    h->on_data(id, pattern(50, 60));  // the daemon read too much: 10 bytes dropped
    CHECK(h->rx_room(id) == 0);
    CHECK(h->channel(id)->rx.size() == 100);
    CHECK(h->channel(id)->bytes_dropped == 10);
    CHECK(h->channel(id)->bytes_received == 100);
    auto r = h->on_command(receive(id, 30));
    CHECK(actions_of<ResumeReading>(r).size() == 1);
    CHECK(h->rx_room(id) == 30);
    CHECK(actions_of<ResumeReading>(h->on_command(receive(id, 30))).empty());  // only once
    CHECK(h->rx_room(9) == 0);
}

TEST_CASE("Seven channels, then an eighth is refused, then a closed id is reused") {
    Harness h;
    for (int i = 1; i <= 7; ++i) CHECK(h.open_connected() == i);
    CHECK(result_hex(h->on_command(open_server(4116)).response) == "3A01");
    CHECK(result_hex(h->on_command(close(4)).response) == "00");
    auto fx = h->on_command(open_tsm(kImmediate, 1100));
    REQUIRE(actions_of<Connect>(fx).size() == 1);
    CHECK(actions_of<Connect>(fx)[0].channel == 4);
}

TEST_CASE("GET CHANNEL STATUS lists every open channel in order, each in its own form") {
    Harness h;
    h.open_connected();                        // 1: established
    h->on_command(open_tsm(kOnDemand, 1100));  // 2: not established
    h.open_listening(4116);                    // 3: LISTEN
    auto fx = h->on_command(get_status());
    CHECK(tr_hex(fx.response) == "810301440082028281830100B8028100B8020200B8024300");
}

TEST_CASE("UICC server mode: listen, accept, data both ways, close back to LISTEN, close") {
    Harness h;
    auto fx = h->on_command(open_server(4116, 1400));
    REQUIRE(fx.pending);
    const auto l = actions_of<Listen>(fx);
    REQUIRE(l.size() == 1);
    CHECK(l[0].port == 4116);
    CHECK(h->rx_room(1) == 0);  // no client yet: nothing to read
    auto listening = h->on_listening(1);
    // Channel status '41 00' TCP in LISTEN state (8.56 bits 7-8 = 01), buffer 1400.
    CHECK(tr_hex(listening.completion) == "810301400182028281830100380241003902" + cat::to_hex(u16(1400)));

    Effects acc;
    CHECK(h->on_accept(4116, acc) == 1);
    CHECK(envelopes(acc) == std::vector<std::string>{"D60B99010A82028281B8028100"});
    CHECK(h->channel(1)->state == ChannelState::Established);
    // A second client while the first is connected has no channel: the daemon closes it.
    Effects second;
    CHECK_FALSE(h->on_accept(4116, second).has_value());
    CHECK(second.actions.empty());

    CHECK(envelopes(h->on_data(1, pattern(40))) ==
          std::vector<std::string>{"D60E99010982028281B8028100B70128"});
    CHECK(h->on_command(receive(1, 40)).response->find(cat::Tag::ChannelData)->value == pattern(40));
    auto w = h->on_command(send(1, kSendNow, pattern(12)));
    REQUIRE(actions_of<Write>(w).size() == 1);
    CHECK(result_hex(h->on_write_done(1).completion) == "00");

    // CLOSE CHANNEL qualifier '01': close the client connection, back to LISTEN, port kept.
    auto back = h->on_command(close(1, 0x01));
    CHECK(result_hex(back.response) == "00");
    CHECK(actions_of<Close>(back).size() == 1);
    CHECK(actions_of<StopListening>(back).empty());
    CHECK(h->channel(1)->state == ChannelState::Listen);
    Effects again;
    CHECK(h->on_accept(4116, again) == 1);

    // CLOSE CHANNEL qualifier '00': TCP CLOSED, the port is freed.
    auto gone = h->on_command(close(1, 0x00));
    CHECK(result_hex(gone.response) == "00");
    CHECK(actions_of<Close>(gone).size() == 1);
    const auto stop = actions_of<StopListening>(gone);
    REQUIRE(stop.size() == 1);
    CHECK(stop[0].port == 4116);
    CHECK(h->open_channels() == 0);
}

TEST_CASE("UICC server mode: several channels on one port share the listener") {
    Harness h;
    const auto a = h.open_listening(4116);
    auto fx = h->on_command(open_server(4116));
    CHECK(actions_of<Listen>(fx).empty());
    CHECK(result_hex(fx.response) == "00");
    const auto b = static_cast<ChannelId>(a + 1);
    Effects e1, e2, e3;
    CHECK(h->on_accept(4116, e1) == a);
    CHECK(h->on_accept(4116, e2) == b);
    CHECK_FALSE(h->on_accept(4116, e3).has_value());
    CHECK(actions_of<StopListening>(h->on_command(close(a))).empty());  // b still listens
    CHECK(actions_of<StopListening>(h->on_command(close(b))).size() == 1);
}

TEST_CASE("UICC server mode: the client leaves, its data stays readable, no new client until read") {
    Harness h;
    const auto id = h.open_listening(4116);
    Effects acc;
    h->on_accept(4116, acc);
    h->on_data(id, pattern(20));
    auto left = h->on_peer_closed(id);
    CHECK(actions_of<Close>(left).size() == 1);
    CHECK(h->channel(id)->state == ChannelState::Listen);
    Effects next;
    CHECK_FALSE(h->on_accept(4116, next).has_value());
    CHECK(h->on_command(receive(id, 20)).response->find(cat::Tag::ChannelData)->value == pattern(20));
    CHECK(h->on_accept(4116, next) == id);
}

TEST_CASE("Launch: the application comes up on a retry and the pending SEND DATA is written") {
    Harness h({}, /*launch=*/true);
    h->on_command(open_tsm(kOnDemand, 1100));
    h->on_command(send(1, kSendNow, pattern(16)));
    h->on_connect_failed(1);
    h->on_launch_result(1, LaunchOutcome::Started);
    CHECK(h->channel(1)->state == ChannelState::AwaitingApp);
    h->on_timer(1);
    CHECK(actions_of<StartTimer>(h->on_connect_failed(1)).size() == 1);
    h->on_timer(1);
    auto up = h->on_connected(1);
    REQUIRE(actions_of<Write>(up).size() == 1);
    CHECK(actions_of<Write>(up)[0].data == pattern(16));
    CHECK(result_hex(h->on_write_done(1).completion) == "00");
}

TEST_CASE(
    "Launch: the application exits non-zero before it listens: the waiting SEND DATA gets 3A/12 at once") {
    Harness h({}, /*launch=*/true);
    h->on_command(open_tsm(kOnDemand, 1100));
    h->on_command(send(1, kSendNow, pattern(16)));
    h->on_connect_failed(1);
    h->on_launch_result(1, LaunchOutcome::Started);
    CHECK(h->on_launched_app_exited(1, /*success=*/true).actions.empty());  // daemonised: keep waiting
    CHECK(h->channel(1)->state == ChannelState::AwaitingApp);
    auto fx = h->on_launched_app_exited(1, false);
    CHECK(actions_of<CancelTimer>(fx).size() == 1);
    CHECK(result_hex(fx.completion) == "3A12");
    CHECK(h->channel(1)->state == ChannelState::LaunchFailed);
    CHECK(actions_of<Connect>(h->on_timer(1)).empty());
    CHECK(result_hex(h->on_command(send(1, kSendNow, pattern(4))).response) == "3A12");
}

TEST_CASE("Launch: the application's own launch_timeout_ms sets the number of attempts") {
    ChannelsConfig c;
    c.launch_retry_ms = 100;
    c.launch_timeout_ms = 10'000;
    Harness h(c, /*launch=*/true);
    h.app_launch_timeout_ms = 300;
    h.reset();
    h->on_command(open_tsm(kImmediate, 1100));
    h->on_connect_failed(1);
    CHECK(result_hex(h->on_launch_result(1, LaunchOutcome::Started).completion) == "00");
    int attempts = 0;
    for (; attempts < 100; ++attempts) {
        if (actions_of<Connect>(h->on_timer(1)).empty()) break;
        auto fx = h->on_connect_failed(1);
        if (actions_of<StartTimer>(fx).empty()) {
            ++attempts;
            break;
        }
    }
    CHECK(attempts == 3);
    CHECK(h->channel(1)->state == ChannelState::LaunchFailed);
}

TEST_CASE("CLOSE CHANNEL while waiting for a launched application cancels its timer") {
    Harness h({}, /*launch=*/true);
    h->on_command(open_tsm(kImmediate, 1100));
    h->on_connect_failed(1);
    h->on_launch_result(1, LaunchOutcome::Started);
    auto fx = h->on_command(close(1));
    CHECK(actions_of<CancelTimer>(fx).size() == 1);
    CHECK(actions_of<Connect>(h->on_timer(1)).empty());  // a late timer is ignored
}

TEST_CASE("Client remote, when allowed: Connect to the data destination address") {
    ChannelsConfig c;
    c.allow_remote = true;
    Harness h(c);
    auto fx = h->on_command(open_transport(0x02, 8080));
    REQUIRE(actions_of<Connect>(fx).size() == 1);
    CHECK(actions_of<Connect>(fx)[0].endpoint == "tcp://127.0.0.1:8080");
    CHECK(h->channel(1)->mode == Mode::ClientRemote);
}

TEST_CASE("Card removed: every connection and listener closed, table empty") {
    Harness h;
    h.open_connected();
    h.open_listening(4116);
    h->on_command(send(1, kSendNow, pattern(3)));  // a write in flight
    auto fx = h->card_removed();
    CHECK(actions_of<Close>(fx).size() == 1);
    CHECK(actions_of<StopListening>(fx).size() == 1);
    CHECK(h->open_channels() == 0);
    CHECK_FALSE(h->command_pending());
    CHECK_FALSE(h->on_write_done(1).completion);  // the late answer goes nowhere
    CHECK(h.open_connected() == 1);
}

TEST_CASE("A pending OPEN CHANNEL answered '20' by the session releases its channel") {
    Harness h;
    h->on_command(open_tsm(kImmediate, 1100));
    auto fx = h->on_command_timed_out();
    CHECK(actions_of<Close>(fx).size() == 1);
    CHECK(h->open_channels() == 0);
    CHECK_FALSE(h->on_connected(1).completion);
}

TEST_CASE("A SEND DATA answered '20' while its Write is in progress: connection reset, retry written once") {
    Harness h;
    const auto id = h.open_connected(1000);
    h->on_command(send(id, kStore, pattern(100, 1)));
    auto fx = h->on_command(send(id, kSendNow, pattern(50, 7)));
    REQUIRE(fx.pending);
    REQUIRE(actions_of<Write>(fx).size() == 1);
    CHECK(actions_of<Write>(fx)[0].data.size() == 150);
    // The peer does not read: cat::Session answers '20' itself after pending_timeout.
    auto timed_out = h->on_command_timed_out();
    CHECK(actions_of<Abort>(timed_out).size() == 1);  // the unsent rest is discarded, RST
    CHECK(actions_of<Abort>(timed_out)[0].channel == id);
    CHECK(actions_of<Write>(timed_out).empty());
    CHECK_FALSE(h->command_pending());
    CHECK(h->channel(id)->state == ChannelState::Idle);  // open, link not established
    CHECK(h->channel(id)->tx.empty());
    CHECK(h->channel(id)->bytes_sent == 0);
    // Channel status event: link not established, no further information ('01 00' form).
    REQUIRE(id == 1);
    CHECK(envelopes(timed_out) == std::vector<std::string>{"D60B99010A82028281B8020100"});
    // The late write completion of the abandoned connection answers nothing.
    CHECK_FALSE(h->on_write_done(id).completion);
    CHECK(h->channel(id)->bytes_sent == 0);
    // The card's retry: a new connection, then exactly one Write with exactly its bytes.
    auto retry = h->on_command(send(id, kSendNow, pattern(150, 1)));
    REQUIRE(retry.pending);
    CHECK(actions_of<Write>(retry).empty());
    REQUIRE(actions_of<Connect>(retry).size() == 1);
    auto connected = h->on_connected(id);
    REQUIRE(actions_of<Write>(connected).size() == 1);
    CHECK(actions_of<Write>(connected)[0].data == pattern(150, 1));
    auto done = h->on_write_done(id);
    CHECK(result_hex(done.completion) == "00");
    CHECK(h->channel(id)->bytes_sent == 150);
}

TEST_CASE(
    "A SEND DATA '20' on a UICC server mode channel resets the client, the channel goes back to LISTEN") {
    Harness h;
    const auto id = h.open_listening(4116);
    Effects accepted;
    REQUIRE(h->on_accept(4116, accepted) == id);
    h->on_data(id, pattern(5));
    auto fx = h->on_command(send(id, kSendNow, pattern(20)));
    REQUIRE(fx.pending);
    auto timed_out = h->on_command_timed_out();
    CHECK(actions_of<Abort>(timed_out).size() == 1);
    CHECK(actions_of<StopListening>(timed_out).empty());  // the port stays
    CHECK(h->channel(id)->state == ChannelState::Listen);
    CHECK(h->channel(id)->rx.size() == 5);  // what the client sent stays readable
    REQUIRE(id == 1);
    CHECK(envelopes(timed_out) == std::vector<std::string>{"D60B99010A82028281B8024100"});  // TCP LISTEN
}

TEST_CASE("A SEND DATA '20' while its on-demand link is still connecting: nothing is ever written") {
    Harness h;
    auto open = h->on_command(open_tsm(0x00, 1100));  // on demand
    REQUIRE(open.response);
    auto fx = h->on_command(send(1, kSendNow, pattern(30)));
    REQUIRE(actions_of<Connect>(fx).size() == 1);
    auto timed_out = h->on_command_timed_out();
    CHECK(actions_of<Abort>(timed_out).empty());
    CHECK(h->channel(1)->tx.empty());
    auto connected = h->on_connected(1);  // the connect finishes after the '20'
    CHECK(actions_of<Write>(connected).empty());
    CHECK_FALSE(connected.completion);
    CHECK(h->channel(1)->state == ChannelState::Established);
}

TEST_CASE(
    "A pending OPEN CHANNEL with a launch in progress answered '20': channel released, late result ignored") {
    Harness h({}, /*launch=*/true);
    auto fx = h->on_command(open_tsm(kImmediate, 1100));
    REQUIRE(fx.pending);
    auto launch = h->on_connect_failed(1);
    REQUIRE(actions_of<Launch>(launch).size() == 1);
    auto timed_out = h->on_command_timed_out();
    CHECK(actions_of<Close>(timed_out).size() == 1);  // the daemon drops the late launch result
    CHECK(h->open_channels() == 0);
    CHECK_FALSE(h->on_launch_result(1, LaunchOutcome::Started).completion);
    CHECK(h->open_channels() == 0);
}

TEST_CASE(
    "Bounded input: OPEN CHANNEL asking 65535 gets bip.buffer_size; 1 MiB offered, the buffers stay at it") {
    ChannelsConfig c;
    c.max_buffer_size = 1400;
    Harness h(c);
    auto fx = h->on_command(open_tsm(kImmediate, 1100, 65535));
    REQUIRE(actions_of<Connect>(fx).size() == 1);
    auto done = h->on_connected(1);
    REQUIRE(done.completion);
    CHECK(result_hex(done.completion) == "07");  // performed with modification, size granted
    CHECK(h->channel(1)->buffer_size == 1400);
    // The DM Client sends 1 MiB: whatever the daemon hands in, the Rx buffer holds 1400.
    std::size_t offered = 0;
    for (int i = 0; i < 1024; ++i) {
        h->on_data(1, Bytes(1024, 0x33));
        offered += 1024;
        CHECK(h->channel(1)->rx.size() <= 1400);
        CHECK(h->rx_room(1) == 1400 - h->channel(1)->rx.size());
    }
    CHECK(h->channel(1)->rx.size() == 1400);
    CHECK(h->channel(1)->bytes_received + h->channel(1)->bytes_dropped == offered);
    // The card stores 1 MiB in 240-byte SEND DATA (store): refused '3A'/'04' past 1400.
    for (int i = 0; i < 4370; ++i) {
        auto r = h->on_command(send(1, kStore, Bytes(240, 0x44)));
        CHECK(h->channel(1)->tx.size() <= 1400);
        if (h->channel(1)->tx.size() + 240 > 1400 && i > 10) CHECK(result_hex(r.response) == "3A04");
    }
    CHECK(h->channel(1)->tx.size() == 1200);  // 5 × 240: a sixth would not fit
}

TEST_CASE("Snapshot for dmsc-ctl channels") {
    Harness h;
    const auto id = h.open_connected(500);
    h->on_data(id, pattern(7));
    h->on_command(send(id, kStore, pattern(3)));
    const auto s = h->snapshot();
    REQUIRE(s.size() == 1);
    CHECK(s[0].mode == "Terminal Server Mode");
    CHECK(s[0].transport == "tcp");
    CHECK(s[0].state == "established");
    CHECK(s[0].port == 1100);
    CHECK(s[0].endpoint == "tcp://127.0.0.1:1100");
    CHECK(s[0].application == "DM Client");
    CHECK(s[0].buffer_size == 500);
    CHECK(s[0].rx_buffered == 7);
    CHECK(s[0].tx_buffered == 3);
    CHECK(cat::to_hex(s[0].status) == "8100");
}

TEST_CASE("describe(Effect) gives one line per effect") {
    CHECK(describe(Effect{Connect{1, "tcp://127.0.0.1:1100", Transport::Tcp}}) ==
          "connect channel 1 tcp://127.0.0.1:1100 (tcp)");
    CHECK(describe(Effect{Write{2, pattern(37)}}) == "write channel 2, 37 bytes");
    CHECK(describe(Effect{StopListening{4116}}) == "stop listening on port 4116");
}
