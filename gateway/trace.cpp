// gateway/trace.cpp — APDU trace encodings (GSMTAP, pcap, text, JSON) and the trace sinks.
#include "gateway/trace.hpp"

#include <sys/stat.h>

// GCC 12 at -O2 sees a "potential null pointer dereference" inside Asio's scheduler
// (scheduler.ipp, compensating_work_started); the warning is Asio's, not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/ip/address.hpp>
#pragma GCC diagnostic pop
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "cat/apdu.hpp"
#include "cat/describe.hpp"
#include "gateway/describe_json.hpp"

namespace dmsc::gateway {

namespace {

void put_le32(cat::Bytes& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_le16(cat::Bytes& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put_be16(cat::Bytes& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

// The fields worth a place in a one-line summary, in this order ("kind" shows its value only).
constexpr const char* kSummaryFields[] = {"kind", "port", "channel id", "channel data length", "timer id"};

std::string field_text(const cat::FieldValue& v) {
    if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
    return std::get<std::string>(v);
}

// "OPEN CHANNEL (Terminal Server Mode, port 1100)", "TERMINAL RESPONSE to X: '00' success".
std::string part_summary(const cat::Description& p) {
    std::string s = p.title;
    std::string extra;
    for (const char* want : kSummaryFields) {
        for (const auto& f : p.fields) {
            if (f.name != want) continue;
            if (!extra.empty()) extra += ", ";
            extra += (f.name == "kind" ? "" : f.name + " ") + field_text(f.value);
            break;
        }
    }
    if (!extra.empty()) s += " (" + extra + ")";
    if (p.result) {
        char b[8];
        std::snprintf(b, sizeof b, "'%02X'", p.result->general);
        s += std::string(": ") + b + " " +
             std::string(cat::name_of(static_cast<cat::GeneralResult>(p.result->general)));
        if (!p.result->additional.empty()) s += " /" + cat::to_hex(p.result->additional);
    }
    return s;
}

std::string ins_name(cat::ByteView command) {
    if (command.size() < 2) return "APDU";
    auto n = cat::name_of(static_cast<cat::Ins>(command[1]));
    if (!n.empty()) return std::string(n);
    char b[16];
    std::snprintf(b, sizeof b, "INS '%02X'", command[1]);
    return b;
}

}  // namespace

cat::Bytes sim_exchange_bytes(cat::ByteView command, cat::ByteView response) {
    cat::Bytes out(command.begin(), command.end());
    if (command.size() == 4) {
        out.push_back(0x00);  // case 1: T=0 always sends P3
    } else if (command.size() > 5 && command.size() == 5u + command[4] + 1u) {
        out.pop_back();  // case 4: T=0 has no Le in the command TPDU
    }
    out.insert(out.end(), response.begin(), response.end());
    return out;
}

cat::Bytes gsmtap_packet(cat::ByteView payload) {
    cat::Bytes out;
    out.reserve(kGsmtapHeaderSize + payload.size());
    out.push_back(kGsmtapVersion);
    out.push_back(kGsmtapHeaderSize / 4);  // header length in 32-bit words
    out.push_back(kGsmtapTypeSim);
    out.push_back(0);  // timeslot
    put_be16(out, 0);  // ARFCN
    out.push_back(0);  // signal dBm
    out.push_back(0);  // SNR dB
    put_be16(out, 0);  // frame number (32 bits)
    put_be16(out, 0);
    out.push_back(kGsmtapSimApdu);  // sub-type
    out.push_back(0);               // antenna
    out.push_back(0);               // sub-slot
    out.push_back(0);               // reserved
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

cat::Bytes gsmtap_for(const ApduRecord& r) {
    return gsmtap_packet(sim_exchange_bytes(r.command, r.response));
}

cat::Bytes pcap_file_header() {
    cat::Bytes out;
    put_le32(out, 0xA1B2C3D4);  // magic: microsecond timestamps, written in our byte order
    put_le16(out, 2);           // version 2.4
    put_le16(out, 4);
    put_le32(out, 0);  // thiszone
    put_le32(out, 0);  // sigfigs
    put_le32(out, kPcapSnaplen);
    put_le32(out, kPcapLinktypeEthernet);
    return out;
}

cat::Bytes pcap_record(std::chrono::system_clock::time_point time, cat::ByteView frame) {
    using namespace std::chrono;
    const auto us = duration_cast<microseconds>(time.time_since_epoch()).count();
    const auto caplen = static_cast<std::uint32_t>(std::min<std::size_t>(frame.size(), kPcapSnaplen));
    cat::Bytes out;
    out.reserve(16 + caplen);
    put_le32(out, static_cast<std::uint32_t>(us / 1000000));
    put_le32(out, static_cast<std::uint32_t>(us % 1000000));
    put_le32(out, caplen);
    put_le32(out, static_cast<std::uint32_t>(frame.size()));
    out.insert(out.end(), frame.begin(), frame.begin() + caplen);
    return out;
}

cat::Bytes udp_loopback_frame(cat::ByteView payload, std::uint16_t src_port, std::uint16_t dst_port) {
    cat::Bytes out;
    out.reserve(42 + payload.size());
    out.insert(out.end(), 12, 0x00);  // destination and source MAC
    put_be16(out, 0x0800);            // EtherType IPv4
    const std::size_t ip_at = out.size();
    const auto udp_len = static_cast<std::uint16_t>(8 + payload.size());
    out.push_back(0x45);  // IPv4, 5 words of header
    out.push_back(0x00);  // DSCP/ECN
    put_be16(out, static_cast<std::uint16_t>(20 + udp_len));
    put_be16(out, 0);       // identification
    put_be16(out, 0x4000);  // don't fragment
    out.push_back(64);      // TTL
    out.push_back(17);      // UDP
    put_be16(out, 0);       // checksum, below
    const std::uint8_t loopback[4] = {127, 0, 0, 1};
    out.insert(out.end(), loopback, loopback + 4);
    out.insert(out.end(), loopback, loopback + 4);
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < 20; i += 2) sum += (out[ip_at + i] << 8) | out[ip_at + i + 1];
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    const auto checksum = static_cast<std::uint16_t>(~sum);
    out[ip_at + 10] = static_cast<std::uint8_t>(checksum >> 8);
    out[ip_at + 11] = static_cast<std::uint8_t>(checksum);
    put_be16(out, src_port);
    put_be16(out, dst_port);
    put_be16(out, udp_len);
    put_be16(out, 0);  // RFC 768: zero = no checksum (IPv4)
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

std::string summary_line(const ApduRecord& r) {
    if (r.response.empty() && !r.error.empty()) return ins_name(r.command) + " — " + r.error;
    const auto bytes = sim_exchange_bytes(r.command, r.response);
    auto d = cat::describe_bytes(bytes, cat::Hint::Apdu);
    if (!d) return ins_name(r.command);
    std::string s = d->title;
    for (const auto& p : d->parts) {
        std::string ps = part_summary(p);
        // "TERMINAL RESPONSE to ...", "ENVELOPE ...", "TERMINAL PROFILE (n bytes)" already say it.
        if (ps.rfind(d->title, 0) == 0) {
            s = ps;
        } else {
            s += " → " + ps;
        }
    }
    return s;
}

std::string trace_text(const ApduRecord& r) {
    std::string s = r.link + " C: " + cat::to_hex(r.command);
    if (!r.response.empty()) s += " R: " + cat::to_hex(r.response);
    if (!r.error.empty()) s += " error: " + r.error;
    return s + " | " + summary_line(r);
}

std::string iso_time(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    if (ms % 1000 < 0) --secs;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char b[96];
    std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(((ms % 1000) + 1000) % 1000));
    return b;
}

nlohmann::json trace_json(const ApduRecord& r) {
    nlohmann::json j;
    j["time"] = iso_time(r.time);
    j["link"] = r.link;
    j["command"] = cat::to_hex(r.command);
    j["response"] = cat::to_hex(r.response);
    if (r.response.size() >= 2) {
        j["sw"] = cat::to_hex(cat::ByteView(r.response).last(2));
    } else {
        j["sw"] = nullptr;
    }
    if (!r.error.empty()) j["error"] = r.error;
    j["summary"] = summary_line(r);
    const auto bytes = sim_exchange_bytes(r.command, r.response);
    auto d = cat::describe_bytes(bytes, cat::Hint::Apdu);
    if (d) {
        j["decoded"] = describe_json(*d);
    } else {
        j["decode_error"] = d.error().describe();
    }
    return j;
}

// --- GsmtapSink ----------------------------------------------------------------------------

boost::asio::ip::udp::endpoint GsmtapSink::parse_target(std::string_view target) {
    std::string_view host = target;
    std::uint16_t port = kGsmtapPort;
    std::string_view port_text;
    if (!target.empty() && target.front() == '[') {
        const auto close = target.find(']');
        if (close == std::string_view::npos) {
            throw std::invalid_argument("\"" + std::string(target) +
                                        "\": missing ']' after the IPv6 address");
        }
        host = target.substr(1, close - 1);
        const auto rest = target.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                throw std::invalid_argument("\"" + std::string(target) + "\": expected ':PORT' after ']'");
            }
            port_text = rest.substr(1);
        }
    } else if (const auto colon = target.rfind(':');
               colon != std::string_view::npos && target.find(':') == colon) {
        host = target.substr(0, colon);
        port_text = target.substr(colon + 1);
    }
    if (!port_text.empty() || (target.size() && target.back() == ':')) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
        if (ec != std::errc() || p != port_text.data() + port_text.size() || v == 0 || v > 65535) {
            throw std::invalid_argument("\"" + std::string(target) + "\": port must be 1..65535");
        }
        port = static_cast<std::uint16_t>(v);
    }
    boost::system::error_code ec;
    const auto addr = boost::asio::ip::make_address(std::string(host), ec);
    if (ec) {
        throw std::invalid_argument("\"" + std::string(target) +
                                    "\": not a numeric IP address (use e.g. 127.0.0.1:4729)");
    }
    return {addr, port};
}

GsmtapSink::GsmtapSink(boost::asio::io_context& io, std::string_view target)
    : socket_(io), target_(parse_target(target)) {
    socket_.open(target_.protocol());
    socket_.non_blocking(true);
}

void GsmtapSink::write(const ApduRecord& r) {
    const auto packet = gsmtap_for(r);
    boost::system::error_code ec;
    socket_.send_to(boost::asio::buffer(packet), target_, 0, ec);
    if (ec) {
        ++failed_;
    } else {
        ++sent_;
    }
}

std::string GsmtapSink::describe() const {
    const auto a = target_.address();
    return "gsmtap " + (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" +
           std::to_string(target_.port());
}

// --- PcapSink ------------------------------------------------------------------------------

PcapSink::PcapSink(std::string path, std::uint64_t max_bytes)
    : path_(std::move(path)), max_bytes_(max_bytes) {
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && st.st_size > 0) {
        // Append only to a pcap this writer could have made: same header, same link type.
        std::FILE* f = std::fopen(path_.c_str(), "rb");
        cat::Bytes head(24);
        const bool same =
            f && std::fread(head.data(), 1, head.size(), f) == head.size() && head == pcap_file_header();
        if (f) std::fclose(f);
        if (!same) {
            throw std::runtime_error("pcap " + path_ +
                                     ": exists and is not a pcap file written by dmsc-gatewayd; "
                                     "remove it or choose another trace.pcap");
        }
        file_ = std::fopen(path_.c_str(), "ab");
        if (!file_) throw std::runtime_error("pcap " + path_ + ": " + std::strerror(errno));
        size_ = static_cast<std::uint64_t>(st.st_size);
        return;
    }
    open_fresh();
}

PcapSink::~PcapSink() {
    if (file_) std::fclose(file_);
}

void PcapSink::open_fresh() {
    file_ = std::fopen(path_.c_str(), "wb");
    if (!file_) throw std::runtime_error("pcap " + path_ + ": " + std::strerror(errno));
    const auto header = pcap_file_header();
    if (std::fwrite(header.data(), 1, header.size(), file_) != header.size() || std::fflush(file_) != 0) {
        throw std::runtime_error("pcap " + path_ + ": " + std::strerror(errno));
    }
    size_ = header.size();
}

void PcapSink::rotate() {
    std::fclose(file_);
    file_ = nullptr;
    std::rename(path_.c_str(), (path_ + ".1").c_str());
    try {
        open_fresh();
    } catch (const std::exception&) {
        if (file_) std::fclose(file_);
        file_ = nullptr;
    }
}

void PcapSink::write(const ApduRecord& r) {
    const auto frame = udp_loopback_frame(gsmtap_for(r), kGsmtapPort, kGsmtapPort);
    const auto record = pcap_record(r.time, frame);
    if (file_ && max_bytes_ > 0 && size_ + record.size() > max_bytes_ && size_ > 24) rotate();
    if (!file_ || std::fwrite(record.data(), 1, record.size(), file_) != record.size() ||
        std::fflush(file_) != 0) {
        ++failed_;
        return;
    }
    size_ += record.size();
    ++written_;
}

std::string PcapSink::describe() const {
    return "pcap " + path_;
}

// --- TraceWriter ---------------------------------------------------------------------------

void TraceWriter::write(const ApduRecord& r) {
    for (auto& s : sinks_) {
        try {
            s->write(r);
        } catch (const std::exception&) {
            // A trace must never take the card session down; the sinks count their failures.
        }
    }
}

}  // namespace dmsc::gateway
