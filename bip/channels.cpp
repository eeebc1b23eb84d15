// bip/channels.cpp — the BIP engine: proactive commands and socket events in, effects and
// TERMINAL RESPONSEs out. Every failure cause is chosen in docs/bip.md with its clause.
#include "bip/channels.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>
#include <variant>

#include "cat/envelope.hpp"
#include "cat/response.hpp"

namespace dmsc::bip {

namespace {

using cat::BipCause;
using cat::GeneralResult;
using cat::TransportProtocol;

// "tcp://1.1.1.1:44444", "udp://[2001:db8::1]:53".
std::string remote_endpoint(Transport t, const cat::OtherAddress& address, std::uint16_t port) {
    std::string host = address.to_string();
    if (address.type && *address.type == static_cast<std::uint8_t>(cat::AddressType::Ipv6))
        host = "[" + host + "]";
    return std::string(t == Transport::Udp ? "udp://" : "tcp://") + host + ":" + std::to_string(port);
}

// 127.0.0.0/8 and ::1: client mode to this host needs no allow_remote (docs/bip.md).
bool is_loopback(const cat::OtherAddress& a) {
    if (!a.type) return false;
    if (*a.type == static_cast<std::uint8_t>(cat::AddressType::Ipv4))
        return a.address.size() == 4 && a.address[0] == 127;
    if (*a.type == static_cast<std::uint8_t>(cat::AddressType::Ipv6)) {
        if (a.address.size() != 16) return false;
        for (std::size_t i = 0; i < 15; ++i) {
            if (a.address[i] != 0) return false;
        }
        return a.address[15] == 1;
    }
    return false;
}

bool has_connection(ChannelState s) {
    return s == ChannelState::Established || s == ChannelState::Connecting || s == ChannelState::AwaitingApp;
}

}  // namespace

Channels::Channels(ChannelsConfig config, PortLookup lookup, EventRegistered event_registered)
    : config_(config), lookup_(std::move(lookup)), event_registered_(std::move(event_registered)) {
    config_.max_channels = std::clamp<std::size_t>(config_.max_channels, 1, kMaxChannels);
    if (config_.max_buffer_size == 0) config_.max_buffer_size = 1;
    if (config_.launch_retry_ms == 0) config_.launch_retry_ms = 1;
}

// ---------------------------------------------------------------------------------------------
// Proactive commands

Effects Channels::on_command(const cat::ProactiveCommand& cmd) {
    if (pending_) {
        // cat::Session fetches nothing while a command is pending; answer rather than assert.
        Effects fx;
        fx.response = cat::make_response(cmd.details, GeneralResult::TerminalCurrentlyUnable, {0x00});
        return fx;
    }
    return std::visit(
        [&](const auto& body) -> Effects {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, cat::OpenChannel>) {
                return open_channel(cmd, body);
            } else if constexpr (std::is_same_v<T, cat::CloseChannel>) {
                return close_channel(cmd, body);
            } else if constexpr (std::is_same_v<T, cat::SendData>) {
                return send_data(cmd, body);
            } else if constexpr (std::is_same_v<T, cat::ReceiveData>) {
                return receive_data(cmd, body);
            } else if constexpr (std::is_same_v<T, cat::GetChannelStatus>) {
                return get_channel_status(cmd);
            } else {
                Effects fx;
                fx.response = cat::make_response(cmd.details, GeneralResult::BeyondTerminalCapabilities);
                return fx;
            }
        },
        cmd.body);
}

// TS 102 223 clause 6.4.27 (and 6.4.27.5 UICC server mode, 6.4.27.7 Terminal Server Mode).
Effects Channels::open_channel(const cat::ProactiveCommand& cmd, const cat::OpenChannel& oc) {
    Effects fx;
    const auto requested = oc.buffer_size;
    auto refuse = [&](BipCause cause) {
        fx.response = cat::open_channel_response(cmd.details, GeneralResult::BearerIndependentProtocolError,
                                                 std::nullopt, oc.bearer, requested,
                                                 cat::Bytes{static_cast<std::uint8_t>(cause)});
        return fx;
    };

    // Which mode, from the transport level (clause 8.59). No transport level, direct channel
    // ('06') or an unknown type: '3A'/'06' requested transport level not available.
    if (!oc.transport) return refuse(BipCause::RequestedTransportLevelNotAvailable);
    Mode mode{};
    Transport transport = Transport::Tcp;
    switch (static_cast<TransportProtocol>(oc.transport->protocol)) {
        case TransportProtocol::TcpUiccServer:
            mode = Mode::UiccServer;
            break;
        case TransportProtocol::UdpClientLocal:
            mode = Mode::TerminalServer;
            transport = Transport::Udp;
            break;
        case TransportProtocol::TcpClientLocal:
            mode = Mode::TerminalServer;
            break;
        case TransportProtocol::UdpClientRemote:
            mode = Mode::ClientRemote;
            transport = Transport::Udp;
            break;
        case TransportProtocol::TcpClientRemote:
            mode = Mode::ClientRemote;
            break;
        default:
            return refuse(BipCause::RequestedTransportLevelNotAvailable);
    }
    // Remote hosts only when the configuration allows them; otherwise the transport level is
    // one we do not offer. A loopback destination (127.0.0.0/8, ::1) is this terminal: allowed.
    if (mode == Mode::ClientRemote && !config_.allow_remote &&
        !(oc.destination && is_loopback(*oc.destination))) {
        return refuse(BipCause::RequestedTransportLevelNotAvailable);
    }

    const auto id = free_id();
    if (!id) return refuse(BipCause::NoChannelAvailable);

    Channel c;
    c.id = *id;
    c.mode = mode;
    c.transport = transport;
    c.port = oc.transport->port;
    // Clause 6.4.27: a buffer larger than the terminal can give is reduced, answered '07'
    // performed with modification with the size granted. 0 is not a size: grant the most too.
    bool modified = false;
    if (requested == 0 || requested > config_.max_buffer_size) {
        c.buffer_size = config_.max_buffer_size;
        modified = true;
    } else {
        c.buffer_size = requested;
    }
    const auto general = modified ? GeneralResult::PerformedWithModification : GeneralResult::Success;
    const bool immediate = cat::OpenChannel::immediate_link(cmd.details.qualifier);

    switch (mode) {
        case Mode::TerminalServer: {
            // Class "k": the port must be registered by a terminal application ('3A'/'10').
            auto app = lookup_ ? lookup_(c.port) : std::nullopt;
            if (!app) return refuse(BipCause::PortNotAvailable);
            c.endpoint = app->endpoint;
            c.application = app->name;
            c.launchable = app->launchable;
            c.launch_timeout_ms = app->launch_timeout_ms;
            break;
        }
        case Mode::ClientRemote: {
            if (!oc.destination || !oc.destination->type || oc.destination->address.empty()) {
                // 6.6.27.2: client mode needs the data destination address; a dynamic (empty)
                // one cannot be connected to.
                fx.response =
                    cat::open_channel_response(cmd.details, GeneralResult::ErrorRequiredValuesMissing,
                                               std::nullopt, oc.bearer, requested);
                return fx;
            }
            c.endpoint = remote_endpoint(transport, *oc.destination, c.port);
            break;
        }
        case Mode::UiccServer:
            break;
    }

    PendingCommand p{c.id, Waiting::OpenConnect, cmd.details, oc.bearer, modified, 0};
    if (mode == Mode::UiccServer) {
        if (port_in_use(c.port, 0)) {
            // Another channel of this card already listens there (an SCWS serving several
            // clients on one port): share the listener.
            c.state = ChannelState::Listen;
            fx.response =
                cat::open_channel_response(cmd.details, general, c.status(), oc.bearer, c.buffer_size);
        } else {
            c.state = ChannelState::ListenPending;
            fx.actions.emplace_back(Listen{c.id, c.port});
            p.waiting = Waiting::OpenListen;
            pending_ = p;
            fx.pending = true;
        }
    } else if (immediate) {
        c.state = ChannelState::Connecting;
        fx.actions.emplace_back(Connect{c.id, c.endpoint, c.transport});
        pending_ = p;
        fx.pending = true;
    } else {
        // On demand: the link is set up by the first SEND DATA (send immediately).
        c.state = ChannelState::Idle;
        fx.response = cat::open_channel_response(cmd.details, general, c.status(), oc.bearer, c.buffer_size);
    }
    closed_by_card_[c.id - 1] = false;
    slots_[c.id - 1] = std::move(c);
    return fx;
}

// TS 102 223 clause 6.4.28; qualifier clause 8.6.
Effects Channels::close_channel(const cat::ProactiveCommand& cmd, const cat::CloseChannel& cc) {
    Effects fx;
    Channel* c = find(cc.channel_id);
    if (!c) {
        fx.response = cat::bip_error(cmd.details, missing_channel_cause(cc.channel_id));
        return fx;
    }
    if (c->state == ChannelState::AwaitingApp) fx.actions.emplace_back(CancelTimer{c->id});
    if (c->mode == Mode::UiccServer && (cmd.details.qualifier & 0x01) != 0) {
        // 8.6 CLOSE CHANNEL, UICC server mode, bit 1 = 1: close the client connection and go
        // back to TCP in LISTEN state; the port stays bound for the next client.
        if (c->state == ChannelState::Established) fx.actions.emplace_back(Close{c->id});
        c->state = ChannelState::Listen;
        c->tx.clear();
        c->rx.clear();
        if (c->reading_paused) c->reading_paused = false;
    } else {
        // Bit 1 = 0 (UICC server mode: TCP in CLOSED state, the port is freed) and every other
        // mode: the channel is closed and its identifier released.
        if (has_connection(c->state)) fx.actions.emplace_back(Close{c->id});
        const auto id = c->id;
        release(*c, fx);
        closed_by_card_[id - 1] = true;
    }
    fx.response = cat::make_response(cmd.details, GeneralResult::Success);
    return fx;
}

// TS 102 223 clause 6.4.30. Qualifier bit 1: 0 store in the Tx buffer, 1 send immediately.
Effects Channels::send_data(const cat::ProactiveCommand& cmd, const cat::SendData& sd) {
    Effects fx;
    Channel* c = find(sd.channel_id);
    if (!c) {
        fx.response = cat::bip_error(cmd.details, missing_channel_cause(sd.channel_id));
        return fx;
    }
    if (c->state == ChannelState::Dropped) {
        fx.response = cat::bip_error(cmd.details, BipCause::ChannelClosed);
        return fx;
    }
    if (c->state == ChannelState::LaunchFailed) {
        // 8.12.11 '12' application launch failed: SEND DATA in Terminal Server Mode.
        fx.response = cat::bip_error(cmd.details, BipCause::ApplicationLaunchFailed);
        return fx;
    }
    // More than the Tx buffer can still hold: refused whole, the buffer is left as it was
    // ('3A'/'04' requested buffer size not available, docs/bip.md).
    if (sd.data.size() > c->tx_free()) {
        fx.response = cat::bip_error(cmd.details, BipCause::RequestedBufferSizeNotAvailable);
        return fx;
    }
    const bool immediate = cat::SendData::send_immediately(cmd.details.qualifier);
    if (immediate && c->mode == Mode::UiccServer && c->state != ChannelState::Established) {
        // No client connected to the UICC server: nothing to send to.
        fx.response = cat::bip_error(cmd.details, BipCause::ChannelClosed);
        return fx;
    }
    c->tx.insert(c->tx.end(), sd.data.begin(), sd.data.end());
    if (!immediate || c->tx.empty()) {
        fx.response = cat::send_data_response(cmd.details, cat::channel_data_length_byte(c->tx_free()));
        return fx;
    }
    PendingCommand p{c->id, Waiting::SendWrite, cmd.details, std::nullopt, false, 0};
    switch (c->state) {
        case ChannelState::Established:
            p.write_size = flush(*c, fx);
            break;
        case ChannelState::Idle:
            // On-demand link: set it up now; the data goes when it is connected.
            c->state = ChannelState::Connecting;
            fx.actions.emplace_back(Connect{c->id, c->endpoint, c->transport});
            p.waiting = Waiting::SendConnect;
            break;
        default:
            // Connecting / Launching / AwaitingApp: the link is on its way already.
            p.waiting = Waiting::SendConnect;
            break;
    }
    pending_ = p;
    fx.pending = true;
    return fx;
}

// TS 102 223 clause 6.4.29.
Effects Channels::receive_data(const cat::ProactiveCommand& cmd, const cat::ReceiveData& rd) {
    Effects fx;
    Channel* c = find(rd.channel_id);
    if (!c) {
        fx.response = cat::bip_error(cmd.details, missing_channel_cause(rd.channel_id));
        return fx;
    }
    if (c->rx.empty() && c->state == ChannelState::Dropped) {
        fx.response = cat::bip_error(cmd.details, BipCause::ChannelClosed);
        return fx;
    }
    const std::size_t asked = rd.length;
    const std::size_t n = std::min({asked, kMaxReceiveChunk, c->rx.size()});
    // 6.4.29: asked for more than the Rx buffer holds → what there is, '02' performed with
    // missing information. More than one TERMINAL RESPONSE can carry → '07' performed with
    // modification (the length the UICC asked for was changed).
    auto general = GeneralResult::Success;
    if (asked > c->rx.size()) {
        general = GeneralResult::MissingInformation;
    } else if (asked > kMaxReceiveChunk) {
        general = GeneralResult::PerformedWithModification;
    }
    const cat::Bytes data(c->rx.begin(), c->rx.begin() + static_cast<std::ptrdiff_t>(n));
    c->rx.erase(c->rx.begin(), c->rx.begin() + static_cast<std::ptrdiff_t>(n));
    fx.response =
        cat::receive_data_response(cmd.details, general, data, cat::channel_data_length_byte(c->rx.size()));
    if (c->reading_paused && c->rx_room() > 0) {
        c->reading_paused = false;
        fx.actions.emplace_back(ResumeReading{c->id});
    }
    return fx;
}

// TS 102 223 clause 6.4.31: one channel status per open channel; none open → '00 00'
// (cat::get_channel_status_response).
Effects Channels::get_channel_status(const cat::ProactiveCommand& cmd) {
    Effects fx;
    std::vector<cat::ChannelStatus> all;
    for (const auto& s : slots_) {
        if (s) all.push_back(s->status());
    }
    fx.response = cat::get_channel_status_response(cmd.details, all);
    return fx;
}

// ---------------------------------------------------------------------------------------------
// Events from the daemon

Effects Channels::on_connected(ChannelId id) {
    Effects fx;
    Channel* c = find(id);
    if (!c || (c->state != ChannelState::Connecting && c->state != ChannelState::AwaitingApp)) return fx;
    c->state = ChannelState::Established;
    if (pending_on(id, Waiting::OpenConnect)) {
        complete_open_ok(fx, *c);
    } else if (pending_on(id, Waiting::SendConnect)) {
        pending_->write_size = flush(*c, fx);
        pending_->waiting = Waiting::SendWrite;
    }
    return fx;
}

Effects Channels::on_connect_failed(ChannelId id) {
    Effects fx;
    Channel* c = find(id);
    if (!c) return fx;
    if (c->state == ChannelState::AwaitingApp) {
        if (c->connect_attempts_left > 0) {
            fx.actions.emplace_back(StartTimer{id, config_.launch_retry_ms});
            return fx;
        }
        // The application was launched but never listened in time.
        c->state = ChannelState::LaunchFailed;
        c->tx.clear();
        if (pending_on(id, Waiting::SendConnect)) complete_send_error(fx, BipCause::ApplicationLaunchFailed);
        return fx;
    }
    if (c->state != ChannelState::Connecting) return fx;
    if (c->mode == Mode::TerminalServer && c->launchable) {
        // Nothing listens but a launch command is configured: start the application.
        c->state = ChannelState::Launching;
        fx.actions.emplace_back(Launch{id, c->application});
        if (pending_on(id, Waiting::OpenConnect)) pending_->waiting = Waiting::OpenLaunch;
        return fx;
    }
    // '3A'/'07' remote device not reachable, on the OPEN CHANNEL (immediate link) or on the
    // SEND DATA that set up an on-demand link.
    if (pending_on(id, Waiting::OpenConnect)) {
        complete_open_error(fx, *c, BipCause::RemoteDeviceNotReachable);
        return fx;
    }
    c->state = ChannelState::Idle;
    c->tx.clear();
    if (pending_on(id, Waiting::SendConnect)) complete_send_error(fx, BipCause::RemoteDeviceNotReachable);
    return fx;
}

Effects Channels::on_launch_result(ChannelId id, LaunchOutcome outcome) {
    Effects fx;
    Channel* c = find(id);
    if (!c || c->state != ChannelState::Launching) return fx;
    const bool open = pending_on(id, Waiting::OpenLaunch);
    const bool send = pending_on(id, Waiting::SendConnect);
    switch (outcome) {
        case LaunchOutcome::Started:
            start_launch_retries(*c, fx);
            // Immediate link: the channel is open, its link follows when the application
            // listens; a SEND DATA meanwhile waits for it (and gets '12' if it never comes).
            if (open) complete_open_ok(fx, *c);
            break;
        case LaunchOutcome::ParametersUnusable:
            // 8.12.11 '11' launch parameters missing or incorrect (OPEN CHANNEL or SEND DATA).
            if (open) {
                complete_open_error(fx, *c, BipCause::LaunchParametersMissingOrIncorrect);
                break;
            }
            c->state = ChannelState::Idle;
            c->tx.clear();
            if (send) complete_send_error(fx, BipCause::LaunchParametersMissingOrIncorrect);
            break;
        case LaunchOutcome::Failed:
            // '12' belongs to SEND DATA (8.12.11); an OPEN CHANNEL gets '07' remote device not
            // reachable, which is what it is.
            if (open) {
                complete_open_error(fx, *c, BipCause::RemoteDeviceNotReachable);
                break;
            }
            c->state = ChannelState::LaunchFailed;
            c->tx.clear();
            if (send) complete_send_error(fx, BipCause::ApplicationLaunchFailed);
            break;
    }
    return fx;
}

Effects Channels::on_launched_app_exited(ChannelId id, bool success) {
    Effects fx;
    Channel* c = find(id);
    if (success || !c || c->state != ChannelState::AwaitingApp) return fx;
    // It failed before it ever listened: no point retrying until the time-out.
    fx.actions.emplace_back(CancelTimer{id});
    c->state = ChannelState::LaunchFailed;
    c->connect_attempts_left = 0;
    c->tx.clear();
    if (pending_on(id, Waiting::SendConnect)) complete_send_error(fx, BipCause::ApplicationLaunchFailed);
    return fx;
}

Effects Channels::on_timer(ChannelId id) {
    Effects fx;
    Channel* c = find(id);
    if (!c || c->state != ChannelState::AwaitingApp) return fx;
    if (c->connect_attempts_left > 0) --c->connect_attempts_left;
    fx.actions.emplace_back(Connect{id, c->endpoint, c->transport});
    return fx;
}

Effects Channels::on_listening(ChannelId id) {
    Effects fx;
    Channel* c = find(id);
    if (!c || c->state != ChannelState::ListenPending) return fx;
    c->state = ChannelState::Listen;
    if (pending_on(id, Waiting::OpenListen)) complete_open_ok(fx, *c);
    return fx;
}

Effects Channels::on_listen_failed(ChannelId id) {
    Effects fx;
    Channel* c = find(id);
    if (!c || c->state != ChannelState::ListenPending) return fx;
    // The port is taken on the terminal (another process bound it): '3A'/'10'.
    if (pending_on(id, Waiting::OpenListen)) {
        complete_open_error(fx, *c, BipCause::PortNotAvailable);
    } else {
        release(*c, fx);
    }
    return fx;
}

std::optional<ChannelId> Channels::on_accept(std::uint16_t port, Effects& fx) {
    // One TCP connection per channel (8.56 has one TCP state per channel): the lowest channel
    // in LISTEN on that port whose Rx buffer the card has emptied takes it.
    for (auto& s : slots_) {
        if (!s || s->mode != Mode::UiccServer || s->port != port) continue;
        if (s->state != ChannelState::Listen || !s->rx.empty()) continue;
        s->state = ChannelState::Established;
        s->tx.clear();
        queue_channel_status(*s, fx);  // 7.5.11: TCP in ESTABLISHED state
        return s->id;
    }
    return std::nullopt;
}

Effects Channels::on_data(ChannelId id, cat::ByteView data) {
    Effects fx;
    Channel* c = find(id);
    if (!c || c->state != ChannelState::Established || data.empty()) return fx;
    const std::size_t take = std::min(c->rx_room(), data.size());
    c->bytes_dropped += data.size() - take;
    if (take == 0) return fx;
    const bool was_empty = c->rx.empty();
    c->rx.insert(c->rx.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    c->bytes_received += take;
    if (c->rx_room() == 0) c->reading_paused = true;
    // 7.5.10: Data available when data arrives in an empty Rx buffer; while the card has not
    // emptied it, the channel data length of each RECEIVE DATA tells it what is left.
    if (was_empty) queue_data_available(*c, fx);
    return fx;
}

Effects Channels::on_peer_closed(ChannelId id) {
    Effects fx;
    Channel* c = find(id);
    if (!c || c->state != ChannelState::Established) return fx;
    link_dropped(*c, fx);
    return fx;
}

Effects Channels::on_write_done(ChannelId id) {
    Effects fx;
    if (!pending_on(id, Waiting::SendWrite)) return fx;
    Channel* c = find(id);
    if (!c) return fx;
    c->bytes_sent += pending_->write_size;
    complete(fx, cat::send_data_response(pending_->details, cat::channel_data_length_byte(c->tx_free())));
    return fx;
}

Effects Channels::on_write_failed(ChannelId id) {
    Effects fx;
    Channel* c = find(id);
    if (!c) return fx;
    if (c->state == ChannelState::Established) link_dropped(*c, fx);
    // Never a success for bytes that did not reach the socket: '3A'/'02' channel closed.
    if (pending_on(id, Waiting::SendWrite)) complete_send_error(fx, BipCause::ChannelClosed);
    return fx;
}

Effects Channels::on_write_refused(ChannelId id) {
    Effects fx;
    if (pending_on(id, Waiting::SendWrite)) complete_send_error(fx, BipCause::SecurityError);
    return fx;
}

Effects Channels::on_command_timed_out() {
    Effects fx;
    if (!pending_) return fx;
    const auto p = *pending_;
    pending_.reset();
    Channel* c = find(p.channel);
    if (!c) return fx;
    switch (p.waiting) {
        case Waiting::OpenConnect:
        case Waiting::OpenLaunch:
        case Waiting::OpenListen:
            // The card was told '20': as far as it knows no channel was opened. The Close also
            // makes the daemon ignore a late connect or launch result for this channel.
            if (p.waiting != Waiting::OpenListen) fx.actions.emplace_back(Close{c->id});
            if (p.waiting == Waiting::OpenListen) fx.actions.emplace_back(StopListening{c->port});
            release(*c, fx);
            break;
        case Waiting::SendConnect:
            // The link is still being set up (connect, launch): nothing was written yet. The
            // card was told the data was not sent: it is dropped, the link may still come up.
            c->tx.clear();
            break;
        case Waiting::SendWrite:
            // Part of the Write may be on the wire, the rest is still queued in the daemon. The
            // card was told '20' and will send it again: the queued rest must never reach the
            // peer (it would be a second copy), and what the peer already has is an incomplete
            // message. So the connection is reset (docs/bip.md "A SEND DATA answered '20'").
            reset_link(*c, fx);
            break;
    }
    return fx;
}

Effects Channels::card_removed() {
    Effects fx;
    pending_.reset();
    closed_by_card_.fill(false);
    for (auto& s : slots_) {
        if (!s) continue;
        if (s->state == ChannelState::AwaitingApp) fx.actions.emplace_back(CancelTimer{s->id});
        if (has_connection(s->state)) fx.actions.emplace_back(Close{s->id});
        if (s->state == ChannelState::ListenPending) fx.actions.emplace_back(StopListening{s->port});
        release(*s, fx);
    }
    return fx;
}

// ---------------------------------------------------------------------------------------------
// Introspection

std::size_t Channels::rx_room(ChannelId id) const {
    const Channel* c = channel(id);
    return c && c->state == ChannelState::Established ? c->rx_room() : 0;
}

const Channel* Channels::channel(ChannelId id) const {
    if (id < 1 || id > config_.max_channels) return nullptr;
    const auto& s = slots_[id - 1];
    return s ? &*s : nullptr;
}

std::vector<ChannelInfo> Channels::snapshot() const {
    std::vector<ChannelInfo> out;
    for (const auto& s : slots_) {
        if (s) out.push_back(bip::snapshot(*s));
    }
    return out;
}

std::size_t Channels::open_channels() const {
    return static_cast<std::size_t>(
        std::count_if(slots_.begin(), slots_.end(), [](const auto& s) { return s.has_value(); }));
}

// ---------------------------------------------------------------------------------------------
// Helpers

// A channel the card closed itself with CLOSE CHANNEL is "closed" ('02', TS 31.124 / TS 102 384
// CLOSE CHANNEL sequence 1.3) until its identifier is used again; an identifier that was never
// open, or is beyond max_channels, is "not valid" ('03', sequence 1.2).
BipCause Channels::missing_channel_cause(ChannelId id) const {
    if (id >= 1 && id <= config_.max_channels && closed_by_card_[id - 1]) return BipCause::ChannelClosed;
    return BipCause::ChannelIdentifierNotValid;
}

Channel* Channels::find(ChannelId id) {
    return const_cast<Channel*>(std::as_const(*this).channel(id));
}

std::optional<ChannelId> Channels::free_id() const {
    for (std::size_t i = 0; i < config_.max_channels; ++i) {
        if (!slots_[i]) return static_cast<ChannelId>(i + 1);
    }
    return std::nullopt;
}

bool Channels::port_in_use(std::uint16_t port, ChannelId except) const {
    return std::any_of(slots_.begin(), slots_.end(), [&](const auto& s) {
        return s && s->id != except && s->mode == Mode::UiccServer && s->port == port &&
               (s->state == ChannelState::Listen || s->state == ChannelState::Established);
    });
}

void Channels::release(Channel& c, Effects& fx) {
    const bool listener = c.mode == Mode::UiccServer &&
                          (c.state == ChannelState::Listen || c.state == ChannelState::Established);
    const auto id = c.id;
    const auto port = c.port;
    slots_[id - 1].reset();
    if (listener && !port_in_use(port, 0)) fx.actions.emplace_back(StopListening{port});
}

// Send-immediately: everything in the Tx buffer goes out in one Write; the bytes count as
// sent when the daemon says they were written.
std::size_t Channels::flush(Channel& c, Effects& fx) {
    const std::size_t n = c.tx.size();
    fx.actions.emplace_back(Write{c.id, std::move(c.tx)});
    c.tx.clear();
    return n;
}

void Channels::start_launch_retries(Channel& c, Effects& fx) {
    c.state = ChannelState::AwaitingApp;
    const std::uint32_t timeout = c.launch_timeout_ms != 0 ? c.launch_timeout_ms : config_.launch_timeout_ms;
    c.connect_attempts_left = std::max<std::uint32_t>(1, timeout / config_.launch_retry_ms);
    fx.actions.emplace_back(StartTimer{c.id, config_.launch_retry_ms});
}

void Channels::reset_link(Channel& c, Effects& fx) {
    fx.actions.emplace_back(Abort{c.id});
    c.tx.clear();
    c.reading_paused = false;  // no connection to resume reading on
    if (c.mode == Mode::UiccServer) {
        // The client's connection is gone: back to LISTEN for the next one ('41 00' event);
        // what it sent stays readable.
        c.state = ChannelState::Listen;
    } else {
        // Terminal Server Mode / client mode: the link is down but the channel stays open; the
        // next send immediately connects again, as on an on-demand link, so the card's retry is
        // delivered once, on a new connection.
        c.state = ChannelState::Idle;
    }
    queue_channel_status(c, fx);  // 7.5.11: a link change the card did not ask for
}

void Channels::link_dropped(Channel& c, Effects& fx) {
    fx.actions.emplace_back(Close{c.id});
    c.tx.clear();
    if (c.mode == Mode::UiccServer) {
        // The client went away: the channel is back in LISTEN for the next one; what it sent
        // stays readable.
        c.state = ChannelState::Listen;
    } else {
        c.state = ChannelState::Dropped;  // 8.56: link not established, '05' link dropped
    }
    queue_channel_status(c, fx);
}

void Channels::queue_channel_status(const Channel& c, Effects& fx) {
    if (!event_registered_ || !event_registered_(cat::EventType::ChannelStatus)) return;
    fx.actions.emplace_back(QueueEnvelope{c.id, cat::encode(cat::channel_status_event(c.status()))});
}

void Channels::queue_data_available(const Channel& c, Effects& fx) {
    if (!event_registered_ || !event_registered_(cat::EventType::DataAvailable)) return;
    fx.actions.emplace_back(
        QueueEnvelope{c.id, cat::encode(cat::data_available_event(c.status(), c.rx.size()))});
}

bool Channels::pending_on(ChannelId id, Waiting w) const {
    return pending_ && pending_->channel == id && pending_->waiting == w;
}

void Channels::complete(Effects& fx, cat::TerminalResponse tr) {
    fx.completion = std::move(tr);
    pending_.reset();
}

void Channels::complete_open_ok(Effects& fx, const Channel& c) {
    const auto general =
        pending_->modified ? GeneralResult::PerformedWithModification : GeneralResult::Success;
    complete(fx, cat::open_channel_response(pending_->details, general, c.status(), pending_->bearer,
                                            c.buffer_size));
}

void Channels::complete_open_error(Effects& fx, Channel& c, BipCause cause) {
    auto tr = cat::open_channel_response(pending_->details, GeneralResult::BearerIndependentProtocolError,
                                         std::nullopt, pending_->bearer, c.buffer_size,
                                         cat::Bytes{static_cast<std::uint8_t>(cause)});
    release(c, fx);
    complete(fx, std::move(tr));
}

void Channels::complete_send_error(Effects& fx, BipCause cause) {
    complete(fx, cat::bip_error(pending_->details, cause));
}

}  // namespace dmsc::bip
