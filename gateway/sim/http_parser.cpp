// gateway/sim/http_parser.cpp — the SCWS's incremental HTTP/1.1 request parser (RFC 9112).
#include "gateway/sim/http_parser.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

namespace dmsc::gateway::sim {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) == 0 && std::strchr("!#$%&'*+-.^_`|~", c) == nullptr) return false;
    }
    return true;
}

}  // namespace

const std::string* HttpRequest::header(std::string_view name) const {
    const std::string want = lower(name);
    for (const auto& h : headers) {
        if (lower(h.name) == want) return &h.value;
    }
    return nullptr;
}

HttpParser::Result HttpParser::next() {
    if (head_done_) return body();
    // RFC 9112 2.2: ignore empty lines before the request line.
    std::size_t lead = 0;
    while (lead + 1 < buf_.size() && buf_[lead] == '\r' && buf_[lead + 1] == '\n') lead += 2;
    if (lead > 0) {
        buf_.erase(0, lead);
        scanned_ = 0;
    }
    // Resume 3 bytes before where the last search stopped: the terminator may straddle pieces.
    const std::size_t end = buf_.find("\r\n\r\n", scanned_ > 3 ? scanned_ - 3 : 0);
    if (end == std::string::npos) {
        scanned_ = buf_.size();
        // 431 only once no terminator can end the head within kMaxHttpHead any more: a head
        // ending at kMaxHttpHead may still have 3 of its 4 terminator bytes to come (so the
        // answer does not depend on how the bytes were cut).
        if (buf_.size() >= kMaxHttpHead + 4) return error(431);
        return Result::NeedMore;
    }
    if (end > kMaxHttpHead) return error(431);
    if (const int st = parse_head(std::string_view(buf_).substr(0, end + 2)); st != 0) return error(st);
    buf_.erase(0, end + 4);
    scanned_ = 0;
    head_done_ = true;
    return body();
}

HttpRequest HttpParser::take() {
    HttpRequest r = std::move(req_);
    req_ = HttpRequest{};
    head_done_ = false;
    continue_sent_ = false;
    return r;
}

bool HttpParser::wants_continue() {
    if (!head_done_ || continue_sent_ || !expect_continue_ || req_.version != "HTTP/1.1") return false;
    continue_sent_ = true;
    return true;
}

HttpParser::Result HttpParser::body() {
    if (buf_.size() < content_length_) return Result::NeedMore;
    req_.body = buf_.substr(0, content_length_);
    buf_.erase(0, content_length_);
    scanned_ = 0;
    return Result::Request;
}

int HttpParser::parse_head(std::string_view head) {
    req_ = HttpRequest{};
    content_length_ = 0;
    expect_continue_ = false;
    std::size_t eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    const std::size_t s1 = line.find(' ');
    const std::size_t s2 = s1 == std::string_view::npos ? s1 : line.find(' ', s1 + 1);
    if (s2 == std::string_view::npos || line.find(' ', s2 + 1) != std::string_view::npos) return 400;
    req_.method = std::string(line.substr(0, s1));
    req_.target = std::string(line.substr(s1 + 1, s2 - s1 - 1));
    req_.version = std::string(line.substr(s2 + 1));
    if (!is_token(req_.method) || req_.target.empty()) return 400;
    if (req_.version.rfind("HTTP/", 0) != 0) return 400;
    if (req_.version != "HTTP/1.1" && req_.version != "HTTP/1.0") return 505;
    req_.path = req_.target.substr(0, req_.target.find('?'));
    bool have_length = false;
    std::size_t pos = eol + 2;
    while (pos < head.size()) {
        eol = head.find("\r\n", pos);
        const std::string_view field = head.substr(pos, eol - pos);
        pos = eol + 2;
        if (field.empty()) break;
        if (field[0] == ' ' || field[0] == '\t') return 400;  // obs-fold (RFC 9112 5.2)
        const std::size_t colon = field.find(':');
        if (colon == std::string_view::npos || !is_token(field.substr(0, colon))) return 400;
        HttpHeader h{std::string(field.substr(0, colon)), std::string(trim(field.substr(colon + 1)))};
        const std::string name = lower(h.name);
        if (name == "content-length") {
            if (h.value.empty() || h.value.size() > 12 ||
                !std::all_of(h.value.begin(), h.value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
                return 400;
            }
            const std::size_t n = std::stoull(h.value);
            if (have_length && n != content_length_) return 400;
            have_length = true;
            content_length_ = n;
        } else if (name == "transfer-encoding") {
            return 501;
        } else if (name == "expect") {
            if (lower(h.value) != "100-continue") return 417;  // RFC 9110 10.1.1
            expect_continue_ = true;
        }
        req_.headers.push_back(std::move(h));
    }
    if (content_length_ > max_body_) return 413;
    return 0;
}

bool http_wants_close(const HttpRequest& rq) {
    const std::string* c = rq.header("Connection");
    const std::string v = c ? lower(*c) : std::string();
    if (rq.version == "HTTP/1.0") return v.find("keep-alive") == std::string::npos;
    return v.find("close") != std::string::npos;
}

}  // namespace dmsc::gateway::sim
