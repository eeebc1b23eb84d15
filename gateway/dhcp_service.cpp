// gateway/dhcp_service.cpp — UDP 67 on the TAP for eem::dhcp::Server (see dhcp_service.hpp).
#include "gateway/dhcp_service.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "gateway/log.hpp"

namespace dmsc::gateway {

namespace {

using boost::asio::ip::udp;

std::string errno_text(const std::string& what) {
    const int e = errno;
    std::string s = what + ": " + std::strerror(e);
    if (e == EPERM || e == EACCES) s += " (needs root or CAP_NET_ADMIN / CAP_NET_BIND_SERVICE)";
    if (e == EADDRINUSE) s += " (another DHCP server holds port 67; set eem.dhcp = false to use it instead)";
    return s;
}

// A permanent ARP entry yiaddr -> chaddr on the TAP, so the unicast reply reaches a client
// that has no address yet (RFC 2131 4.1); false when the kernel refuses.
bool set_arp(int fd, const std::string& interface, std::uint32_t address, const eem::dhcp::Message& m) {
    arpreq req{};
    auto* pa = reinterpret_cast<sockaddr_in*>(&req.arp_pa);
    pa->sin_family = AF_INET;
    pa->sin_addr.s_addr = htonl(address);
    req.arp_ha.sa_family = ARPHRD_ETHER;
    std::memcpy(req.arp_ha.sa_data, m.chaddr.data(), 6);
    req.arp_flags = ATF_COM;
    std::strncpy(req.arp_dev, interface.c_str(), sizeof req.arp_dev - 1);
    return ::ioctl(fd, SIOCSARP, &req) == 0;
}

}  // namespace

DhcpService::DhcpService(boost::asio::io_context& io, std::string interface, eem::dhcp::ServerConfig config)
    : interface_(std::move(interface)), server_(std::move(config)), socket_(io) {
    boost::system::error_code ec;
    socket_.open(udp::v4(), ec);
    if (ec) throw std::runtime_error("eem.dhcp: UDP socket: " + ec.message());
    const int fd = socket_.native_handle();
    const int one = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, interface_.c_str(),
                     static_cast<socklen_t>(interface_.size())) != 0)
        throw std::runtime_error("eem.dhcp: " + errno_text("SO_BINDTODEVICE " + interface_));
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) != 0)
        throw std::runtime_error("eem.dhcp: " + errno_text("SO_BROADCAST"));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(eem::dhcp::kServerPort);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        throw std::runtime_error("eem.dhcp: " + errno_text("bind UDP port 67 on " + interface_));
    socket_.non_blocking(true, ec);
    const auto& c = server_.config();
    log_info(LogCategory::Eem, "DHCP server on ", interface_, ": offers ",
             eem::dhcp::address_text(c.client_address), " (server ",
             eem::dhcp::address_text(c.server_address), ", lease ", c.lease_seconds, " s)");
    receive();
}

DhcpService::~DhcpService() {
    *alive_ = false;
    boost::system::error_code ignored;
    socket_.close(ignored);
}

std::uint64_t DhcpService::now() const {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}

void DhcpService::reset() {
    server_.reset();
}

void DhcpService::receive() {
    socket_.async_receive_from(
        boost::asio::buffer(buffer_), peer_,
        [this, alive = alive_](const boost::system::error_code& ec, std::size_t n) {
            if (!*alive || ec == boost::asio::error::operation_aborted) return;
            if (!ec) {
                const eem::dhcp::Reply reply = server_.handle(eem::dhcp::ByteView(buffer_.data(), n), now());
                last_event_ = reply.note;
                if (!reply.message)
                    log_debug(LogCategory::Eem, "DHCP from ", peer_.address().to_string(), ": ", reply.note);
                if (reply.message) send(reply);
            }
            receive();
        });
}

void DhcpService::send(const eem::dhcp::Reply& reply) {
    using eem::dhcp::Destination;
    std::uint32_t to = 0xFFFFFFFF;
    if (reply.to == Destination::Unicast) {
        to = reply.address;
    } else if (reply.to == Destination::HardwareUnicast) {
        if (set_arp(socket_.native_handle(), interface_, reply.address, *reply.message))
            to = reply.address;
        else
            log_debug(LogCategory::Eem, "DHCP: no ARP entry for ", eem::dhcp::address_text(reply.address),
                      " (", std::strerror(errno), "): broadcasting the reply");
    }
    log_info(LogCategory::Eem, "DHCP ", reply.note, " -> ", eem::dhcp::address_text(to), ":",
             eem::dhcp::kClientPort,
             reply.to == Destination::HardwareUnicast && to != 0xFFFFFFFF ? " (ARP entry set)" : "");
    const eem::dhcp::Bytes bytes = eem::dhcp::encode(*reply.message);
    boost::system::error_code ec;
    socket_.send_to(boost::asio::buffer(bytes),
                    udp::endpoint(boost::asio::ip::address_v4(to), eem::dhcp::kClientPort), 0, ec);
    if (ec) {
        ++send_errors_;
        log_warn(LogCategory::Eem, "DHCP reply to ", eem::dhcp::address_text(to), " on ", interface_, ": ",
                 ec.message());
    }
}

nlohmann::json DhcpService::status_json() const {
    const auto lease = server_.lease(now());
    const auto& c = server_.counters();
    nlohmann::json j = {{"enabled", true},
                        {"lease", eem::dhcp::name_of(lease.state)},
                        {"address", eem::dhcp::address_text(server_.config().client_address)},
                        {"lease_seconds", server_.config().lease_seconds},
                        {"counters",
                         {{"received", c.received},
                          {"malformed", c.malformed},
                          {"ignored", c.ignored},
                          {"discover", c.discovers},
                          {"offer", c.offers},
                          {"request", c.requests},
                          {"ack", c.acks},
                          {"nak", c.naks},
                          {"release", c.releases},
                          {"decline", c.declines},
                          {"inform", c.informs},
                          {"send_errors", send_errors_}}},
                        {"last_event", last_event_},
                        {"last_error", server_.last_error()}};
    if (lease.state != eem::dhcp::LeaseState::Free) {
        j["client"] = lease.hardware_address;
        j["host_name"] = lease.host_name;
        const auto t = now();
        j["expires_in"] = lease.expires > t ? lease.expires - t : 0;
    }
    return j;
}

}  // namespace dmsc::gateway
