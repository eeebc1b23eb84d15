// gateway/pcsc_link.cpp — CardLink over PC/SC-Lite: a card thread that owns the card (connect,
// transmit, reset, power-down) and a watch thread that blocks in SCardGetStatusChange for
// insertion, removal, reader plug/unplug and pcscd going away. Design notes: docs/pcsc.md.
#include "gateway/pcsc_link.hpp"

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>
#include <atomic>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace dmsc::gateway {

namespace {

using Clock = std::chrono::steady_clock;
using LogLevel = PcscOptions::LogLevel;

// pcsc-lite's pseudo reader whose state changes when a reader is plugged or unplugged
// (pcsc-lite winscard_clnt.c, SCardGetStatusChange).
constexpr const char* kPnpReader = "\\\\?PnP?\\Notification";
// pcsc-lite reads up to 64 KiB + header + SW for extended APDUs (pcsclite.h
// MAX_BUFFER_SIZE_EXTENDED); a short-APDU card never needs more than 258.
constexpr std::size_t kReceiveBuffer = MAX_BUFFER_SIZE_EXTENDED;
// How long stop() waits between SCardCancel attempts: SCardCancel is a no-op unless the other
// thread is already inside the blocking part of SCardGetStatusChange (pcsc-lite's
// `cancellable` flag), so one call can be lost; repeating it closes the window.
constexpr auto kCancelRetry = std::chrono::milliseconds(20);
// Probes of a reader pcscd may wrongly list as empty, after a card was lost through a failure
// (see PcscLink::probe_stale_reader); with the connect back-off, about 3 s at the defaults.
constexpr int kStaleProbes = 5;
// How long a card found by such a probe waits before it is announced: more than pcscd's
// reader poll (400 ms for drivers without interrupt support) plus a power-up.
constexpr auto kProbeSettle = std::chrono::milliseconds(1000);

const char* scard_name(LONG code) {
    // Every result code pcsclite.h defines (pcsc-lite 1.9), by value.
    switch (code) {
        case SCARD_S_SUCCESS:
            return "SCARD_S_SUCCESS";
        case SCARD_F_INTERNAL_ERROR:
            return "SCARD_F_INTERNAL_ERROR";
        case SCARD_E_CANCELLED:
            return "SCARD_E_CANCELLED";
        case SCARD_E_INVALID_HANDLE:
            return "SCARD_E_INVALID_HANDLE";
        case SCARD_E_INVALID_PARAMETER:
            return "SCARD_E_INVALID_PARAMETER";
        case SCARD_E_INVALID_TARGET:
            return "SCARD_E_INVALID_TARGET";
        case SCARD_E_NO_MEMORY:
            return "SCARD_E_NO_MEMORY";
        case SCARD_F_WAITED_TOO_LONG:
            return "SCARD_F_WAITED_TOO_LONG";
        case SCARD_E_INSUFFICIENT_BUFFER:
            return "SCARD_E_INSUFFICIENT_BUFFER";
        case SCARD_E_UNKNOWN_READER:
            return "SCARD_E_UNKNOWN_READER";
        case SCARD_E_TIMEOUT:
            return "SCARD_E_TIMEOUT";
        case SCARD_E_SHARING_VIOLATION:
            return "SCARD_E_SHARING_VIOLATION";
        case SCARD_E_NO_SMARTCARD:
            return "SCARD_E_NO_SMARTCARD";
        case SCARD_E_UNKNOWN_CARD:
            return "SCARD_E_UNKNOWN_CARD";
        case SCARD_E_CANT_DISPOSE:
            return "SCARD_E_CANT_DISPOSE";
        case SCARD_E_PROTO_MISMATCH:
            return "SCARD_E_PROTO_MISMATCH";
        case SCARD_E_NOT_READY:
            return "SCARD_E_NOT_READY";
        case SCARD_E_INVALID_VALUE:
            return "SCARD_E_INVALID_VALUE";
        case SCARD_E_SYSTEM_CANCELLED:
            return "SCARD_E_SYSTEM_CANCELLED";
        case SCARD_F_COMM_ERROR:
            return "SCARD_F_COMM_ERROR";
        case SCARD_F_UNKNOWN_ERROR:
            return "SCARD_F_UNKNOWN_ERROR";
        case SCARD_E_INVALID_ATR:
            return "SCARD_E_INVALID_ATR";
        case SCARD_E_NOT_TRANSACTED:
            return "SCARD_E_NOT_TRANSACTED";
        case SCARD_E_READER_UNAVAILABLE:
            return "SCARD_E_READER_UNAVAILABLE";
        case SCARD_P_SHUTDOWN:
            return "SCARD_P_SHUTDOWN";
        case SCARD_E_PCI_TOO_SMALL:
            return "SCARD_E_PCI_TOO_SMALL";
        case SCARD_E_READER_UNSUPPORTED:
            return "SCARD_E_READER_UNSUPPORTED";
        case SCARD_E_DUPLICATE_READER:
            return "SCARD_E_DUPLICATE_READER";
        case SCARD_E_CARD_UNSUPPORTED:
            return "SCARD_E_CARD_UNSUPPORTED";
        case SCARD_E_NO_SERVICE:
            return "SCARD_E_NO_SERVICE";
        case SCARD_E_SERVICE_STOPPED:
            return "SCARD_E_SERVICE_STOPPED";
        case SCARD_E_UNEXPECTED:
            return "SCARD_E_UNEXPECTED";  // = SCARD_E_UNSUPPORTED_FEATURE
        case SCARD_E_ICC_INSTALLATION:
            return "SCARD_E_ICC_INSTALLATION";
        case SCARD_E_ICC_CREATEORDER:
            return "SCARD_E_ICC_CREATEORDER";
        case SCARD_E_DIR_NOT_FOUND:
            return "SCARD_E_DIR_NOT_FOUND";
        case SCARD_E_FILE_NOT_FOUND:
            return "SCARD_E_FILE_NOT_FOUND";
        case SCARD_E_NO_DIR:
            return "SCARD_E_NO_DIR";
        case SCARD_E_NO_FILE:
            return "SCARD_E_NO_FILE";
        case SCARD_E_NO_ACCESS:
            return "SCARD_E_NO_ACCESS";
        case SCARD_E_WRITE_TOO_MANY:
            return "SCARD_E_WRITE_TOO_MANY";
        case SCARD_E_BAD_SEEK:
            return "SCARD_E_BAD_SEEK";
        case SCARD_E_INVALID_CHV:
            return "SCARD_E_INVALID_CHV";
        case SCARD_E_UNKNOWN_RES_MNG:
            return "SCARD_E_UNKNOWN_RES_MNG";
        case SCARD_E_NO_SUCH_CERTIFICATE:
            return "SCARD_E_NO_SUCH_CERTIFICATE";
        case SCARD_E_CERTIFICATE_UNAVAILABLE:
            return "SCARD_E_CERTIFICATE_UNAVAILABLE";
        case SCARD_E_NO_READERS_AVAILABLE:
            return "SCARD_E_NO_READERS_AVAILABLE";
        case SCARD_E_COMM_DATA_LOST:
            return "SCARD_E_COMM_DATA_LOST";
        case SCARD_E_NO_KEY_CONTAINER:
            return "SCARD_E_NO_KEY_CONTAINER";
        case SCARD_E_SERVER_TOO_BUSY:
            return "SCARD_E_SERVER_TOO_BUSY";
        case SCARD_W_UNSUPPORTED_CARD:
            return "SCARD_W_UNSUPPORTED_CARD";
        case SCARD_W_UNRESPONSIVE_CARD:
            return "SCARD_W_UNRESPONSIVE_CARD";
        case SCARD_W_UNPOWERED_CARD:
            return "SCARD_W_UNPOWERED_CARD";
        case SCARD_W_RESET_CARD:
            return "SCARD_W_RESET_CARD";
        case SCARD_W_REMOVED_CARD:
            return "SCARD_W_REMOVED_CARD";
        case SCARD_W_SECURITY_VIOLATION:
            return "SCARD_W_SECURITY_VIOLATION";
        case SCARD_W_WRONG_CHV:
            return "SCARD_W_WRONG_CHV";
        case SCARD_W_CHV_BLOCKED:
            return "SCARD_W_CHV_BLOCKED";
        case SCARD_W_EOF:
            return "SCARD_W_EOF";
        case SCARD_W_CANCELLED_BY_USER:
            return "SCARD_W_CANCELLED_BY_USER";
        case SCARD_W_CARD_NOT_AUTHENTICATED:
            return "SCARD_W_CARD_NOT_AUTHENTICATED";
        default:
            return "SCARD_?";
    }
}

// pcscd itself is gone or our context died with it: release the context and establish a new
// one. Measured: a killed pcscd gives SCARD_E_NO_SERVICE / SCARD_F_COMM_ERROR on the next call,
// a context from before a restart gives SCARD_E_INVALID_HANDLE.
bool service_lost(LONG code) {
    return code == SCARD_E_NO_SERVICE || code == SCARD_E_SERVICE_STOPPED || code == SCARD_F_COMM_ERROR ||
           code == SCARD_E_INVALID_HANDLE || code == SCARD_F_INTERNAL_ERROR;
}

// The card (or its reader) is no longer usable through this handle. Measured through vpcd: a
// card dropped mid-session gives 0x80100016 (SCARD_E_NOT_TRANSACTED) on the next SCardTransmit,
// then 0x80100069 (SCARD_W_REMOVED_CARD).
bool card_lost(LONG code) {
    return code == SCARD_W_REMOVED_CARD || code == SCARD_E_NO_SMARTCARD ||
           code == SCARD_E_READER_UNAVAILABLE || code == SCARD_W_UNPOWERED_CARD ||
           code == SCARD_W_RESET_CARD || code == SCARD_E_UNKNOWN_READER ||
           code == SCARD_W_UNRESPONSIVE_CARD || code == SCARD_E_NOT_TRANSACTED || code == SCARD_E_NOT_READY;
}

class Backoff {
public:
    Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max)
        : min_(std::max(min, std::chrono::milliseconds(1))), max_(std::max(max, min_)), next_(min_) {}
    std::chrono::milliseconds next() {
        auto d = next_;
        next_ = std::min(next_ * 2, max_);
        return d;
    }
    void reset() { next_ = min_; }

private:
    std::chrono::milliseconds min_;
    std::chrono::milliseconds max_;
    std::chrono::milliseconds next_;
};

std::vector<std::string> split_multistring(const char* p, DWORD len) {
    std::vector<std::string> out;
    std::string_view all(p, len);
    while (!all.empty() && all.front() != '\0') {
        auto end = all.find('\0');
        if (end == std::string_view::npos) end = all.size();
        out.emplace_back(all.substr(0, end));
        all.remove_prefix(std::min(all.size(), end + 1));
    }
    return out;
}

std::string state_text(DWORD s) {
    std::string out;
    auto add = [&](DWORD bit, const char* name) {
        if (s & bit) out += out.empty() ? name : std::string("|") + name;
    };
    add(SCARD_STATE_UNKNOWN, "UNKNOWN");
    add(SCARD_STATE_UNAVAILABLE, "UNAVAILABLE");
    add(SCARD_STATE_EMPTY, "EMPTY");
    add(SCARD_STATE_PRESENT, "PRESENT");
    add(SCARD_STATE_EXCLUSIVE, "EXCLUSIVE");
    add(SCARD_STATE_INUSE, "INUSE");
    add(SCARD_STATE_MUTE, "MUTE");
    add(SCARD_STATE_UNPOWERED, "UNPOWERED");
    return out.empty() ? "0" : out;
}

class PcscLink final : public CardLink {
public:
    PcscLink(boost::asio::io_context& io, PcscOptions options)
        : io_(io),
          options_(std::move(options)),
          alive_(std::make_shared<std::atomic<bool>>(true)),
          connect_backoff_(options_.retry_min, options_.retry_max) {}

    ~PcscLink() override { stop(); }

    void start(Callbacks callbacks) override {
        std::lock_guard lock(mutex_);
        if (started_) return;
        started_ = true;
        callbacks_ = std::move(callbacks);
        card_thread_ = std::thread([this] { card_main(); });
        watch_thread_ = std::thread([this] { watch_main(); });
    }

    void transmit(cat::Bytes command, TransmitHandler done) override {
        {
            std::lock_guard lock(mutex_);
            if (started_ && !stopping_) {
                requests_.push_back(Request{std::move(command), std::move(done)});
                cv_.notify_all();
                return;
            }
        }
        TransmitResult r;
        r.error = "pcsc link is not running";
        r.card_gone = true;
        boost::asio::post(io_, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
    }

    void reset() override {
        std::lock_guard lock(mutex_);
        reset_requested_ = true;
        cv_.notify_all();
    }

    void stop() override {
        {
            std::lock_guard lock(mutex_);
            if (!started_ || stopping_) return;
            stopping_ = true;
            cv_.notify_all();
        }
        // The watch thread may be blocked in SCardGetStatusChange(INFINITE): cancel it until it
        // notices (see kCancelRetry).
        {
            std::unique_lock lock(mutex_);
            while (!watch_done_) {
                if (watch_context_) SCardCancel(*watch_context_);
                cv_.wait_for(lock, kCancelRetry, [this] { return watch_done_; });
            }
        }
        watch_thread_.join();
        card_thread_.join();  // powers the card down (SCARD_UNPOWER_CARD) before it ends
        alive_->store(false);
    }

    std::string name() const override { return "pcsc"; }

private:
    struct Request {
        cat::Bytes command;
        TransmitHandler done;
    };

    // ---- posting to the io_context (the only way callbacks run) -------------------------

    void log(LogLevel level, std::string text) {
        boost::asio::post(io_, [sink = options_.log, alive = alive_, level, text = std::move(text)] {
            if (!alive->load()) return;
            if (sink) {
                sink(level, text);
            } else {
                static constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
                std::cerr << "pcsc " << kNames[static_cast<int>(level)] << ": " << text << '\n';
            }
        });
    }

    void log_error(LogLevel level, const std::string& what, LONG code) {
        log(level, what + ": " + pcsc_error_text(code));
    }

    void post_ready(CardInfo info) {
        boost::asio::post(io_, [cb = callbacks_.card_ready, alive = alive_, info = std::move(info)] {
            if (alive->load() && cb) cb(info);
        });
    }

    void post_gone(std::string reason) {
        boost::asio::post(io_, [cb = callbacks_.card_gone, alive = alive_, reason = std::move(reason)] {
            if (alive->load() && cb) cb(reason);
        });
    }

    void post_warning(std::string message) {
        boost::asio::post(io_, [cb = callbacks_.warning, alive = alive_, message = std::move(message)] {
            if (alive->load() && cb) cb(message);
        });
    }

    void post_result(TransmitHandler done, TransmitResult result) {
        // Always delivered, also after stop(): the contract says `done` runs exactly once.
        boost::asio::post(io_, [done = std::move(done), result = std::move(result)]() mutable {
            if (done) done(std::move(result));
        });
    }

    bool reader_matches(const std::string& reader) const {
        return options_.reader.empty() || reader.find(options_.reader) != std::string::npos;
    }

    DWORD wanted_protocols() const {
        switch (options_.protocol) {
            case PcscOptions::Protocol::T0:
                return SCARD_PROTOCOL_T0;
            case PcscOptions::Protocol::T1:
                return SCARD_PROTOCOL_T1;
            case PcscOptions::Protocol::Any:
                break;
        }
        return SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;
    }

    DWORD share_mode() const {
        return options_.share == PcscOptions::Share::Exclusive ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED;
    }

    // ---- card thread ----------------------------------------------------------------------

    void card_main() {
        receive_.resize(kReceiveBuffer);
        std::unique_lock lock(mutex_);
        std::uint64_t seen_events = 0;
        for (;;) {
            auto has_work = [&] {
                return stopping_ || !requests_.empty() || reset_requested_ || watch_events_ != seen_events;
            };
            if (retry_at_) {
                cv_.wait_until(lock, *retry_at_, has_work);
            } else {
                cv_.wait(lock, has_work);
            }
            if (stopping_) break;
            const bool events = watch_events_ != seen_events;
            seen_events = watch_events_;
            const bool do_reset = std::exchange(reset_requested_, false);
            std::optional<Request> request;
            if (!requests_.empty()) {
                request = std::move(requests_.front());
                requests_.pop_front();
            }
            lock.unlock();

            const bool retry_due = retry_at_ && Clock::now() >= *retry_at_;
            if (retry_due) retry_at_.reset();
            if (events && card_) check_card();
            if (settle_until_ && card_ && Clock::now() >= *settle_until_) announce_settled();
            if (!card_ && (events || retry_due)) connect();
            if (do_reset) reset_card();
            if (request) exchange(std::move(*request));

            lock.lock();
        }
        // Stopping: answer what is still queued, power the card down, let go of pcscd.
        auto left = std::move(requests_);
        lock.unlock();
        for (auto& r : left)
            post_result(std::move(r.done), TransmitResult{false, {}, "pcsc link stopped", true});
        if (card_) {
            LONG rv = SCardDisconnect(*card_, SCARD_UNPOWER_CARD);
            if (rv != SCARD_S_SUCCESS) log_error(LogLevel::Warning, "SCardDisconnect(UNPOWER)", rv);
            card_.reset();
        }
        release_context();
    }

    void schedule_retry() { retry_at_ = Clock::now() + connect_backoff_.next(); }

    // A card found by probe_stale_reader, once kProbeSettle passed: read its state afresh (pcscd
    // may have powered it up again meanwhile; a reset handle answers with a failure here and
    // the card is connected the ordinary way) and announce it.
    void announce_settled() {
        settle_until_.reset();
        // If pcscd powered the card up again meanwhile, the handle has lost its protocol: a
        // reconnect without reset negotiates it again (and costs nothing otherwise).
        DWORD active = 0;
        LONG rv = SCardReconnect(*card_, share_mode(), wanted_protocols(), SCARD_LEAVE_CARD, &active);
        if (rv != SCARD_S_SUCCESS) {
            handle_failure("SCardReconnect after the probe", rv);
            return;
        }
        CardInfo info;
        rv = read_status(info);
        if (rv != SCARD_S_SUCCESS) {
            handle_failure("SCardStatus after the probe", rv);
            return;
        }
        log(LogLevel::Info,
            "card in '" + info.reader + "', " + info.protocol + ", ATR " + cat::to_hex(info.atr));
        post_ready(std::move(info));
    }

    void release_context() {
        if (!context_) return;
        SCardReleaseContext(*context_);  // fails harmlessly when pcscd already died
        context_.reset();
    }

    bool ensure_context() {
        if (context_) return true;
        SCARDCONTEXT ctx = 0;
        LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
        if (rv != SCARD_S_SUCCESS) {
            // First failure of a streak at error level, the retries quietly.
            log_error(context_failures_++ == 0 ? LogLevel::Error : LogLevel::Debug,
                      "SCardEstablishContext (is pcscd running?)", rv);
            if (context_failures_ == 1)
                post_warning("pcscd unreachable: " + pcsc_error_text(rv) + "; retrying");
            schedule_retry();
            return false;
        }
        if (context_failures_ > 0) log(LogLevel::Info, "pcscd reachable again");
        context_failures_ = 0;
        context_ = ctx;
        return true;
    }

    // Losing pcscd: the handle and context are dead; a new context comes with back-off.
    void lose_service(const std::string& what, LONG code) {
        log_error(LogLevel::Error, what, code);
        bool had_card = card_.has_value() && !settle_until_;  // the daemon knew of it
        settle_until_.reset();
        card_.reset();
        release_context();
        if (had_card) post_gone("pcscd gone (" + what + ": " + pcsc_error_text(code) + ")");
        schedule_retry();
    }

    // Losing the card: let go of the handle, tell the daemon, and look again at once (a reset
    // by someone else, or a quick swap, leaves a card to connect to).
    // `pcscd_noticed`: the loss came from a state change pcscd reported (its view is fresh),
    // not from a failed exchange or reset.
    void lose_card(const std::string& what, LONG code, bool pcscd_noticed) {
        log_error(LogLevel::Warning, what, code);
        if (card_) {
            SCardDisconnect(*card_, SCARD_LEAVE_CARD);
            card_.reset();
            if (!settle_until_) post_gone("card removed (" + what + ": " + pcsc_error_text(code) + ")");
        }
        settle_until_.reset();
        // pcscd's own view may now be stale (see probe_stale_reader): allow a few probes.
        stale_probes_left_ = pcscd_noticed ? 0 : kStaleProbes;
        // A card that fails before a single exchange succeeded is one pcscd still lists but
        // that is gone (vpcd and real readers notice a removal only at their next poll):
        // connecting again at once would spin connect → fail → connect until then. Back off.
        if (!exchanged_since_connect_) {
            schedule_retry();
            return;
        }
        connect();
    }

    void handle_failure(const std::string& what, LONG code, bool pcscd_noticed = false) {
        if (service_lost(code)) {
            lose_service(what, code);
        } else if (card_lost(code)) {
            lose_card(what, code, pcscd_noticed);
        } else {
            log_error(LogLevel::Warning, what, code);  // e.g. a malformed command: the card stays
        }
    }

    // The watch thread saw a change: is our handle still good?
    void check_card() {
        CardInfo info;
        LONG rv = read_status(info);
        if (rv != SCARD_S_SUCCESS) handle_failure("SCardStatus", rv, true);
    }

    LONG read_status(CardInfo& info) {
        char reader[512];
        DWORD reader_len = sizeof reader;
        DWORD state = 0;
        DWORD protocol = 0;
        std::uint8_t atr[MAX_ATR_SIZE];
        DWORD atr_len = sizeof atr;
        LONG rv = SCardStatus(*card_, reader, &reader_len, &state, &protocol, atr, &atr_len);
        if (rv != SCARD_S_SUCCESS) return rv;
        info.link = "pcsc";
        info.reader.assign(reader, reader_len > 0 ? reader_len - 1 : 0);
        info.protocol = protocol == SCARD_PROTOCOL_T1 ? "T=1" : protocol == SCARD_PROTOCOL_T0 ? "T=0" : "?";
        info.atr.assign(atr, atr + atr_len);
        protocol_ = protocol;
        return rv;
    }

    std::vector<std::string> list_readers(LONG& rv) {
        DWORD len = 0;
        rv = SCardListReaders(*context_, nullptr, nullptr, &len);
        if (rv != SCARD_S_SUCCESS) return {};
        std::string buf(len, '\0');
        rv = SCardListReaders(*context_, nullptr, buf.data(), &len);
        if (rv != SCARD_S_SUCCESS) return {};
        return split_multistring(buf.data(), len);
    }

    void connect() {
        if (!ensure_context()) return;
        LONG rv = SCARD_S_SUCCESS;
        auto readers = list_readers(rv);
        if (rv == SCARD_E_NO_READERS_AVAILABLE) {
            log(LogLevel::Debug, "no reader yet; waiting for one");
            return;  // the watch thread's PnP notification brings us back
        }
        if (rv != SCARD_S_SUCCESS) {
            if (service_lost(rv)) {
                lose_service("SCardListReaders", rv);
            } else {
                log_error(LogLevel::Warning, "SCardListReaders", rv);
                schedule_retry();
            }
            return;
        }
        bool transient = false;
        bool probed = false;
        bool found_by_probe = false;
        for (const auto& reader : readers) {
            if (!reader_matches(reader)) continue;
            SCARDHANDLE handle = 0;
            DWORD active = 0;  // read back with SCardStatus below
            rv = SCardConnect(*context_, reader.c_str(), share_mode(), wanted_protocols(), &handle, &active);
            if (rv == SCARD_E_NO_SMARTCARD && stale_probes_left_ > 0) {
                probed = true;
                if (probe_stale_reader(reader, handle)) {
                    rv = SCARD_S_SUCCESS;
                    found_by_probe = true;
                }
            }
            if (rv == SCARD_E_NO_SMARTCARD) continue;
            if (rv != SCARD_S_SUCCESS) {
                if (service_lost(rv)) {
                    lose_service("SCardConnect", rv);
                    return;
                }
                log_error(LogLevel::Warning, "SCardConnect(" + reader + ")", rv);
                if (rv == SCARD_E_SHARING_VIOLATION) {
                    post_warning("reader '" + reader + "': card held by another application; retrying");
                    transient = true;
                } else if (rv == SCARD_E_PROTO_MISMATCH) {
                    post_warning("reader '" + reader + "': card does not offer the configured protocol");
                } else if (rv == SCARD_E_NOT_READY || rv == SCARD_F_UNKNOWN_ERROR ||
                           rv == SCARD_W_REMOVED_CARD || rv == SCARD_W_UNPOWERED_CARD) {
                    // Removed / unpowered at connect: a card swapped while pcscd powered it up
                    // (pcscd then keeps it "present, unpowered" and reports no further change
                    // until the next insertion). Try again with back-off.
                    transient = true;
                }
                continue;  // mute / unsupported cards wait for the next insertion
            }
            card_ = handle;
            CardInfo info;
            rv = read_status(info);
            if (rv != SCARD_S_SUCCESS) {
                // Not handle_failure(): that reconnects, and we are the reconnect.
                log_error(LogLevel::Warning, "SCardStatus after SCardConnect", rv);
                SCardDisconnect(handle, SCARD_LEAVE_CARD);
                card_.reset();
                if (service_lost(rv)) {
                    release_context();
                }
                schedule_retry();
                return;
            }
            exchanged_since_connect_ = false;  // the back-off is reset by the first exchange
            retry_at_.reset();
            stale_probes_left_ = 0;
            if (found_by_probe) {
                // The probe may have beaten pcscd's own detection of a card just inserted:
                // pcscd then powers it up once more within its poll period, which would cut
                // a CAT session short. Announce the card only once that has had time to pass.
                settle_until_ = Clock::now() + kProbeSettle;
                retry_at_ = settle_until_;  // wakes the card thread
                log(LogLevel::Debug,
                    "card found by a probe: announced after " + std::to_string(kProbeSettle.count()) + " ms");
                return;
            }
            log(LogLevel::Info,
                "card in '" + info.reader + "', " + info.protocol + ", ATR " + cat::to_hex(info.atr));
            post_ready(std::move(info));
            return;
        }
        if (probed) {
            --stale_probes_left_;
            transient = true;
        }
        if (transient) schedule_retry();
    }

    // pcscd can list a reader as empty while a card is in it: when a reset (SCardReconnect)
    // fails because the card was being swapped at that moment, pcscd marks the reader absent,
    // but its event thread, which polls the reader, saw "present" before and "present" after
    // (the new card) and so never corrects the state nor reports a change. Every SCardConnect
    // then answers SCARD_E_NO_SMARTCARD until the card is physically removed again (seen with
    // vpcd: a card process killed and a new one connected within one poll). A direct
    // connection (no card needed) followed by a reset makes pcscd power the card and take its
    // ATR afresh. Tried only after a card was lost through a failure, a few times with
    // back-off (kStaleProbes): a reader that is really empty answers the reset with
    // SCARD_E_NO_SMARTCARD and is left alone.
    bool probe_stale_reader(const std::string& reader, SCARDHANDLE& handle) {
        SCARDHANDLE direct = 0;
        DWORD active = 0;
        LONG rv = SCardConnect(*context_, reader.c_str(), SCARD_SHARE_DIRECT, 0, &direct, &active);
        if (rv != SCARD_S_SUCCESS) {
            log_error(LogLevel::Debug, "probe: SCardConnect(DIRECT, " + reader + ")", rv);
            return false;
        }
        rv = SCardReconnect(direct, share_mode(), wanted_protocols(), SCARD_RESET_CARD, &active);
        if (rv != SCARD_S_SUCCESS) {
            log_error(LogLevel::Debug, "probe: SCardReconnect(RESET, " + reader + ")", rv);
            SCardDisconnect(direct, SCARD_LEAVE_CARD);
            return false;
        }
        log(LogLevel::Info, "reader '" + reader + "': pcscd listed it as empty, a reset found a card");
        handle = direct;
        return true;
    }

    void reset_card() {
        if (!card_ || settle_until_) {  // a probed card is announced (card_ready) once settled
            log(LogLevel::Warning, "reset requested without a card; card_ready follows when one shows up");
            return;
        }
        DWORD active = 0;
        LONG rv = SCardReconnect(*card_, share_mode(), wanted_protocols(), SCARD_RESET_CARD, &active);
        if (rv != SCARD_S_SUCCESS) {
            handle_failure("SCardReconnect(RESET)", rv);
            return;
        }
        CardInfo info;
        rv = read_status(info);
        if (rv != SCARD_S_SUCCESS) {
            handle_failure("SCardStatus", rv);
            return;
        }
        log(LogLevel::Info, "card reset, " + info.protocol + ", ATR " + cat::to_hex(info.atr));
        post_ready(std::move(info));
    }

    void exchange(Request request) {
        // A card found by a probe and not yet announced is not the daemon's card yet: a
        // transmit still queued from before (for the card that was lost) must not reach it.
        if (!card_ || settle_until_) {
            post_result(std::move(request.done), TransmitResult{false, {}, "no card", true});
            return;
        }
        const SCARD_IO_REQUEST* pci = protocol_ == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
        DWORD len = static_cast<DWORD>(receive_.size());
        LONG rv = SCardTransmit(*card_, pci, request.command.data(),
                                static_cast<DWORD>(request.command.size()), nullptr, receive_.data(), &len);
        TransmitResult result;
        if (rv == SCARD_S_SUCCESS && len >= 2) {
            if (!exchanged_since_connect_) connect_backoff_.reset();
            exchanged_since_connect_ = true;
            result.ok = true;
            result.response.assign(receive_.begin(), receive_.begin() + static_cast<std::ptrdiff_t>(len));
            post_result(std::move(request.done), std::move(result));
            return;
        }
        if (rv == SCARD_S_SUCCESS) {
            result.error = "SCardTransmit: response of " + std::to_string(len) + " bytes (no status word)";
            log(LogLevel::Warning, result.error);
            post_result(std::move(request.done), std::move(result));
            return;
        }
        result.error = "SCardTransmit: " + pcsc_error_text(rv);
        result.card_gone = service_lost(rv) || card_lost(rv);
        post_result(std::move(request.done), std::move(result));
        handle_failure("SCardTransmit", rv);
    }

    // ---- watch thread ---------------------------------------------------------------------

    void bump_events() {
        std::lock_guard lock(mutex_);
        ++watch_events_;
        cv_.notify_all();
    }

    // Sleeps `d` unless stop() comes first; returns false when stopping.
    bool watch_sleep(std::chrono::milliseconds d) {
        std::unique_lock lock(mutex_);
        return !cv_.wait_for(lock, d, [this] { return stopping_; });
    }

    bool watch_stopping() {
        std::lock_guard lock(mutex_);
        return stopping_;
    }

    void set_watch_context(std::optional<SCARDCONTEXT> ctx) {
        std::lock_guard lock(mutex_);
        watch_context_ = ctx;
    }

    void watch_main() {
        Backoff backoff(options_.retry_min, options_.retry_max);
        std::optional<SCARDCONTEXT> ctx;
        std::vector<std::string> names;  // owns the strings `states` point at
        std::vector<SCARD_READERSTATE> states;
        bool relist = true;
        int failures = 0;

        auto drop_context = [&](const std::string& what, LONG rv) {
            log_error(failures++ == 0 ? LogLevel::Error : LogLevel::Debug, what, rv);
            set_watch_context(std::nullopt);
            if (ctx) SCardReleaseContext(*ctx);
            ctx.reset();
            relist = true;
            bump_events();  // the card thread checks its handle (and sees pcscd gone)
        };

        while (!watch_stopping()) {
            if (!ctx) {
                SCARDCONTEXT c = 0;
                LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &c);
                if (rv != SCARD_S_SUCCESS) {
                    // The watch thread is the one that waits for pcscd (the card thread only
                    // tries when told something changed): say so once per outage.
                    if (failures++ == 0) {
                        log_error(LogLevel::Warning, "SCardEstablishContext (is pcscd running?)", rv);
                        post_warning("pcscd unreachable (" + pcsc_error_text(rv) + "); waiting for it");
                    }
                    if (!watch_sleep(backoff.next())) break;
                    continue;
                }
                ctx = c;
                set_watch_context(c);
                backoff.reset();
                failures = 0;
                relist = true;
            }
            if (relist) {
                names.clear();
                DWORD len = 0;
                LONG rv = SCardListReaders(*ctx, nullptr, nullptr, &len);
                std::string buf;
                if (rv == SCARD_S_SUCCESS) {
                    buf.assign(len, '\0');
                    rv = SCardListReaders(*ctx, nullptr, buf.data(), &len);
                }
                if (rv == SCARD_S_SUCCESS) {
                    for (auto& n : split_multistring(buf.data(), len))
                        if (reader_matches(n)) names.push_back(std::move(n));
                } else if (rv != SCARD_E_NO_READERS_AVAILABLE) {
                    drop_context("watch: SCardListReaders", rv);
                    if (!watch_sleep(backoff.next())) break;
                    continue;
                }
                names.emplace_back(kPnpReader);
                states.assign(names.size(), SCARD_READERSTATE{});
                for (std::size_t i = 0; i < names.size(); ++i) {
                    states[i].szReader = names[i].c_str();
                    states[i].dwCurrentState = SCARD_STATE_UNAWARE;
                }
                relist = false;
            }
            LONG rv = SCardGetStatusChange(*ctx, INFINITE, states.data(), static_cast<DWORD>(states.size()));
            if (rv == SCARD_E_CANCELLED || rv == SCARD_E_TIMEOUT) continue;
            if (rv == SCARD_E_UNKNOWN_READER) {  // a reader went between list and wait
                relist = true;
                continue;
            }
            if (rv != SCARD_S_SUCCESS) {
                drop_context("watch: SCardGetStatusChange", rv);
                if (!watch_sleep(backoff.next())) break;
                continue;
            }
            bool changed = false;
            for (std::size_t i = 0; i < states.size(); ++i) {
                auto& s = states[i];
                if (!(s.dwEventState & SCARD_STATE_CHANGED)) continue;
                changed = true;
                const bool pnp = i + 1 == states.size();
                if (pnp || (s.dwEventState & SCARD_STATE_UNKNOWN)) relist = true;
                if (!pnp)
                    log(LogLevel::Debug, "reader '" + names[i] + "': " + state_text(s.dwEventState & 0xFFFF));
                s.dwCurrentState = s.dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
            }
            if (relist) log(LogLevel::Info, "reader list changed");
            if (changed) {
                bump_events();
            } else if (!watch_sleep(options_.retry_min)) {  // never spin on a no-op wake-up
                break;
            }
        }
        set_watch_context(std::nullopt);
        if (ctx) SCardReleaseContext(*ctx);
        std::lock_guard lock(mutex_);
        watch_done_ = true;
        cv_.notify_all();
    }

    boost::asio::io_context& io_;
    const PcscOptions options_;
    Callbacks callbacks_;
    std::shared_ptr<std::atomic<bool>> alive_;

    // Shared between threads, under mutex_.
    std::mutex mutex_;
    std::condition_variable cv_;
    bool started_ = false;
    bool stopping_ = false;
    bool reset_requested_ = false;
    bool watch_done_ = false;
    std::uint64_t watch_events_ = 0;
    std::deque<Request> requests_;
    std::optional<SCARDCONTEXT> watch_context_;

    // Card thread only.
    std::optional<SCARDCONTEXT> context_;
    std::optional<SCARDHANDLE> card_;
    DWORD protocol_ = 0;
    cat::Bytes receive_;
    Backoff connect_backoff_;
    std::optional<Clock::time_point> retry_at_;
    bool exchanged_since_connect_ = false;  // an SCardTransmit succeeded on this handle
    int context_failures_ = 0;
    int stale_probes_left_ = 0;                      // see probe_stale_reader
    std::optional<Clock::time_point> settle_until_;  // a probed card not yet announced

    std::thread card_thread_;
    std::thread watch_thread_;
};

}  // namespace

std::string pcsc_error_text(long code) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08X", static_cast<unsigned>(static_cast<std::uint32_t>(code)));
    return std::string(scard_name(static_cast<LONG>(code))) + " (" + hex +
           "): " + pcsc_stringify_error(static_cast<LONG>(code));
}

std::unique_ptr<CardLink> make_pcsc_link(boost::asio::io_context& io, PcscOptions options) {
    return std::make_unique<PcscLink>(io, std::move(options));
}

}  // namespace dmsc::gateway
