// gateway/link_select.cpp — card.link = "auto" decision and ATR global interface byte (see .hpp).
#include "gateway/link_select.hpp"

namespace dmsc::gateway {

LinkChoice choose_link(LinkKind configured, const LinkPresence& p) {
    LinkChoice c;
    if (configured != LinkKind::Auto) {
        c.link = configured;
        c.ok = card_link_built(configured);
        c.reason = "card.link = \"" + std::string(name_of(configured)) + "\" in the configuration" +
                   (c.ok ? std::string() : std::string(": not built into this dmsc-gatewayd"));
        return c;
    }
    if (p.usb_uicc && p.iccd_built) {
        c.ok = true;
        c.link = LinkKind::Iccd;
        c.reason =
            "auto: USB UICC " + *p.usb_uicc +
            " present, its ICCD interface is used (inter-chip USB, TS 102 600, before the ISO contacts)";
        return c;
    }
    const std::string why_not_usb =
        !p.iccd_built ? std::string("this dmsc-gatewayd has no USB (libusb-1.0) support")
                      : "no USB UICC" + (p.usb_note.empty() ? std::string() : " (" + p.usb_note + ")");
    if (p.pcsc_built) {
        c.ok = true;
        c.link = LinkKind::Pcsc;
        c.reason = "auto: " + why_not_usb + "; the ISO/IEC 7816 interface through PC/SC is used";
        return c;
    }
    if (p.iccd_built) {
        c.ok = true;
        c.link = LinkKind::Iccd;
        c.reason = "auto: " + why_not_usb + " and no PC/SC in this build; waiting for a USB UICC";
        return c;
    }
    c.reason = "auto: this dmsc-gatewayd has neither PC/SC nor USB; set card.link = \"sim\" or rebuild";
    return c;
}

std::optional<std::uint8_t> atr_global_tb(std::span<const std::uint8_t> atr) {
    if (atr.size() < 2) return std::nullopt;
    std::size_t at = 2;          // after TS and T0
    unsigned y = atr[1] >> 4;    // which of TA TB TC TD follow
    unsigned level = 1;          // i of the bytes being read
    unsigned previous_t = 0xFF;  // protocol in TD(i-1)
    while (true) {
        if (y & 0x1) ++at;  // TAi
        if (y & 0x2) {      // TBi
            if (at >= atr.size()) return std::nullopt;
            if (level > 2 && previous_t == 15) return atr[at];
            ++at;
        }
        if (y & 0x4) ++at;  // TCi
        if (!(y & 0x8)) return std::nullopt;
        if (at >= atr.size()) return std::nullopt;
        const std::uint8_t td = atr[at++];
        previous_t = td & 0x0F;
        y = td >> 4;
        ++level;
        if (level > 32) return std::nullopt;
    }
}

bool atr_indicates_usb(std::span<const std::uint8_t> atr) {
    const auto tb = atr_global_tb(atr);
    return tb && (*tb & 0xC0) == 0xC0;
}

}  // namespace dmsc::gateway
