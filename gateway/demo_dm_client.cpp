// gateway/demo_dm_client.cpp — the demo DM Client: blocking POSIX sockets, OpenSSL TLS-PSK,
// HTTP/1.1 requests carrying the DM 2.0 packages of gateway/dm_protocol.
#include "gateway/demo_dm_client.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bip/package0.hpp"

namespace dmsc::gateway::demo {

namespace {

std::string ssl_errors() {
    std::string s;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!s.empty()) s += "; ";
        s += buf;
    }
    return s.empty() ? "no OpenSSL error queued" : s;
}

struct Url {
    bool tls = true;
    std::string host;
    std::string port;
    std::string path;
};

bool parse_url(const std::string& url, Url& out, std::string& why) {
    std::string rest;
    if (url.rfind("https://", 0) == 0) {
        out.tls = true;
        rest = url.substr(8);
    } else if (url.rfind("http://", 0) == 0) {
        out.tls = false;
        rest = url.substr(7);
    } else {
        why = "the URL must start with https:// or http://";
        return false;
    }
    const auto slash = rest.find('/');
    std::string hostport = rest.substr(0, slash);
    out.path = slash == std::string::npos ? "/" : rest.substr(slash);
    const auto colon = hostport.rfind(':');
    if (colon == std::string::npos) {
        out.host = hostport;
        out.port = out.tls ? "443" : "80";
    } else {
        out.host = hostport.substr(0, colon);
        out.port = hostport.substr(colon + 1);
    }
    if (out.host.size() >= 2 && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
    if (out.host.empty() || out.port.empty()) {
        why = "no host or port in the URL";
        return false;
    }
    return true;
}

void set_timeouts(int fd, int seconds) {
    timeval tv{seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

struct SslCtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
};

// TLS-PSK (RFC 4279): identity and key from the options the SSL object carries.
unsigned int psk_client_callback(SSL* ssl, const char* /*hint*/, char* identity,
                                 unsigned int max_identity_len, unsigned char* psk,
                                 unsigned int max_psk_len) {
    const auto* o = static_cast<const ClientOptions*>(SSL_get_app_data(ssl));
    if (o == nullptr || o->psk_identity.size() + 1 > max_identity_len || o->psk_key.size() > max_psk_len)
        return 0;
    std::memcpy(identity, o->psk_identity.c_str(), o->psk_identity.size() + 1);
    std::memcpy(psk, o->psk_key.data(), o->psk_key.size());
    return static_cast<unsigned int>(o->psk_key.size());
}

// One HTTP connection to the DM_SC Server (TLS-PSK or plain).
class Connection {
public:
    Connection(const ClientOptions& o, Url url) : o_(o), url_(std::move(url)) {}
    ~Connection() { close(); }

    bool open(std::string& detail, std::string& error) {
        close();
        addrinfo hints{};
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* res = nullptr;
        if (int rc = ::getaddrinfo(url_.host.c_str(), url_.port.c_str(), &hints, &res); rc != 0) {
            error = "cannot resolve " + url_.host + ": " + gai_strerror(rc);
            return false;
        }
        std::string last = "no address";
        for (addrinfo* a = res; a != nullptr && fd_ < 0; a = a->ai_next) {
            int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
            if (fd < 0) continue;
            set_timeouts(fd, o_.timeout_s);
            if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
                fd_ = fd;
            } else {
                last = std::strerror(errno);
                ::close(fd);
            }
        }
        ::freeaddrinfo(res);
        if (fd_ < 0) {
            error = "cannot connect to " + url_.host + ":" + url_.port + ": " + last;
            return false;
        }
        if (!url_.tls) {
            detail = "plain HTTP to " + url_.host + ":" + url_.port;
            return true;
        }
        if (o_.psk_key.empty()) {
            error = "no PSK key (--psk-key HEX) for https";
            return false;
        }
        if (!ctx_) {
            ctx_.reset(SSL_CTX_new(TLS_client_method()));
            if (!ctx_ || SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION) != 1 ||
                SSL_CTX_set_cipher_list(ctx_.get(), "kPSK:kECDHEPSK:!NULL:!RC4:!3DES") != 1) {
                error = "TLS context: " + ssl_errors();
                return false;
            }
            SSL_CTX_set_psk_client_callback(ctx_.get(), &psk_client_callback);
        }
        ssl_.reset(SSL_new(ctx_.get()));
        if (!ssl_ || SSL_set_fd(ssl_.get(), fd_) != 1) {
            error = "TLS: " + ssl_errors();
            return false;
        }
        SSL_set_app_data(ssl_.get(), const_cast<ClientOptions*>(&o_));
        if (SSL_connect(ssl_.get()) != 1) {
            error = "TLS-PSK handshake with " + url_.host + ":" + url_.port + " failed: " + ssl_errors();
            return false;
        }
        detail = std::string(SSL_get_version(ssl_.get())) + " " + SSL_get_cipher_name(ssl_.get()) + " with " +
                 url_.host + ":" + url_.port + ", PSK identity \"" + o_.psk_identity + "\"";
        return true;
    }

    bool is_open() const { return fd_ >= 0; }

    void close() {
        if (ssl_) {
            SSL_shutdown(ssl_.get());
            ssl_.reset();
        }
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        buffer_.clear();
    }

    struct Response {
        int status = 0;
        std::string content_type;
        std::string body;
        bool close = false;
    };

    // POST with the DM headers; the response, or nullopt and `error`.
    std::optional<Response> post(const dm::HttpBody& body, std::string& error) {
        std::string rq = "POST " + url_.path + " HTTP/1.1\r\nHost: " + url_.host + ":" + url_.port +
                         "\r\nContent-Type: " + body.content_type +
                         "\r\nAccept: " + std::string(dm::kPackage2Type) + "\r\n" +
                         std::string(dm::kDevIdHeader) + ": " + o_.devinfo.dev_id +
                         "\r\nContent-Length: " + std::to_string(body.body.size()) + "\r\n\r\n" + body.body;
        if (!write_all(rq, error)) return std::nullopt;
        // Head.
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
            if (buffer_.size() > 16384) {
                error = "the response head is longer than 16 KiB";
                return std::nullopt;
            }
            if (!read_more(error)) return std::nullopt;
        }
        const std::string head = buffer_.substr(0, end);
        buffer_.erase(0, end + 4);
        Response r;
        if (head.rfind("HTTP/1.", 0) != 0 || head.size() < 12) {
            error = "not an HTTP response: \"" + head.substr(0, head.find('\r')) + "\"";
            return std::nullopt;
        }
        r.status = std::atoi(head.c_str() + 9);
        std::size_t length = std::string::npos;
        std::size_t pos = head.find("\r\n");
        while (pos != std::string::npos) {
            const std::size_t next = head.find("\r\n", pos + 2);
            const std::string line =
                head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
            pos = next;
            const auto colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::string name = line.substr(0, colon);
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            if (name == "content-type") r.content_type = value;
            if (name == "content-length") length = std::strtoul(value.c_str(), nullptr, 10);
            if (name == "connection" && (value == "close" || value == "Close")) r.close = true;
        }
        if (length == std::string::npos) {
            // No length: the body runs to the end of the connection.
            std::string ignored;
            while (read_more(ignored)) {
            }
            r.body = buffer_;
            buffer_.clear();
            r.close = true;
        } else {
            while (buffer_.size() < length) {
                if (!read_more(error)) return std::nullopt;
            }
            r.body = buffer_.substr(0, length);
            buffer_.erase(0, length);
        }
        if (r.close) close();
        return r;
    }

private:
    bool write_all(const std::string& data, std::string& error) {
        std::size_t off = 0;
        while (off < data.size()) {
            int n;
            if (ssl_) {
                n = SSL_write(ssl_.get(), data.data() + off, static_cast<int>(data.size() - off));
            } else {
                n = static_cast<int>(::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL));
            }
            if (n <= 0) {
                error = "write failed: " + (ssl_ ? ssl_errors() : std::string(std::strerror(errno)));
                return false;
            }
            off += static_cast<std::size_t>(n);
        }
        return true;
    }
    bool read_more(std::string& error) {
        char buf[4096];
        int n;
        if (ssl_) {
            n = SSL_read(ssl_.get(), buf, sizeof buf);
        } else {
            n = static_cast<int>(::recv(fd_, buf, sizeof buf, 0));
        }
        if (n <= 0) {
            error = n == 0 ? "the server closed the connection"
                    : (errno == EAGAIN || errno == EWOULDBLOCK)
                        ? "no answer within " + std::to_string(o_.timeout_s) + " s"
                        : "read failed: " + (ssl_ ? ssl_errors() : std::string(std::strerror(errno)));
            return false;
        }
        buffer_.append(buf, static_cast<std::size_t>(n));
        return true;
    }

    const ClientOptions& o_;
    Url url_;
    int fd_ = -1;
    std::unique_ptr<SSL_CTX, SslCtxFree> ctx_;
    std::unique_ptr<SSL, SslFree> ssl_;
    std::string buffer_;
};

SessionResult failed(SessionResult r, Step step, const std::string& why) {
    r.ok = false;
    r.failed_step = step;
    r.error = std::string("step \"") + name_of(step) + "\": " + why;
    return r;
}

std::string commands_text(const std::vector<dm::Command>& cmds) {
    std::string s;
    for (const auto& c : cmds) {
        std::string one;
        for (const auto& p : c) one += (one.empty() ? "" : " ") + p;
        s += (s.empty() ? "" : ", ") + one;
    }
    return s;
}

}  // namespace

const char* name_of(Step s) {
    switch (s) {
        case Step::Listen:
            return "listen";
        case Step::Notification:
            return "notification delivered";
        case Step::Tls:
            return "TLS session up";
        case Step::Packages:
            return "packages exchanged";
        case Step::End:
            return "DM session ended";
    }
    return "?";
}

int listen_on(const ClientOptions& o, std::string& error) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(o.listen_port);
    if (int rc = ::getaddrinfo(o.listen_host.c_str(), port.c_str(), &hints, &res); rc != 0) {
        error = "cannot resolve " + o.listen_host + ": " + gai_strerror(rc);
        return -1;
    }
    int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
    int one = 1;
    if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || ::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 4) != 0) {
        error = "cannot listen on " + o.listen_host + ":" + port + ": " + std::strerror(errno);
        if (fd >= 0) ::close(fd);
        ::freeaddrinfo(res);
        return -1;
    }
    ::freeaddrinfo(res);
    return fd;
}

SessionResult run_session(const ClientOptions& o, const cat::Bytes& notification,
                          const std::function<void(const std::string&)>& out) {
    SessionResult r;
    r.notification = notification;
    auto p0 = bip::decode_package0(notification);
    if (!p0) return failed(r, Step::Notification, "not a DM Package#0: " + p0.error().describe());
    r.notification_summary = bip::summary(*p0);
    out("[1/4] notification delivered: " + std::to_string(notification.size()) + " bytes, " +
        r.notification_summary);
    if (o.server_id.empty()) {
        r.ok = true;  // decode only
        return r;
    }
    const auto sid = p0->server_id();
    if (!sid || *sid != o.server_id) {
        return failed(r, Step::Notification,
                      "the notification names server " + (sid ? "\"" + *sid + "\"" : std::string("(none)")) +
                          ", not the configured DM_SC server \"" + o.server_id + "\"; no DM session");
    }
    // DM 2.0: the NOTIFICATION-ID goes back in the Generic Alert; a DM 1.2 trigger has a session
    // id instead, which the demo sends in its place.
    std::uint32_t notification_id = 0;
    if (const auto* d = p0->dm12()) {
        notification_id = d->session_id;
    } else if (const auto& n = std::get<bip::Dm20Notification>(p0->body); n.notification_id) {
        notification_id = *n.notification_id;
    }

    Url url;
    std::string why;
    if (!parse_url(o.url, url, why)) return failed(r, Step::Tls, o.url + ": " + why);
    Connection conn(o, url);
    if (!conn.open(r.tls_detail, why)) return failed(r, Step::Tls, why);
    r.tls_up = true;
    out("[2/4] TLS session up: " + r.tls_detail);

    dm::Package1 p1;
    p1.notification_id = notification_id;
    if (p0->kind() == bip::Package0Kind::Dm20 && std::get<bip::Dm20Notification>(p0->body).req_mos) {
        p1.mos = {std::string(dm::kDevInfoMoid)};
    }
    dm::HttpBody request{std::string(dm::kPackage1Type), dm::encode_package1(p1)};
    std::string sent_what =
        "Package#1 (ServerInitiatedMgmt, NOTIFICATION-ID " + std::to_string(notification_id) + ")";
    for (int round = 0; round < 16; ++round) {
        if (!conn.is_open() && !conn.open(r.tls_detail, why))
            return failed(r, Step::Tls, "reconnecting: " + why);
        auto resp = conn.post(request, why);
        if (!resp) return failed(r, Step::Packages, sent_what + ": " + why);
        r.exchanged.push_back(sent_what + " -> HTTP " + std::to_string(resp->status));
        if (resp->status != 200) {
            // 5.6: a 4xx/5xx aborts the session.
            std::string text = resp->body.substr(0, 300);
            while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
            return failed(r, Step::Packages,
                          sent_what + " answered HTTP " + std::to_string(resp->status) + ": " + text);
        }
        if (dm::media_type(resp->content_type) != dm::kPackage2Type) {
            return failed(r, Step::Packages,
                          "the answer to " + sent_what + " is \"" + resp->content_type + "\", not " +
                              std::string(dm::kPackage2Type));
        }
        dm::ProtocolError e;
        auto cmds = dm::decode_package2(resp->body, e);
        if (!cmds) return failed(r, Step::Packages, e.message);
        r.exchanged.push_back("Package#2: " + commands_text(*cmds));
        out("      " + r.exchanged[r.exchanged.size() - 2] + "; " + r.exchanged.back());
        // 5.2.3: process in order; END ends the session without a Package#3 (5.3.9).
        std::vector<dm::Status> statuses;
        std::vector<dm::DataPart> data;
        bool end = false;
        for (std::size_t i = 0; i < cmds->size(); ++i) {
            const auto& c = (*cmds)[i];
            if (c[0] == "END") {
                end = true;
            } else if (c[0] == "GET" && c.size() == 2) {
                auto g = dm::get(o.devinfo, c[1], i);
                statuses.push_back({g.sc, {}});
                if (g.data) data.push_back(*g.data);
            } else {
                statuses.push_back({501, {}});  // Appendix C: not implemented by this demo
            }
        }
        if (end) {
            r.ended = true;
            out("[3/4] packages exchanged: " + std::to_string(r.exchanged.size()) + " (Package#1, " +
                std::to_string(round + 1) + " Package#2, " + std::to_string(round) + " Package#3)");
            out("[4/4] DM session ended: END received");
            r.ok = true;
            return r;
        }
        request = dm::encode_package3(statuses, data);
        std::string codes;
        for (const auto& s : statuses) codes += (codes.empty() ? "" : ",") + std::to_string(s.sc);
        sent_what = "Package#3 (status " + codes +
                    (data.empty() ? "" : ", " + std::to_string(data.size()) + " data part") + ")";
    }
    return failed(r, Step::End, "no END after 16 Package#2");
}

SessionResult run_once(const ClientOptions& o, int listen_fd,
                       const std::function<void(const std::string&)>& out) {
    SessionResult r;
    pollfd p{listen_fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, o.timeout_s * 1000);
    if (ready <= 0) {
        return failed(r, Step::Notification,
                      "nothing connected to " + o.listen_host + ":" + std::to_string(o.listen_port) +
                          " within " + std::to_string(o.timeout_s) +
                          " s (is dmsc-gatewayd running and the card registered?)");
    }
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return failed(r, Step::Notification, std::string("accept: ") + std::strerror(errno));
    set_timeouts(fd, o.timeout_s);
    cat::Bytes data;
    std::uint8_t buf[4096];
    while (true) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;  // the gateway closes the connection at CLOSE CHANNEL
        data.insert(data.end(), buf, buf + n);
        if (data.size() > 65536) break;
    }
    ::close(fd);
    if (data.empty()) return failed(r, Step::Notification, "the connection closed without data");
    return run_session(o, data, out);
}

int run(const ClientOptions& o) {
    auto out = [](const std::string& line) {
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
    };
    std::string error;
    const int fd = listen_on(o, error);
    if (fd < 0) {
        std::fprintf(stderr, "dm-client: FAILED at step \"listen\": %s\n", error.c_str());
        return 1;
    }
    out("dm-client: listening on " + o.listen_host + ":" + std::to_string(o.listen_port) +
        (o.server_id.empty() ? " (decode only)" : ", DM_SC server \"" + o.server_id + "\" at " + o.url));
    int rc = 0;
    do {
        const SessionResult r = run_once(o, fd, out);
        if (!r.ok) {
            std::fprintf(stderr, "dm-client: FAILED at %s\n", r.error.c_str());
            rc = 1;
        } else if (!o.server_id.empty()) {
            out("dm-client: every step happened (notification delivered, TLS session up, packages exchanged, "
                "DM "
                "session ended)");
        }
    } while (!o.once);
    ::close(fd);
    return rc;
}

}  // namespace dmsc::gateway::demo
