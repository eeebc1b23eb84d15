// gateway/dm_protocol.hpp — the OMA DM 2.0 session pieces both demo ends share (seed 004
// sections 5.2.2-5.2.4, 7.2.1, Appendix F): media types, Package#1 / #2 / #3 JSON, the
// multipart/form-data Package#3 that carries GET results, a small DevInfo tree. No I/O: the
// simulated DM_SC Server (gateway/sim/dm_server) and the demo DM Client (tools/demo_dm_client)
// do the transport. docs/dm-demo.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmsc::gateway::dm {

// Seed 004 7.2.1.1-7.2.1.4.
inline constexpr std::string_view kPackage1Type = "application/vnd.oma.dm.initiation+json";
inline constexpr std::string_view kPackage2Type = "application/vnd.oma.dm.request+json";
inline constexpr std::string_view kPackage3Type = "application/vnd.oma.dm.response+json";
inline constexpr std::string_view kMoType = "application/dmmo+json";
inline constexpr std::string_view kDevIdHeader = "OMADM-DevID";
// Appendix D.
inline constexpr std::string_view kServerInitiatedMgmt = "urn:oma:at:dm:2.0:ServerInitiatedMgmt";
inline constexpr std::string_view kClientInitiatedMgmt = "urn:oma:at:dm:2.0:ClientInitiatedMgmt";
// The DevInfo MO as the seed's examples address it (12.1 names version 1.2; both are accepted).
inline constexpr std::string_view kDevInfoMoid = "urn:oma:mo:oma-dm-devinfo:1.0";
inline constexpr std::string_view kDevInfoUri = "urn:oma:mo:oma-dm-devinfo:1.0//";

// A problem with a package: what and where ("Package#3: Status[1]: ...").
struct ProtocolError {
    std::string message;
};

// --- Package#1 (DM Client → DM Server) ----------------------------------------------------------
struct Package1 {
    std::optional<std::uint32_t> notification_id;  // Generic Alert ServerInitiatedMgmt with this id
    bool client_initiated = false;                 // Generic Alert ClientInitiatedMgmt instead
    std::vector<std::string> mos;                  // MOIDs for a "MOS" array (REQ-MOS)
};
// The JSON body. The NOTIFICATION-ID goes in the Generic Alert's Data as
// {"NOTIFICATION-ID": N} with DataType "application/json" (Appendix D names the content, not its
// shape; 7.2.1.5 says Data is an object).
std::string encode_package1(const Package1& p);
// Reads a Package#1 body back; accepts Data as that object, a number or a decimal string.
struct Package1Info {
    bool server_initiated = false;
    bool client_initiated = false;
    std::optional<std::uint32_t> notification_id;
    std::vector<std::string> mos;
    std::size_t alerts = 0;
};
std::optional<Package1Info> decode_package1(std::string_view body, ProtocolError& error);

// --- Package#2 (DM Server → DM Client): {"CMD": [["GET", "uri"], ["END"]]} ---------------------
using Command = std::vector<std::string>;  // command name, then its parameters in order
std::string encode_package2(const std::vector<Command>& commands);
std::optional<std::vector<Command>> decode_package2(std::string_view body, ProtocolError& error);

// --- Package#3 (DM Client → DM Server) -----------------------------------------------------------
struct Status {
    int sc = 0;
    std::vector<std::string> uris;
};
// One encapsulation of data for the GET command at `index` (Appendix F).
struct DataPart {
    std::size_t index = 0;
    std::string content_type;
    std::string body;
};
struct HttpBody {
    std::string content_type;
    std::string body;
};
// Appendix F: without data the Package#3 JSON alone (kPackage3Type); with data a
// multipart/form-data body whose first part is the Package#3 and then one part per GET.
HttpBody encode_package3(const std::vector<Status>& statuses, const std::vector<DataPart>& data,
                         std::string_view boundary = "dmsc-demo-boundary");
struct Package3Info {
    std::vector<Status> statuses;
    std::vector<DataPart> data;
};
// Status items may be {"sc": N, "URI": [...]} (the schema) or bare numbers (Appendix F example).
std::optional<Package3Info> decode_package3(std::string_view content_type, std::string_view body,
                                            ProtocolError& error);

// --- multipart/form-data (RFC 2046 / RFC 7578) ------------------------------------------------
struct Part {
    std::map<std::string, std::string> headers;  // lower-case names
    std::string name;                            // Content-Disposition name= (may be empty)
    std::string body;
};
std::optional<std::string> boundary_of(std::string_view content_type);
std::optional<std::vector<Part>> parse_multipart(std::string_view body, std::string_view boundary,
                                                 ProtocolError& error);
// The media type without parameters, lower case ("multipart/form-data").
std::string media_type(std::string_view content_type);

// --- the DevInfo tree of the demo DM Client (seed 004 12.1) ------------------------------------
struct DevInfo {
    std::string dev_id = "IMEI:493005100592800";
    std::string man = "dmsc-gateway";
    std::string mod = "dmsc-demo-client";
    std::string dm_v = "2.0";
    std::string lang = "en";
};
// The result of one GET on the tree: 200 with an application/dmmo+json part (7.2.1.4), or 404.
struct GetResult {
    int sc = 404;
    std::optional<DataPart> data;
};
// ClientURI "urn:oma:mo:oma-dm-devinfo:1.0//" (or 1.2) → the whole MO; ".../DevID" etc. → one
// leaf. Anything else: 404.
GetResult get(const DevInfo& tree, std::string_view client_uri, std::size_t index);
// Reads the DevInfo leaves back from a dmmo+json part (for the server's check).
std::optional<std::map<std::string, std::string>> devinfo_leaves(std::string_view dmmo_json,
                                                                 ProtocolError& error);

}  // namespace dmsc::gateway::dm
