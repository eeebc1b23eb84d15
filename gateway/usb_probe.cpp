// gateway/usb_probe.cpp — USB UICC presence for card.link = "auto" (see usb_probe.hpp).
#include "gateway/usb_probe.hpp"

#include <cstdio>
#include <vector>

#include "dmsc_config.h"
#include "gateway/iccd_proto.hpp"
#if DMSC_HAVE_USB
#include "gateway/libusb_asio.hpp"
// libusb.h declares zero-sized arrays (a C idiom g++ -Wpedantic refuses).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#include <libusb.h>
#pragma GCC diagnostic pop
#endif

namespace dmsc::gateway {

LinkPresence probe_links(const CardConfig& card) {
    LinkPresence p;
    p.pcsc_built = card_link_built(LinkKind::Pcsc);
    p.iccd_built = card_link_built(LinkKind::Iccd);
#if DMSC_HAVE_USB
    std::string why;
    const auto selector = iccd::parse_device_selector(card.usb, why);
    if (!selector) {
        p.usb_note = "card.usb: " + why;
        return p;
    }
    libusb_context* ctx = nullptr;
    if (const int r = libusb_init(&ctx); r != 0) {
        p.usb_note = std::string("libusb_init: ") + libusb_error_name(r);
        return p;
    }
    libusb_device** list = nullptr;
    const ssize_t n = libusb_get_device_list(ctx, &list);
    if (n < 0) p.usb_note = std::string("libusb_get_device_list: ") + libusb_error_name(static_cast<int>(n));
    std::size_t matching = 0;
    for (ssize_t i = 0; i < n && !p.usb_uicc; ++i) {
        libusb_device* dev = list[i];
        libusb_device_descriptor dd{};
        if (libusb_get_device_descriptor(dev, &dd) != 0) continue;
        const auto bus = libusb_get_bus_number(dev), addr = libusb_get_device_address(dev);
        if (!selector->matches(dd.idVendor, dd.idProduct, bus, addr)) continue;
        ++matching;
        const auto ifs = usb_interfaces(dev);
        if (!ifs) continue;
        std::string not_card;
        if (const auto found = iccd::find_card_interface(*ifs, not_card)) {
            char where[80];
            std::snprintf(where, sizeof where, "%04x:%04x at %03u:%03u, %s%s", dd.idVendor, dd.idProduct, bus,
                          addr, iccd::name_of(found->kind), iccd::find_eem_interface(*ifs) ? " + EEM" : "");
            p.usb_uicc = where;
        }
    }
    if (n >= 0) libusb_free_device_list(list, 1);
    libusb_exit(ctx);
    if (!p.usb_uicc && p.usb_note.empty())
        p.usb_note = matching == 0
                         ? (card.usb.empty() ? std::string("no USB devices")
                                             : "no USB device matches card.usb \"" + card.usb + "\"")
                         : std::to_string(matching) +
                               " USB device(s), none with a smart-card interface the ICCD link can drive";
#else
    (void)card;
#endif
    return p;
}

LinkChoice resolve_card_link(const Config& config) {
    if (config.card.link != LinkKind::Auto) return choose_link(config.card.link, LinkPresence{});
    return choose_link(LinkKind::Auto, probe_links(config.card));
}

}  // namespace dmsc::gateway
