// gateway/bip_sockets.hpp — dmsc::gateway::BipSockets: runs the sans-I/O BIP engine
// (bip::Channels, docs/bip.md) on the daemon's io_context. Answers OPEN CHANNEL, CLOSE CHANNEL,
// SEND DATA, RECEIVE DATA and GET CHANNEL STATUS, and executes the engine's effects with Asio:
// Terminal Server Mode over TCP to the registered application's `deliver` endpoint. UICC server
// mode listeners, launches, UDP and unix endpoints are not supported yet: they fail through the
// engine's own failure paths, so the card always gets a correct answer.
#pragma once

// GCC 12 at -O2 sees a "potential null pointer dereference" inside Asio's own scheduler.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop
#include <array>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>

#include "bip/channels.hpp"

namespace dmsc::gateway {

class Daemon;

class BipSockets {
public:
    // Registers the command handlers and the card/session/stop observers on `daemon`.
    explicit BipSockets(Daemon& daemon);
    ~BipSockets();
    BipSockets(const BipSockets&) = delete;
    BipSockets& operator=(const BipSockets&) = delete;

    const bip::Channels& engine() const { return channels_; }
    // `dmsc-ctl channels`: {"channels":[{...}, ...]}.
    nlohmann::json channels_json() const;

private:
    struct Slot {
        std::unique_ptr<boost::asio::ip::tcp::socket> socket;
        std::unique_ptr<boost::asio::steady_timer> timer;
        std::array<std::uint8_t, 2048> buffer{};
        std::uint64_t generation = 0;  // bumped when the connection is replaced or closed
        bool reading = false;
        bool connected = false;
    };

    void run(bip::Effects fx);
    void execute(const bip::Effect& effect);
    void connect(const bip::Connect& c);
    void write(const bip::Write& w);
    void close(bip::ChannelId id);
    void start_timer(const bip::StartTimer& t);
    void read(bip::ChannelId id);
    // Reports an outcome from the loop, never from inside the handler that asked for it.
    template <class F>
    void later(bip::ChannelId id, F f);
    void close_all();
    Slot* slot(bip::ChannelId id);

    Daemon& daemon_;
    bip::Channels channels_;
    std::array<Slot, bip::kMaxChannels + 1> slots_;  // index = channel id (1..7)
};

}  // namespace dmsc::gateway
