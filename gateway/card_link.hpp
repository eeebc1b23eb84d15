// gateway/card_link.hpp — how the daemon talks to a card: one interface, three backends
// (PC/SC-Lite, USB ICCD over libusb, the simulated UICC). A link moves APDUs and reports
// presence; it never interprets CAT (that is cat::Session's job).
//
// Threading contract: every callback and every TransmitHandler runs on the io_context thread
// the link was made with. A link that blocks (SCardTransmit, libusb sync calls) does so on its
// own card thread and posts results back. At most one transmit() is outstanding at a time
// (the daemon guarantees it: the card is strictly sequential).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cat/bytes.hpp"

namespace dmsc::gateway {

struct CardInfo {
    std::string link;      // "pcsc", "iccd", "sim"
    std::string reader;    // reader name / USB path / scenario name
    std::string protocol;  // "T=0", "T=1", "sim"
    cat::Bytes atr;
};

// Outcome of one APDU exchange: the R-APDU (data + SW1 SW2), or why there is none.
struct TransmitResult {
    bool ok = false;
    cat::Bytes response;     // when ok: data + SW1 SW2 (at least 2 bytes)
    std::string error;       // when !ok: "card removed", "SCardTransmit: 0x80100016 ..." ...
    bool card_gone = false;  // the error means the card (or reader) is no longer usable
};

class CardLink {
public:
    struct Callbacks {
        // A card is powered and ready (first start, re-insertion, reconnect after a pcscd
        // restart, reset): the daemon starts a new card session (TERMINAL PROFILE first).
        std::function<void(const CardInfo&)> card_ready;
        // The card went away (removed, reader unplugged, pcscd gone). `reason` is for logs.
        std::function<void(const std::string& reason)> card_gone;
        // Something the operator should see that does not change card state.
        std::function<void(const std::string& message)> warning;
    };
    using TransmitHandler = std::function<void(TransmitResult)>;

    virtual ~CardLink() = default;
    // Begins watching for a card; returns at once. A missing reader or card is not an error:
    // the link waits and calls card_ready when one shows up.
    virtual void start(Callbacks callbacks) = 0;
    // Sends one C-APDU. `done` is always called exactly once (also when stopping).
    virtual void transmit(cat::Bytes command, TransmitHandler done) = 0;
    // Warm reset of the card (used after REFRESH UICC reset); card_ready follows.
    virtual void reset() = 0;
    // Powers the card down and stops watching; blocks until the card thread has ended.
    virtual void stop() = 0;
    virtual std::string name() const = 0;  // "pcsc", "iccd", "sim"
};

}  // namespace dmsc::gateway
