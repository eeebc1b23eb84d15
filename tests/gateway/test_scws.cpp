// tests/gateway/test_scws.cpp — the simulated card's SCWS at card level: real APDUs between a
// cat::Session + bip::Channels terminal (no sockets: the "clients" are byte buffers) and the
// Card; HTTP split over several RECEIVE DATA, the 'FF' length, keep-alive and close, PSK-TLS
// with an OpenSSL client over memory BIOs, 7 channels at once, interleaving with the scenario.
#include <doctest/doctest.h>

#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string>
#include <vector>

#include "bip/channels.hpp"
#include "cat/envelope.hpp"
#include "cat/proactive.hpp"
#include "cat/profile.hpp"
#include "cat/response.hpp"
#include "gateway/dm_protocol.hpp"
#include "gateway/sim/card.hpp"
#include "gateway/sim/scenario.hpp"
#include "gateway/sim/scws.hpp"

namespace {

using namespace dmsc;
using namespace dmsc::gateway::sim;

std::string card_verdict_text(const Card& card) {
    std::string s = card.verdict().describe();
    const auto& log = card.log();
    for (std::size_t i = log.size() > 30 ? log.size() - 30 : 0; i < log.size(); ++i)
        s += "\n  | " + log[i].text;
    return s;
}

std::string scws_scenario(const std::string& scws_table, const std::string& extra_steps = "") {
    return R"toml(
[scenario]
name = "scws-test"
)toml" + scws_table +
           R"toml(
[[step]]
name = "events"
on = "profile"
command = "set_up_event_list"
events = ["data-available", "channel-status"]
expect_result = "00"

[[step]]
name = "open the SCWS"
on = "response"
command = "scws_open"
expect_result = "00"
)toml" + extra_steps;
}

const std::string kTwoPorts = R"toml(
[scws]
http_port = 3516
https_port = 4116
http_channels = 2
https_channels = 2
psk_identity = "test-id"
psk_key = "00112233445566778899AABBCCDDEEFF"
)toml";

std::string to_string(const cat::Bytes& b) {
    return std::string(b.begin(), b.end());
}

// The terminal: cat::Session for the APDUs, bip::Channels for BIP, effects executed in memory.
struct BipTerminal {
    Card card;
    cat::Session session;
    bip::Channels channels;
    cat::TimePoint now{};
    std::deque<std::function<void()>> later;  // socket outcomes, reported after the handler
    std::map<bip::ChannelId, cat::Bytes> to_client;
    std::map<bip::ChannelId, cat::Bytes> from_client;  // not yet taken by the channel (rx room)
    std::map<bip::ChannelId, bool> closed;             // the terminal closed the client's connection
    std::vector<std::uint8_t> receive_lengths;         // RECEIVE DATA channel data length asked
    std::vector<std::uint8_t> command_types;           // every proactive command, in order
    std::vector<std::uint8_t> close_qualifiers;
    std::uint64_t envelope_id = 0;

    explicit BipTerminal(const std::string& scenario_text)
        : card(parse_scenario(scenario_text, "scws-test.toml")),
          session(cat::SessionConfig{.terminal_profile = profile()}),
          channels(
              bip::ChannelsConfig{}, [](std::uint16_t) { return std::optional<bip::TerminalApp>{}; },
              [](cat::EventType) { return true; }) {
        session.set_handler(cat::CommandType::SetUpEventList, [this](const cat::ProactiveCommand& c) {
            command_types.push_back(c.details.type);
            return cat::HandlerReply(cat::make_response(c.details, cat::GeneralResult::Success));
        });
        session.set_handler(cat::CommandType::MoreTime, [this](const cat::ProactiveCommand& c) {
            command_types.push_back(c.details.type);
            return cat::HandlerReply(cat::make_response(c.details, cat::GeneralResult::Success));
        });
        for (auto t :
             {cat::CommandType::OpenChannel, cat::CommandType::CloseChannel, cat::CommandType::ReceiveData,
              cat::CommandType::SendData, cat::CommandType::GetChannelStatus}) {
            session.set_handler(t, [this](const cat::ProactiveCommand& c) -> cat::HandlerReply {
                command_types.push_back(c.details.type);
                if (auto* rd = std::get_if<cat::ReceiveData>(&c.body)) receive_lengths.push_back(rd->length);
                if (c.details.type == static_cast<std::uint8_t>(cat::CommandType::CloseChannel))
                    close_qualifiers.push_back(c.details.qualifier);
                auto fx = channels.on_command(c);
                run(fx);
                if (fx.pending) return cat::Pending{};
                return *fx.response;
            });
        }
        card.power_on(now);
        session.power_on();
        pump();
    }

    static cat::Bytes profile() {
        cat::TerminalFeatures f;
        f.events = {cat::EventType::DataAvailable, cat::EventType::ChannelStatus};
        return cat::build_terminal_profile(f);
    }

    void run(const bip::Effects& fx) {
        for (const auto& e : fx.actions) {
            std::visit(
                [this](const auto& a) {
                    using T = std::decay_t<decltype(a)>;
                    if constexpr (std::is_same_v<T, bip::Listen>) {
                        later.push_back([this, id = a.channel] { report(channels.on_listening(id)); });
                    } else if constexpr (std::is_same_v<T, bip::Write>) {
                        auto& out = to_client[a.channel];
                        out.insert(out.end(), a.data.begin(), a.data.end());
                        later.push_back([this, id = a.channel] { report(channels.on_write_done(id)); });
                    } else if constexpr (std::is_same_v<T, bip::Close>) {
                        closed[a.channel] = true;
                    } else if constexpr (std::is_same_v<T, bip::QueueEnvelope>) {
                        REQUIRE(session.queue_envelope(a.ber, ++envelope_id));
                    } else if constexpr (std::is_same_v<T, bip::ResumeReading>) {
                        // deliver() offers the rest.
                    }
                },
                e);
        }
    }
    void report(bip::Effects fx) {
        run(fx);
        if (fx.completion) session.complete(fx.completion->details.number, *fx.completion);
    }

    // Offers what the clients sent, as far as each Rx buffer has room (back-pressure).
    bool deliver() {
        bool moved = false;
        for (auto& [id, bytes] : from_client) {
            const std::size_t n = std::min(bytes.size(), channels.rx_room(id));
            if (n == 0) continue;
            run(channels.on_data(id, cat::ByteView(bytes).first(n)));
            bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
            moved = true;
        }
        return moved;
    }

    void pump(std::size_t max_apdus = 2'000'000) {
        for (std::size_t i = 0; i < max_apdus; ++i) {
            while (!later.empty()) {
                auto f = std::move(later.front());
                later.pop_front();
                f();
            }
            deliver();
            auto apdu = session.next_apdu(now);
            if (!apdu) {
                if (later.empty() && !deliver()) break;
                continue;
            }
            auto r = card.process(apdu->encode(), now);
            auto parsed = cat::ResponseApdu::parse(r);
            REQUIRE(parsed);
            session.on_response(*parsed, now);
            (void)session.take_events();
        }
    }

    // A client connects to `port`: the channel the terminal gave it.
    bip::ChannelId connect(std::uint16_t port) {
        bip::Effects fx;
        auto id = channels.on_accept(port, fx);
        REQUIRE(id);
        run(fx);
        to_client[*id].clear();
        closed[*id] = false;
        return *id;
    }
    void send(bip::ChannelId id, std::string_view bytes) {
        auto& q = from_client[id];
        q.insert(q.end(), bytes.begin(), bytes.end());
    }
    void client_close(bip::ChannelId id) { report(channels.on_peer_closed(id)); }
    std::string take(bip::ChannelId id) {
        std::string s = to_string(to_client[id]);
        to_client[id].clear();
        return s;
    }
};

// One HTTP/1.1 response parsed out of a byte string (Content-Length framing).
struct Parsed {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::size_t consumed = 0;
};
std::optional<Parsed> parse_response(const std::string& s) {
    const auto end = s.find("\r\n\r\n");
    if (end == std::string::npos || s.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
    Parsed p;
    p.status = std::stoi(s.substr(9, 3));
    std::size_t pos = s.find("\r\n") + 2;
    while (pos < end) {
        const auto eol = s.find("\r\n", pos);
        const auto line = s.substr(pos, eol - pos);
        const auto colon = line.find(':');
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        p.headers[name] = line.substr(colon + 2);
        pos = eol + 2;
    }
    const std::size_t len =
        p.headers.contains("content-length") ? std::stoul(p.headers["content-length"]) : 0;
    if (s.size() < end + 4 + len) return std::nullopt;
    p.body = s.substr(end + 4, len);
    p.consumed = end + 4 + len;
    return p;
}

// An OpenSSL TLS client over memory BIOs, speaking through the terminal's channel.
struct TlsClient {
    SSL_CTX* ctx = nullptr;
    SSL* ssl = nullptr;
    std::string identity;
    cat::Bytes key;

    TlsClient(std::string id, cat::Bytes k, int max_version = 0, const char* ciphers = nullptr)
        : identity(std::move(id)), key(std::move(k)) {
        ctx = SSL_CTX_new(TLS_client_method());
        REQUIRE(ctx);
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        if (max_version) SSL_CTX_set_max_proto_version(ctx, max_version);
        if (ciphers) REQUIRE(SSL_CTX_set_cipher_list(ctx, ciphers) == 1);
        SSL_CTX_set_app_data(ctx, this);
        SSL_CTX_set_psk_client_callback(
            ctx,
            [](SSL* s, const char*, char* out_id, unsigned int max_id, unsigned char* psk,
               unsigned int max_psk) -> unsigned int {
                auto* self = static_cast<TlsClient*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(s)));
                if (self->identity.size() + 1 > max_id || self->key.size() > max_psk) return 0;
                std::memcpy(out_id, self->identity.c_str(), self->identity.size() + 1);
                std::memcpy(psk, self->key.data(), self->key.size());
                return static_cast<unsigned int>(self->key.size());
            });
        ssl = SSL_new(ctx);
        SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
        SSL_set_connect_state(ssl);
    }
    ~TlsClient() {
        SSL_free(ssl);
        SSL_CTX_free(ctx);
    }
    std::string output() {
        std::string out;
        char buf[4096];
        int n = 0;
        while ((n = BIO_read(SSL_get_wbio(ssl), buf, sizeof buf)) > 0)
            out.append(buf, static_cast<std::size_t>(n));
        return out;
    }
    void input(const std::string& bytes) {
        if (!bytes.empty()) BIO_write(SSL_get_rbio(ssl), bytes.data(), static_cast<int>(bytes.size()));
    }
    // Runs the handshake through the terminal; true when it completed.
    bool handshake(BipTerminal& t, bip::ChannelId ch) {
        for (int round = 0; round < 20; ++round) {
            const int r = SSL_do_handshake(ssl);
            t.send(ch, output());
            if (r == 1) return true;
            const int e = SSL_get_error(ssl, r);
            if (e != SSL_ERROR_WANT_READ) return false;
            t.pump();
            const std::string in = t.take(ch);
            if (in.empty() && t.closed[ch]) return false;
            input(in);
        }
        return false;
    }
    void write(BipTerminal& t, bip::ChannelId ch, const std::string& plain) {
        REQUIRE(SSL_write(ssl, plain.data(), static_cast<int>(plain.size())) ==
                static_cast<int>(plain.size()));
        t.send(ch, output());
    }
    // Reads decrypted bytes until `done(text)` or nothing more comes.
    std::string read_until(BipTerminal& t, bip::ChannelId ch,
                           const std::function<bool(const std::string&)>& done) {
        std::string plain;
        for (int round = 0; round < 100 && !done(plain); ++round) {
            t.pump();
            input(t.take(ch));
            char buf[16384];
            int n = 0;
            bool got = false;
            while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) {
                plain.append(buf, static_cast<std::size_t>(n));
                got = true;
            }
            t.send(ch, output());  // e.g. key updates
            if (!got && t.from_client[ch].empty() && t.to_client[ch].empty() && round > 2) break;
        }
        return plain;
    }
};

std::string get_request(const std::string& path, const std::string& extra = "") {
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

std::string post_request(const std::string& path, const std::string& body, const std::string& extra = "") {
    return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n" +
           "Content-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

std::string pattern(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& c : s) {
        x = x * 1664525u + 1013904223u;
        c = static_cast<char>(x >> 24);
    }
    return s;
}

}  // namespace

TEST_CASE("SCWS scenario: [scws] keys, defaults and every bad case naming file:line:key") {
    const auto s = parse_scenario(scws_scenario(kTwoPorts), "x.toml");
    CHECK(s.scws.enabled);
    CHECK(s.scws.http_port == 3516);
    CHECK(s.scws.https_channels == 2);
    CHECK(cat::to_hex(s.scws.psk_key) == "00112233445566778899AABBCCDDEEFF");
    CHECK(s.steps[1].command.kind == CommandKind::ScwsOpen);

    const auto d = parse_scenario(scws_scenario("[scws]\n"), "x.toml");
    CHECK(d.scws.http_port == 3516);
    CHECK(d.scws.https_port == 4116);
    CHECK(d.scws.http_channels == 1);
    CHECK(d.scws.https_channels == 2);
    CHECK(d.scws.psk_identity == "DMSC-DM-Client");
    CHECK(cat::to_hex(d.scws.psk_key) == "0123456789ABCDEF0123456789ABCDEF");

    auto error = [](const std::string& text) -> std::string {
        try {
            (void)parse_scenario(text, "bad.toml");
        } catch (const ScenarioError& e) {
            return e.what();
        }
        return "(no error)";
    };
    // scws_scenario() puts the [scws] table on line 4.
    CHECK(error(scws_scenario("[scws]\nhttp_channels = 4\nhttps_channels = 4\n"))
              .find("bad.toml:4: scws.https_channels: http_channels + https_channels = 8") == 0);
    CHECK(error(scws_scenario("[scws]\npsk_key = \"0011\"\n"))
              .find("bad.toml:5: scws.psk_key: expected 16..64 bytes") == 0);
    CHECK(error(scws_scenario("[scws]\nport = 80\n")).find("bad.toml:5: scws.port: unknown key") == 0);
    CHECK(error(scws_scenario("[scws]\nhttps_port = 3516\n")).find("scws.https_port: must differ") !=
          std::string::npos);
    CHECK(error("[[step]]\non = \"profile\"\ncommand = \"scws_open\"\n")
              .find("bad.toml:3: step[1].command: \"scws_open\" needs a [scws] table") == 0);
    CHECK(error("[scws]\n[[step]]\non = \"profile\"\ncommand = \"scws_open\"\n")
              .find("scws: the SCWS learns of clients") != std::string::npos);
}

TEST_CASE("SCWS: scws_open opens one UICC server mode channel per client slot, listening") {
    BipTerminal t(scws_scenario(kTwoPorts));
    INFO(card_verdict_text(t.card));
    CHECK(t.card.verdict().passed);
    REQUIRE(t.card.scws());
    for (bip::ChannelId id = 1; id <= 4; ++id) {
        CAPTURE(id);
        CHECK(t.card.scws()->owns(id));
        REQUIRE(t.channels.channel(id));
        CHECK(t.channels.channel(id)->mode == bip::Mode::UiccServer);
        CHECK(t.channels.channel(id)->state == bip::ChannelState::Listen);
        CHECK(t.channels.channel(id)->port == (id <= 2 ? 3516 : 4116));
    }
    CHECK(!t.channels.channel(5));
}

TEST_CASE("SCWS: GET / over HTTP; a request split over several RECEIVE DATA and Data available events") {
    BipTerminal t(scws_scenario(kTwoPorts));
    const auto ch = t.connect(3516);
    // The request comes in three pieces, each pumped through on its own (three Data available).
    const std::string rq = get_request("/", "User-Agent: " + std::string(300, 'u') + "\r\n");
    t.send(ch, rq.substr(0, 10));
    t.pump();
    CHECK(t.take(ch).empty());
    t.send(ch, rq.substr(10, 290));
    t.pump();
    CHECK(t.take(ch).empty());
    t.send(ch, rq.substr(300));
    t.pump();
    auto r = parse_response(t.take(ch));
    INFO(card_verdict_text(t.card));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.find("Smart Card Web Server") != std::string::npos);
    CHECK(r->body.find("POST /echo") != std::string::npos);
    CHECK(r->headers["content-type"] == "text/plain; charset=utf-8");
    CHECK(!r->headers.contains("connection"));
    // Every RECEIVE DATA asked at most 237 bytes; the 290-byte piece needed two of them.
    std::size_t total = 0;
    for (auto n : t.receive_lengths) {
        CHECK(n >= 1);
        CHECK(n <= 237);
        total += n;
    }
    CHECK(total == rq.size());
    CHECK(t.receive_lengths.size() >= 4);
    CHECK(t.card.scws()->stats().requests == 1);
    CHECK(t.card.verdict().passed);
}

TEST_CASE("SCWS: 1000 bytes at once → Data available 'FF' → RECEIVE DATA 237, 237, 237, 237, 52") {
    BipTerminal t(scws_scenario(kTwoPorts));
    const auto ch = t.connect(3516);
    std::string rq = post_request("/echo", std::string(1000, 'x'));
    rq.resize(1000);  // the head and the start of the body: exactly 1000 bytes
    t.receive_lengths.clear();
    t.send(ch, rq);
    t.pump();
    CHECK(t.receive_lengths == std::vector<std::uint8_t>{237, 237, 237, 237, 52});
    CHECK(t.take(ch).empty());  // the body is not complete yet
}

TEST_CASE("SCWS: keep-alive, pipelined requests, 404, 405, HEAD, then Connection: close → back to LISTEN") {
    BipTerminal t(scws_scenario(kTwoPorts));
    const auto ch = t.connect(3516);
    t.send(ch,
           get_request("/") + get_request("/nowhere") + post_request("/", "x") + "HEAD / HTTP/1.1\r\n\r\n");
    t.pump();
    std::string out = t.take(ch);
    std::vector<int> statuses;
    for (int i = 0; i < 3; ++i) {
        auto r = parse_response(out);
        REQUIRE(r);
        statuses.push_back(r->status);
        if (r->status == 405) CHECK(r->headers["allow"] == "GET");
        out.erase(0, r->consumed);
    }
    CHECK(statuses == std::vector<int>{200, 404, 405});
    // HEAD: the head of GET / with its Content-Length, no body.
    REQUIRE(out.find("\r\n\r\n") != std::string::npos);
    CHECK(out.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(out.size() == out.find("\r\n\r\n") + 4);
    CHECK(!t.closed[ch]);

    t.send(ch, get_request("/", "Connection: close\r\n"));
    t.pump();
    auto r = parse_response(t.take(ch));
    REQUIRE(r);
    CHECK(r->headers["connection"] == "close");
    CHECK(t.closed[ch]);
    REQUIRE(!t.close_qualifiers.empty());
    CHECK(t.close_qualifiers.back() == 0x01);  // TS 102 223 6.4.28: back to LISTEN
    CHECK(t.channels.channel(ch)->state == bip::ChannelState::Listen);
    // The same channel takes the next client.
    CHECK(t.connect(3516) == ch);
    t.send(ch, get_request("/"));
    t.pump();
    CHECK(parse_response(t.take(ch)));
    INFO(card_verdict_text(t.card));
    CHECK(t.card.verdict().passed);
}

TEST_CASE("SCWS: malformed requests get 400/413/501/505 and the connection closes") {
    struct Case {
        std::string request;
        int status;
    };
    const Case cases[] = {
        {"GARBAGE\r\n\r\n", 400},
        {"GET / HTTP/2.0\r\n\r\n", 505},
        {"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
        {"POST /echo HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413},
        {"POST /echo HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\n folded: no\r\n\r\n", 400},
    };
    for (const auto& c : cases) {
        CAPTURE(c.request);
        BipTerminal t(scws_scenario(kTwoPorts));
        const auto ch = t.connect(3516);
        t.send(ch, c.request);
        t.pump();
        auto r = parse_response(t.take(ch));
        REQUIRE(r);
        CHECK(r->status == c.status);
        CHECK(r->headers["connection"] == "close");
        CHECK(t.closed[ch]);
        CHECK(t.channels.channel(ch)->state == bip::ChannelState::Listen);
        CHECK(t.card.scws()->stats().bad_requests == 1);
    }
}

TEST_CASE("SCWS: POST /echo of 200 KiB over HTTP comes back byte for byte (Tx buffer flushed in full)") {
    BipTerminal t(scws_scenario(kTwoPorts));
    const auto ch = t.connect(3516);
    const std::string body = pattern(200 * 1024, 7);
    t.send(ch, post_request("/echo", body, "Expect: 100-continue\r\n"));
    t.pump();
    std::string out = t.take(ch);
    const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
    REQUIRE(out.rfind(cont, 0) == 0);
    out.erase(0, cont.size());
    auto r = parse_response(out);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.size() == body.size());
    CHECK(r->body == body);
    CHECK(r->consumed == out.size());
    const auto& st = t.card.scws()->stats();
    CHECK(st.bytes_received == post_request("/echo", body, "Expect: 100-continue\r\n").size());
    CHECK(st.bytes_sent == cont.size() + out.size());
    CHECK(t.channels.channel(ch)->bytes_dropped == 0);
    INFO(card_verdict_text(t.card));
    CHECK(t.card.verdict().passed);
}

TEST_CASE("SCWS: the client goes away mid-request; the channel drains and serves the next client") {
    BipTerminal t(scws_scenario(kTwoPorts));
    const auto ch = t.connect(3516);
    t.send(ch, "POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc");
    t.pump();
    t.client_close(ch);
    t.pump();
    CHECK(t.channels.channel(ch)->state == bip::ChannelState::Listen);
    CHECK(t.connect(3516) == ch);
    t.send(ch, get_request("/"));
    t.pump();
    auto r = parse_response(t.take(ch));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(t.card.scws()->stats().connections == 2);
}

TEST_CASE(
    "SCWS: PSK-TLS (TLS 1.3 and TLS 1.2 PSK-AES128-GCM-SHA256) with an OpenSSL client over memory BIOs") {
    struct Variant {
        const char* name;
        int max_version;
        const char* ciphers;
        const char* expect_version;
    };
    const Variant variants[] = {
        {"TLS 1.3", 0, nullptr, "TLSv1.3"},
        {"TLS 1.2 PSK-AES128-GCM-SHA256", TLS1_2_VERSION, "PSK-AES128-GCM-SHA256", "TLSv1.2"},
        {"TLS 1.2 PSK-AES128-CBC-SHA256", TLS1_2_VERSION, "PSK-AES128-CBC-SHA256", "TLSv1.2"},
    };
    cat::Bytes key;
    REQUIRE(cat::from_hex("00112233445566778899AABBCCDDEEFF", key));
    for (const auto& v : variants) {
        CAPTURE(v.name);
        BipTerminal t(scws_scenario(kTwoPorts));
        const auto ch = t.connect(4116);
        TlsClient client("test-id", key, v.max_version, v.ciphers);
        REQUIRE(client.handshake(t, ch));
        CHECK(std::string(SSL_get_version(client.ssl)) == v.expect_version);
        const std::string body = pattern(5000, 3);
        client.write(t, ch, post_request("/echo", body));
        const std::string plain =
            client.read_until(t, ch, [](const std::string& s) { return parse_response(s).has_value(); });
        auto r = parse_response(plain);
        INFO(card_verdict_text(t.card));
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body == body);
        // GET / names the TLS session's identity.
        client.write(t, ch, get_request("/"));
        const std::string page =
            client.read_until(t, ch, [](const std::string& s) { return parse_response(s).has_value(); });
        auto p = parse_response(page);
        REQUIRE(p);
        CHECK(p->body.find("HTTPS (PSK-TLS, identity \"test-id\")") != std::string::npos);
        CHECK(t.card.scws()->stats().tls_handshakes == 1);
        CHECK(t.card.scws()->stats().tls_failures == 0);
        CHECK(t.card.verdict().passed);
    }
}

TEST_CASE("SCWS: a wrong PSK fails the handshake; the channel goes back to LISTEN for the next client") {
    BipTerminal t(scws_scenario(kTwoPorts));
    const auto ch = t.connect(4116);
    cat::Bytes wrong;
    REQUIRE(cat::from_hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", wrong));
    TlsClient bad_key("test-id", wrong, TLS1_2_VERSION, "PSK-AES128-GCM-SHA256");
    CHECK(!bad_key.handshake(t, ch));
    t.pump();
    CHECK(t.card.scws()->stats().tls_failures == 1);
    CHECK(t.channels.channel(ch)->state == bip::ChannelState::Listen);
    ERR_clear_error();

    const auto ch2 = t.connect(4116);
    TlsClient bad_id("someone-else", wrong);
    CHECK(!bad_id.handshake(t, ch2));
    t.pump();
    CHECK(t.card.scws()->stats().tls_failures == 2);
    ERR_clear_error();

    cat::Bytes key;
    REQUIRE(cat::from_hex("00112233445566778899AABBCCDDEEFF", key));
    const auto ch3 = t.connect(4116);
    TlsClient good("test-id", key);
    CHECK(good.handshake(t, ch3));
    INFO(card_verdict_text(t.card));
    CHECK(t.card.verdict().passed);  // a client's bad key is not the card's failure
}

TEST_CASE("SCWS: 7 channels, 7 clients at once, each answered on its own channel") {
    BipTerminal t(
        scws_scenario("[scws]\nhttp_channels = 3\nhttps_channels = 4\npsk_identity = \"id\"\n"
                      "psk_key = \"00112233445566778899AABBCCDDEEFF\"\n"));
    INFO(card_verdict_text(t.card));
    REQUIRE(t.card.verdict().passed);
    std::vector<bip::ChannelId> plain;
    for (int i = 0; i < 3; ++i) plain.push_back(t.connect(3516));
    cat::Bytes key;
    REQUIRE(cat::from_hex("00112233445566778899AABBCCDDEEFF", key));
    std::vector<std::unique_ptr<TlsClient>> tls;
    std::vector<bip::ChannelId> secure;
    for (int i = 0; i < 4; ++i) {
        secure.push_back(t.connect(4116));
        tls.push_back(std::make_unique<TlsClient>("id", key));
    }
    // An 8th client finds no free channel.
    bip::Effects fx;
    CHECK(!t.channels.on_accept(3516, fx));
    // Every client sends before anything is pumped: the work interleaves.
    for (std::size_t i = 0; i < plain.size(); ++i)
        t.send(plain[i], post_request("/echo", pattern(3000 + i, static_cast<unsigned>(i))));
    for (std::size_t i = 0; i < secure.size(); ++i) {
        (void)SSL_do_handshake(tls[i]->ssl);
        t.send(secure[i], tls[i]->output());
    }
    t.pump();
    for (std::size_t i = 0; i < plain.size(); ++i) {
        auto r = parse_response(t.take(plain[i]));
        REQUIRE(r);
        CHECK(r->body == pattern(3000 + i, static_cast<unsigned>(i)));
    }
    for (std::size_t i = 0; i < secure.size(); ++i) {
        tls[i]->input(t.take(secure[i]));
        REQUIRE(tls[i]->handshake(t, secure[i]));
        tls[i]->write(t, secure[i], post_request("/echo", pattern(2000 + i, 10 + static_cast<unsigned>(i))));
    }
    for (std::size_t i = 0; i < secure.size(); ++i) {
        const std::string plain_text = tls[i]->read_until(
            t, secure[i], [](const std::string& s) { return parse_response(s).has_value(); });
        auto r = parse_response(plain_text);
        REQUIRE(r);
        CHECK(r->body == pattern(2000 + i, 10 + static_cast<unsigned>(i)));
    }
    CHECK(t.card.scws()->stats().requests == 7);
    CHECK(t.card.verdict().passed);
}

TEST_CASE("SCWS: scenario steps and SCWS commands take turns (one proactive command at a time)") {
    BipTerminal t(scws_scenario(kTwoPorts, R"toml(
[[step]]
name = "more time while serving"
on = "response"
delay_ms = 1000
command = "more_time"
expect_result = "00"

[[step]]
name = "and again"
on = "response"
command = "more_time"
expect_result = "00"
)toml"));
    const auto ch = t.connect(3516);
    t.send(ch, post_request("/echo", pattern(20000, 1)));
    // Let the request start arriving, then time passes: step 3 is due at the next APDU.
    t.pump(40);
    t.command_types.clear();
    t.now += std::chrono::seconds(2);
    t.pump();
    auto r = parse_response(t.take(ch));
    REQUIRE(r);
    CHECK(r->body == pattern(20000, 1));
    INFO(card_verdict_text(t.card));
    CHECK(t.card.verdict().passed);
    CHECK(t.card.verdict().runs_completed == 1);
    // Both MORE TIMEs went out between the SCWS's RECEIVE/SEND DATA, not after all of them.
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < t.command_types.size(); ++i) {
        if (t.command_types[i] == static_cast<std::uint8_t>(cat::CommandType::MoreTime)) at.push_back(i);
    }
    REQUIRE(at.size() == 2);
    CHECK(at[0] <= 2);
    CHECK(at[1] <= 4);
    CHECK(t.command_types.size() > 100);
}

TEST_CASE("SCWS: routes added through the API; a throwing handler gets 500 and fails the verdict") {
    BipTerminal t(scws_scenario(kTwoPorts));
    Scws& scws = *t.card.scws();
    std::vector<std::string> seen;
    scws.route("POST", "/OMA/DM", [&](const HttpRequest& rq) {
        seen.push_back(rq.method + " " + rq.target + " " + rq.body);
        CHECK(rq.path == "/OMA/DM");
        CHECK(rq.port == 3516);
        CHECK(!rq.tls);
        REQUIRE(rq.header("content-type"));
        scws.note("DM: package received");
        HttpResponse resp =
            HttpResponse::make(200, "{\"ok\":true}", "application/vnd.oma.dm.initiation+json");
        resp.headers.push_back({"X-Test", "1"});
        return resp;
    });
    scws.route("GET", "/boom", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("kaput"); });
    const auto ch = t.connect(3516);
    t.send(ch, post_request("/OMA/DM?x=1", "{}"));
    t.pump();
    auto r = parse_response(t.take(ch));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "{\"ok\":true}");
    CHECK(r->headers["x-test"] == "1");
    CHECK(r->headers["content-type"] == "application/vnd.oma.dm.initiation+json");
    CHECK(seen == std::vector<std::string>{"POST /OMA/DM?x=1 {}"});
    bool noted = false;
    for (const auto& e : t.card.log()) noted = noted || e.text == "DM: package received";
    CHECK(noted);
    CHECK(t.card.verdict().passed);
    t.send(ch, get_request("/boom"));
    t.pump();
    auto b = parse_response(t.take(ch));
    REQUIRE(b);
    CHECK(b->status == 500);
    CHECK(!t.card.verdict().passed);
    CHECK(t.card.verdict().failures.front().find("kaput") != std::string::npos);
}

TEST_CASE("SCWS: power cycle forgets the channels; the scenario opens them again") {
    BipTerminal t(scws_scenario(kTwoPorts));
    CHECK(t.card.scws()->owns(1));
    t.card.power_off();
    CHECK(!t.card.scws()->owns(1));
}

TEST_CASE("SCWS: garbage from clients on both ports never breaks the card; the next client is served") {
    BipTerminal t(scws_scenario(kTwoPorts));
    cat::Bytes key;
    REQUIRE(cat::from_hex("00112233445566778899AABBCCDDEEFF", key));
    for (unsigned seed = 1; seed <= 12; ++seed) {
        CAPTURE(seed);
        const std::uint16_t port = seed % 2 ? 3516 : 4116;
        const auto ch = t.connect(port);
        std::string junk = pattern(50 + seed * 173, seed);
        if (seed % 3 == 0) junk = "GET / HTTP/1.1\r\n" + junk + "\r\n\r\n";  // garbage header fields
        t.send(ch, junk);
        t.pump();
        (void)t.take(ch);
        if (t.channels.channel(ch)->state == bip::ChannelState::Established) t.client_close(ch);
        t.pump();
        CHECK(t.channels.channel(ch)->state == bip::ChannelState::Listen);
        // A well-behaved client right after.
        const auto next = t.connect(port);
        if (port == 3516) {
            t.send(next, get_request("/", "Connection: close\r\n"));
            t.pump();
            auto r = parse_response(t.take(next));
            REQUIRE(r);
            CHECK(r->status == 200);
        } else {
            TlsClient good("test-id", key);
            REQUIRE(good.handshake(t, next));
            good.write(t, next, get_request("/", "Connection: close\r\n"));
            auto r = parse_response(
                good.read_until(t, next, [](const std::string& s) { return parse_response(s).has_value(); }));
            REQUIRE(r);
            CHECK(r->status == 200);
        }
        t.pump();
        if (t.channels.channel(next)->state == bip::ChannelState::Established) t.client_close(next);
        t.pump();
        ERR_clear_error();
    }
    INFO(card_verdict_text(t.card));
    CHECK(t.card.verdict().passed);
}

// The DM_SC Server's DM 2.0 session ([dm_server], gateway/sim/dm_server) on the SCWS, driven
// through real APDUs and PSK-TLS with the demo DM Client's protocol pieces (gateway/dm_protocol).
TEST_CASE("SCWS + [dm_server]: Package#1 -> GET DevInfo -> Package#3 -> END over PSK-TLS through the card") {
    BipTerminal t(scws_scenario(kTwoPorts + "\n[dm_server]\nnotification_id = 7\n"));
    REQUIRE(t.card.dm_server() != nullptr);
    cat::Bytes key;
    REQUIRE(cat::from_hex("00112233445566778899AABBCCDDEEFF", key));
    const auto ch = t.connect(4116);
    TlsClient client("test-id", key);
    REQUIRE(client.handshake(t, ch));
    const dmsc::gateway::dm::DevInfo tree;
    auto dm_post = [&](const std::string& content_type, const std::string& body) {
        client.write(t, ch,
                     "POST /OMA/DM HTTP/1.1\r\nHost: 127.0.0.1:4116\r\nContent-Type: " + content_type +
                         "\r\nOMADM-DevID: " + tree.dev_id +
                         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
        auto r = parse_response(
            client.read_until(t, ch, [](const std::string& s) { return parse_response(s).has_value(); }));
        REQUIRE(r);
        return *r;
    };
    dmsc::gateway::dm::Package1 p1;
    p1.notification_id = 7;
    const auto r2 =
        dm_post(std::string(dmsc::gateway::dm::kPackage1Type), dmsc::gateway::dm::encode_package1(p1));
    INFO(card_verdict_text(t.card));
    REQUIRE(r2.status == 200);
    CHECK(r2.headers.at("content-type") == "application/vnd.oma.dm.request+json");
    dmsc::gateway::dm::ProtocolError e;
    auto cmds = dmsc::gateway::dm::decode_package2(r2.body, e);
    REQUIRE(cmds);
    REQUIRE(cmds->size() == 1);
    auto got = dmsc::gateway::dm::get(tree, (*cmds)[0][1], 0);
    REQUIRE(got.data);
    const auto p3 = dmsc::gateway::dm::encode_package3({{got.sc, {}}}, {*got.data});
    const auto r4 = dm_post(p3.content_type, p3.body);
    REQUIRE(r4.status == 200);
    CHECK(r4.body == "{\"CMD\":[[\"END\"]]}");
    const auto& o = t.card.dm_server()->outcome();
    CHECK(o.ok());
    CHECK(o.notification_id == 7u);
    CHECK(o.devinfo.at("Mod") == tree.mod);
    CHECK(t.card.verdict().passed);
    bool noted = false;
    for (const auto& entry : t.card.log()) noted = noted || entry.text == "DM: Package#2: END";
    CHECK(noted);
}

TEST_CASE("SCWS + [dm_server]: a refused package fails the card's verdict; [dm_server] needs [scws]") {
    BipTerminal t(scws_scenario(kTwoPorts + "\n[dm_server]\nnotification_id = 7\n"));
    const auto ch = t.connect(3516);
    const std::string body =
        "{\"Alert\":[{\"AlertType\":\"urn:oma:at:dm:2.0:ServerInitiatedMgmt\",\"Data\":9}]}";
    t.send(ch,
           "POST /OMA/DM HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.oma.dm.initiation+json\r\n"
           "OMADM-DevID: IMEI:1\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body);
    t.pump();
    auto r = parse_response(t.take(ch));
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK_FALSE(t.card.verdict().passed);
    CHECK(t.card.verdict().failures.front().find("NOTIFICATION-ID 9, the Package#0 carried 7") !=
          std::string::npos);
    CHECK_THROWS_WITH_AS(
        parse_scenario("[dm_server]\n[[step]]\non = \"profile\"\ncommand = \"more_time\"\n", "x.toml"),
        doctest::Contains("needs a [scws] table"), ScenarioError);
}
