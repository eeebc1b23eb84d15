// gateway/sim/vpcd_client.cpp — vpcd framing and the virtual card's TCP client (TCP_NODELAY and
// TCP_QUICKACK re-armed after each read: without them every APDU waits ~40 ms for a delayed ACK).
// Boost.Asio 1.74's scheduler trips GCC's -Wnull-dereference when inlined at -O2 (a false
// positive inside /usr/include; the project builds with --werror).
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "gateway/sim/vpcd_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <utility>

namespace dmsc::gateway::sim {

cat::Bytes vpcd_encode_frame(cat::ByteView payload) {
    if (payload.size() > 0xFFFF) return {};
    cat::ByteWriter w;
    w.u16be(static_cast<std::uint16_t>(payload.size()));
    w.bytes(payload);
    return w.take();
}

void VpcdFrameReader::feed(cat::ByteView bytes) {
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

std::optional<cat::Bytes> VpcdFrameReader::next() {
    if (buffer_.size() < 2) return std::nullopt;
    const std::size_t n = (static_cast<std::size_t>(buffer_[0]) << 8) | buffer_[1];
    if (buffer_.size() < 2 + n) return std::nullopt;
    cat::Bytes payload(buffer_.begin() + 2, buffer_.begin() + 2 + static_cast<std::ptrdiff_t>(n));
    buffer_.erase(buffer_.begin(), buffer_.begin() + 2 + static_cast<std::ptrdiff_t>(n));
    return payload;
}

std::optional<cat::Bytes> vpcd_handle_message(Card& card, cat::ByteView payload, cat::TimePoint now,
                                              const std::function<void(const std::string&)>& note) {
    if (payload.empty()) {
        if (note) note("vpcd: empty message ignored");
        return std::nullopt;
    }
    if (payload.size() == 1) {
        switch (static_cast<VpcdControl>(payload[0])) {
            case VpcdControl::PowerOff:
                card.power_off();
                return std::nullopt;
            case VpcdControl::PowerOn:
            case VpcdControl::Reset:
                card.power_on(now);
                return std::nullopt;
            case VpcdControl::GetAtr:
                return card.atr();
        }
        if (note) note("vpcd: unknown control message " + cat::to_hex(payload) + " ignored");
        return std::nullopt;
    }
    if (!card.powered()) {
        // vpcd powers the card on before it sends APDUs; be lenient with a reader that does not.
        if (note) note("vpcd: APDU to an unpowered card: powering on");
        card.power_on(now);
    }
    return card.process(payload, now);
}

bool parse_host_port(const std::string& text, std::string& host, std::uint16_t& port) {
    std::string h = text;
    std::string p;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos) return false;
        h = text.substr(1, close - 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') return false;
            p = text.substr(close + 2);
        }
    } else if (const auto colon = text.rfind(':'); colon != std::string::npos) {
        if (text.find(':') != colon) return false;  // bare IPv6 needs brackets
        h = text.substr(0, colon);
        p = text.substr(colon + 1);
    }
    if (h.empty()) return false;
    host = h;
    port = kVpcdPort;
    if (!p.empty()) {
        unsigned v = 0;
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
        if (ec != std::errc() || end != p.data() + p.size() || v == 0 || v > 65535) return false;
        port = static_cast<std::uint16_t>(v);
    }
    return true;
}

VpcdClient::VpcdClient(boost::asio::io_context& io, Card& card, std::string host, std::uint16_t port, Log log,
                       Clock clock)
    : io_(io),
      card_(card),
      host_(std::move(host)),
      port_(port),
      log_(std::move(log)),
      clock_(clock ? std::move(clock) : [] { return cat::SessionClock::now(); }),
      socket_(io),
      retry_timer_(io) {}

void VpcdClient::start() {
    active_ = true;
    connect();
}

void VpcdClient::remove() {
    if (!active_) return;
    active_ = false;
    retry_timer_.cancel();
    drop("card removed (signal)");
}

void VpcdClient::insert() {
    if (active_) return;
    active_ = true;
    connect_failed_logged_ = false;
    if (log_) log_("card inserted: connecting to vpcd");
    connect();
}

void VpcdClient::stop() {
    active_ = false;
    retry_timer_.cancel();
    drop("stopping");
}

void VpcdClient::connect() {
    if (!active_ || connected_) return;
    const auto gen = ++generation_;
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(host_ == "localhost" ? "127.0.0.1" : host_, ec);
    if (ec) {
        if (log_) log_("vpcd: bad address \"" + host_ + "\": " + ec.message());
        return;
    }
    socket_ = boost::asio::ip::tcp::socket(io_);
    socket_.async_connect({address, port_}, [this, gen](const boost::system::error_code& cec) {
        if (gen != generation_) return;
        if (cec) {
            if (!connect_failed_logged_ && log_) {
                log_("vpcd: cannot connect to " + host_ + ":" + std::to_string(port_) + " (" + cec.message() +
                     "); retrying");
            }
            connect_failed_logged_ = true;
            boost::system::error_code ignored;
            socket_.close(ignored);
            schedule_retry();
            return;
        }
        connected_ = true;
        connect_failed_logged_ = false;
        boost::system::error_code oec;
        socket_.set_option(boost::asio::ip::tcp::no_delay(true), oec);
        quickack();
        if (log_) log_("vpcd: connected to " + host_ + ":" + std::to_string(port_) + " (card inserted)");
        read_header();
    });
}

void VpcdClient::quickack() {
    // Linux: TCP_QUICKACK is not sticky; it has to be set again after every receive.
    int one = 1;
    (void)::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

void VpcdClient::schedule_retry() {
    if (!active_ || !reconnect_) {
        if (on_disconnect_ && !reconnect_) on_disconnect_();
        return;
    }
    retry_timer_.expires_after(std::chrono::milliseconds(500));
    retry_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) connect();
    });
}

void VpcdClient::read_header() {
    const auto gen = generation_;
    boost::asio::async_read(
        socket_, boost::asio::buffer(header_), [this, gen](const boost::system::error_code& ec, std::size_t) {
            if (gen != generation_) return;
            if (ec) return drop("vpcd closed the connection (" + ec.message() + ")");
            quickack();
            const std::size_t n = (static_cast<std::size_t>(header_[0]) << 8) | header_[1];
            if (n == 0) {
                handle({});
                return;
            }
            read_payload(n);
        });
}

void VpcdClient::read_payload(std::size_t n) {
    const auto gen = generation_;
    payload_.resize(n);
    boost::asio::async_read(socket_, boost::asio::buffer(payload_),
                            [this, gen](const boost::system::error_code& ec, std::size_t) {
                                if (gen != generation_) return;
                                if (ec) return drop("vpcd closed the connection (" + ec.message() + ")");
                                quickack();
                                handle(std::move(payload_));
                            });
}

void VpcdClient::handle(cat::Bytes payload) {
    ++messages_;
    auto reply = vpcd_handle_message(card_, payload, clock_(), log_);
    if (after_message_) after_message_();
    if (!reply) {
        read_header();
        return;
    }
    reply_ = vpcd_encode_frame(*reply);
    const auto gen = generation_;
    boost::asio::async_write(socket_, boost::asio::buffer(reply_),
                             [this, gen](const boost::system::error_code& ec, std::size_t) {
                                 if (gen != generation_) return;
                                 if (ec) return drop("vpcd: write failed (" + ec.message() + ")");
                                 read_header();
                             });
}

void VpcdClient::drop(const std::string& why) {
    const bool was = connected_;
    ++generation_;
    connected_ = false;
    boost::system::error_code ignored;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    if (card_.powered()) card_.power_off();
    if (was && log_) log_(why);
    if (was) schedule_retry();
}

}  // namespace dmsc::gateway::sim
