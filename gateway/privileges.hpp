// gateway/privileges.hpp — the privilege drop of dmsc-gatewayd ([daemon] user / group /
// keep_capabilities, docs/operations.md): resolve the account, then setgroups → setgid →
// setuid once everything that needs root is open, and prove root cannot be regained.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "gateway/config.hpp"

namespace dmsc::gateway {

// The account the daemon switches to.
struct RunAs {
    std::string user;
    std::string group;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // supplementary groups: `gid` plus the user's groups in the group database
    std::vector<int> keep_capabilities;  // CAP_* numbers
};

// Resolves [daemon]. nullopt when daemon.user is "" (no switch). Throws ConfigException
// naming daemon.user / daemon.group when an account does not exist.
std::optional<RunAs> resolve_run_as(const Config& config);

// What to do at start-up: switch (started as root), nothing (already running as the user,
// e.g. systemd User=), or refuse (started as another unprivileged user).
enum class DropPlan { Switch, AlreadyThere };
// Throws std::runtime_error when the process is neither root nor already `run_as`.
DropPlan plan_drop(const RunAs& run_as);

// setgroups(run_as.groups), setgid, setuid (capabilities in keep_capabilities survive via
// PR_SET_KEEPCAPS + capset; every other one is gone), then checks that setuid(0) and
// setgid(0) fail and that the real, effective and saved ids are all the target's. Throws
// std::runtime_error naming the failed step; the caller must then exit (the process may be
// half-switched).
void drop_privileges(const RunAs& run_as);

// CAP_NET_ADMIN → 12 ...; nullopt for names the gateway does not keep.
std::optional<int> capability_number(const std::string& name);

// The process's effective capability set (bit n = capability n), from capget.
std::uint64_t effective_capabilities();

}  // namespace dmsc::gateway
