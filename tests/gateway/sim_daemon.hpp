// tests/gateway/sim_daemon.hpp — the one in-process harness of the gateway tests: a Daemon with
// the simulated UICC, stepped by the test (no sleeps). SimDaemon, step_until, sim_config,
// LogCapture, TcpDmClient (a stand-in DM Client), free_port. What differs between tests (STATUS
// polling, signal handling, APDU recording, step limits) is a parameter the test names.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cat/bytes.hpp"
#include "gateway/daemon.hpp"
#include "gateway/log.hpp"
#include "gateway/sim/sim_link.hpp"

namespace dmsc::gateway::test {

// Steps the loop until `done` holds (or `limit` passes: false). The simulated card posts every
// answer, so each step moves the conversation on.
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

// STATUS polling of a sim_config().
enum class Polling {
    Off,         // card.poll_interval_ms = 0: no STATUS unless the card asks (POLL INTERVAL)
    Configured,  // default_config()'s card.poll_interval_ms
};

// The simulated card, no debug socket, errors only in the log.
inline Config sim_config(Polling polling = Polling::Off) {
    Config c = default_config();
    c.card.link = LinkKind::Sim;
    if (polling == Polling::Off) c.card.poll_interval_ms = 0;  // a step may wait for a STATUS
    c.debug.socket = "";
    c.log.level = LogLevel::Error;
    return c;
}

// How a SimDaemon is built, beyond its Config.
struct SimOptions {
    std::string source = "test.toml";  // the scenario's file name in its messages
    bool handle_signals = false;       // the Daemon's SIGHUP/SIGTERM handling
    bool record_apdus = false;         // keep every exchange in SimDaemon::records
};

// A daemon whose link is a SimLink the test keeps a handle on.
struct SimDaemon {
    sim::SimLink* link = nullptr;
    std::unique_ptr<Daemon> daemon;
    std::vector<ApduRecord> records;  // with SimOptions::record_apdus

    explicit SimDaemon(std::string_view scenario_text, Config config = sim_config(),
                       SimOptions options = {}) {
        DaemonOptions o;
        o.handle_signals = options.handle_signals;
        const std::string text(scenario_text);
        o.link_factory = [this, text, source = options.source](boost::asio::io_context& io,
                                                               const Config&) -> std::unique_ptr<CardLink> {
            auto l = sim::make_sim_link(io, sim::parse_scenario(text, source));
            link = l.get();
            return l;
        };
        daemon = std::make_unique<Daemon>(std::move(config), std::move(o));
        if (options.record_apdus) {
            daemon->add_apdu_observer([this](const ApduRecord& r) { records.push_back(r); });
        }
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
    // How many recorded commands had this INS.
    std::size_t count_ins(std::uint8_t ins) const {
        std::size_t n = 0;
        for (const auto& r : records) n += r.command.size() > 1 && r.command[1] == ins ? 1 : 0;
        return n;
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

// A free loopback TCP port (bound and released at once).
inline std::uint16_t free_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

// The DM Client side of Terminal Server Mode: one TCP listener on 127.0.0.1:port that accepts
// one connection, keeps every byte it reads, can answer, and records when the gateway closes it.
struct TcpDmClient {
    boost::asio::ip::tcp::acceptor acceptor;
    std::optional<boost::asio::ip::tcp::socket> peer;
    std::array<std::uint8_t, 512> buffer{};
    cat::Bytes received;
    bool connected = false;
    bool closed = false;

    TcpDmClient(boost::asio::io_context& io, std::uint16_t port)
        : acceptor(io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port)) {
        acceptor.async_accept([this](const boost::system::error_code& ec, boost::asio::ip::tcp::socket s) {
            if (ec) return;
            peer.emplace(std::move(s));
            connected = true;
            read();
        });
    }
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }
    void read() {
        peer->async_read_some(boost::asio::buffer(buffer),
                              [this](const boost::system::error_code& ec, std::size_t n) {
                                  received.insert(received.end(), buffer.begin(), buffer.begin() + n);
                                  if (ec) {
                                      closed = true;
                                      return;
                                  }
                                  read();
                              });
    }
    void write(const std::string& text) { boost::asio::write(*peer, boost::asio::buffer(text)); }
};

}  // namespace dmsc::gateway::test
