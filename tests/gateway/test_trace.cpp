// tests/gateway/test_trace.cpp — APDU traces: GSMTAP, pcap and frame bytes checked byte for byte,
// summaries and JSON records, the UDP sink on a real loopback socket, the pcap file sink.
#include <doctest/doctest.h>

#include <stdlib.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"  // GCC 12 false positive inside Asio
#include <boost/asio/ip/udp.hpp>
#pragma GCC diagnostic pop
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "cat/bytes.hpp"
#include "gateway/trace.hpp"

using namespace dmsc;
using dmsc::gateway::ApduRecord;

namespace {

cat::Bytes hex(std::string_view h) {
    cat::Bytes b;
    REQUIRE(cat::from_hex(h, b));
    return b;
}

// 2023-11-14T22:13:20.123456Z
const auto kTime = std::chrono::system_clock::time_point(std::chrono::microseconds(1700000000123456LL));

ApduRecord fetch_open_channel() {
    ApduRecord r;
    r.time = kTime;
    r.link = "sim";
    r.command = hex("8012000014");
    r.response = hex("D01281030140018202818239020578 3C0305044C 9000");
    return r;
}

cat::Bytes read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return cat::Bytes(std::istreambuf_iterator<char>(f), {});
}

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/dmsc-trace-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("Trace: the exchange is laid out as a T=0 TPDU for the gsm_sim dissector") {
    // Case 2 (FETCH): header with Le, then the response.
    CHECK(gateway::sim_exchange_bytes(hex("8012000014"), hex("D0009000")) == hex("8012000014 D000 9000"));
    // Case 3 (TERMINAL RESPONSE): header, Lc, data, SW.
    CHECK(gateway::sim_exchange_bytes(hex("8014000003 810301"), hex("9000")) ==
          hex("8014000003 810301 9000"));
    // Case 4 (ENVELOPE on a UICC): the trailing Le goes, P3 stays Lc.
    CHECK(gateway::sim_exchange_bytes(hex("80C2000002 D600 00"), hex("6F00")) == hex("80C2000002 D600 6F00"));
    // Case 1 (STATUS, P2 '0C'): T=0 sends P3 = '00'.
    CHECK(gateway::sim_exchange_bytes(hex("80F2000C"), hex("9000")) == hex("80F2000C00 9000"));
    // No response (the exchange failed): just the command.
    CHECK(gateway::sim_exchange_bytes(hex("8012000014"), {}) == hex("8012000014"));
}

TEST_CASE("Trace: GSMTAP v2 header, type 4 = SIM, sub-type APDU, then the payload") {
    const auto p = gateway::gsmtap_packet(hex("A0B0"));
    CHECK(p == hex("02 04 04 00 0000 00 00 00000000 00 00 00 00 A0B0"));
    CHECK(
        gateway::gsmtap_for(fetch_open_channel()) ==
        hex("02040400 00000000 00000000 00000000 8012000014 D01281030140018202818239020578 3C0305044C 9000"));
}

TEST_CASE("Trace: pcap file header is classic pcap 2.4, microseconds, LINKTYPE_ETHERNET") {
    CHECK(gateway::pcap_file_header() == hex("D4C3B2A1 0200 0400 00000000 00000000 FFFF0000 01000000"));
}

TEST_CASE("Trace: pcap record header carries seconds, microseconds, caplen and len") {
    CHECK(gateway::pcap_record(kTime, hex("AABBCC")) == hex("00F15365 40E20100 03000000 03000000 AABBCC"));
}

TEST_CASE("Trace: Ethernet/IPv4/UDP loopback frame with a correct IPv4 header checksum") {
    const auto f = gateway::udp_loopback_frame(hex("AA"), 4729, 4729);
    CHECK(f == hex("000000000000 000000000000 0800"
                   "4500 001D 0000 4000 4011 3CCE 7F000001 7F000001"
                   "1279 1279 0009 0000"
                   "AA"));
}

TEST_CASE("Trace: one-line summaries name the command inside the exchange") {
    CHECK(gateway::summary_line(fetch_open_channel()) ==
          "FETCH → OPEN CHANNEL (Terminal Server Mode, port 1100)");

    ApduRecord tr;
    tr.command = hex("801400000C 810301400182028281830100");
    tr.response = hex("9000");
    CHECK(gateway::summary_line(tr) == "TERMINAL RESPONSE to OPEN CHANNEL: '00' success");

    ApduRecord env;
    env.command = hex("80C2000010 D60E99010982028281B8028100B70105 00");
    env.response = hex("9000");
    CHECK(gateway::summary_line(env).rfind("ENVELOPE event download", 0) == 0);

    ApduRecord tp;
    tp.command = hex("8010000003 FFFFFF");
    tp.response = hex("9114");
    CHECK(gateway::summary_line(tp) == "TERMINAL PROFILE (3 bytes)");

    ApduRecord failed;
    failed.command = hex("8012000014");
    failed.error = "card removed";
    CHECK(gateway::summary_line(failed) == "FETCH — card removed");

    ApduRecord other;
    other.command = hex("00A4000C02 3F00");
    other.response = hex("9000");
    CHECK(gateway::summary_line(other) == "INS 'A4'");
}

TEST_CASE("Trace: text line for the debug log") {
    CHECK(gateway::trace_text(fetch_open_channel()) ==
          "sim C: 8012000014 R: D012810301400182028182390205783C0305044C9000 | FETCH → OPEN CHANNEL "
          "(Terminal Server Mode, port 1100)");
}

TEST_CASE("Trace: JSON record has time, hex, SW, summary and the decoded exchange") {
    const auto j = gateway::trace_json(fetch_open_channel());
    CHECK(j["time"] == "2023-11-14T22:13:20.123Z");
    CHECK(j["link"] == "sim");
    CHECK(j["command"] == "8012000014");
    CHECK(j["response"] == "D012810301400182028182390205783C0305044C9000");
    CHECK(j["sw"] == "9000");
    CHECK(j["summary"] == "FETCH → OPEN CHANNEL (Terminal Server Mode, port 1100)");
    REQUIRE(j.contains("decoded"));
    CHECK(j["decoded"]["kind"] == "apdu_exchange");
    CHECK(j["decoded"]["parts"][0]["command"]["type_name"] == "OPEN CHANNEL");
    CHECK(j["decoded"]["parts"][0]["fields"]["port"] == 1100);
    CHECK_FALSE(j.contains("error"));

    ApduRecord failed;
    failed.time = kTime;
    failed.command = hex("8012000014");
    failed.error = "card removed";
    const auto f = gateway::trace_json(failed);
    CHECK(f["sw"].is_null());
    CHECK(f["error"] == "card removed");
}

TEST_CASE("Trace: GSMTAP target parsing") {
    using gateway::GsmtapSink;
    CHECK(GsmtapSink::parse_target("127.0.0.1:4729").port() == 4729);
    CHECK(GsmtapSink::parse_target("127.0.0.1").port() == 4729);
    CHECK(GsmtapSink::parse_target("10.1.2.3:5000").address().to_string() == "10.1.2.3");
    CHECK(GsmtapSink::parse_target("[::1]:4730").address().is_v6());
    CHECK(GsmtapSink::parse_target("[::1]:4730").port() == 4730);
    CHECK(GsmtapSink::parse_target("::1").port() == 4729);
    CHECK_THROWS_AS(GsmtapSink::parse_target("localhost:4729"), std::invalid_argument);
    CHECK_THROWS_AS(GsmtapSink::parse_target("127.0.0.1:0"), std::invalid_argument);
    CHECK_THROWS_AS(GsmtapSink::parse_target("127.0.0.1:70000"), std::invalid_argument);
    CHECK_THROWS_AS(GsmtapSink::parse_target("127.0.0.1:"), std::invalid_argument);
    CHECK_THROWS_AS(GsmtapSink::parse_target("[::1"), std::invalid_argument);
}

TEST_CASE("Trace: GSMTAP sink sends one datagram per exchange to a real loopback socket") {
    boost::asio::io_context io;
    boost::asio::ip::udp::socket rx(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    const auto port = rx.local_endpoint().port();
    gateway::GsmtapSink sink(io, "127.0.0.1:" + std::to_string(port));
    CHECK(sink.describe() == "gsmtap 127.0.0.1:" + std::to_string(port));
    const auto r = fetch_open_channel();
    sink.write(r);
    CHECK(sink.sent() == 1);
    cat::Bytes buf(2048);
    boost::asio::ip::udp::endpoint from;
    const auto n = rx.receive_from(boost::asio::buffer(buf), from);  // already queued: no wait
    buf.resize(n);
    CHECK(buf == gateway::gsmtap_for(r));
}

TEST_CASE("Trace: pcap sink writes header + records, flushed per record, and appends on reopen") {
    TempDir dir;
    const std::string path = dir.path + "/t.pcap";
    const auto r = fetch_open_channel();
    const auto record = gateway::pcap_record(
        r.time,
        gateway::udp_loopback_frame(gateway::gsmtap_for(r), gateway::kGsmtapPort, gateway::kGsmtapPort));
    {
        gateway::PcapSink sink(path);
        sink.write(r);
        // Flushed: visible before the sink is closed.
        auto expected = gateway::pcap_file_header();
        expected.insert(expected.end(), record.begin(), record.end());
        CHECK(read_file(path) == expected);
        CHECK(sink.written() == 1);
        CHECK(sink.describe() == "pcap " + path);
    }
    {
        gateway::PcapSink again(path);
        again.write(r);
    }
    CHECK(read_file(path).size() == 24 + 2 * record.size());
}

TEST_CASE("Trace: pcap sink refuses to overwrite a file that is not its pcap") {
    TempDir dir;
    const std::string path = dir.path + "/notes.txt";
    std::ofstream(path) << "keep me\n";
    CHECK_THROWS_AS(gateway::PcapSink{path}, std::runtime_error);
    CHECK(read_file(path).size() == 8);
    CHECK_THROWS_AS(gateway::PcapSink{dir.path + "/missing-dir/t.pcap"}, std::runtime_error);
}

TEST_CASE("Trace: pcap sink rotates to PATH.1 past its size limit") {
    TempDir dir;
    const std::string path = dir.path + "/t.pcap";
    const auto r = fetch_open_channel();
    const std::size_t record_size = 16 + 42 + gateway::gsmtap_for(r).size();
    gateway::PcapSink sink(path, 24 + 2 * record_size);
    for (int i = 0; i < 5; ++i) sink.write(r);
    CHECK(sink.written() == 5);
    CHECK(read_file(path).size() == 24 + record_size);             // records 5
    CHECK(read_file(path + ".1").size() == 24 + 2 * record_size);  // records 3 and 4
}

TEST_CASE("Trace: the writer fans out to every sink") {
    TempDir dir;
    gateway::TraceWriter w;
    CHECK(w.empty());
    w.add_sink(std::make_unique<gateway::PcapSink>(dir.path + "/a.pcap"));
    w.add_sink(std::make_unique<gateway::PcapSink>(dir.path + "/b.pcap"));
    w.write(fetch_open_channel());
    CHECK(read_file(dir.path + "/a.pcap") == read_file(dir.path + "/b.pcap"));
    CHECK(read_file(dir.path + "/a.pcap").size() > 24);
}
