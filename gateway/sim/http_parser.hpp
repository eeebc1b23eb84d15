// gateway/sim/http_parser.hpp — the simulated card's SCWS HTTP/1.1 request parser (RFC 9112),
// pure: bytes in, requests or an error status out. No sockets, no TLS, no card; gateway/sim/
// scws.cpp feeds it what RECEIVE DATA brought, tests/fuzz/fuzz_scws_http.cpp feeds it anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dmsc::gateway::sim {

struct HttpHeader {
    std::string name;  // as sent
    std::string value;
};

struct HttpRequest {
    std::string method;   // "GET", "POST" ...
    std::string target;   // as sent: "/OMA/DM?x=1"
    std::string path;     // the target without its query: "/OMA/DM"
    std::string version;  // "HTTP/1.1" or "HTTP/1.0"
    std::vector<HttpHeader> headers;
    std::string body;  // Content-Length bytes (no chunked bodies)
    // Where it came from.
    bool tls = false;
    std::string psk_identity;  // the PSK identity of the TLS session ("" for plain HTTP)
    std::uint16_t port = 0;    // the SCWS port (3516 / 4116)
    std::uint8_t channel = 0;  // the BIP channel (1..7)

    // The first header of that name (case-insensitive), or nullptr.
    const std::string* header(std::string_view name) const;
};

// The request head (request line + header fields + the empty line) may be at most this long;
// a longer one is answered 431.
constexpr std::size_t kMaxHttpHead = 16 * 1024;

// Incremental HTTP/1.1 request parser (RFC 9112): request line, header fields, a
// Content-Length body (at most `max_body`, else 413). Chunked bodies (Transfer-Encoding) are
// answered 501. Bounded: it never holds more than kMaxHttpHead + 3 bytes of an unfinished head
// or max_body bytes of an unfinished body, plus the last chunk fed (buffered()).
class HttpParser {
public:
    enum class Result : std::uint8_t { NeedMore, Request, Error };

    explicit HttpParser(std::size_t max_body) : max_body_(max_body) {}

    void feed(std::string_view bytes) { buf_.append(bytes); }

    // Result::Request: `take()` gives it (its bytes are consumed). Result::Error:
    // `error_status()` says which answer (400, 413, 417, 431, 501, 505); the connection then
    // closes. Call again after a Request: pipelined requests come one by one.
    Result next();
    HttpRequest take();
    int error_status() const { return error_; }
    // "Expect: 100-continue" on a request whose body is still coming: answer 100 once.
    bool wants_continue();
    std::size_t buffered() const { return buf_.size(); }

private:
    Result error(int status) {
        error_ = status;
        return Result::Error;
    }
    Result body();
    // An error status, or 0 when the head is good.
    int parse_head(std::string_view head);

    std::size_t max_body_;
    std::string buf_;
    // How much of buf_ was already searched for the end of the head without finding it: a head
    // arriving in small pieces is scanned once, not once per piece (linear, not quadratic).
    std::size_t scanned_ = 0;
    HttpRequest req_;
    bool head_done_ = false;
    std::size_t content_length_ = 0;
    bool expect_continue_ = false;
    bool continue_sent_ = false;
    int error_ = 400;
};

// "Connection: close", or HTTP/1.0 without keep-alive.
bool http_wants_close(const HttpRequest& rq);

}  // namespace dmsc::gateway::sim
