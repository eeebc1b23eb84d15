// bip/channels.hpp — bip::Channels, the sans-I/O Bearer Independent Protocol engine (class
// "e" + class "k"): the channel table, OPEN CHANNEL / CLOSE CHANNEL / SEND DATA / RECEIVE DATA
// / GET CHANNEL STATUS, socket events in, effects and TERMINAL RESPONSEs out (docs/bip.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bip/channel.hpp"
#include "bip/effects.hpp"
#include "cat/bytes.hpp"
#include "cat/codes.hpp"
#include "cat/proactive.hpp"

namespace dmsc::bip {

// TS 102 223 clause 8.7: channel identities '21'..'27', so at most 7 channels.
constexpr std::size_t kMaxChannels = 7;
// A TERMINAL RESPONSE travels in one short APDU (Lc <= 255). RECEIVE DATA's answer is command
// details (5) + device identities (4) + result (3) + channel data tag and 2-byte length (3) +
// channel data length (3) = 18 bytes around the data (clause 6.8, 8.53, 8.54).
constexpr std::size_t kMaxReceiveChunk = 255 - 18;  // 237
// Clause 8.55: the buffer size is 2 bytes.
constexpr std::size_t kMaxBufferSize = 0xFFFF;

struct ChannelsConfig {
    std::size_t max_channels = kMaxChannels;  // 1..7, what TERMINAL PROFILE byte 13 announces
    std::uint16_t max_buffer_size = 1400;     // bip.buffer_size: the most a channel buffer may be
    bool allow_remote = false;                // client mode to remote hosts ('01'/'02')
    // Terminal Server Mode with a launch command: after Launch, Connect is retried every
    // `launch_retry_ms` until `launch_timeout_ms` (keep it below cat::Session's pending_timeout).
    std::uint32_t launch_retry_ms = 250;
    std::uint32_t launch_timeout_ms = 10'000;
};

// A terminal application registered for a port (the registry's Terminal Applications).
struct TerminalApp {
    std::string name;
    std::string endpoint;     // its `deliver` endpoint
    bool launchable = false;  // a `launch` command is configured
    // How long to wait for it to listen after a launch; 0 = ChannelsConfig::launch_timeout_ms.
    std::uint32_t launch_timeout_ms = 0;
};
// Which application registered `port` (TS 102 223 clause 8.88 Registry application data).
using PortLookup = std::function<std::optional<TerminalApp>(std::uint16_t port)>;
// Whether the card registered the event with SET UP EVENT LIST (clause 6.4.16).
using EventRegistered = std::function<bool(cat::EventType)>;

// What became of a Launch effect.
enum class LaunchOutcome : std::uint8_t {
    Started,             // the process runs: Connect is retried until launch_timeout_ms
    ParametersUnusable,  // the launch parameters are missing or unusable ('3A'/'11')
    Failed,              // it could not be started ('3A'/'12' on SEND DATA)
};

class Channels {
public:
    Channels(ChannelsConfig config, PortLookup lookup, EventRegistered event_registered);

    // A decoded OPEN CHANNEL, CLOSE CHANNEL, RECEIVE DATA, SEND DATA or GET CHANNEL STATUS.
    // Exactly one of `response` / `pending` is set. Other command types get '30'.
    Effects on_command(const cat::ProactiveCommand& cmd);

    // Socket and process events from the daemon. A late answer comes back in `completion`.
    Effects on_connected(ChannelId id);
    Effects on_connect_failed(ChannelId id);
    Effects on_listening(ChannelId id);
    Effects on_listen_failed(ChannelId id);
    // A client connected to a UICC server mode port: the channel it belongs to (lowest id in
    // LISTEN with an empty Rx buffer), or nullopt: close that connection at once.
    std::optional<ChannelId> on_accept(std::uint16_t port, Effects& effects);
    // Received bytes. Read at most rx_room(id) first: bytes beyond it are dropped and counted.
    Effects on_data(ChannelId id, cat::ByteView data);
    Effects on_peer_closed(ChannelId id);
    Effects on_write_done(ChannelId id);
    Effects on_write_failed(ChannelId id);
    // The daemon would not deliver the Write (a Package#0 whose digest is wrong and the config
    // says to drop such notifications): the bytes are discarded, the link stays as it is, and
    // the waiting SEND DATA gets '3A'/'05' security error (docs/package0.md).
    Effects on_write_refused(ChannelId id);
    Effects on_launch_result(ChannelId id, LaunchOutcome outcome);
    // The application launched for the channel ended. `success` (exit status 0: it may have
    // daemonised) changes nothing; otherwise, while the channel still waits for it to listen,
    // the wait ends at once as if launch_timeout_ms had passed ('3A'/'12').
    Effects on_launched_app_exited(ChannelId id, bool success);
    Effects on_timer(ChannelId id);
    // cat::Session answered the pending command itself with '20' (HandlerTimedOut). What the
    // command set in motion is undone so the card's retry is the only copy that arrives: an
    // OPEN CHANNEL's connect / launch / listen is dropped with its channel; a SEND DATA waiting
    // for its link loses its data; a SEND DATA whose Write is in progress gets its connection
    // reset (Abort: the unsent rest never reaches the peer), the channel's link goes back to
    // "not established" (UICC server mode: LISTEN) with a Channel status event, and the next
    // send immediately connects again (docs/bip.md).
    Effects on_command_timed_out();
    // The card is gone or was reset: every channel closes, every listener stops.
    Effects card_removed();

    // How many bytes the daemon may read for the channel now (back-pressure).
    std::size_t rx_room(ChannelId id) const;
    const Channel* channel(ChannelId id) const;
    std::vector<ChannelInfo> snapshot() const;
    std::size_t open_channels() const;
    bool command_pending() const { return pending_.has_value(); }

private:
    enum class Waiting : std::uint8_t { OpenConnect, OpenLaunch, OpenListen, SendConnect, SendWrite };
    struct PendingCommand {
        ChannelId channel = 0;
        Waiting waiting = Waiting::OpenConnect;
        cat::CommandDetails details;
        std::optional<cat::BearerDescription> bearer;  // OPEN CHANNEL: echoed in its answer
        bool modified = false;                         // OPEN CHANNEL: buffer size reduced ('07')
        std::size_t write_size = 0;                    // SEND DATA: bytes in the Write
    };

    Effects open_channel(const cat::ProactiveCommand& cmd, const cat::OpenChannel& oc);
    Effects close_channel(const cat::ProactiveCommand& cmd, const cat::CloseChannel& cc);
    Effects send_data(const cat::ProactiveCommand& cmd, const cat::SendData& sd);
    Effects receive_data(const cat::ProactiveCommand& cmd, const cat::ReceiveData& rd);
    Effects get_channel_status(const cat::ProactiveCommand& cmd);

    Channel* find(ChannelId id);
    cat::BipCause missing_channel_cause(ChannelId id) const;
    std::optional<ChannelId> free_id() const;
    bool port_in_use(std::uint16_t port, ChannelId except) const;
    // Frees the slot; StopListening when it was the last channel on a UICC server mode port.
    void release(Channel& c, Effects& fx);
    std::size_t flush(Channel& c, Effects& fx);
    void start_launch_retries(Channel& c, Effects& fx);
    void link_dropped(Channel& c, Effects& fx);
    // The connection is reset after a SEND DATA '20' (see on_command_timed_out).
    void reset_link(Channel& c, Effects& fx);
    void queue_channel_status(const Channel& c, Effects& fx);
    void queue_data_available(const Channel& c, Effects& fx);
    bool pending_on(ChannelId id, Waiting w) const;
    // The pending command's answer, built here and handed out in fx.completion.
    void complete(Effects& fx, cat::TerminalResponse tr);
    void complete_open_ok(Effects& fx, const Channel& c);
    void complete_open_error(Effects& fx, Channel& c, cat::BipCause cause);
    void complete_send_error(Effects& fx, cat::BipCause cause);

    ChannelsConfig config_;
    PortLookup lookup_;
    EventRegistered event_registered_;
    std::array<std::optional<Channel>, kMaxChannels> slots_;
    std::optional<PendingCommand> pending_;
    std::array<bool, kMaxChannels> closed_by_card_{};  // freed by CLOSE CHANNEL, not reused yet
};

}  // namespace dmsc::bip
