// cat/objects.hpp — the simple COMPREHENSION-TLV data objects of TS 102 223 clause 8 as value
// types. Each has `decode(value bytes)` (bounds-checked, never throws: the Error names the tag)
// and `encode()` (value bytes only, without tag/length: the caller chooses CR), plus
// `describe()` giving named fields for logs, dmsc-ctl decode and JSON.
// `offset` of decode() is where the object's TLV starts in the outermost buffer (Ctlv::offset);
// an Error carries it, with the tag and result '32'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/codes.hpp"
#include "cat/result.hpp"

namespace dmsc::cat {

// One decoded field: "bearer type" = 2, "port" = 44444, "text" = "UserLog" ...
using FieldValue = std::variant<std::int64_t, bool, std::string>;
struct Field {
    std::string name;
    FieldValue value;
};
using Fields = std::vector<Field>;
std::string field_to_string(const FieldValue& v);

// 8.6 command details.
struct CommandDetails {
    std::uint8_t number = 1;
    std::uint8_t type = 0;
    std::uint8_t qualifier = 0;
    static Result<CommandDetails> decode(ByteView v, std::size_t offset = 0);
    Bytes encode() const;
    Fields describe() const;
    bool operator==(const CommandDetails&) const = default;
};

// 8.7 device identities.
struct DeviceIdentities {
    std::uint8_t source = 0;
    std::uint8_t destination = 0;
    static Result<DeviceIdentities> decode(ByteView v, std::size_t offset = 0);
    Bytes encode() const;
    Fields describe() const;
    bool operator==(const DeviceIdentities&) const = default;
};

// 8.12 result: general result + additional information.
struct ResultInfo {
    std::uint8_t general = 0;
    Bytes additional;
    static Result<ResultInfo> decode(ByteView v, std::size_t offset = 0);
    Bytes encode() const;
    Fields describe() const;
    bool operator==(const ResultInfo&) const = default;
};

// 8.8 duration: time unit ('00' minutes, '01' seconds, '02' tenths of seconds) + interval.
struct Duration {
    std::uint8_t unit = 1;
    std::uint8_t interval = 0;
    static Result<Duration> decode(ByteView v, std::size_t offset = 0);
    Bytes encode() const;
    Fields describe() const;
    std::uint64_t milliseconds() const;  // 0 for an unknown unit
    bool operator==(const Duration&) const = default;
};

// 8.38 timer value: hours, minutes, seconds in BCD with swapped nibbles (TS 31.102 style).
struct TimerValue {
    std::uint8_t hours = 0;
    std::uint8_t minutes = 0;
    std::uint8_t seconds = 0;
    static Result<TimerValue> decode(ByteView v, std::size_t offset = 0);
    Bytes encode() const;
    Fields describe() const;
    std::uint32_t total_seconds() const;
    static TimerValue from_seconds(std::uint32_t s);  // saturates at 99:59:59
    bool operator==(const TimerValue&) const = default;
};

// 8.52 bearer description: bearer type + bearer parameters kept as they are.
struct BearerDescription {
    std::uint8_t type = 0;
    Bytes parameters;
    static Result<BearerDescription> decode(ByteView v, std::size_t offset = 0);
    Bytes encode() const;
    Fields describe() const;
    bool operator==(const BearerDescription&) const = default;
};

// 8.56 channel status, 2 bytes. Byte 1: bits 1-3 channel id; client modes: bit 8 = link
// established; TCP UICC server mode: bits 7-8 = TCP state. Byte 2: further info
// ('00' none, '05' link dropped, ...).
enum class TcpState : std::uint8_t { Closed = 0, Listen = 1, Established = 2 };
struct ChannelStatus {
    std::uint8_t channel_id = 0;
    std::uint8_t state_bits = 0;  // byte 1 with the channel id bits cleared
    std::uint8_t further_info = 0;
    static ChannelStatus client(std::uint8_t id, bool established, std::uint8_t further = 0);
    static ChannelStatus server(std::uint8_t id, TcpState state, std::uint8_t further = 0);
    bool link_established() const { return (state_bits & 0x80) != 0; }
    TcpState tcp_state() const { return static_cast<TcpState>((state_bits >> 6) & 0x03); }
    static Result<ChannelStatus> decode(ByteView v, std::size_t offset = 0);
    Bytes encode() const;
    Fields describe() const;
    bool operator==(const ChannelStatus&) const = default;
};

// 8.59 UICC/terminal interface transport level: protocol type + port.
struct TransportLevel {
    std::uint8_t protocol = 0;  // TransportProtocol
    std::uint16_t port = 0;
    static Result<TransportLevel> decode(ByteView v, std::size_t offset = 0);
    Bytes encode() const;
    Fields describe() const;
    bool operator==(const TransportLevel&) const = default;
};

// 8.58 other address: type ('21' IPv4, '57' IPv6) + address; an empty value asks for a
// dynamic address.
struct OtherAddress {
    std::optional<std::uint8_t> type;  // nullopt: empty TLV
    Bytes address;
    static Result<OtherAddress> decode(ByteView v, std::size_t offset = 0);
    Bytes encode() const;
    Fields describe() const;
    std::string to_string() const;  // "1.1.1.1", "2001:db8::1", or hex for other types
    bool operator==(const OtherAddress&) const = default;
};

// 8.19 location information: MCC/MNC (3 bytes BCD as in TS 24.008), LAC/TAC (2 bytes),
// cell identity (2 bytes, or 4 bytes for the extended / E-UTRAN cell id), kept as read.
struct LocationInformation {
    std::string mcc;  // "001"
    std::string mnc;  // "01" or "001"
    std::uint16_t lac = 0;
    std::optional<std::uint32_t> cell_id;
    std::uint8_t cell_id_size = 2;  // 2 or 4 bytes
    static Result<LocationInformation> decode(ByteView v, std::size_t offset = 0);
    Bytes encode() const;
    Fields describe() const;
    bool operator==(const LocationInformation&) const = default;
};

// 8.39 date-time and time zone: 7 bytes of swapped-nibble BCD (YY MM DD hh mm ss TZ).
struct DateTimeTimeZone {
    std::uint8_t year = 0;  // two digits
    std::uint8_t month = 1;
    std::uint8_t day = 1;
    std::uint8_t hour = 0;
    std::uint8_t minute = 0;
    std::uint8_t second = 0;
    std::uint8_t time_zone = 0xFF;  // raw byte as in TS 23.040 ('FF' = unknown)
    static Result<DateTimeTimeZone> decode(ByteView v, std::size_t offset = 0);
    Bytes encode() const;
    Fields describe() const;
    bool operator==(const DateTimeTimeZone&) const = default;
};

// 8.71 Registry application data (class "k"): port (2 bytes, big-endian), data coding scheme
// of the name ('04' GSM default alphabet unpacked, '08' UCS2), application type ('07' DM
// Client), then the name — the byte order of TS 102 223 clause 8.71.
struct RegistryApplicationData {
    std::uint16_t port = 0;
    std::uint8_t dcs = 0x04;
    std::uint8_t application_type = 0x07;
    Bytes name;  // already encoded in `dcs`
    static Result<RegistryApplicationData> decode(ByteView v, std::size_t offset = 0);
    Bytes encode() const;
    Fields describe() const;
    bool operator==(const RegistryApplicationData&) const = default;
};

// 8.15 text string: data coding scheme + text; `describe` gives the text as UTF-8.
struct TextString {
    std::optional<std::uint8_t> dcs;  // nullopt: empty TLV (null text string)
    Bytes data;
    static Result<TextString> decode(ByteView v, std::size_t offset = 0);
    Bytes encode() const;
    Fields describe() const;
    std::optional<std::string> text() const;  // UTF-8; nullopt for a null text string
    bool operator==(const TextString&) const = default;
};

// Helpers for one-byte and raw objects.
Result<std::uint8_t> decode_u8(ByteView v, std::uint16_t tag, std::size_t offset);
Result<std::uint16_t> decode_u16(ByteView v, std::uint16_t tag, std::size_t offset);

// "hh:mm:ss" of a timer value (8.38).
std::string timer_value_to_string(const TimerValue& t);

// 8.70 network access name (TS 23.003 9.1 length-prefixed labels) <-> "label.label".
bool decode_network_access_name(ByteView v, std::string& out);
Bytes encode_network_access_name(std::string_view apn);

// 8.1 address / 8.44 DTMF string digits ('A' '*', 'B' '#', 'C' shown 'c', 'F' filler).
std::string decode_bcd_digits(ByteView v);
// 8.20 IMEI / 8.68 IMEISV (TS 24.008 10.5.1.4 mobile identity digits).
std::string decode_identity_digits(ByteView v);

// 8.18 file list: number of files, then full paths concatenated, each starting '3F00'.
Result<std::vector<Bytes>> decode_file_list(ByteView v, std::size_t offset = 0);

// Fields of any data object by tag, used by dmsc-ctl decode for every TLV it meets. Unknown
// tags give an empty list; a value that does not decode gives one field "error".
Fields describe_object(std::uint16_t tag, ByteView value);

}  // namespace dmsc::cat
