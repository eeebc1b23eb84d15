// tests/e2e/iccd_link_check.cpp — the ICCD card link (real libusb code) against whatever USB
// device the environment offers; under umockdev-run (tests/e2e/test_iccd_umockdev.py) that is
// an emulated CCID UICC whose URBs are scripted. Waits for card_ready, prints the ATR, sends
// the APDU given as argv[1] (hex), prints the R-APDU, stops. Exit 0 when both worked.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "cat/bytes.hpp"
#include "gateway/iccd_link.hpp"

int main(int argc, char** argv) {
    using namespace dmsc;
    if (argc < 2) {
        std::cerr << "usage: iccd-link-check APDU_HEX [card.usb]\n";
        return 2;
    }
    boost::asio::io_context io;
    auto guard = boost::asio::make_work_guard(io);
    gateway::IccdOptions o;
    if (argc > 2) o.usb = argv[2];
    o.log = [](const std::string& m) { std::cout << "info " << m << std::endl; };
    auto link = gateway::make_iccd_link(io, o);
    bool ready = false, answered = false, ok = false;
    gateway::CardLink::Callbacks cb;
    cb.card_ready = [&](const gateway::CardInfo& info) {
        ready = true;
        std::cout << "ready " << info.protocol << " ATR " << cat::to_hex(info.atr) << std::endl;
        cat::Bytes apdu;
        cat::from_hex(argv[1], apdu);
        link->transmit(apdu, [&](gateway::TransmitResult r) {
            answered = true;
            ok = r.ok;
            std::cout << (r.ok ? "response " + cat::to_hex(r.response) : "error " + r.error) << std::endl;
        });
    };
    cb.card_gone = [](const std::string& why) { std::cout << "gone " << why << std::endl; };
    cb.warning = [](const std::string& m) { std::cout << "warning " << m << std::endl; };
    link->start(cb);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!answered && std::chrono::steady_clock::now() < deadline) io.run_one_until(deadline);
    link->stop();
    std::cout << (ready ? "" : "no card_ready\n") << (answered ? "" : "no answer\n") << std::flush;
    return ready && answered && ok ? 0 : 1;
}
