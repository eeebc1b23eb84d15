// eem/dhcp.cpp — DHCPv4 codec and one-address server (see dhcp.hpp, RFC 2131 / 2132 / 3396).
#include "eem/dhcp.hpp"

#include <algorithm>

namespace dmsc::eem::dhcp {

namespace {

std::uint32_t be32(ByteView b, std::size_t at) {
    return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) |
           std::uint32_t{b[at + 3]};
}
std::uint16_t be16(ByteView b, std::size_t at) {
    return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
void put32(Bytes& out, std::uint32_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 24));
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}
void put16(Bytes& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}
Bytes u32_bytes(std::uint32_t v) {
    Bytes b;
    put32(b, v);
    return b;
}

const char* option_name(std::uint8_t code) {
    switch (code) {
        case opt::SubnetMask:
            return " (subnet mask)";
        case opt::Router:
            return " (router)";
        case opt::DnsServers:
            return " (DNS servers)";
        case opt::HostName:
            return " (host name)";
        case opt::RequestedAddress:
            return " (requested address)";
        case opt::LeaseTime:
            return " (lease time)";
        case opt::Overload:
            return " (option overload)";
        case opt::MessageType:
            return " (message type)";
        case opt::ServerId:
            return " (server identifier)";
        case opt::ParameterList:
            return " (parameter request list)";
        case opt::MaxMessageSize:
            return " (maximum message size)";
        case opt::ClientId:
            return " (client identifier)";
        default:
            return "";
    }
}

std::string opt_label(std::uint8_t code) {
    return "option " + std::to_string(code) + option_name(code);
}

void add_option(std::vector<Option>& options, std::uint8_t code, ByteView data) {
    for (auto& o : options)
        if (o.code == code) {  // RFC 3396: concatenate the instances
            o.data.insert(o.data.end(), data.begin(), data.end());
            return;
        }
    options.push_back({code, Bytes(data.begin(), data.end())});
}

// Parses one options area (the options field, or file / sname under option 52). `base` is its
// offset in the message (for error positions). `overload` receives option 52 (options field only).
std::string parse_area(ByteView area, std::size_t base, const char* field, bool main_field,
                       std::vector<Option>& options, std::uint8_t& overload) {
    std::size_t i = 0;
    while (i < area.size()) {
        const std::uint8_t code = area[i];
        if (code == opt::Pad) {
            ++i;
            continue;
        }
        if (code == opt::End) return {};
        const std::size_t at = base + i;
        if (i + 1 >= area.size())
            return opt_label(code) + " at byte " + std::to_string(at) + ": the " + field +
                   " field ends before its length byte";
        const std::size_t len = area[i + 1];
        if (i + 2 + len > area.size())
            return opt_label(code) + " at byte " + std::to_string(at) + ": length " + std::to_string(len) +
                   " runs past the end of the " + field + " field (" + std::to_string(area.size() - i - 2) +
                   " bytes left)";
        const ByteView data = area.subspan(i + 2, len);
        if (code == opt::Overload) {
            if (!main_field)
                return "option 52 (option overload) at byte " + std::to_string(at) + " inside the " + field +
                       " field: it may only appear in the options field";
            if (len != 1 || data[0] < 1 || data[0] > 3)
                return "option 52 (option overload) at byte " + std::to_string(at) +
                       ": length 1 and a value of 1 (file), 2 (sname) or 3 (both) expected";
            if (overload != 0)
                return "option 52 (option overload) appears twice (byte " + std::to_string(at) + ")";
            overload = data[0];
        } else {
            add_option(options, code, data);
        }
        i += 2 + len;
    }
    return std::string("the ") + field + " field ends without the end option (255)";
}

// Lengths the server relies on (after RFC 3396 concatenation).
std::string check_lengths(const std::vector<Option>& options) {
    for (const auto& o : options) {
        const std::size_t n = o.data.size();
        auto bad = [&](const std::string& want) {
            return opt_label(o.code) + " has length " + std::to_string(n) + "; " + want;
        };
        switch (o.code) {
            case opt::MessageType:
                if (n != 1) return bad("1 expected");
                if (o.data[0] < 1 || o.data[0] > 8)
                    return "option 53 (message type) = " + std::to_string(o.data[0]) +
                           ": 1 (DISCOVER) .. 8 (INFORM)";
                break;
            case opt::RequestedAddress:
            case opt::ServerId:
            case opt::LeaseTime:
            case opt::SubnetMask:
                if (n != 4) return bad("4 expected");
                break;
            case opt::Router:
            case opt::DnsServers:
                if (n == 0 || n % 4 != 0) return bad("a multiple of 4 expected");
                break;
            case opt::ClientId:
                if (n < 2) return bad("at least 2 expected (type + identifier)");
                break;
            case opt::HostName:
            case opt::ParameterList:
                if (n < 1) return bad("at least 1 expected");
                break;
            case opt::MaxMessageSize:
                if (n != 2) return bad("2 expected");
                break;
            default:
                break;
        }
    }
    return {};
}

}  // namespace

const char* name_of(MessageType t) {
    switch (t) {
        case MessageType::Discover:
            return "DISCOVER";
        case MessageType::Offer:
            return "OFFER";
        case MessageType::Request:
            return "REQUEST";
        case MessageType::Decline:
            return "DECLINE";
        case MessageType::Ack:
            return "ACK";
        case MessageType::Nak:
            return "NAK";
        case MessageType::Release:
            return "RELEASE";
        case MessageType::Inform:
            return "INFORM";
    }
    return "?";
}

const char* name_of(LeaseState s) {
    switch (s) {
        case LeaseState::Free:
            return "free";
        case LeaseState::Offered:
            return "offered";
        case LeaseState::Bound:
            return "bound";
        case LeaseState::Held:
            return "held";
    }
    return "?";
}

std::string address_text(std::uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xFF) + "." +
           std::to_string((a >> 8) & 0xFF) + "." + std::to_string(a & 0xFF);
}

const Option* Message::find(std::uint8_t code) const {
    for (const auto& o : options)
        if (o.code == code) return &o;
    return nullptr;
}

std::optional<MessageType> Message::type() const {
    const Option* o = find(opt::MessageType);
    if (!o || o->data.size() != 1 || o->data[0] < 1 || o->data[0] > 8) return std::nullopt;
    return static_cast<MessageType>(o->data[0]);
}

std::optional<std::uint32_t> Message::address_option(std::uint8_t code) const {
    const Option* o = find(code);
    if (!o || o->data.size() != 4) return std::nullopt;
    return be32(o->data, 0);
}

void Message::set(std::uint8_t code, Bytes data) {
    for (auto& o : options)
        if (o.code == code) {
            o.data = std::move(data);
            return;
        }
    options.push_back({code, std::move(data)});
}

void Message::set_address(std::uint8_t code, std::uint32_t address) {
    set(code, u32_bytes(address));
}

void Message::set_u32(std::uint8_t code, std::uint32_t value) {
    set(code, u32_bytes(value));
}

std::string Message::hardware_address() const {
    static const char* hex = "0123456789abcdef";
    std::string s;
    const std::size_t n = std::min<std::size_t>(hlen, chaddr.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (i) s += ':';
        s += hex[chaddr[i] >> 4];
        s += hex[chaddr[i] & 0xF];
    }
    return s;
}

DecodeResult decode(ByteView in) {
    DecodeResult r;
    if (in.size() < kFixedSize + 4) {
        r.error = "DHCP message is " + std::to_string(in.size()) +
                  " bytes; at least 240 expected (236 bytes of fixed fields + the 4-byte magic cookie)";
        return r;
    }
    Message m;
    if (in[0] != 1 && in[0] != 2) {
        r.error = "byte 0 (op) = " + std::to_string(in[0]) + ": 1 (BOOTREQUEST) or 2 (BOOTREPLY) expected";
        return r;
    }
    m.op = static_cast<Op>(in[0]);
    m.htype = in[1];
    m.hlen = in[2];
    if (m.hlen > 16) {
        r.error = "byte 2 (hlen) = " + std::to_string(m.hlen) + ": chaddr holds at most 16 bytes";
        return r;
    }
    m.hops = in[3];
    m.xid = be32(in, 4);
    m.secs = be16(in, 8);
    m.flags = be16(in, 10);
    m.ciaddr = be32(in, 12);
    m.yiaddr = be32(in, 16);
    m.siaddr = be32(in, 20);
    m.giaddr = be32(in, 24);
    std::copy_n(in.begin() + 28, 16, m.chaddr.begin());
    std::copy_n(in.begin() + 44, 64, m.sname.begin());
    std::copy_n(in.begin() + 108, 128, m.file.begin());
    if (be32(in, 236) != kMagicCookie) {
        static const char* hex = "0123456789ABCDEF";
        std::string got;
        for (std::size_t i = 236; i < 240; ++i) {
            if (i > 236) got += ' ';
            got += hex[in[i] >> 4];
            got += hex[in[i] & 0xF];
        }
        r.error = "bytes 236-239 (magic cookie) = " + got + ": 63 82 53 63 expected";
        return r;
    }
    std::uint8_t overload = 0;
    std::string e = parse_area(in.subspan(240), 240, "options", true, m.options, overload);
    if (e.empty() && (overload & 1)) {
        e = parse_area(ByteView(m.file), 108, "file", false, m.options, overload);
        m.file.fill(0);
    }
    if (e.empty() && (overload & 2)) {
        e = parse_area(ByteView(m.sname), 44, "sname", false, m.options, overload);
        m.sname.fill(0);
    }
    if (e.empty()) e = check_lengths(m.options);
    if (!e.empty()) {
        r.error = std::move(e);
        return r;
    }
    r.message = std::move(m);
    return r;
}

Bytes encode(const Message& m) {
    Bytes out;
    out.reserve(kMinReplySize);
    out.push_back(static_cast<std::uint8_t>(m.op));
    out.push_back(m.htype);
    out.push_back(m.hlen);
    out.push_back(m.hops);
    put32(out, m.xid);
    put16(out, m.secs);
    put16(out, m.flags);
    put32(out, m.ciaddr);
    put32(out, m.yiaddr);
    put32(out, m.siaddr);
    put32(out, m.giaddr);
    out.insert(out.end(), m.chaddr.begin(), m.chaddr.end());
    out.insert(out.end(), m.sname.begin(), m.sname.end());
    out.insert(out.end(), m.file.begin(), m.file.end());
    put32(out, kMagicCookie);
    for (const auto& o : m.options) {
        if (o.code == opt::Pad || o.code == opt::End || o.code == opt::Overload) continue;
        std::size_t at = 0;
        do {  // RFC 3396: longer than 255 bytes -> several instances; an empty option is one
            const std::size_t n = std::min<std::size_t>(255, o.data.size() - at);
            out.push_back(o.code);
            out.push_back(static_cast<std::uint8_t>(n));
            out.insert(out.end(), o.data.begin() + static_cast<std::ptrdiff_t>(at),
                       o.data.begin() + static_cast<std::ptrdiff_t>(at + n));
            at += n;
        } while (at < o.data.size());
    }
    out.push_back(opt::End);
    if (out.size() < kMinReplySize) out.resize(kMinReplySize, 0);
    return out;
}

// ---- server ----

Server::Server(ServerConfig config) : config_(std::move(config)) {}

void Server::reset() {
    lease_ = LeaseInfo{};
}

LeaseInfo Server::lease(std::uint64_t now) const {
    LeaseInfo l = lease_;
    if (l.state != LeaseState::Free && now >= l.expires) l = LeaseInfo{};
    return l;
}

Bytes Server::client_key(const Message& m) {
    if (const Option* id = m.find(opt::ClientId)) return id->data;
    Bytes key{m.htype};
    key.insert(key.end(), m.chaddr.begin(), m.chaddr.begin() + std::min<std::size_t>(m.hlen, 16));
    return key;
}

bool Server::held_by_other(const Bytes& key, std::uint64_t now) const {
    return (lease_.state == LeaseState::Offered || lease_.state == LeaseState::Bound) &&
           lease_.client != key && now < lease_.expires;
}

Reply Server::ignore(const std::string& why) {
    ++counters_.ignored;
    Reply r;
    r.note = "ignored: " + why;
    return r;
}

Reply Server::reply_to(const Message& req, MessageType type, std::uint32_t yiaddr,
                       const std::string& note) const {
    Message m;
    m.op = Op::BootReply;
    m.htype = req.htype;
    m.hlen = req.hlen;
    m.xid = req.xid;
    m.flags = req.flags;
    m.giaddr = req.giaddr;
    m.chaddr = req.chaddr;
    m.yiaddr = type == MessageType::Nak ? 0 : yiaddr;
    m.ciaddr = type == MessageType::Ack ? req.ciaddr : 0;
    m.set(opt::MessageType, {static_cast<std::uint8_t>(type)});
    m.set_address(opt::ServerId, config_.server_address);
    if (type == MessageType::Nak) {
        m.set(opt::Message, Bytes(note.begin(), note.end()));
    } else {
        const bool inform = req.type() == MessageType::Inform;
        if (!inform) {  // RFC 2131 4.3.5: no lease time in the ACK to an INFORM
            m.set_u32(opt::LeaseTime, config_.lease_seconds);
            m.set_u32(opt::RenewalTime, config_.lease_seconds / 2);
            m.set_u32(opt::RebindingTime,
                      static_cast<std::uint32_t>(std::uint64_t{config_.lease_seconds} * 7 / 8));
        }
        m.set_address(opt::SubnetMask, config_.netmask);
        if (config_.router) m.set_address(opt::Router, *config_.router);
        if (!config_.dns.empty()) {
            Bytes d;
            for (auto a : config_.dns) put32(d, a);
            m.set(opt::DnsServers, std::move(d));
        }
    }
    if (const Option* id = req.find(opt::ClientId)) m.set(opt::ClientId, id->data);  // RFC 6842
    Reply r;
    if (type == MessageType::Nak) {
        r.to = Destination::Broadcast;
    } else if (req.ciaddr != 0) {
        r.to = Destination::Unicast;
        r.address = req.ciaddr;
    } else if (req.broadcast() || yiaddr == 0) {
        r.to = Destination::Broadcast;
    } else {
        r.to = Destination::HardwareUnicast;
        r.address = yiaddr;
    }
    r.note = std::string(name_of(type)) + (m.yiaddr ? " " + address_text(m.yiaddr) : std::string()) + " to " +
             req.hardware_address() + (note.empty() ? std::string() : " (" + note + ")");
    r.message = std::move(m);
    return r;
}

Reply Server::handle(ByteView packet, std::uint64_t now) {
    DecodeResult d = decode(packet);
    if (!d.message) {
        ++counters_.received;
        ++counters_.malformed;
        last_error_ = d.error;
        Reply r;
        r.note = "malformed: " + d.error;
        return r;
    }
    return handle(*d.message, now);
}

Reply Server::handle(const Message& m, std::uint64_t now) {
    ++counters_.received;
    if (m.op != Op::BootRequest) return ignore("a BOOTREPLY (op 2): not for a server");
    const auto type = m.type();
    if (!type) return ignore("no DHCP message type (option 53): plain BOOTP is not served");
    if (m.htype != 1 || m.hlen != 6)
        return ignore("hardware type " + std::to_string(m.htype) + " length " + std::to_string(m.hlen) +
                      ": only Ethernet (1, 6) is served");
    if (m.giaddr != 0)
        return ignore("relayed through " + address_text(m.giaddr) +
                      ": the EEM link is point-to-point, relays are not served");
    if (lease_.state != LeaseState::Free && now >= lease_.expires) lease_ = LeaseInfo{};

    const Bytes key = client_key(m);
    const std::string hw = m.hardware_address();
    std::string host;
    if (const Option* h = m.find(opt::HostName)) host.assign(h->data.begin(), h->data.end());
    const std::string mine = address_text(config_.client_address);

    switch (*type) {
        case MessageType::Discover: {
            ++counters_.discovers;
            if (lease_.state == LeaseState::Held)
                return ignore("DISCOVER from " + hw + ": " + mine + " was declined, held back until " +
                              std::to_string(lease_.expires));
            if (held_by_other(key, now))
                return ignore("DISCOVER from " + hw + ": the link's only address " + mine + " is " +
                              name_of(lease_.state) + " to " + lease_.hardware_address);
            if (lease_.state != LeaseState::Bound) {
                lease_.state = LeaseState::Offered;
                lease_.expires = now + 60;
            }
            lease_.client = key;
            lease_.hardware_address = hw;
            lease_.host_name = host;
            ++counters_.offers;
            return reply_to(m, MessageType::Offer, config_.client_address, "");
        }
        case MessageType::Request: {
            ++counters_.requests;
            const auto sid = m.address_option(opt::ServerId);
            const auto requested = m.address_option(opt::RequestedAddress);
            std::uint32_t addr = 0;
            std::string state;
            if (sid) {
                state = "SELECTING";
                if (*sid != config_.server_address) {
                    if (lease_.state == LeaseState::Offered && lease_.client == key) lease_ = LeaseInfo{};
                    return ignore("REQUEST from " + hw + " chose server " + address_text(*sid));
                }
                if (!requested) {
                    ++counters_.naks;
                    return reply_to(m, MessageType::Nak, 0, "REQUEST without option 50 (requested address)");
                }
                addr = *requested;
            } else if (requested) {
                state = "INIT-REBOOT";
                addr = *requested;
            } else if (m.ciaddr != 0) {
                state = "RENEWING";
                addr = m.ciaddr;
            } else {
                ++counters_.naks;
                return reply_to(m, MessageType::Nak, 0, "REQUEST names no address (no option 50, ciaddr 0)");
            }
            if (addr != config_.client_address) {
                ++counters_.naks;
                return reply_to(m, MessageType::Nak, 0,
                                "requested " + address_text(addr) + "; this link's only address is " + mine);
            }
            if (lease_.state == LeaseState::Held || held_by_other(key, now)) {
                ++counters_.naks;
                return reply_to(m, MessageType::Nak, 0,
                                mine + " is " + name_of(lease_.state) + " to " + lease_.hardware_address);
            }
            lease_.state = LeaseState::Bound;
            lease_.client = key;
            lease_.hardware_address = hw;
            if (!host.empty() || state != "RENEWING") lease_.host_name = host;
            lease_.expires = now + config_.lease_seconds;
            ++counters_.acks;
            return reply_to(m, MessageType::Ack, addr, state);
        }
        case MessageType::Decline: {
            ++counters_.declines;
            const auto sid = m.address_option(opt::ServerId);
            const auto requested = m.address_option(opt::RequestedAddress);
            if (sid && *sid != config_.server_address)
                return ignore("DECLINE for server " + address_text(*sid));
            if (!requested || *requested != config_.client_address)
                return ignore("DECLINE from " + hw + " names no address of ours");
            lease_ = LeaseInfo{};
            lease_.state = LeaseState::Held;
            lease_.hardware_address = hw;
            lease_.expires = now + config_.decline_hold_seconds;
            last_error_ = hw + " declined " + mine + " (in use on the link?)";
            Reply r;
            r.note = "DECLINE: " + last_error_;
            return r;
        }
        case MessageType::Release: {
            ++counters_.releases;
            if (lease_.client != key || lease_.state == LeaseState::Free || lease_.state == LeaseState::Held)
                return ignore("RELEASE from " + hw + " for no lease of its own");
            lease_ = LeaseInfo{};
            Reply r;
            r.note = "RELEASE: " + hw + " gave back " + mine;
            return r;
        }
        case MessageType::Inform: {
            ++counters_.informs;
            ++counters_.acks;
            return reply_to(m, MessageType::Ack, 0, "INFORM");
        }
        case MessageType::Offer:
        case MessageType::Ack:
        case MessageType::Nak:
            break;
    }
    return ignore(std::string("a server's ") + name_of(*type) + " sent as a request");
}

}  // namespace dmsc::eem::dhcp
