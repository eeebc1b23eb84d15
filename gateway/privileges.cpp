// gateway/privileges.cpp — account lookup and the setgroups/setgid/setuid sequence, with the
// capabilities the EEM/TAP side may keep (raw capset: no libcap dependency).
#include "gateway/privileges.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace dmsc::gateway {

namespace {

std::string errno_text(int e) {
    return std::strerror(e);
}

int capget_raw(__user_cap_header_struct* header, __user_cap_data_struct* data) {
    return static_cast<int>(::syscall(SYS_capget, header, data));
}
int capset_raw(__user_cap_header_struct* header, const __user_cap_data_struct* data) {
    return static_cast<int>(::syscall(SYS_capset, header, data));
}

// Effective and permitted = `caps`, inheritable empty.
void set_capabilities(const std::vector<int>& caps) {
    __user_cap_header_struct header{};
    header.version = _LINUX_CAPABILITY_VERSION_3;
    header.pid = 0;
    __user_cap_data_struct data[2]{};
    for (const int cap : caps) {
        const auto word = static_cast<std::size_t>(cap / 32);
        const std::uint32_t bit = 1U << (cap % 32);
        data[word].effective |= bit;
        data[word].permitted |= bit;
    }
    if (capset_raw(&header, data) != 0) {
        throw std::runtime_error("capset: " + errno_text(errno));
    }
}

ConfigError account_error(const Config& config, const std::string& key, const std::string& message) {
    return ConfigError{config.path.empty() ? std::string("(built-in defaults)") : config.path, 0, 0, key,
                       message};
}

}  // namespace

std::optional<int> capability_number(const std::string& name) {
    if (name == "CAP_NET_ADMIN") return CAP_NET_ADMIN;
    if (name == "CAP_NET_BIND_SERVICE") return CAP_NET_BIND_SERVICE;
    return std::nullopt;
}

std::uint64_t effective_capabilities() {
    __user_cap_header_struct header{};
    header.version = _LINUX_CAPABILITY_VERSION_3;
    __user_cap_data_struct data[2]{};
    if (capget_raw(&header, data) != 0) return 0;
    return static_cast<std::uint64_t>(data[0].effective) |
           (static_cast<std::uint64_t>(data[1].effective) << 32);
}

std::optional<RunAs> resolve_run_as(const Config& config) {
    const DaemonConfig& d = config.daemon;
    if (d.user.empty()) return std::nullopt;
    RunAs r;
    r.user = d.user;
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    int rc = ::getpwnam_r(d.user.c_str(), &pw, buf.data(), buf.size(), &found);
    if (rc != 0 || found == nullptr) {
        throw ConfigException({account_error(config, "daemon.user",
                                             "no user \"" + d.user + "\" on this system" +
                                                 (rc != 0 ? " (" + errno_text(rc) + ")" : "") +
                                                 "; create it (e.g. systemd-sysusers, or useradd --system " +
                                                 d.user + ") or change daemon.user")});
    }
    r.uid = found->pw_uid;
    r.gid = found->pw_gid;
    if (!d.group.empty()) {
        std::vector<char> gbuf(16384);
        group gr{};
        group* gfound = nullptr;
        rc = ::getgrnam_r(d.group.c_str(), &gr, gbuf.data(), gbuf.size(), &gfound);
        if (rc != 0 || gfound == nullptr) {
            throw ConfigException({account_error(config, "daemon.group",
                                                 "no group \"" + d.group + "\" on this system" +
                                                     "; create it (groupadd --system " + d.group +
                                                     ") or change daemon.group")});
        }
        r.gid = gfound->gr_gid;
        r.group = d.group;
    } else {
        std::vector<char> gbuf(16384);
        group gr{};
        group* gfound = nullptr;
        rc = ::getgrgid_r(r.gid, &gr, gbuf.data(), gbuf.size(), &gfound);
        r.group = (rc == 0 && gfound != nullptr) ? std::string(gfound->gr_name) : std::to_string(r.gid);
    }
    if (r.uid == 0) {
        throw ConfigException({account_error(config, "daemon.user",
                                             "\"" + d.user +
                                                 "\" has uid 0: that is not a privilege drop; give an "
                                                 "unprivileged user or remove daemon.user")});
    }
    // Supplementary groups: the target group plus the user's memberships (initgroups-style),
    // so e.g. a "plugdev" membership given to the user keeps working.
    int n = 32;
    std::vector<gid_t> groups(static_cast<std::size_t>(n));
    while (::getgrouplist(d.user.c_str(), r.gid, groups.data(), &n) < 0) {
        groups.resize(static_cast<std::size_t>(n) + 16);
        n = static_cast<int>(groups.size());
    }
    groups.resize(static_cast<std::size_t>(n));
    if (std::find(groups.begin(), groups.end(), r.gid) == groups.end()) groups.insert(groups.begin(), r.gid);
    // Never carry root's group along.
    groups.erase(std::remove(groups.begin(), groups.end(), gid_t{0}), groups.end());
    if (r.gid == 0) {
        throw ConfigException(
            {account_error(config, d.group.empty() ? "daemon.user" : "daemon.group",
                           "the group would be root's (gid 0); choose an unprivileged group")});
    }
    r.groups = std::move(groups);
    for (const auto& name : d.keep_capabilities) {
        if (auto cap = capability_number(name)) r.keep_capabilities.push_back(*cap);
    }
    return r;
}

DropPlan plan_drop(const RunAs& run_as) {
    const uid_t euid = ::geteuid();
    if (euid == 0) return DropPlan::Switch;
    if (euid == run_as.uid && ::getuid() == run_as.uid) return DropPlan::AlreadyThere;
    throw std::runtime_error("daemon.user = \"" + run_as.user + "\" (uid " + std::to_string(run_as.uid) +
                             ") but dmsc-gatewayd was started as uid " + std::to_string(euid) +
                             ", not root: it cannot switch; start it as root or as that user");
}

void drop_privileges(const RunAs& run_as) {
    const bool keep = !run_as.keep_capabilities.empty();
    if (::setgroups(run_as.groups.size(), run_as.groups.data()) != 0) {
        throw std::runtime_error("setgroups: " + errno_text(errno));
    }
    if (::setresgid(run_as.gid, run_as.gid, run_as.gid) != 0) {
        throw std::runtime_error("setresgid(" + std::to_string(run_as.gid) + "): " + errno_text(errno));
    }
    if (keep && ::prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0) {
        throw std::runtime_error("prctl(PR_SET_KEEPCAPS): " + errno_text(errno));
    }
    if (::setresuid(run_as.uid, run_as.uid, run_as.uid) != 0) {
        throw std::runtime_error("setresuid(" + std::to_string(run_as.uid) + "): " + errno_text(errno));
    }
    if (keep) {
        // After setuid with KEEPCAPS the permitted set is kept and the effective one cleared:
        // keep only the configured ones, effective at once.
        set_capabilities(run_as.keep_capabilities);
        (void)::prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
    }
    // Ambient capabilities would survive exec into launched applications: none.
    (void)::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L);

    // Prove it: root must be out of reach now.
    if (::setuid(0) == 0 || ::seteuid(0) == 0) {
        throw std::runtime_error("privilege drop failed: the process could become root again");
    }
    if (::setgid(0) == 0 || ::setegid(0) == 0) {
        throw std::runtime_error("privilege drop failed: the process could take group root again");
    }
    uid_t ru = 0, eu = 0, su = 0;
    gid_t rg = 0, eg = 0, sg = 0;
    if (::getresuid(&ru, &eu, &su) != 0 || ::getresgid(&rg, &eg, &sg) != 0 || ru != run_as.uid ||
        eu != run_as.uid || su != run_as.uid || rg != run_as.gid || eg != run_as.gid || sg != run_as.gid) {
        throw std::runtime_error("privilege drop failed: real/effective/saved ids are not all the target's");
    }
    std::uint64_t allowed = 0;
    for (const int cap : run_as.keep_capabilities) allowed |= std::uint64_t{1} << cap;
    if ((effective_capabilities() & ~allowed) != 0) {
        throw std::runtime_error("privilege drop failed: capabilities other than the kept ones remain");
    }
}

}  // namespace dmsc::gateway
