// gateway/sim/scws.hpp — the simulated card's Smart Card Web Server (SCWS) over BIP UICC server
// mode: an HTTP/1.1 server (plain on one port, PSK-TLS on another) living inside the card model.
// No sockets: it speaks only through proactive commands (OPEN CHANNEL '03', RECEIVE DATA, SEND
// DATA, CLOSE CHANNEL) and the Event download ENVELOPEs the terminal sends (Data available,
// Channel status). TLS is terminated here, inside the card, with OpenSSL memory BIOs; the
// gateway only relays bytes. docs/simulated-card.md "SCWS" describes it.
//
// ---------------------------------------------------------------------------------------------
// ROUTE API (stable; used by gateway/sim/dm_server.* and tests):
//
//     sim::Scws* scws = card.scws();                  // nullptr when the scenario has no [scws]
//     scws->route("POST", "/OMA/DM", [](const sim::HttpRequest& rq) {
//         return sim::HttpResponse::make(200, "{...}", "application/vnd.oma.dm.initiation+json");
//     });
//     scws->note("DM: Package#1 received");          // into the card log
//     scws->fail("DM: Package#3 lacks Status");      // a failed expectation (the card's verdict)
//
// Handlers run on the thread that drives the card, synchronously, when a whole request (head
// and Content-Length body) has arrived; they must not call back into the Card. A handler that
// throws gets a 500. Routes match the method and the path exactly (the query is not part of
// the path); a known path with another method gets 405, anything else 404. Routes can be
// added at any time and replace an earlier one for the same method and path.
// Built in: GET / (a small text page) and POST /echo (the body back, same Content-Type).
// ---------------------------------------------------------------------------------------------
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/codes.hpp"
#include "cat/envelope.hpp"
#include "cat/response.hpp"
#include "gateway/sim/http_parser.hpp"
#include "gateway/sim/scenario.hpp"

namespace dmsc::gateway::sim {

struct HttpResponse {
    int status = 200;
    std::string reason;               // empty: the usual phrase for `status`
    std::vector<HttpHeader> headers;  // Content-Length and Connection are set by the server
    std::string body;
    bool close = false;  // close the connection after this response

    static HttpResponse make(int status, std::string body,
                             std::string content_type = "text/plain; charset=utf-8");
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// One listening port of the SCWS, as `scws_open` opens it (one OPEN CHANNEL per channel).
struct ScwsListener {
    std::uint16_t port = 0;
    bool tls = false;
};

// A proactive command the SCWS wants sent; the Card adds command details and device
// identities (UICC → channel `channel`). `body` = the simple TLVs after device identities.
struct ScwsCommand {
    cat::CommandType type = cat::CommandType::SendData;
    std::uint8_t qualifier = 0;
    std::uint8_t channel = 0;
    cat::Bytes body;
};

struct ScwsStats {
    std::size_t connections = 0;     // clients seen (Channel status ESTABLISHED or first data)
    std::size_t requests = 0;        // complete requests handed to a route (or 404/405)
    std::size_t bad_requests = 0;    // answered 4xx/5xx by the parser itself
    std::size_t tls_handshakes = 0;  // completed
    std::size_t tls_failures = 0;
    std::size_t bytes_received = 0;  // channel data read with RECEIVE DATA
    std::size_t bytes_sent = 0;      // channel data accepted by SEND DATA
    std::size_t receive_data = 0;    // commands issued
    std::size_t send_data = 0;
};

class Scws {
public:
    explicit Scws(ScwsSettings settings);
    ~Scws();
    Scws(const Scws&) = delete;
    Scws& operator=(const Scws&) = delete;

    // ---- for route providers ----
    void route(std::string method, std::string path, HttpHandler handler);
    void note(std::string text);
    void fail(std::string text);
    const ScwsSettings& settings() const;
    const ScwsStats& stats() const;

    // ---- for the Card ----
    // Card power-on / reset: every channel and connection is forgotten (routes stay).
    void reset();
    // What `scws_open` opens, in order: the HTTP channels, then the HTTPS channels.
    std::vector<ScwsListener> listeners() const;
    // The TERMINAL RESPONSE to one of those OPEN CHANNELs (nullptr: it did not decode).
    void on_opened(const ScwsListener& listener, const cat::TerminalResponse* tr);
    // Whether the channel (1..7) is one of the SCWS's; how many it has.
    bool owns(std::uint8_t channel) const;
    std::size_t channels() const;
    // An Event download ENVELOPE (Data available / Channel status) for one of its channels.
    void on_event(const cat::Envelope& env);
    // The next command to send, round robin over the channels; nullopt: nothing to do.
    std::optional<ScwsCommand> next_command();
    // The TERMINAL RESPONSE to the last command next_command() gave (nullptr: undecodable).
    void on_response(const cat::TerminalResponse* tr);
    // Log lines since the last call: (failed?, text).
    std::vector<std::pair<bool, std::string>> take_log();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace dmsc::gateway::sim
