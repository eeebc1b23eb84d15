// gateway/sd_notify.hpp — the systemd readiness protocol without libsystemd: one datagram of
// "KEY=VALUE" lines to $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace).
// Used by dmsc-gatewayd for Type=notify (docs/operations.md).
#pragma once

#include <string>
#include <string_view>

namespace dmsc::gateway {

// Sends `state` (e.g. "READY=1\nSTATUS=waiting for a card"). Returns false and says why in
// `why` when NOTIFY_SOCKET is unset ("" why), malformed or the send fails; never throws.
bool sd_notify_send(std::string_view state, std::string* why = nullptr);

}  // namespace dmsc::gateway
