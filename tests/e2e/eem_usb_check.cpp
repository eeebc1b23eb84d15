// tests/e2e/eem_usb_check.cpp — the libusb EEM pipe (gateway/eem_usb_pipe.cpp, real libusb
// code) under umockdev-run against an emulated USB UICC with a CDC EEM interface
// (tests/e2e/test_eem_umockdev.py): sends one EEM data packet (frame "dmsc" with a real CRC)
// on bulk OUT, then decodes what the device sends on bulk IN, printing one line per packet,
// until the zero-length packet that ends the script, the pipe closes, or 10 s pass.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <chrono>
#include <iostream>
#include <string>

#include "cat/bytes.hpp"
#include "eem/eem.hpp"
#include "gateway/eem_usb_pipe.hpp"
#include "gateway/iccd_link.hpp"

int main() {
    using namespace dmsc;
    boost::asio::io_context io;
    auto guard = boost::asio::make_work_guard(io);
    gateway::LibusbLoop loop(io);
    std::string why;
    auto pipe = gateway::open_usb_eem_pipe(io, loop, "", why);
    if (!pipe) {
        std::cout << "no pipe: " << why << std::endl;
        return 1;
    }
    std::cout << "pipe " << pipe->describe() << std::endl;
    eem::Decoder decoder;
    bool closed = false;
    const std::string frame = "dmsc";
    pipe->write(eem::encode_data(
        eem::ByteView(reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size()), true));
    // umockdev's usbdevfs replay allows one URB in flight (a second SUBMITURB before the
    // first is reaped aborts it): let the OUT transfer finish before reading starts.
    io.run_for(std::chrono::milliseconds(300));
    pipe->start({[&](eem::ByteView in) {
                     if (closed) return;  // umockdev starts the script over; one pass is the test
                     std::cout << "transfer " << in.size() << std::endl;
                     decoder.feed(in);
                     while (auto p = decoder.next()) {
                         if (auto* d = std::get_if<eem::DataPacket>(&*p))
                             std::cout << "data " << cat::to_hex(d->frame)
                                       << (d->has_crc ? " crc" : " sentinel") << std::endl;
                         else if (auto* c = std::get_if<eem::CommandPacket>(&*p))
                             std::cout << "command " << eem::name_of(c->command) << " "
                                       << cat::to_hex(c->data) << std::endl;
                         else if (std::holds_alternative<eem::ZeroLengthPacket>(*p)) {
                             std::cout << "zero-length" << std::endl;
                             closed = true;  // the end of the script (umockdev would replay it again)
                             return;         // not closed from inside libusb's callback: after the loop
                         } else
                             std::cout << "error " << std::get<eem::Error>(*p).what << std::endl;
                     }
                 },
                 [&](const std::string& w) {
                     std::cout << "closed " << w << std::endl;
                     closed = true;
                 }});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!closed && std::chrono::steady_clock::now() < deadline) io.run_one_until(deadline);
    pipe->close();
    return 0;
}
