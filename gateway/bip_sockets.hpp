// gateway/bip_sockets.hpp — dmsc::gateway::BipSockets: runs the sans-I/O BIP engine
// (bip::Channels, docs/bip.md) on the daemon's io_context. Answers OPEN CHANNEL, CLOSE CHANNEL,
// SEND DATA, RECEIVE DATA and GET CHANNEL STATUS, and executes every effect of the engine with
// Asio: Terminal Server Mode delivery to tcp://, udp://, unix: and wap-push+udp:// endpoints
// (host names resolved asynchronously), launches (gateway/launcher.hpp), UICC server mode
// listeners on bip.listen, and client mode over TCP and UDP (IPv4 and IPv6).
#pragma once

// GCC 12 at -O2 sees a "potential null pointer dereference" inside Asio's own scheduler.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/generic/datagram_protocol.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop
#include <array>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <sys/types.h>
#include <vector>

#include "bip/channels.hpp"
#include "cat/bytes.hpp"
#include "gateway/launcher.hpp"

namespace dmsc::gateway {

class Daemon;

class BipSockets {
public:
    // Called with the bytes of every Terminal Server Mode Write just before they go to the
    // application's endpoint (the Package#0 inspector hooks here): the application's name,
    // its deliver endpoint and the data exactly as the card sent it (before any WSP wrapping).
    // false: do not deliver them; the SEND DATA gets '3A'/'05' (bip::Channels::on_write_refused).
    using DeliveryHook =
        std::function<bool(const std::string& application, const std::string& endpoint, cat::ByteView data)>;

    // Registers the command handlers and the card/session/stop observers on `daemon`.
    explicit BipSockets(Daemon& daemon);
    ~BipSockets();
    BipSockets(const BipSockets&) = delete;
    BipSockets& operator=(const BipSockets&) = delete;

    const bip::Channels& engine() const { return channels_; }
    void set_delivery_hook(DeliveryHook hook) { delivery_hook_ = std::move(hook); }
    // `dmsc-ctl channels`: {"channels":[{..., "local", "peer"}], "listeners":[{...}]}.
    nlohmann::json channels_json() const;
    // Launched applications not yet reaped.
    std::size_t launched_running() const { return launcher_.running(); }
    // Connections reset because a SEND DATA was answered '20' while its write was in progress.
    std::uint64_t resets() const { return resets_; }

private:
    enum class Kind : std::uint8_t { None, Stream, Datagram, WapPush };
    struct Slot {
        Kind kind = Kind::None;
        std::unique_ptr<boost::asio::generic::stream_protocol::socket> stream;
        std::unique_ptr<boost::asio::generic::datagram_protocol::socket> datagram;
        std::unique_ptr<boost::asio::ip::tcp::resolver> resolver;
        std::unique_ptr<boost::asio::steady_timer> timer;
        std::vector<std::uint8_t> buffer;
        std::uint64_t generation = 0;  // bumped when the connection is replaced or closed
        bool reading = false;
        bool connected = false;
        std::string local;  // "127.0.0.1:40000", "[::1]:1100", "/run/dm.sock", "" = none
        std::string peer;
        std::size_t write_progress = 0;  // bytes of the current stream Write the kernel accepted
        pid_t launched = -1;             // the application launched for this channel, until it ends
        std::uint64_t launches = 0;      // counts launches: an exit reports only for the latest
    };
    // A TCP connection reset after a SEND DATA '20' whose earlier bytes (answered '00') are still
    // in the kernel's send queue: it is reset once only the abandoned Write's bytes are left
    // unacknowledged (`keep`), or at `deadline`.
    struct Draining {
        std::unique_ptr<boost::asio::generic::stream_protocol::socket> socket;
        std::unique_ptr<boost::asio::steady_timer> timer;
        std::size_t keep = 0;
        std::chrono::steady_clock::time_point deadline;
        bip::ChannelId channel = 0;
    };
    struct Listener {
        std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
        std::string local;
        std::uint64_t accepted = 0;
        std::uint64_t refused = 0;
    };
    using StreamEndpoint = boost::asio::generic::stream_protocol::endpoint;

    void run(bip::Effects fx);
    void execute(const bip::Effect& effect);
    void connect(const bip::Connect& c);
    void connect_resolved(bip::ChannelId id, std::uint64_t generation, Kind kind, const std::string& endpoint,
                          std::vector<boost::asio::ip::tcp::endpoint> targets);
    void connect_stream(bip::ChannelId id, std::uint64_t generation, const std::string& endpoint,
                        std::vector<StreamEndpoint> targets, std::size_t index);
    void connected(bip::ChannelId id, const std::string& endpoint);
    void connect_failed(bip::ChannelId id, const std::string& endpoint, const std::string& why);
    void write(const bip::Write& w);
    void close(bip::ChannelId id);
    void abort(bip::ChannelId id);
    void write_stream(bip::ChannelId id, std::uint64_t generation, std::shared_ptr<cat::Bytes> data,
                      std::function<void(const boost::system::error_code&, std::size_t, std::size_t)> done);
    void drain(std::list<Draining>::iterator it);
    void start_timer(const bip::StartTimer& t);
    void read(bip::ChannelId id);
    void listen(const bip::Listen& l);
    void accept(std::uint16_t port);
    void stop_listening(std::uint16_t port);
    void launch(const bip::Launch& l);
    // Reports an outcome from the loop, never from inside the handler that asked for it.
    template <class F>
    void later(bip::ChannelId id, F f);
    void close_all();
    Slot* slot(bip::ChannelId id);

    Daemon& daemon_;
    bip::Channels channels_;
    std::array<Slot, bip::kMaxChannels + 1> slots_;  // index = channel id (1..7)
    std::map<std::uint16_t, Listener> listeners_;
    std::list<Draining> draining_;
    Launcher launcher_;
    DeliveryHook delivery_hook_;
    std::uint8_t wsp_tid_ = 0;
    std::uint64_t resets_ = 0;  // connections reset after a SEND DATA answered '20'
};

}  // namespace dmsc::gateway
