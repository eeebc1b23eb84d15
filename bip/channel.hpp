// bip/channel.hpp — one BIP channel: its mode, transport, state, Tx/Rx buffers and counters,
// and its channel status object (TS 102 223 clause 8.56).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bip/effects.hpp"
#include "cat/bytes.hpp"
#include "cat/objects.hpp"

namespace dmsc::bip {

// TS 102 223 clause 8.59 transport types, grouped by who connects to whom.
enum class Mode : std::uint8_t {
    UiccServer,      // '03' TCP, UICC server mode: the terminal listens, a local client connects
    TerminalServer,  // '04' UDP / '05' TCP "UICC in client mode, local connection" (class "k")
    ClientRemote,    // '01' UDP / '02' TCP client mode to a remote host (class "e")
};

// The channel's life (docs/bip.md has the diagrams).
enum class ChannelState : std::uint8_t {
    Idle,           // on-demand link, not connected yet (connects at the first send-immediately)
    Connecting,     // Connect issued, waiting for on_connected / on_connect_failed
    Launching,      // Launch issued, waiting for on_launch_result
    AwaitingApp,    // the application was launched: retrying Connect on a timer
    Established,    // connected (client/Terminal Server Mode) or a client accepted (UICC server mode)
    Dropped,        // the link went down (peer closed, write failed, connect failed)
    LaunchFailed,   // the application never listened: SEND DATA gets '3A'/'12'
    ListenPending,  // UICC server mode: Listen issued, waiting for on_listening / on_listen_failed
    Listen,         // UICC server mode: TCP in LISTEN state, no client
};

std::string_view name_of(Mode mode);
std::string_view name_of(ChannelState state);
std::string_view name_of(Transport transport);

struct Channel {
    ChannelId id = 0;
    Mode mode = Mode::TerminalServer;
    Transport transport = Transport::Tcp;
    ChannelState state = ChannelState::Idle;
    std::uint16_t port = 0;                   // the transport level's port ('3C')
    std::string endpoint;                     // where Connect goes ("" in UICC server mode)
    std::string application;                  // Terminal Server Mode: the registered application's name
    bool launchable = false;                  // Terminal Server Mode: the application has a launch command
    std::uint32_t launch_timeout_ms = 0;      // Terminal Server Mode: the application's own (0 = default)
    std::uint16_t buffer_size = 0;            // granted (TS 102 223 clause 6.4.27)
    cat::Bytes tx;                            // SEND DATA (store) accumulates here
    cat::Bytes rx;                            // data received, read by RECEIVE DATA
    std::size_t bytes_sent = 0;               // written to the socket
    std::size_t bytes_received = 0;           // accepted into the Rx buffer
    std::size_t bytes_dropped = 0;            // offered beyond the Rx room (the daemon read too much)
    std::uint32_t connect_attempts_left = 0;  // AwaitingApp retries
    bool reading_paused = false;              // the Rx buffer was full: a ResumeReading is owed

    std::size_t tx_free() const { return tx.size() >= buffer_size ? 0 : buffer_size - tx.size(); }
    std::size_t rx_room() const { return rx.size() >= buffer_size ? 0 : buffer_size - rx.size(); }
    bool link_established() const { return state == ChannelState::Established; }
    // Clause 8.56: client modes report "link established" (bit 8); UICC server mode the TCP
    // state (bits 7-8). `further` is byte 2 ('05' link dropped).
    cat::ChannelStatus status() const;
};

// Snapshot of one channel for `dmsc-ctl channels`.
struct ChannelInfo {
    ChannelId id = 0;
    std::string mode;
    std::string transport;
    std::string state;
    std::uint16_t port = 0;
    std::string endpoint;
    std::string application;
    std::uint16_t buffer_size = 0;
    std::size_t tx_buffered = 0;
    std::size_t rx_buffered = 0;
    std::size_t bytes_sent = 0;
    std::size_t bytes_received = 0;
    std::size_t bytes_dropped = 0;
    cat::Bytes status;  // the 2 bytes of its channel status object
};

ChannelInfo snapshot(const Channel& channel);

}  // namespace dmsc::bip
