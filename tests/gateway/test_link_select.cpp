// tests/gateway/test_link_select.cpp — card.link = "auto" (gateway/link_select.hpp): the pure
// choice between the USB UICC's ICCD interface and the ISO interface through PC/SC, and the
// ATR's global interface byte (TS 102 221 table 6.7) read from ATRs built byte by byte.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "gateway/link_select.hpp"
#include "tests/gateway/sim_daemon.hpp"

using namespace dmsc::gateway;

namespace {
std::vector<std::uint8_t> b(std::initializer_list<int> v) {
    std::vector<std::uint8_t> out;
    for (int x : v) out.push_back(static_cast<std::uint8_t>(x));
    return out;
}
LinkPresence both_built() {
    LinkPresence p;
    p.pcsc_built = true;
    p.iccd_built = true;
    return p;
}
}  // namespace

TEST_CASE("choose_link: a configured link is kept, whatever is present") {
    LinkPresence p = both_built();
    p.usb_uicc = "076b:3821 at 001:004, ccid";
    for (LinkKind k : {LinkKind::Pcsc, LinkKind::Sim}) {
        const LinkChoice c = choose_link(k, p);
        CHECK(c.link == k);
        CHECK(c.reason == "card.link = \"" + std::string(name_of(k)) + "\" in the configuration");
    }
}

TEST_CASE("choose_link auto: the USB UICC's ICCD interface first, else PC/SC") {
    LinkPresence p = both_built();
    p.usb_uicc = "076b:3821 at 001:004, ccid + EEM";
    LinkChoice c = choose_link(LinkKind::Auto, p);
    CHECK(c.ok);
    CHECK(c.link == LinkKind::Iccd);
    CHECK(c.reason ==
          "auto: USB UICC 076b:3821 at 001:004, ccid + EEM present, its ICCD interface is used "
          "(inter-chip USB, TS 102 600, before the ISO contacts)");

    p.usb_uicc.reset();
    p.usb_note = "3 USB device(s), none with a smart-card interface the ICCD link can drive";
    c = choose_link(LinkKind::Auto, p);
    CHECK(c.ok);
    CHECK(c.link == LinkKind::Pcsc);
    CHECK(c.reason ==
          "auto: no USB UICC (3 USB device(s), none with a smart-card interface the ICCD link can "
          "drive); the ISO/IEC 7816 interface through PC/SC is used");
}

TEST_CASE("choose_link auto: what the build lacks") {
    LinkPresence p;
    p.pcsc_built = true;
    p.usb_uicc = "1234:5678 at 002:003, iccd-b";  // seen, but this build cannot drive it
    LinkChoice c = choose_link(LinkKind::Auto, p);
    CHECK(c.link == LinkKind::Pcsc);
    CHECK(c.reason ==
          "auto: this dmsc-gatewayd has no USB (libusb-1.0) support; the ISO/IEC 7816 interface "
          "through PC/SC is used");

    p = LinkPresence{};
    p.iccd_built = true;
    p.usb_note = "no USB devices";
    c = choose_link(LinkKind::Auto, p);
    CHECK(c.ok);
    CHECK(c.link == LinkKind::Iccd);
    CHECK(c.reason ==
          "auto: no USB UICC (no USB devices) and no PC/SC in this build; waiting for a USB UICC");

    c = choose_link(LinkKind::Auto, LinkPresence{});
    CHECK(!c.ok);
    CHECK(c.reason ==
          "auto: this dmsc-gatewayd has neither PC/SC nor USB; set card.link = \"sim\" or rebuild");
}

TEST_CASE("ATR global interface byte: first TBi (i > 2) after T=15") {
    // TS, T0 = 97 (TA1 TD1, 7 historical), TA1 95, TD1 80 (TD2, T=0), TD2 3F (TA3 TB3, T=15),
    // TA3 42 (clock stop, class B), TB3 C0: b8 b7 = inter-chip USB supported.
    const auto usb = b({0x3B, 0x97, 0x95, 0x80, 0x3F, 0x42, 0xC0, 0x80, 0x31, 0xA0, 0x73, 0xBE, 0x21, 0x15});
    CHECK(atr_global_tb(usb) == 0xC0);
    CHECK(atr_indicates_usb(usb));

    // The same without TB3 (TD2 1F: TA3 only), as many UICCs send it.
    const auto plain = b({0x3B, 0x97, 0x95, 0x80, 0x1F, 0x42, 0x80, 0x31, 0xA0, 0x73, 0xBE, 0x21, 0x15});
    CHECK(!atr_global_tb(plain));
    CHECK(!atr_indicates_usb(plain));

    // T0 DE (TA1 TC1 TD1), TD1 81 (T=1), TD2 F1 (TA3 TB3 TC3 TD3, T=1), TD3 3F (TA4 TB4, T=15):
    // TB4 83 = b8 set, b7 clear -> additional parameters but no USB.
    const auto t1 = b({0x3B, 0xDE, 0x18, 0xFF, 0x81, 0xF1, 0xFE, 0x43, 0x00, 0x3F, 0x07, 0x83, 0x44, 0x45});
    CHECK(atr_global_tb(t1) == 0x83);
    CHECK(!atr_indicates_usb(t1));

    // TB2 after T=15 in TD1 is not a global interface byte (i must be > 2).
    CHECK(!atr_global_tb(b({0x3B, 0x80, 0x2F, 0xC0})));
    // Truncated: TD2 promises TB3, the ATR ends.
    CHECK(!atr_global_tb(b({0x3B, 0x97, 0x95, 0x80, 0x3F, 0x42})));
    CHECK(!atr_global_tb(b({0x3B})));
}

TEST_CASE("Daemon status: interfaces.apdu says why this link and what the card's ATR offers") {
    // A simulated UICC whose ATR has TB3 = C0 after T=15: it says it also has the USB interface.
    test::SimDaemon sd(R"toml(
[card]
atr = "3B9795803F42C0803180A073BE2115"

[[step]]
on = "profile"
command = "more_time"
expect_result = "00"
)toml");
    sd.daemon->start();
    REQUIRE(test::step_until(sd.io(), [&] { return sd.completed(); }));
    const auto apdu = sd.daemon->status_json()["interfaces"]["apdu"];
    CHECK(apdu["link"] == "sim");
    CHECK(apdu["configured"] == "sim");
    CHECK(apdu["reason"] == "card.link = \"sim\" in the configuration");
    CHECK(apdu["state"] == "powered");
    CHECK(apdu["atr_global_tb"] == 0xC0);
    CHECK(apdu["atr_usb_interface"] == true);
    sd.daemon->stop();
}
