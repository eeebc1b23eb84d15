// tests/gateway/test_http_parser.cpp — the simulated card's SCWS HTTP/1.1 request parser
// (gateway/sim/http_parser.hpp): requests cut at every byte boundary, pipelining, the error
// statuses it documents. The bounds are in test_bounded_input.cpp; arbitrary bytes in
// tests/fuzz/fuzz_scws_http.cpp.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "gateway/sim/http_parser.hpp"

namespace sim = dmsc::gateway::sim;
using Result = sim::HttpParser::Result;

namespace {

// Feeds `bytes` in pieces of `piece` bytes (the last may be shorter) and collects every request.
struct Parsed {
    std::vector<sim::HttpRequest> requests;
    int error = 0;
};

Parsed parse(const std::string& bytes, std::size_t piece, std::size_t max_body = 4096) {
    sim::HttpParser p(max_body);
    Parsed out;
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
        p.feed(std::string_view(bytes).substr(at, piece));
        for (;;) {
            const Result r = p.next();
            if (r == Result::NeedMore) break;
            if (r == Result::Error) {
                out.error = p.error_status();
                return out;
            }
            out.requests.push_back(p.take());
        }
    }
    return out;
}

}  // namespace

TEST_CASE("HttpParser: two pipelined requests come out whole however the bytes are cut") {
    const std::string a = "POST /OMA/DM?s=1 HTTP/1.1\r\nHost: localuicc\r\nContent-Length: 5\r\n\r\nhello";
    const std::string b = "\r\nGET /index.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    const std::string all = a + b;
    // Every piece size from 1 byte up, so that the head's terminator "\r\n\r\n" is split at
    // each of its positions, and the body and the leading empty line of the second request too.
    for (std::size_t piece = 1; piece <= all.size(); ++piece) {
        CAPTURE(piece);
        const Parsed got = parse(all, piece);
        REQUIRE(got.error == 0);
        REQUIRE(got.requests.size() == 2);
        CHECK(got.requests[0].method == "POST");
        CHECK(got.requests[0].target == "/OMA/DM?s=1");
        CHECK(got.requests[0].path == "/OMA/DM");
        CHECK(got.requests[0].version == "HTTP/1.1");
        REQUIRE(got.requests[0].header("host") != nullptr);
        CHECK(*got.requests[0].header("HOST") == "localuicc");
        CHECK(got.requests[0].body == "hello");
        CHECK(got.requests[1].method == "GET");
        CHECK(got.requests[1].path == "/index.html");
        CHECK(got.requests[1].version == "HTTP/1.0");
        CHECK(got.requests[1].body.empty());
        CHECK_FALSE(sim::http_wants_close(got.requests[1]));  // HTTP/1.0 with keep-alive
    }
}

TEST_CASE("HttpParser: a terminator split across pieces after a long unfinished head is still found") {
    // The parser remembers how far it searched; a terminator whose first bytes were already
    // searched must not be missed.
    std::string head = "GET / HTTP/1.1\r\nX-Pad: " + std::string(8000, 'p');
    for (const std::string& split : {std::string("\r"), std::string("\r\n"), std::string("\r\n\r")}) {
        CAPTURE(split.size());
        sim::HttpParser p(0);
        p.feed(head);
        CHECK(p.next() == Result::NeedMore);
        p.feed(split);
        CHECK(p.next() == Result::NeedMore);
        p.feed(std::string("\r\n\r\n").substr(split.size()));
        REQUIRE(p.next() == Result::Request);
        const auto rq = p.take();
        REQUIRE(rq.header("x-pad") != nullptr);
        CHECK(rq.header("x-pad")->size() == 8000);
        CHECK(p.buffered() == 0);
    }
}

TEST_CASE("HttpParser: a head of exactly kMaxHttpHead bytes fed a byte at a time is accepted") {
    const std::string start = "GET / HTTP/1.1\r\nX-Pad: ";
    std::string head = start + std::string(sim::kMaxHttpHead - start.size() - 2, 'q') + "\r\n";
    REQUIRE(head.size() == sim::kMaxHttpHead);
    const Parsed one = parse(head + "\r\n", 1, 0);
    CHECK(one.error == 0);
    CHECK(one.requests.size() == 1);
    const Parsed over =
        parse("GET / HTTP/1.1\r\nX-Pad: " + std::string(sim::kMaxHttpHead, 'q') + "\r\n\r\n", 1, 0);
    CHECK(over.error == 431);
    CHECK(over.requests.empty());
}

TEST_CASE("HttpParser: each documented error status") {
    struct Case {
        const char* bytes;
        int status;
    };
    const Case cases[] = {
        {"GET /\r\n\r\n", 400},                                                      // no version
        {"GET / HTTP/1.1 extra\r\n\r\n", 400},                                       // three spaces
        {"G(T / HTTP/1.1\r\n\r\n", 400},                                             // method not a token
        {"GET / FTP/1.1\r\n\r\n", 400},                                              // not HTTP
        {"GET / HTTP/2.0\r\n\r\n", 505},                                             // version
        {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400},                                  // field without ':'
        {"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400},                          // obs-fold
        {"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400},                      // not digits
        {"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", 400},  // conflicting
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
        {"POST / HTTP/1.1\r\nExpect: something\r\n\r\n", 417},
        {"POST / HTTP/1.1\r\nContent-Length: 4097\r\n\r\n", 413},
    };
    for (const auto& c : cases) {
        CAPTURE(c.bytes);
        for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{1000}}) {
            CAPTURE(piece);
            const Parsed got = parse(c.bytes, piece);
            CHECK(got.error == c.status);
            CHECK(got.requests.empty());
        }
    }
}

TEST_CASE("HttpParser: Expect: 100-continue is answered once, before the body") {
    sim::HttpParser p(4096);
    p.feed("PUT /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    CHECK(p.next() == Result::NeedMore);
    CHECK(p.wants_continue());
    CHECK_FALSE(p.wants_continue());
    p.feed("abc");
    REQUIRE(p.next() == Result::Request);
    CHECK(p.take().body == "abc");
    // HTTP/1.0 never gets a 100 (RFC 9110 10.1.1).
    sim::HttpParser old(4096);
    old.feed("PUT /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    CHECK(old.next() == Result::NeedMore);
    CHECK_FALSE(old.wants_continue());
}
