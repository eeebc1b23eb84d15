// bench/dmsc_bench.cpp — measurements of the gateway against a bare baseline taken in the same
// run (bench/README.md). Never run by `meson test`; bench/run.sh drives it.
//
//   dmsc-bench cycles N [--link sim|pcsc] [--reader NAME]
//       N proactive cycles (FETCH → decode → handler → TERMINAL RESPONSE of MORE TIME) through
//       the real Daemon (cat::Session + registry + BIP handlers) on the link, recording every
//       C-APDU; then the same C-APDUs replayed back to back on a fresh link (no CAT logic).
//       With --link pcsc a dmsc-simcard playing `cycles_scenario(N)` must sit in the reader
//       (bench/run.py starts it); with sim the card is in-process.
//   dmsc-bench latency N [--card-delay-us D]
//       N notifications (OPEN CHANNEL, SEND DATA of a Package#0, CLOSE CHANNEL) from the
//       in-process simulated card to a TCP DM Client in this process: time from the moment the
//       link hands the daemon the SEND DATA command to the last byte read by the client; vs a
//       bare loopback TCP write of the same bytes (write → last byte read), N times. With D,
//       the simulated card answers each APDU after D µs (a real card's pace: the daemon is idle
//       between APDUs instead of running flat out against the DM Client thread for the CPU).
//   dmsc-bench scenario cycles|notify N      print the scenario used (for dmsc-simcard)
//   dmsc-bench package0                      the Package#0 the simulated card sends, hex
// Output: one JSON object on stdout.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop
#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "cat/bytes.hpp"
#include "dmsc_config.h"
#include "gateway/daemon.hpp"
#include "gateway/sim/scenario.hpp"
#include "gateway/sim/sim_link.hpp"
#if DMSC_HAVE_PCSC
#include "gateway/pcsc_link.hpp"
#endif

namespace {

using namespace dmsc;
using namespace dmsc::gateway;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

std::string cycles_scenario(std::size_t n) {
    return "[scenario]\nname = \"bench-cycles\"\nrepeat = " + std::to_string(n) +
           "\n\n[[step]]\nname = \"more time\"\non = \"profile\"\ncommand = \"more_time\"\nexpect_result = "
           "\"00\"\n";
}

std::string notify_scenario(std::size_t n) {
    return "[scenario]\nname = \"bench-notify\"\nrepeat = " + std::to_string(n) + R"(

[[step]]
name = "open"
on = "terminal-applications"
command = "open_channel"
port = "registered"
expect_result = "00"

[[step]]
name = "Package#0"
on = "response"
command = "send_data"
payload = "dm12-package0"
expect_result = "00"

[[step]]
name = "close"
on = "response"
command = "close_channel"
expect_result = "00"
)";
}

// A CardLink around another: records every C-APDU, counts TERMINAL RESPONSEs, and timestamps
// the moment a FETCH answer carrying SEND DATA (send immediately) is handed to the daemon.
class TapLink : public CardLink {
public:
    explicit TapLink(std::unique_ptr<CardLink> inner) : inner_(std::move(inner)) {}
    void start(Callbacks c) override { inner_->start(std::move(c)); }
    void transmit(cat::Bytes command, TransmitHandler done) override {
        if (!first_) first_ = Clock::now();
        const bool tr = command.size() > 1 && command[1] == 0x14;
        commands.push_back(command);
        inner_->transmit(std::move(command), [this, tr, done = std::move(done)](TransmitResult r) mutable {
            if (!io_ || delay_.count() == 0) return deliver(tr, std::move(done), std::move(r));
            // A card that takes `delay_` per APDU (a real UICC takes milliseconds): the daemon
            // is idle in between, as it is with real hardware.
            auto timer = std::make_shared<boost::asio::steady_timer>(*io_, delay_);
            timer->async_wait([this, timer, tr, done = std::move(done),
                               r = std::move(r)](const boost::system::error_code&) mutable {
                deliver(tr, std::move(done), std::move(r));
            });
        });
    }
    void set_card_delay(boost::asio::io_context& io, std::chrono::microseconds d) {
        io_ = &io;
        delay_ = d;
    }
    void reset() override { inner_->reset(); }
    void stop() override { inner_->stop(); }
    std::string name() const override { return inner_->name(); }

    std::vector<cat::Bytes> commands;
    std::vector<Clock::time_point> send_data_at;
    std::size_t terminal_responses = 0;
    std::optional<Clock::time_point> first_;
    std::function<void()> on_terminal_response;

private:
    void deliver(bool tr, TransmitHandler done, TransmitResult r) {
        if (r.ok && r.response.size() > 12 && r.response[0] == 0xD0) {
            // 'D0' L, '81 03 nn 43 qq': SEND DATA; qualifier bit 1 = send immediately.
            const std::size_t at = r.response[1] == 0x81 ? 3 : 2;
            if (r.response[at + 3] == 0x43 && (r.response[at + 4] & 1)) send_data_at.push_back(Clock::now());
        }
        if (tr) {
            ++terminal_responses;
            if (on_terminal_response) on_terminal_response();
        }
        done(std::move(r));
    }
    std::unique_ptr<CardLink> inner_;
    boost::asio::io_context* io_ = nullptr;
    std::chrono::microseconds delay_{0};
};

std::unique_ptr<CardLink> make_link(boost::asio::io_context& io, const std::string& kind,
                                    const std::string& reader, const std::string& scenario) {
    if (kind == "sim") return sim::make_sim_link(io, sim::parse_scenario(scenario, "bench.toml"));
#if DMSC_HAVE_PCSC
    PcscOptions o;
    o.reader = reader;
    o.log = [](PcscOptions::LogLevel, const std::string&) {};
    return make_pcsc_link(io, o);
#else
    (void)reader;
    throw std::runtime_error("built without PC/SC");
#endif
}

Config bench_config(std::uint16_t port) {
    Config c = default_config();
    c.card.link = LinkKind::Sim;
    c.debug.socket = "";
    c.log.level = LogLevel::Error;
    c.card.poll_interval_ms = 0;  // no STATUS in the measured loop
    if (port != 0) {
        c.applications.clear();
        ApplicationConfig a;
        a.name = "DM Client";
        a.type = 0x07;
        a.port = port;
        a.deliver = DeliverUri{DeliverScheme::Tcp, "127.0.0.1", port, ""};
        c.applications.push_back(a);
    }
    return c;
}

double us(Clock::duration d) {
    return std::chrono::duration<double, std::micro>(d).count();
}

// ---- cycles ---------------------------------------------------------------------------------

json cycles(std::size_t n, const std::string& kind, const std::string& reader) {
    const std::string scenario = cycles_scenario(n);
    // Through the gateway: TERMINAL PROFILE, then n × (FETCH MORE TIME, TERMINAL RESPONSE).
    TapLink* tap = nullptr;  // owned by the Daemon: read before it goes
    Clock::time_point end{}, first{};
    std::size_t responses = 0;
    std::vector<cat::Bytes> recorded;
    {
        DaemonOptions o;
        o.handle_signals = false;
        o.link_factory = [&](boost::asio::io_context& io, const Config&) -> std::unique_ptr<CardLink> {
            auto t = std::make_unique<TapLink>(make_link(io, kind, reader, scenario));
            tap = t.get();
            return t;
        };
        Daemon d(bench_config(0), std::move(o));
        d.start();
        tap->on_terminal_response = [&] {
            if (tap->terminal_responses == n) {
                end = Clock::now();
                boost::asio::post(d.io(), [&d] { d.stop(); });
            }
        };
        boost::asio::steady_timer watchdog(d.io(), std::chrono::seconds(60));
        watchdog.async_wait([&d](const boost::system::error_code& e) {
            if (!e) d.stop();
        });
        d.run();
        responses = tap->terminal_responses;
        first = tap->first_.value_or(end);
        recorded = std::move(tap->commands);
    }
    if (responses < n) throw std::runtime_error("the gateway run stopped early");
    const auto gateway_time = end - first;

    // Bare: the same C-APDUs on a fresh link, each sent when the previous answer is in.
    boost::asio::io_context io;
    auto guard = boost::asio::make_work_guard(io);  // the pcsc link posts from its own thread
    auto link = make_link(io, kind, reader, scenario);
    std::size_t i = 0;
    Clock::time_point t0{}, t1{};
    std::size_t failures = 0;
    std::function<void()> next = [&] {
        if (i == recorded.size()) {
            t1 = Clock::now();
            link->stop();
            io.stop();
            return;
        }
        link->transmit(recorded[i++], [&](TransmitResult r) {
            if (!r.ok) ++failures;
            next();
        });
    };
    bool started = false;
    link->start({[&](const CardInfo&) {
                     if (started) return;
                     started = true;
                     t0 = Clock::now();
                     next();
                 },
                 [](const std::string&) {}, [](const std::string&) {}});
    io.run();
    if (failures > 0)
        throw std::runtime_error(std::to_string(failures) +
                                 " of the replayed APDUs failed (card not ready?)");
    const auto bare_time = t1 - t0;
    const double apdus = static_cast<double>(recorded.size());
    return {{"link", kind},
            {"cycles", n},
            {"apdus", recorded.size()},
            {"gateway_us_per_cycle", us(gateway_time) / static_cast<double>(n)},
            {"bare_us_per_cycle", us(bare_time) / static_cast<double>(n)},
            {"gateway_apdu_per_s", apdus / std::chrono::duration<double>(gateway_time).count()},
            {"bare_apdu_per_s", apdus / std::chrono::duration<double>(bare_time).count()},
            {"bare_failures", failures},
            {"ratio", std::chrono::duration<double>(gateway_time).count() /
                          std::chrono::duration<double>(bare_time).count()}};
}

// ---- latency --------------------------------------------------------------------------------

int listen_on(std::uint16_t& port) {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s, 16) != 0)
        throw std::runtime_error(std::string("bind/listen: ") + std::strerror(errno));
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return s;
}

// Reads exactly `want` bytes; returns the time the last one arrived (nullopt: EOF first).
std::optional<Clock::time_point> read_exactly(int fd, std::size_t want, cat::Bytes& into) {
    into.clear();
    std::uint8_t buf[4096];
    while (into.size() < want) {
        const ssize_t k = ::recv(fd, buf, std::min(sizeof buf, want - into.size()), 0);
        if (k <= 0) return std::nullopt;
        into.insert(into.end(), buf, buf + k);
    }
    return Clock::now();
}

struct Summary {
    double median = 0, p90 = 0, min = 0;
};
Summary summarize(std::vector<double> v) {
    Summary s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    s.median = v[v.size() / 2];
    s.p90 = v[v.size() * 9 / 10];
    s.min = v.front();
    return s;
}

json latency(std::size_t n, std::chrono::microseconds card_delay) {
    const cat::Bytes package0 = sim::encode(sim::Dm12Package0{});
    std::uint16_t port = 0;
    const int srv = listen_on(port);
    std::vector<Clock::time_point> received;
    std::size_t wrong = 0;
    // The DM Client: one thread polling the listener and every open connection, so a new
    // connection is accepted and its bytes read as soon as they are there.
    std::thread client([&] {
        std::vector<pollfd> fds{{srv, POLLIN, 0}};
        std::vector<cat::Bytes> bufs{{}};
        while (received.size() < n) {
            if (::poll(fds.data(), fds.size(), 5000) <= 0) return;
            const auto now = Clock::now();
            for (std::size_t k = 1; k < fds.size(); ++k) {
                if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                std::uint8_t buf[4096];
                const ssize_t got = ::recv(fds[k].fd, buf, sizeof buf, 0);
                if (got > 0) {
                    bufs[k].insert(bufs[k].end(), buf, buf + got);
                    if (bufs[k].size() == package0.size()) received.push_back(now);
                    continue;
                }
                if (bufs[k] != package0) ++wrong;
                ::close(fds[k].fd);
                fds[k].fd = -1;
            }
            for (std::size_t k = fds.size(); k-- > 1;) {
                if (fds[k].fd < 0) {
                    fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(k));
                    bufs.erase(bufs.begin() + static_cast<std::ptrdiff_t>(k));
                }
            }
            if (fds[0].revents & POLLIN) {
                const int c = ::accept(srv, nullptr, nullptr);
                if (c >= 0) {
                    fds.push_back({c, POLLIN, 0});
                    bufs.emplace_back();
                }
            }
        }
        for (std::size_t k = 1; k < fds.size(); ++k) ::close(fds[k].fd);
    });
    TapLink* tap = nullptr;  // owned by the Daemon: read before it goes
    std::vector<Clock::time_point> send_data_at;
    {
        DaemonOptions o;
        o.handle_signals = false;
        o.link_factory = [&](boost::asio::io_context& io, const Config&) -> std::unique_ptr<CardLink> {
            auto t = std::make_unique<TapLink>(make_link(io, "sim", "", notify_scenario(n)));
            t->set_card_delay(io, card_delay);
            tap = t.get();
            return t;
        };
        Daemon d(bench_config(port), std::move(o));
        d.start();
        // 3 TERMINAL RESPONSEs per notification (OPEN, SEND, CLOSE).
        tap->on_terminal_response = [&] {
            if (tap->terminal_responses == 3 * n) boost::asio::post(d.io(), [&d] { d.stop(); });
        };
        boost::asio::steady_timer watchdog(d.io(), std::chrono::seconds(60));
        watchdog.async_wait([&d](const boost::system::error_code& e) {
            if (!e) d.stop();
        });
        d.run();
        send_data_at = tap->send_data_at;
    }
    client.join();
    ::close(srv);
    std::vector<double> gw;
    for (std::size_t k = 0; k < std::min(received.size(), send_data_at.size()); ++k)
        gw.push_back(us(received[k] - send_data_at[k]));

    // Bare: one loopback connection, the same bytes written n times, each read to its end.
    std::uint16_t bport = 0;
    const int bsrv = listen_on(bport);
    int w = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(bport);
    ::connect(w, reinterpret_cast<sockaddr*>(&a), sizeof a);
    const int r = ::accept(bsrv, nullptr, nullptr);
    int one = 1;
    ::setsockopt(w, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::vector<double> bare;
    Clock::time_point sent_at{};
    for (std::size_t k = 0; k < n; ++k) {
        // The reader is another thread, as the DM Client above is.
        Clock::time_point got_at{};
        std::thread reader([&] {
            cat::Bytes got;
            auto t = read_exactly(r, package0.size(), got);
            if (t && got == package0) got_at = *t;
        });
        std::this_thread::sleep_for(std::chrono::microseconds(200));  // reader blocked in recv
        sent_at = Clock::now();
        if (::send(w, package0.data(), package0.size(), 0) != static_cast<ssize_t>(package0.size())) break;
        reader.join();
        bare.push_back(us(got_at - sent_at));
    }
    ::close(w);
    ::close(r);
    ::close(bsrv);
    const auto g = summarize(gw), b = summarize(bare);
    return {{"notifications", n},
            {"card_delay_us", card_delay.count()},
            {"delivered", received.size()},
            {"corrupted", wrong},
            {"bytes", package0.size()},
            {"gateway_us", {{"median", g.median}, {"p90", g.p90}, {"min", g.min}}},
            {"bare_us", {{"median", b.median}, {"p90", b.p90}, {"min", b.min}}},
            {"ratio_median", b.median > 0 ? g.median / b.median : 0.0},
            {"added_us_median", g.median - b.median}};
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    auto opt = [&](const std::string& name, std::string dflt) {
        for (std::size_t i = 0; i + 1 < args.size(); ++i)
            if (args[i] == name) return args[i + 1];
        return dflt;
    };
    try {
        if (args.size() == 1 && args[0] == "package0") {
            std::puts(cat::to_hex(sim::encode(sim::Dm12Package0{})).c_str());
            return 0;
        }
        if (args.size() >= 3 && args[0] == "scenario") {
            const auto n = std::stoul(args[2]);
            std::fputs((args[1] == "cycles" ? cycles_scenario(n) : notify_scenario(n)).c_str(), stdout);
            return 0;
        }
        if (args.size() >= 2 && args[0] == "cycles") {
            std::puts(cycles(std::stoul(args[1]), opt("--link", "sim"), opt("--reader", "Virtual PCD"))
                          .dump()
                          .c_str());
            return 0;
        }
        if (args.size() >= 2 && args[0] == "latency") {
            const auto delay = std::chrono::microseconds(std::stoul(opt("--card-delay-us", "0")));
            std::puts(latency(std::stoul(args[1]), delay).dump().c_str());
            return 0;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dmsc-bench: %s\n", e.what());
        return 1;
    }
    std::fputs(
        "usage: dmsc-bench cycles N [--link sim|pcsc] [--reader NAME] | latency N [--card-delay-us D] | "
        "scenario cycles|notify N "
        "| package0\n",
        stderr);
    return 2;
}
