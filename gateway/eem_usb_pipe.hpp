// gateway/eem_usb_pipe.hpp — the real "USB pipe" of the EEM bridge: the bulk IN / bulk OUT
// pair of a USB UICC's CDC EEM interface (class 02, subclass 0C, protocol 07) through libusb,
// on the io_context (LibusbLoop). The interface is claimed with kernel-driver auto-detach, so
// a bound cdc_eem (which would make its own usbN interface) is set aside while the gateway
// holds it and re-attached when it lets go. docs/usb.md.
#pragma once

#include <memory>
#include <string>

#include "gateway/eem_bridge.hpp"

namespace dmsc::gateway {

class LibusbLoop;

// Finds the first device matching `selector` ("VID:PID", "BUS:ADDR" or "") with an EEM
// interface, opens and claims it. nullptr and `why` when there is none or it cannot be used.
std::unique_ptr<UsbPipe> open_usb_eem_pipe(boost::asio::io_context& io, LibusbLoop& loop,
                                           const std::string& selector, std::string& why);

}  // namespace dmsc::gateway
