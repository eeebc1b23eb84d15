// gateway/libusb_asio.hpp — libusb-1.0 inside the daemon's Asio loop, shared by the ICCD card
// link (iccd_link.cpp) and the EEM USB pipe (eem_usb_pipe.cpp): LibusbLoop watches libusb's
// pollfds as stream_descriptors and its timeouts with an Asio timer (no thread, no polling
// loop); the device helpers walk a device's interfaces and open and claim one. docs/usb.md.
#pragma once

// GCC 12 at -O2 sees a "potential null pointer dereference" inside Asio's own scheduler.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/iccd_proto.hpp"

struct libusb_context;
struct libusb_device;
struct libusb_device_handle;

namespace dmsc::gateway {

// libusb's event handling on an io_context. Owns the libusb_context.
class LibusbLoop {
public:
    explicit LibusbLoop(boost::asio::io_context& io);  // throws std::runtime_error
    ~LibusbLoop();
    LibusbLoop(const LibusbLoop&) = delete;
    LibusbLoop& operator=(const LibusbLoop&) = delete;
    libusb_context* context() const;
    // Runs libusb's completed events now (zero timeout), then re-arms the timer.
    void handle_events();
    // handle_events() on the next turn of the loop (outside any libusb callback we may be in),
    // e.g. after a submit, so libusb's timeout for the new transfer is on the Asio timer. Does
    // nothing once this loop is gone.
    void post_handle_events();
    // Lets cancelled transfers complete synchronously: handles libusb events, 10 ms at a time
    // and for 1 s at the most, while `pending()` holds (before releasing an interface).
    void drain(const std::function<bool()>& pending);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// libusb_error_name and the code: "LIBUSB_ERROR_ACCESS (-3)".
std::string usb_error(int code);

// Who a device is: its descriptor's IDs and where it sits on the bus.
struct UsbDeviceId {
    std::uint16_t vendor = 0, product = 0;
    std::uint8_t bus = 0, address = 0;
    bool matches(const iccd::DeviceSelector& s) const { return s.matches(vendor, product, bus, address); }
    std::string where() const;  // "VVVV:PPPP at BBB:AAA"
};
std::optional<UsbDeviceId> usb_device_id(libusb_device* dev);

// Every interface (each alternate setting) of the device's active configuration, with its
// endpoints; nullopt when the configuration cannot be read.
std::optional<std::vector<iccd::InterfaceInfo>> usb_interfaces(libusb_device* dev);

// Opens the device and claims interface `number` (kernel driver auto-detach; where that is
// refused, the driver detached explicitly), then selects `alternate` when it is not 0.
struct UsbClaim {
    libusb_device_handle* handle = nullptr;  // set on success
    enum class Failed { Nothing, Open, Claim } failed = Failed::Nothing;
    int error = 0;  // the libusb error code of the failed step
};
UsbClaim open_and_claim(libusb_device* dev, std::uint8_t number, std::uint8_t alternate);

}  // namespace dmsc::gateway
