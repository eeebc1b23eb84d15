// gateway/sim/scws.cpp — the SCWS agent: one connection state per UICC server mode channel
// (HTTP/1.1 parser, optional PSK-TLS over OpenSSL memory BIOs, bytes to SEND DATA), driven by
// Event download ENVELOPEs and TERMINAL RESPONSEs (TS 102 223 clauses 6.4.27-6.4.30, 7.5.10,
// 7.5.11, 8.53-8.56).
#include "gateway/sim/scws.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cat/objects.hpp"
#include "cat/tlv.hpp"

namespace dmsc::gateway::sim {
namespace {

// RECEIVE DATA: what one TERMINAL RESPONSE carries (255 − 18 bytes around the data,
// cat_bip_facts.md); SEND DATA: what one FETCH carries (256 − 'D0' header 3 − command
// details 5 − device identities 4 − channel data header 3 = 241; 240 kept).
constexpr std::size_t kReceiveChunk = 237;
constexpr std::size_t kSendChunk = 240;
constexpr std::uint8_t kCloseToListen = 0x01;  // CLOSE CHANNEL qualifier bit 1 (6.4.28)

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view reason_of(int status) {
    switch (status) {
        case 100:
            return "Continue";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 204:
            return "No Content";
        case 400:
            return "Bad Request";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 411:
            return "Length Required";
        case 413:
            return "Content Too Large";
        case 415:
            return "Unsupported Media Type";
        case 417:
            return "Expectation Failed";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Status";
    }
}

std::string serialize(const HttpResponse& r, bool close, bool head_only, const std::string& version) {
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " +
                      (r.reason.empty() ? std::string(reason_of(r.status)) : r.reason) + "\r\n";
    bool server = false;
    for (const auto& h : r.headers) {
        const std::string n = lower(h.name);
        if (n == "content-length" || n == "connection" || n == "transfer-encoding") continue;
        server = server || n == "server";
        out += h.name + ": " + h.value + "\r\n";
    }
    if (!server) out += "Server: dmsc-sim-scws\r\n";
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    if (close) {
        out += "Connection: close\r\n";
    } else if (version == "HTTP/1.0") {
        out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
    if (!head_only) out += r.body;
    return out;
}

std::string ssl_errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        out += (out.empty() ? "" : "; ") + std::string(buf);
    }
    return out.empty() ? "no detail" : out;
}

cat::Bytes simple_tlv(cat::Tag tag, bool cr, cat::ByteView value) {
    cat::ByteWriter w;
    cat::write_ctlv(w, static_cast<std::uint8_t>(tag), cr, value);
    return w.take();
}

}  // namespace

HttpResponse HttpResponse::make(int status, std::string body, std::string content_type) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    if (!content_type.empty()) r.headers.push_back({"Content-Type", std::move(content_type)});
    return r;
}

// ---------------------------------------------------------------------------------------------

struct Scws::Impl {
    // One UICC server mode channel and the client connection on it (one at a time, 8.56).
    struct Conn {
        std::uint8_t channel = 0;
        ScwsListener listener;
        std::uint16_t buffer_size = 0;  // granted by the terminal
        bool connected = false;
        std::size_t rx_known = 0;  // bytes waiting in the terminal's Rx buffer (255: 'FF', more)
        bool draining = false;     // the bytes waiting are a gone client's: read and drop
        cat::Bytes out;            // to SEND DATA (TLS records on the HTTPS port)
        std::size_t out_off = 0;
        std::size_t stored = 0;    // stored in the Tx buffer, not yet sent immediately
        bool close_after = false;  // CLOSE CHANNEL (back to LISTEN) once `out` is sent
        std::unique_ptr<HttpParser> http;
        SSL* ssl = nullptr;  // TLS only; owns its memory BIOs
        std::string identity;
        bool handshake_done = false;

        std::size_t pending_out() const { return out.size() - out_off; }
    };
    struct Inflight {
        std::uint8_t channel = 0;
        cat::CommandType type = cat::CommandType::SendData;
        std::size_t length = 0;  // SEND DATA: bytes carried
        bool immediate = false;
    };
    struct Route {
        std::string method;
        std::string path;
        HttpHandler handler;
    };

    ScwsSettings settings;
    ScwsStats stats;
    std::vector<Route> routes;
    std::map<std::uint8_t, Conn> conns;
    std::optional<Inflight> inflight;
    std::uint8_t last_served = 0;
    std::vector<std::pair<bool, std::string>> log;
    SSL_CTX* ctx = nullptr;

    explicit Impl(ScwsSettings s) : settings(std::move(s)) {}
    ~Impl() {
        for (auto& [id, c] : conns) end_tls(c);
        if (ctx) SSL_CTX_free(ctx);
    }

    void note(std::string t) { log.emplace_back(false, "SCWS: " + std::move(t)); }
    void fail(std::string t) { log.emplace_back(true, "SCWS: " + std::move(t)); }

    std::string where(const Conn& c) const {
        return "channel " + std::to_string(c.channel) + " (" + (c.listener.tls ? "https" : "http") +
               " port " + std::to_string(c.listener.port) + ")";
    }

    // ---- TLS ----
    static unsigned int psk_callback(SSL* ssl, const char* identity, unsigned char* psk,
                                     unsigned int max_len) {
        auto* self = static_cast<Impl*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
        if (!self || !identity || self->settings.psk_identity != identity ||
            self->settings.psk_key.size() > max_len) {
            if (self)
                self->note(std::string("TLS: unknown PSK identity \"") + (identity ? identity : "") + "\"");
            return 0;  // handshake fails (unknown_psk_identity / decrypt_error)
        }
        std::memcpy(psk, self->settings.psk_key.data(), self->settings.psk_key.size());
        if (auto* c = static_cast<Conn*>(SSL_get_app_data(ssl))) c->identity = identity;
        return static_cast<unsigned int>(self->settings.psk_key.size());
    }

    bool make_ctx() {
        if (ctx) return true;
        ctx = SSL_CTX_new(TLS_server_method());
        if (!ctx) {
            fail("TLS: SSL_CTX_new failed: " + ssl_errors());
            return false;
        }
        SSL_CTX_set_app_data(ctx, this);
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        // TLS 1.2: the plain and ECDHE PSK suites (RFC 4279, 5489); TLS 1.3: the legacy server
        // callback serves external PSKs with TLS_AES_128_GCM_SHA256.
        if (SSL_CTX_set_cipher_list(ctx, "kPSK:kECDHEPSK:!NULL:!RC4:!3DES") != 1) {
            fail("TLS: no PSK cipher suite available: " + ssl_errors());
        }
        SSL_CTX_set_psk_server_callback(ctx, &Impl::psk_callback);
        SSL_CTX_set_num_tickets(ctx, 0);  // no resumption tickets: fewer bytes over BIP
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        return true;
    }

    void start_tls(Conn& c) {
        end_tls(c);
        if (!make_ctx()) return;
        c.ssl = SSL_new(ctx);
        if (!c.ssl) {
            fail("TLS: SSL_new failed: " + ssl_errors());
            return;
        }
        BIO* rbio = BIO_new(BIO_s_mem());
        BIO* wbio = BIO_new(BIO_s_mem());
        BIO_set_mem_eof_return(rbio, -1);  // empty = "retry", not EOF
        SSL_set_bio(c.ssl, rbio, wbio);
        SSL_set_app_data(c.ssl, &c);  // std::map nodes do not move
        SSL_set_accept_state(c.ssl);
    }

    static void end_tls(Conn& c) {
        if (c.ssl) SSL_free(c.ssl);
        c.ssl = nullptr;
        c.handshake_done = false;
        c.identity.clear();
    }

    // Everything OpenSSL wrote goes to SEND DATA.
    static void pull_tls_output(Conn& c) {
        if (!c.ssl) return;
        BIO* wbio = SSL_get_wbio(c.ssl);
        char buf[4096];
        int n = 0;
        while ((n = BIO_read(wbio, buf, sizeof buf)) > 0) c.out.insert(c.out.end(), buf, buf + n);
    }

    // ---- connection life ----
    void new_client(Conn& c) {
        c.connected = true;
        c.out.clear();
        c.out_off = 0;
        c.stored = 0;
        c.close_after = false;
        c.http = std::make_unique<HttpParser>(settings.max_body);
        if (c.listener.tls) start_tls(c);
        ++stats.connections;
        note("client connected on " + where(c));
    }

    void client_gone(Conn& c, const std::string& why) {
        if (c.connected) note("client gone on " + where(c) + ": " + why);
        c.connected = false;
        c.out.clear();
        c.out_off = 0;
        c.stored = 0;
        c.close_after = false;
        c.http.reset();
        end_tls(c);
        if (c.rx_known > 0) c.draining = true;
    }

    // Bytes the client sent (from RECEIVE DATA).
    void on_bytes(Conn& c, cat::ByteView data) {
        if (data.empty() || c.close_after) return;
        if (!c.connected) new_client(c);
        std::string plain;
        if (c.listener.tls) {
            if (!c.ssl) return;
            ERR_clear_error();
            BIO_write(SSL_get_rbio(c.ssl), data.data(), static_cast<int>(data.size()));
            if (!c.handshake_done) {
                const int r = SSL_do_handshake(c.ssl);
                if (r == 1) {
                    c.handshake_done = true;
                    ++stats.tls_handshakes;
                    // TLS 1.2 keeps the identity in the session; for TLS 1.3 the callback saved it.
                    if (const char* id = SSL_get_psk_identity(c.ssl)) c.identity = id;
                    note("TLS handshake done on " + where(c) + ": " + SSL_get_version(c.ssl) + " " +
                         SSL_get_cipher_name(c.ssl) + ", PSK identity \"" + c.identity + "\"");
                } else {
                    const int e = SSL_get_error(c.ssl, r);
                    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                        ++stats.tls_failures;
                        note("TLS handshake failed on " + where(c) + ": " + ssl_errors());
                        pull_tls_output(c);  // the alert
                        c.close_after = true;
                        return;
                    }
                }
            }
            if (c.handshake_done) {
                char buf[16384];
                for (;;) {
                    const int n = SSL_read(c.ssl, buf, sizeof buf);
                    if (n > 0) {
                        plain.append(buf, static_cast<std::size_t>(n));
                        continue;
                    }
                    const int e = SSL_get_error(c.ssl, n);
                    if (e == SSL_ERROR_ZERO_RETURN) {
                        note("TLS close_notify from the client on " + where(c));
                        SSL_shutdown(c.ssl);
                        c.close_after = true;
                    } else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                        ++stats.tls_failures;
                        note("TLS error on " + where(c) + ": " + ssl_errors());
                        c.close_after = true;
                    }
                    break;
                }
            }
            pull_tls_output(c);
        } else {
            plain.assign(reinterpret_cast<const char*>(data.data()), data.size());
        }
        if (!plain.empty() && c.http) c.http->feed(plain);
        serve(c);
    }

    void emit(Conn& c, const std::string& bytes) {
        if (c.listener.tls) {
            if (!c.ssl || !c.handshake_done) return;
            ERR_clear_error();
            std::size_t off = 0;
            while (off < bytes.size()) {
                const int n = static_cast<int>(std::min<std::size_t>(bytes.size() - off, 1 << 20));
                const int w = SSL_write(c.ssl, bytes.data() + off, n);
                if (w <= 0) {
                    ++stats.tls_failures;
                    note("TLS write failed on " + where(c) + ": " + ssl_errors());
                    c.close_after = true;
                    break;
                }
                off += static_cast<std::size_t>(w);
            }
            pull_tls_output(c);
        } else {
            c.out.insert(c.out.end(), bytes.begin(), bytes.end());
        }
    }

    void serve(Conn& c) {
        while (c.http && !c.close_after) {
            const auto r = c.http->next();
            if (r == HttpParser::Result::NeedMore) {
                if (c.http->wants_continue()) emit(c, "HTTP/1.1 100 Continue\r\n\r\n");
                return;
            }
            if (r == HttpParser::Result::Error) {
                ++stats.bad_requests;
                const int st = c.http->error_status();
                note("bad request on " + where(c) + ": answered " + std::to_string(st));
                HttpResponse resp = HttpResponse::make(st, std::string(reason_of(st)) + "\n");
                emit(c, serialize(resp, true, false, "HTTP/1.1"));
                c.close_after = true;
                return;
            }
            HttpRequest rq = c.http->take();
            rq.tls = c.listener.tls;
            rq.psk_identity = c.identity;
            rq.port = c.listener.port;
            rq.channel = c.channel;
            ++stats.requests;
            HttpResponse resp = dispatch(rq);
            const bool close = resp.close || http_wants_close(rq);
            note(rq.method + " " + rq.target + " (" + std::to_string(rq.body.size()) + " bytes) on " +
                 where(c) + " -> " + std::to_string(resp.status) + " (" + std::to_string(resp.body.size()) +
                 " bytes)");
            emit(c, serialize(resp, close, rq.method == "HEAD", rq.version));
            if (close) {
                c.close_after = true;
                if (c.ssl && c.handshake_done) {
                    SSL_shutdown(c.ssl);  // close_notify before the channel closes
                    pull_tls_output(c);
                }
            }
        }
    }

    HttpResponse dispatch(const HttpRequest& rq) {
        const std::string method = rq.method == "HEAD" ? "GET" : rq.method;
        std::string allowed;
        for (const auto& r : routes) {
            if (r.path != rq.path) continue;
            if (r.method == method) {
                try {
                    return r.handler(rq);
                } catch (const std::exception& e) {
                    fail("handler for " + r.method + " " + r.path + " threw: " + e.what());
                    return HttpResponse::make(500, "handler error\n");
                } catch (...) {
                    fail("handler for " + r.method + " " + r.path + " threw");
                    return HttpResponse::make(500, "handler error\n");
                }
            }
            allowed += (allowed.empty() ? "" : ", ") + r.method;
        }
        if (!allowed.empty()) {
            HttpResponse r = HttpResponse::make(405, "method not allowed\n");
            r.headers.push_back({"Allow", allowed});
            return r;
        }
        return HttpResponse::make(404, "not found: " + rq.path + "\n");
    }

    void install_defaults() {
        routes.push_back({"GET", "/", [this](const HttpRequest& rq) {
                              std::string page = "dmsc-gateway simulated UICC: Smart Card Web Server\n";
                              page += std::string("connection: ") +
                                      (rq.tls ? "HTTPS (PSK-TLS, identity \"" + rq.psk_identity + "\")"
                                              : "HTTP") +
                                      ", port " + std::to_string(rq.port) + ", BIP channel " +
                                      std::to_string(rq.channel) + "\n";
                              page += "routes:\n";
                              for (const auto& r : routes) page += "  " + r.method + " " + r.path + "\n";
                              return HttpResponse::make(200, page);
                          }});
        routes.push_back({"POST", "/echo", [](const HttpRequest& rq) {
                              const std::string* ct = rq.header("Content-Type");
                              return HttpResponse::make(200, rq.body, ct ? *ct : "application/octet-stream");
                          }});
    }

    // ---- commands ----
    std::optional<ScwsCommand> command_for(Conn& c) {
        if (c.pending_out() > 0 && !c.connected) {
            c.out.clear();
            c.out_off = 0;
        }
        if (c.pending_out() > 0) {
            const std::size_t room = c.buffer_size > c.stored ? c.buffer_size - c.stored : 0;
            const std::size_t n = std::min({kSendChunk, c.pending_out(), room});
            if (n > 0) {
                const bool immediate = n == c.pending_out() || c.stored + n >= c.buffer_size;
                ScwsCommand cmd;
                cmd.type = cat::CommandType::SendData;
                cmd.qualifier = immediate ? 0x01 : 0x00;
                cmd.channel = c.channel;
                cmd.body =
                    simple_tlv(cat::Tag::ChannelData, true, cat::ByteView(c.out).subspan(c.out_off, n));
                inflight = Inflight{c.channel, cmd.type, n, immediate};
                ++stats.send_data;
                return cmd;
            }
        }
        if (c.rx_known > 0) {
            const auto n = static_cast<std::uint8_t>(std::min(kReceiveChunk, c.rx_known));
            ScwsCommand cmd;
            cmd.type = cat::CommandType::ReceiveData;
            cmd.channel = c.channel;
            cmd.body = simple_tlv(cat::Tag::ChannelDataLength, true, cat::Bytes{n});
            inflight = Inflight{c.channel, cmd.type, n, false};
            ++stats.receive_data;
            return cmd;
        }
        if (c.close_after && c.pending_out() == 0) {
            ScwsCommand cmd;
            cmd.type = cat::CommandType::CloseChannel;
            cmd.qualifier = kCloseToListen;
            cmd.channel = c.channel;
            inflight = Inflight{c.channel, cmd.type, 0, false};
            return cmd;
        }
        return std::nullopt;
    }

    std::optional<ScwsCommand> next_command() {
        if (inflight || conns.empty()) return std::nullopt;
        // Round robin: start after the channel served last.
        std::vector<std::uint8_t> order;
        for (auto& [id, c] : conns) {
            if (id > last_served) order.push_back(id);
        }
        for (auto& [id, c] : conns) {
            if (id <= last_served) order.push_back(id);
        }
        for (auto id : order) {
            if (auto cmd = command_for(conns.at(id))) {
                last_served = id;
                return cmd;
            }
        }
        return std::nullopt;
    }

    void on_response(const cat::TerminalResponse* tr) {
        if (!inflight) return;
        const Inflight in = *inflight;
        inflight.reset();
        auto it = conns.find(in.channel);
        if (it == conns.end()) return;
        Conn& c = it->second;
        const bool ok = tr && tr->result.general < 0x10;
        const std::string result =
            tr ? cat::to_hex(cat::Bytes{tr->result.general}) +
                     (tr->result.additional.empty() ? std::string()
                                                    : " " + cat::to_hex(tr->result.additional))
               : std::string("undecodable");
        switch (in.type) {
            case cat::CommandType::SendData:
                if (ok) {
                    c.out_off += in.length;
                    stats.bytes_sent += in.length;
                    c.stored = in.immediate ? 0 : c.stored + in.length;
                    if (c.out_off == c.out.size()) {
                        c.out.clear();
                        c.out_off = 0;
                    }
                } else {
                    // '3A' '02': the client is gone (the terminal is back in LISTEN and says so
                    // with a Channel status event). Anything else: close the connection.
                    const bool gone = tr && tr->result.general == 0x3A && tr->result.additional.size() == 1 &&
                                      tr->result.additional[0] == 0x02;
                    client_gone(c, "SEND DATA answered " + result);
                    if (!gone) c.close_after = true;
                }
                break;
            case cat::CommandType::ReceiveData: {
                const cat::Ctlv* len = tr ? tr->find(cat::Tag::ChannelDataLength) : nullptr;
                c.rx_known = len && len->value.size() == 1 ? len->value[0] : 0;
                if (!ok) c.rx_known = 0;
                const cat::Ctlv* data = tr ? tr->find(cat::Tag::ChannelData) : nullptr;
                if (!ok) note("RECEIVE DATA on " + where(c) + " answered " + result);
                if (data) {
                    stats.bytes_received += data->value.size();
                    if (!c.draining) on_bytes(c, data->value);
                }
                if (c.rx_known == 0) c.draining = false;
                break;
            }
            case cat::CommandType::CloseChannel:
                if (!ok) note("CLOSE CHANNEL on " + where(c) + " answered " + result);
                client_gone(c, "closed by the SCWS");
                break;
            default:
                break;
        }
    }

    void on_event(const cat::Envelope& env) {
        const cat::Ctlv* st = env.find(cat::Tag::ChannelStatus);
        if (!st) return;
        auto status = cat::ChannelStatus::decode(st->value);
        if (!status) return;
        auto it = conns.find(status->channel_id);
        if (it == conns.end()) return;
        Conn& c = it->second;
        const auto ev = env.event();
        if (ev == static_cast<std::uint8_t>(cat::EventType::DataAvailable)) {
            const cat::Ctlv* len = env.find(cat::Tag::ChannelDataLength);
            const std::size_t n = len && len->value.size() == 1 ? len->value[0] : 0;
            if (!c.connected && !c.draining) new_client(c);
            c.rx_known = std::max(c.rx_known, n);
        } else if (ev == static_cast<std::uint8_t>(cat::EventType::ChannelStatus)) {
            switch (status->tcp_state()) {
                case cat::TcpState::Established:
                    if (c.connected) client_gone(c, "a new client replaced it");
                    c.draining = false;
                    new_client(c);
                    break;
                case cat::TcpState::Listen:
                    client_gone(c, "the client closed the connection");
                    break;
                case cat::TcpState::Closed:
                    client_gone(c, "the terminal closed the channel");
                    note("channel " + std::to_string(c.channel) + " closed by the terminal");
                    end_tls(c);
                    conns.erase(it);
                    if (inflight && inflight->channel == status->channel_id) inflight.reset();
                    break;
            }
        }
    }
};

Scws::Scws(ScwsSettings settings) : impl_(std::make_unique<Impl>(std::move(settings))) {
    impl_->install_defaults();
}

Scws::~Scws() = default;

void Scws::route(std::string method, std::string path, HttpHandler handler) {
    for (auto& r : impl_->routes) {
        if (r.method == method && r.path == path) {
            r.handler = std::move(handler);
            return;
        }
    }
    impl_->routes.push_back({std::move(method), std::move(path), std::move(handler)});
}

void Scws::note(std::string text) {
    impl_->log.emplace_back(false, std::move(text));
}

void Scws::fail(std::string text) {
    impl_->log.emplace_back(true, std::move(text));
}

const ScwsSettings& Scws::settings() const {
    return impl_->settings;
}

const ScwsStats& Scws::stats() const {
    return impl_->stats;
}

void Scws::reset() {
    for (auto& [id, c] : impl_->conns) Impl::end_tls(c);
    impl_->conns.clear();
    impl_->inflight.reset();
    impl_->last_served = 0;
}

std::vector<ScwsListener> Scws::listeners() const {
    std::vector<ScwsListener> out;
    const auto& s = impl_->settings;
    for (std::size_t i = 0; i < s.http_channels; ++i) out.push_back({s.http_port, false});
    for (std::size_t i = 0; i < s.https_channels; ++i) out.push_back({s.https_port, true});
    return out;
}

void Scws::on_opened(const ScwsListener& listener, const cat::TerminalResponse* tr) {
    if (!tr || tr->result.general >= 0x10) {
        impl_->note("OPEN CHANNEL for port " + std::to_string(listener.port) + " failed" +
                    (tr ? " (" + cat::to_hex(cat::Bytes{tr->result.general}) + " " +
                              cat::to_hex(tr->result.additional) + ")"
                        : std::string(" (undecodable answer)")));
        return;
    }
    const cat::Ctlv* st = tr->find(cat::Tag::ChannelStatus);
    std::optional<cat::ChannelStatus> status;
    if (st) {
        if (auto d = cat::ChannelStatus::decode(st->value)) status = *d;
    }
    if (!status || status->channel_id == 0) {
        impl_->fail("OPEN CHANNEL for port " + std::to_string(listener.port) +
                    " answered without a channel status: the SCWS cannot use it");
        return;
    }
    Impl::Conn c;
    c.channel = status->channel_id;
    c.listener = listener;
    c.buffer_size = impl_->settings.buffer_size;
    if (const cat::Ctlv* b = tr->find(cat::Tag::BufferSize); b && b->value.size() == 2) {
        c.buffer_size = static_cast<std::uint16_t>((b->value[0] << 8) | b->value[1]);
    }
    if (c.buffer_size == 0) c.buffer_size = 1;
    impl_->note("listening on " + std::string(listener.tls ? "https" : "http") + " port " +
                std::to_string(listener.port) + " with channel " + std::to_string(c.channel) + " (buffer " +
                std::to_string(c.buffer_size) + ")");
    if (auto old = impl_->conns.find(c.channel); old != impl_->conns.end()) Impl::end_tls(old->second);
    impl_->conns[c.channel] = std::move(c);
}

bool Scws::owns(std::uint8_t channel) const {
    return impl_->conns.contains(channel);
}

std::size_t Scws::channels() const {
    return impl_->conns.size();
}

void Scws::on_event(const cat::Envelope& env) {
    impl_->on_event(env);
}

std::optional<ScwsCommand> Scws::next_command() {
    return impl_->next_command();
}

void Scws::on_response(const cat::TerminalResponse* tr) {
    impl_->on_response(tr);
}

std::vector<std::pair<bool, std::string>> Scws::take_log() {
    return std::exchange(impl_->log, {});
}

}  // namespace dmsc::gateway::sim
