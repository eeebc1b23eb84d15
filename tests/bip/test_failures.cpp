// tests/bip/test_failures.cpp — every row of PRODUCT.md's "Delivery failure → TERMINAL
// RESPONSE" table (and the engine's own refusals), each seeing its exact result and cause.
#include <doctest/doctest.h>

#include "tests/bip/test_support.hpp"

using namespace dmsc;
using namespace dmsc::bip;
using namespace dmsc::bip::test;

TEST_CASE("OPEN CHANNEL with 7 channels in use answers 3A/01 no channel available") {
    Harness h;
    for (int i = 1; i <= 7; ++i) CHECK(h.open_connected() == i);
    auto fx = h->on_command(open_tsm(kImmediate, 1100));
    CHECK(result_hex(fx.response) == "3A01");
    CHECK(fx.actions.empty());
    CHECK(h->open_channels() == 7);
}

TEST_CASE("OPEN CHANNEL past the configured maximum answers 3A/01") {
    ChannelsConfig c;
    c.max_channels = 2;
    Harness h(c);
    h.open_connected();
    h.open_listening();
    CHECK(result_hex(h->on_command(open_tsm(kOnDemand, 1100)).response) == "3A01");
}

TEST_CASE("OPEN CHANNEL with direct communication channel transport answers 3A/06") {
    Harness h;
    auto fx = h->on_command(open_transport(0x06, 1100));
    CHECK(result_hex(fx.response) == "3A06");
    CHECK(h->open_channels() == 0);
}

TEST_CASE("OPEN CHANNEL without transport level answers 3A/06") {
    Harness h;
    auto cmd = command(0x40, kImmediate, 0x82, {tlv(0x35, {0x03}), tlv(0x39, u16(1000))});
    CHECK(result_hex(h->on_command(cmd).response) == "3A06");
}

TEST_CASE("OPEN CHANNEL client remote when remote hosts are not allowed answers 3A/06") {
    Harness h;  // allow_remote = false by default
    const Bytes v4 = {0x21, 192, 0, 2, 1};
    Bytes v6 = {0x57, 0x20, 0x01, 0x0d, 0xb8};
    v6.resize(17, 0);
    v6[16] = 1;
    CHECK(result_hex(h->on_command(open_transport(0x02, 80, v4)).response) == "3A06");
    CHECK(result_hex(h->on_command(open_transport(0x01, 53, v4)).response) == "3A06");
    CHECK(result_hex(h->on_command(open_transport(0x02, 80, v6)).response) == "3A06");
    CHECK(result_hex(h->on_command(open_transport(0x02, 80, {0x21, 128, 0, 0, 1})).response) == "3A06");
    CHECK(h->open_channels() == 0);
}

TEST_CASE("OPEN CHANNEL client mode to a loopback address needs no allow_remote") {
    Harness h;
    auto fx = h->on_command(open_transport(0x02, 7, {0x21, 127, 0, 0, 1}));
    REQUIRE(fx.pending);
    REQUIRE(actions_of<Connect>(fx).size() == 1);
    CHECK(actions_of<Connect>(fx)[0].endpoint == "tcp://127.0.0.1:7");
    Bytes v6(17, 0);
    v6[0] = 0x57;
    v6[16] = 1;
    CHECK(result_hex(h->on_connected(1).completion) == "00");
    auto fx6 = h->on_command(open_transport(0x01, 9, v6));
    REQUIRE(actions_of<Connect>(fx6).size() == 1);
    CHECK(actions_of<Connect>(fx6)[0].endpoint == "udp://[::1]:9");
    CHECK(actions_of<Connect>(fx6)[0].transport == Transport::Udp);
}

TEST_CASE("OPEN CHANNEL Terminal Server Mode to an unregistered port answers 3A/10") {
    Harness h;
    auto fx = h->on_command(open_tsm(kImmediate, 2000));
    CHECK(result_hex(fx.response) == "3A10");
    CHECK(fx.actions.empty());
    CHECK(h->open_channels() == 0);
}

TEST_CASE("OPEN CHANNEL UICC server mode on a port taken on the terminal answers 3A/10") {
    Harness h;
    auto fx = h->on_command(open_server(4116));
    REQUIRE(fx.pending);
    auto done = h->on_listen_failed(1);
    CHECK(result_hex(done.completion) == "3A10");
    CHECK(h->open_channels() == 0);
    CHECK(actions_of<StopListening>(done).empty());  // it never listened
}

TEST_CASE("OPEN CHANNEL immediate link to an application that does not listen answers 3A/07") {
    Harness h;  // no launch configured
    auto fx = h->on_command(open_tsm(kImmediate, 1100));
    REQUIRE(fx.pending);
    auto done = h->on_connect_failed(1);
    CHECK(result_hex(done.completion) == "3A07");
    CHECK(actions_of<Launch>(done).empty());
    CHECK(h->open_channels() == 0);
    // The answer keeps the OPEN CHANNEL shape: buffer size, no channel status.
    CHECK(done.completion->find(cat::Tag::BufferSize) != nullptr);
    CHECK(done.completion->find(cat::Tag::ChannelStatus) == nullptr);
}

TEST_CASE("SEND DATA on an on-demand link to an application that does not listen answers 3A/07") {
    Harness h;
    CHECK(result_hex(h->on_command(open_tsm(kOnDemand, 1100)).response) == "00");
    auto fx = h->on_command(send(1, kSendNow, pattern(20)));
    REQUIRE(fx.pending);
    REQUIRE(actions_of<Connect>(fx).size() == 1);
    auto done = h->on_connect_failed(1);
    CHECK(result_hex(done.completion) == "3A07");
    CHECK(h->channel(1)->state == ChannelState::Idle);
    CHECK(h->channel(1)->tx.empty());
}

TEST_CASE("SEND DATA when the launched application never listens answers 3A/12 (on-demand link)") {
    ChannelsConfig c;
    c.launch_retry_ms = 100;
    c.launch_timeout_ms = 300;
    Harness h(c, /*launch=*/true);
    h->on_command(open_tsm(kOnDemand, 1100));
    auto fx = h->on_command(send(1, kSendNow, pattern(20)));
    REQUIRE(fx.pending);
    auto launched = h->on_connect_failed(1);
    REQUIRE(actions_of<Launch>(launched).size() == 1);
    CHECK(actions_of<Launch>(launched)[0].application == "DM Client");
    auto started = h->on_launch_result(1, LaunchOutcome::Started);
    REQUIRE(actions_of<StartTimer>(started).size() == 1);
    Effects last;
    for (int attempt = 0; attempt < 3; ++attempt) {
        CHECK(actions_of<Connect>(h->on_timer(1)).size() == 1);
        last = h->on_connect_failed(1);
        if (attempt < 2) CHECK(actions_of<StartTimer>(last).size() == 1);
    }
    CHECK(result_hex(last.completion) == "3A12");
    CHECK(h->channel(1)->state == ChannelState::LaunchFailed);
    // And every later SEND DATA on that channel.
    CHECK(result_hex(h->on_command(send(1, kSendNow, pattern(2))).response) == "3A12");
}

TEST_CASE("SEND DATA when the launched application never listens answers 3A/12 (immediate link)") {
    ChannelsConfig c;
    c.launch_retry_ms = 100;
    c.launch_timeout_ms = 100;
    Harness h(c, /*launch=*/true);
    REQUIRE(h->on_command(open_tsm(kImmediate, 1100)).pending);
    REQUIRE(actions_of<Launch>(h->on_connect_failed(1)).size() == 1);
    auto opened = h->on_launch_result(1, LaunchOutcome::Started);
    // The OPEN CHANNEL is answered: channel open, link not yet established.
    CHECK(tr_hex(opened.completion) == "810301400182028281830100380201003902" + cat::to_hex(u16(1000)));
    auto fx = h->on_command(send(1, kSendNow, pattern(8)));
    REQUIRE(fx.pending);
    CHECK(actions_of<Connect>(h->on_timer(1)).size() == 1);
    CHECK(result_hex(h->on_connect_failed(1).completion) == "3A12");
}

TEST_CASE("SEND DATA when the application cannot be started answers 3A/12") {
    Harness h({}, /*launch=*/true);
    h->on_command(open_tsm(kOnDemand, 1100));
    REQUIRE(h->on_command(send(1, kSendNow, pattern(4))).pending);
    REQUIRE(actions_of<Launch>(h->on_connect_failed(1)).size() == 1);
    CHECK(result_hex(h->on_launch_result(1, LaunchOutcome::Failed).completion) == "3A12");
}

TEST_CASE("OPEN CHANNEL whose application launch cannot be started answers 3A/07, not 12") {
    Harness h({}, /*launch=*/true);
    h->on_command(open_tsm(kImmediate, 1100));
    h->on_connect_failed(1);
    CHECK(result_hex(h->on_launch_result(1, LaunchOutcome::Failed).completion) == "3A07");
    CHECK(h->open_channels() == 0);
}

TEST_CASE("OPEN CHANNEL with unusable launch parameters answers 3A/11") {
    Harness h({}, /*launch=*/true);
    h->on_command(open_tsm(kImmediate, 1100));
    h->on_connect_failed(1);
    CHECK(result_hex(h->on_launch_result(1, LaunchOutcome::ParametersUnusable).completion) == "3A11");
    CHECK(h->open_channels() == 0);
}

TEST_CASE("SEND DATA with unusable launch parameters answers 3A/11") {
    Harness h({}, /*launch=*/true);
    h->on_command(open_tsm(kOnDemand, 1100));
    h->on_command(send(1, kSendNow, pattern(4)));
    h->on_connect_failed(1);
    CHECK(result_hex(h->on_launch_result(1, LaunchOutcome::ParametersUnusable).completion) == "3A11");
    CHECK(h->open_channels() == 1);  // the card closes it
}

TEST_CASE("SEND DATA on a channel id not open answers 3A/03") {
    Harness h;
    CHECK(result_hex(h->on_command(send(1, kSendNow, pattern(4))).response) == "3A03");
    CHECK(result_hex(h->on_command(send(7, kStore, pattern(4))).response) == "3A03");
}

TEST_CASE("RECEIVE DATA on a channel id not open answers 3A/03") {
    Harness h;
    h.open_connected();
    CHECK(result_hex(h->on_command(receive(2, 10)).response) == "3A03");
}

TEST_CASE("CLOSE CHANNEL on a channel id never opened answers 3A/03") {
    Harness h;
    CHECK(result_hex(h->on_command(close(3)).response) == "3A03");
    h.open_connected();
    CHECK(result_hex(h->on_command(close(2)).response) == "3A03");
}

// TS 31.124 / TS 102 384 CLOSE CHANNEL sequence 1.3 (vector close_channel_response_data_131):
// closing a channel the card already closed is "channel closed", not "identifier not valid".
TEST_CASE("A channel the card closed answers 3A/02 until its id is opened again") {
    Harness h;
    const auto id = h.open_connected();
    CHECK(result_hex(h->on_command(close(id)).response) == "00");
    CHECK(result_hex(h->on_command(close(id)).response) == "3A02");
    CHECK(result_hex(h->on_command(send(id, kSendNow, pattern(4))).response) == "3A02");
    CHECK(result_hex(h->on_command(receive(id, 4)).response) == "3A02");
    // Reopened: the id is valid again, and a later close of it works once more.
    CHECK(h.open_connected() == id);
    CHECK(result_hex(h->on_command(close(id)).response) == "00");
    // A card reset forgets it: the id was never opened in the new card session.
    h->card_removed();
    CHECK(result_hex(h->on_command(close(id)).response) == "3A03");
}

TEST_CASE("Channel ids beyond the configured maximum are not valid: 3A/03") {
    ChannelsConfig c;
    c.max_channels = 3;
    Harness h(c);
    CHECK(result_hex(h->on_command(receive(5, 1)).response) == "3A03");
}

TEST_CASE("SEND DATA after the peer closed answers 3A/02 and Channel status link dropped was queued") {
    Harness h;
    const auto id = h.open_connected();
    auto dropped = h->on_peer_closed(id);
    CHECK(actions_of<Close>(dropped).size() == 1);
    CHECK(envelopes(dropped) == std::vector<std::string>{"D60B99010A82028281B8020105"});
    CHECK(result_hex(h->on_command(send(id, kSendNow, pattern(4))).response) == "3A02");
    CHECK(result_hex(h->on_command(send(id, kStore, pattern(4))).response) == "3A02");
}

TEST_CASE("SEND DATA whose write fails answers 3A/02 with a Channel status link dropped") {
    Harness h;
    const auto id = h.open_connected();
    auto fx = h->on_command(send(id, kSendNow, pattern(10)));
    REQUIRE(fx.pending);
    REQUIRE(actions_of<Write>(fx).size() == 1);
    auto failed = h->on_write_failed(id);
    CHECK(result_hex(failed.completion) == "3A02");
    CHECK(envelopes(failed) == std::vector<std::string>{"D60B99010A82028281B8020105"});
    CHECK(h->channel(id)->bytes_sent == 0);  // never counted as sent
}

TEST_CASE("SEND DATA (store) past the channel buffer answers 3A/04 and keeps the buffer") {
    Harness h;
    const auto id = h.open_connected(300);
    CHECK(tr_hex(h->on_command(send(id, kStore, pattern(200))).response) == "810301430082028281830100B70164");
    auto fx = h->on_command(send(id, kStore, pattern(101)));
    CHECK(result_hex(fx.response) == "3A04");
    CHECK(h->channel(id)->tx.size() == 200);
    // Send immediately past the buffer too: nothing is written.
    auto now = h->on_command(send(id, kSendNow, pattern(101)));
    CHECK(result_hex(now.response) == "3A04");
    CHECK(actions_of<Write>(now).empty());
}

TEST_CASE("OPEN CHANNEL asking more buffer than the gateway gives answers 07 with the size granted") {
    ChannelsConfig c;
    c.max_buffer_size = 1400;
    Harness h(c);
    auto fx = h->on_command(open_tsm(kImmediate, 1100, 4000));
    auto done = h->on_connected(1);
    CHECK(tr_hex(done.completion) == "810301400182028281830107380281003902" + cat::to_hex(u16(1400)));
    CHECK(h->channel(1)->buffer_size == 1400);
    // On demand: answered at once, same '07'.
    auto od = h->on_command(open_tsm(kOnDemand, 1100, 65535));
    CHECK(tr_hex(od.response) == "810301400082028281830107380202003902" + cat::to_hex(u16(1400)));
}

TEST_CASE("SEND DATA immediately on a UICC server channel without a client answers 3A/02") {
    Harness h;
    const auto id = h.open_listening();
    CHECK(result_hex(h->on_command(send(id, kSendNow, pattern(3))).response) == "3A02");
}

TEST_CASE("RECEIVE DATA on a dropped channel with nothing left answers 3A/02") {
    Harness h;
    const auto id = h.open_connected();
    h->on_data(id, pattern(5));
    h->on_peer_closed(id);
    // What arrived before the drop is still readable.
    CHECK(result_hex(h->on_command(receive(id, 5)).response) == "00");
    CHECK(result_hex(h->on_command(receive(id, 5)).response) == "3A02");
}

TEST_CASE("Commands other than the BIP five are beyond capabilities: 30") {
    Harness h;
    auto cmd = command(0x02, 0x00, 0x82, {});  // MORE TIME
    CHECK(result_hex(h->on_command(cmd).response) == "30");
}
