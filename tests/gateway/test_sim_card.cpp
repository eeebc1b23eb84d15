// tests/gateway/test_sim_card.cpp — the simulated UICC: scenario parsing (every bad case names
// file:line:key), Package#0 bytes, the card driven by cat::Session end to end, vpcd framing,
// and SimLink's posting semantics.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cat/apdu.hpp"
#include "cat/envelope.hpp"
#include "cat/profile.hpp"
#include "cat/response.hpp"
#include "cat/text.hpp"
#include "gateway/sim/card.hpp"
#include "gateway/sim/scenario.hpp"
#include "gateway/sim/sim_link.hpp"
#include "gateway/sim/vpcd_client.hpp"

namespace {

using namespace dmsc;
using namespace dmsc::gateway::sim;
using namespace std::chrono_literals;

cat::Bytes hex(std::string_view s) {
    cat::Bytes b;
    REQUIRE(cat::from_hex(s, b));
    return b;
}

// poll() leaves the context stopped once it runs out of work; restart it every time.
void poll(boost::asio::io_context& io) {
    io.restart();
    io.poll();
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

const std::string kScenarioDir = std::string(DMSC_SOURCE_DIR) + "/gateway/sim/scenarios/";

std::string parse_error(std::string_view text) {
    try {
        (void)parse_scenario(text, "bad.toml");
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "(no error)";
}

// Every feature this test's terminal has, as the gateway would announce them.
cat::Bytes full_profile() {
    cat::TerminalFeatures f;
    f.events = {cat::EventType::DataAvailable, cat::EventType::ChannelStatus};
    f.timer_management = true;
    f.timer_expiration = true;
    return cat::build_terminal_profile(f);
}

cat::Bytes registration(std::uint16_t port, std::uint8_t type = 0x07) {
    cat::RegistryApplicationData app;
    app.port = port;
    app.application_type = type;
    REQUIRE(cat::utf8_to_gsm7_unpacked("DM Client", app.name));
    auto envs = cat::terminal_applications({app});
    REQUIRE(envs.size() == 1);
    return cat::encode(envs[0]);
}

// The terminal side: a cat::Session with handlers, pumped against the card with a fake clock.
struct Terminal {
    Card card;
    cat::Session session;
    cat::TimePoint now{};
    std::vector<cat::SessionEvent> events;
    std::vector<std::uint8_t> answered;  // command types, in order

    explicit Terminal(Scenario s, cat::Bytes profile = full_profile())
        : card(std::move(s)), session(cat::SessionConfig{.terminal_profile = std::move(profile)}) {
        auto ok = [this](const cat::ProactiveCommand& c) -> cat::HandlerReply {
            answered.push_back(c.details.type);
            return cat::make_response(c.details, cat::GeneralResult::Success);
        };
        session.set_handler(cat::CommandType::SetUpEventList, ok);
        session.set_handler(cat::CommandType::MoreTime, ok);
        session.set_handler(cat::CommandType::PollingOff, ok);
        session.set_handler(cat::CommandType::CloseChannel, ok);
        session.set_handler(
            cat::CommandType::PollInterval, [this](const cat::ProactiveCommand& c) -> cat::HandlerReply {
                answered.push_back(c.details.type);
                return cat::poll_interval_response(c.details, std::get<cat::PollInterval>(c.body).interval);
            });
        session.set_handler(cat::CommandType::OpenChannel,
                            [this](const cat::ProactiveCommand& c) -> cat::HandlerReply {
                                answered.push_back(c.details.type);
                                const auto& oc = std::get<cat::OpenChannel>(c.body);
                                if (!oc.transport || oc.transport->port != 1100) {
                                    return cat::bip_error(c.details, cat::BipCause::PortNotAvailable);
                                }
                                return cat::open_channel_response(c.details, cat::GeneralResult::Success,
                                                                  cat::ChannelStatus::client(3, true),
                                                                  std::nullopt, oc.buffer_size);
                            });
        session.set_handler(cat::CommandType::SendData,
                            [this](const cat::ProactiveCommand& c) -> cat::HandlerReply {
                                answered.push_back(c.details.type);
                                sent.push_back(std::get<cat::SendData>(c.body));
                                return cat::send_data_response(c.details, 0xFF);
                            });
        card.power_on(now);
        session.power_on();
    }
    std::vector<cat::SendData> sent;

    void pump() {
        for (int i = 0; i < 200; ++i) {
            auto apdu = session.next_apdu(now);
            if (!apdu) break;
            auto r = card.process(apdu->encode(), now);
            auto parsed = cat::ResponseApdu::parse(r);
            REQUIRE(parsed);
            session.on_response(*parsed, now);
        }
        for (auto& e : session.take_events()) events.push_back(std::move(e));
    }
    void envelope(const cat::Bytes& ber) {
        REQUIRE(session.queue_envelope(ber, 1));
        pump();
    }
};

}  // namespace

TEST_CASE("Scenario: the built-in default equals gateway/sim/scenarios/default.toml") {
    CHECK(std::string(default_scenario_text()) == read_file(kScenarioDir + "default.toml"));
    const Scenario s = default_scenario();
    REQUIRE(s.steps.size() == 4);
    CHECK(s.steps[0].trigger.kind == TriggerKind::Profile);
    CHECK(s.steps[0].command.events == std::vector<std::uint8_t>{0x09, 0x0A});
    CHECK(s.steps[1].trigger.kind == TriggerKind::TerminalApplications);
    CHECK(s.steps[1].command.open.mode == ChannelMode::TerminalServer);
    CHECK(!s.steps[1].command.open.port);  // "registered"
    CHECK(s.steps[2].command.kind == CommandKind::SendData);
    CHECK(s.profile_requires.size() == 6);
}

TEST_CASE("Scenario: every shipped example parses") {
    for (const char* name : {"default.toml", "basic.toml", "bip-variants.toml", "scws.toml"}) {
        CAPTURE(name);
        CHECK_NOTHROW((void)load_scenario_file(kScenarioDir + name));
    }
}

TEST_CASE("Scenario: profile requirements by bit and by the names dmsc-ctl profile prints") {
    const auto s = parse_scenario(R"([profile]
require = ["byte 12 bit 1", "TERMINAL APPLICATIONS", "data available", "byte 8 bit 1"]
[[step]]
on = "profile"
command = "more_time"
)",
                                  "p.toml");
    REQUIRE(s.profile_requires.size() == 4);
    CHECK((s.profile_requires[0].byte == 12 && s.profile_requires[0].bit == 1));
    CHECK((s.profile_requires[1].byte == 30 && s.profile_requires[1].bit == 3));
    CHECK((s.profile_requires[2].byte == 6 && s.profile_requires[2].bit == 3));
}

TEST_CASE("Scenario: every bad case names file:line:key") {
    struct Case {
        const char* text;
        const char* want;
    };
    const Case cases[] = {
        {"[[step]]\non = \"profile\"\ncommand = \"fly\"\n",
         "bad.toml:3: step[1].command: unknown command \"fly\""},
        {"[[step]]\ncommand = \"more_time\"\n", "bad.toml:1: step[1].on: missing"},
        {"[[step]]\non = \"someday\"\n", "bad.toml:2: step[1].on: unknown trigger"},
        {"[[step]]\non = \"event:rain\"\n", "bad.toml:2: step[1].on: unknown event"},
        {"[[step]]\non = \"timer:9\"\n", "bad.toml:2: step[1].on: timer id must be 1..8"},
        {"[[step]]\non = \"response\"\ncommand = \"more_time\"\n",
         "bad.toml:2: step[1].on: \"response\" needs"},
        {"[[step]]\non = \"profile\"\ncommand = \"more_time\"\ncolour = 1\n",
         "bad.toml:4: step[1].colour: unknown key"},
        {"[[step]]\non = \"profile\"\ncommand = \"open_channel\"\nport = 70000\n",
         "bad.toml:4: step[1].port: out of range"},
        {"[[step]]\non = \"profile\"\ncommand = \"open_channel\"\nmode = \"uicc-server\"\n",
         "bad.toml:1: step[1].port: missing"},
        {"[[step]]\non = \"profile\"\ncommand = \"open_channel\"\nmode = \"client\"\nport = 80\naddress = "
         "\"1.2.3\"\n",
         "bad.toml:6: step[1].address: expected an IPv4 or IPv6 address"},
        {"[[step]]\non = \"profile\"\ncommand = \"send_data\"\n",
         "bad.toml:1: step[1].data: send_data needs exactly one"},
        {"[[step]]\non = \"profile\"\ncommand = \"send_data\"\ndata = \"0G\"\n",
         "bad.toml:4: step[1].data: expected hex"},
        {"[[step]]\non = \"profile\"\ncommand = \"send_data\"\npayload = \"dm9\"\n",
         "bad.toml:4: step[1].payload: unknown payload"},
        {"[[step]]\non = \"profile\"\ncommand = \"send_data\"\npayload = \"dm12-package0\"\ndigest = "
         "\"00\"\n",
         "bad.toml:5: step[1].digest: expected 16..16 bytes"},
        {"[[step]]\non = \"profile\"\ncommand = \"set_up_event_list\"\nevents = [\"rain\"]\n",
         "bad.toml:4: step[1].events: unknown event"},
        {"[[step]]\non = \"profile\"\ncommand = \"timer_management\"\n",
         "bad.toml:1: step[1].seconds: missing"},
        {"[[step]]\non = \"profile\"\ncommand = \"poll_interval\"\n",
         "bad.toml:1: step[1].seconds: poll_interval needs"},
        {"[[step]]\non = \"profile\"\ncommand = \"raw\"\nhex = \"A0 00\"\n",
         "bad.toml:4: step[1].hex: a proactive command"},
        {"[[step]]\non = \"profile\"\ncommand = \"receive_data\"\n", "bad.toml:1: step[1].length: missing"},
        {"[[step]]\non = \"profile\"\ncommand = \"more_time\"\nexpect_result = \"XYZ\"\n",
         "bad.toml:4: step[1].expect_result: expected hex"},
        {"[[step]]\non = \"profile\"\ncommand = \"more_time\"\nexpect_objects = [\"B8 05 01\"]\n",
         "bad.toml:4: step[1].expect_objects: each entry must be exactly one"},
        {"[[step]]\non = \"profile\"\nexpect_result = \"00\"\n",
         "bad.toml:1: step[1].expect_result: expectations"},
        {"[[step]]\non = \"profile\"\nexpect_application = { port = 1 }\n",
         "bad.toml:3: step[1].expect_application: only for"},
        {"[[step]]\non = \"terminal-applications\"\nexpect_application = { colour = 1 }\n",
         "bad.toml:3: step[1].expect_application.colour: unknown key"},
        {"[[step]]\non = \"profile\"\ncommand = \"refresh\"\nmode = \"file-change\"\n",
         "bad.toml:1: step[1].files: missing"},
        {"[[step]]\non = \"profile\"\ncommand = \"provide_local_info\"\ninfo = \"weather\"\n",
         "bad.toml:4: step[1].info: unknown value"},
        {"[card]\nprotocol = \"T=2\"\n[[step]]\non = \"profile\"\n", "bad.toml:2: card.protocol: expected"},
        {"[profile]\nrequire = [\"teleportation\"]\n[[step]]\non = \"profile\"\n",
         "bad.toml:2: profile.require: \"teleportation\" is neither"},
        {"[profile]\nrequire = [\"byte 0 bit 1\"]\n[[step]]\non = \"profile\"\n",
         "bad.toml:2: profile.require:"},
        {"[scenario]\nname = \"x\"\n", "bad.toml:1: step: missing"},
        {"[weather]\n", "bad.toml:1: weather: unknown key"},
        {"[[step]]\non = \"profile\"\ncommand = \n", "bad.toml:3: TOML syntax"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        const std::string err = parse_error(c.text);
        CHECK_MESSAGE(err.find(c.want) != std::string::npos, err);
    }
}

TEST_CASE("Package#0: DM 1.2 notification header layout") {
    Dm12Package0 p;
    p.server_id = "srv";
    p.session_id = 0x1234;
    p.ui_mode = 2;
    p.initiator = 1;
    const auto b = encode(p);
    REQUIRE(b.size() == 16 + 8 + 3);
    // version 12 in 10 bits = 0000001100, ui-mode 10, initiator 1, then zeros.
    CHECK(cat::to_hex(cat::ByteView(b).subspan(16)) ==
          "03280000001234037372"
          "76");
}

TEST_CASE("Package#0: DM 2.0 header and options in increasing order") {
    Dm20Package0 p;
    p.server_id = "S";
    p.notification_id = 0x0102;
    p.req_mos = true;
    // VER 2, OC 3 → 0010 0001 | 1000 0000; options: delta 1 len 1 'S'; delta 2 len 2 0102;
    // delta 3 len 0. NOTIFICATION-ID is always 2 bytes (seed 004 5.2.1.2), also for small ids.
    CHECK(cat::to_hex(encode(p)) ==
          "21801001532002010230"
          "00");
    CHECK(cat::to_hex(encode(Dm20Package0{})) == "2000");
    Dm20Package0 small;
    small.notification_id = 7;
    CHECK(cat::to_hex(encode(small)) ==
          "2080"
          "3002"
          "0007");
}

TEST_CASE("ATR: a UICC offering T=0 and T=1 with a correct TCK") {
    const auto& atr = kDefaultAtr;
    REQUIRE(atr.size() > 4);
    CHECK(atr[0] == 0x3B);
    std::uint8_t x = 0;
    for (std::size_t i = 1; i < atr.size(); ++i) x ^= atr[i];
    CHECK(x == 0);  // ISO/IEC 7816-3 8.2.5: T0..TCK XOR to zero
}

TEST_CASE("Card: the default scenario against cat::Session passes end to end") {
    Terminal t(default_scenario());
    t.pump();  // TERMINAL PROFILE, SET UP EVENT LIST
    CHECK(t.answered == std::vector<std::uint8_t>{0x05});
    CHECK(t.card.current_step() == 1);
    t.envelope(registration(1100));  // → OPEN CHANNEL, SEND DATA, CLOSE CHANNEL
    CHECK(t.answered == std::vector<std::uint8_t>{0x05, 0x40, 0x43, 0x41});
    REQUIRE(t.sent.size() == 1);
    CHECK(t.sent[0].channel_id == 3);  // the channel the OPEN CHANNEL answer gave
    CHECK(t.sent[0].data == encode(Dm12Package0{}));
    const auto v = t.card.verdict();
    CHECK_MESSAGE(v.passed, v.describe());
    CHECK(v.runs_completed == 1);
    REQUIRE(t.card.applications().size() == 1);
    CHECK(t.card.applications()[0].port == 1100);
}

TEST_CASE("Card: [scenario] repeat runs the steps again in the same card session") {
    auto s = parse_scenario(
        std::string("[scenario]\nrepeat = 3\n") +
            std::string(default_scenario_text()).substr(std::string(default_scenario_text()).find("[card]")),
        "repeat.toml");
    CHECK(s.repeat == 3);
    Terminal t(std::move(s));
    t.pump();
    t.envelope(registration(1100));  // three passes: events, open, send, close each
    const std::vector<std::uint8_t> pass{0x05, 0x40, 0x43, 0x41};
    std::vector<std::uint8_t> three;
    for (int i = 0; i < 3; ++i) three.insert(three.end(), pass.begin(), pass.end());
    CHECK(t.answered == three);
    CHECK(t.sent.size() == 3);
    const auto v = t.card.verdict();
    CHECK_MESSAGE(v.passed, v.describe());
    CHECK(v.runs_completed == 3);
    CHECK(parse_error("[scenario]\nrepeat = 0\n[[step]]\non = \"profile\"\n")
              .find("bad.toml:2: scenario.repeat") != std::string::npos);
}

TEST_CASE("Card: a wrong TERMINAL RESPONSE fails the verdict and names the step") {
    Terminal t(default_scenario());
    t.pump();
    t.envelope(registration(2000));  // expectation port 1100 fails; OPEN CHANNEL to 2000 → 3A 10
    const auto v = t.card.verdict();
    CHECK(!v.passed);
    const std::string d = v.describe();
    CHECK_MESSAGE(d.find("no registered application with port 1100") != std::string::npos, d);
    CHECK_MESSAGE(d.find("OPEN CHANNEL answered 3A 10") != std::string::npos, d);
    CHECK_MESSAGE(d.find("expected 00") != std::string::npos, d);
}

TEST_CASE("Card: a missing TERMINAL PROFILE bit is a failed expectation") {
    cat::TerminalFeatures f;
    f.terminal_applications = false;
    Terminal t(default_scenario(), cat::build_terminal_profile(f));
    t.pump();
    const std::string d = t.card.verdict().describe();
    CHECK_MESSAGE(
        d.find("TERMINAL PROFILE lacks \"TERMINAL APPLICATIONS\" (byte 30 bit 3)") != std::string::npos, d);
}

TEST_CASE("Card: basic.toml — MORE TIME, POLL INTERVAL, unknown type answered 30, POLLING OFF on STATUS") {
    Terminal t(load_scenario_file(kScenarioDir + "basic.toml"));
    t.pump();
    CHECK(t.answered == std::vector<std::uint8_t>{0x02, 0x03});
    CHECK(t.card.current_step() == 3);  // waits for a STATUS
    t.session.request_status();
    t.pump();
    CHECK(t.answered == std::vector<std::uint8_t>{0x02, 0x03, 0x04});
    const auto v = t.card.verdict();
    CHECK_MESSAGE(v.passed, v.describe());
}

TEST_CASE("Card: delay_ms fires at the first APDU after the delay (injected time)") {
    Terminal t(parse_scenario(R"([[step]]
on = "profile"
command = "more_time"
[[step]]
on = "response"
delay_ms = 5000
command = "polling_off"
expect_result = "00"
)",
                              "delay.toml"));
    t.pump();
    CHECK(t.answered.size() == 1);
    t.now += 4999ms;
    t.session.request_status();
    t.pump();
    CHECK(t.answered.size() == 1);  // too early: '90 00'
    t.now += 1ms;
    t.session.request_status();
    t.pump();
    CHECK(t.answered.size() == 2);
    CHECK(t.card.verdict().passed);
}

TEST_CASE("Card: events and timers trigger steps; long SEND DATA is split") {
    Terminal t(parse_scenario(R"([[step]]
on = "event:data-available"
command = "send_data"
data = "00112233445566778899"
chunk = 4
expect_result = "00"
[[step]]
on = "timer:2"
command = "more_time"
)",
                              "ev.toml"));
    t.pump();
    t.envelope(cat::encode(cat::channel_status_event(cat::ChannelStatus::client(1, true))));
    CHECK(t.sent.empty());  // a different event
    t.envelope(cat::encode(cat::data_available_event(cat::ChannelStatus::client(1, true), 10)));
    REQUIRE(t.sent.size() == 3);
    CHECK(cat::to_hex(t.sent[2].data) == "8899");
    t.envelope(cat::encode(cat::timer_expiration(2, cat::TimerValue::from_seconds(1))));
    CHECK(t.answered.back() == 0x02);
    CHECK(t.card.verdict().passed);
    CHECK(t.card.events_received() == std::vector<std::uint8_t>{0x0A, 0x09});
}

TEST_CASE("Card: envelope_busy answers 93 00 and the session's back-off resends") {
    Terminal t(parse_scenario(R"([card]
envelope_busy = 1
[[step]]
on = "terminal-applications"
)",
                              "busy.toml"));
    t.pump();
    REQUIRE(t.session.queue_envelope(registration(1100), 7));
    t.pump();
    CHECK(t.card.applications().empty());
    t.now += 1s;
    t.pump();
    CHECK(t.card.applications().size() == 1);
    CHECK(t.card.verdict().passed);
}

TEST_CASE("APDU: status words of the card model") {
    Card card(default_scenario());
    const cat::TimePoint now{};
    card.power_on(now);
    CHECK(cat::to_hex(card.process(hex("80 12 00 00 10"), now)) == "6985");  // FETCH, nothing pending
    CHECK(cat::to_hex(card.process(hex("A0 F2 00 00 16"), now)) == "6E00");  // 2G SIM class
    CHECK(cat::to_hex(card.process(hex("80 AA 00 00"), now)) == "6D00");
    CHECK(cat::to_hex(card.process(hex("80 10"), now)) == "6700");
    CHECK(cat::to_hex(card.process(hex("80 10 00 00 05 01"), now)) == "6700");  // Lc 5, 1 byte
    CHECK(cat::to_hex(card.process(hex("80 F2 00 0C"), now)) == "9000");
    // TERMINAL PROFILE → '91 XX'; a FETCH with the wrong Le is corrected with '6C XX'.
    auto r = card.process(cat::terminal_profile(cat::ClassMode::Uicc, full_profile()).encode(), now);
    REQUIRE(r.size() == 2);
    CHECK(r[0] == 0x91);
    const std::uint8_t len = r[1];
    CHECK(cat::to_hex(card.process(hex("80 12 00 00 01"), now)) == "6C" + cat::to_hex(cat::Bytes{len}));
    // Still pending: any command is answered '91 XX'.
    CHECK(cat::to_hex(card.process(hex("80 F2 00 0C"), now)) == "91" + cat::to_hex(cat::Bytes{len}));
    auto cmd = card.process(cat::fetch(cat::ClassMode::Uicc, len).encode(), now);
    CHECK(cmd.size() == len + 2u);
    // An ENVELOPE while the command awaits its TERMINAL RESPONSE: toolkit busy.
    CHECK(cat::to_hex(card.process(cat::envelope(cat::ClassMode::Uicc, registration(1)).encode(), now)) ==
          "9300");
    // A TERMINAL RESPONSE that does not decode is refused and recorded.
    CHECK(cat::to_hex(card.process(hex("80 14 00 00 02 01 02"), now)) == "6A80");
    CHECK(!card.verdict().passed);
}

TEST_CASE("vpcd: frames encode, reassemble across reads, and control messages") {
    CHECK(cat::to_hex(vpcd_encode_frame(hex("04"))) == "000104");
    CHECK(vpcd_encode_frame(cat::Bytes(70000, 0)).empty());
    VpcdFrameReader r;
    const auto stream = hex("0001 01 0001 04 0005 80F2000C00 00");
    for (auto b : stream) r.feed(cat::Bytes{b});  // one byte at a time
    auto m1 = r.next();
    auto m2 = r.next();
    auto m3 = r.next();
    REQUIRE((m1 && m2 && m3));
    CHECK(cat::to_hex(*m1) == "01");
    CHECK(cat::to_hex(*m3) == "80F2000C00");
    CHECK(!r.next());
    CHECK(r.buffered() == 1);  // half a length

    Card card(default_scenario());
    const cat::TimePoint now{};
    CHECK(!vpcd_handle_message(card, *m1, now));  // power on: no answer
    CHECK(card.powered());
    CHECK(*vpcd_handle_message(card, *m2, now) == kDefaultAtr);
    CHECK(cat::to_hex(*vpcd_handle_message(card, hex("80F2000C"), now)) == "9000");
    CHECK(!vpcd_handle_message(card, hex("00"), now));
    CHECK(!card.powered());
    CHECK(!vpcd_handle_message(card, hex("07"), now));  // unknown control: ignored
    CHECK(!vpcd_handle_message(card, {}, now));
}

TEST_CASE("vpcd: --vpcd HOST:PORT parsing") {
    std::string h;
    std::uint16_t p = 0;
    CHECK((parse_host_port("127.0.0.1:35963", h, p) && h == "127.0.0.1" && p == 35963));
    CHECK((parse_host_port("[::1]:1000", h, p) && h == "::1" && p == 1000));
    CHECK((parse_host_port("localhost", h, p) && p == kVpcdPort));
    CHECK(!parse_host_port("host:0", h, p));
    CHECK(!parse_host_port("host:99999", h, p));
    CHECK(!parse_host_port(":1", h, p));
    CHECK(!parse_host_port("::1", h, p));
}

TEST_CASE("SimLink: results are posted, never delivered inside the call") {
    boost::asio::io_context io;
    auto link = make_sim_link(io, default_scenario());
    int ready = 0;
    int gone = 0;
    gateway::CardInfo info;
    link->start({.card_ready =
                     [&](const gateway::CardInfo& i) {
                         ++ready;
                         info = i;
                     },
                 .card_gone = [&](const std::string&) { ++gone; },
                 .warning = {}});
    CHECK(ready == 0);
    poll(io);
    CHECK(ready == 1);
    CHECK(info.link == "sim");
    CHECK(info.protocol == "T=1");
    CHECK(info.atr == kDefaultAtr);

    std::vector<gateway::TransmitResult> results;
    link->transmit(hex("80F2000C"), [&](gateway::TransmitResult r) { results.push_back(std::move(r)); });
    CHECK(results.empty());
    poll(io);
    REQUIRE(results.size() == 1);
    CHECK(results[0].ok);
    CHECK(cat::to_hex(results[0].response) == "9000");

    link->remove_card();
    link->transmit(hex("80F2000C"), [&](gateway::TransmitResult r) { results.push_back(std::move(r)); });
    poll(io);
    CHECK(gone == 1);
    REQUIRE(results.size() == 2);
    CHECK(!results[1].ok);
    CHECK(results[1].card_gone);

    link->insert_card();
    poll(io);
    CHECK(ready == 2);
    link->reset();
    poll(io);
    CHECK(ready == 3);

    link->stop();
    link->transmit(hex("80F2000C"), [&](gateway::TransmitResult r) { results.push_back(std::move(r)); });
    poll(io);
    REQUIRE(results.size() == 3);
    CHECK(!results[2].ok);
}

TEST_CASE("SimLink: a handler posted before the link is destroyed still answers safely") {
    boost::asio::io_context io;
    std::vector<gateway::TransmitResult> results;
    {
        auto link = make_sim_link(io, default_scenario());
        link->start({});
        link->transmit(hex("80F2000C"), [&](gateway::TransmitResult r) { results.push_back(std::move(r)); });
    }
    poll(io);
    REQUIRE(results.size() == 1);
    CHECK(!results[0].ok);
}
