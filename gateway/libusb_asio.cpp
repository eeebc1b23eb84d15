// gateway/libusb_asio.cpp — libusb inside Asio and the USB device helpers (see libusb_asio.hpp).
#include "gateway/libusb_asio.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop
// libusb.h declares zero-sized arrays (a C idiom g++ -Wpedantic refuses).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#include <libusb.h>
#pragma GCC diagnostic pop
#include <chrono>
#include <cstdio>
#include <map>
#include <poll.h>
#include <stdexcept>

namespace dmsc::gateway {

std::string usb_error(int code) {
    return std::string(libusb_error_name(code)) + " (" + std::to_string(code) + ")";
}

// ---- LibusbLoop ------------------------------------------------------------------------------

struct LibusbLoop::Impl {
    struct Watch {
        boost::asio::posix::stream_descriptor sd;
        short events = 0;
        bool waiting_read = false, waiting_write = false;
        Watch(boost::asio::io_context& io, int fd, short ev) : sd(io, fd), events(ev) {}
    };
    boost::asio::io_context& io;
    libusb_context* ctx = nullptr;
    std::map<int, std::unique_ptr<Watch>> watches;
    boost::asio::steady_timer timer;
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);

    explicit Impl(boost::asio::io_context& i) : io(i), timer(i) {}

    void arm(int fd) {
        auto it = watches.find(fd);
        if (it == watches.end()) return;
        Watch& w = *it->second;
        // usbdevfs fds signal completions as writable (POLLOUT); the event fd as readable.
        if ((w.events & POLLIN) && !w.waiting_read) {
            w.waiting_read = true;
            w.sd.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this, fd, a = alive](auto ec) {
                if (!*a) return;
                if (auto i2 = watches.find(fd); i2 != watches.end()) i2->second->waiting_read = false;
                if (ec) return;
                arm(fd);  // re-arm before calling into libusb (it may remove the fd)
                run();
            });
        }
        if ((w.events & POLLOUT) && !w.waiting_write) {
            w.waiting_write = true;
            w.sd.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                            [this, fd, a = alive](auto ec) {
                                if (!*a) return;
                                if (auto i2 = watches.find(fd); i2 != watches.end())
                                    i2->second->waiting_write = false;
                                if (ec) return;
                                arm(fd);
                                run();
                            });
        }
    }
    void add(int fd, short events) {
        remove(fd);
        watches[fd] = std::make_unique<Watch>(io, fd, events);
        arm(fd);
    }
    void remove(int fd) {
        auto it = watches.find(fd);
        if (it == watches.end()) return;
        boost::system::error_code ec;
        it->second->sd.cancel(ec);
        it->second->sd.release();  // libusb owns the fd: never close it here
        // Pending handlers see the watch gone; drop it after they ran.
        auto w = std::shared_ptr<Watch>(std::move(it->second));
        watches.erase(it);
        boost::asio::post(io, [w] {});
    }
    void run() {
        timeval zero{0, 0};
        libusb_handle_events_timeout_completed(ctx, &zero, nullptr);
        arm_timer();
    }
    void arm_timer() {
        timeval tv{};
        const int r = libusb_get_next_timeout(ctx, &tv);
        if (r <= 0) {
            timer.cancel();
            return;
        }
        timer.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
        timer.async_wait([this, a = alive](auto ec) {
            if (!ec && *a) run();
        });
    }
    static void added(int fd, short events, void* self) { static_cast<Impl*>(self)->add(fd, events); }
    static void removed(int fd, void* self) { static_cast<Impl*>(self)->remove(fd); }
};

LibusbLoop::LibusbLoop(boost::asio::io_context& io) : impl_(std::make_unique<Impl>(io)) {
    const int r = libusb_init(&impl_->ctx);
    if (r != 0) throw std::runtime_error("libusb_init: " + usb_error(r));
    if (libusb_pollfds_handle_timeouts(impl_->ctx) == 0)
        throw std::runtime_error(
            "this libusb needs its own timeout handling; it is too old (need 1.0.9 or later)");
    libusb_set_pollfd_notifiers(impl_->ctx, &Impl::added, &Impl::removed, impl_.get());
    if (const libusb_pollfd** fds = libusb_get_pollfds(impl_->ctx)) {
        for (int i = 0; fds[i] != nullptr; ++i) impl_->add(fds[i]->fd, fds[i]->events);
        libusb_free_pollfds(fds);
    }
}

LibusbLoop::~LibusbLoop() {
    *impl_->alive = false;
    libusb_set_pollfd_notifiers(impl_->ctx, nullptr, nullptr, nullptr);
    while (!impl_->watches.empty()) impl_->remove(impl_->watches.begin()->first);
    impl_->timer.cancel();
    libusb_exit(impl_->ctx);
}

libusb_context* LibusbLoop::context() const {
    return impl_->ctx;
}
void LibusbLoop::handle_events() {
    impl_->run();
}

void LibusbLoop::post_handle_events() {
    boost::asio::post(impl_->io, [impl = impl_.get(), a = impl_->alive] {
        if (*a) impl->run();
    });
}

void LibusbLoop::drain(const std::function<bool()>& pending) {
    for (int i = 0; i < 100 && pending(); ++i) {
        timeval tv{0, 10000};
        libusb_handle_events_timeout_completed(impl_->ctx, &tv, nullptr);
    }
}

// ---- devices ---------------------------------------------------------------------------------

std::string UsbDeviceId::where() const {
    char s[32];
    std::snprintf(s, sizeof s, "%04x:%04x at %03u:%03u", vendor, product, bus, address);
    return s;
}

std::optional<UsbDeviceId> usb_device_id(libusb_device* dev) {
    libusb_device_descriptor dd{};
    if (libusb_get_device_descriptor(dev, &dd) != 0) return std::nullopt;
    return UsbDeviceId{dd.idVendor, dd.idProduct, libusb_get_bus_number(dev), libusb_get_device_address(dev)};
}

std::optional<std::vector<iccd::InterfaceInfo>> usb_interfaces(libusb_device* dev) {
    libusb_config_descriptor* cfg = nullptr;
    if (libusb_get_active_config_descriptor(dev, &cfg) != 0) return std::nullopt;
    std::vector<iccd::InterfaceInfo> ifs;
    for (int i = 0; i < cfg->bNumInterfaces; ++i) {
        for (int a = 0; a < cfg->interface[i].num_altsetting; ++a) {
            const auto& d = cfg->interface[i].altsetting[a];
            iccd::InterfaceInfo info{d.bInterfaceNumber,   d.bAlternateSetting,  d.bInterfaceClass,
                                     d.bInterfaceSubClass, d.bInterfaceProtocol, {}};
            for (int e = 0; e < d.bNumEndpoints; ++e)
                info.endpoints.push_back({d.endpoint[e].bEndpointAddress, d.endpoint[e].bmAttributes,
                                          d.endpoint[e].wMaxPacketSize});
            ifs.push_back(std::move(info));
        }
    }
    libusb_free_config_descriptor(cfg);
    return ifs;
}

UsbClaim open_and_claim(libusb_device* dev, std::uint8_t number, std::uint8_t alternate) {
    UsbClaim c;
    libusb_device_handle* h = nullptr;
    if (const int r = libusb_open(dev, &h); r != 0) {
        c.failed = UsbClaim::Failed::Open;
        c.error = r;
        return c;
    }
    libusb_set_auto_detach_kernel_driver(h, 1);
    int r = libusb_claim_interface(h, number);
    if (r == LIBUSB_ERROR_OTHER || r == LIBUSB_ERROR_NOT_SUPPORTED) {
        // Auto-detach uses USBDEVFS_DISCONNECT_CLAIM; where that ioctl is missing (old
        // kernels, emulated usbdevfs) detach explicitly, then claim plainly.
        libusb_set_auto_detach_kernel_driver(h, 0);
        if (libusb_kernel_driver_active(h, number) == 1) libusb_detach_kernel_driver(h, number);
        r = libusb_claim_interface(h, number);
    }
    if (r != 0) {
        libusb_close(h);
        c.failed = UsbClaim::Failed::Claim;
        c.error = r;
        return c;
    }
    if (alternate != 0) libusb_set_interface_alt_setting(h, number, alternate);
    c.handle = h;
    return c;
}

}  // namespace dmsc::gateway
