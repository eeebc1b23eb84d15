// gateway/usb_probe.hpp — the start-up look for a USB UICC (card.link = "auto"): one libusb
// enumeration of the devices matching card.usb, each walked for a smart-card interface the ICCD
// link can drive; the result feeds choose_link() (gateway/link_select.hpp).
#pragma once

#include "gateway/config.hpp"
#include "gateway/link_select.hpp"

namespace dmsc::gateway {

// What this build and the USB bus offer now (no device is opened or claimed).
LinkPresence probe_links(const CardConfig& card);
// probe_links + choose_link for config.card.link.
LinkChoice resolve_card_link(const Config& config);

}  // namespace dmsc::gateway
