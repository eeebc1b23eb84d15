// tests/gateway/test_config_daemon.cpp — [daemon] (user, group, keep_capabilities) and the
// debug socket caps (debug.max_clients, debug.max_line_bytes): defaults, values read, every
// mistake named by key; the account lookup of the privilege drop (resolve_run_as).
#include <doctest/doctest.h>

#include <grp.h>
#include <pwd.h>
#include <string>
#include <unistd.h>

#include "gateway/config.hpp"
#include "gateway/privileges.hpp"

namespace {

using namespace dmsc::gateway;

std::string errors_of(const ConfigResult& r) {
    std::string out;
    for (const auto& e : r.errors) out += e.to_string() + "\n";
    return out;
}

// Exactly one error, on `key`, containing `what`.
void check_one_error(std::string_view text, std::string_view key, std::string_view what) {
    const ConfigResult r = parse_config(text, "cfg.toml");
    INFO(errors_of(r));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].key == key);
    CHECK(r.errors[0].to_string().find(what) != std::string::npos);
}

}  // namespace

TEST_CASE("Config [daemon]: defaults keep the identity; debug caps default to 16 clients, 64 KiB") {
    const ConfigResult r = parse_config("", "cfg.toml");
    REQUIRE(r.ok());
    CHECK(r.config->daemon.user.empty());
    CHECK(r.config->daemon.group.empty());
    CHECK(r.config->daemon.keep_capabilities.empty());
    CHECK(r.config->debug.max_clients == 16);
    CHECK(r.config->debug.max_line_bytes == 65536);
    CHECK_FALSE(resolve_run_as(*r.config).has_value());
}

TEST_CASE("Config [daemon]: every key is read and printed back by to_toml") {
    const ConfigResult r = parse_config(R"(
[daemon]
user = "dmsc-gateway"
group = "dmsc.ops_1"
keep_capabilities = ["CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN"]
[debug]
max_clients = 3
max_line_bytes = 4096
)",
                                        "cfg.toml");
    INFO(errors_of(r));
    REQUIRE(r.ok());
    CHECK(r.config->daemon.user == "dmsc-gateway");
    CHECK(r.config->daemon.group == "dmsc.ops_1");
    CHECK(r.config->daemon.keep_capabilities ==
          std::vector<std::string>{"CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"});
    CHECK(r.config->debug.max_clients == 3);
    CHECK(r.config->debug.max_line_bytes == 4096);
    const std::string printed = to_toml(*r.config);
    CHECK(printed.find("[daemon]\nuser = \"dmsc-gateway\"\ngroup = \"dmsc.ops_1\"\n"
                       "keep_capabilities = [\"CAP_NET_ADMIN\", \"CAP_NET_BIND_SERVICE\"]\n") !=
          std::string::npos);
    CHECK(printed.find("max_clients = 3\nmax_line_bytes = 4096\n") != std::string::npos);
    // The printout is itself a valid configuration with the same meaning.
    const ConfigResult again = parse_config(printed, "cfg.toml");
    INFO(errors_of(again));
    REQUIRE(again.ok());
    CHECK(again.config->daemon == r.config->daemon);
    CHECK(again.config->debug == r.config->debug);
}

TEST_CASE("Config [daemon]: mistakes name the key") {
    check_one_error("[daemon]\nuser = 1000\n", "daemon.user", "expected a string");
    check_one_error("[daemon]\nuser = \"-rf\"\n", "daemon.user", "not a valid user name");
    check_one_error("[daemon]\nuser = \"a b\"\n", "daemon.user", "not a valid user name");
    check_one_error("[daemon]\nuser = \"x\"\ngroup = \"\"\"a/b\"\"\"\n", "daemon.group",
                    "not a valid group name");
    check_one_error("[daemon]\ngroup = \"dialout\"\n", "daemon.group", "needs daemon.user");
    check_one_error("[daemon]\nuser = \"x\"\nkeep_capabilities = \"CAP_NET_ADMIN\"\n",
                    "daemon.keep_capabilities", "expected an array of strings");
    check_one_error("[daemon]\nuser = \"x\"\nkeep_capabilities = [\"CAP_SYS_ADMIN\"]\n",
                    "daemon.keep_capabilities", "\"CAP_NET_ADMIN\" or \"CAP_NET_BIND_SERVICE\"");
    check_one_error("[daemon]\nkeep_capabilities = [\"CAP_NET_ADMIN\"]\n", "daemon.keep_capabilities",
                    "only meaningful with daemon.user");
    check_one_error("[daemon]\nusr = \"x\"\n", "daemon.usr", "did you mean \"user\"");
    check_one_error("[debug]\nmax_clients = 0\n", "debug.max_clients", "out of range; use 1..1024");
    check_one_error("[debug]\nmax_line_bytes = 100\n", "debug.max_line_bytes", "out of range");
    check_one_error("daemon = 3\n", "daemon", "expected a table");
}

TEST_CASE("Privilege drop: accounts are resolved, missing ones are configuration errors") {
    ConfigResult r = parse_config("[daemon]\nuser = \"dmsc-no-such-user-xyz\"\n", "/etc/x/gateway.toml");
    REQUIRE(r.ok());
    try {
        (void)resolve_run_as(*r.config);
        FAIL("a missing user must throw");
    } catch (const ConfigException& e) {
        REQUIRE(e.errors().size() == 1);
        CHECK(e.errors()[0].key == "daemon.user");
        CHECK(e.errors()[0].to_string().find("no user \"dmsc-no-such-user-xyz\"") != std::string::npos);
    }
    r = parse_config("[daemon]\nuser = \"root\"\n", "cfg.toml");
    REQUIRE(r.ok());
    CHECK_THROWS_WITH_AS(resolve_run_as(*r.config), doctest::Contains("uid 0"), ConfigException);

    // "nobody" exists on every Debian system: uid, primary group, no root group carried along.
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr) return;
    r = parse_config("[daemon]\nuser = \"nobody\"\nkeep_capabilities = [\"CAP_NET_ADMIN\"]\n", "cfg.toml");
    REQUIRE(r.ok());
    const auto run_as = resolve_run_as(*r.config);
    REQUIRE(run_as.has_value());
    CHECK(run_as->uid == nobody->pw_uid);
    CHECK(run_as->gid == nobody->pw_gid);
    CHECK(run_as->groups.front() == nobody->pw_gid);
    for (const gid_t g : run_as->groups) CHECK(g != 0);
    CHECK(run_as->keep_capabilities == std::vector<int>{12});  // CAP_NET_ADMIN
    r = parse_config("[daemon]\nuser = \"nobody\"\ngroup = \"dmsc-no-such-group-xyz\"\n", "cfg.toml");
    REQUIRE(r.ok());
    CHECK_THROWS_WITH_AS(resolve_run_as(*r.config), doctest::Contains("no group"), ConfigException);
    // Started as someone else than root or the target: refused with the reason.
    if (::geteuid() == 0) CHECK(plan_drop(*run_as) == DropPlan::Switch);
}
