// gateway/bip_sockets.cpp — bip::Channels effects executed with Asio: Terminal Server Mode
// delivery (tcp, udp, unix, wap-push+udp), launches, UICC server mode listeners, client mode.
#include "gateway/bip_sockets.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop
#include <algorithm>
#include <chrono>
#include <cstring>
#include <linux/sockios.h>
#include <nlohmann/json.hpp>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <variant>

#include "bip/wsp_push.hpp"
#include "gateway/config.hpp"
#include "gateway/daemon.hpp"
#include "gateway/log.hpp"

namespace dmsc::gateway {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using StreamSocket = asio::generic::stream_protocol::socket;
using DatagramSocket = asio::generic::datagram_protocol::socket;

// Stream reads go in pieces of at most this; a datagram can be up to 64 KiB.
constexpr std::size_t kStreamChunk = 16 * 1024;
constexpr std::size_t kDatagramMax = 65536;
// After a SEND DATA '20': how long earlier bytes (answered '00') may take to reach the DM Client
// before its connection is reset anyway, and how many such connections may wait at once.
constexpr std::chrono::seconds kDrainMax{30};
constexpr std::size_t kMaxDraining = bip::kMaxChannels;
constexpr std::chrono::milliseconds kDrainPoll{20};

// An abortive close: the kernel drops what it still queues and sends a TCP RST.
template <class Socket>
void reset_connection(Socket& socket) {
    boost::system::error_code ignored;
    socket.set_option(asio::socket_base::linger(true, 0), ignored);
    socket.close(ignored);
}

// TCP: bytes written and not yet acknowledged by the peer (SIOCOUTQ); nullopt otherwise.
template <class Socket>
std::optional<std::size_t> unacknowledged(Socket& socket) {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (::getsockname(socket.native_handle(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
        return std::nullopt;
    if (a.ss_family != AF_INET && a.ss_family != AF_INET6) return std::nullopt;
    int n = 0;
    if (::ioctl(socket.native_handle(), SIOCOUTQ, &n) != 0 || n < 0) return std::nullopt;
    return static_cast<std::size_t>(n);
}

bip::ChannelsConfig channels_config(const Config& config) {
    bip::ChannelsConfig c;
    c.max_channels = std::clamp<std::size_t>(config.bip.max_channels, 1, bip::kMaxChannels);
    c.max_buffer_size = config.bip.buffer_size;
    c.allow_remote = config.bip.allow_remote;
    return c;
}

std::string ip_string(const asio::ip::address& a, std::uint16_t port) {
    return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port)
                     : a.to_string() + ":" + std::to_string(port);
}

// "127.0.0.1:40000", "[::1]:1100", "/run/dm.sock" (unix), "" when unknown.
template <class Endpoint>
std::string endpoint_string(const Endpoint& e) {
    const auto* sa = static_cast<const sockaddr*>(static_cast<const void*>(e.data()));
    if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) {
        tcp::endpoint ip;
        if (e.size() > sizeof(sockaddr_in6)) return "";
        std::memcpy(ip.data(), e.data(), e.size());
        ip.resize(e.size());
        return ip_string(ip.address(), ip.port());
    }
    if (sa->sa_family == AF_UNIX) {
        const auto* un = static_cast<const sockaddr_un*>(static_cast<const void*>(e.data()));
        const std::size_t offset = offsetof(sockaddr_un, sun_path);
        if (e.size() <= offset) return "unix:(unnamed)";
        return "unix:" + std::string(un->sun_path, strnlen(un->sun_path, e.size() - offset));
    }
    return "";
}

template <class Socket>
void fill_endpoints(Socket& s, std::string& local, std::string& peer) {
    boost::system::error_code ec;
    const auto l = s.local_endpoint(ec);
    local = ec ? "" : endpoint_string(l);
    const auto p = s.remote_endpoint(ec);
    peer = ec ? "" : endpoint_string(p);
}

}  // namespace

BipSockets::BipSockets(Daemon& daemon)
    : daemon_(daemon),
      channels_(
          channels_config(daemon.config()),
          [this](std::uint16_t port) -> std::optional<bip::TerminalApp> {
              const auto* app = daemon_.registry().find_registered_port(port);
              if (app == nullptr) return std::nullopt;
              std::uint32_t timeout = 0;
              for (const auto& a : daemon_.config().applications) {
                  if (a.name == app->name) timeout = a.launch_timeout_ms;
              }
              return bip::TerminalApp{app->name, app->deliver, !app->launch.empty(), timeout};
          },
          [this](cat::EventType e) { return daemon_.registry().events().is_registered(e); }),
      launcher_(daemon.io()) {
    using cat::CommandType;
    for (const auto type : {CommandType::OpenChannel, CommandType::CloseChannel, CommandType::ReceiveData,
                            CommandType::SendData, CommandType::GetChannelStatus}) {
        daemon_.set_handler(type, [this](const cat::ProactiveCommand& cmd) -> cat::HandlerReply {
            bip::Effects fx = channels_.on_command(cmd);
            const bool pending = fx.pending;
            std::optional<cat::TerminalResponse> response = std::move(fx.response);
            fx.response.reset();
            run(std::move(fx));
            if (pending || !response) return cat::Pending{};
            return std::move(*response);
        });
    }
    daemon_.add_session_observer([this](const cat::SessionEvent& e) {
        if (std::holds_alternative<cat::HandlerTimedOut>(e)) run(channels_.on_command_timed_out());
    });
    daemon_.add_card_observer({[this](const CardInfo&) { run(channels_.card_removed()); },
                               [this](const std::string&) { run(channels_.card_removed()); }});
    daemon_.add_stop_observer([this] {
        run(channels_.card_removed());
        close_all();
    });
}

BipSockets::~BipSockets() {
    close_all();
}

BipSockets::Slot* BipSockets::slot(bip::ChannelId id) {
    return id >= 1 && id < slots_.size() ? &slots_[id] : nullptr;
}

void BipSockets::close_all() {
    for (std::size_t i = 1; i < slots_.size(); ++i) {
        close(static_cast<bip::ChannelId>(i));
        if (slots_[i].timer) slots_[i].timer->cancel();
    }
    while (!listeners_.empty()) stop_listening(listeners_.begin()->first);
    for (auto& d : draining_) {
        if (d.timer) d.timer->cancel();
        if (d.socket) reset_connection(*d.socket);
    }
    draining_.clear();
}

template <class F>
void BipSockets::later(bip::ChannelId id, F f) {
    Slot* s = slot(id);
    const std::uint64_t generation = s != nullptr ? s->generation : 0;
    asio::post(daemon_.io(), [this, id, generation, f = std::move(f)] {
        Slot* now = slot(id);
        if (daemon_.stopped() || now == nullptr || now->generation != generation) return;
        run(f());
    });
}

void BipSockets::run(bip::Effects fx) {
    for (const auto& effect : fx.actions) {
        log_debug(LogCategory::Bip, bip::describe(effect));
        execute(effect);
    }
    if (fx.completion) daemon_.complete(fx.completion->details.number, std::move(*fx.completion));
}

void BipSockets::execute(const bip::Effect& effect) {
    std::visit(
        [this](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, bip::Connect>) {
                connect(e);
            } else if constexpr (std::is_same_v<T, bip::Listen>) {
                listen(e);
            } else if constexpr (std::is_same_v<T, bip::StopListening>) {
                stop_listening(e.port);
            } else if constexpr (std::is_same_v<T, bip::Write>) {
                write(e);
            } else if constexpr (std::is_same_v<T, bip::Close>) {
                close(e.channel);
            } else if constexpr (std::is_same_v<T, bip::Abort>) {
                abort(e.channel);
            } else if constexpr (std::is_same_v<T, bip::Launch>) {
                launch(e);
            } else if constexpr (std::is_same_v<T, bip::StartTimer>) {
                start_timer(e);
            } else if constexpr (std::is_same_v<T, bip::CancelTimer>) {
                if (Slot* s = slot(e.channel); s != nullptr && s->timer) s->timer->cancel();
            } else if constexpr (std::is_same_v<T, bip::ResumeReading>) {
                read(e.channel);
            } else if constexpr (std::is_same_v<T, bip::QueueEnvelope>) {
                daemon_.queue_envelope(e.ber);
            }
        },
        effect);
}

// ---------------------------------------------------------------------------------------------
// Connect: Terminal Server Mode (the application's deliver endpoint) and client mode.

void BipSockets::connect(const bip::Connect& c) {
    Slot* s = slot(c.channel);
    if (s == nullptr) return;
    close(c.channel);
    const std::uint64_t generation = s->generation;
    std::string why;
    const auto uri = parse_deliver_uri(c.endpoint, why);
    if (!uri) {
        connect_failed(c.channel, c.endpoint, why);
        return;
    }
    if (uri->scheme == DeliverScheme::Unix) {
        s->kind = Kind::Stream;
        connect_stream(c.channel, generation, c.endpoint,
                       {StreamEndpoint(asio::local::stream_protocol::endpoint(uri->path))}, 0);
        return;
    }
    // The endpoint's scheme says how the bytes travel; the card's transport ('04' UDP / '05'
    // TCP) only chose the mode. Client mode endpoints are built from the transport itself.
    const Kind kind = uri->scheme == DeliverScheme::Tcp   ? Kind::Stream
                      : uri->scheme == DeliverScheme::Udp ? Kind::Datagram
                                                          : Kind::WapPush;
    s->kind = kind;
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(uri->host, ec);
    if (!ec) {
        connect_resolved(c.channel, generation, kind, c.endpoint, {tcp::endpoint(address, uri->port)});
        return;
    }
    // A host name (deliver endpoints only: client mode addresses are numeric): resolve it
    // without blocking the loop.
    s->resolver = std::make_unique<tcp::resolver>(daemon_.io());
    s->resolver->async_resolve(
        uri->host, std::to_string(uri->port), tcp::resolver::numeric_service,
        [this, id = c.channel, generation, kind, endpoint = c.endpoint](
            const boost::system::error_code& error, tcp::resolver::results_type results) {
            Slot* now = slot(id);
            if (daemon_.stopped() || now == nullptr || now->generation != generation) return;
            now->resolver.reset();
            if (error || results.empty()) {
                connect_failed(id, endpoint, "cannot resolve: " + (error ? error.message() : "no address"));
                return;
            }
            std::vector<tcp::endpoint> targets;
            for (const auto& r : results) targets.push_back(r.endpoint());
            connect_resolved(id, generation, kind, endpoint, std::move(targets));
        });
}

void BipSockets::connect_resolved(bip::ChannelId id, std::uint64_t generation, Kind kind,
                                  const std::string& endpoint, std::vector<tcp::endpoint> targets) {
    Slot* s = slot(id);
    if (s == nullptr || s->generation != generation) return;
    if (kind == Kind::Stream) {
        std::vector<StreamEndpoint> list;
        for (const auto& t : targets) list.emplace_back(t);
        connect_stream(id, generation, endpoint, std::move(list), 0);
        return;
    }
    // UDP: connect() only fixes the peer (no handshake); a port nobody listens on shows up as
    // ECONNREFUSED on a later receive (ICMP port unreachable): reported as the peer closing.
    const asio::generic::datagram_protocol::endpoint target(
        asio::ip::udp::endpoint(targets.front().address(), targets.front().port()));
    s->datagram = std::make_unique<DatagramSocket>(daemon_.io());
    boost::system::error_code ec;
    s->datagram->open(target.protocol(), ec);
    if (!ec) s->datagram->connect(target, ec);
    if (ec) {
        s->datagram.reset();
        connect_failed(id, endpoint, ec.message());
        return;
    }
    later(id, [this, id, endpoint] {
        connected(id, endpoint);
        return bip::Effects{};
    });
}

void BipSockets::connect_stream(bip::ChannelId id, std::uint64_t generation, const std::string& endpoint,
                                std::vector<StreamEndpoint> targets, std::size_t index) {
    Slot* s = slot(id);
    if (s == nullptr || s->generation != generation) return;
    s->stream = std::make_unique<StreamSocket>(daemon_.io());
    const StreamEndpoint target = targets.at(index);
    s->stream->async_connect(target, [this, id, generation, endpoint, targets = std::move(targets),
                                      index](const boost::system::error_code& error) mutable {
        Slot* now = slot(id);
        if (daemon_.stopped() || now == nullptr || now->generation != generation) return;
        if (error) {
            now->stream.reset();
            if (index + 1 < targets.size()) {
                connect_stream(id, generation, endpoint, std::move(targets), index + 1);
                return;
            }
            connect_failed(id, endpoint, error.message());
            return;
        }
        connected(id, endpoint);
    });
}

void BipSockets::connected(bip::ChannelId id, const std::string& endpoint) {
    Slot* s = slot(id);
    if (s == nullptr) return;
    s->connected = true;
    if (s->stream) fill_endpoints(*s->stream, s->local, s->peer);
    if (s->datagram) fill_endpoints(*s->datagram, s->local, s->peer);
    log_info(LogCategory::Bip, "channel ", int(id), ": connected to ", endpoint, " (", s->local, " -> ",
             s->peer, ")");
    run(channels_.on_connected(id));
    read(id);
}

void BipSockets::connect_failed(bip::ChannelId id, const std::string& endpoint, const std::string& why) {
    log_warn(LogCategory::Bip, "channel ", int(id), ": cannot connect to ", endpoint, ": ", why);
    later(id, [this, id] { return channels_.on_connect_failed(id); });
}

// ---------------------------------------------------------------------------------------------
// Data

void BipSockets::write(const bip::Write& w) {
    Slot* s = slot(w.channel);
    if (s == nullptr || !s->connected || (!s->stream && !s->datagram)) {
        later(w.channel, [this, id = w.channel] { return channels_.on_write_failed(id); });
        return;
    }
    const bip::Channel* ch = channels_.channel(w.channel);
    if (ch != nullptr && ch->mode == bip::Mode::TerminalServer && delivery_hook_ &&
        !delivery_hook_(ch->application, ch->endpoint, w.data)) {
        log_warn(LogCategory::Bip, "channel ", int(w.channel), ": ", w.data.size(), " bytes for ",
                 ch->application, " not delivered (refused by the Package#0 check)");
        later(w.channel, [this, id = w.channel] { return channels_.on_write_refused(id); });
        return;
    }
    const std::uint64_t generation = s->generation;
    auto done = [this, id = w.channel, generation](const boost::system::error_code& error, std::size_t n,
                                                   std::size_t expected) {
        Slot* now = slot(id);
        if (daemon_.stopped() || now == nullptr || now->generation != generation) return;
        if (error || n != expected) {
            log_warn(LogCategory::Bip, "channel ", int(id),
                     ": write failed: ", error ? error.message() : "datagram truncated");
            run(channels_.on_write_failed(id));
            return;
        }
        run(channels_.on_write_done(id));
    };
    if (s->stream) {
        // Piece by piece, counting what the kernel took (abort() needs it).
        s->write_progress = 0;
        write_stream(w.channel, generation, std::make_shared<cat::Bytes>(w.data), done);
        return;
    }
    // One datagram per Write; wap-push+udp wraps it as a connectionless WSP Push PDU.
    auto data = std::make_shared<cat::Bytes>(
        s->kind == Kind::WapPush ? bip::wsp_push_notification(wsp_tid_++, w.data) : w.data);
    s->datagram->async_send(asio::buffer(*data),
                            [done, data](const boost::system::error_code& error, std::size_t n) {
                                done(error, n, data->size());
                            });
}

void BipSockets::write_stream(
    bip::ChannelId id, std::uint64_t generation, std::shared_ptr<cat::Bytes> data,
    std::function<void(const boost::system::error_code&, std::size_t, std::size_t)> done) {
    Slot* s = slot(id);
    if (s == nullptr || s->generation != generation || !s->stream) return;
    const std::size_t at = s->write_progress;
    s->stream->async_write_some(
        asio::buffer(data->data() + at, data->size() - at),
        [this, id, generation, data, done](const boost::system::error_code& error, std::size_t n) {
            Slot* now = slot(id);
            if (daemon_.stopped() || now == nullptr || now->generation != generation) return;
            now->write_progress += n;
            if (!error && now->write_progress < data->size()) {
                write_stream(id, generation, data, done);
                return;
            }
            done(error, now->write_progress, data->size());
        });
}

void BipSockets::read(bip::ChannelId id) {
    Slot* s = slot(id);
    if (s == nullptr || !s->connected || s->reading || (!s->stream && !s->datagram)) return;
    const std::size_t room = channels_.rx_room(id);
    if (room == 0) return;  // ResumeReading starts it again
    s->reading = true;
    const std::uint64_t generation = s->generation;
    auto handler = [this, id, generation](const boost::system::error_code& error, std::size_t n) {
        Slot* now = slot(id);
        if (daemon_.stopped() || now == nullptr || now->generation != generation) return;
        now->reading = false;
        if (n > 0) run(channels_.on_data(id, cat::ByteView(now->buffer.data(), n)));
        now = slot(id);
        if (now->generation != generation) return;  // closed meanwhile
        if (error) {
            log_info(LogCategory::Bip, "channel ", int(id), ": connection closed by the peer (",
                     error.message(), ")");
            now->connected = false;
            run(channels_.on_peer_closed(id));
            return;
        }
        read(id);
    };
    if (s->stream) {
        // Back-pressure: never more than the Rx buffer can take now.
        const std::size_t n = std::min(room, kStreamChunk);
        if (s->buffer.size() < n) s->buffer.resize(kStreamChunk);
        s->stream->async_read_some(asio::buffer(s->buffer.data(), n), handler);
    } else {
        // A datagram cannot be read in part: the engine keeps what fits and counts the rest.
        if (s->buffer.size() < kDatagramMax) s->buffer.resize(kDatagramMax);
        s->datagram->async_receive(asio::buffer(s->buffer.data(), kDatagramMax), handler);
    }
}

void BipSockets::close(bip::ChannelId id) {
    Slot* s = slot(id);
    if (s == nullptr) return;
    ++s->generation;
    s->reading = false;
    s->connected = false;
    s->local.clear();
    s->peer.clear();
    boost::system::error_code ignored;
    if (s->resolver) {
        s->resolver->cancel();
        s->resolver.reset();
    }
    if (s->stream) {
        s->stream->shutdown(asio::socket_base::shutdown_both, ignored);
        s->stream->close(ignored);
        s->stream.reset();
    }
    if (s->datagram) {
        s->datagram->close(ignored);
        s->datagram.reset();
    }
    s->kind = Kind::None;
}

// After a SEND DATA '20': the Write in progress is abandoned and the connection reset (an
// abortive close, SO_LINGER 0: the kernel drops what it still queues and sends a TCP RST, so the
// peer's read ends in ECONNRESET, never in a clean end after a cut message). Bytes written
// before that Write were answered '00': when the kernel still holds some of them, the reset
// waits until the peer has acknowledged them (at most kDrainMax), so they are not lost with
// it. A unix stream peer already has every byte written: it reads them, then end of file. A
// datagram is sent whole or not at all.
void BipSockets::abort(bip::ChannelId id) {
    Slot* s = slot(id);
    if (s == nullptr) return;
    ++resets_;
    if (!s->stream) {
        close(id);
        return;
    }
    const auto unacked = unacknowledged(*s->stream);
    const std::size_t keep = s->write_progress;
    log_warn(LogCategory::Bip, "channel ", int(id),
             ": SEND DATA answered '20' (card.pending_timeout_ms) while ",
             s->peer.empty() ? std::string("the peer") : s->peer,
             " did not take its bytes: the rest of the write (", keep,
             " bytes written) discarded, connection reset",
             unacked && *unacked > keep ? " once the earlier bytes are delivered" : "");
    if (unacked && *unacked > keep) {
        if (draining_.size() >= kMaxDraining) {
            reset_connection(*draining_.front().socket);
            draining_.front().timer->cancel();
            draining_.pop_front();
        }
        Draining d;
        d.socket = std::move(s->stream);
        boost::system::error_code ignored;
        d.socket->cancel(ignored);  // our write and read stop here
        d.timer = std::make_unique<asio::steady_timer>(daemon_.io());
        d.keep = keep;
        d.deadline = std::chrono::steady_clock::now() + kDrainMax;
        d.channel = id;
        draining_.push_back(std::move(d));
        close(id);
        drain(std::prev(draining_.end()));
        return;
    }
    reset_connection(*s->stream);
    s->stream.reset();
    close(id);
}

void BipSockets::drain(std::list<Draining>::iterator it) {
    const auto unacked = unacknowledged(*it->socket);
    const bool delivered = !unacked || *unacked <= it->keep;
    if (delivered || std::chrono::steady_clock::now() >= it->deadline) {
        if (!delivered)
            log_warn(LogCategory::Bip, "channel ", int(it->channel), ": the DM Client took nothing for ",
                     kDrainMax.count(), " s: ", *unacked - it->keep,
                     " bytes already answered '00' are discarded with the reset");
        reset_connection(*it->socket);
        draining_.erase(it);
        return;
    }
    it->timer->expires_after(kDrainPoll);
    it->timer->async_wait([this, it](const boost::system::error_code& error) {
        if (error || daemon_.stopped()) return;
        drain(it);
    });
}

void BipSockets::start_timer(const bip::StartTimer& t) {
    Slot* s = slot(t.channel);
    if (s == nullptr) return;
    if (!s->timer) s->timer = std::make_unique<asio::steady_timer>(daemon_.io());
    s->timer->expires_after(std::chrono::milliseconds(t.milliseconds));
    s->timer->async_wait([this, id = t.channel](const boost::system::error_code& error) {
        if (error || daemon_.stopped()) return;
        run(channels_.on_timer(id));
    });
}

// ---------------------------------------------------------------------------------------------
// UICC server mode: listeners on bip.listen only.

void BipSockets::listen(const bip::Listen& l) {
    const auto port = l.port;
    const auto id = l.channel;
    if (listeners_.count(port) != 0) {
        later(id, [this, id] { return channels_.on_listening(id); });
        return;
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(daemon_.config().bip.listen, ec);
    Listener listener;
    if (!ec) {
        const tcp::endpoint at(address, port);
        listener.acceptor = std::make_unique<tcp::acceptor>(daemon_.io());
        listener.acceptor->open(at.protocol(), ec);
        // SO_REUSEADDR: a port in TIME_WAIT from an earlier client is free; one another socket
        // listens on is still refused.
        if (!ec) listener.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec) listener.acceptor->bind(at, ec);
        if (!ec) listener.acceptor->listen(asio::socket_base::max_listen_connections, ec);
        if (!ec) listener.local = ip_string(address, port);
    }
    if (ec) {
        log_warn(LogCategory::Bip, "channel ", int(id), ": cannot listen on ", daemon_.config().bip.listen,
                 " port ", port, ": ", ec.message());
        later(id, [this, id] { return channels_.on_listen_failed(id); });
        return;
    }
    log_info(LogCategory::Bip, "channel ", int(id), ": UICC server mode, listening on ", listener.local);
    listeners_[port] = std::move(listener);
    // Clients are accepted once the channel is in LISTEN (a client that came in between waits
    // in the backlog).
    later(id, [this, id, port] {
        auto fx = channels_.on_listening(id);
        accept(port);
        return fx;
    });
}

void BipSockets::accept(std::uint16_t port) {
    auto it = listeners_.find(port);
    if (it == listeners_.end()) return;
    tcp::acceptor* acceptor = it->second.acceptor.get();
    acceptor->async_accept(
        [this, port, acceptor](const boost::system::error_code& error, tcp::socket socket) {
            auto now = listeners_.find(port);
            if (daemon_.stopped() || now == listeners_.end() || now->second.acceptor.get() != acceptor)
                return;
            if (error) {
                log_warn(LogCategory::Bip, "port ", port, ": accept failed: ", error.message());
                if (error == asio::error::operation_aborted) return;
                accept(port);
                return;
            }
            bip::Effects fx;
            const auto id = channels_.on_accept(port, fx);
            boost::system::error_code ignored;
            if (!id) {
                // Every channel on the port has a client (or unread data): TS 102 223 has one TCP
                // connection per channel, so this one is closed at once.
                ++now->second.refused;
                const auto peer = socket.remote_endpoint(ignored);
                log_info(LogCategory::Bip, "port ", port, ": client ", ignored ? "?" : endpoint_string(peer),
                         " refused: no channel in LISTEN");
                socket.close(ignored);
            } else {
                ++now->second.accepted;
                Slot* s = slot(*id);
                close(*id);
                s->kind = Kind::Stream;
                s->stream = std::make_unique<StreamSocket>(std::move(socket));
                s->connected = true;
                fill_endpoints(*s->stream, s->local, s->peer);
                log_info(LogCategory::Bip, "channel ", int(*id), ": client ", s->peer, " connected to ",
                         s->local);
            }
            run(std::move(fx));
            if (id) read(*id);
            accept(port);
        });
}

void BipSockets::stop_listening(std::uint16_t port) {
    auto it = listeners_.find(port);
    if (it == listeners_.end()) return;
    boost::system::error_code ignored;
    if (it->second.acceptor) it->second.acceptor->close(ignored);
    log_info(LogCategory::Bip, "stopped listening on ", it->second.local);
    listeners_.erase(it);
}

// ---------------------------------------------------------------------------------------------
// Launch

void BipSockets::launch(const bip::Launch& l) {
    const auto id = l.channel;
    const ApplicationConfig* app = nullptr;
    for (const auto& a : daemon_.config().applications) {
        if (a.name == l.application) app = &a;
    }
    if (app == nullptr || app->launch.empty()) {
        log_warn(LogCategory::Bip, "channel ", int(id), ": no launch command for \"", l.application, "\"");
        later(id,
              [this, id] { return channels_.on_launch_result(id, bip::LaunchOutcome::ParametersUnusable); });
        return;
    }
    Slot* owner = slot(id);
    const std::uint64_t seq = owner != nullptr ? ++owner->launches : 0;
    auto result = launcher_.launch(app->launch, [this, id, seq](bool success, const std::string& how) {
        Slot* s = slot(id);
        log_info(LogCategory::Bip, "channel ", int(id), ": launched application ended (", how, ")");
        // Only the channel's latest launch counts (the channel may have been reused since).
        if (s == nullptr || daemon_.stopped() || s->launches != seq) return;
        s->launched = -1;
        run(channels_.on_launched_app_exited(id, success));
    });
    switch (result.outcome) {
        case bip::LaunchOutcome::Started:
            log_info(LogCategory::Bip, "channel ", int(id), ": launched \"", app->launch, "\" (pid ",
                     result.pid, ")");
            if (Slot* s = slot(id)) s->launched = result.pid;
            break;
        case bip::LaunchOutcome::ParametersUnusable:
            log_warn(LogCategory::Bip, "channel ", int(id), ": launch command of \"", l.application,
                     "\" is unusable: ", result.why);
            break;
        case bip::LaunchOutcome::Failed:
            log_warn(LogCategory::Bip, "channel ", int(id), ": cannot launch \"", l.application,
                     "\": ", result.why);
            break;
    }
    later(id, [this, id, outcome = result.outcome] { return channels_.on_launch_result(id, outcome); });
}

// ---------------------------------------------------------------------------------------------

nlohmann::json BipSockets::channels_json() const {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : channels_.snapshot()) {
        const Slot& s = slots_.at(c.id);
        list.push_back({{"id", c.id},
                        {"mode", c.mode},
                        {"transport", c.transport},
                        {"state", c.state},
                        {"port", c.port},
                        {"endpoint", c.endpoint},
                        {"application", c.application},
                        {"local", s.local},
                        {"peer", s.peer},
                        {"buffer_size", c.buffer_size},
                        {"tx_buffered", c.tx_buffered},
                        {"rx_buffered", c.rx_buffered},
                        {"bytes_sent", c.bytes_sent},
                        {"bytes_received", c.bytes_received},
                        {"bytes_dropped", c.bytes_dropped},
                        {"status", cat::to_hex(c.status)}});
    }
    nlohmann::json listeners = nlohmann::json::array();
    for (const auto& [port, l] : listeners_) {
        listeners.push_back(
            {{"port", port}, {"local", l.local}, {"accepted", l.accepted}, {"refused", l.refused}});
    }
    return {{"channels", list}, {"listeners", listeners}, {"send_resets", resets_}};
}

}  // namespace dmsc::gateway
