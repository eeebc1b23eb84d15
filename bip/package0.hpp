// bip/package0.hpp — inspection of the bytes a Terminal Server Mode channel delivers to the DM
// Client: an OMA DM 1.2 notification ("General Notification Initiated Session Alert", seed 000
// section 7.1) or an OMA DM 2.0 binary Package#0 (seed 004 sections 5.2.1 and 7.1.1),
// optionally wrapped in a connectionless WSP push (seed 004 Appendix E.1). Pure: decoding and
// the digest inputs only; the digests themselves are computed in gateway/package0_check.
// Inspection never changes what is delivered (docs/package0.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bip/wsp_push.hpp"
#include "cat/bytes.hpp"
#include "cat/result.hpp"

namespace dmsc::bip {

// A connectionless WSP push (WAP-230 clause 8.2.4.1: TID, PDU type '06' Push, HeadersLen as
// uintvar, content type, headers, data).
struct WspPush {
    std::uint8_t tid = 0;
    std::optional<std::uint8_t> content_type_code;  // well-known code (short integer form)
    std::string content_type;                       // the media type, by name
    std::optional<std::uint32_t> application_id;    // X-Wap-Application-Id as an integer (0x07: DM)
    std::string application_uri;                    // X-Wap-Application-Id as text
    std::size_t body_offset = 0;                    // where the pushed data starts
};
// PDU type, content type codes and application id: bip/wsp_push.hpp (kWspPduPush,
// kContentTypeSyncmlNotification 0x44, kContentTypeSyncmlDmNotification 0x58, kWapAppIdSyncmlDm).

// Decodes a connectionless WSP push header; the body is data.subspan(body_offset).
cat::Result<WspPush> decode_wsp_push(cat::ByteView data);

// OMA DM 1.2 notification: digest (16 bytes), trigger header (version 10 bits, ui-mode 2,
// initiator 1, future use 27, session id 16, server identifier length 8, server identifier),
// vendor specific data (the rest).
struct Dm12Notification {
    cat::Bytes digest;             // 16 bytes
    std::uint16_t version = 0;     // 12 for "1.2" (libdmclient and the 1.2.1 text send 11)
    std::uint8_t ui_mode = 0;      // 0 not specified, 1 background, 2 informative, 3 user interaction
    std::uint8_t initiator = 0;    // 1 server initiated, 0 user initiated
    std::uint32_t future_use = 0;  // 27 bits, 0 when sent by a 1.2 server
    std::uint16_t session_id = 0;
    std::string server_id;
    cat::Bytes vendor;
};
inline constexpr std::size_t kDm12DigestSize = 16;
inline constexpr std::size_t kDm12HeaderSize = 8;  // 64-bit trigger header before the server id
// DM 1.x notification versions accepted (major * 10 + minor).
inline constexpr std::uint16_t kDm12MinVersion = 11;
inline constexpr std::uint16_t kDm12MaxVersion = 19;

// DM 2.0 Package#0 option numbers (seed 004 table 1).
enum class Dm20Option : std::uint16_t {
    ServerId = 1,          // SERVER-ID, String
    PreferredConType = 2,  // PREFERRED-CON-TYPE, Opaque (one byte per connection type)
    NotificationId = 3,    // NOTIFICATION-ID, Uint (2 bytes)
    Sha256Digest = 4,      // SHA256-DIGEST, Opaque (32 bytes)
    Timestamp = 5,         // TIMESTAMP, Opaque (POSIX time)
    ReqMos = 6,            // REQ-MOS, Null
};
std::string_view name_of(Dm20Option option);  // "SERVER-ID" ...; "option N" style for others via describe

// PREFERRED-CON-TYPE values (seed 004 5.2.1.2).
enum class ConType : std::uint8_t { AnyAvailable = 0x00, Cellular = 0x01, Wlan = 0x02, Wireline = 0x03 };
std::string_view name_of(ConType type);  // "ANY_AVAILABLE" ..., "" for unknown values

struct Dm20UnknownOption {
    std::uint16_t number = 0;
    cat::Bytes value;
};

struct Dm20Notification {
    std::uint8_t version = 0;       // VER, 4 bits: 0x02
    std::uint8_t option_count = 0;  // OC, 5 bits
    std::uint8_t reserved = 0;      // 7 bits
    std::optional<std::string> server_id;
    std::vector<std::uint8_t> preferred_con_types;
    std::optional<std::uint32_t> notification_id;
    std::optional<cat::Bytes> sha256_digest;
    std::size_t digest_value_offset = 0;  // offset of the digest value in the notification
    std::optional<cat::Bytes> timestamp;
    bool req_mos = false;
    std::vector<Dm20UnknownOption> unknown;
};
inline constexpr std::uint8_t kDm20Version = 0x02;
inline constexpr std::size_t kDm20DigestSize = 32;

enum class Package0Kind : std::uint8_t { Dm12, Dm20 };
std::string_view name_of(Package0Kind kind);  // "DM 1.2 notification", "DM 2.0 Package#0"

struct Package0 {
    std::optional<WspPush> push;     // set when the bytes came wrapped in a WSP push
    std::size_t offset = 0;          // where the notification starts in the delivered bytes
    cat::Bytes notification;         // the notification itself (the push body, or all bytes)
    std::vector<std::string> notes;  // oddities that do not stop the decoding
    std::variant<Dm12Notification, Dm20Notification> body;

    Package0Kind kind() const { return body.index() == 0 ? Package0Kind::Dm12 : Package0Kind::Dm20; }
    const Dm12Notification* dm12() const { return std::get_if<Dm12Notification>(&body); }
    const Dm20Notification* dm20() const { return std::get_if<Dm20Notification>(&body); }
    // The server identifier, if the notification carries one.
    std::optional<std::string> server_id() const;
};

// The notification alone, as one version. `base` is added to every offset in errors.
// Oddities that do not stop decoding are appended to `notes` when it is not null.
cat::Result<Dm12Notification> decode_dm12(cat::ByteView data, std::size_t base = 0,
                                          std::vector<std::string>* notes = nullptr);
cat::Result<Dm20Notification> decode_dm20(cat::ByteView data, std::size_t base = 0,
                                          std::vector<std::string>* notes = nullptr);

// Recognises delivered bytes: unwraps a WSP push whose content type is a DM notification, then
// tries DM 2.0 (the first nibble is VER 2 and the options account for every byte) and DM 1.2.
// The error names the byte offset and field of the attempt that got furthest.
cat::Result<Package0> decode_package0(cat::ByteView data);

// Digest inputs (the hashes are computed at the edge, gateway/package0_check):
// DM 1.2: the trigger, i.e. the notification after its 16-byte digest.
cat::ByteView dm12_trigger(const Package0& p);
// DM 2.0: the notification with the SHA256-DIGEST value set to all zero (seed 004 5.2.1.2
// step 1); empty when there is no digest option.
cat::Bytes dm20_zero_digest_message(const Package0& p);

// Text for logs and `dmsc-ctl decode`.
std::string_view ui_mode_name(std::uint8_t ui_mode);  // "not specified" ...
// "DM 1.2 notification: server id "X", session id 1, ui-mode 0 (not specified), ..." (one line)
std::string summary(const Package0& p);
// One field per line, indented by two spaces.
std::string to_text(const Package0& p);

}  // namespace dmsc::bip
