// bip/channel.cpp — channel status objects, names and snapshots of BIP channels.
#include "bip/channel.hpp"

#include <type_traits>

namespace dmsc::bip {

std::string_view name_of(Mode mode) {
    switch (mode) {
        case Mode::UiccServer:
            return "UICC server mode";
        case Mode::TerminalServer:
            return "Terminal Server Mode";
        case Mode::ClientRemote:
            return "client remote";
    }
    return "";
}

std::string_view name_of(ChannelState state) {
    switch (state) {
        case ChannelState::Idle:
            return "idle (on demand)";
        case ChannelState::Connecting:
            return "connecting";
        case ChannelState::Launching:
            return "launching application";
        case ChannelState::AwaitingApp:
            return "waiting for application";
        case ChannelState::Established:
            return "established";
        case ChannelState::Dropped:
            return "link dropped";
        case ChannelState::LaunchFailed:
            return "application launch failed";
        case ChannelState::ListenPending:
            return "opening listener";
        case ChannelState::Listen:
            return "listen";
    }
    return "";
}

std::string_view name_of(Transport transport) {
    return transport == Transport::Udp ? "udp" : "tcp";
}

cat::ChannelStatus Channel::status() const {
    constexpr std::uint8_t kLinkDropped = 0x05;  // TS 102 223 8.56 byte 2
    if (mode == Mode::UiccServer) {
        // 8.56: TCP in CLOSED (00) / LISTEN (01) / ESTABLISHED (10) state, bits 7-8.
        switch (state) {
            case ChannelState::Established:
                return cat::ChannelStatus::server(id, cat::TcpState::Established);
            case ChannelState::Listen:
                return cat::ChannelStatus::server(id, cat::TcpState::Listen);
            default:
                return cat::ChannelStatus::server(id, cat::TcpState::Closed);
        }
    }
    const bool dropped = state == ChannelState::Dropped;
    return cat::ChannelStatus::client(id, state == ChannelState::Established, dropped ? kLinkDropped : 0);
}

ChannelInfo snapshot(const Channel& c) {
    ChannelInfo i;
    i.id = c.id;
    i.mode = std::string(name_of(c.mode));
    i.transport = std::string(name_of(c.transport));
    i.state = std::string(name_of(c.state));
    i.port = c.port;
    i.endpoint = c.endpoint;
    i.application = c.application;
    i.buffer_size = c.buffer_size;
    i.tx_buffered = c.tx.size();
    i.rx_buffered = c.rx.size();
    i.bytes_sent = c.bytes_sent;
    i.bytes_received = c.bytes_received;
    i.bytes_dropped = c.bytes_dropped;
    i.status = c.status().encode();
    return i;
}

std::string describe(const Effect& effect) {
    return std::visit(
        [](const auto& e) -> std::string {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, Connect>) {
                return "connect channel " + std::to_string(e.channel) + " " + e.endpoint + " (" +
                       std::string(name_of(e.transport)) + ")";
            } else if constexpr (std::is_same_v<T, Listen>) {
                return "listen port " + std::to_string(e.port) + " for channel " + std::to_string(e.channel);
            } else if constexpr (std::is_same_v<T, StopListening>) {
                return "stop listening on port " + std::to_string(e.port);
            } else if constexpr (std::is_same_v<T, Write>) {
                return "write channel " + std::to_string(e.channel) + ", " + std::to_string(e.data.size()) +
                       " bytes";
            } else if constexpr (std::is_same_v<T, Close>) {
                return "close channel " + std::to_string(e.channel);
            } else if constexpr (std::is_same_v<T, Abort>) {
                return "reset channel " + std::to_string(e.channel) + " (unsent bytes discarded)";
            } else if constexpr (std::is_same_v<T, Launch>) {
                return "launch \"" + e.application + "\" for channel " + std::to_string(e.channel);
            } else if constexpr (std::is_same_v<T, StartTimer>) {
                return "timer channel " + std::to_string(e.channel) + " in " +
                       std::to_string(e.milliseconds) + " ms";
            } else if constexpr (std::is_same_v<T, CancelTimer>) {
                return "cancel timer channel " + std::to_string(e.channel);
            } else if constexpr (std::is_same_v<T, ResumeReading>) {
                return "resume reading channel " + std::to_string(e.channel);
            } else {
                return "queue ENVELOPE " + cat::to_hex(e.ber) + " (channel " + std::to_string(e.channel) +
                       ")";
            }
        },
        effect);
}

}  // namespace dmsc::bip
