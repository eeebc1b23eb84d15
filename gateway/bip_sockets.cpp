// gateway/bip_sockets.cpp — bip::Channels effects executed with Asio (TCP, Terminal Server Mode).
#include "gateway/bip_sockets.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop
#include <algorithm>
#include <nlohmann/json.hpp>
#include <variant>

#include "cat/bytes.hpp"
#include "gateway/config.hpp"
#include "gateway/daemon.hpp"
#include "gateway/log.hpp"

namespace dmsc::gateway {

namespace {

using boost::asio::ip::tcp;

bip::ChannelsConfig channels_config(const Config& config) {
    bip::ChannelsConfig c;
    c.max_channels = std::clamp<std::size_t>(config.bip.max_channels, 1, bip::kMaxChannels);
    c.max_buffer_size = config.bip.buffer_size;
    c.allow_remote = config.bip.allow_remote;
    return c;
}

}  // namespace

BipSockets::BipSockets(Daemon& daemon)
    : daemon_(daemon),
      channels_(
          channels_config(daemon.config()),
          [this](std::uint16_t port) -> std::optional<bip::TerminalApp> {
              const auto* app = daemon_.registry().find_registered_port(port);
              if (app == nullptr) return std::nullopt;
              return bip::TerminalApp{app->name, app->deliver, !app->launch.empty()};
          },
          [this](cat::EventType e) { return daemon_.registry().events().is_registered(e); }) {
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
    for (std::size_t i = 1; i < slots_.size(); ++i) close(static_cast<bip::ChannelId>(i));
}

template <class F>
void BipSockets::later(bip::ChannelId id, F f) {
    Slot* s = slot(id);
    const std::uint64_t generation = s != nullptr ? s->generation : 0;
    boost::asio::post(daemon_.io(), [this, id, generation, f = std::move(f)] {
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
                log_warn(LogCategory::Bip, "UICC server mode (listen on port ", e.port,
                         ") is not supported yet");
                later(e.channel, [this, id = e.channel] { return channels_.on_listen_failed(id); });
            } else if constexpr (std::is_same_v<T, bip::StopListening>) {
                // Nothing is ever bound (Listen always fails).
            } else if constexpr (std::is_same_v<T, bip::Write>) {
                write(e);
            } else if constexpr (std::is_same_v<T, bip::Close>) {
                close(e.channel);
            } else if constexpr (std::is_same_v<T, bip::Launch>) {
                log_warn(LogCategory::Bip, "launching \"", e.application, "\" is not supported yet");
                later(e.channel, [this, id = e.channel] {
                    return channels_.on_launch_result(id, bip::LaunchOutcome::Failed);
                });
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

void BipSockets::connect(const bip::Connect& c) {
    Slot* s = slot(c.channel);
    if (s == nullptr) return;
    close(c.channel);
    ++s->generation;
    const std::uint64_t generation = s->generation;
    std::string why;
    const auto uri = parse_deliver_uri(c.endpoint, why);
    boost::system::error_code ec;
    tcp::endpoint target;
    if (!uri || uri->scheme != DeliverScheme::Tcp || c.transport != bip::Transport::Tcp) {
        why = why.empty() ? "only tcp:// endpoints are supported yet" : why;
    } else {
        const auto address = boost::asio::ip::make_address(uri->host, ec);
        if (ec) {
            why = "host \"" + uri->host + "\" is not an IP address (names are not resolved yet)";
        } else {
            target = tcp::endpoint(address, uri->port);
        }
    }
    if (!why.empty()) {
        log_warn(LogCategory::Bip, "channel ", int(c.channel), ": cannot connect to ", c.endpoint, ": ", why);
        later(c.channel, [this, id = c.channel] { return channels_.on_connect_failed(id); });
        return;
    }
    s->socket = std::make_unique<tcp::socket>(daemon_.io());
    s->socket->async_connect(target, [this, id = c.channel, generation,
                                      endpoint = c.endpoint](const boost::system::error_code& error) {
        Slot* now = slot(id);
        if (daemon_.stopped() || now == nullptr || now->generation != generation) return;
        if (error) {
            log_warn(LogCategory::Bip, "channel ", int(id), ": connect to ", endpoint,
                     " failed: ", error.message());
            now->socket.reset();
            run(channels_.on_connect_failed(id));
            return;
        }
        log_info(LogCategory::Bip, "channel ", int(id), ": connected to ", endpoint);
        now->connected = true;
        run(channels_.on_connected(id));
        read(id);
    });
}

void BipSockets::write(const bip::Write& w) {
    Slot* s = slot(w.channel);
    if (s == nullptr || !s->socket || !s->connected) {
        later(w.channel, [this, id = w.channel] { return channels_.on_write_failed(id); });
        return;
    }
    auto data = std::make_shared<cat::Bytes>(w.data);
    const std::uint64_t generation = s->generation;
    boost::asio::async_write(
        *s->socket, boost::asio::buffer(*data),
        [this, id = w.channel, generation, data](const boost::system::error_code& error, std::size_t) {
            Slot* now = slot(id);
            if (daemon_.stopped() || now == nullptr || now->generation != generation) return;
            if (error) {
                log_warn(LogCategory::Bip, "channel ", int(id), ": write failed: ", error.message());
                run(channels_.on_write_failed(id));
                return;
            }
            run(channels_.on_write_done(id));
        });
}

void BipSockets::read(bip::ChannelId id) {
    Slot* s = slot(id);
    if (s == nullptr || !s->socket || !s->connected || s->reading) return;
    const std::size_t room = std::min(channels_.rx_room(id), s->buffer.size());
    if (room == 0) return;  // ResumeReading starts it again
    s->reading = true;
    const std::uint64_t generation = s->generation;
    s->socket->async_read_some(boost::asio::buffer(s->buffer.data(), room),
                               [this, id, generation](const boost::system::error_code& error, std::size_t n) {
                                   Slot* now = slot(id);
                                   if (daemon_.stopped() || now == nullptr || now->generation != generation)
                                       return;
                                   now->reading = false;
                                   if (n > 0)
                                       run(channels_.on_data(id, cat::ByteView(now->buffer.data(), n)));
                                   if (error) {
                                       log_info(LogCategory::Bip, "channel ", int(id),
                                                ": connection closed by the peer (", error.message(), ")");
                                       now->connected = false;
                                       run(channels_.on_peer_closed(id));
                                       return;
                                   }
                                   read(id);
                               });
}

void BipSockets::close(bip::ChannelId id) {
    Slot* s = slot(id);
    if (s == nullptr) return;
    ++s->generation;
    s->reading = false;
    s->connected = false;
    if (s->socket) {
        boost::system::error_code ignored;
        s->socket->shutdown(tcp::socket::shutdown_both, ignored);
        s->socket->close(ignored);
        s->socket.reset();
    }
    if (s->timer) s->timer->cancel();
}

void BipSockets::start_timer(const bip::StartTimer& t) {
    Slot* s = slot(t.channel);
    if (s == nullptr) return;
    if (!s->timer) s->timer = std::make_unique<boost::asio::steady_timer>(daemon_.io());
    s->timer->expires_after(std::chrono::milliseconds(t.milliseconds));
    s->timer->async_wait([this, id = t.channel](const boost::system::error_code& error) {
        if (error || daemon_.stopped()) return;
        run(channels_.on_timer(id));
    });
}

nlohmann::json BipSockets::channels_json() const {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : channels_.snapshot()) {
        list.push_back({{"id", c.id},
                        {"mode", c.mode},
                        {"transport", c.transport},
                        {"state", c.state},
                        {"port", c.port},
                        {"endpoint", c.endpoint},
                        {"application", c.application},
                        {"buffer_size", c.buffer_size},
                        {"tx_buffered", c.tx_buffered},
                        {"rx_buffered", c.rx_buffered},
                        {"bytes_sent", c.bytes_sent},
                        {"bytes_received", c.bytes_received},
                        {"bytes_dropped", c.bytes_dropped},
                        {"status", cat::to_hex(c.status)}});
    }
    return {{"channels", list}};
}

}  // namespace dmsc::gateway
