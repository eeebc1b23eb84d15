// gateway/tap.hpp — a Linux TAP interface (/dev/net/tun, IFF_TAP | IFF_NO_PI): the host side of
// the UICC's CDC EEM link. Each read() is one Ethernet frame, each write() sends one. The
// interface is created (or attached to, when it exists and is persistent) by name, given an
// IPv4 address and brought up; it disappears when the fd is closed (non-persistent). IPv6
// link-local addresses come from the kernel when the link goes up. Needs CAP_NET_ADMIN.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace dmsc::gateway {

class TapError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "192.168.100.1/30" -> address and prefix; false (and `why`) when malformed.
struct Ipv4Prefix {
    std::uint32_t address = 0;  // host order
    unsigned prefix = 32;
    std::string address_text() const;
    std::string to_string() const;  // "a.b.c.d/p"
};
bool parse_ipv4_prefix(const std::string& text, Ipv4Prefix& out, std::string& why);

// "fd5c:d3a1:1cc0::1/64" -> address and prefix (default 128); false (and `why`) when malformed.
struct Ipv6Prefix {
    std::array<std::uint8_t, 16> address{};
    unsigned prefix = 128;
    std::string address_text() const;
    std::string to_string() const;  // "addr/p"
};
bool parse_ipv6_prefix(const std::string& text, Ipv6Prefix& out, std::string& why);

class Tap {
public:
    // Opens /dev/net/tun and creates the TAP `name` (non-blocking fd). Throws TapError naming the
    // step and errno ("TUNSETIFF uicc0: Operation not permitted (needs CAP_NET_ADMIN)").
    explicit Tap(const std::string& name);
    ~Tap();
    Tap(const Tap&) = delete;
    Tap& operator=(const Tap&) = delete;

    // Sets the IPv4 address/prefix, the MTU (0 = leave) and brings the link up. Throws TapError.
    void configure(const Ipv4Prefix& address, unsigned mtu);
    // Only the MTU (0 = leave) and up: no IPv4 address (a DHCP client will set one).
    void up(unsigned mtu);
    // Adds an IPv6 address with duplicate address detection off for the interface (the link
    // is point-to-point and the address is usable at once). Throws TapError (IPv6 disabled...).
    void add_ipv6(const Ipv6Prefix& address);
    int fd() const { return fd_; }
    const std::string& name() const { return name_; }
    // Releases the fd to the caller (who closes it); the Tap no longer owns it.
    int release();

private:
    int fd_ = -1;
    std::string name_;
};

}  // namespace dmsc::gateway
