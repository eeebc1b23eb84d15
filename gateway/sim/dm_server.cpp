// gateway/sim/dm_server.cpp — the simulated DM_SC Server's DM 2.0 session state machine.
#include "gateway/sim/dm_server.hpp"

#include <algorithm>
#include <cctype>

namespace dmsc::gateway::sim {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string join(const dm::Command& c) {
    std::string s;
    for (const auto& p : c) s += (s.empty() ? "" : " ") + p;
    return s;
}

}  // namespace

const std::string* DmHttpRequest::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (iequals(k, name)) return &v;
    }
    return nullptr;
}

DmServer::DmServer(DmServerSettings settings) : settings_(std::move(settings)) {}

void DmServer::reset() {
    outcome_ = {};
    state_ = State::Idle;
    sent_.clear();
}

DmHttpResponse DmServer::reject(int status, std::string why) {
    outcome_.problems.push_back(why);
    outcome_.log.push_back("rejected (" + std::to_string(status) + "): " + why);
    return {status, "text/plain; charset=utf-8", why + "\n"};
}

DmHttpResponse DmServer::handle(const DmHttpRequest& rq) {
    if (rq.path != settings_.path) return {404, "text/plain; charset=utf-8", "no such resource\n"};
    if (rq.method != "POST")
        return {405, "text/plain; charset=utf-8", "a DM session is POST (seed 004 5.2.2)\n"};
    // 5.2.2 / 5.2.4: both client packages carry OMADM-DevID.
    const std::string* dev_id = rq.header(dm::kDevIdHeader);
    if (dev_id == nullptr || dev_id->empty()) {
        return reject(400, "no OMADM-DevID header (seed 004 5.2.2 / 5.2.4: it MUST be present)");
    }
    const std::string* ct = rq.header("Content-Type");
    const std::string type = ct ? dm::media_type(*ct) : std::string();
    if (type == dm::kPackage1Type) return on_package1(rq, *dev_id);
    if (type == dm::kPackage3Type || type == "multipart/form-data") return on_package3(rq, *dev_id);
    return reject(415, "Content-Type \"" + (ct ? *ct : std::string()) + "\": expected " +
                           std::string(dm::kPackage1Type) + " (Package#1) or " +
                           std::string(dm::kPackage3Type) + " / multipart/form-data (Package#3)");
}

DmHttpResponse DmServer::on_package1(const DmHttpRequest& rq, const std::string& dev_id) {
    if (state_ != State::Idle) {
        // A new Package#1 starts a new session.
        const auto problems = outcome_.problems;
        reset();
        outcome_.log.push_back("a new Package#1: the previous session is abandoned");
        outcome_.problems = problems;
    }
    dm::ProtocolError error;
    auto p1 = dm::decode_package1(rq.body, error);
    if (!p1) return reject(400, error.message);
    if (!p1->server_initiated) {
        return reject(400, "Package#1: no Generic Alert " + std::string(dm::kServerInitiatedMgmt) +
                               " (5.2.2: a session started by a DM Notification carries one)");
    }
    if (settings_.expect_notification_id && p1->notification_id != settings_.expect_notification_id) {
        return reject(400, "Package#1: NOTIFICATION-ID " + std::to_string(*p1->notification_id) +
                               ", the Package#0 carried " +
                               std::to_string(*settings_.expect_notification_id));
    }
    outcome_.package1 = true;
    outcome_.dev_id = dev_id;
    outcome_.notification_id = p1->notification_id;
    outcome_.log.push_back("Package#1 from " + dev_id + ", NOTIFICATION-ID " +
                           std::to_string(*p1->notification_id) +
                           (rq.psk_identity.empty() ? "" : ", PSK identity " + rq.psk_identity));
    sent_.clear();
    for (const auto& uri : settings_.get_uris) sent_.push_back({"GET", uri});
    if (sent_.empty()) sent_.push_back({"END"});
    state_ = sent_.back()[0] == "END" ? State::Ended : State::AwaitPackage3;
    if (state_ == State::Ended) outcome_.ended = true;
    ++outcome_.package2_sent;
    std::string cmds;
    for (const auto& c : sent_) cmds += (cmds.empty() ? "" : ", ") + join(c);
    outcome_.log.push_back("Package#2: " + cmds);
    return {200, std::string(dm::kPackage2Type), dm::encode_package2(sent_)};
}

DmHttpResponse DmServer::on_package3(const DmHttpRequest& rq, const std::string& dev_id) {
    if (state_ != State::AwaitPackage3) {
        return reject(400, state_ == State::Ended ? "Package#3 after END (5.3.9: the session is over)"
                                                  : "Package#3 before any Package#1");
    }
    if (dev_id != outcome_.dev_id) {
        return reject(
            400, "Package#3: OMADM-DevID \"" + dev_id + "\", the Package#1 said \"" + outcome_.dev_id + "\"");
    }
    const std::string* ct = rq.header("Content-Type");
    dm::ProtocolError error;
    auto p3 = dm::decode_package3(ct ? *ct : std::string(), rq.body, error);
    if (!p3) return reject(400, error.message);
    // 7.2.1.3: one status per command of the Package#2, in order.
    if (p3->statuses.size() != sent_.size()) {
        return reject(400, "Package#3: " + std::to_string(p3->statuses.size()) + " status codes for " +
                               std::to_string(sent_.size()) + " commands");
    }
    outcome_.statuses.clear();
    for (std::size_t i = 0; i < sent_.size(); ++i) {
        const int sc = p3->statuses[i].sc;
        outcome_.statuses.push_back(sc);
        if (sent_[i][0] != "GET") continue;
        if (sc != 200)
            return reject(400, "Package#3: GET " + sent_[i][1] + " answered " + std::to_string(sc));
        // Appendix F: the data of the GET at index i is the part named "i".
        auto part = std::find_if(p3->data.begin(), p3->data.end(),
                                 [&](const dm::DataPart& d) { return d.index == i; });
        if (part == p3->data.end()) {
            return reject(400, "Package#3: no multipart data named \"" + std::to_string(i) + "\" for GET " +
                                   sent_[i][1]);
        }
        if (sent_[i][1] == dm::kDevInfoUri || sent_[i][1] == "urn:oma:mo:oma-dm-devinfo:1.2//") {
            if (dm::media_type(part->content_type) != dm::kMoType) {
                return reject(400, "Package#3: DevInfo data is \"" + part->content_type + "\", expected " +
                                       std::string(dm::kMoType));
            }
            auto leaves = dm::devinfo_leaves(part->body, error);
            if (!leaves) return reject(400, "Package#3: " + error.message);
            for (const auto& want : settings_.required_leaves) {
                if (!leaves->count(want))
                    return reject(400, "Package#3: DevInfo without " + want + " (seed 004 12.1)");
            }
            if (leaves->at("DevID") != dev_id) {
                return reject(400, "Package#3: DevInfo/DevID \"" + leaves->at("DevID") +
                                       "\" is not the OMADM-DevID \"" + dev_id + "\"");
            }
            outcome_.devinfo = *leaves;
        }
    }
    outcome_.package3 = true;
    std::string codes;
    for (int sc : outcome_.statuses) codes += (codes.empty() ? "" : ", ") + std::to_string(sc);
    std::string leaves;
    for (const auto& [k, v] : outcome_.devinfo) leaves += (leaves.empty() ? "" : ", ") + k + "=" + v;
    outcome_.log.push_back("Package#3: status " + codes + (leaves.empty() ? "" : "; DevInfo " + leaves));
    sent_ = {{"END"}};
    state_ = State::Ended;
    outcome_.ended = true;
    ++outcome_.package2_sent;
    outcome_.log.push_back("Package#2: END");
    return {200, std::string(dm::kPackage2Type), dm::encode_package2(sent_)};
}

}  // namespace dmsc::gateway::sim
