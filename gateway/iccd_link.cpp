// gateway/iccd_link.cpp — the ICCD / CCID card link (see iccd_link.hpp); libusb runs on the Asio
// loop through LibusbLoop (libusb_asio.hpp).
#include "gateway/iccd_link.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
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
#include <deque>
#include <set>

#include "gateway/iccd_proto.hpp"
#include "gateway/libusb_asio.hpp"

namespace dmsc::gateway {

// ---- the link -------------------------------------------------------------------------------

namespace {

using iccd::Bytes;
using iccd::ByteView;

constexpr unsigned kControlTimeoutMs = 5000;
constexpr unsigned kBulkReadTimeoutMs = 30000;  // per read; a time extension starts a new read
constexpr std::size_t kMaxResponse = 65538;     // extended APDU data + SW1 SW2
// Linux usbdevfs refuses control transfers with more than 4096 data bytes; longer ICCD B
// answers come chained (bResponseType 01/03/02).
constexpr std::uint16_t kControlChunk = 4096;

class IccdLink final : public CardLink {
public:
    IccdLink(boost::asio::io_context& io, IccdOptions o) : io_(io), options_(std::move(o)), delay_(io) {}
    ~IccdLink() override { stop(); }

    void start(Callbacks callbacks) override {
        callbacks_ = std::move(callbacks);
        std::string why;
        auto sel = iccd::parse_device_selector(options_.usb, why);
        if (!sel) {
            warn("card.usb: " + why);
            return;
        }
        selector_ = *sel;
        try {
            loop_ = std::make_unique<LibusbLoop>(io_);
        } catch (const std::exception& e) {
            warn(std::string("USB: ") + e.what());
            return;
        }
        if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
            const int r = libusb_hotplug_register_callback(
                loop_->context(),
                static_cast<libusb_hotplug_event>(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
                                                  LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT),
                LIBUSB_HOTPLUG_NO_FLAGS, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
                LIBUSB_HOTPLUG_MATCH_ANY, &IccdLink::hotplug, this, &hotplug_handle_);
            if (r != LIBUSB_SUCCESS)
                warn("USB hotplug unavailable: " + usb_error(r) + "; plug the UICC before starting");
            else
                hotplug_ = true;
        } else {
            warn("this libusb has no hotplug support; plug the UICC before starting");
        }
        scan();
        loop_->handle_events();
    }

    void transmit(cat::Bytes command, TransmitHandler done) override {
        if (!handle_ || !powered_) {
            done({false, {}, "no USB card powered", true});
            return;
        }
        pending_ = std::move(done);
        response_.clear();
        switch (iface_.kind) {
            case iccd::CardInterfaceKind::CcidBulk:
                ccid_command(iccd::ccid_xfr_block(0, ++seq_, command), iccd::kRdrToPcDataBlock,
                             [this](bool ok, const iccd::CcidReply& r, const std::string& why) {
                                 if (!ok) return finish_error(why);
                                 finish_ok(r.data);
                             });
                break;
            case iccd::CardInterfaceKind::IccdA:
                control(iccd::iccd_xfr_block(iface_.number, command), [this](int st, ByteView) {
                    if (st != LIBUSB_TRANSFER_COMPLETED)
                        return finish_error("XFR_BLOCK: " + transfer_status(st));
                    a_wait_ready([this] { a_read_data(); });
                });
                break;
            case iccd::CardInterfaceKind::IccdB:
                control(iccd::iccd_xfr_block(iface_.number, command), [this](int st, ByteView) {
                    if (st != LIBUSB_TRANSFER_COMPLETED)
                        return finish_error("XFR_BLOCK: " + transfer_status(st));
                    b_read_data([this](const Bytes& data) { finish_ok(data); });
                });
                break;
        }
    }

    void reset() override {
        if (!handle_) return;
        powered_ = false;
        power_on();
    }

    void stop() override {
        if (stopped_) return;
        stopped_ = true;
        delay_.cancel();
        if (pending_) finish_error("stopping");
        if (!loop_) return;
        if (handle_ && powered_) {
            // Best effort, synchronous: the loop is going away.
            if (iface_.kind == iccd::CardInterfaceKind::CcidBulk) {
                Bytes off = iccd::ccid_power_off(0, ++seq_);
                int n = 0;
                libusb_bulk_transfer(handle_, iface_.bulk_out, off.data(), static_cast<int>(off.size()), &n,
                                     1000);
                Bytes in(64);
                libusb_bulk_transfer(handle_, iface_.bulk_in, in.data(), static_cast<int>(in.size()), &n,
                                     1000);
            } else {
                const auto rq = iccd::iccd_power_off(iface_.number);
                libusb_control_transfer(handle_, rq.request_type, rq.request, rq.value, rq.index, nullptr, 0,
                                        1000);
            }
        }
        close_device();
        if (hotplug_) libusb_hotplug_deregister_callback(loop_->context(), hotplug_handle_);
        loop_.reset();
    }

    std::string name() const override { return "iccd"; }

private:
    // ---- device discovery ----
    static int LIBUSB_CALL hotplug(libusb_context*, libusb_device* dev, libusb_hotplug_event event,
                                   void* self) {
        auto* link = static_cast<IccdLink*>(self);
        libusb_ref_device(dev);
        // Not inside libusb's callback: open / close on the next turn of the loop.
        boost::asio::post(link->io_, [link, dev, event, alive = link->alive_] {
            if (*alive && !link->stopped_) {
                if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED) {
                    if (!link->handle_) link->try_open(dev);
                } else if (link->handle_ && libusb_get_device(link->handle_) == dev) {
                    link->gone("USB UICC unplugged");
                }
            }
            libusb_unref_device(dev);
        });
        return 0;
    }

    void scan() {
        libusb_device** list = nullptr;
        const ssize_t n = libusb_get_device_list(loop_->context(), &list);
        for (ssize_t i = 0; i < n && !handle_; ++i) try_open(list[i]);
        libusb_free_device_list(list, 1);
        if (!handle_)
            info("waiting for a USB smart card interface" +
                 (options_.usb.empty() ? std::string() : " on " + options_.usb));
    }

    void try_open(libusb_device* dev) {
        const auto id = usb_device_id(dev);
        if (!id || !id->matches(selector_)) return;
        const auto ifs = usb_interfaces(dev);
        if (!ifs) return;
        std::string why;
        auto found = iccd::find_card_interface(*ifs, why);
        const std::string where = id->where();
        if (!found) {
            if (selector_.kind != iccd::DeviceSelector::Any) warn("USB device " + where + ": " + why);
            return;
        }
        const UsbClaim claim = open_and_claim(dev, found->number, found->alternate);
        if (claim.failed == UsbClaim::Failed::Open) {
            warn("USB device " + where + ": open: " + usb_error(claim.error) +
                 " (permissions? see docs/usb.md)");
            return;
        }
        if (claim.failed == UsbClaim::Failed::Claim) {
            warn("USB device " + where + ": claim interface " + std::to_string(found->number) + ": " +
                 usb_error(claim.error));
            return;
        }
        libusb_device_handle* h = claim.handle;
        handle_ = h;
        iface_ = *found;
        where_ = where;
        info("USB UICC " + where + ": interface " + std::to_string(found->number) + " (" +
             iccd::name_of(found->kind) + ")");
        power_on();
    }

    void close_device() {
        if (!handle_) return;
        for (auto* t : in_flight_) libusb_cancel_transfer(t);
        // Let the cancelled transfers complete (their callbacks see stopped_/closing_).
        closing_ = true;
        loop_->drain([this] { return !in_flight_.empty(); });
        closing_ = false;
        libusb_release_interface(handle_, iface_.number);
        libusb_close(handle_);
        handle_ = nullptr;
        powered_ = false;
    }

    void gone(const std::string& why) {
        delay_.cancel();
        const bool was_powered = powered_;
        if (pending_) finish_error(why, true);
        close_device();
        if (was_powered && callbacks_.card_gone) callbacks_.card_gone(why);
        info(why + "; waiting for a USB smart card interface");
        if (!hotplug_) warn("no hotplug: restart the daemon after plugging the UICC back in");
    }

    // ---- power on ----
    void power_on() {
        response_.clear();
        switch (iface_.kind) {
            case iccd::CardInterfaceKind::CcidBulk:
                ccid_command(iccd::ccid_power_on(0, ++seq_), iccd::kRdrToPcDataBlock,
                             [this](bool ok, const iccd::CcidReply& r, const std::string& why) {
                                 if (!ok) return power_failed("PC_to_RDR_IccPowerOn: " + why);
                                 ready(r.data);
                             });
                break;
            case iccd::CardInterfaceKind::IccdA:
                control(iccd::iccd_power_on(iccd::IccdVersion::A, iface_.number),
                        [this](int st, ByteView atr) {
                            if (st != LIBUSB_TRANSFER_COMPLETED)
                                return power_failed("ICC_POWER_ON: " + transfer_status(st));
                            ready(Bytes(atr.begin(), atr.end()));
                        });
                break;
            case iccd::CardInterfaceKind::IccdB:
                control(iccd::iccd_power_on(iccd::IccdVersion::B, iface_.number), [this](int st, ByteView) {
                    if (st != LIBUSB_TRANSFER_COMPLETED)
                        return power_failed("ICC_POWER_ON: " + transfer_status(st));
                    b_read_data([this](const Bytes& atr) { ready(atr); }, true);
                });
                break;
        }
    }
    void ready(const Bytes& atr) {
        if (atr.empty()) return power_failed("the card answered an empty ATR");
        powered_ = true;
        CardInfo ci;
        ci.link = "iccd";
        ci.reader = "USB " + where_ + " " + iccd::name_of(iface_.kind);
        ci.protocol = iccd::name_of(iface_.kind);
        ci.atr = atr;
        if (callbacks_.card_ready) callbacks_.card_ready(ci);
    }
    void power_failed(const std::string& why) {
        warn("USB UICC " + where_ + ": power on failed: " + why);
        powered_ = false;
    }

    // ---- CCID bulk exchange with time extension ----
    using CcidDone = std::function<void(bool, const iccd::CcidReply&, const std::string&)>;
    void ccid_command(Bytes msg, std::uint8_t want, CcidDone done) {
        const std::uint8_t seq = msg[6];
        bulk(iface_.bulk_out, std::move(msg), 0, [this, seq, want, done](int st, ByteView) {
            if (st != LIBUSB_TRANSFER_COMPLETED) return done(false, {}, "bulk OUT: " + transfer_status(st));
            ccid_read(seq, want, done);
        });
    }
    // Reads one RDR_to_PC message: bulk IN transfers of at most kBulkChunk bytes (one URB
    // each) until dwLength is complete; a message may span transfers.
    void ccid_read(std::uint8_t seq, std::uint8_t want, CcidDone done, Bytes partial = {}) {
        bulk(iface_.bulk_in, {}, kBulkChunk, [this, seq, want, done, partial](int st, ByteView in) mutable {
            if (st != LIBUSB_TRANSFER_COMPLETED) return done(false, {}, "bulk IN: " + transfer_status(st));
            partial.insert(partial.end(), in.begin(), in.end());
            const std::size_t total = iccd::ccid_message_length(partial);
            if (total == 0 || partial.size() < total) {
                if (in.empty() || partial.size() > iccd::kCcidHeader + kMaxResponse)
                    return done(false, {},
                                "CCID reply cut short after " + std::to_string(partial.size()) + " bytes");
                return ccid_read(seq, want, done, std::move(partial));
            }
            std::string why;
            auto r = iccd::parse_ccid_reply(partial, why);
            if (!r) return done(false, {}, why);
            const auto step = iccd::ccid_step(*r, want, 0, seq);
            switch (step.kind) {
                case iccd::CcidStep::Wait:
                    ++time_extensions_;
                    if (callbacks_.warning && time_extensions_ % 100 == 0)
                        info("the card asked for " + std::to_string(time_extensions_) +
                             " time extensions so far");
                    return ccid_read(seq, want, done);  // the card asked for more time
                case iccd::CcidStep::Done:
                    return done(true, *r, {});
                case iccd::CcidStep::CardAbsent:
                case iccd::CcidStep::Fail:
                    return done(false, *r, step.why);
            }
        });
    }
    static constexpr int kBulkChunk = 16384;  // libusb's largest single-URB bulk transfer

    // ---- ICCD version A: poll GET_ICC_STATUS while busy, then DATA_BLOCK ----
    void a_wait_ready(std::function<void()> next) {
        control(iccd::iccd_status(iccd::IccdVersion::A, iface_.number), [this, next](int st, ByteView s) {
            if (st != LIBUSB_TRANSFER_COMPLETED || s.empty())
                return finish_error("GET_ICC_STATUS: " + transfer_status(st));
            switch (iccd::parse_iccd_a_status(s[0])) {
                case iccd::IccdAStatus::Absent:
                    return finish_error("the ICC is mute or absent (status 80)", true);
                case iccd::IccdAStatus::Busy:
                    ++time_extensions_;
                    return after(std::chrono::milliseconds(10), [this, next] { a_wait_ready(next); });
                case iccd::IccdAStatus::Ready:
                    return next();
            }
        });
    }
    void a_read_data() {
        control(iccd::iccd_data_block(iface_.number, kControlChunk), [this](int st, ByteView d) {
            if (st != LIBUSB_TRANSFER_COMPLETED) return finish_error("DATA_BLOCK: " + transfer_status(st));
            finish_ok(Bytes(d.begin(), d.end()));
        });
    }

    // ---- ICCD version B: DATA_BLOCK with polling (time extension) and chaining ----
    void b_read_data(std::function<void(const Bytes&)> done, bool powering = false) {
        control(
            iccd::iccd_data_block(iface_.number, kControlChunk), [this, done, powering](int st, ByteView d) {
                auto fail = [&](const std::string& why) {
                    if (powering)
                        power_failed(why);
                    else
                        finish_error(why);
                };
                if (st != LIBUSB_TRANSFER_COMPLETED) return fail("DATA_BLOCK: " + transfer_status(st));
                std::string why;
                auto blk = iccd::parse_data_block_b(d, why);
                if (!blk) return fail(why);
                switch (blk->kind) {
                    case iccd::DataBlockB::Polling:
                        ++time_extensions_;
                        return after(std::chrono::milliseconds(10 * std::max<unsigned>(1, blk->delay_10ms)),
                                     [this, done, powering] { b_read_data(done, powering); });
                    case iccd::DataBlockB::Status:
                        return fail("status information: " + iccd::ccid_error_name(blk->error));
                    case iccd::DataBlockB::Empty:
                        return b_read_data(done, powering);
                    case iccd::DataBlockB::Begins:
                    case iccd::DataBlockB::Continues:
                        response_.insert(response_.end(), blk->data.begin(), blk->data.end());
                        return b_read_data(done, powering);
                    case iccd::DataBlockB::Complete:
                    case iccd::DataBlockB::Ends: {
                        response_.insert(response_.end(), blk->data.begin(), blk->data.end());
                        Bytes all = std::move(response_);
                        response_.clear();
                        return done(all);
                    }
                }
            });
    }

    // ---- completion ----
    void finish_ok(const Bytes& data) {
        if (!pending_) return;
        auto done = std::move(pending_);
        pending_ = nullptr;
        if (data.size() < 2)
            return done({false, {}, "R-APDU of " + std::to_string(data.size()) + " bytes", false});
        done({true, data, {}, false});
    }
    void finish_error(const std::string& why, bool card_gone = false) {
        if (!pending_) return;
        auto done = std::move(pending_);
        pending_ = nullptr;
        done({false, {}, why, card_gone});
    }

    // ---- async transfers ----
    using XferDone = std::function<void(int status, ByteView data)>;
    struct Xfer {
        IccdLink* link;
        XferDone done;
        std::vector<unsigned char> buffer;
        bool control = false;
    };
    static void LIBUSB_CALL on_transfer(libusb_transfer* t) {
        auto* x = static_cast<Xfer*>(t->user_data);
        IccdLink* link = x->link;
        link->in_flight_.erase(t);
        const int st = t->status;
        ByteView data = x->control ? ByteView(libusb_control_transfer_get_data(t),
                                              static_cast<std::size_t>(t->actual_length))
                                   : ByteView(t->buffer, static_cast<std::size_t>(t->actual_length));
        if (!link->closing_ && !link->stopped_) {
            if (st == LIBUSB_TRANSFER_NO_DEVICE) {
                boost::asio::post(link->io_, [link, alive = link->alive_] {
                    if (*alive && link->handle_) link->gone("USB UICC unplugged (no device)");
                });
            } else {
                x->done(st, data);
            }
        }
        delete x;
        libusb_free_transfer(t);
    }
    void submit(libusb_transfer* t, Xfer* x) {
        const int r = libusb_submit_transfer(t);
        if (r != 0) {
            auto done = x->done;
            delete x;
            libusb_free_transfer(t);
            const int st = r == LIBUSB_ERROR_NO_DEVICE ? LIBUSB_TRANSFER_NO_DEVICE : LIBUSB_TRANSFER_ERROR;
            boost::asio::post(io_, [this, done, st, alive = alive_] {
                if (!*alive) return;
                if (st == LIBUSB_TRANSFER_NO_DEVICE && handle_)
                    gone("USB UICC unplugged (no device)");
                else
                    done(st, {});
            });
            return;
        }
        in_flight_.insert(t);
        // Re-arm libusb's timeout on the Asio timer, outside any libusb callback we may be in.
        loop_->post_handle_events();
    }
    void bulk(std::uint8_t ep, Bytes out, int in_length, XferDone done) {
        auto* x = new Xfer{this, std::move(done), {}, false};
        const bool in = (ep & 0x80U) != 0;
        if (in)
            x->buffer.resize(static_cast<std::size_t>(in_length));
        else
            x->buffer.assign(out.begin(), out.end());
        libusb_transfer* t = libusb_alloc_transfer(0);
        libusb_fill_bulk_transfer(t, handle_, ep, x->buffer.data(), static_cast<int>(x->buffer.size()),
                                  &on_transfer, x, in ? kBulkReadTimeoutMs : kControlTimeoutMs);
        submit(t, x);
    }
    void control(const iccd::ControlRequest& rq, XferDone done) {
        auto* x = new Xfer{this, std::move(done), {}, true};
        x->buffer.resize(LIBUSB_CONTROL_SETUP_SIZE + rq.length);
        libusb_fill_control_setup(x->buffer.data(), rq.request_type, rq.request, rq.value, rq.index,
                                  rq.length);
        std::copy(rq.data.begin(), rq.data.end(), x->buffer.begin() + LIBUSB_CONTROL_SETUP_SIZE);
        libusb_transfer* t = libusb_alloc_transfer(0);
        libusb_fill_control_transfer(t, handle_, x->buffer.data(), &on_transfer, x, kControlTimeoutMs);
        submit(t, x);
    }
    template <class F>
    void after(std::chrono::milliseconds d, F f) {
        delay_.expires_after(d);
        delay_.async_wait([f, alive = alive_](auto ec) {
            if (!ec && *alive) f();
        });
    }
    static std::string transfer_status(int st) {
        switch (st) {
            case LIBUSB_TRANSFER_COMPLETED:
                return "completed";
            case LIBUSB_TRANSFER_ERROR:
                return "transfer error";
            case LIBUSB_TRANSFER_TIMED_OUT:
                return "timed out";
            case LIBUSB_TRANSFER_CANCELLED:
                return "cancelled";
            case LIBUSB_TRANSFER_STALL:
                return "stalled (the interface refused the request)";
            case LIBUSB_TRANSFER_NO_DEVICE:
                return "device gone";
            case LIBUSB_TRANSFER_OVERFLOW:
                return "overflow";
            default:
                return "status " + std::to_string(st);
        }
    }

    void info(const std::string& m) const {
        if (options_.log) options_.log(m);
    }
    void warn(const std::string& m) const {
        if (callbacks_.warning) callbacks_.warning(m);
    }

    boost::asio::io_context& io_;
    IccdOptions options_;
    Callbacks callbacks_;
    iccd::DeviceSelector selector_;
    std::unique_ptr<LibusbLoop> loop_;
    libusb_hotplug_callback_handle hotplug_handle_ = 0;
    bool hotplug_ = false;
    libusb_device_handle* handle_ = nullptr;
    iccd::CardInterface iface_;
    std::string where_;
    std::uint8_t seq_ = 0;
    bool powered_ = false, stopped_ = false, closing_ = false;
    TransmitHandler pending_;
    Bytes response_;
    std::uint64_t time_extensions_ = 0;
    boost::asio::steady_timer delay_;
    std::set<libusb_transfer*> in_flight_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

public:
    IccdLink(const IccdLink&) = delete;
    IccdLink& operator=(const IccdLink&) = delete;
};

}  // namespace

std::unique_ptr<CardLink> make_iccd_link(boost::asio::io_context& io, IccdOptions options) {
    return std::make_unique<IccdLink>(io, std::move(options));
}

}  // namespace dmsc::gateway
