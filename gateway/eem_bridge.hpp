// gateway/eem_bridge.hpp — moves Ethernet frames between a TAP interface and a UICC's CDC EEM
// "USB pipe" (the bulk IN / bulk OUT pair). TAP frames go out as EEM data packets; EEM packets
// coming in are decoded by eem::Decoder (packets may span or share transfers): data packets
// are written to the TAP, Echo is answered with Echo Response, the hints and Tickle are
// counted. The pipe is an interface: a real USB bulk pair (libusb) or a stream socket that
// carries the bulk bytes (the simulated USB UICC, tools and tests). docs/usb.md.
#pragma once

// GCC 12 at -O2 sees a "potential null pointer dereference" inside Asio's own scheduler.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "eem/eem.hpp"

namespace dmsc::gateway {

// The bulk pair of an EEM interface. read callbacks receive each IN transfer's bytes; write()
// queues one OUT transfer. `closed` is called once when the pipe fails or is unplugged.
class UsbPipe {
public:
    struct Callbacks {
        std::function<void(eem::ByteView)> received;
        std::function<void(const std::string& why)> closed;
    };
    virtual ~UsbPipe() = default;
    virtual void start(Callbacks callbacks) = 0;
    virtual void write(eem::Bytes transfer) = 0;
    // Bytes written but not yet taken by the card (queued OUT transfers, the one in flight too).
    virtual std::size_t queued_bytes() const = 0;
    virtual void close() = 0;
    virtual std::string describe() const = 0;
};

// A connected unix stream socket carrying the bulk bytes (both directions).
std::unique_ptr<UsbPipe> make_socket_pipe(boost::asio::local::stream_protocol::socket socket,
                                          std::string description);

struct EemCounters {
    std::uint64_t frames_out = 0;  // TAP -> card (data packets sent)
    std::uint64_t frames_in = 0;   // card -> TAP
    std::uint64_t bytes_out = 0;   // Ethernet bytes
    std::uint64_t bytes_in = 0;
    std::uint64_t zero_length = 0;
    std::uint64_t crc_frames_in = 0;                    // data packets with a real CRC
    std::uint64_t errors_in = 0;                        // bad CRC, bad length, reserved command
    std::uint64_t tap_drops = 0;                        // frames the TAP would not take
    std::uint64_t oversize_drops = 0;                   // TAP frames too long for EEM
    std::uint64_t out_queue_drops = 0;                  // packets to the card dropped: OUT queue full
    std::map<std::string, std::uint64_t> commands_in;   // by name
    std::map<std::string, std::uint64_t> commands_out;  // by name
    std::string last_error;
};

nlohmann::json counters_json(const EemCounters& counters);

struct EemBridgeOptions {
    bool send_crc = true;  // real CRC-32 on outgoing data packets (else the sentinel)
    std::size_t max_frame = 1518;
    // The most bytes queued towards the card (bulk OUT) while it does not take them: a TAP frame
    // or an Echo Response beyond it is dropped and counted (out_queue_drops), as a full NIC
    // queue drops; the card's own Echo flood can never grow the daemon's memory.
    std::size_t max_out_queue = 256 * 1024;
    std::function<void(const std::string&)> log;  // notable events (errors, commands)
};

class EemBridge {
public:
    // Takes ownership of `tap_fd` (a non-blocking TAP fd) and the pipe; call start().
    EemBridge(boost::asio::io_context& io, int tap_fd, std::unique_ptr<UsbPipe> pipe,
              EemBridgeOptions options);
    ~EemBridge();
    EemBridge(const EemBridge&) = delete;
    EemBridge& operator=(const EemBridge&) = delete;

    // `closed` runs once when the pipe goes away (the bridge stops moving frames).
    void start(std::function<void(const std::string&)> closed);
    void stop();
    // Sends an EEM command (Echo carries `data`); false if refused by the encoder.
    bool send_command(eem::Command command, std::uint16_t param, eem::ByteView data = {});
    const EemCounters& counters() const { return counters_; }
    std::size_t queued_out_bytes() const { return pipe_ ? pipe_->queued_bytes() : 0; }
    bool running() const { return running_; }

private:
    void read_tap();
    void on_received(eem::ByteView bytes);
    void on_closed(const std::string& why);
    // Hands one packet to the pipe, or drops it (counted) when the OUT queue is full.
    bool send_out(eem::Bytes out);

    boost::asio::posix::stream_descriptor tap_;
    std::unique_ptr<UsbPipe> pipe_;
    EemBridgeOptions options_;
    eem::Decoder decoder_;
    std::array<std::uint8_t, 65536> tap_buffer_{};
    EemCounters counters_;
    std::function<void(const std::string&)> closed_;
    bool running_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace dmsc::gateway
