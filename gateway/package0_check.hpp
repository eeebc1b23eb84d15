// gateway/package0_check.hpp — Package#0 inspection at the edge: bip::decode_package0 on the
// bytes a channel delivers to the DM Client, plus the digest check with OpenSSL against the
// [[dm_server]] entries of the config (DM 1.2: MD5, DM 2.0: SHA-256). A report for the log and
// the trace; delivery is never changed unless `drop_bad_digest` says so (docs/package0.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bip/package0.hpp"
#include "cat/bytes.hpp"
#include "gateway/config.hpp"

namespace dmsc::gateway {

enum class DigestVerdict : std::uint8_t {
    Unchecked,  // no [[dm_server]] for the server id, no server id, or no digest in the notification
    Ok,
    Bad,
};
std::string_view name_of(DigestVerdict v);  // "unchecked", "ok", "bad"

struct Package0Report {
    bool recognised = false;  // a DM 1.2 notification or a DM 2.0 Package#0
    std::string error;        // why not, when not recognised ("offset N: ...")
    bip::Package0Kind kind = bip::Package0Kind::Dm12;
    bool wsp_push = false;
    std::optional<std::string> server_id;
    std::optional<std::uint16_t> session_id;       // DM 1.2
    std::optional<std::uint32_t> notification_id;  // DM 2.0
    std::optional<std::uint8_t> ui_mode;           // DM 1.2
    DigestVerdict digest = DigestVerdict::Unchecked;
    std::string digest_detail;  // why unchecked, or what was expected when bad
    // The config asks not to deliver it (a bad digest and drop_bad_digest = true).
    bool drop = false;
    std::string summary;  // bip::summary of the notification
};

// Decodes and checks `bytes` (everything one channel delivered, or one datagram).
Package0Report inspect_delivery(const Config& config, cat::ByteView bytes);
// One line for the log and the trace, e.g.
// "DM 1.2 notification: server \"DMSC-Server\", session id 1, ui-mode 0 (not specified), ...; digest ok"
std::string describe(const Package0Report& report);

// The digests themselves (OpenSSL EVP), exposed for tests and `dmsc-ctl decode`:
// DM Notification 1.2: H(B64(H(server-id ":" password)) ":" nonce ":" B64(H(trigger))), H = MD5,
// B64 = base64 with padding.
cat::Bytes dm12_digest(std::string_view server_id, std::string_view password, cat::ByteView nonce,
                       cat::ByteView trigger);
// Seed 004 5.2.1.2: SHA-256(server-secret | notification with a zero digest | auth-data).
cat::Bytes dm20_digest(cat::ByteView secret, cat::ByteView zero_digest_message, cat::ByteView auth_data);

}  // namespace dmsc::gateway
