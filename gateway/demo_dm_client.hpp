// gateway/demo_dm_client.hpp — the demo DM Client (tools/dmsc-demo-client, docs/dm-demo.md): not a
// product DM Client. It waits for a Package#0 on its registered endpoint, decodes it, and when
// the notification names the configured DM_SC server runs the DM 2.0 session with the card's
// SCWS over TLS-PSK (Package#1 → #2 → #3 → END), printing a transcript. Blocking sockets and
// OpenSSL; a library so tests can run it in a thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cat/bytes.hpp"
#include "gateway/dm_protocol.hpp"

namespace dmsc::gateway::demo {

struct ClientOptions {
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 1100;
    std::string server_id;  // "" = decode only, no DM session
    std::string psk_identity = "DMSC-DM-Client";
    cat::Bytes psk_key;  // empty = plain HTTP (only with an http:// url)
    std::string url = "https://127.0.0.1:4116/OMA/DM";
    dm::DevInfo devinfo;
    int timeout_s = 30;  // waiting for the notification, and each network step
    bool once = true;
};

// The steps the transcript reports, in order.
enum class Step : std::uint8_t { Listen, Notification, Tls, Packages, End };
const char* name_of(Step s);  // "listen", "notification delivered", "TLS session", ...

struct SessionResult {
    bool ok = false;
    Step failed_step = Step::Listen;  // meaningful when !ok
    std::string error;                // names the step and what went wrong
    cat::Bytes notification;          // as received
    std::string notification_summary;
    bool tls_up = false;
    std::string tls_detail;              // protocol, cipher, identity
    std::vector<std::string> exchanged;  // one line per package
    bool ended = false;
};

// One notification: receive (listening socket already bound: `listen_fd`), decode, session.
// `out` gets the transcript lines as they happen.
SessionResult run_once(const ClientOptions& options, int listen_fd,
                       const std::function<void(const std::string&)>& out);

// The DM session alone for a received notification (used by run_once and tests).
SessionResult run_session(const ClientOptions& options, const cat::Bytes& notification,
                          const std::function<void(const std::string&)>& out);

// Binds and listens on options.listen_host:listen_port; -1 and `error` on failure.
int listen_on(const ClientOptions& options, std::string& error);

// The whole program (tools/demo_dm_client.cpp is only argument parsing around it): exit code 0
// when every step happened for every notification handled, 1 otherwise.
int run(const ClientOptions& options);

}  // namespace dmsc::gateway::demo
