// gateway/dm_protocol.cpp — OMA DM 2.0 package JSON, multipart Package#3 and the demo DevInfo
// tree (seed 004 7.2.1, Appendix F, 12.1).
#include "gateway/dm_protocol.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace dmsc::gateway::dm {

namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::optional<json> parse_json(std::string_view body, const char* what, ProtocolError& error) {
    json j = json::parse(body.begin(), body.end(), nullptr, false);
    if (j.is_discarded()) {
        error.message = std::string(what) + ": the body is not JSON";
        return std::nullopt;
    }
    if (!j.is_object()) {
        error.message = std::string(what) + ": the body is not a JSON object";
        return std::nullopt;
    }
    return j;
}

std::optional<std::uint32_t> notification_id_of(const json& data) {
    const json* v = &data;
    if (data.is_object()) {
        auto it = data.find("NOTIFICATION-ID");
        if (it == data.end()) return std::nullopt;
        v = &*it;
    }
    if (v->is_number_unsigned() && v->get<std::uint64_t>() <= 0xFFFFFFFFu) {
        return static_cast<std::uint32_t>(v->get<std::uint64_t>());
    }
    if (v->is_string()) {
        const auto& s = v->get_ref<const std::string&>();
        if (s.empty() || s.size() > 10 || !std::all_of(s.begin(), s.end(), ::isdigit)) return std::nullopt;
        const auto n = std::stoull(s);
        if (n <= 0xFFFFFFFFu) return static_cast<std::uint32_t>(n);
    }
    return std::nullopt;
}

}  // namespace

std::string encode_package1(const Package1& p) {
    json j = json::object();
    if (!p.mos.empty()) {
        json mos = json::array();
        for (const auto& m : p.mos) mos.push_back({{"MOID", m}, {"MIID", json::array()}});
        j["MOS"] = mos;
    }
    json alert;
    if (p.client_initiated || !p.notification_id) {
        alert = {{"AlertType", kClientInitiatedMgmt}};
    } else {
        alert = {{"AlertType", kServerInitiatedMgmt},
                 {"DataType", "application/json"},
                 {"Data", {{"NOTIFICATION-ID", *p.notification_id}}}};
    }
    j["Alert"] = json::array({alert});
    return j.dump();
}

std::optional<Package1Info> decode_package1(std::string_view body, ProtocolError& error) {
    auto j = parse_json(body, "Package#1", error);
    if (!j) return std::nullopt;
    Package1Info info;
    if (auto mos = j->find("MOS"); mos != j->end()) {
        if (!mos->is_array()) {
            error.message = "Package#1: MOS is not an array";
            return std::nullopt;
        }
        for (const auto& m : *mos) {
            if (m.is_object() && m.contains("MOID") && m["MOID"].is_string()) info.mos.push_back(m["MOID"]);
        }
    }
    auto alerts = j->find("Alert");
    if (alerts == j->end()) {
        error.message = "Package#1: no \"Alert\" array (5.2.2: a Generic Alert says why the session started)";
        return std::nullopt;
    }
    if (!alerts->is_array()) {
        error.message = "Package#1: \"Alert\" is not an array";
        return std::nullopt;
    }
    for (std::size_t i = 0; i < alerts->size(); ++i) {
        const json& a = (*alerts)[i];
        if (!a.is_object() || !a.contains("AlertType") || !a["AlertType"].is_string()) {
            error.message = "Package#1: Alert[" + std::to_string(i) + "] has no AlertType string";
            return std::nullopt;
        }
        ++info.alerts;
        const auto& type = a["AlertType"].get_ref<const std::string&>();
        if (type == kServerInitiatedMgmt) {
            info.server_initiated = true;
            if (a.contains("Data")) info.notification_id = notification_id_of(a["Data"]);
            if (!info.notification_id) {
                error.message = "Package#1: Alert[" + std::to_string(i) +
                                "] ServerInitiatedMgmt without a NOTIFICATION-ID in Data (Appendix D)";
                return std::nullopt;
            }
        } else if (type == kClientInitiatedMgmt) {
            info.client_initiated = true;
        }
    }
    return info;
}

std::string encode_package2(const std::vector<Command>& commands) {
    json cmd = json::array();
    for (const auto& c : commands) cmd.push_back(c);
    return json{{"CMD", cmd}}.dump();
}

std::optional<std::vector<Command>> decode_package2(std::string_view body, ProtocolError& error) {
    auto j = parse_json(body, "Package#2", error);
    if (!j) return std::nullopt;
    auto it = j->find("CMD");
    if (it == j->end() || !it->is_array()) {
        error.message = "Package#2: no \"CMD\" array (7.2.1.2: it is required)";
        return std::nullopt;
    }
    std::vector<Command> out;
    for (std::size_t i = 0; i < it->size(); ++i) {
        const json& c = (*it)[i];
        if (!c.is_array() || c.empty()) {
            error.message = "Package#2: CMD[" + std::to_string(i) + "] is not a non-empty array";
            return std::nullopt;
        }
        Command cmd;
        for (std::size_t k = 0; k < c.size(); ++k) {
            if (!c[k].is_string()) {
                error.message =
                    "Package#2: CMD[" + std::to_string(i) + "][" + std::to_string(k) + "] is not a string";
                return std::nullopt;
            }
            cmd.push_back(c[k]);
        }
        out.push_back(std::move(cmd));
    }
    return out;
}

HttpBody encode_package3(const std::vector<Status>& statuses, const std::vector<DataPart>& data,
                         std::string_view boundary) {
    json st = json::array();
    for (const auto& s : statuses) {
        json item = {{"sc", s.sc}};
        if (!s.uris.empty()) item["URI"] = s.uris;
        st.push_back(item);
    }
    const std::string package3 = json{{"Status", st}}.dump();
    if (data.empty()) return {std::string(kPackage3Type), package3};
    const std::string b(boundary);
    std::string body = "--" + b +
                       "\r\nContent-Disposition: form-data\r\nContent-Type: " + std::string(kPackage3Type) +
                       "\r\n\r\n" + package3 + "\r\n";
    for (const auto& d : data) {
        body += "--" + b + "\r\nContent-Disposition: form-data; name=\"" + std::to_string(d.index) +
                "\"\r\nContent-Type: " + d.content_type + "\r\n\r\n" + d.body + "\r\n";
    }
    body += "--" + b + "--\r\n";
    return {"multipart/form-data; boundary=" + b, body};
}

std::string media_type(std::string_view content_type) {
    const auto semi = content_type.find(';');
    return lower(trim(content_type.substr(0, semi)));
}

std::optional<std::string> boundary_of(std::string_view content_type) {
    std::size_t pos = content_type.find(';');
    while (pos != std::string_view::npos) {
        std::string_view rest = content_type.substr(pos + 1);
        const auto next = rest.find(';');
        std::string_view param = trim(rest.substr(0, next));
        const auto eq = param.find('=');
        if (eq != std::string_view::npos && lower(trim(param.substr(0, eq))) == "boundary") {
            std::string_view v = trim(param.substr(eq + 1));
            if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
            if (v.empty() || v.size() > 70) return std::nullopt;
            return std::string(v);
        }
        pos = next == std::string_view::npos ? next : pos + 1 + next;
    }
    return std::nullopt;
}

std::optional<std::vector<Part>> parse_multipart(std::string_view body, std::string_view boundary,
                                                 ProtocolError& error) {
    const std::string delim = "--" + std::string(boundary);
    std::vector<Part> parts;
    std::size_t pos = body.find(delim);
    if (pos == std::string_view::npos) {
        error.message = "multipart: no boundary line \"" + delim + "\"";
        return std::nullopt;
    }
    while (true) {
        pos += delim.size();
        if (body.substr(pos, 2) == "--") return parts;  // the close delimiter
        // The rest of the delimiter line.
        const auto eol = body.find('\n', pos);
        if (eol == std::string_view::npos) break;
        pos = eol + 1;
        const auto next = body.find(delim, pos);
        if (next == std::string_view::npos) break;
        std::string_view raw = body.substr(pos, next - pos);
        // The CRLF before the next delimiter belongs to it (RFC 2046 5.1.1).
        if (raw.size() >= 2 && raw.substr(raw.size() - 2) == "\r\n") {
            raw.remove_suffix(2);
        } else if (!raw.empty() && raw.back() == '\n') {
            raw.remove_suffix(1);
        }
        Part part;
        std::size_t hdr_end = raw.find("\r\n\r\n");
        std::size_t skip = 4;
        if (hdr_end == std::string_view::npos) {
            hdr_end = raw.find("\n\n");
            skip = 2;
        }
        if (hdr_end == std::string_view::npos) {
            error.message =
                "multipart: part " + std::to_string(parts.size()) + " has no blank line after its headers";
            return std::nullopt;
        }
        std::string_view head = raw.substr(0, hdr_end);
        part.body = std::string(raw.substr(hdr_end + skip));
        while (!head.empty()) {
            const auto nl = head.find('\n');
            std::string_view line = trim(head.substr(0, nl));
            head = nl == std::string_view::npos ? std::string_view{} : head.substr(nl + 1);
            const auto colon = line.find(':');
            if (colon == std::string_view::npos) continue;
            part.headers[lower(trim(line.substr(0, colon)))] = std::string(trim(line.substr(colon + 1)));
        }
        if (auto it = part.headers.find("content-disposition"); it != part.headers.end()) {
            const auto& cd = it->second;
            const auto n = cd.find("name=");
            if (n != std::string::npos) {
                std::string v = cd.substr(n + 5);
                const auto semi = v.find(';');
                if (semi != std::string::npos) v.resize(semi);
                v = std::string(trim(v));
                if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
                part.name = v;
            }
        }
        parts.push_back(std::move(part));
        pos = next;
    }
    error.message = "multipart: no closing boundary \"" + delim + "--\"";
    return std::nullopt;
}

std::optional<Package3Info> decode_package3(std::string_view content_type, std::string_view body,
                                            ProtocolError& error) {
    std::string package3;
    Package3Info info;
    const std::string type = media_type(content_type);
    if (type == kPackage3Type) {
        package3 = std::string(body);
    } else if (type == "multipart/form-data") {
        auto boundary = boundary_of(content_type);
        if (!boundary) {
            error.message = "Package#3: multipart/form-data without a boundary parameter";
            return std::nullopt;
        }
        auto parts = parse_multipart(body, *boundary, error);
        if (!parts) {
            error.message = "Package#3: " + error.message;
            return std::nullopt;
        }
        if (parts->empty()) {
            error.message = "Package#3: the multipart body has no parts";
            return std::nullopt;
        }
        // Appendix F: the first encapsulation is the Package#3.
        const auto& first = parts->front();
        auto ct = first.headers.find("content-type");
        if (ct == first.headers.end() || media_type(ct->second) != kPackage3Type) {
            error.message = "Package#3: the first part is not " + std::string(kPackage3Type);
            return std::nullopt;
        }
        package3 = first.body;
        for (std::size_t i = 1; i < parts->size(); ++i) {
            const auto& p = (*parts)[i];
            if (p.name.empty() || !std::all_of(p.name.begin(), p.name.end(), ::isdigit) ||
                p.name.size() > 6) {
                error.message = "Package#3: part " + std::to_string(i) + " has no numeric name (Appendix F)";
                return std::nullopt;
            }
            auto pct = p.headers.find("content-type");
            info.data.push_back({static_cast<std::size_t>(std::stoul(p.name)),
                                 pct == p.headers.end() ? std::string() : pct->second, p.body});
        }
    } else {
        error.message = "Package#3: Content-Type \"" + std::string(content_type) + "\", expected " +
                        std::string(kPackage3Type) + " or multipart/form-data";
        return std::nullopt;
    }
    auto j = parse_json(package3, "Package#3", error);
    if (!j) return std::nullopt;
    auto st = j->find("Status");
    if (st == j->end() || !st->is_array()) {
        error.message = "Package#3: no \"Status\" array (7.2.1.3: it is required)";
        return std::nullopt;
    }
    for (std::size_t i = 0; i < st->size(); ++i) {
        const json& s = (*st)[i];
        Status status;
        if (s.is_number_integer()) {
            status.sc = s.get<int>();
        } else if (s.is_object() && s.contains("sc") && s["sc"].is_number_integer()) {
            status.sc = s["sc"].get<int>();
            if (s.contains("URI") && s["URI"].is_array()) {
                for (const auto& u : s["URI"]) {
                    if (u.is_string()) status.uris.push_back(u);
                }
            }
        } else {
            error.message =
                "Package#3: Status[" + std::to_string(i) + "] is neither a number nor {\"sc\": N}";
            return std::nullopt;
        }
        info.statuses.push_back(std::move(status));
    }
    return info;
}

GetResult get(const DevInfo& tree, std::string_view client_uri, std::size_t index) {
    const std::map<std::string, std::string> leaves = {{"DevID", tree.dev_id},
                                                       {"Man", tree.man},
                                                       {"Mod", tree.mod},
                                                       {"DmV", tree.dm_v},
                                                       {"Lang", tree.lang}};
    std::string_view rest;
    for (std::string_view moid : {"urn:oma:mo:oma-dm-devinfo:1.0/", "urn:oma:mo:oma-dm-devinfo:1.2/"}) {
        if (client_uri.substr(0, moid.size()) == moid) {
            rest = client_uri.substr(moid.size());
            // 6.1.1: mo-inst then "/" then the path from the MO root; the only instance: "" or "*".
            const auto slash = rest.find('/');
            if (slash == std::string_view::npos) return {};
            const auto inst = rest.substr(0, slash);
            if (!inst.empty() && inst != "*") return {};
            rest = rest.substr(slash + 1);
            json mo;
            if (rest.empty()) {
                json devinfo = json::object();
                for (const auto& [k, v] : leaves) devinfo[k] = v;
                mo = {{"DevInfo", devinfo}};
            } else {
                auto it = leaves.find(std::string(rest));
                if (it == leaves.end()) return {};
                mo = {{it->first, it->second}};
            }
            // 7.2.1.4 Management Object serialization.
            json item = {{"ClientURI", std::string(client_uri)}, {"MOData", mo}};
            return {200, DataPart{index, std::string(kMoType), json::array({item}).dump()}};
        }
    }
    return {};
}

std::optional<std::map<std::string, std::string>> devinfo_leaves(std::string_view dmmo_json,
                                                                 ProtocolError& error) {
    json j = json::parse(dmmo_json.begin(), dmmo_json.end(), nullptr, false);
    if (j.is_discarded()) {
        error.message = "DevInfo data: not JSON";
        return std::nullopt;
    }
    if (j.is_object()) j = json::array({j});
    if (!j.is_array() || j.empty() || !j[0].is_object() || !j[0].contains("MOData") ||
        !j[0]["MOData"].is_object()) {
        error.message = "DevInfo data: not an application/dmmo+json array with MOData (7.2.1.4)";
        return std::nullopt;
    }
    const json& mo = j[0]["MOData"];
    const json& tree = mo.contains("DevInfo") ? mo["DevInfo"] : mo;
    if (!tree.is_object()) {
        error.message = "DevInfo data: DevInfo is not an object";
        return std::nullopt;
    }
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : tree.items()) {
        if (v.is_string()) out[k] = v.get<std::string>();
    }
    return out;
}

}  // namespace dmsc::gateway::dm
