// tests/gateway/sim_daemon.hpp — a Daemon in-process with the simulated UICC, stepped by the
// test (no sleeps): SimDaemon, step_until, sim_config, LogCapture.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/daemon.hpp"
#include "gateway/log.hpp"
#include "gateway/sim/sim_link.hpp"

namespace dmsc::gateway::test {

// Steps the loop until `done` holds (or a generous limit passes: false). The simulated card
// posts every answer, so each step moves the conversation on.
template <class Pred>
bool step_until(boost::asio::io_context& io, Pred done,
                std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        if (io.stopped()) io.restart();
        io.run_for(std::chrono::milliseconds(2));
    }
    return true;
}

inline Config sim_config() {
    Config c = default_config();
    c.card.link = LinkKind::Sim;
    c.card.poll_interval_ms = 0;  // no STATUS unless a test asks (a step may wait for one)
    c.debug.socket = "";
    c.log.level = LogLevel::Error;
    return c;
}

// A daemon whose link is a SimLink the test keeps a handle on.
struct SimDaemon {
    sim::SimLink* link = nullptr;
    std::unique_ptr<Daemon> daemon;

    explicit SimDaemon(std::string_view scenario_text, Config config = sim_config(),
                       std::string source = "test.toml") {
        DaemonOptions o;
        o.handle_signals = false;
        const std::string text(scenario_text);
        o.link_factory = [this, text, source](boost::asio::io_context& io,
                                              const Config&) -> std::unique_ptr<CardLink> {
            auto l = sim::make_sim_link(io, sim::parse_scenario(text, source));
            link = l.get();
            return l;
        };
        daemon = std::make_unique<Daemon>(std::move(config), std::move(o));
    }
    boost::asio::io_context& io() { return daemon->io(); }
    sim::Card& card() { return link->card(); }
    bool completed(std::size_t runs = 1) {
        return link != nullptr && card().verdict().runs_completed >= runs;
    }
    // The card's verdict and its log, for INFO().
    std::string report() {
        std::string s = card().verdict().describe();
        for (const auto& e : card().log()) s += "\n  #" + std::to_string(e.apdu) + " " + e.text;
        return s;
    }
};

// Captures log lines for the duration of a test.
struct LogCapture {
    std::vector<std::string> lines;
    LogCapture() {
        Logger::instance().set_sink([this](LogLevel, std::string_view line) { lines.emplace_back(line); });
    }
    ~LogCapture() { Logger::instance().set_sink({}); }
    bool contains(std::string_view text) const {
        for (const auto& l : lines) {
            if (l.find(text) != std::string::npos) return true;
        }
        return false;
    }
};

}  // namespace dmsc::gateway::test
