// tests/fuzz/fuzz_session.cpp — cat::Session fed arbitrary card answers: the input is a run of
// length-prefixed R-APDUs (one length byte, then data + SW1 SW2). Whatever the card says, the
// session must keep producing encodable APDUs, never answer a command twice, and never send
// more TERMINAL RESPONSEs than it fetched proactive commands.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <variant>

#include "cat/response.hpp"
#include "cat/session.hpp"

using namespace dmsc::cat;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    SessionConfig cfg;
    cfg.terminal_profile = {0x01, 0x00, 0xE8};
    cfg.max_queued_envelopes = 4;
    Session s(cfg);
    bool pending_open = false;
    std::uint8_t pending_number = 0;
    s.set_handler(CommandType::MoreTime, [](const ProactiveCommand& c) -> HandlerReply {
        return make_response(c.details, GeneralResult::Success);
    });
    s.set_handler(CommandType::OpenChannel, [&](const ProactiveCommand& c) -> HandlerReply {
        pending_open = true;
        pending_number = c.details.number;
        return Pending{};
    });
    s.power_on();
    s.queue_envelope({0xD6, 0x07, 0x99, 0x01, 0x04, 0x82, 0x02, 0x82, 0x81}, 1);

    TimePoint now{};
    std::size_t fetched = 0, answered = 0, pos = 0;
    for (int step = 0; step < 200; ++step) {
        auto apdu = s.next_apdu(now);
        if (!apdu) {
            if (pending_open) {
                pending_open = false;
                CommandDetails d{pending_number, 0x40, 0x01};
                (void)s.complete(pending_number, make_response(d, GeneralResult::Success));
                continue;
            }
            auto deadline = s.next_deadline();
            if (!deadline) break;
            now = *deadline;
            s.on_tick(now);
            continue;
        }
        if (apdu->encode().empty()) std::abort();  // the session built an APDU it cannot send
        if (pos >= size) break;
        const std::size_t n = std::min<std::size_t>(data[pos], size - pos - 1);
        auto r = ResponseApdu::parse(ByteView(data + pos + 1, n));
        pos += 1 + n;
        if (!r) {
            s.card_removed();
            s.power_on();
            continue;
        }
        s.on_response(*r, now);
        now += std::chrono::milliseconds(10);
        for (auto& ev : s.take_events()) {
            if (std::holds_alternative<ProactiveCommandReceived>(ev)) ++fetched;
            if (std::holds_alternative<TerminalResponseSent>(ev)) ++answered;
        }
        if (answered > fetched) std::abort();
    }
    return 0;
}
