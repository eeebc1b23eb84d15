// gateway/eem_service.hpp — the gateway's side of TCP/IP to a USB UICC ([eem], docs/usb.md):
// creates the TAP interface and gives it the terminal's addresses (IPv4, optional IPv6), runs
// the link's DHCPv4 server (eem.dhcp), keeps the `localuicc` lines in the hosts file while the
// link is up, connects the "USB pipe" (the UICC's EEM bulk pair,
// or a unix socket to a simulated USB UICC) and runs an EemBridge over it; reconnects every
// second while the pipe is away. Everything runs on the daemon's io_context.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gateway/config.hpp"
#include "gateway/dhcp_service.hpp"
#include "gateway/eem_bridge.hpp"
#include "gateway/tap.hpp"

namespace dmsc::gateway {

// The hosts-file lines "ADDRESS HOSTNAME # dmsc-gateway eem TAP" (one per address: IPv4, and
// IPv6 when configured): added by add(), removed by remove() (and stale lines of the same TAP
// at add()). The file is rewritten in place (it may be a bind mount); other lines are kept
// byte for byte.
class HostsEntry {
public:
    HostsEntry(std::string file, const std::vector<std::string>& addresses, const std::string& hostname,
               std::string tag);
    ~HostsEntry();
    void add();     // throws std::runtime_error naming the file
    void remove();  // best effort
private:
    std::string file_, lines_, marker_;
    bool added_ = false;
};

class LibusbLoop;

class EemService {
public:
    EemService(boost::asio::io_context& io, EemConfig config);
    ~EemService();
    // Creates and configures the TAP, writes the hosts line, starts connecting the pipe.
    // Throws std::runtime_error with what to do (no /dev/net/tun, not root, bad file).
    void start();
    void stop();
    nlohmann::json status_json() const;

private:
    void connect();
    void retry_later();

    boost::asio::io_context& io_;
    EemConfig config_;
    std::unique_ptr<Tap> tap_;
    std::unique_ptr<HostsEntry> hosts_;
    std::unique_ptr<DhcpService> dhcp_;
    std::unique_ptr<LibusbLoop> usb_loop_;  // pipe = "usb"; outlives the bridge's pipe
    std::unique_ptr<EemBridge> bridge_;
    std::string last_wait_;
    boost::asio::steady_timer retry_;
    std::string pipe_state_ = "stopped";
    std::string last_close_;
    std::uint64_t connects_ = 0;
    EemCounters total_;  // counters of bridges that have ended
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace dmsc::gateway
