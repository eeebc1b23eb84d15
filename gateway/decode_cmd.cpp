// gateway/decode_cmd.cpp — `dmsc-ctl decode`: hex in, a readable dump or JSON out. Works
// without a daemon; the decoding is cat::describe_bytes, this file only renders it.
#include "gateway/decode_cmd.hpp"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cat/bytes.hpp"
#include "cat/describe.hpp"
#include "gateway/describe_json.hpp"

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

// Decodes one input; prints the result; returns 0 or 1.
int decode_one(const std::string& hex, cat::Hint hint, bool as_json) {
    cat::Bytes bytes;
    if (!cat::from_hex(hex, bytes)) {
        std::fprintf(stderr,
                     "dmsc-ctl decode: '%s' is not hex (an odd number of digits or a non-hex character)\n",
                     hex.c_str());
        return 1;
    }
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
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto a = args[i];
        if (a == "--as") {
            if (i + 1 >= args.size() || !parse_hint(args[i + 1], hint)) {
                std::fputs("dmsc-ctl decode: --as takes auto|command|response|envelope|profile|apdu\n",
                           stderr);
                return 2;
            }
            ++i;
        } else if (a == "-") {
            from_stdin = true;
        } else {
            hex += std::string(a);  // a C-APDU and its R-APDU may come as two words
        }
    }
    if (from_stdin) {
        int rc = 0;
        std::string line;
        while (std::getline(std::cin, line)) {
            if (line.empty() || line[0] == '#') continue;
            rc |= decode_one(line, hint, json);
        }
        return rc;
    }
    if (hex.empty()) {
        std::fputs("usage: dmsc-ctl decode [--as KIND] HEX... | -   (- reads one hex object per line)\n",
                   stderr);
        return 2;
    }
    return decode_one(hex, hint, json);
}

}  // namespace dmsc::gateway
