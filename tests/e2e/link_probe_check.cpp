// tests/e2e/link_probe_check.cpp — card.link = "auto" as the daemon decides it at start-up
// (gateway/usb_probe.hpp: one libusb enumeration, then choose_link), run under umockdev-run by
// test_link_auto_umockdev.py. usage: link-probe-check [CARD_USB]; prints "link NAME" and
// "reason ...", exit 0 when a link was chosen.
#include <iostream>

#include "gateway/usb_probe.hpp"

int main(int argc, char** argv) {
    dmsc::gateway::Config config;
    config.card.link = dmsc::gateway::LinkKind::Auto;
    if (argc > 1) config.card.usb = argv[1];
    const auto choice = dmsc::gateway::resolve_card_link(config);
    std::cout << "link " << dmsc::gateway::name_of(choice.link) << "\nreason " << choice.reason << std::endl;
    return choice.ok ? 0 : 1;
}
