// tests/gateway/sim_pcsc_check.cpp — a tiny PC/SC client for the vpcd virtual card: waits for
// the card in the "Virtual PCD" reader, runs the default scenario's terminal side with
// cat::Session through real pcscd (TERMINAL PROFILE, SET UP EVENT LIST, Terminal Applications,
// OPEN CHANNEL, SEND DATA, CLOSE CHANNEL), then measures STATUS round trips per second.
// usage: sim-pcsc-check [N_STATUS]   (exit 0 ok, 1 failure, 77 no reader)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
#include <winscard.h>

#include "cat/apdu.hpp"
#include "cat/envelope.hpp"
#include "cat/profile.hpp"
#include "cat/response.hpp"
#include "cat/session.hpp"
#include "cat/text.hpp"

namespace {

using namespace dmsc;

bool transmit(SCARDHANDLE card, DWORD protocol, const cat::Bytes& cmd, cat::Bytes& out) {
    const SCARD_IO_REQUEST* pci = protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
    unsigned char buf[264];
    DWORD len = sizeof buf;
    const LONG rv = SCardTransmit(card, pci, cmd.data(), static_cast<DWORD>(cmd.size()), nullptr, buf, &len);
    if (rv != SCARD_S_SUCCESS) {
        std::fprintf(stderr, "SCardTransmit: %s\n", pcsc_stringify_error(rv));
        return false;
    }
    out.assign(buf, buf + len);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    const long n_status = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 10000;
    SCARDCONTEXT ctx;
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx) != SCARD_S_SUCCESS) {
        std::fprintf(stderr, "no pcscd\n");
        return 77;
    }
    std::string reader;
    SCARDHANDLE card = 0;
    DWORD protocol = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (true) {
        char names[1024];
        DWORD size = sizeof names;
        bool connected = false;
        // vpcd's config gives several readers (ports 35963, 35964 ...): the first holding a card.
        if (SCardListReaders(ctx, nullptr, names, &size) == SCARD_S_SUCCESS) {
            for (const char* p = names; *p && !connected; p += std::string(p).size() + 1) {
                if (std::string(p).find("Virtual PCD") == std::string::npos) continue;
                if (SCardConnect(ctx, p, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card,
                                 &protocol) == SCARD_S_SUCCESS) {
                    reader = p;
                    connected = true;
                }
            }
        }
        if (connected) break;
        if (std::chrono::steady_clock::now() > deadline) {
            std::fprintf(stderr, "no card in a \"Virtual PCD\" reader\n");
            return 77;
        }
        SCardGetStatusChange(ctx, 200, nullptr, 0);  // a short wait
    }
    std::printf("connected to \"%s\", protocol %s\n", reader.c_str(),
                protocol == SCARD_PROTOCOL_T1 ? "T=1" : "T=0");

    cat::TerminalFeatures f;
    f.events = {cat::EventType::DataAvailable, cat::EventType::ChannelStatus};
    cat::Session session(cat::SessionConfig{.terminal_profile = cat::build_terminal_profile(f)});
    std::vector<std::string> seen;
    auto ok = [&](const cat::ProactiveCommand& c) -> cat::HandlerReply {
        seen.emplace_back(cat::name_of(c.type()));
        return cat::make_response(c.details, cat::GeneralResult::Success);
    };
    session.set_handler(cat::CommandType::SetUpEventList, ok);
    session.set_handler(cat::CommandType::CloseChannel, ok);
    session.set_handler(
        cat::CommandType::OpenChannel, [&](const cat::ProactiveCommand& c) -> cat::HandlerReply {
            seen.emplace_back("OPEN CHANNEL");
            return cat::open_channel_response(c.details, cat::GeneralResult::Success,
                                              cat::ChannelStatus::client(1, true), std::nullopt,
                                              std::get<cat::OpenChannel>(c.body).buffer_size);
        });
    session.set_handler(cat::CommandType::SendData, [&](const cat::ProactiveCommand& c) -> cat::HandlerReply {
        seen.emplace_back("SEND DATA " + cat::to_hex(std::get<cat::SendData>(c.body).data));
        return cat::send_data_response(c.details, 0xFF);
    });
    session.power_on();
    auto pump = [&]() -> bool {
        const auto now = cat::SessionClock::now();
        while (auto apdu = session.next_apdu(now)) {
            cat::Bytes r;
            if (!transmit(card, protocol, apdu->encode(), r)) return false;
            auto parsed = cat::ResponseApdu::parse(r);
            if (!parsed) return false;
            session.on_response(*parsed, now);
        }
        for (const auto& e : session.take_events()) std::printf("  %s\n", cat::describe(e).c_str());
        return true;
    };
    if (!pump()) return 1;
    cat::RegistryApplicationData app;
    app.port = 1100;
    (void)cat::utf8_to_gsm7_unpacked("DM Client", app.name);
    for (const auto& env : cat::terminal_applications({app})) session.queue_envelope(cat::encode(env), 1);
    if (!pump()) return 1;
    for (const auto& s : seen) std::printf("handled: %s\n", s.c_str());
    const bool flow_ok = seen.size() == 4;

    const cat::Bytes status = cat::status(cat::ClassMode::Uicc).encode();
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n_status; ++i) {
        cat::Bytes r;
        if (!transmit(card, protocol, status, r)) return 1;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%ld STATUS in %.3f s: %.0f APDU/s\n", n_status, secs, static_cast<double>(n_status) / secs);
    SCardDisconnect(card, SCARD_LEAVE_CARD);
    SCardReleaseContext(ctx);
    return flow_ok ? 0 : 1;
}
