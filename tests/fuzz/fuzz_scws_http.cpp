// tests/fuzz/fuzz_scws_http.cpp — the simulated card's SCWS HTTP/1.1 request parser
// (gateway/sim/http_parser.hpp) on arbitrary bytes. The first byte picks the piece size (1..237,
// what one RECEIVE DATA brings); the rest is what a client sends on the connection. Checked:
// - every request handed out is well formed (token method, target, HTTP/1.0 or 1.1, path the
//   target's prefix, body no longer than max_body and equal to its Content-Length);
// - an error is one of the statuses the parser documents, and nothing comes after it;
// - the parser never holds more than the bound it documents (an unfinished head of at most
//   kMaxHttpHead bytes, an unfinished body of at most max_body bytes);
// - the result does not depend on how the bytes were cut: fed whole and fed in pieces, the
//   same requests and the same end state come out.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/sim/http_parser.hpp"

namespace {

using dmsc::gateway::sim::HttpParser;
using dmsc::gateway::sim::HttpRequest;

constexpr std::size_t kMaxBody = 2048;

struct Outcome {
    std::vector<std::string> requests;  // each request flattened
    int error = 0;                      // 0: none (the parser wants more)
    bool operator==(const Outcome&) const = default;
};

std::string flatten(const HttpRequest& r) {
    std::string s = r.method + '\0' + r.target + '\0' + r.path + '\0' + r.version + '\0';
    for (const auto& h : r.headers) s += h.name + ':' + h.value + '\0';
    return s + '\0' + r.body;
}

void check(const HttpRequest& r) {
    if (r.method.empty() || r.target.empty()) std::abort();
    if (r.version != "HTTP/1.1" && r.version != "HTTP/1.0") std::abort();
    if (r.target.compare(0, r.path.size(), r.path) != 0) std::abort();
    if (r.body.size() > kMaxBody) std::abort();
    const std::string* length = r.header("content-length");
    if (length == nullptr ? !r.body.empty() : std::stoull(*length) != r.body.size()) std::abort();
    if (r.header("transfer-encoding") != nullptr) std::abort();  // chunked is refused (501)
}

// Runs the parser until it wants more or fails; false once it failed.
bool drain(HttpParser& p, Outcome& out) {
    for (;;) {
        const auto r = p.next();
        if (r == HttpParser::Result::NeedMore) {
            // The documented bound on what an unfinished request may hold.
            if (p.buffered() > std::max(dmsc::gateway::sim::kMaxHttpHead + 3, kMaxBody)) std::abort();
            return true;
        }
        if (r == HttpParser::Result::Error) {
            const int st = p.error_status();
            if (st != 400 && st != 413 && st != 417 && st != 431 && st != 501 && st != 505) std::abort();
            out.error = st;
            return false;
        }
        HttpRequest rq = p.take();
        check(rq);
        out.requests.push_back(flatten(rq));
    }
}

Outcome run(std::string_view bytes, std::size_t piece) {
    HttpParser p(kMaxBody);
    Outcome out;
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
        p.feed(bytes.substr(at, piece));
        if (!drain(p, out)) return out;
    }
    drain(p, out);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t piece = 1 + data[0] % 237;
    const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    const Outcome whole = run(bytes, bytes.size() + 1);
    const Outcome pieces = run(bytes, piece);
    if (!(whole == pieces)) std::abort();
    return 0;
}
