// gateway/eem_usb_pipe.cpp — CDC EEM bulk endpoints through libusb (see eem_usb_pipe.hpp).
#include "gateway/eem_usb_pipe.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/post.hpp>
#pragma GCC diagnostic pop
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#include <libusb.h>
#pragma GCC diagnostic pop

#include <deque>

#include "gateway/iccd_proto.hpp"
#include "gateway/libusb_asio.hpp"

namespace dmsc::gateway {

namespace {

constexpr int kReadSize = 16384;  // one URB; EEM packets may span reads

class UsbEemPipe final : public UsbPipe {
public:
    UsbEemPipe(boost::asio::io_context& io, LibusbLoop& loop, libusb_device_handle* h, iccd::EemInterface e,
               std::string where)
        : io_(io), loop_(loop), handle_(h), eem_(e), where_(std::move(where)) {}
    ~UsbEemPipe() override { close(); }

    void start(Callbacks callbacks) override {
        callbacks_ = std::move(callbacks);
        read();
    }
    void write(eem::Bytes transfer) override {
        if (!handle_) return;
        queued_ += transfer.size();
        queue_.push_back(std::move(transfer));
        if (queue_.size() == 1) write_next();
    }
    std::size_t queued_bytes() const override { return queued_; }
    void close() override {
        *alive_ = false;
        if (!handle_) return;
        if (read_) libusb_cancel_transfer(read_);
        if (write_) libusb_cancel_transfer(write_);
        loop_.drain([this] { return read_ || write_; });
        libusb_release_interface(handle_, eem_.number);  // auto-detach re-attaches cdc_eem
        libusb_close(handle_);
        handle_ = nullptr;
        queue_.clear();
        queued_ = 0;
    }
    std::string describe() const override {
        return "usb " + where_ + " interface " + std::to_string(eem_.number);
    }

private:
    static void LIBUSB_CALL on_read(libusb_transfer* t) {
        auto* self = static_cast<UsbEemPipe*>(t->user_data);
        self->read_ = nullptr;
        const int st = t->status;
        if (*self->alive_) {
            if (st == LIBUSB_TRANSFER_COMPLETED) {
                if (self->callbacks_.received)
                    self->callbacks_.received(
                        eem::ByteView(t->buffer, static_cast<std::size_t>(t->actual_length)));
                if (self->handle_ && *self->alive_) self->read();
            } else if (st != LIBUSB_TRANSFER_CANCELLED) {
                self->fail(st == LIBUSB_TRANSFER_NO_DEVICE ? "USB UICC unplugged"
                                                           : "bulk IN status " + std::to_string(st));
            }
        }
        delete[] t->buffer;
        libusb_free_transfer(t);
    }
    static void LIBUSB_CALL on_write(libusb_transfer* t) {
        auto* self = static_cast<UsbEemPipe*>(t->user_data);
        self->write_ = nullptr;
        const int st = t->status;
        delete[] t->buffer;
        libusb_free_transfer(t);
        if (!*self->alive_) return;
        if (st != LIBUSB_TRANSFER_COMPLETED) {
            if (st != LIBUSB_TRANSFER_CANCELLED)
                self->fail(st == LIBUSB_TRANSFER_NO_DEVICE ? "USB UICC unplugged"
                                                           : "bulk OUT status " + std::to_string(st));
            return;
        }
        self->queued_ -= self->queue_.front().size();
        self->queue_.pop_front();
        if (!self->queue_.empty()) self->write_next();
    }
    void read() {
        libusb_transfer* t = libusb_alloc_transfer(0);
        auto* buf = new unsigned char[kReadSize];
        libusb_fill_bulk_transfer(t, handle_, eem_.bulk_in, buf, kReadSize, &on_read, this, 0);
        if (const int r = libusb_submit_transfer(t); r != 0) {
            delete[] buf;
            libusb_free_transfer(t);
            post_fail("bulk IN submit: " + std::string(libusb_error_name(r)));
            return;
        }
        read_ = t;
        kick();
    }
    void write_next() {
        const auto& data = queue_.front();
        libusb_transfer* t = libusb_alloc_transfer(0);
        auto* buf = new unsigned char[data.size()];
        std::copy(data.begin(), data.end(), buf);
        libusb_fill_bulk_transfer(t, handle_, eem_.bulk_out, buf, static_cast<int>(data.size()), &on_write,
                                  this, 5000);
        if (const int r = libusb_submit_transfer(t); r != 0) {
            delete[] buf;
            libusb_free_transfer(t);
            post_fail("bulk OUT submit: " + std::string(libusb_error_name(r)));
            return;
        }
        write_ = t;
        kick();
    }
    void kick() { loop_.post_handle_events(); }
    void post_fail(std::string why) {
        boost::asio::post(io_, [this, a = alive_, why] {
            if (*a) fail(why);
        });
    }
    void fail(const std::string& why) {
        if (failed_) return;
        failed_ = true;
        if (callbacks_.closed) callbacks_.closed(why);
    }

    boost::asio::io_context& io_;
    LibusbLoop& loop_;
    libusb_device_handle* handle_;
    iccd::EemInterface eem_;
    std::string where_;
    Callbacks callbacks_;
    std::deque<eem::Bytes> queue_;
    std::size_t queued_ = 0;
    libusb_transfer* read_ = nullptr;
    libusb_transfer* write_ = nullptr;
    bool failed_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

public:
    UsbEemPipe(const UsbEemPipe&) = delete;
    UsbEemPipe& operator=(const UsbEemPipe&) = delete;
};

}  // namespace

std::unique_ptr<UsbPipe> open_usb_eem_pipe(boost::asio::io_context& io, LibusbLoop& loop,
                                           const std::string& selector, std::string& why) {
    auto sel = iccd::parse_device_selector(selector, why);
    if (!sel) return nullptr;
    why = "no USB device with a CDC EEM interface (02/0C/07)";
    libusb_device** list = nullptr;
    const ssize_t n = libusb_get_device_list(loop.context(), &list);
    std::unique_ptr<UsbPipe> pipe;
    for (ssize_t i = 0; i < n && !pipe; ++i) {
        libusb_device* dev = list[i];
        const auto id = usb_device_id(dev);
        if (!id || !id->matches(*sel)) continue;
        const auto ifs = usb_interfaces(dev);
        if (!ifs) continue;
        auto eem = iccd::find_eem_interface(*ifs);
        if (!eem) continue;
        const std::string where = id->where();
        const UsbClaim claim = open_and_claim(dev, eem->number, eem->alternate);
        if (claim.failed == UsbClaim::Failed::Open) {
            why = where + ": open: " + libusb_error_name(claim.error) + " (permissions? see docs/usb.md)";
            continue;
        }
        if (claim.failed == UsbClaim::Failed::Claim) {
            why = where + ": claim EEM interface " + std::to_string(eem->number) + ": " +
                  libusb_error_name(claim.error);
            continue;
        }
        libusb_device_handle* h = claim.handle;
        pipe = std::make_unique<UsbEemPipe>(io, loop, h, *eem, where);
    }
    libusb_free_device_list(list, 1);
    return pipe;
}

}  // namespace dmsc::gateway
