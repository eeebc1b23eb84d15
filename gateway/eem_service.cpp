// gateway/eem_service.cpp — TAP + hosts line + pipe + EEM bridge (see eem_service.hpp).
#include "gateway/eem_service.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/local/stream_protocol.hpp>
#pragma GCC diagnostic pop
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include "dmsc_config.h"
#include "gateway/log.hpp"
#if DMSC_HAVE_USB
#include "gateway/eem_usb_pipe.hpp"
#include "gateway/iccd_link.hpp"
#endif

namespace dmsc::gateway {

namespace {

std::string read_file(const std::string& path, bool& ok) {
    std::ifstream in(path, std::ios::binary);
    ok = static_cast<bool>(in);
    std::ostringstream s;
    if (in) s << in.rdbuf();
    return s.str();
}

// Every line of `text` except those containing `marker`.
std::string without(const std::string& text, const std::string& marker) {
    std::string out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.find(marker) != std::string::npos) continue;
        out += line;
        out += '\n';
    }
    return out;
}

bool write_in_place(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out << text;
    return static_cast<bool>(out.flush());
}

void add_counters(EemCounters& into, const EemCounters& c) {
    into.frames_out += c.frames_out;
    into.frames_in += c.frames_in;
    into.bytes_out += c.bytes_out;
    into.bytes_in += c.bytes_in;
    into.zero_length += c.zero_length;
    into.crc_frames_in += c.crc_frames_in;
    into.errors_in += c.errors_in;
    into.tap_drops += c.tap_drops;
    into.oversize_drops += c.oversize_drops;
    for (const auto& [k, v] : c.commands_in) into.commands_in[k] += v;
    for (const auto& [k, v] : c.commands_out) into.commands_out[k] += v;
    if (!c.last_error.empty()) into.last_error = c.last_error;
}

}  // namespace

HostsEntry::HostsEntry(std::string file, const std::vector<std::string>& addresses,
                       const std::string& hostname, std::string tag)
    : file_(std::move(file)), marker_("# dmsc-gateway eem " + tag) {
    for (const auto& a : addresses) lines_ += a + "\t" + hostname + "\t" + marker_ + "\n";
}

HostsEntry::~HostsEntry() {
    remove();
}

void HostsEntry::add() {
    bool ok = false;
    const std::string text = read_file(file_, ok);
    if (!ok)
        throw std::runtime_error("eem.hosts_file " + file_ +
                                 ": cannot be read; fix the path or set it to \"\"");
    std::string next = without(text, marker_);
    next += lines_;
    if (!write_in_place(file_, next))
        throw std::runtime_error(
            "eem.hosts_file " + file_ + ": cannot be written (" + std::strerror(errno) +
            "); run as root or set eem.hosts_file = \"\" and resolve the name otherwise");
    added_ = true;
}

void HostsEntry::remove() {
    if (!added_) return;
    added_ = false;
    bool ok = false;
    const std::string text = read_file(file_, ok);
    if (!ok) return;
    const std::string next = without(text, marker_);
    if (next != text && !write_in_place(file_, next))
        log_warn(LogCategory::Eem, "could not remove the ", marker_, " line from ", file_);
}

EemService::EemService(boost::asio::io_context& io, EemConfig config)
    : io_(io), config_(std::move(config)), retry_(io) {}

EemService::~EemService() {
    *alive_ = false;
    stop();
}

void EemService::start() {
    Ipv4Prefix address;
    std::string why;
    if (!parse_ipv4_prefix(config_.address, address, why)) throw std::runtime_error("eem.address: " + why);
    try {
        tap_ = std::make_unique<Tap>(config_.tap);
        tap_->configure(address, config_.mtu);
    } catch (const TapError& e) {
        tap_.reset();
        throw std::runtime_error(std::string("eem: ") + e.what());
    }
    if (!config_.address6.empty()) {
        Ipv6Prefix address6;
        if (!parse_ipv6_prefix(config_.address6, address6, why))
            throw std::runtime_error("eem.address6: " + why);
        try {
            tap_->add_ipv6(address6);
        } catch (const TapError& e) {
            tap_.reset();
            throw std::runtime_error(std::string("eem.address6: ") + e.what());
        }
    }
    log_info(LogCategory::Eem, "TAP ", tap_->name(), " up with ", address.to_string(),
             config_.address6.empty() ? std::string() : " and " + config_.address6, ", the UICC is ",
             config_.uicc_address,
             config_.uicc_address6.empty() ? std::string() : " and " + config_.uicc_address6);
    if (config_.dhcp) {
        Ipv4Prefix card;
        parse_ipv4_prefix(config_.uicc_address, card, why);  // checked by the configuration
        eem::dhcp::ServerConfig d;
        d.server_address = address.address;
        d.client_address = card.address;
        d.netmask = address.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - address.prefix);
        d.lease_seconds = config_.dhcp_lease;
        try {
            dhcp_ = std::make_unique<DhcpService>(io_, tap_->name(), d);
        } catch (const std::exception&) {
            tap_.reset();
            throw;
        }
    }
    if (!config_.hosts_file.empty()) {
        std::vector<std::string> addresses{config_.uicc_address};
        if (!config_.uicc_address6.empty()) {
            Ipv6Prefix a6;
            if (parse_ipv6_prefix(config_.uicc_address6, a6, why)) addresses.push_back(a6.address_text());
        }
        hosts_ = std::make_unique<HostsEntry>(config_.hosts_file, addresses, config_.hostname, tap_->name());
        hosts_->add();
        for (const auto& a : addresses)
            log_info(LogCategory::Eem, config_.hostname, " -> ", a, " in ", config_.hosts_file);
    }
    connect();
}

void EemService::stop() {
    retry_.cancel();
    if (bridge_) {
        add_counters(total_, bridge_->counters());
        bridge_->stop();
        bridge_.reset();
    }
    if (hosts_) hosts_->remove();
    hosts_.reset();
    dhcp_.reset();
    tap_.reset();
    pipe_state_ = "stopped";
}

void EemService::connect() {
    if (!tap_) return;
    std::unique_ptr<UsbPipe> pipe;
    std::string why;
    if (config_.pipe == "usb") {
#if DMSC_HAVE_USB
        try {
            if (!usb_loop_) usb_loop_ = std::make_unique<LibusbLoop>(io_);
            pipe = open_usb_eem_pipe(io_, *usb_loop_, config_.usb, why);
        } catch (const std::exception& e) {
            why = e.what();
        }
#else
        why = "this dmsc-gatewayd was built without libusb-1.0";
#endif
    } else {
        const std::string path = config_.pipe.substr(5);  // "unix:" checked by the config
        boost::asio::local::stream_protocol::socket socket(io_);
        boost::system::error_code ec;
        socket.connect(boost::asio::local::stream_protocol::endpoint(path), ec);
        if (ec)
            why = ec.message();
        else
            pipe = make_socket_pipe(std::move(socket), config_.pipe);
    }
    if (!pipe) {
        if (pipe_state_ != "waiting" || why != last_wait_)
            log_info(LogCategory::Eem, "waiting for the USB UICC's EEM pipe ", config_.pipe, " (", why, ")");
        last_wait_ = why;
        pipe_state_ = "waiting";
        retry_later();
        return;
    }
    const int fd = ::dup(tap_->fd());
    if (fd < 0) {
        pipe_state_ = "waiting";
        retry_later();
        return;
    }
    EemBridgeOptions o;
    o.send_crc = config_.crc;
    o.max_frame = config_.mtu + 18;  // Ethernet header + 802.1Q tag
    o.log = [](const std::string& m) { log_warn(LogCategory::Eem, m); };
    const std::string described = pipe->describe();
    bridge_ = std::make_unique<EemBridge>(io_, fd, std::move(pipe), o);
    ++connects_;
    pipe_state_ = "connected";
    if (dhcp_) dhcp_->reset();  // a (new) card is plugged in: it starts its DHCP exchange afresh
    log_info(LogCategory::Eem, "EEM pipe ", described, " connected; bridging ", tap_->name());
    bridge_->start([this, alive = alive_](const std::string& why_closed) {
        if (!*alive) return;
        log_warn(LogCategory::Eem, "EEM pipe closed: ", why_closed);
        last_close_ = why_closed;
        pipe_state_ = "waiting";
        // Not from inside the bridge's own callback: destroy it on the next turn.
        boost::asio::post(io_, [this, alive] {
            if (!*alive || !bridge_) return;
            add_counters(total_, bridge_->counters());
            bridge_.reset();
            retry_later();
        });
    });
}

void EemService::retry_later() {
    retry_.expires_after(std::chrono::seconds(1));
    retry_.async_wait([this, alive = alive_](auto ec) {
        if (!ec && *alive && !bridge_) connect();
    });
}

nlohmann::json EemService::status_json() const {
    EemCounters c = total_;
    if (bridge_) add_counters(c, bridge_->counters());
    return {{"enabled", true},
            {"tap", config_.tap},
            {"address", config_.address},
            {"uicc_address", config_.uicc_address},
            {"address6", config_.address6},
            {"uicc_address6", config_.uicc_address6},
            {"dhcp", dhcp_ ? dhcp_->status_json() : nlohmann::json{{"enabled", false}}},
            {"hostname", config_.hostname},
            {"hosts_file", config_.hosts_file},
            {"pipe", config_.pipe},
            {"pipe_state", pipe_state_},
            {"connects", connects_},
            {"last_close", last_close_},
            {"counters", counters_json(c)}};
}

}  // namespace dmsc::gateway
