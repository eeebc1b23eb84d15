// tests/bip/test_vectors.cpp — the engine's TERMINAL RESPONSEs and ENVELOPEs byte for byte
// against the conformance vectors (resolved_vectors.json: bip_*, event_download:data_available,
// event_download:channel_status), driven by the vectors' own commands where there is one.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/bip/test_support.hpp"

using namespace dmsc;
using namespace dmsc::bip;
using namespace dmsc::bip::test;
using nlohmann::json;

namespace {

const json& vectors() {
    static const json v = [] {
        std::ifstream in(std::string(DMSC_VECTORS_DIR) + "/resolved_vectors.json");
        REQUIRE(in.good());
        return json::parse(in);
    }();
    return v;
}

// The hex of the vector registered under `name` ("/teststk/Send data 1.1.1").
std::string vector_hex(const std::string& name) {
    for (const auto& v : vectors()) {
        if (v.at("name") == "/teststk/" + name) return v.at("hex").get<std::string>();
    }
    FAIL("no vector " << name);
    return {};
}

cat::ProactiveCommand vector_command(const std::string& name) {
    return decode(hex(vector_hex(name)));
}

ChannelsConfig remote_allowed() {
    ChannelsConfig c;
    c.allow_remote = true;
    c.max_buffer_size = 1400;
    return c;
}

}  // namespace

TEST_CASE("Open channel 2.1.1: client remote UDP to 1.1.1.1:44444, answered as Open channel response 2.1.1") {
    Harness h(remote_allowed());
    auto fx = h->on_command(vector_command("Open channel 2.1.1"));
    REQUIRE(fx.pending);
    const auto c = actions_of<Connect>(fx);
    REQUIRE(c.size() == 1);
    CHECK(c[0].endpoint == "udp://1.1.1.1:44444");
    CHECK(c[0].transport == Transport::Udp);
    CHECK(tr_hex(h->on_connected(1).completion) == vector_hex("Open channel response 2.1.1"));
}

TEST_CASE("Send data 1.1.1 (immediate) answered as Send data response 1.1.1") {
    Harness h(remote_allowed());
    h->on_command(vector_command("Open channel 2.1.1"));
    h->on_connected(1);
    auto fx = h->on_command(vector_command("Send data 1.1.1"));
    REQUIRE(fx.pending);
    const auto w = actions_of<Write>(fx);
    REQUIRE(w.size() == 1);
    CHECK(cat::to_hex(w[0].data) == "0001020304050607");
    CHECK(tr_hex(h->on_write_done(1).completion) == vector_hex("Send data response 1.1.1"));
}

TEST_CASE("Send data 1.2.1 (store, 200 bytes) answered as Send data response 1.2.1") {
    Harness h(remote_allowed());
    h->on_command(vector_command("Open channel 2.1.1"));
    h->on_connected(1);
    auto fx = h->on_command(vector_command("Send data 1.2.1"));
    CHECK(actions_of<Write>(fx).empty());
    CHECK(tr_hex(fx.response) == vector_hex("Send data response 1.2.1"));
}

TEST_CASE("Send data 1.1.1 on no open channel answered as Send data response 1.5.1") {
    Harness h;
    CHECK(tr_hex(h->on_command(vector_command("Send data 1.1.1")).response) ==
          vector_hex("Send data response 1.5.1"));
}

TEST_CASE("Receive data 1.1.1 answered as Receive data response 1.1.1") {
    Harness h(remote_allowed());
    h->on_command(vector_command("Open channel 2.1.1"));
    h->on_connected(1);
    h->on_data(1, pattern(500, 0xC8));  // 200 asked, more than 255 left behind
    CHECK(tr_hex(h->on_command(vector_command("Receive data 1.1.1")).response) ==
          vector_hex("Receive data response 1.1.1"));
}

TEST_CASE("Close channel 1.1.1 on no open channel answered as Close channel response 1.2.1") {
    Harness h;
    CHECK(tr_hex(h->on_command(vector_command("Close channel 1.1.1")).response) ==
          vector_hex("Close channel response 1.2.1"));
}

TEST_CASE("Close channel 1.1.1 twice: the second is answered as Close channel response 1.3.1") {
    Harness h;
    REQUIRE(h.open_connected() == 1);
    CHECK(result_hex(h->on_command(vector_command("Close channel 1.1.1")).response) == "00");
    CHECK(tr_hex(h->on_command(vector_command("Close channel 1.1.1")).response) ==
          vector_hex("Close channel response 1.3.1"));
}

TEST_CASE("Get Channel status 1.1.1 answered as Get Channel status responses 1.1.1 / 1.2.1 / 1.3.1") {
    Harness h(remote_allowed());
    const auto cmd = vector_command("Get Channel status 1.1.1");
    CHECK(tr_hex(h->on_command(cmd).response) == vector_hex("Get Channel status response 1.1.1"));
    h->on_command(vector_command("Open channel 2.1.1"));
    h->on_connected(1);
    CHECK(tr_hex(h->on_command(cmd).response) == vector_hex("Get Channel status response 1.2.1"));
    h->on_peer_closed(1);
    CHECK(tr_hex(h->on_command(cmd).response) == vector_hex("Get Channel status response 1.3.1"));
}

TEST_CASE("Event: Data Available 1.1.1 from data arriving on channel 1") {
    Harness h;
    const auto id = h.open_connected();
    auto fx = h->on_data(id, pattern(300));
    CHECK(envelopes(fx) == std::vector<std::string>{vector_hex("Event: Data Available 1.1.1")});
}

TEST_CASE("Event: Channel Status 1.3.1 from a dropped link") {
    Harness h;
    const auto id = h.open_connected();
    CHECK(envelopes(h->on_peer_closed(id)) ==
          std::vector<std::string>{vector_hex("Event: Channel Status 1.3.1")});
}

TEST_CASE("Event: Channel Status 2.2.1 on accept, 2.1.1 when the client leaves (UICC server mode)") {
    Harness h;
    const auto id = h.open_listening(4116);
    Effects fx;
    CHECK(h->on_accept(4116, fx) == id);
    CHECK(envelopes(fx) == std::vector<std::string>{vector_hex("Event: Channel Status 2.2.1")});
    CHECK(envelopes(h->on_peer_closed(id)) ==
          std::vector<std::string>{vector_hex("Event: Channel Status 2.1.1")});
}
