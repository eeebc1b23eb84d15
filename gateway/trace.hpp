// gateway/trace.hpp — APDU traces: the record of one exchange, its GSMTAP / pcap / text / JSON
// forms (pure functions, byte-exact), and TraceWriter with its sinks (GSMTAP over UDP to
// Wireshark, a pcap file). See docs/traces.md.
#pragma once

// GCC 12 at -O2 sees a "potential null pointer dereference" inside Asio's scheduler
// (scheduler.ipp, compensating_work_started); the warning is Asio's, not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#pragma GCC diagnostic pop
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cat/bytes.hpp"

namespace dmsc::gateway {

// One APDU exchange with the card, as the daemon saw it.
struct ApduRecord {
    std::chrono::system_clock::time_point time;
    cat::Bytes command;   // the C-APDU as sent (header, [Lc data], [Le])
    cat::Bytes response;  // response data + SW1 SW2; empty when the exchange failed
    std::string link;     // "pcsc", "iccd", "sim" (the card link it went over)
    std::string error;    // why there is no response ("card removed"), else empty
};

// --- pure encoders -------------------------------------------------------------------------

inline constexpr std::uint16_t kGsmtapPort = 4729;  // IANA-registered GSMTAP port
inline constexpr std::uint8_t kGsmtapVersion = 2;
inline constexpr std::uint8_t kGsmtapTypeSim = 4;
inline constexpr std::uint8_t kGsmtapSimApdu = 0;  // sub-type: an APDU (not ATR/PPS)
inline constexpr std::size_t kGsmtapHeaderSize = 16;

// The exchange the way Wireshark's gsm_sim dissector reads it (a T=0 TPDU): CLA INS P1 P2 P3,
// command data, response data, SW1 SW2. A case 1 command gets P3 = '00'; the Le of a case 4
// command is dropped (P3 is then Lc, as on T=0). Without a response only the command is kept.
cat::Bytes sim_exchange_bytes(cat::ByteView command, cat::ByteView response);

// A GSMTAP v2 packet: the 16-byte header (version 2, length 4 words, type 4 = SIM, sub-type 0,
// every other field 0) followed by `payload`.
cat::Bytes gsmtap_packet(cat::ByteView payload);

// The GSMTAP packet of one record: gsmtap_packet(sim_exchange_bytes(command, response)).
cat::Bytes gsmtap_for(const ApduRecord& r);

// Classic pcap (not pcapng), microsecond timestamps, little-endian, LINKTYPE_ETHERNET: the
// 24-byte file header and one record (16-byte record header + frame).
inline constexpr std::uint32_t kPcapLinktypeEthernet = 1;
inline constexpr std::uint32_t kPcapSnaplen = 65535;
cat::Bytes pcap_file_header();
cat::Bytes pcap_record(std::chrono::system_clock::time_point time, cat::ByteView frame);

// An Ethernet II + IPv4 + UDP frame from 127.0.0.1:src_port to 127.0.0.1:dst_port carrying
// `payload` (MAC addresses zero, IPv4 header checksum computed, UDP checksum 0 = none).
cat::Bytes udp_loopback_frame(cat::ByteView payload, std::uint16_t src_port, std::uint16_t dst_port);

// "FETCH → OPEN CHANNEL (Terminal Server Mode, port 1100)", "TERMINAL RESPONSE to OPEN
// CHANNEL: '00' success", "ENVELOPE event download (data available)", "STATUS — card removed".
std::string summary_line(const ApduRecord& r);

// The log line at debug level: "sim C: 8012000014 R: D012...9000 | FETCH → OPEN CHANNEL (...)".
std::string trace_text(const ApduRecord& r);

// The debug socket's trace record: {"time","link","command","response","sw","summary",
// "decoded"|"decode_error", ["error"]}. See docs/debug-socket.md.
nlohmann::json trace_json(const ApduRecord& r);

// "2024-05-01T12:34:56.789Z" (UTC, milliseconds).
std::string iso_time(std::chrono::system_clock::time_point t);

// --- sinks ---------------------------------------------------------------------------------

class TraceSink {
public:
    virtual ~TraceSink() = default;
    virtual void write(const ApduRecord& r) = 0;
    virtual std::string describe() const = 0;  // "gsmtap 127.0.0.1:4729", "pcap /tmp/x.pcap"
};

// Sends each record as one GSMTAP datagram. Never blocks the loop: a send that fails (nobody
// listening gives ECONNREFUSED on some systems, a full socket buffer EAGAIN) is counted and
// forgotten.
class GsmtapSink : public TraceSink {
public:
    // `target` is "ADDRESS:PORT" or "ADDRESS" (port 4729); IPv6 as "[::1]:4729". Numeric
    // addresses only: a trace must not wait for DNS. Throws std::invalid_argument naming the
    // problem.
    GsmtapSink(boost::asio::io_context& io, std::string_view target);
    void write(const ApduRecord& r) override;
    std::string describe() const override;
    std::uint64_t sent() const { return sent_; }
    std::uint64_t failed() const { return failed_; }

    static boost::asio::ip::udp::endpoint parse_target(std::string_view target);

private:
    boost::asio::ip::udp::socket socket_;
    boost::asio::ip::udp::endpoint target_;
    std::uint64_t sent_ = 0;
    std::uint64_t failed_ = 0;
};

// Appends records to a classic pcap file (Ethernet/IPv4/UDP to port 4729/GSMTAP, so tshark and
// Wireshark apply the gsmtap and gsm_sim dissectors), flushed per record so a crash keeps the
// trace. An existing pcap file of the same kind is appended to; any other existing file is
// refused. With `max_bytes` > 0 the file is rotated to PATH.1 (replacing it) when the next
// record would pass that size.
class PcapSink : public TraceSink {
public:
    // Throws std::runtime_error "pcap PATH: reason".
    explicit PcapSink(std::string path, std::uint64_t max_bytes = 0);
    ~PcapSink() override;
    PcapSink(const PcapSink&) = delete;
    PcapSink& operator=(const PcapSink&) = delete;

    void write(const ApduRecord& r) override;
    std::string describe() const override;
    std::uint64_t written() const { return written_; }
    std::uint64_t failed() const { return failed_; }

private:
    void open_fresh();
    void rotate();

    std::string path_;
    std::uint64_t max_bytes_ = 0;
    std::FILE* file_ = nullptr;
    std::uint64_t size_ = 0;
    std::uint64_t written_ = 0;
    std::uint64_t failed_ = 0;
};

// Fans a record out to every sink; sinks never throw out of write().
class TraceWriter {
public:
    void add_sink(std::unique_ptr<TraceSink> sink) { sinks_.push_back(std::move(sink)); }
    void write(const ApduRecord& r);
    bool empty() const { return sinks_.empty(); }
    const std::vector<std::unique_ptr<TraceSink>>& sinks() const { return sinks_; }

private:
    std::vector<std::unique_ptr<TraceSink>> sinks_;
};

}  // namespace dmsc::gateway
