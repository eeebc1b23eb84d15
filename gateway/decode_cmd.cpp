// gateway/decode_cmd.cpp — `dmsc-ctl decode`: hex in, a readable dump or JSON out. Works
// without a daemon; the decoding is cat::describe_bytes (or bip::decode_package0 with the digest
// check of gateway/package0_check for --as package0), this file only renders it.
#include "gateway/decode_cmd.hpp"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cat/bytes.hpp"
#include "cat/describe.hpp"
#include "gateway/config.hpp"
#include "gateway/describe_json.hpp"
#include "gateway/package0_check.hpp"

namespace dmsc::gateway {

namespace {

using nlohmann::json;

bool parse_hint(std::string_view s, cat::Hint& hint) {
    if (s == "auto")
        hint = cat::Hint::Auto;
    else if (s == "command" || s == "proactive")
        hint = cat::Hint::ProactiveCommand;
    else if (s == "response" || s == "tr")
        hint = cat::Hint::TerminalResponse;
    else if (s == "envelope")
        hint = cat::Hint::Envelope;
    else if (s == "profile")
        hint = cat::Hint::TerminalProfile;
    else if (s == "apdu")
        hint = cat::Hint::Apdu;
    else
        return false;
    return true;
}

// --as package0: a DM 1.2 notification / DM 2.0 Package#0 (possibly in a WSP push), with the
// digest checked against the [[dm_server]] entries of --config FILE. 0 decoded (digest ok or
// unchecked), 1 not a Package#0 or a bad digest.
int decode_package0(const cat::Bytes& bytes, const Config& config, bool as_json) {
    const Package0Report r = inspect_delivery(config, bytes);
    if (as_json) {
        json j;
        j["ok"] = r.recognised;
        if (!r.recognised) {
            j["error"] = r.error;
        } else {
            j["kind"] = r.kind == bip::Package0Kind::Dm12 ? "dm12" : "dm20";
            j["wsp_push"] = r.wsp_push;
            j["server_id"] = r.server_id ? json(*r.server_id) : json(nullptr);
            if (r.session_id) j["session_id"] = *r.session_id;
            if (r.notification_id) j["notification_id"] = *r.notification_id;
            if (r.ui_mode) j["ui_mode"] = *r.ui_mode;
            j["digest"] = std::string(name_of(r.digest));
            if (!r.digest_detail.empty()) j["digest_detail"] = r.digest_detail;
            j["summary"] = r.summary;
        }
        std::cout << j.dump() << "\n";
    } else if (!r.recognised) {
        std::fprintf(stderr, "dmsc-ctl decode: not a DM Package#0: %s\n", r.error.c_str());
    } else {
        auto p = bip::decode_package0(bytes);
        std::cout << bip::to_text(*p);
        std::cout << "  digest check        " << name_of(r.digest);
        if (!r.digest_detail.empty()) std::cout << " (" << r.digest_detail << ")";
        std::cout << "\n";
    }
    return r.recognised && r.digest != DigestVerdict::Bad ? 0 : 1;
}

// Decodes one input; prints the result; returns 0 or 1.
int decode_one(const std::string& hex, cat::Hint hint, const std::optional<Config>& package0, bool as_json) {
    cat::Bytes bytes;
    if (!cat::from_hex(hex, bytes)) {
        std::fprintf(stderr,
                     "dmsc-ctl decode: '%s' is not hex (an odd number of digits or a non-hex character)\n",
                     hex.c_str());
        return 1;
    }
    if (package0) return decode_package0(bytes, *package0, as_json);
    auto d = cat::describe_bytes(bytes, hint);
    if (!d) {
        if (as_json) {
            std::cout << describe_error_json(d.error()).dump() << "\n";
        } else {
            std::fprintf(stderr, "dmsc-ctl decode: %s\n", d.error().describe().c_str());
        }
        return 1;
    }
    if (as_json) {
        json j = describe_json(*d);
        j["ok"] = true;
        std::cout << j.dump() << "\n";
    } else {
        std::cout << cat::to_text(*d);
    }
    return 0;
}

}  // namespace

int run_decode(const std::vector<std::string_view>& args, bool json) {
    cat::Hint hint = cat::Hint::Auto;
    std::string hex;
    bool from_stdin = false;
    bool package0 = false;
    std::string config_path;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto a = args[i];
        if (a == "--as") {
            if (i + 1 < args.size() && (args[i + 1] == "package0" || args[i + 1] == "p0")) {
                package0 = true;
            } else if (i + 1 >= args.size() || !parse_hint(args[i + 1], hint)) {
                std::fputs(
                    "dmsc-ctl decode: --as takes auto|command|response|envelope|profile|apdu|package0\n",
                    stderr);
                return 2;
            }
            ++i;
        } else if (a == "--config" || a == "-c") {
            if (i + 1 >= args.size()) {
                std::fputs(
                    "dmsc-ctl decode: --config needs a file (its [[dm_server]] entries check digests)\n",
                    stderr);
                return 2;
            }
            config_path = std::string(args[++i]);
        } else if (a == "-") {
            from_stdin = true;
        } else {
            hex += std::string(a);  // a C-APDU and its R-APDU may come as two words
        }
    }
    std::optional<Config> p0_config;
    if (!config_path.empty() && !package0) {
        std::fputs("dmsc-ctl decode: --config is for --as package0 (digest checks)\n", stderr);
        return 2;
    }
    if (package0) {
        p0_config = default_config();
        if (!config_path.empty()) {
            auto loaded = load_config_file(config_path);
            if (!loaded.ok()) {
                for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
                return 2;
            }
            p0_config = std::move(*loaded.config);
        }
    }
    if (from_stdin) {
        int rc = 0;
        std::string line;
        while (std::getline(std::cin, line)) {
            if (line.empty() || line[0] == '#') continue;
            rc |= decode_one(line, hint, p0_config, json);
        }
        return rc;
    }
    if (hex.empty()) {
        std::fputs(
            "usage: dmsc-ctl decode [--as KIND] HEX... | -   (- reads one hex object per line)\n"
            "       dmsc-ctl decode --as package0 [--config FILE] HEX... | -\n",
            stderr);
        return 2;
    }
    return decode_one(hex, hint, p0_config, json);
}

}  // namespace dmsc::gateway
