// eem/dhcp.hpp — DHCPv4 for the USB UICC's point-to-point EEM link (docs/usb.md): a pure message
// codec (RFC 2131 section 2 fixed fields + RFC 2132 options, option overload 52) and a
// one-address lease state machine. No sockets, no clock: the caller passes the time in
// seconds and sends the reply where `Reply::to` says (gateway/dhcp_service.cpp does both).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dmsc::eem::dhcp {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline constexpr std::uint16_t kServerPort = 67;
inline constexpr std::uint16_t kClientPort = 68;
inline constexpr std::size_t kFixedSize = 236;             // op .. file
inline constexpr std::uint32_t kMagicCookie = 0x63825363;  // 99.130.83.99
inline constexpr std::size_t kMinReplySize = 300;          // BOOTP minimum (RFC 1542), padded

enum class Op : std::uint8_t { BootRequest = 1, BootReply = 2 };

// Option 53 values (RFC 2132 section 9.6).
enum class MessageType : std::uint8_t {
    Discover = 1,
    Offer = 2,
    Request = 3,
    Decline = 4,
    Ack = 5,
    Nak = 6,
    Release = 7,
    Inform = 8,
};
const char* name_of(MessageType t);

// Option codes this code reads or writes.
namespace opt {
inline constexpr std::uint8_t Pad = 0;
inline constexpr std::uint8_t SubnetMask = 1;
inline constexpr std::uint8_t Router = 3;
inline constexpr std::uint8_t DnsServers = 6;
inline constexpr std::uint8_t HostName = 12;
inline constexpr std::uint8_t RequestedAddress = 50;
inline constexpr std::uint8_t LeaseTime = 51;
inline constexpr std::uint8_t Overload = 52;
inline constexpr std::uint8_t MessageType = 53;
inline constexpr std::uint8_t ServerId = 54;
inline constexpr std::uint8_t ParameterList = 55;
inline constexpr std::uint8_t Message = 56;
inline constexpr std::uint8_t MaxMessageSize = 57;
inline constexpr std::uint8_t RenewalTime = 58;
inline constexpr std::uint8_t RebindingTime = 59;
inline constexpr std::uint8_t ClientId = 61;
inline constexpr std::uint8_t End = 255;
}  // namespace opt

struct Option {
    std::uint8_t code = 0;
    Bytes data;
    bool operator==(const Option&) const = default;
};

// One DHCP message. Addresses are host order. Options keep their order; an option that
// appears more than once is concatenated into the first occurrence (RFC 3396), and options
// carried in `file` / `sname` by option 52 are appended after those of the options field.
struct Message {
    Op op = Op::BootRequest;
    std::uint8_t htype = 1;  // Ethernet
    std::uint8_t hlen = 6;
    std::uint8_t hops = 0;
    std::uint32_t xid = 0;
    std::uint16_t secs = 0;
    std::uint16_t flags = 0;  // bit 15 = broadcast
    std::uint32_t ciaddr = 0, yiaddr = 0, siaddr = 0, giaddr = 0;
    std::array<std::uint8_t, 16> chaddr{};
    std::array<std::uint8_t, 64> sname{};  // raw (zeroes when overloaded on decode)
    std::array<std::uint8_t, 128> file{};
    std::vector<Option> options;  // without pad, end and overload (52)
    bool operator==(const Message&) const = default;

    bool broadcast() const { return (flags & 0x8000U) != 0; }
    const Option* find(std::uint8_t code) const;
    // Option 53, or nullopt (a BOOTP message, or a bad length/value: see decode()).
    std::optional<MessageType> type() const;
    // A 4-byte option as an address; nullopt if absent or not 4 bytes long.
    std::optional<std::uint32_t> address_option(std::uint8_t code) const;
    void set(std::uint8_t code, Bytes data);  // replaces or appends
    void set_address(std::uint8_t code, std::uint32_t address);
    void set_u32(std::uint8_t code, std::uint32_t value);
    // chaddr as "aa:bb:cc:dd:ee:ff" (hlen bytes, at most 16).
    std::string hardware_address() const;
};

// Decodes a UDP payload. Errors say which byte or option is wrong and why; the result never
// refers to `in` after return.
struct DecodeResult {
    std::optional<Message> message;
    std::string error;  // set when !message
};
DecodeResult decode(ByteView in);

// Encodes: fixed fields, cookie, options (each longer than 255 bytes split over several
// instances, RFC 3396), end, then zero padding up to kMinReplySize.
Bytes encode(const Message& m);

// "a.b.c.d" for a host-order address.
std::string address_text(std::uint32_t address);

// ---- the server: one address, one client (the link is point-to-point) ----

struct ServerConfig {
    std::uint32_t server_address = 0;  // the terminal's address on the TAP (option 54)
    std::uint32_t client_address = 0;  // the only address handed out (eem.uicc_address)
    std::uint32_t netmask = 0;         // option 1
    std::uint32_t lease_seconds = 3600;
    std::optional<std::uint32_t> router;      // option 3 (none by default: the link leads nowhere else)
    std::vector<std::uint32_t> dns;           // option 6 (none by default)
    std::uint32_t decline_hold_seconds = 10;  // after a DECLINE, no offer for this long
};

// Where the reply goes (RFC 2131 section 4.1, with giaddr 0: relays are not served).
enum class Destination : std::uint8_t {
    None,            // no reply
    Broadcast,       // 255.255.255.255:68
    Unicast,         // `address`:68 (the client's ciaddr)
    HardwareUnicast  // `address` (yiaddr) at chaddr: needs an ARP entry, else broadcast
};

struct Reply {
    Destination to = Destination::None;
    std::uint32_t address = 0;
    std::optional<Message> message;
    std::string note;  // what happened, for the log ("OFFER 192.168.212.2 to 02:..", "ignored: ...")
};

enum class LeaseState : std::uint8_t { Free, Offered, Bound, Held };
const char* name_of(LeaseState s);

struct LeaseInfo {
    LeaseState state = LeaseState::Free;
    Bytes client;                  // client identifier (61) or htype + chaddr
    std::string hardware_address;  // "aa:bb:.."
    std::string host_name;         // option 12 from the client, if any
    std::uint64_t expires = 0;     // seconds, the caller's clock
};

struct ServerCounters {
    std::uint64_t received = 0, ignored = 0, malformed = 0;
    std::uint64_t discovers = 0, offers = 0, requests = 0, acks = 0, naks = 0, releases = 0, declines = 0,
                  informs = 0;
};

class Server {
public:
    explicit Server(ServerConfig config);
    // One received UDP payload at time `now` (seconds, any monotonic origin).
    Reply handle(ByteView packet, std::uint64_t now);
    // Decoded form (what handle() calls after decoding).
    Reply handle(const Message& m, std::uint64_t now);
    // The card was unplugged / replugged: forget the lease (a new card may have another MAC).
    void reset();
    LeaseInfo lease(std::uint64_t now) const;
    const ServerCounters& counters() const { return counters_; }
    const std::string& last_error() const { return last_error_; }
    const ServerConfig& config() const { return config_; }

private:
    Reply reply_to(const Message& req, MessageType type, std::uint32_t yiaddr, const std::string& note) const;
    Reply ignore(const std::string& why);
    static Bytes client_key(const Message& m);
    bool held_by_other(const Bytes& key, std::uint64_t now) const;

    ServerConfig config_;
    LeaseInfo lease_;
    ServerCounters counters_;
    std::string last_error_;
};

}  // namespace dmsc::eem::dhcp
