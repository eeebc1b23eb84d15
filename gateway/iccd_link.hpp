// gateway/iccd_link.hpp — the USB ICCD card link (card.link = "iccd", libusb-1.0): drives a USB
// UICC's smart-card interface directly (CCID bulk, ICCD version A or B control transfers),
// without pcscd. libusb runs inside the daemon's Asio loop (LibusbLoop, libusb_asio.hpp: its
// pollfds are watched as stream_descriptors, its timeouts are an Asio timer; no thread, no
// polling loop).
// Hotplug: arrival of a matching device opens it, departure reports card_gone. docs/usb.md.
#pragma once

// GCC 12 at -O2 sees a "potential null pointer dereference" inside Asio's own scheduler.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <functional>
#include <memory>
#include <string>

#include "gateway/card_link.hpp"
#include "gateway/libusb_asio.hpp"  // LibusbLoop

namespace dmsc::gateway {

struct IccdOptions {
    std::string usb;  // card.usb: "VID:PID", "BUS:ADDR" or "" (the first smart card interface)
    std::function<void(const std::string&)> log;  // info lines (device found, interface kind)
};

std::unique_ptr<CardLink> make_iccd_link(boost::asio::io_context& io, IccdOptions options);

}  // namespace dmsc::gateway
