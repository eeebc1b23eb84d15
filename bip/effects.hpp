// bip/effects.hpp — what the BIP engine asks the daemon to do (sockets, timers, launches,
// ENVELOPEs) and the TERMINAL RESPONSE it gives now, later, or not at all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/response.hpp"

namespace dmsc::bip {

using ChannelId = std::uint8_t;  // 1..7 (TS 102 223 clause 8.7: device identities '21'..'27')

enum class Transport : std::uint8_t { Tcp, Udp };

// Open a connection for the channel: to a terminal application's deliver endpoint (Terminal
// Server Mode: "tcp://127.0.0.1:1100", "unix:/path", "wap-push+udp://..."), or to a remote
// host ("tcp://1.1.1.1:44444", client mode). Answer with on_connected / on_connect_failed.
struct Connect {
    ChannelId channel = 0;
    std::string endpoint;
    Transport transport = Transport::Tcp;
};
// UICC server mode: bind bip.listen:port and accept (answer on_listening / on_listen_failed).
// Emitted only for the first channel on a port; later channels on the same port share it.
struct Listen {
    ChannelId channel = 0;
    std::uint16_t port = 0;
};
// The last channel on the port was closed: unbind it.
struct StopListening {
    std::uint16_t port = 0;
};
// Write all the bytes to the channel's connection (answer on_write_done / on_write_failed).
struct Write {
    ChannelId channel = 0;
    cat::Bytes data;
};
// Close the channel's connection (not the listener of a UICC server mode port).
struct Close {
    ChannelId channel = 0;
};
// Reset the channel's connection: whatever of its Write is not yet on the wire is discarded
// (TCP: an abortive close, RST, so the peer sees ECONNRESET rather than a clean end of a cut
// message). Sent when cat::Session answered a SEND DATA '20' while its Write was in progress.
struct Abort {
    ChannelId channel = 0;
};
// Start the terminal application registered for the channel's port (answer on_launch_result).
struct Launch {
    ChannelId channel = 0;
    std::string application;  // the TerminalApp name the port lookup gave
};
// One timer per channel: (re)arm it; call on_timer(channel) when it fires.
struct StartTimer {
    ChannelId channel = 0;
    std::uint32_t milliseconds = 0;
};
struct CancelTimer {
    ChannelId channel = 0;
};
// Reading had stopped because the Rx buffer was full; rx_room(channel) is non-zero again.
struct ResumeReading {
    ChannelId channel = 0;
};
// An ENVELOPE (Event download: Data available / Channel status) for cat::Session::queue_envelope.
struct QueueEnvelope {
    ChannelId channel = 0;
    cat::Bytes ber;
};

using Effect = std::variant<Connect, Listen, StopListening, Write, Close, Abort, Launch, StartTimer,
                            CancelTimer, ResumeReading, QueueEnvelope>;

// What one input produced, in order.
//  - `response`: the TERMINAL RESPONSE to the command just handed in (return it from the
//    cat::Session handler);
//  - `pending`: that command is answered later (return cat::Pending{});
//  - `completion`: the late answer of the pending command; hand it to
//    cat::Session::complete(completion->details.number, *completion).
struct Effects {
    std::vector<Effect> actions;
    std::optional<cat::TerminalResponse> response;
    bool pending = false;
    std::optional<cat::TerminalResponse> completion;
};

// One line for logs: "connect channel 1 tcp://127.0.0.1:1100", "write channel 2, 37 bytes" ...
std::string describe(const Effect& effect);

}  // namespace dmsc::bip
