// gateway/sim/vpcd_client.hpp — the simulated UICC as a virtual card of vsmartcard's vpcd (the
// "Virtual PCD" reader of pcscd): the framing as pure functions, and a Boost.Asio TCP client
// that reconnects when vpcd goes away.
//
// vpcd protocol: every message either way is a 2-byte big-endian length, then the payload.
// From vpcd, a 1-byte payload is a control message (0 power off, 1 power on, 2 reset, 4 get
// ATR — only "get ATR" is answered, with the ATR); a longer one is a C-APDU, answered with the
// R-APDU.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "cat/bytes.hpp"
#include "cat/session.hpp"
#include "gateway/sim/card.hpp"

namespace dmsc::gateway::sim {

inline constexpr std::uint16_t kVpcdPort = 35963;

enum class VpcdControl : std::uint8_t { PowerOff = 0, PowerOn = 1, Reset = 2, GetAtr = 4 };

// Length + payload; empty when the payload does not fit a 2-byte length.
cat::Bytes vpcd_encode_frame(cat::ByteView payload);

// Reassembles frames from a byte stream, whatever the read boundaries were.
class VpcdFrameReader {
public:
    void feed(cat::ByteView bytes);
    // The next complete payload, if one is buffered.
    std::optional<cat::Bytes> next();
    std::size_t buffered() const { return buffer_.size(); }

private:
    cat::Bytes buffer_;
};

// What the card answers one vpcd payload with (the reply payload, unframed), or nothing
// (power on/off/reset, an empty or unknown control message). `note` gets a line for anything
// odd.
std::optional<cat::Bytes> vpcd_handle_message(Card& card, cat::ByteView payload, cat::TimePoint now,
                                              const std::function<void(const std::string&)>& note = {});

// "127.0.0.1:35963", "[::1]:35963", "localhost" → host and port; false on a bad form.
bool parse_host_port(const std::string& text, std::string& host, std::uint16_t& port);

class VpcdClient {
public:
    using Clock = std::function<cat::TimePoint()>;
    using Log = std::function<void(const std::string&)>;
    // After each message handled (tests and --once use it).
    using AfterMessage = std::function<void()>;

    VpcdClient(boost::asio::io_context& io, Card& card, std::string host, std::uint16_t port, Log log = {},
               Clock clock = {});

    // Connects (and keeps reconnecting every `retry` while vpcd is not there or goes away).
    void start();
    // Card removed: closes the connection (vpcd reports no card) and stays away until
    // insert(). Card inserted: connects again.
    void remove();
    void insert();
    void stop();
    void set_after_message(AfterMessage f) { after_message_ = std::move(f); }
    void set_reconnect(bool on) { reconnect_ = on; }
    // Called when a connection ends (vpcd closed it or an error).
    void set_on_disconnect(std::function<void()> f) { on_disconnect_ = std::move(f); }

    bool connected() const { return connected_; }
    std::uint64_t messages() const { return messages_; }

private:
    void connect();
    void read_header();
    void read_payload(std::size_t n);
    void handle(cat::Bytes payload);
    void drop(const std::string& why);
    void schedule_retry();
    void quickack();

    boost::asio::io_context& io_;
    Card& card_;
    std::string host_;
    std::uint16_t port_;
    Log log_;
    Clock clock_;
    AfterMessage after_message_;
    std::function<void()> on_disconnect_;
    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer retry_timer_;
    std::uint8_t header_[2]{};
    cat::Bytes payload_;
    cat::Bytes reply_;
    bool active_ = false;  // wants to be connected
    bool connected_ = false;
    bool reconnect_ = true;
    bool connect_failed_logged_ = false;
    std::uint64_t generation_ = 0;  // bumped on every close: stale handlers return
    std::uint64_t messages_ = 0;
};

}  // namespace dmsc::gateway::sim
