// gateway/pcsc_link.hpp — the PC/SC-Lite card link (card.link = "pcsc"): a card in any reader
// pcscd knows, watched for insertion/removal/reader unplug/pcscd restarts. See docs/pcsc.md.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "gateway/card_link.hpp"

namespace dmsc::gateway {

struct PcscOptions {
    enum class Protocol { Any, T0, T1 };
    enum class Share { Exclusive, Shared };
    enum class LogLevel { Debug, Info, Warning, Error };

    // Substring of the reader name; "" = the first reader that holds a card.
    std::string reader;
    // Any = whatever the ATR offers (pcscd picks, T=1 when the card offers both and the
    // reader supports it); T0/T1 = only that one (a card without it is reported, not used).
    Protocol protocol = Protocol::Any;
    // Exclusive by default: the gateway owns the proactive loop, and another client's FETCH,
    // SELECT or reset between our APDUs would break it. Shared lets diagnostic tools in.
    Share share = Share::Exclusive;
    // Back-off between attempts to reach pcscd (or a card held by someone else): doubles from
    // retry_min up to retry_max, reset after a success. Never a busy loop.
    std::chrono::milliseconds retry_min{100};
    std::chrono::milliseconds retry_max{2000};
    // Where the link's log lines go; called on the io_context thread. Empty = stderr.
    std::function<void(LogLevel, const std::string&)> log;
};

// Name and hex of a PC/SC result code, e.g. "SCARD_W_REMOVED_CARD (0x80100069): ...".
std::string pcsc_error_text(long code);

std::unique_ptr<CardLink> make_pcsc_link(boost::asio::io_context& io, PcscOptions options);

}  // namespace dmsc::gateway
