// tests/gateway/test_dm_server.cpp — the simulated DM_SC Server's DM 2.0 session (Package#1 →
// #2 → #3 → END) and the protocol pieces the demo DM Client uses (gateway/dm_protocol): JSON
// shapes checked with a JSON parser against seed 004 7.2.1, multipart Package#3 (Appendix F),
// the DevInfo GET (12.1, 7.2.1.4), and every way a package can be refused.
#include <doctest/doctest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "gateway/dm_protocol.hpp"
#include "gateway/sim/dm_server.hpp"

using namespace dmsc::gateway;
using nlohmann::json;

namespace {

const std::string kDevId = "IMEI:493005100592800";

sim::DmHttpRequest post(const std::string& content_type, const std::string& body,
                        const std::string& dev_id = kDevId) {
    sim::DmHttpRequest rq;
    rq.method = "POST";
    rq.path = "/OMA/DM";
    rq.headers = {{"Content-Type", content_type}, {"Accept", std::string(dm::kPackage2Type)}};
    if (!dev_id.empty()) rq.headers.push_back({"OMADM-DevID", dev_id});
    rq.body = body;
    return rq;
}

sim::DmHttpRequest package1(std::uint32_t id) {
    dm::Package1 p;
    p.notification_id = id;
    return post(std::string(dm::kPackage1Type), dm::encode_package1(p));
}

// What the demo DM Client does with a Package#2: run each GET on its tree, answer Package#3.
sim::DmHttpRequest answer(const std::string& package2_body, const dm::DevInfo& tree = {}) {
    dm::ProtocolError e;
    auto cmds = dm::decode_package2(package2_body, e);
    REQUIRE_MESSAGE(cmds, e.message);
    std::vector<dm::Status> statuses;
    std::vector<dm::DataPart> data;
    for (std::size_t i = 0; i < cmds->size(); ++i) {
        REQUIRE((*cmds)[i][0] == "GET");
        auto r = dm::get(tree, (*cmds)[i][1], i);
        statuses.push_back({r.sc, {}});
        if (r.data) data.push_back(*r.data);
    }
    auto body = dm::encode_package3(statuses, data);
    return post(body.content_type, body.body, tree.dev_id);
}

}  // namespace

TEST_CASE("DM session: Package#1 -> Package#2 GET DevInfo -> Package#3 -> Package#2 END") {
    sim::DmServerSettings settings;
    settings.expect_notification_id = 7;
    sim::DmServer server(settings);

    const auto rq1 = package1(7);
    // Package#1 as sent: a JSON object whose Alert carries the ServerInitiatedMgmt Generic Alert.
    const json p1 = json::parse(rq1.body);
    REQUIRE(p1["Alert"].is_array());
    CHECK(p1["Alert"][0]["AlertType"] == "urn:oma:at:dm:2.0:ServerInitiatedMgmt");
    CHECK(p1["Alert"][0]["Data"]["NOTIFICATION-ID"] == 7);
    CHECK(p1["Alert"][0].contains("DataType"));  // 7.2.1.5: present when Data is

    auto r2 = server.handle(rq1);
    REQUIRE(r2.status == 200);
    CHECK(r2.content_type == "application/vnd.oma.dm.request+json");
    const json p2 = json::parse(r2.body);
    CHECK(p2 == json::parse(R"({"CMD": [["GET", "urn:oma:mo:oma-dm-devinfo:1.0//"]]})"));
    CHECK(server.outcome().package1);
    CHECK(server.outcome().dev_id == kDevId);
    CHECK(server.outcome().notification_id == 7u);
    CHECK_FALSE(server.outcome().ended);

    const auto rq3 = answer(r2.body);
    CHECK(rq3.header("content-type")->rfind("multipart/form-data; boundary=", 0) == 0);
    auto r4 = server.handle(rq3);
    REQUIRE_MESSAGE(r4.status == 200, r4.body);
    CHECK(json::parse(r4.body) == json::parse(R"({"CMD": [["END"]]})"));
    const auto& o = server.outcome();
    CHECK(o.package3);
    CHECK(o.ended);
    CHECK(o.package2_sent == 2);
    CHECK(o.statuses == std::vector<int>{200});
    CHECK(o.devinfo.at("DevID") == kDevId);
    CHECK(o.devinfo.at("Man") == "dmsc-gateway");
    CHECK(o.devinfo.at("DmV") == "2.0");
    CHECK(o.devinfo.at("Lang") == "en");
    CHECK(o.problems.empty());
    CHECK(o.ok());
    REQUIRE(o.log.size() == 4);
    CHECK(o.log[0] == "Package#1 from IMEI:493005100592800, NOTIFICATION-ID 7");
    CHECK(o.log[1] == "Package#2: GET urn:oma:mo:oma-dm-devinfo:1.0//");
    CHECK(o.log[3] == "Package#2: END");

    // After END a Package#3 is refused (5.3.9).
    auto late = server.handle(rq3);
    CHECK(late.status == 400);
    CHECK(late.body.find("after END") != std::string::npos);
    CHECK_FALSE(server.outcome().ok());
}

TEST_CASE("DM server accepts a Package#1 written by hand, Data as a number, and a plain Package#3") {
    sim::DmServerSettings settings;
    settings.get_uris = {"urn:oma:mo:oma-dm-devinfo:1.0//DevID"};
    sim::DmServer server(settings);
    auto r2 = server.handle(post("application/vnd.oma.dm.initiation+json; charset=utf-8",
                                 R"({"Alert": [{"AlertType": "urn:oma:at:dm:2.0:ServerInitiatedMgmt",
                                      "DataType": "int", "Data": 513}]})"));
    REQUIRE_MESSAGE(r2.status == 200, r2.body);
    CHECK(server.outcome().notification_id == 513u);
    // Appendix F example style: bare status numbers, one leaf as text/plain.
    const std::string body =
        "--simple_boundary\r\n"
        "Content-Disposition: form-data\r\n"
        "Content-Type: application/vnd.oma.dm.response+json\r\n\r\n"
        "{\"Status\": [200]}\r\n"
        "--simple_boundary\r\n"
        "Content-Disposition: form-data; name=\"0\"\r\n"
        "Content-Type: text/plain\r\n\r\n" +
        kDevId +
        "\r\n"
        "--simple_boundary--\r\n";
    auto r4 = server.handle(post("multipart/form-data; boundary=simple_boundary", body));
    CHECK_MESSAGE(r4.status == 200, r4.body);
    CHECK(server.outcome().ok());
}

TEST_CASE("DM server refuses packages that do not follow seed 004, saying why") {
    struct Case {
        const char* name;
        std::function<sim::DmHttpResponse(sim::DmServer&)> run;
        int status;
        const char* why;
    };
    const std::vector<Case> cases = {
        {"no OMADM-DevID",
         [](sim::DmServer& s) { return s.handle(post(std::string(dm::kPackage1Type), "{}", "")); }, 400,
         "no OMADM-DevID header"},
        {"wrong content type", [](sim::DmServer& s) { return s.handle(post("application/json", "{}")); }, 415,
         "Content-Type \"application/json\""},
        {"not JSON", [](sim::DmServer& s) { return s.handle(post(std::string(dm::kPackage1Type), "{")); },
         400, "Package#1: the body is not JSON"},
        {"no Alert", [](sim::DmServer& s) { return s.handle(post(std::string(dm::kPackage1Type), "{}")); },
         400, "no \"Alert\" array"},
        {"client initiated",
         [](sim::DmServer& s) {
             dm::Package1 p;
             p.client_initiated = true;
             return s.handle(post(std::string(dm::kPackage1Type), dm::encode_package1(p)));
         },
         400, "no Generic Alert urn:oma:at:dm:2.0:ServerInitiatedMgmt"},
        {"alert without id",
         [](sim::DmServer& s) {
             return s.handle(post(std::string(dm::kPackage1Type),
                                  R"({"Alert":[{"AlertType":"urn:oma:at:dm:2.0:ServerInitiatedMgmt"}]})"));
         },
         400, "without a NOTIFICATION-ID"},
        {"another notification id", [](sim::DmServer& s) { return s.handle(package1(8)); }, 400,
         "NOTIFICATION-ID 8, the Package#0 carried 7"},
        {"Package#3 first",
         [](sim::DmServer& s) {
             return s.handle(post(std::string(dm::kPackage3Type), R"({"Status":[200]})"));
         },
         400, "Package#3 before any Package#1"},
        {"status count",
         [](sim::DmServer& s) {
             REQUIRE(s.handle(package1(7)).status == 200);
             return s.handle(post(std::string(dm::kPackage3Type), R"({"Status":[200, 200]})"));
         },
         400, "2 status codes for 1 commands"},
        {"GET answered 404",
         [](sim::DmServer& s) {
             REQUIRE(s.handle(package1(7)).status == 200);
             return s.handle(post(std::string(dm::kPackage3Type), R"({"Status":[{"sc":404}]})"));
         },
         400, "answered 404"},
        {"GET data missing",
         [](sim::DmServer& s) {
             REQUIRE(s.handle(package1(7)).status == 200);
             return s.handle(post(std::string(dm::kPackage3Type), R"({"Status":[{"sc":200}]})"));
         },
         400, "no multipart data named \"0\""},
        {"DevID mismatch",
         [](sim::DmServer& s) {
             auto r2 = s.handle(package1(7));
             dm::DevInfo other;
             other.dev_id = "IMEI:000000000000000";
             auto rq = answer(r2.body, other);
             rq.headers.back().second = kDevId;  // the header says otherwise
             return s.handle(rq);
         },
         400, "is not the OMADM-DevID"},
        {"DevID header changes",
         [](sim::DmServer& s) {
             auto r2 = s.handle(package1(7));
             dm::DevInfo other;
             other.dev_id = "IMEI:111111111111111";
             return s.handle(answer(r2.body, other));
         },
         400, "the Package#1 said"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        sim::DmServerSettings settings;
        settings.expect_notification_id = 7;
        sim::DmServer server(settings);
        const auto r = c.run(server);
        CHECK(r.status == c.status);
        CHECK_MESSAGE(r.body.find(c.why) != std::string::npos, r.body);
        REQUIRE_FALSE(server.outcome().problems.empty());
        CHECK(server.outcome().problems.back().find(c.why) != std::string::npos);
        CHECK_FALSE(server.outcome().ok());
    }
    sim::DmServer server;
    sim::DmHttpRequest get;
    get.method = "GET";
    get.path = "/OMA/DM";
    CHECK(server.handle(get).status == 405);
    get.path = "/other";
    CHECK(server.handle(get).status == 404);
}

TEST_CASE("dm_protocol: the seed's Package#2 and Package#3 examples decode") {
    dm::ProtocolError e;
    // Seed 004 7.2.1.2.
    auto cmds = dm::decode_package2(R"({
    "CMD": [
        ["HPOST", "https://DMcontent.DMserver.operator.com/[DevID]",
        "urn:oma:mo:oma-dm-devinfo:1.0//", "urn:oma:mo:oma-sessioninfomo:1.0//"],
        ["HGET", "https://DMcontent.DMserver.operator.com/new_mo"],
        ["GET", "urn:oma:mo:oma-sessioninfomo:1.0//CBT"]
    ]})",
                                    e);
    REQUIRE_MESSAGE(cmds, e.message);
    REQUIRE(cmds->size() == 3);
    CHECK((*cmds)[0].size() == 4);
    CHECK((*cmds)[2] == dm::Command{"GET", "urn:oma:mo:oma-sessioninfomo:1.0//CBT"});
    // Seed 004 7.2.1.3 (the Status part).
    auto p3 = dm::decode_package3("application/vnd.oma.dm.response+json", R"({"Status": [
          {"sc": 200},
          {"sc": 200, "URI": ["urn:oma:mo:oma-mo:1.0/miid1/", "urn:oma:mo:oma-mo:1.0/miid2/"]},
          {"sc": 200}]})",
                                  e);
    REQUIRE_MESSAGE(p3, e.message);
    REQUIRE(p3->statuses.size() == 3);
    CHECK(p3->statuses[1].uris.size() == 2);
    CHECK_FALSE(dm::decode_package2(R"({"CMD": [[1]]})", e));
    CHECK(e.message == "Package#2: CMD[0][0] is not a string");
    CHECK_FALSE(dm::decode_package2(R"({"cmd": []})", e));
    CHECK(e.message == "Package#2: no \"CMD\" array (7.2.1.2: it is required)");
}

TEST_CASE("dm_protocol: DevInfo GETs, multipart round trip, boundaries") {
    const dm::DevInfo tree;
    auto whole = dm::get(tree, "urn:oma:mo:oma-dm-devinfo:1.0//", 0);
    REQUIRE(whole.sc == 200);
    const json mo = json::parse(whole.data->body);
    CHECK(mo[0]["ClientURI"] == "urn:oma:mo:oma-dm-devinfo:1.0//");
    CHECK(mo[0]["MOData"]["DevInfo"]["DevID"] == tree.dev_id);
    CHECK(mo[0]["MOData"]["DevInfo"]["Mod"] == tree.mod);
    auto leaf = dm::get(tree, "urn:oma:mo:oma-dm-devinfo:1.2//Lang", 3);
    REQUIRE(leaf.sc == 200);
    CHECK(leaf.data->index == 3);
    CHECK(json::parse(leaf.data->body)[0]["MOData"] == json{{"Lang", "en"}});
    CHECK(dm::get(tree, "urn:oma:mo:oma-dm-devinfo:1.0//FwV", 0).sc == 404);
    CHECK(dm::get(tree, "urn:oma:mo:oma-scomo:1.0//", 0).sc == 404);
    CHECK(dm::get(tree, "urn:oma:mo:oma-dm-devinfo:1.0/other/", 0).sc == 404);

    auto body = dm::encode_package3({{200, {}}, {404, {}}}, {*whole.data});
    dm::ProtocolError e;
    auto p3 = dm::decode_package3(body.content_type, body.body, e);
    REQUIRE_MESSAGE(p3, e.message);
    CHECK(p3->statuses.size() == 2);
    CHECK(p3->statuses[1].sc == 404);
    REQUIRE(p3->data.size() == 1);
    CHECK(p3->data[0].index == 0);
    CHECK(p3->data[0].body == whole.data->body);
    auto plain = dm::encode_package3({{404, {}}}, {});
    CHECK(plain.content_type == "application/vnd.oma.dm.response+json");

    CHECK(dm::boundary_of("multipart/form-data; boundary=\"a b\"") == "a b");
    CHECK(dm::boundary_of("multipart/form-data;charset=x; Boundary=xyz") == "xyz");
    CHECK_FALSE(dm::boundary_of("multipart/form-data"));
    CHECK_FALSE(dm::parse_multipart("--b\r\nContent-Type: x\r\n\r\nno end", "b", e));
    CHECK(e.message == "multipart: no closing boundary \"--b--\"");
    CHECK_FALSE(dm::decode_package3("multipart/form-data; boundary=b",
                                    "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", e));
    CHECK(e.message == "Package#3: the first part is not application/vnd.oma.dm.response+json");
}
