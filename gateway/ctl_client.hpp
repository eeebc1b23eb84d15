// gateway/ctl_client.hpp — dmsc-ctl's side of the debug socket: connect, send one request,
// print the reply readably (or as JSON), follow a `trace` stream; plus `dmsc-ctl pcap`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace dmsc::gateway {

inline constexpr const char* kDefaultCtlSocket = "/run/dmsc-gateway/ctl.sock";

struct CtlOptions {
    std::string socket;      // empty: $DMSC_CTL_SOCKET, else kDefaultCtlSocket
    bool json = false;       // print the daemon's JSON lines as they are
    bool hex = false;        // trace: also print the C-APDU and R-APDU hex
    int timeout_ms = 10000;  // for a reply (not for trace records)
};

std::string ctl_socket_path(const CtlOptions& o);

// Whether `cmd` is one dmsc-ctl sends to the daemon (status, stats, ..., event, call).
bool is_daemon_command(std::string_view cmd);

// Builds the request of `dmsc-ctl CMD ARGS...`: {"cmd":CMD, k:v...}; `event NAME k=v...` gives
// {"cmd":"event","name":NAME,"args":{k:v}}; `call CMD k=v...` sends any command. `k=v` is a
// string, `k:=v` a JSON value (number, true, {...}). Returns false with `error` set.
bool build_request(std::string_view cmd, const std::vector<std::string_view>& args, nlohmann::json& request,
                   std::string& error);

// Human rendering of an ok reply: aligned "key: value" lines, nested objects indented, arrays of
// objects as tables. "ok" and "id" are left out. Ends with '\n' (or is empty).
std::string format_reply(const nlohmann::json& reply);

// One trace record as one line ("12:34:56.789 sim  FETCH → OPEN CHANNEL (...)  9000"), with
// `hex` two more lines of C-APDU / R-APDU; a lost-records notice as a line of its own.
std::string format_trace_record(const nlohmann::json& record, bool hex);

// Runs a daemon command (connects, prints, follows `trace` until Ctrl-C or the daemon closes).
// Returns the exit code: 0 ok, 1 cannot connect / ok:false / bad reply, 2 usage.
int run_ctl_command(std::string_view cmd, const std::vector<std::string_view>& args, const CtlOptions& o);

// `dmsc-ctl pcap OUT.pcap [FILE|-]`: reads one exchange per line — the C-APDU as one hex word,
// then the R-APDU (the rest of the line), or a daemon trace log line ("... C: 8012000014 R: D012...9000 |
// ...") — and writes a pcap file Wireshark decodes. Returns the exit code.
int run_pcap_command(const std::vector<std::string_view>& args);

}  // namespace dmsc::gateway
