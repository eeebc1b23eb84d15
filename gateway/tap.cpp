// gateway/tap.cpp — TAP interface creation and IPv4 configuration through ioctl (see tap.hpp).
#include "gateway/tap.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dmsc::gateway {

namespace {

std::string err(const std::string& what) {
    const int e = errno;
    std::string s = what + ": " + std::strerror(e);
    if (e == EPERM) s += " (needs root or CAP_NET_ADMIN)";
    if (e == ENOENT) s += " (no /dev/net/tun: load the tun module)";
    return s;
}

struct Sock {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ~Sock() {
        if (fd >= 0) ::close(fd);
    }
};

void set_name(ifreq& ifr, const std::string& name) {
    std::memset(&ifr, 0, sizeof ifr);
    std::memcpy(ifr.ifr_name, name.data(), name.size());
}

}  // namespace

std::string Ipv4Prefix::address_text() const {
    in_addr a{};
    a.s_addr = htonl(address);
    char buf[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
}

std::string Ipv4Prefix::to_string() const {
    return address_text() + "/" + std::to_string(prefix);
}

std::string Ipv6Prefix::address_text() const {
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, address.data(), buf, sizeof buf);
    return buf;
}

std::string Ipv6Prefix::to_string() const {
    return address_text() + "/" + std::to_string(prefix);
}

bool parse_ipv6_prefix(const std::string& text, Ipv6Prefix& out, std::string& why) {
    const auto slash = text.find('/');
    const std::string addr = text.substr(0, slash);
    in6_addr a{};
    if (addr.find('%') != std::string::npos || ::inet_pton(AF_INET6, addr.c_str(), &a) != 1) {
        why = "\"" + text + "\" is not an IPv6 address (expected e.g. fd5c:d3a1:1cc0::1/64, no %scope)";
        return false;
    }
    unsigned prefix = 128;
    if (slash != std::string::npos) {
        const std::string p = text.substr(slash + 1);
        if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(p) > 128) {
            why = "\"" + text + "\": prefix length must be 0..128";
            return false;
        }
        prefix = static_cast<unsigned>(std::stoul(p));
    }
    std::memcpy(out.address.data(), &a, 16);
    out.prefix = prefix;
    return true;
}

bool parse_ipv4_prefix(const std::string& text, Ipv4Prefix& out, std::string& why) {
    const auto slash = text.find('/');
    const std::string addr = text.substr(0, slash);
    in_addr a{};
    if (::inet_pton(AF_INET, addr.c_str(), &a) != 1) {
        why = "\"" + text + "\" is not an IPv4 address (expected A.B.C.D/PREFIX)";
        return false;
    }
    unsigned prefix = 32;
    if (slash != std::string::npos) {
        const std::string p = text.substr(slash + 1);
        if (p.empty() || p.size() > 2 || p.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(p) > 32) {
            why = "\"" + text + "\": prefix length must be 0..32";
            return false;
        }
        prefix = static_cast<unsigned>(std::stoul(p));
    }
    out.address = ntohl(a.s_addr);
    out.prefix = prefix;
    return true;
}

Tap::Tap(const std::string& name) : name_(name) {
    if (name.empty() || name.size() >= IFNAMSIZ)
        throw TapError("TAP name \"" + name + "\" must be 1..15 characters");
    fd_ = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) throw TapError(err("open /dev/net/tun"));
    ifreq ifr{};
    set_name(ifr, name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (::ioctl(fd_, TUNSETIFF, &ifr) < 0) {
        const std::string e = err("TUNSETIFF " + name);
        ::close(fd_);
        fd_ = -1;
        throw TapError(e);
    }
    name_ = ifr.ifr_name;
}

Tap::~Tap() {
    if (fd_ >= 0) ::close(fd_);
}

int Tap::release() {
    const int f = fd_;
    fd_ = -1;
    return f;
}

void Tap::configure(const Ipv4Prefix& address, unsigned mtu) {
    Sock s;
    if (s.fd < 0) throw TapError(err("socket"));
    ifreq ifr{};
    auto set_addr = [&](unsigned long req, std::uint32_t value, const char* what) {
        set_name(ifr, name_);
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(value);
        std::memcpy(&ifr.ifr_addr, &sin, sizeof sin);
        if (::ioctl(s.fd, req, &ifr) < 0) throw TapError(err(std::string(what) + " " + name_));
    };
    set_addr(SIOCSIFADDR, address.address, "SIOCSIFADDR");
    const std::uint32_t mask = address.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - address.prefix);
    set_addr(SIOCSIFNETMASK, mask, "SIOCSIFNETMASK");
    up(mtu);
}

void Tap::up(unsigned mtu) {
    Sock s;
    if (s.fd < 0) throw TapError(err("socket"));
    ifreq ifr{};
    if (mtu != 0) {
        set_name(ifr, name_);
        ifr.ifr_mtu = static_cast<int>(mtu);
        if (::ioctl(s.fd, SIOCSIFMTU, &ifr) < 0) throw TapError(err("SIOCSIFMTU " + name_));
    }
    set_name(ifr, name_);
    if (::ioctl(s.fd, SIOCGIFFLAGS, &ifr) < 0) throw TapError(err("SIOCGIFFLAGS " + name_));
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    if (::ioctl(s.fd, SIOCSIFFLAGS, &ifr) < 0) throw TapError(err("SIOCSIFFLAGS " + name_));
}

void Tap::add_ipv6(const Ipv6Prefix& address) {
    // The link has two ends and the address is configured: no duplicate address detection,
    // so the address is not "tentative" for a second after the link comes up.
    {
        std::ofstream dad("/proc/sys/net/ipv6/conf/" + name_ + "/accept_dad");
        if (dad) dad << "0\n";
    }
    const int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw TapError(err("socket(AF_INET6) (is IPv6 disabled in this kernel?)"));
    ifreq ifr{};
    set_name(ifr, name_);
    if (::ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
        const std::string e = err("SIOCGIFINDEX " + name_);
        ::close(fd);
        throw TapError(e);
    }
    struct {  // struct in6_ifreq (linux/ipv6.h)
        in6_addr addr;
        std::uint32_t prefixlen;
        int ifindex;
    } req{};
    std::memcpy(&req.addr, address.address.data(), 16);
    req.prefixlen = address.prefix;
    req.ifindex = ifr.ifr_ifindex;
    if (::ioctl(fd, SIOCSIFADDR, &req) < 0 && errno != EEXIST) {
        std::string e = err("SIOCSIFADDR " + address.to_string() + " on " + name_);
        if (errno == EACCES) e += " (IPv6 is disabled on the interface: net.ipv6.conf.*.disable_ipv6)";
        ::close(fd);
        throw TapError(e);
    }
    ::close(fd);
}

}  // namespace dmsc::gateway
