// gateway/link_select.hpp — card.link = "auto": which APDU interface to use when a UICC may be
// reachable both over the USB inter-chip interface (TS 102 600, the ICCD link) and over the
// ISO/IEC 7816 contacts (a PC/SC reader). The decision is a pure function of what is present
// (choose_link); the USB probe that feeds it is in gateway/usb_probe.cpp. docs/usb.md says which
// parts of this rule come from the specifications and which are this project's reading.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "gateway/config.hpp"

namespace dmsc::gateway {

// What the daemon found at start-up.
struct LinkPresence {
    bool pcsc_built = false;  // this dmsc-gatewayd has the PC/SC link
    bool iccd_built = false;  // ... and the ICCD link (libusb-1.0)
    // A USB device matching card.usb with a smart-card interface the ICCD link can drive
    // ("076b:3821 at 001:004, ccid"), or nullopt.
    std::optional<std::string> usb_uicc;
    std::string usb_note;  // why no USB UICC was found (no device, probe error), for the reason
};

struct LinkChoice {
    bool ok = false;
    LinkKind link = LinkKind::Pcsc;
    std::string reason;  // one line: why this link (or, when !ok, what to do)
};

// configured = card.link; Pcsc / Iccd / Sim are forced as they are; Auto picks the USB UICC's
// ICCD interface when one is present, else the ISO interface through PC/SC.
LinkChoice choose_link(LinkKind configured, const LinkPresence& presence);

// TS 102 221 clause 6.3.3 (table 6.7): the first TBi (i > 2) after T=15 in TD(i-1) of the ATR
// (the "global interface bytes"), or nullopt when the ATR has none (or is malformed).
std::optional<std::uint8_t> atr_global_tb(std::span<const std::uint8_t> atr);
// That byte with b8 and b7 set: "Inter-Chip USB UICC-Terminal interface supported" (TS 102 600).
bool atr_indicates_usb(std::span<const std::uint8_t> atr);

}  // namespace dmsc::gateway
