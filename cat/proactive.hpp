// cat/proactive.hpp — decoding of proactive commands ('D0' BER-TLV, TS 102 223 clause 6.6).
//
// Decoding is done in two steps, as a terminal must: the header (command details + device
// identities) first and on its own, so that even a command whose body is garbage can be
// answered with a TERMINAL RESPONSE that echoes its command details; then the body, against
// a per-command table of (tag, mandatory) rows. A failure is an Error whose `result` is the
// general result to answer with: '32' command data not understood (malformed object, unknown
// object with CR set), '36' error, required values are missing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/codes.hpp"
#include "cat/objects.hpp"
#include "cat/result.hpp"
#include "cat/tlv.hpp"

namespace dmsc::cat {

struct CommandHeader {
    CommandDetails details;
    DeviceIdentities devices;
};

// Alpha identifier, icon identifier, text attribute and frame identifier, which most commands
// may carry (the gateway has no display: they are decoded so they can be shown and ignored).
struct Presentation {
    std::optional<std::string> alpha_id;  // UTF-8; "" for a null alpha identifier ('05 00')
    std::optional<Bytes> icon_id;
    std::optional<Bytes> text_attribute;
    std::optional<std::uint8_t> frame_id;
};

// 6.6.27 OPEN CHANNEL, every variant: CS bearer, packet data (GPRS/UTRAN/E-UTRAN), local
// bearer, default network bearer, UICC server mode (transport '03'), Terminal Server Mode
// (transport '04'/'05', class "k").
struct OpenChannel {
    enum class Kind {
        CsBearer,
        PacketData,
        LocalBearer,
        DefaultBearer,
        UiccServerMode,
        TerminalServerMode,
        Other
    };

    std::optional<Bytes> address;  // '06' dialling number (CS bearer), raw
    std::optional<Bytes> subaddress;
    std::optional<Duration> duration1;
    std::optional<Duration> duration2;
    std::optional<BearerDescription> bearer;
    std::uint16_t buffer_size = 0;
    std::optional<std::string> network_access_name;  // '47', labels joined with '.'
    std::optional<OtherAddress> local_address;       // '3E' before the transport level
    std::optional<std::string> user_login;           // '0D' text strings, UTF-8
    std::optional<std::string> user_password;
    std::optional<TransportLevel> transport;     // '3C'
    std::optional<OtherAddress> destination;     // '3E' after the transport level
    std::optional<Bytes> remote_entity_address;  // '49' (local bearers)

    Kind kind() const;
    static bool immediate_link(std::uint8_t qualifier) { return (qualifier & 0x01) != 0; }
    static bool automatic_reconnection(std::uint8_t qualifier) { return (qualifier & 0x02) != 0; }
    static bool background_mode(std::uint8_t qualifier) { return (qualifier & 0x04) != 0; }
};

// 6.6.28 CLOSE CHANNEL: the channel is the destination device identity ('21'..'27').
struct CloseChannel {
    std::uint8_t channel_id = 0;  // 1..7; 0 if the destination is not a channel
};

// 6.6.29 RECEIVE DATA.
struct ReceiveData {
    std::uint8_t channel_id = 0;
    std::uint8_t length = 0;  // channel data length asked for
};

// 6.6.30 SEND DATA (qualifier bit 1: 0 store in Tx buffer, 1 send immediately).
struct SendData {
    std::uint8_t channel_id = 0;
    Bytes data;
    static bool send_immediately(std::uint8_t qualifier) { return (qualifier & 0x01) != 0; }
};

// 6.6.31 GET CHANNEL STATUS.
struct GetChannelStatus {};

// 6.6.16 SET UP EVENT LIST (an empty list removes every event).
struct SetUpEventList {
    std::vector<std::uint8_t> events;
};

// 6.6.21 TIMER MANAGEMENT: qualifier bits 1-2: 00 start, 01 deactivate, 10 get current value.
struct TimerManagement {
    enum class Action : std::uint8_t { Start = 0, Deactivate = 1, GetCurrentValue = 2, Reserved = 3 };
    std::uint8_t timer_id = 0;
    std::optional<TimerValue> value;  // mandatory for Start
    static Action action(std::uint8_t qualifier) { return static_cast<Action>(qualifier & 0x03); }
};

// 6.6.6 POLL INTERVAL.
struct PollInterval {
    Duration interval;
};

struct PollingOff {};  // 6.6.8
struct MoreTime {};    // 6.6.4

// 6.6.15 PROVIDE LOCAL INFORMATION: what is asked is the qualifier ('00' location, '01' IMEI,
// '03' date/time/time zone, '04' language, '06' access technology, '08' IMEISV, ...).
struct ProvideLocalInformation {};

// 6.6.13 REFRESH: qualifier '00'..'06' (NAA init + full file change, file change, NAA init +
// file change, NAA init, UICC reset, NAA application reset, NAA session reset).
struct Refresh {
    std::vector<Bytes> files;  // each a full path ('3F00 ...')
    std::optional<Bytes> aid;
};

// 6.6.9 SEND SHORT MESSAGE.
struct SendShortMessage {
    std::optional<Bytes> address;
    Bytes tpdu;
};

// 6.6.26 LAUNCH BROWSER (decoded so it can be refused with a precise result).
struct LaunchBrowser {
    std::optional<std::uint8_t> browser_identity;
    std::string url;
    std::optional<Bytes> bearers;
    std::vector<Bytes> provisioning_files;
    std::optional<std::string> gateway;  // text string: gateway/proxy identity
};

// Any other command type: header + TLVs only (enough to answer it, '30' or otherwise).
struct OtherCommand {};

using CommandBody = std::variant<OtherCommand, OpenChannel, CloseChannel, ReceiveData, SendData,
                                 GetChannelStatus, SetUpEventList, TimerManagement, PollInterval, PollingOff,
                                 MoreTime, ProvideLocalInformation, Refresh, SendShortMessage, LaunchBrowser>;

struct ProactiveCommand {
    CommandDetails details;
    DeviceIdentities devices;
    Presentation presentation;
    CommandBody body;
    std::vector<Ctlv> tlvs;  // every TLV of the command, in order, unknown ones included
    // An unknown object without CR was ignored: a successful result must be '01' performed
    // with partial comprehension (TS 102 223 clause 6.10.2).
    bool partial_comprehension = false;

    CommandType type() const { return static_cast<CommandType>(details.type); }
};

// Whether this decoder has a typed body for the command type (else OtherCommand).
bool has_typed_decoder(std::uint8_t command_type);

// Parses the 'D0' object and its command details + device identities only.
Result<CommandHeader> decode_command_header(ByteView ber);
// Parses the whole command.
Result<ProactiveCommand> decode_proactive_command(ByteView ber);

// Named fields of the typed body and presentation items, for logs and dmsc-ctl.
Fields describe(const ProactiveCommand& cmd);

}  // namespace dmsc::cat
