// tests/eem/test_dhcp.cpp — the link's DHCPv4 codec and one-address server (eem/dhcp.hpp)
// against packets built here byte by byte from the RFC 2131 section 2 field layout (op, htype,
// hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr[16], sname[64],
// file[128], magic cookie 99.130.83.99, options) and the RFC 2132 option formats.
#include <doctest/doctest.h>

#include <string>

#include "eem/dhcp.hpp"

using namespace dmsc::eem::dhcp;

namespace {

constexpr std::uint32_t kServer = 0xC0A8D401;  // 192.168.212.1
constexpr std::uint32_t kCard = 0xC0A8D402;    // 192.168.212.2
const std::uint8_t kMac[6] = {0x02, 0x00, 0x5E, 0x10, 0x20, 0x30};

// A BOOTREQUEST written field by field; `options` are the bytes after the cookie.
Bytes request(std::uint32_t xid, std::uint16_t flags, std::uint32_t ciaddr, const Bytes& options,
              const std::uint8_t* mac = kMac) {
    Bytes p;
    p.push_back(1);  // op BOOTREQUEST
    p.push_back(1);  // htype Ethernet
    p.push_back(6);  // hlen
    p.push_back(0);  // hops
    for (int s = 24; s >= 0; s -= 8) p.push_back(static_cast<std::uint8_t>(xid >> s));
    p.push_back(0x00);  // secs
    p.push_back(0x03);
    p.push_back(static_cast<std::uint8_t>(flags >> 8));
    p.push_back(static_cast<std::uint8_t>(flags));
    for (int s = 24; s >= 0; s -= 8) p.push_back(static_cast<std::uint8_t>(ciaddr >> s));
    p.insert(p.end(), 12, 0);  // yiaddr, siaddr, giaddr
    p.insert(p.end(), mac, mac + 6);
    p.insert(p.end(), 10, 0);   // rest of chaddr
    p.insert(p.end(), 64, 0);   // sname
    p.insert(p.end(), 128, 0);  // file
    p.insert(p.end(), {0x63, 0x82, 0x53, 0x63});
    p.insert(p.end(), options.begin(), options.end());
    return p;
}

Bytes discover_options() {
    return {53, 1, 1,                                        // DISCOVER
            61, 7, 1,   0x02, 0x00, 0x5E, 0x10, 0x20, 0x30,  // client id: type 1 + MAC
            12, 4, 'u', 'i',  'c',  'c',                     // host name
            55, 4, 1,   3,    6,    12,                      // parameter request list
            255};
}

ServerConfig config() {
    ServerConfig c;
    c.server_address = kServer;
    c.client_address = kCard;
    c.netmask = 0xFFFFFFFC;
    c.lease_seconds = 3600;
    return c;
}

Bytes opt_bytes(const Message& m, std::uint8_t code) {
    const Option* o = m.find(code);
    return o ? o->data : Bytes{0xEE, 0xEE};
}

}  // namespace

TEST_CASE("decode: a DISCOVER field by field") {
    const auto r = decode(request(0x3903F326, 0x8000, 0, discover_options()));
    REQUIRE(r.message);
    const Message& m = *r.message;
    CHECK(m.op == Op::BootRequest);
    CHECK(m.xid == 0x3903F326U);
    CHECK(m.secs == 3);
    CHECK(m.broadcast());
    CHECK(m.type() == MessageType::Discover);
    CHECK(m.hardware_address() == "02:00:5e:10:20:30");
    CHECK(opt_bytes(m, opt::HostName) == Bytes{'u', 'i', 'c', 'c'});
    CHECK(opt_bytes(m, opt::ParameterList) == Bytes{1, 3, 6, 12});
    CHECK(m.options.size() == 4);
}

TEST_CASE("encode: fixed layout, cookie, options, end, padding to 300 bytes; round trip") {
    Message m;
    m.op = Op::BootReply;
    m.xid = 0x01020304;
    m.flags = 0x8000;
    m.yiaddr = kCard;
    m.chaddr[0] = 0x02;
    m.set(opt::MessageType, {2});
    m.set_address(opt::ServerId, kServer);
    const Bytes e = encode(m);
    REQUIRE(e.size() == 300);
    CHECK(e[0] == 2);
    CHECK(e[1] == 1);
    CHECK(e[2] == 6);
    CHECK(Bytes(e.begin() + 4, e.begin() + 8) == Bytes{1, 2, 3, 4});
    CHECK(e[10] == 0x80);
    CHECK(Bytes(e.begin() + 16, e.begin() + 20) == Bytes{192, 168, 212, 2});  // yiaddr
    CHECK(e[28] == 0x02);                                                     // chaddr
    CHECK(Bytes(e.begin() + 236, e.begin() + 240) == Bytes{0x63, 0x82, 0x53, 0x63});
    CHECK(Bytes(e.begin() + 240, e.begin() + 250) == Bytes{53, 1, 2, 54, 4, 192, 168, 212, 1, 255});
    CHECK(e[250] == 0);
    const auto back = decode(e);
    REQUIRE(back.message);
    CHECK(*back.message == m);
}

TEST_CASE("RFC 3396: a long option is split into 255-byte instances and joined again") {
    Message m;
    Bytes big(300);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i);
    m.set(77, big);
    const Bytes e = encode(m);
    CHECK(e[240] == 77);
    CHECK(e[241] == 255);
    CHECK(e[240 + 2 + 255] == 77);
    CHECK(e[240 + 2 + 255 + 1] == 45);
    const auto back = decode(e);
    REQUIRE(back.message);
    CHECK(opt_bytes(*back.message, 77) == big);
}

TEST_CASE("option overload (52): options in file and sname") {
    Bytes p = request(7, 0, 0, {52, 1, 3, 53, 1, 1, 255});
    // file (offset 108): host name option then end; sname (offset 44): client id then end
    const Bytes file_opts = {12, 2, 'h', 'i', 255};
    const Bytes sname_opts = {61, 2, 0, 9, 255};
    std::copy(file_opts.begin(), file_opts.end(), p.begin() + 108);
    std::copy(sname_opts.begin(), sname_opts.end(), p.begin() + 44);
    const auto r = decode(p);
    REQUIRE(r.message);
    CHECK(opt_bytes(*r.message, opt::HostName) == Bytes{'h', 'i'});
    CHECK(opt_bytes(*r.message, opt::ClientId) == Bytes{0, 9});
    CHECK(r.message->file[0] == 0);
}

TEST_CASE("malformed packets: precise errors, never a crash") {
    CHECK(decode(Bytes(239, 0)).error ==
          "DHCP message is 239 bytes; at least 240 expected (236 bytes of fixed fields + the 4-byte magic "
          "cookie)");
    Bytes p = request(1, 0, 0, {53, 1, 1, 255});
    p[0] = 3;
    CHECK(decode(p).error == "byte 0 (op) = 3: 1 (BOOTREQUEST) or 2 (BOOTREPLY) expected");
    p = request(1, 0, 0, {53, 1, 1, 255});
    p[2] = 17;
    CHECK(decode(p).error == "byte 2 (hlen) = 17: chaddr holds at most 16 bytes");
    p = request(1, 0, 0, {53, 1, 1, 255});
    p[239] = 0x64;
    CHECK(decode(p).error == "bytes 236-239 (magic cookie) = 63 82 53 64: 63 82 53 63 expected");
    CHECK(decode(request(1, 0, 0, {53, 1, 1})).error ==
          "the options field ends without the end option (255)");
    CHECK(
        decode(request(1, 0, 0, {53, 1, 1, 12, 9, 'a'})).error ==
        "option 12 (host name) at byte 243: length 9 runs past the end of the options field (1 bytes left)");
    CHECK(decode(request(1, 0, 0, {53, 1, 1, 0, 0, 12})).error ==
          "option 12 (host name) at byte 245: the options field ends before its length byte");
    CHECK(decode(request(1, 0, 0, {53, 2, 1, 1, 255})).error ==
          "option 53 (message type) has length 2; 1 expected");
    CHECK(decode(request(1, 0, 0, {53, 1, 9, 255})).error ==
          "option 53 (message type) = 9: 1 (DISCOVER) .. 8 (INFORM)");
    CHECK(decode(request(1, 0, 0, {53, 1, 3, 50, 3, 1, 2, 3, 255})).error ==
          "option 50 (requested address) has length 3; 4 expected");
    CHECK(decode(request(1, 0, 0, {53, 1, 1, 61, 1, 1, 255})).error ==
          "option 61 (client identifier) has length 1; at least 2 expected (type + identifier)");
    CHECK(decode(request(1, 0, 0, {52, 1, 4, 255})).error ==
          "option 52 (option overload) at byte 240: length 1 and a value of 1 (file), 2 (sname) or 3 (both) "
          "expected");
    // overload of file whose options never end
    p = request(1, 0, 0, {52, 1, 1, 53, 1, 1, 255});
    std::fill(p.begin() + 108, p.begin() + 236, 0);
    CHECK(decode(p).error == "the file field ends without the end option (255)");
}

TEST_CASE("server: DISCOVER -> OFFER, REQUEST (selecting) -> ACK, broadcast as asked") {
    Server s(config());
    Reply r = s.handle(request(0x11, 0x8000, 0, discover_options()), 100);
    REQUIRE(r.message);
    CHECK(r.to == Destination::Broadcast);
    const Message& offer = *r.message;
    CHECK(offer.op == Op::BootReply);
    CHECK(offer.xid == 0x11U);
    CHECK(offer.type() == MessageType::Offer);
    CHECK(offer.yiaddr == kCard);
    CHECK(offer.address_option(opt::ServerId) == kServer);
    CHECK(offer.address_option(opt::SubnetMask) == 0xFFFFFFFCU);
    CHECK(opt_bytes(offer, opt::LeaseTime) == Bytes{0, 0, 0x0E, 0x10});
    CHECK(offer.find(opt::Router) == nullptr);  // none by default: the link leads nowhere
    CHECK(opt_bytes(offer, opt::ClientId) == Bytes{1, 0x02, 0x00, 0x5E, 0x10, 0x20, 0x30});
    CHECK(s.lease(100).state == LeaseState::Offered);

    const Bytes req = {53,  1, 3,  61, 7,   1,   0x02, 0x00, 0x5E, 0x10, 0x20, 0x30, 50,  4,   192, 168,
                       212, 2, 54, 4,  192, 168, 212,  1,    12,   4,    'u',  'i',  'c', 'c', 255};
    r = s.handle(request(0x12, 0, 0, req), 101);
    REQUIRE(r.message);
    CHECK(r.message->type() == MessageType::Ack);
    CHECK(r.message->yiaddr == kCard);
    CHECK(r.to == Destination::HardwareUnicast);  // broadcast bit clear, no ciaddr
    CHECK(r.address == kCard);
    const LeaseInfo l = s.lease(101);
    CHECK(l.state == LeaseState::Bound);
    CHECK(l.host_name == "uicc");
    CHECK(l.hardware_address == "02:00:5e:10:20:30");
    CHECK(l.expires == 101 + 3600);
    CHECK(s.counters().acks == 1);
    // The lease runs out when nobody renews it.
    CHECK(s.lease(101 + 3600).state == LeaseState::Free);
}

TEST_CASE("server: RENEWING is unicast to ciaddr; a wrong address is NAKed (broadcast)") {
    Server s(config());
    s.handle(request(1, 0, 0, {53, 1, 3, 50, 4, 192, 168, 212, 2, 255}), 0);  // INIT-REBOOT
    CHECK(s.lease(0).state == LeaseState::Bound);
    Reply r = s.handle(request(2, 0, kCard, {53, 1, 3, 255}), 10);
    REQUIRE(r.message);
    CHECK(r.message->type() == MessageType::Ack);
    CHECK(r.to == Destination::Unicast);
    CHECK(r.address == kCard);
    CHECK(r.message->ciaddr == kCard);

    r = s.handle(request(3, 0, 0, {53, 1, 3, 50, 4, 10, 0, 0, 9, 255}), 11);
    REQUIRE(r.message);
    CHECK(r.message->type() == MessageType::Nak);
    CHECK(r.to == Destination::Broadcast);
    CHECK(r.message->yiaddr == 0U);
    const Bytes note = opt_bytes(*r.message, opt::Message);
    const std::string text(note.begin(), note.end());
    CHECK(text == "requested 10.0.0.9; this link's only address is 192.168.212.2");
    CHECK(s.handle(request(4, 0, 0, {53, 1, 3, 255}), 12).message->type() == MessageType::Nak);
}

TEST_CASE("server: one address — a second client gets nothing while the first holds it") {
    Server s(config());
    s.handle(request(1, 0, 0, {53, 1, 3, 50, 4, 192, 168, 212, 2, 255}), 0);
    const std::uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x99};
    Reply r = s.handle(request(5, 0, 0, {53, 1, 1, 255}, other), 1);
    CHECK(!r.message);
    CHECK(r.note ==
          "ignored: DISCOVER from 02:00:00:00:00:99: the link's only address 192.168.212.2 is bound to "
          "02:00:5e:10:20:30");
    r = s.handle(request(6, 0, 0, {53, 1, 3, 50, 4, 192, 168, 212, 2, 255}, other), 2);
    CHECK(r.message->type() == MessageType::Nak);
    s.reset();  // the card was replugged
    CHECK(s.handle(request(7, 0, 0, {53, 1, 1, 255}, other), 3).message->type() == MessageType::Offer);
}

TEST_CASE("server: selecting another server, RELEASE, DECLINE, INFORM, server messages, BOOTP") {
    Server s(config());
    s.handle(request(1, 0, 0, {53, 1, 1, 255}), 0);
    Reply r = s.handle(request(2, 0, 0, {53, 1, 3, 54, 4, 10, 9, 9, 9, 50, 4, 192, 168, 212, 2, 255}), 1);
    CHECK(!r.message);
    CHECK(r.note == "ignored: REQUEST from 02:00:5e:10:20:30 chose server 10.9.9.9");
    CHECK(s.lease(1).state == LeaseState::Free);

    s.handle(request(3, 0, 0, {53, 1, 3, 50, 4, 192, 168, 212, 2, 255}), 2);
    r = s.handle(request(4, 0, kCard, {53, 1, 7, 54, 4, 192, 168, 212, 1, 255}), 3);
    CHECK(!r.message);
    CHECK(s.lease(3).state == LeaseState::Free);
    CHECK(s.counters().releases == 1);

    r = s.handle(request(5, 0, 0, {53, 1, 4, 50, 4, 192, 168, 212, 2, 54, 4, 192, 168, 212, 1, 255}), 4);
    CHECK(!r.message);
    CHECK(s.lease(4).state == LeaseState::Held);
    CHECK(s.last_error() == "02:00:5e:10:20:30 declined 192.168.212.2 (in use on the link?)");
    CHECK(!s.handle(request(6, 0x8000, 0, {53, 1, 1, 255}), 5).message);  // held back
    CHECK(s.handle(request(7, 0x8000, 0, {53, 1, 1, 255}), 14).message->type() == MessageType::Offer);

    r = s.handle(request(8, 0, kCard, {53, 1, 8, 255}), 20);
    REQUIRE(r.message);
    CHECK(r.message->type() == MessageType::Ack);
    CHECK(r.message->yiaddr == 0U);
    CHECK(r.message->find(opt::LeaseTime) == nullptr);
    CHECK(r.to == Destination::Unicast);

    CHECK(s.handle(request(9, 0, 0, {53, 1, 2, 255}), 21).note ==
          "ignored: a server's OFFER sent as a request");
    CHECK(s.handle(request(9, 0, 0, {255}), 21).note ==
          "ignored: no DHCP message type (option 53): plain BOOTP is not served");
    Bytes relayed = request(9, 0, 0, {53, 1, 1, 255});
    relayed[24] = 10;
    CHECK(s.handle(relayed, 21).note ==
          "ignored: relayed through 10.0.0.0: the EEM link is point-to-point, relays are not served");
    const auto before = s.counters().malformed;
    CHECK(s.handle(Bytes{1, 2, 3}, 22).note.rfind("malformed: DHCP message is 3 bytes", 0) == 0);
    CHECK(s.counters().malformed == before + 1);
}

TEST_CASE("server: options router and DNS when configured") {
    ServerConfig c = config();
    c.router = kServer;
    c.dns = {kServer, 0x08080808};
    Server s(c);
    const Reply r = s.handle(request(1, 0x8000, 0, {53, 1, 1, 255}), 0);
    REQUIRE(r.message);
    CHECK(r.message->address_option(opt::Router) == kServer);
    CHECK(opt_bytes(*r.message, opt::DnsServers) == Bytes{192, 168, 212, 1, 8, 8, 8, 8});
}
