// gateway/dhcp_service.hpp — the DHCPv4 server of the EEM link ([eem] dhcp, docs/usb.md): a UDP
// socket on port 67 bound to the TAP (SO_BINDTODEVICE, SO_BROADCAST) feeding eem::dhcp::Server
// (the pure codec and lease state machine) and sending its replies where RFC 2131 4.1 says:
// broadcast, unicast to ciaddr, or unicast to yiaddr at chaddr (an ARP entry is set first, as
// the client cannot answer ARP before it has the address; broadcast if that fails).
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#pragma GCC diagnostic pop
#include <array>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "eem/dhcp.hpp"

namespace dmsc::gateway {

class DhcpService {
public:
    // Opens and binds the socket; throws std::runtime_error naming the step (port 67 in use
    // by another DHCP server, not root...).
    DhcpService(boost::asio::io_context& io, std::string interface, eem::dhcp::ServerConfig config);
    ~DhcpService();
    // The card was (re)plugged: the previous lease is forgotten.
    void reset();
    nlohmann::json status_json() const;

private:
    void receive();
    void send(const eem::dhcp::Reply& reply);
    std::uint64_t now() const;

    std::string interface_;
    eem::dhcp::Server server_;
    boost::asio::ip::udp::socket socket_;
    boost::asio::ip::udp::endpoint peer_;
    std::array<std::uint8_t, 1500> buffer_{};
    std::string last_event_;
    std::uint64_t send_errors_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace dmsc::gateway
