// gateway/eem_bridge.cpp — TAP <-> CDC EEM bridge and the socket USB pipe (see eem_bridge.hpp).
#include "gateway/eem_bridge.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace dmsc::gateway {

namespace {

class SocketPipe final : public UsbPipe {
public:
    SocketPipe(boost::asio::local::stream_protocol::socket socket, std::string description)
        : socket_(std::move(socket)), description_(std::move(description)) {}
    ~SocketPipe() override { close(); }

    void start(Callbacks callbacks) override {
        callbacks_ = std::move(callbacks);
        read();
    }
    void write(eem::Bytes transfer) override {
        if (!socket_.is_open()) return;
        queued_ += transfer.size();
        queue_.push_back(std::move(transfer));
        if (queue_.size() == 1) write_next();
    }
    std::size_t queued_bytes() const override { return queued_; }
    void close() override {
        boost::system::error_code ec;
        if (socket_.is_open()) socket_.close(ec);
        queue_.clear();
        queued_ = 0;
    }
    std::string describe() const override { return description_; }

private:
    void read() {
        socket_.async_read_some(boost::asio::buffer(buffer_), [this, alive = alive_](auto ec, std::size_t n) {
            if (!*alive) return;
            if (ec) {
                fail(ec == boost::asio::error::eof ? std::string("the other side closed the pipe")
                                                   : ec.message());
                return;
            }
            if (callbacks_.received) callbacks_.received(eem::ByteView(buffer_.data(), n));
            if (socket_.is_open()) read();
        });
    }
    void write_next() {
        boost::asio::async_write(socket_, boost::asio::buffer(queue_.front()),
                                 [this, alive = alive_](auto ec, std::size_t) {
                                     if (!*alive) return;
                                     if (ec) {
                                         fail(ec.message());
                                         return;
                                     }
                                     queued_ -= queue_.front().size();
                                     queue_.pop_front();
                                     if (!queue_.empty()) write_next();
                                 });
    }
    void fail(const std::string& why) {
        if (failed_) return;
        failed_ = true;
        close();
        if (callbacks_.closed) callbacks_.closed(why);
    }

    boost::asio::local::stream_protocol::socket socket_;
    std::string description_;
    Callbacks callbacks_;
    std::array<std::uint8_t, 16384> buffer_{};
    std::deque<eem::Bytes> queue_;
    std::size_t queued_ = 0;
    bool failed_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

public:
    SocketPipe(const SocketPipe&) = delete;
    SocketPipe& operator=(const SocketPipe&) = delete;
};

}  // namespace

std::unique_ptr<UsbPipe> make_socket_pipe(boost::asio::local::stream_protocol::socket socket,
                                          std::string description) {
    return std::make_unique<SocketPipe>(std::move(socket), std::move(description));
}

EemBridge::EemBridge(boost::asio::io_context& io, int tap_fd, std::unique_ptr<UsbPipe> pipe,
                     EemBridgeOptions options)
    : tap_(io, tap_fd), pipe_(std::move(pipe)), options_(std::move(options)), decoder_(options_.max_frame) {}

EemBridge::~EemBridge() {
    *alive_ = false;
    stop();
}

void EemBridge::start(std::function<void(const std::string&)> closed) {
    closed_ = std::move(closed);
    running_ = true;
    pipe_->start(
        {[this](eem::ByteView b) { on_received(b); }, [this](const std::string& why) { on_closed(why); }});
    read_tap();
}

void EemBridge::stop() {
    running_ = false;
    boost::system::error_code ec;
    if (tap_.is_open()) tap_.cancel(ec);
    if (pipe_) pipe_->close();
}

bool EemBridge::send_command(eem::Command command, std::uint16_t param, eem::ByteView data) {
    eem::Bytes out;
    if (!eem::append_command(out, command, param, data)) return false;
    if (!send_out(std::move(out))) return false;
    ++counters_.commands_out[eem::name_of(command)];
    return true;
}

bool EemBridge::send_out(eem::Bytes out) {
    if (pipe_->queued_bytes() + out.size() > options_.max_out_queue) {
        if (counters_.out_queue_drops++ == 0 && options_.log)
            options_.log(
                "the card does not take bulk OUT transfers: " + std::to_string(pipe_->queued_bytes()) +
                " bytes queued (max_out_queue); packets to it are dropped and counted (out_queue_drops)");
        return false;
    }
    pipe_->write(std::move(out));
    return true;
}

void EemBridge::read_tap() {
    tap_.async_read_some(boost::asio::buffer(tap_buffer_), [this, alive = alive_](auto ec, std::size_t n) {
        if (!*alive || !running_) return;
        if (ec) {
            if (ec == boost::asio::error::operation_aborted) return;
            counters_.last_error = "TAP read: " + ec.message();
            if (options_.log) options_.log(counters_.last_error);
            return;
        }
        const eem::ByteView frame(tap_buffer_.data(), n);
        eem::Bytes out;
        if (n > options_.max_frame || !eem::append_data(out, frame, options_.send_crc)) {
            ++counters_.oversize_drops;
        } else if (send_out(std::move(out))) {
            ++counters_.frames_out;
            counters_.bytes_out += n;
        }
        read_tap();
    });
}

void EemBridge::on_received(eem::ByteView bytes) {
    decoder_.feed(bytes);
    while (auto packet = decoder_.next()) {
        if (auto* d = std::get_if<eem::DataPacket>(&*packet)) {
            ++counters_.frames_in;
            counters_.bytes_in += d->frame.size();
            if (d->has_crc) ++counters_.crc_frames_in;
            // A TAP fd takes one whole frame per write(); a full queue drops it (as a NIC would).
            const auto w = ::write(tap_.native_handle(), d->frame.data(), d->frame.size());
            if (w != static_cast<ssize_t>(d->frame.size())) {
                ++counters_.tap_drops;
                if (w < 0) counters_.last_error = std::string("TAP write: ") + std::strerror(errno);
            }
        } else if (auto* c = std::get_if<eem::CommandPacket>(&*packet)) {
            ++counters_.commands_in[eem::name_of(c->command)];
            if (c->command == eem::Command::Echo) send_command(eem::Command::EchoResponse, 0, c->data);
        } else if (std::holds_alternative<eem::ZeroLengthPacket>(*packet)) {
            ++counters_.zero_length;
        } else if (auto* e = std::get_if<eem::Error>(&*packet)) {
            ++counters_.errors_in;
            counters_.last_error = e->what;
            if (options_.log) options_.log("EEM from the card: " + e->what);
        }
    }
}

void EemBridge::on_closed(const std::string& why) {
    if (!running_) return;
    running_ = false;
    boost::system::error_code ec;
    tap_.cancel(ec);
    decoder_.reset();
    if (closed_) closed_(why);
}

nlohmann::json counters_json(const EemCounters& c) {
    return {{"frames_out", c.frames_out},         {"frames_in", c.frames_in},
            {"bytes_out", c.bytes_out},           {"bytes_in", c.bytes_in},
            {"crc_frames_in", c.crc_frames_in},   {"zero_length_in", c.zero_length},
            {"errors_in", c.errors_in},           {"tap_drops", c.tap_drops},
            {"oversize_drops", c.oversize_drops}, {"out_queue_drops", c.out_queue_drops},
            {"commands_in", c.commands_in},       {"commands_out", c.commands_out},
            {"last_error", c.last_error}};
}

}  // namespace dmsc::gateway
