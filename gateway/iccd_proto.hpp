// gateway/iccd_proto.hpp — the USB smart-card messages of a USB UICC's ICCD interface, pure
// (C++ std only, no libusb, no I/O: tested with byte vectors in tests/gateway/test_iccd_proto.cpp).
//   * CCID bulk protocol (bInterfaceProtocol 0): 10-byte headers, bMessageType, dwLength
//     little-endian, bSlot, bSeq; RDR_to_PC replies carry bStatus (bmICCStatus bits 1..0,
//     bmCommandStatus bits 7..6: 0 processed, 1 failed, 2 time extension requested) and bError.
//   * ICCD version A (protocol 1) and B (protocol 2): class requests on the control pipe,
//     bmRequestType 0x21 (host to interface) / 0xA1 (interface to host).
//   * Interface discovery from descriptors (smart card class 0x0B, CDC EEM 02/0C/07) and the
//     card.usb selector (VID:PID or BUS:ADDR).
// docs/usb.md lists the sources and what is a reading of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dmsc::gateway::iccd {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// ---- CCID bulk -------------------------------------------------------------------------------
inline constexpr std::size_t kCcidHeader = 10;
inline constexpr std::uint8_t kPcToRdrIccPowerOn = 0x62;
inline constexpr std::uint8_t kPcToRdrIccPowerOff = 0x63;
inline constexpr std::uint8_t kPcToRdrGetSlotStatus = 0x65;
inline constexpr std::uint8_t kPcToRdrXfrBlock = 0x6F;
inline constexpr std::uint8_t kRdrToPcDataBlock = 0x80;
inline constexpr std::uint8_t kRdrToPcSlotStatus = 0x81;
inline constexpr std::uint8_t kRdrToPcNotifySlotChange = 0x50;  // on the interrupt endpoint

enum class Voltage : std::uint8_t { Auto = 0, V5 = 1, V3 = 2, V1_8 = 3 };

Bytes ccid_power_on(std::uint8_t slot, std::uint8_t seq, Voltage voltage = Voltage::Auto);
Bytes ccid_power_off(std::uint8_t slot, std::uint8_t seq);
Bytes ccid_get_slot_status(std::uint8_t slot, std::uint8_t seq);
// wLevelParameter 0: the whole APDU in one block (short and extended APDU level exchange).
Bytes ccid_xfr_block(std::uint8_t slot, std::uint8_t seq, ByteView apdu, std::uint8_t bwi = 0,
                     std::uint16_t level = 0);

enum class IccStatus : std::uint8_t { Active = 0, Inactive = 1, Absent = 2, Reserved = 3 };
enum class CommandStatus : std::uint8_t { Ok = 0, Failed = 1, TimeExtension = 2, Reserved = 3 };

struct CcidReply {
    std::uint8_t type = 0;
    std::uint8_t slot = 0;
    std::uint8_t seq = 0;
    std::uint8_t status = 0;
    std::uint8_t error = 0;  // bError; with a time extension: the multiplier of BWT/WWT
    std::uint8_t param = 0;  // bChainParameter / bClockStatus
    Bytes data;
    IccStatus icc() const { return static_cast<IccStatus>(status & 0x03); }
    CommandStatus command() const { return static_cast<CommandStatus>(status >> 6); }
};
// Total bytes of the reply that starts with `header` (10 + dwLength); 0 while < 10 bytes.
std::size_t ccid_message_length(ByteView header);
// A whole RDR_to_PC message; nullopt (and why) when it is short, has trailing bytes, or its
// dwLength is larger than `max_data`.
std::optional<CcidReply> parse_ccid_reply(ByteView bytes, std::string& why, std::size_t max_data = 65538);
// "ICC_MUTE (FE)", "XFR_PARITY_ERROR (FD)", ... (CCID 1.1 table 6.2-2) or "error 0xNN".
std::string ccid_error_name(std::uint8_t error);

// What to do with one reply to the command sent with `seq` (type `want`: 0x80 or 0x81).
struct CcidStep {
    enum Kind : std::uint8_t { Done, Wait, Fail, CardAbsent } kind = Fail;
    std::string why;  // Fail / CardAbsent
};
CcidStep ccid_step(const CcidReply& reply, std::uint8_t want_type, std::uint8_t slot, std::uint8_t seq);

// ---- ICCD control requests (versions A and B) ---------------------------------------------------
inline constexpr std::uint8_t kReqTypeOut = 0x21;  // class, interface, host to device
inline constexpr std::uint8_t kReqTypeIn = 0xA1;   // class, interface, device to host
inline constexpr std::uint8_t kIccPowerOn = 0x62;
inline constexpr std::uint8_t kIccPowerOff = 0x63;
inline constexpr std::uint8_t kXfrBlock = 0x65;
inline constexpr std::uint8_t kDataBlock = 0x6F;
inline constexpr std::uint8_t kGetIccStatus = 0xA0;  // version A
inline constexpr std::uint8_t kSlotStatus = 0x81;    // version B

struct ControlRequest {
    std::uint8_t request_type = 0;
    std::uint8_t request = 0;
    std::uint16_t value = 0;
    std::uint16_t index = 0;   // the interface number
    std::uint16_t length = 0;  // IN: the most to read; OUT: data.size()
    Bytes data;                // OUT only
};
enum class IccdVersion : std::uint8_t { A = 1, B = 2 };

// Version A: ICC_POWER_ON is an IN request answering the ATR; version B: an OUT request
// (wValue 1), the ATR follows as a DATA_BLOCK.
ControlRequest iccd_power_on(IccdVersion v, std::uint16_t interface);
ControlRequest iccd_power_off(std::uint16_t interface);
ControlRequest iccd_xfr_block(std::uint16_t interface, ByteView apdu, std::uint16_t level = 0);
ControlRequest iccd_data_block(std::uint16_t interface, std::uint16_t max_length);
ControlRequest iccd_status(IccdVersion v, std::uint16_t interface);

// Version A GET_ICC_STATUS (1 byte): bit 6 = busy (ask again), 0x80 = no ICC / mute.
enum class IccdAStatus : std::uint8_t { Ready, Busy, Absent };
IccdAStatus parse_iccd_a_status(std::uint8_t status);

// Version B DATA_BLOCK: bResponseType then abData.
struct DataBlockB {
    enum Kind : std::uint8_t {
        Complete = 0x00,   // the answer begins and ends here
        Begins = 0x01,     // begins, more follows
        Ends = 0x02,       // continues and ends
        Continues = 0x03,  // continues, more follows
        Empty = 0x10,      // no data: ask again (chained reply expected)
        Status = 0x40,     // status information: abData = bStatus, bError
        Polling = 0x80,    // busy: ask again after delay_10ms * 10 ms (time extension)
    } kind = Complete;
    Bytes data;
    std::uint8_t status = 0, error = 0;
    std::uint16_t delay_10ms = 0;  // Polling: little-endian 16 bits
};
std::optional<DataBlockB> parse_data_block_b(ByteView bytes, std::string& why);
// Version B SLOT_STATUS (bStatus in byte 1, like CCID bmICCStatus).
std::optional<IccStatus> parse_iccd_b_slot_status(ByteView bytes, std::string& why);

// ---- descriptors and selection --------------------------------------------------------------------
struct Endpoint {
    std::uint8_t address = 0;     // bit 7 = IN
    std::uint8_t attributes = 0;  // bits 1..0: 2 bulk, 3 interrupt
    std::uint16_t max_packet = 0;
};
struct InterfaceInfo {
    std::uint8_t number = 0, alternate = 0, cls = 0, subclass = 0, protocol = 0;
    std::vector<Endpoint> endpoints;
};
enum class CardInterfaceKind : std::uint8_t { CcidBulk, IccdA, IccdB };
struct CardInterface {
    CardInterfaceKind kind = CardInterfaceKind::CcidBulk;
    std::uint8_t number = 0, alternate = 0;
    std::uint8_t bulk_in = 0, bulk_out = 0, interrupt_in = 0;  // 0 = none
};
struct EemInterface {
    std::uint8_t number = 0, alternate = 0, bulk_in = 0, bulk_out = 0;
};
// The first smart-card-class interface (0x0B) this link can drive (bulk pair for protocol 0);
// nullopt and why otherwise.
std::optional<CardInterface> find_card_interface(const std::vector<InterfaceInfo>& interfaces,
                                                 std::string& why);
std::optional<EemInterface> find_eem_interface(const std::vector<InterfaceInfo>& interfaces);
const char* name_of(CardInterfaceKind k);  // "ccid", "iccd-a", "iccd-b"

struct DeviceSelector {
    enum Kind : std::uint8_t { Any, VidPid, BusAddress } kind = Any;
    std::uint16_t vid = 0, pid = 0;
    std::uint8_t bus = 0, address = 0;
    bool matches(std::uint16_t v, std::uint16_t p, std::uint8_t b, std::uint8_t a) const;
};
// "" -> Any; "076b:3821" -> VidPid; "001:004" -> BusAddress; nullopt (and why) otherwise.
std::optional<DeviceSelector> parse_device_selector(const std::string& text, std::string& why);

}  // namespace dmsc::gateway::iccd
