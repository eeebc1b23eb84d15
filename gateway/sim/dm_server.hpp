// gateway/sim/dm_server.hpp — the simulated DM_SC Server's side of an OMA DM 2.0 session (seed
// 004 5.2, 7.2.1; seed 000 section 7.1 steps 3-4) for POST /OMA/DM on the card's SCWS:
// Package#1 (initiation + Generic Alert ServerInitiatedMgmt with the NOTIFICATION-ID) →
// Package#2 (GET on the DevInfo MO) → Package#3 (statuses + the DevInfo data) → Package#2
// (END). Pure: HTTP requests in, HTTP responses out, the outcome recorded for tests and the
// demo's verdict. docs/dm-demo.md.
//
// The SCWS (gateway/sim/scws.hpp) has its own HttpRequest/HttpResponse; the two small structs
// here keep this class independent of it. Hooking it up is one route:
//     scws->route("POST", "/OMA/DM", [&dm](const sim::HttpRequest& rq) { ... dm.handle(...) ... });
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/dm_protocol.hpp"

namespace dmsc::gateway::sim {

struct DmHttpRequest {
    std::string method;                                        // "POST"
    std::string path;                                          // "/OMA/DM"
    std::vector<std::pair<std::string, std::string>> headers;  // names as sent
    std::string body;
    std::string psk_identity;                                // of the TLS session, "" for plain HTTP
    const std::string* header(std::string_view name) const;  // case-insensitive, first match
};

struct DmHttpResponse {
    int status = 200;
    std::string content_type;
    std::string body;
};

struct DmServerSettings {
    std::string path = "/OMA/DM";
    // The NOTIFICATION-ID the Package#0 carried; nullopt: any (a DM 1.2 trigger has none).
    std::optional<std::uint32_t> expect_notification_id;
    // The GETs of the first Package#2 (seed 004 Appendix I.1 style); END follows the Package#3.
    std::vector<std::string> get_uris = {std::string(dm::kDevInfoUri)};
    // DevInfo leaves a DevInfo GET must return (seed 004 12.1, required nodes the demo has).
    std::vector<std::string> required_leaves = {"DevID", "Man", "Mod", "DmV", "Lang"};
};

// What happened, for tests and the demo's verdict.
struct DmSessionOutcome {
    bool package1 = false;  // a valid Package#1 arrived
    std::string dev_id;     // its OMADM-DevID
    std::optional<std::uint32_t> notification_id;
    std::size_t package2_sent = 0;               // Package#2 responses (the GET one, then the END one)
    bool package3 = false;                       // a valid Package#3 with every expected result arrived
    std::vector<int> statuses;                   // of the Package#3
    std::map<std::string, std::string> devinfo;  // the leaves the GET returned
    bool ended = false;                          // the Package#2 with END was sent
    std::vector<std::string> problems;           // each rejected request, why
    std::vector<std::string> log;                // one line per step, in order
    bool ok() const { return package1 && package3 && ended && problems.empty(); }
};

class DmServer {
public:
    explicit DmServer(DmServerSettings settings = {});

    // One HTTP request on the SCWS. Wrong method/path: 404/405; a package that does not
    // follow seed 004: 400 (or 415 for the wrong Content-Type) with the reason in the body,
    // recorded in outcome().problems.
    DmHttpResponse handle(const DmHttpRequest& request);

    const DmSessionOutcome& outcome() const { return outcome_; }
    const DmServerSettings& settings() const { return settings_; }
    // Forget the session (a new Package#1 also starts a new one).
    void reset();

private:
    enum class State : std::uint8_t { Idle, AwaitPackage3, Ended };
    DmHttpResponse reject(int status, std::string why);
    DmHttpResponse on_package1(const DmHttpRequest& rq, const std::string& dev_id);
    DmHttpResponse on_package3(const DmHttpRequest& rq, const std::string& dev_id);

    DmServerSettings settings_;
    DmSessionOutcome outcome_;
    State state_ = State::Idle;
    std::vector<dm::Command> sent_;  // the last Package#2's commands
};

}  // namespace dmsc::gateway::sim
