// tests/gateway/test_daemon_sim.cpp — the Daemon in-process against the simulated UICC (and a
// tiny scripted link for what the simulator cannot do), stepping its io_context: TERMINAL
// PROFILE, the gateway's own answers, card removal and reinsertion, hooks, SIGHUP reload.
#include <doctest/doctest.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <arpa/inet.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#pragma GCC diagnostic pop
#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unistd.h>

#include "cat/envelope.hpp"
#include "cat/profile.hpp"
#include "gateway/bip_sockets.hpp"
#include "gateway/daemon.hpp"
#include "gateway/demo_dm_client.hpp"
#include "gateway/features.hpp"
#include "gateway/package0_check.hpp"
#include "gateway/sim/sim_link.hpp"
#include "registry/events.hpp"
#include "tests/gateway/sim_daemon.hpp"

namespace {

using namespace dmsc;
using namespace dmsc::gateway;
using namespace dmsc::gateway::test;
using namespace std::chrono_literals;

// MORE TIME, then a command the gateway has no handler for (DISPLAY TEXT: it has no display),
// then POLL INTERVAL 20 s, then POLLING OFF.
constexpr std::string_view kScenario = R"toml(
[scenario]
name = "daemon-test"

[[step]]
name = "more time"
on = "profile"
command = "more_time"
expect_result = "00"

[[step]]
name = "display text"
on = "response"
command = "raw"
hex = "D0 0F 81 03 01 21 80 82 02 81 02 8D 04 04 48 69 21"
expect_result = "30"

[[step]]
name = "poll interval"
on = "response"
command = "poll_interval"
seconds = 20
expect_result = "00"

[[step]]
name = "polling off"
on = "response"
command = "polling_off"
expect_result = "00"
)toml";

// This file's daemons: STATUS polling as configured (30 s: none within a test), scenarios named
// daemon-test.toml.
const SimOptions kOptions{.source = "daemon-test.toml"};

}  // namespace

TEST_CASE("Daemon: TERMINAL PROFILE first, MORE TIME '00', no handler '30', POLL INTERVAL and POLLING OFF") {
    LogCapture logs;
    SimDaemon sd(kScenario, sim_config(Polling::Configured), kOptions);
    std::vector<ApduRecord> records;
    sd.daemon->add_apdu_observer([&](const ApduRecord& r) { records.push_back(r); });
    int responses = 0;
    sd.daemon->add_session_observer([&](const cat::SessionEvent& e) {
        if (std::holds_alternative<cat::TerminalResponseSent>(e)) ++responses;
    });
    std::optional<std::chrono::milliseconds> interval_after_poll;
    sd.daemon->add_session_observer([&](const cat::SessionEvent& e) {
        const auto* tr = std::get_if<cat::TerminalResponseSent>(&e);
        if (tr && tr->details.type == static_cast<std::uint8_t>(cat::CommandType::PollInterval)) {
            interval_after_poll = sd.daemon->poll_interval();
        }
    });

    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.card().verdict().runs_completed == 1; }));
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);

    // The profile sent is the one features.cpp describes, and it went first.
    CHECK(sd.card().terminal_profile() == cat::build_terminal_profile(gateway_features()));
    REQUIRE(!records.empty());
    CHECK(records.front().command.at(1) == 0x10);
    CHECK(records.front().link == "sim");

    const Stats& st = sd.daemon->stats();
    CHECK(st.apdus_by_ins.at("TERMINAL PROFILE") == 1);
    CHECK(st.proactive_commands.at("MORE TIME") == 1);
    CHECK(st.proactive_commands.at("DISPLAY TEXT") == 1);
    CHECK(st.terminal_responses.at("00") == 3);
    CHECK(st.terminal_responses.at("30") == 1);
    CHECK(responses == 4);
    CHECK(st.apdus == records.size());

    // POLL INTERVAL 20 s granted as asked (the TERMINAL RESPONSE checked by the card), then off.
    REQUIRE(interval_after_poll.has_value());
    CHECK(*interval_after_poll == 20s);
    CHECK_FALSE(sd.daemon->poll_interval().has_value());
    CHECK(st.proactive_commands.at("POLLING OFF") == 1);

    const auto status = sd.daemon->status_json();
    CHECK(status["card"]["state"] == "powered");
    CHECK(status["card"]["link"] == "sim");
    CHECK(status["card"]["atr"] == cat::to_hex(sd.card().atr()));
    CHECK(status["card"]["terminal_profile"] == cat::to_hex(sd.daemon->terminal_profile()));
    CHECK(status["counters"]["proactive_commands"] == 4);
    const auto stats = sd.daemon->stats_json();
    CHECK(stats["terminal_responses"]["by_result"]["30"] == 1);
    CHECK(stats["proactive_commands"]["by_type"]["MORE TIME"] == 1);

    sd.daemon->stop();
    CHECK(sd.daemon->stopped());
    CHECK_FALSE(sd.card().powered());
}

TEST_CASE("Daemon: card removed → card_gone, reinserted → TERMINAL PROFILE again") {
    SimDaemon sd(R"toml(
[[step]]
on = "profile"
command = "more_time"
expect_result = "00"
)toml",
                 sim_config(Polling::Configured), kOptions);
    int ready = 0;
    std::vector<std::string> gone;
    sd.daemon->add_card_observer(
        {[&](const CardInfo&) { ++ready; }, [&](const std::string& r) { gone.push_back(r); }});
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.card().verdict().runs_completed == 1; }));
    CHECK(ready == 1);

    sd.link->remove_card();
    REQUIRE(step_until(sd.io(), [&] { return sd.daemon->card_state() == CardState::Absent; }));
    CHECK(gone.size() == 1);
    CHECK(sd.daemon->stats().cards_gone == 1);
    CHECK(sd.daemon->status_json()["card"]["state"] == "absent");
    // Nothing can be queued for a card that is not there.
    CHECK_FALSE(sd.daemon->queue_envelope(cat::encode(cat::user_activity_event())).has_value());

    sd.link->insert_card();
    REQUIRE(step_until(sd.io(), [&] { return sd.card().verdict().runs_completed == 2; }));
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);
    CHECK(ready == 2);
    CHECK(sd.daemon->stats().apdus_by_ins.at("TERMINAL PROFILE") == 2);
    CHECK(sd.card().terminal_profile() == sd.daemon->terminal_profile());
}

TEST_CASE("Daemon: an ENVELOPE queued through the hook reaches the card and is counted by kind") {
    SimDaemon sd(R"toml(
[[step]]
on = "event:user-activity"
)toml",
                 sim_config(Polling::Configured), kOptions);
    std::optional<cat::EnvelopeId> done;
    sd.daemon->add_session_observer([&](const cat::SessionEvent& e) {
        if (const auto* d = std::get_if<cat::EnvelopeDone>(&e)) done = d->id;
    });
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.daemon->card_state() == CardState::Powered; }));
    const auto id = sd.daemon->queue_envelope(cat::encode(cat::user_activity_event()));
    REQUIRE(id.has_value());
    REQUIRE(step_until(sd.io(), [&] { return done.has_value(); }));
    CHECK(*done == *id);
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);
    const Stats& st = sd.daemon->stats();
    REQUIRE(st.envelopes_queued.size() == 1);
    CHECK(st.envelopes_queued.begin()->first.find("user activity") != std::string::npos);
    CHECK(st.envelopes_done.begin()->second == 1);
}

TEST_CASE("Daemon: a handler registered through the hook replaces the gateway's own") {
    SimDaemon sd(R"toml(
[[step]]
on = "profile"
command = "more_time"
expect_result = "20"
)toml",
                 sim_config(Polling::Configured), kOptions);
    int calls = 0;
    sd.daemon->set_handler(
        cat::CommandType::MoreTime, [&](const cat::ProactiveCommand& cmd) -> cat::HandlerReply {
            ++calls;
            return cat::make_response(cmd.details, cat::GeneralResult::TerminalCurrentlyUnable, {0x00});
        });
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.card().verdict().runs_completed == 1; }));
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);
    CHECK(calls == 1);
}

namespace {

// A scripted link for what the simulated card does not do (refuse a class, fail a transfer).
// Answers are posted, as the CardLink contract requires.
class ScriptedLink : public CardLink {
public:
    using Responder = std::function<TransmitResult(const cat::Bytes&)>;
    ScriptedLink(boost::asio::io_context& io, Responder responder)
        : io_(io), responder_(std::move(responder)) {}
    void start(Callbacks callbacks) override {
        callbacks_ = std::move(callbacks);
        boost::asio::post(io_, [this] { callbacks_.card_ready(info()); });
    }
    void transmit(cat::Bytes command, TransmitHandler done) override {
        sent.push_back(command);
        boost::asio::post(
            io_, [this, command = std::move(command), done = std::move(done)] { done(responder_(command)); });
    }
    void reset() override {
        ++resets;
        boost::asio::post(io_, [this] { callbacks_.card_ready(info()); });
    }
    void stop() override { stopped = true; }
    std::string name() const override { return "scripted"; }

    std::vector<cat::Bytes> sent;
    int resets = 0;
    bool stopped = false;

private:
    static CardInfo info() { return {"scripted", "test reader", "T=0", {0x3B, 0x00}}; }
    boost::asio::io_context& io_;
    Responder responder_;
    Callbacks callbacks_;
};

TransmitResult answer(std::initializer_list<std::uint8_t> bytes) {
    TransmitResult r;
    r.ok = true;
    r.response = bytes;
    return r;
}

}  // namespace

TEST_CASE("Daemon: class auto — a card refusing class '80' gets TERMINAL PROFILE with class 'A0'") {
    ScriptedLink* link = nullptr;
    DaemonOptions o;
    o.handle_signals = false;
    o.link_factory = [&](boost::asio::io_context& io, const Config&) {
        auto l = std::make_unique<ScriptedLink>(io, [](const cat::Bytes& c) {
            return c.at(0) == 0x80 ? answer({0x6E, 0x00}) : answer({0x90, 0x00});
        });
        link = l.get();
        return l;
    };
    Daemon d(sim_config(Polling::Configured), std::move(o));
    d.start();
    REQUIRE(step_until(d.io(), [&] { return link->sent.size() >= 2; }));
    d.io().poll();
    CHECK(link->sent[0][0] == 0x80);
    CHECK(link->sent[0][1] == 0x10);
    CHECK(link->sent[1][0] == 0xA0);
    CHECK(link->sent[1][1] == 0x10);
    CHECK(d.class_mode() == cat::ClassMode::Sim);
    CHECK(d.status_json()["card"]["class"] == "sim");
}

TEST_CASE("Daemon: a failed exchange resets the card; repeated failures stop the resets") {
    ScriptedLink* link = nullptr;
    DaemonOptions o;
    o.handle_signals = false;
    o.link_factory = [&](boost::asio::io_context& io, const Config&) {
        auto l = std::make_unique<ScriptedLink>(io, [](const cat::Bytes&) {
            TransmitResult r;
            r.error = "reader hiccup";
            return r;
        });
        link = l.get();
        return l;
    };
    LogCapture logs;
    Daemon d(sim_config(Polling::Configured), std::move(o));
    d.start();
    REQUIRE(step_until(d.io(), [&] { return d.card_state() == CardState::Absent && link->resets > 0; }));
    CHECK(link->resets == 3);
    CHECK(d.stats().transmit_errors == 4);
    CHECK(logs.contains("waiting for the card to be re-inserted"));
    d.stop();
    CHECK(link->stopped);
}

namespace {

std::filesystem::path temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dmsc-daemon-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    return tmpl;
}

void write_file(const std::filesystem::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::trunc);
    out << text;
}

}  // namespace

TEST_CASE("Daemon: SIGHUP with a broken file keeps the running configuration; a good one applies") {
    const auto dir = temp_dir();
    const auto file = dir / "gateway.toml";
    write_file(file, R"toml(
[card]
link = "sim"
[debug]
socket = ""
[log]
level = "warn"
)toml");
    ConfigResult loaded = load_config_file(file.string());
    REQUIRE(loaded.ok());
    LogCapture logs;
    SimDaemon sd(R"toml(
[[step]]
on = "profile"
command = "more_time"
)toml",
                 *loaded.config, {.source = "daemon-test.toml", .handle_signals = true});
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.card().verdict().runs_completed == 1; }));
    const Config before = sd.daemon->config();

    write_file(file, "[card]\nlink = \"sim\"\n[[application]]\nname = \"DM\"\nport = 0\n");
    ::raise(SIGHUP);
    REQUIRE(step_until(sd.io(), [&] { return sd.daemon->stats().reload_failures == 1; }));
    CHECK(sd.daemon->config() == before);
    CHECK_FALSE(sd.daemon->stopped());
    CHECK(sd.daemon->card_state() == CardState::Powered);
    CHECK(logs.contains("gateway.toml:5:8: application[0].port: 0 is out of range"));
    CHECK(logs.contains("keeping the running configuration"));

    write_file(file, R"toml(
[card]
link = "sim"
[[application]]
name = "DM Client"
port = 1100
[debug]
socket = ""
[log]
level = "warn"
)toml");
    int reloaded = 0;
    sd.daemon->add_reload_observer(
        [&](const Config&, const Config& now) { reloaded += static_cast<int>(now.applications.size()); });
    ::raise(SIGHUP);
    REQUIRE(step_until(sd.io(), [&] { return sd.daemon->stats().reloads == 1; }));
    CHECK(sd.daemon->config().applications.size() == 1);
    CHECK(reloaded == 1);

    ::raise(SIGTERM);
    REQUIRE(step_until(sd.io(), [&] { return sd.daemon->stopped(); }));
    CHECK_FALSE(sd.card().powered());
    std::filesystem::remove_all(dir);
}

TEST_CASE("Daemon: the registry registers the configured application after TERMINAL PROFILE") {
    Config config = sim_config(Polling::Configured);
    ApplicationConfig app;
    app.name = "DM Client";
    app.port = 1100;
    app.deliver.host = "127.0.0.1";
    app.deliver.port = 1100;
    config.applications.push_back(app);
    // The card asks for events first, then waits for the Terminal Applications ENVELOPE.
    SimDaemon sd(R"toml(
[[step]]
name = "register events"
on = "profile"
command = "set_up_event_list"
events = ["data-available", "channel-status"]
expect_result = "00"

[[step]]
name = "applications"
on = "terminal-applications"
expect_application = { type = 0x07, port = 1100 }
command = "more_time"
expect_result = "00"
)toml",
                 config, kOptions);
    std::vector<ApduRecord> records;
    sd.daemon->add_apdu_observer([&](const ApduRecord& r) { records.push_back(r); });
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.card().verdict().runs_completed == 1; }));
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);

    REQUIRE(sd.card().applications().size() == 1);
    CHECK(sd.card().applications()[0].port == 1100);
    CHECK(sd.card().applications()[0].application_type == 0x07);
    // TERMINAL PROFILE went before the ENVELOPE.
    REQUIRE(records.size() >= 2);
    CHECK(records.front().command.at(1) == 0x10);
    std::size_t envelope_at = 0;
    for (std::size_t i = 0; i < records.size(); ++i) {
        if (records[i].command.at(1) == 0xC2) {
            envelope_at = i;
            break;
        }
    }
    CHECK(envelope_at > 0);

    const auto& reg = sd.daemon->registry();
    CHECK(reg.find_registered_port(1100) != nullptr);
    CHECK(reg.applications().state() == registry::RegistrationState::Accepted);
    CHECK(sd.daemon->event_list() == std::vector<std::uint8_t>{0x09, 0x0A});
    // The events the profile announces are the ones the registry reports.
    const auto features = gateway_features().events;
    for (const auto& e : reg.events_snapshot().supported) {
        CHECK(features.contains(static_cast<cat::EventType>(e.code)));
    }
    CHECK(features.size() == reg.events_snapshot().supported.size());
}

TEST_CASE("Daemon: an injected platform event is queued only when the card registered it") {
    SimDaemon sd(R"toml(
[[step]]
name = "register user activity"
on = "profile"
command = "set_up_event_list"
events = ["user-activity"]
expect_result = "00"

[[step]]
on = "event:user-activity"
)toml",
                 sim_config(Polling::Configured), kOptions);
    sd.daemon->start();
    const bool registered = step_until(sd.io(), [&] { return sd.daemon->event_list().size() == 1; });
    INFO(sd.card().verdict().describe());
    REQUIRE(registered);
    auto& reg = sd.daemon->registry();
    auto language = registry::parse_platform_event("language", {{"language", "en"}});
    REQUIRE(language);
    CHECK_FALSE(reg.inject(language.value()));  // not in the card's list: filtered
    auto activity = registry::parse_platform_event("user-activity", {});
    REQUIRE(activity);
    CHECK(reg.inject(activity.value()));
    sd.daemon->request_status();  // pumps: the ENVELOPE goes out
    REQUIRE(step_until(sd.io(), [&] { return sd.card().verdict().runs_completed == 1; }));
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);
}

namespace {

Config config_with_dm_client(std::uint16_t deliver_port) {
    Config config = sim_config(Polling::Configured);
    ApplicationConfig app;
    app.name = "DM Client";
    app.port = 1100;
    app.deliver.host = "127.0.0.1";
    app.deliver.port = deliver_port;
    config.applications.push_back(app);
    return config;
}

}  // namespace

TEST_CASE(
    "Daemon: default scenario — Package#0 reaches the DM Client over a Terminal Server Mode TCP channel") {
    const std::uint16_t port = free_port();
    SimDaemon sd(sim::default_scenario_text(), config_with_dm_client(port), kOptions);
    TcpDmClient sink(sd.io(), port);
    sd.daemon->start();
    REQUIRE(step_until(
        sd.io(), [&] { return sd.card().verdict().runs_completed == 1 && sink.closed; }, 5000ms));
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);
    sim::Dm12Package0 package;  // what default.toml sends: server DMSC-Server, session 1
    CHECK(cat::to_hex(sink.received) == cat::to_hex(sim::encode(package)));
    CHECK(sd.daemon->stats().terminal_responses.at("00") == 4);
    CHECK(sd.daemon->bip().channels_json()["channels"].empty());
}

TEST_CASE("Daemon: OPEN CHANNEL to a registered port with nothing listening gets '3A' '07'") {
    const std::uint16_t port = free_port();  // released: nothing listens there
    SimDaemon sd(R"toml(
[[step]]
name = "register events"
on = "profile"
command = "set_up_event_list"
events = ["data-available", "channel-status"]
expect_result = "00"

[[step]]
name = "open channel"
on = "terminal-applications"
command = "open_channel"
mode = "terminal-server"
transport = "tcp"
port = "registered"
buffer_size = 1400
expect_result = "3A"
)toml",
                 config_with_dm_client(port), kOptions);
    sd.daemon->start();
    REQUIRE(step_until(
        sd.io(), [&] { return sd.card().verdict().runs_completed == 1; }, 5000ms));
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);
    bool cause07 = false;
    for (const auto& [k, v] : sd.daemon->stats().delivery_failures)
        cause07 = cause07 || k.rfind("07", 0) == 0;
    CHECK(cause07);
}

// The whole DM_SC flow in-process (docs/dm-demo.md): the daemon with the simulated card running
// gateway/sim/scenarios/dm-demo.toml (SCWS ports moved to free ones), the demo DM Client in a
// thread on real loopback sockets. Package#0 over a Terminal Server Mode channel, then the
// TLS-PSK session through the daemon's UICC server mode bridge to the card's SCWS and its DM_SC
// Server: Package#1 → GET DevInfo → Package#3 → END.
TEST_CASE("DM_SC flow: daemon + simulated card (dm-demo.toml) + demo DM Client, every step") {
    std::ifstream in(DMSC_SOURCE_DIR "/gateway/sim/scenarios/dm-demo.toml");
    REQUIRE(in);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::uint16_t http = free_port();
    const std::uint16_t https = free_port();
    auto replace = [&](const std::string& from, const std::string& to) {
        const auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        text.replace(at, from.size(), to);
    };
    replace("http_port = 3516", "http_port = " + std::to_string(http));
    replace("https_port = 4116", "https_port = " + std::to_string(https));

    demo::ClientOptions o;
    o.listen_port = 0;
    o.server_id = "DMSC-Server";
    o.psk_identity = "DMSC-DM-Client";
    REQUIRE(cat::from_hex("0123456789ABCDEF0123456789ABCDEF", o.psk_key));
    o.url = "https://127.0.0.1:" + std::to_string(https) + "/OMA/DM";
    o.timeout_s = 20;
    std::string error;
    const int fd = demo::listen_on(o, error);
    REQUIRE_MESSAGE(fd >= 0, error);
    sockaddr_in a{};
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);

    Config config = config_with_dm_client(ntohs(a.sin_port));
    config.dm_servers.push_back({"DMSC-Server", "demo notification secret", "", "", false});
    config.log.categories[LogCategory::Bip] = LogLevel::Info;  // the Package#0 inspection line
    LogCapture logs;
    SimDaemon sd(text, config, kOptions);
    std::atomic<bool> done{false};
    demo::SessionResult result;
    std::vector<std::string> transcript;
    std::thread client([&] {
        result = demo::run_once(o, fd, [&](const std::string& l) { transcript.push_back(l); });
        done = true;
    });
    sd.daemon->start();
    const bool finished = step_until(
        sd.io(), [&] { return done.load(); }, 60000ms);
    client.join();
    ::close(fd);
    REQUIRE(finished);
    INFO(result.error);
    INFO(sd.card().verdict().describe());
    CHECK(result.ok);
    CHECK(result.tls_up);
    CHECK(result.ended);
    REQUIRE(transcript.size() >= 4);
    CHECK(transcript.back() == "[4/4] DM session ended: END received");
    // The Package#0 arrived unchanged: what the scenario's step encodes, digest included, and
    // the gateway's check agrees with the card's signature.
    const auto& sent = sd.card().scenario().steps[3].command.data;
    CHECK(result.notification == sent);
    CHECK(inspect_delivery(config, result.notification).digest == DigestVerdict::Ok);
    // The daemon's delivery hook logged the inspection (docs/package0.md).
    CHECK(logs.contains("delivery to DM Client (tcp://127.0.0.1:"));
    CHECK(logs.contains(
        "DM 2.0 Package#0: server \"DMSC-Server\", notification id 7, SHA256 digest; digest ok"));
    REQUIRE(sd.card().dm_server() != nullptr);
    const auto& outcome = sd.card().dm_server()->outcome();
    CHECK(outcome.ok());
    CHECK(outcome.notification_id == 7u);
    CHECK(outcome.devinfo.at("DevID") == o.devinfo.dev_id);
    CHECK(sd.card().verdict().failures.empty());
}

namespace {

// A stand-in DM Client on plain POSIX sockets, stepped from the test's loop: a listener whose
// accepted connections start with a tiny receive window (SO_RCVBUF 2048, TCP_MAXSEG 536 on the
// listener, so the daemon's loopback send queue stays small too) and are read only when the
// test says so.
struct StalledDmClient {
    int listener = -1;
    std::vector<int> conns;
    std::vector<cat::Bytes> received;
    std::vector<int> end_errno;  // per connection: 0 while open, -1 clean end, else errno
    std::vector<bool> reading;

    explicit StalledDmClient(std::uint16_t port) {
        listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        REQUIRE(listener >= 0);
        int one = 1;
        int rcvbuf = 2048;
        int mss = 536;
        ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        ::setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        ::setsockopt(listener, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(listener, 8) == 0);
    }
    ~StalledDmClient() {
        for (int fd : conns) ::close(fd);
        ::close(listener);
    }
    // Accepts what is waiting; reads every connection marked for reading.
    void poll() {
        for (;;) {
            const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) break;
            conns.push_back(fd);
            received.emplace_back();
            end_errno.push_back(0);
            reading.push_back(conns.size() > 1);  // the first connection is the stalled one
        }
        for (std::size_t i = 0; i < conns.size(); ++i) {
            while (reading[i] && end_errno[i] == 0) {
                std::array<std::uint8_t, 4096> buf{};
                const ssize_t n = ::recv(conns[i], buf.data(), buf.size(), 0);
                if (n > 0) {
                    received[i].insert(received[i].end(), buf.begin(), buf.begin() + n);
                } else if (n == 0) {
                    end_errno[i] = -1;
                } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    break;
                } else {
                    end_errno[i] = errno;
                }
            }
        }
    }
    // Bytes waiting unread in a connection's receive queue (the DM Client's kernel has them).
    int unread(std::size_t i) const {
        int n = 0;
        return ::ioctl(conns.at(i), FIONREAD, &n) == 0 ? n : -1;
    }
};

cat::Bytes big_message(std::size_t n) {
    cat::Bytes m(n);
    for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<std::uint8_t>((i * 7 + i / 251) & 0xFF);
    return m;
}

}  // namespace

// docs/bip.md "A SEND DATA answered '20'": the DM Client does not read, the send immediately
// cannot be written within card.pending_timeout_ms, the session answers '20'. The connection
// is reset at that moment: not one byte of the SEND DATA reaches the DM Client afterwards (it
// reads what its socket already held, then ECONNRESET; never the whole message), and the
// card's retry on the same channel goes out on a new connection, delivered exactly once.
TEST_CASE("Daemon: a SEND DATA answered '20' is never delivered later; the card's retry arrives once") {
    const std::uint16_t port = free_port();
    const cat::Bytes message = big_message(60000);  // well beyond the stalled connection's pipe
    const std::string hex = cat::to_hex(message);
    const std::string scenario = R"toml(
[[step]]
name = "register events"
on = "profile"
command = "set_up_event_list"
events = ["data-available", "channel-status"]
expect_result = "00"

[[step]]
name = "open channel"
on = "terminal-applications"
command = "open_channel"
port = "registered"
buffer_size = 65535
expect_result = "00"

[[step]]
name = "send, the DM Client does not read"
on = "response"
command = "send_data"
chunk = 240
data = ")toml" + hex + R"toml("
expect_result = ["00", "20"]

[[step]]
name = "the card sends it again"
on = "response"
command = "send_data"
chunk = 240
data = ")toml" + hex + R"toml("
expect_result = "00"

[[step]]
name = "close"
on = "response"
command = "close_channel"
expect_result = "00"
)toml";
    Config config = config_with_dm_client(port);
    config.bip.buffer_size = 65535;
    config.card.pending_timeout_ms = 400;
    StalledDmClient dm(port);
    SimDaemon sd(scenario, config, kOptions);
    sd.daemon->start();

    // Until the session gave up on the send immediately.
    REQUIRE(step_until(
        sd.io(),
        [&] {
            dm.poll();
            return sd.daemon->stats().handler_timeouts >= 1;
        },
        20000ms));
    REQUIRE(dm.conns.size() >= 1);
    const int held = dm.unread(0);  // what the stalled DM Client's kernel had at the '20'
    INFO("unread on the stalled connection at the '20': " << held);
    CHECK(held >= 0);
    CHECK(static_cast<std::size_t>(held) < message.size());
    dm.reading[0] = true;  // the stalled DM Client reads now

    REQUIRE(step_until(
        sd.io(),
        [&] {
            dm.poll();
            return sd.card().verdict().runs_completed == 1 && dm.conns.size() >= 2 && dm.end_errno[1] != 0 &&
                   dm.end_errno[0] != 0;
        },
        20000ms));
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);
    const auto& st = sd.daemon->stats();
    CHECK(st.handler_timeouts == 1);
    CHECK(st.terminal_responses.at("20") == 1);
    CHECK(sd.daemon->bip().resets() == 1);
    CHECK(sd.daemon->bip().channels_json()["send_resets"] == 1);
    // The stalled connection: exactly what its socket held at the '20', a prefix of the
    // message, then a reset, not a clean end.
    REQUIRE(dm.conns.size() == 2);
    CHECK(dm.received[0].size() == static_cast<std::size_t>(held));
    CHECK(std::equal(dm.received[0].begin(), dm.received[0].end(), message.begin()));
    CHECK(dm.end_errno[0] == ECONNRESET);
    // The retry: a second connection carrying the message exactly once, closed cleanly by the
    // card's CLOSE CHANNEL.
    CHECK(dm.received[1] == message);
    CHECK(dm.end_errno[1] == -1);
}

// The same, with an earlier SEND DATA answered '00' whose bytes are still in the kernel's send
// queue (the DM Client has not acknowledged them) when the next one is answered '20': the reset
// waits until they reached the DM Client, so it gets the earlier message whole, then at most a
// part of the abandoned one, then ECONNRESET; the retry arrives once on a new connection.
TEST_CASE(
    "Daemon: a SEND DATA '20' reset keeps the earlier '00' message whole for a DM Client that reads late") {
    const std::uint16_t port = free_port();
    const cat::Bytes first = big_message(12000);  // answered '00': the kernel took it all
    cat::Bytes second = big_message(60000);
    std::reverse(second.begin(), second.end());
    const std::string scenario = R"toml(
[[step]]
name = "register events"
on = "profile"
command = "set_up_event_list"
events = ["data-available", "channel-status"]
expect_result = "00"

[[step]]
name = "open channel"
on = "terminal-applications"
command = "open_channel"
port = "registered"
buffer_size = 65535
expect_result = "00"

[[step]]
name = "first message"
on = "response"
command = "send_data"
chunk = 240
data = ")toml" + cat::to_hex(first) +
                                 R"toml("
expect_result = "00"

[[step]]
name = "second message, the DM Client does not read"
on = "response"
command = "send_data"
chunk = 240
data = ")toml" + cat::to_hex(second) +
                                 R"toml("
expect_result = ["00", "20"]

[[step]]
name = "the card sends it again"
on = "response"
command = "send_data"
chunk = 240
data = ")toml" + cat::to_hex(second) +
                                 R"toml("
expect_result = "00"

[[step]]
name = "close"
on = "response"
command = "close_channel"
expect_result = "00"
)toml";
    Config config = config_with_dm_client(port);
    config.bip.buffer_size = 65535;
    config.card.pending_timeout_ms = 400;
    StalledDmClient dm(port);
    SimDaemon sd(scenario, config, kOptions);
    sd.daemon->start();
    REQUIRE(step_until(
        sd.io(),
        [&] {
            dm.poll();
            return sd.daemon->stats().handler_timeouts >= 1;
        },
        20000ms));
    REQUIRE(dm.conns.size() >= 1);
    CHECK(static_cast<std::size_t>(dm.unread(0)) < first.size());  // the first one is not all there yet
    dm.reading[0] = true;
    REQUIRE(step_until(
        sd.io(),
        [&] {
            dm.poll();
            return sd.card().verdict().runs_completed == 1 && dm.conns.size() >= 2 && dm.end_errno[0] != 0 &&
                   dm.end_errno[1] != 0;
        },
        20000ms));
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);
    CHECK(sd.daemon->stats().terminal_responses.at("20") == 1);
    REQUIRE(dm.conns.size() == 2);
    const cat::Bytes& got = dm.received[0];
    INFO("first connection: " << got.size() << " bytes");
    REQUIRE(got.size() >= first.size());
    CHECK(std::equal(first.begin(), first.end(), got.begin()));  // the '00' message, whole
    const std::size_t rest = got.size() - first.size();
    CHECK(rest < second.size());  // never the whole '20' message
    CHECK(std::equal(got.begin() + static_cast<std::ptrdiff_t>(first.size()), got.end(), second.begin()));
    CHECK(dm.end_errno[0] == ECONNRESET);
    CHECK(dm.received[1] == second);
    CHECK(dm.end_errno[1] == -1);
}
