// tests/e2e/pcsc_link_check.cpp — PcscLink against a real pcscd + vpcd and the fixture's mini
// virtual card: card_ready with the ATR, APDUs both ways, throughput, removal/re-insertion,
// pcscd killed and restarted, reset, stop. Run by tests/e2e/fixture.py, which answers the
// '@' requests printed here (card remove/insert, pcscd kill/start) on stdin.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

#include "cat/bytes.hpp"
#include "gateway/pcsc_link.hpp"

namespace {

using namespace dmsc;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int failures = 0;

void check(bool ok, const std::string& what) {
    std::cout << (ok ? "ok   " : "FAIL ") << what << std::endl;
    if (!ok) ++failures;
}

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// One request to the fixture, one reply line back.
std::string fixture(const std::string& request) {
    std::cout << '@' << request << std::endl;
    std::string reply;
    if (!std::getline(std::cin, reply)) reply = "error fixture gone";
    return reply;
}

struct Observed {
    int ready = 0;
    int gone = 0;
    gateway::CardInfo info;
    std::string gone_reason;
};

class Check {
public:
    Check() : guard_(io_.get_executor()) {}

    // Runs the loop until `done()` or the timeout; false on timeout.
    bool run_until(const std::function<bool()>& done, milliseconds timeout) {
        auto deadline = Clock::now() + timeout;
        while (!done()) {
            if (Clock::now() >= deadline) return false;
            io_.run_one_until(deadline);
        }
        return true;
    }

    std::optional<gateway::TransmitResult> transmit(gateway::CardLink& link, const cat::Bytes& apdu,
                                                    milliseconds timeout = milliseconds(3000)) {
        std::optional<gateway::TransmitResult> result;
        link.transmit(apdu, [&](gateway::TransmitResult r) { result = std::move(r); });
        if (!run_until([&] { return result.has_value(); }, timeout)) return std::nullopt;
        return result;
    }

    boost::asio::io_context& io() { return io_; }

private:
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
};

cat::Bytes hex(const char* text) {
    cat::Bytes out;
    cat::from_hex(text, out);
    return out;
}

bool is_9000(const std::optional<gateway::TransmitResult>& r) {
    return r && r->ok && r->response == cat::Bytes{0x90, 0x00};
}

}  // namespace

int main() {
    Check c;
    Observed seen;
    gateway::PcscOptions options;
    options.reader = "Virtual PCD";
    options.log = [](gateway::PcscOptions::LogLevel level, const std::string& text) {
        if (level != gateway::PcscOptions::LogLevel::Debug || std::getenv("DMSC_E2E_DEBUG"))
            std::cout << "  pcsc: " << text << std::endl;
    };
    auto link = gateway::make_pcsc_link(c.io(), options);
    gateway::CardLink::Callbacks callbacks;
    callbacks.card_ready = [&](const gateway::CardInfo& info) {
        ++seen.ready;
        seen.info = info;
    };
    callbacks.card_gone = [&](const std::string& reason) {
        ++seen.gone;
        seen.gone_reason = reason;
    };
    callbacks.warning = [](const std::string& m) { std::cout << "  warning: " << m << std::endl; };

    const auto terminal_profile = hex("801000000A FFFFFFFF7F0000DFFF00");
    auto t0 = Clock::now();
    link->start(callbacks);
    check(c.run_until([&] { return seen.ready == 1; }, milliseconds(5000)), "card_ready after start");
    std::printf("  start -> card_ready: %.1f ms\n", ms_since(t0));
    check(cat::to_hex(seen.info.atr).rfind("3B9F96801FC7", 0) == 0, "ATR " + cat::to_hex(seen.info.atr));
    check(seen.info.link == "pcsc" && seen.info.reader.find("Virtual PCD") != std::string::npos,
          "reader '" + seen.info.reader + "' protocol " + seen.info.protocol);

    check(is_9000(c.transmit(*link, terminal_profile)), "TERMINAL PROFILE answered 90 00");
    auto echo = c.transmit(*link, hex("80EE000005 0102030405"));
    check(echo && echo->ok && echo->response == hex("0102030405 9000"), "data both ways (echo)");

    // Throughput: sequential, one outstanding, as the daemon drives the card.
    {
        const auto apdu = hex("80F2000000");
        int count = 0;
        bool ok = true;
        auto start = Clock::now();
        while (ok && Clock::now() - start < milliseconds(2000)) {
            auto r = c.transmit(*link, apdu);
            ok = is_9000(r);
            ++count;
        }
        double secs = ms_since(start) / 1000.0;
        check(ok, "throughput run without error");
        std::printf("  APDU/s: %.0f (%d in %.2f s)\n", count / secs, count, secs);
    }

    // Removal and re-insertion.
    {
        auto t = Clock::now();
        check(fixture("card remove") == "ok", "fixture removed the card");
        check(c.run_until([&] { return seen.gone == 1; }, milliseconds(5000)), "card_gone on removal");
        std::printf("  removal -> card_gone: %.1f ms (%s)\n", ms_since(t), seen.gone_reason.c_str());
        auto r = c.transmit(*link, terminal_profile);
        check(r && !r->ok && r->card_gone, "transmit without a card fails with card_gone");
        t = Clock::now();
        check(fixture("card insert") == "ok", "fixture inserted the card");
        check(c.run_until([&] { return seen.ready == 2; }, milliseconds(5000)), "card_ready on re-insertion");
        std::printf("  insertion -> card_ready: %.1f ms\n", ms_since(t));
        check(is_9000(c.transmit(*link, terminal_profile)), "TERMINAL PROFILE after re-insertion");
    }

    // Removal while the daemon is mid-exchange: the transmit reports card_gone itself.
    {
        check(fixture("card remove") == "ok", "fixture removed the card (2)");
        auto r = c.transmit(*link, terminal_profile);
        check(r && !r->ok && r->card_gone, "transmit right after removal fails with card_gone: " +
                                               (r ? r->error : std::string("timeout")));
        check(c.run_until([&] { return seen.gone == 2; }, milliseconds(5000)), "card_gone (2)");
        check(fixture("card insert") == "ok", "fixture inserted the card (2)");
        check(c.run_until([&] { return seen.ready == 3; }, milliseconds(5000)), "card_ready (2)");
    }

    // pcscd killed (crash) and started again, then stopped cleanly and started again.
    for (const char* how : {"kill", "term"}) {
        int gone = seen.gone;
        int ready = seen.ready;
        auto t = Clock::now();
        check(fixture(std::string("pcscd ") + how) == "ok", std::string("pcscd ") + how);
        check(c.run_until([&] { return seen.gone == gone + 1; }, milliseconds(5000)),
              std::string("card_gone after pcscd ") + how);
        std::printf("  pcscd %s -> card_gone: %.1f ms (%s)\n", how, ms_since(t), seen.gone_reason.c_str());
        t = Clock::now();
        check(fixture("pcscd start") == "ok", "pcscd started again");
        check(c.run_until([&] { return seen.ready == ready + 1; }, milliseconds(10000)),
              "card_ready after pcscd restart");
        std::printf("  pcscd start -> card_ready: %.1f ms\n", ms_since(t));
        check(is_9000(c.transmit(*link, terminal_profile)), "TERMINAL PROFILE after pcscd restart");
    }

    // Warm reset through SCardReconnect.
    {
        int ready = seen.ready;
        link->reset();
        check(c.run_until([&] { return seen.ready == ready + 1; }, milliseconds(5000)),
              "card_ready after reset()");
        check(is_9000(c.transmit(*link, terminal_profile)), "TERMINAL PROFILE after reset");
    }

    auto stats = fixture("card stats");
    std::cout << "  card " << stats << std::endl;
    auto t = Clock::now();
    link->stop();
    std::printf("  stop(): %.1f ms\n", ms_since(t));
    bool after_stop = false;
    link->transmit(terminal_profile, [&](gateway::TransmitResult r) { after_stop = !r.ok; });
    check(c.run_until([&] { return after_stop; }, milliseconds(1000)), "transmit after stop() fails at once");
    // SCardDisconnect(SCARD_UNPOWER_CARD) reaches the virtual card as vpcd's power-off (0).
    auto powered_off = [](const std::string& s) {
        auto at = s.find("\"power_off\": ");
        return at == std::string::npos ? -1 : std::atoi(s.c_str() + at + 13);
    };
    auto stats_after = fixture("card stats");
    check(powered_off(stats_after) > powered_off(stats), "stop() powered the card down: " + stats_after);

    // A link started before its card and before pcscd: waits quietly, then card_ready.
    {
        check(fixture("card remove") == "ok", "fixture removed the card (3)");
        check(fixture("pcscd term") == "ok", "pcscd stopped before the link starts");
        Observed late;
        gateway::CardLink::Callbacks cb;
        cb.card_ready = [&](const gateway::CardInfo&) { ++late.ready; };
        cb.card_gone = [&](const std::string&) { ++late.gone; };
        auto link2 = gateway::make_pcsc_link(c.io(), options);
        link2->start(cb);
        c.run_until([] { return false; }, milliseconds(300));
        check(late.ready == 0, "no card_ready without pcscd");
        auto t1 = Clock::now();
        check(fixture("pcscd start") == "ok", "pcscd started after the link");
        c.run_until([] { return false; }, milliseconds(500));
        check(late.ready == 0, "no card_ready without a card");
        t1 = Clock::now();
        check(fixture("card insert") == "ok", "card inserted after the link started");
        check(c.run_until([&] { return late.ready == 1; }, milliseconds(5000)),
              "card_ready once card and pcscd are there");
        std::printf("  late insertion -> card_ready: %.1f ms\n", ms_since(t1));
        check(is_9000(c.transmit(*link2, terminal_profile)), "TERMINAL PROFILE on the late link");
        link2->stop();
    }

    std::cout << (failures ? "FAILED: " : "PASSED: ") << failures << " failure(s)" << std::endl;
    return failures ? 1 : 0;
}
