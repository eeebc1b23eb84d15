// tests/gateway/test_package0_check.cpp — Package#0 inspection at the edge: round trips of the
// simulated card's encoders through bip::decode_package0, the digest formulas against a second
// computation path written here (one-shot EVP_Digest, a local base64) and published hash
// vectors, the verdicts and drop decision of inspect_delivery, and a scenario whose card signs
// its notification. tests/ctl/test_package0_digest.py checks the same digests with Python's
// hashlib through dmsc-ctl.
#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <string>

#include "bip/package0.hpp"
#include "gateway/config.hpp"
#include "gateway/package0_check.hpp"
#include "gateway/sim/scenario.hpp"

using namespace dmsc;
using namespace dmsc::gateway;

namespace {

cat::ByteView bv(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

cat::Bytes one_shot(const EVP_MD* md, const cat::Bytes& data) {
    cat::Bytes out(EVP_MAX_MD_SIZE);
    unsigned int n = 0;
    REQUIRE(EVP_Digest(data.data(), data.size(), out.data(), &n, md, nullptr) == 1);
    out.resize(n);
    return out;
}

// RFC 4648 section 4, written out here so the test does not share code with the gateway.
std::string base64(const cat::Bytes& in) {
    static const char* const kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
        for (int k = 18; k >= 0; k -= 6) out += kAlphabet[(v >> k) & 0x3F];
    }
    if (i + 1 == in.size()) {
        const unsigned v = in[i] << 16;
        out += kAlphabet[(v >> 18) & 0x3F];
        out += kAlphabet[(v >> 12) & 0x3F];
        out += "==";
    } else if (i + 2 == in.size()) {
        const unsigned v = (in[i] << 16) | (in[i + 1] << 8);
        out += kAlphabet[(v >> 18) & 0x3F];
        out += kAlphabet[(v >> 12) & 0x3F];
        out += kAlphabet[(v >> 6) & 0x3F];
        out += '=';
    }
    return out;
}

cat::Bytes bytes_of(const std::string& s) {
    return cat::Bytes(s.begin(), s.end());
}
cat::Bytes join(const cat::Bytes& a, const cat::Bytes& b) {
    cat::Bytes r = a;
    r.insert(r.end(), b.begin(), b.end());
    return r;
}

// The DM 1.2 formula composed step by step.
cat::Bytes dm12_reference(const std::string& id, const std::string& pw, const std::string& nonce,
                          const cat::Bytes& trigger) {
    const std::string cred = base64(one_shot(EVP_md5(), bytes_of(id + ":" + pw)));
    const std::string trig = base64(one_shot(EVP_md5(), trigger));
    return one_shot(EVP_md5(), bytes_of(cred + ":" + nonce + ":" + trig));
}

Config config_with(const std::string& id, const std::string& secret, const std::string& nonce = "",
                   const std::string& auth = "", bool drop = false) {
    Config c = default_config();
    c.dm_servers.push_back({id, secret, auth, nonce, drop});
    return c;
}

}  // namespace

TEST_CASE("digest building blocks match published vectors") {
    // FIPS 180-2 appendix B.1 and RFC 1321 appendix A.5.
    CHECK(cat::to_hex(dm20_digest({}, bv("abc"), {})) ==
          "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
    CHECK(cat::to_hex(one_shot(EVP_md5(), bytes_of("abc"))) == "900150983CD24FB0D6963F7D28E17F72");
    // RFC 4648 section 10 for the local base64.
    CHECK(base64(bytes_of("f")) == "Zg==");
    CHECK(base64(bytes_of("fo")) == "Zm8=");
    CHECK(base64(bytes_of("foobar")) == "Zm9vYmFy");
}

TEST_CASE("DM 1.2 digest = MD5(B64(MD5(id:password)):nonce:B64(MD5(trigger)))") {
    const cat::Bytes trigger = {0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 'S', 'R', 'V'};
    for (const std::string& nonce : {std::string(), std::string("abc"), std::string("\0\0\0\0", 4)}) {
        CHECK(dm12_digest("SRV", "secret", bv(nonce), trigger) ==
              dm12_reference("SRV", "secret", nonce, trigger));
    }
    CHECK(dm12_digest("SRV", "secret", {}, trigger) != dm12_digest("SRV", "secreT", {}, trigger));
}

TEST_CASE("DM 2.0 digest = SHA-256(secret | notification with zero digest | auth-data)") {
    const cat::Bytes msg = {0x20, 0x80, 0x40, 0x20};
    cat::Bytes zeroed = msg;
    zeroed.resize(msg.size() + 32, 0);
    CHECK(dm20_digest(bv("k"), zeroed, bv("ad")) ==
          one_shot(EVP_sha256(), join(join(bytes_of("k"), zeroed), bytes_of("ad"))));
}

TEST_CASE("the simulated card's DM 1.2 encoder round-trips through decode_package0") {
    for (std::uint8_t ui = 0; ui < 4; ++ui) {
        gateway::sim::Dm12Package0 p;
        p.server_id = "server-" + std::to_string(ui);
        p.session_id = static_cast<std::uint16_t>(0xFF00 + ui);
        p.ui_mode = ui;
        p.initiator = ui & 1;
        p.digest = cat::Bytes(16, static_cast<std::uint8_t>(ui * 7));
        p.vendor = cat::Bytes(ui, 0xEE);
        const auto bytes = encode(p);
        auto d = bip::decode_package0(bytes);
        REQUIRE_MESSAGE(d.ok(), d.error().describe());
        const auto* n = d->dm12();
        REQUIRE(n);
        CHECK(n->server_id == p.server_id);
        CHECK(n->session_id == p.session_id);
        CHECK(n->ui_mode == p.ui_mode);
        CHECK(n->initiator == p.initiator);
        CHECK(n->digest == p.digest);
        CHECK(n->vendor == p.vendor);
        CHECK(n->version == 12);
    }
}

TEST_CASE("the simulated card's DM 2.0 encoder round-trips through decode_package0") {
    gateway::sim::Dm20Package0 p;
    p.server_id = "DMSC-Server";
    p.preferred_con_types = {0x02, 0x01, 0x00};
    p.notification_id = 0xBEEF;
    p.sha256_digest = cat::Bytes(32, 0x11);
    p.timestamp = cat::Bytes{0x65, 0x00, 0x00, 0x01};
    p.req_mos = true;
    auto d = bip::decode_package0(encode(p));
    REQUIRE_MESSAGE(d.ok(), d.error().describe());
    const auto* n = d->dm20();
    REQUIRE(n);
    CHECK(n->server_id == p.server_id);
    CHECK(n->preferred_con_types == p.preferred_con_types);
    CHECK(n->notification_id == p.notification_id);
    CHECK(n->sha256_digest == p.sha256_digest);
    CHECK(n->timestamp == p.timestamp);
    CHECK(n->req_mos);
    CHECK(d->notes.empty());
    // Each option alone too.
    gateway::sim::Dm20Package0 only_id;
    only_id.notification_id = 7;
    auto d2 = bip::decode_package0(encode(only_id));
    REQUIRE(d2.ok());
    CHECK(d2->dm20()->notification_id == 7u);
    CHECK(d2->notes.empty());  // 2 bytes, as seed 004 requires
}

TEST_CASE("inspect_delivery: ok, bad, unchecked, and the drop decision") {
    gateway::sim::Dm12Package0 p;
    p.server_id = "DMSC-Server";
    p.session_id = 42;
    p.ui_mode = 1;
    const auto unsigned_bytes = encode(p);
    const cat::Bytes trigger(unsigned_bytes.begin() + 16, unsigned_bytes.end());
    p.digest = dm12_reference("DMSC-Server", "pw", "N", trigger);
    const auto signed_bytes = encode(p);

    auto ok = inspect_delivery(config_with("DMSC-Server", "pw", "N"), signed_bytes);
    CHECK(ok.recognised);
    CHECK(ok.kind == bip::Package0Kind::Dm12);
    CHECK(ok.server_id == "DMSC-Server");
    CHECK(ok.session_id == 42);
    CHECK(ok.ui_mode == 1);
    CHECK(ok.digest == DigestVerdict::Ok);
    CHECK_FALSE(ok.drop);
    CHECK(describe(ok) ==
          "DM 1.2 notification: server \"DMSC-Server\", session id 42, ui-mode 1 (background), server "
          "initiated, "
          "version 12; digest ok");

    auto bad = inspect_delivery(config_with("DMSC-Server", "pw", "other nonce"), signed_bytes);
    CHECK(bad.digest == DigestVerdict::Bad);
    CHECK_FALSE(bad.drop);
    CHECK(bad.digest_detail.find("carried " + cat::to_hex(p.digest) + ", expected ") == 0);
    auto dropped = inspect_delivery(config_with("DMSC-Server", "wrong", "N", "", true), signed_bytes);
    CHECK(dropped.digest == DigestVerdict::Bad);
    CHECK(dropped.drop);
    CHECK(describe(dropped).find("; dropped (drop_bad_digest)") != std::string::npos);

    auto unknown = inspect_delivery(config_with("someone else", "pw"), signed_bytes);
    CHECK(unknown.digest == DigestVerdict::Unchecked);
    CHECK(unknown.digest_detail == "no [[dm_server]] with this id");

    // One flipped trigger bit makes it bad.
    auto tampered = signed_bytes;
    tampered[20] ^= 0x01;
    CHECK(inspect_delivery(config_with("DMSC-Server", "pw", "N"), tampered).digest == DigestVerdict::Bad);

    auto junk = inspect_delivery(default_config(), cat::Bytes{0x01, 0x02});
    CHECK_FALSE(junk.recognised);
    CHECK(describe(junk).rfind("not a DM Package#0: offset ", 0) == 0);
}

TEST_CASE("inspect_delivery: DM 2.0 digest, without and with auth-data; no digest option is unchecked") {
    gateway::sim::Dm20Package0 p;
    p.server_id = "dms";
    p.notification_id = 9;
    p.sha256_digest = cat::Bytes(32, 0);
    const auto zero = encode(p);
    p.sha256_digest = one_shot(EVP_sha256(), join(join(bytes_of("s3cret"), zero), bytes_of("AD")));
    const auto signed_bytes = encode(p);
    auto r = inspect_delivery(config_with("dms", "s3cret", "", "AD"), signed_bytes);
    CHECK(r.kind == bip::Package0Kind::Dm20);
    CHECK(r.notification_id == 9u);
    CHECK(r.digest == DigestVerdict::Ok);
    CHECK(inspect_delivery(config_with("dms", "s3cret"), signed_bytes).digest == DigestVerdict::Bad);
    gateway::sim::Dm20Package0 plain;
    plain.server_id = "dms";
    auto u = inspect_delivery(config_with("dms", "s3cret"), encode(plain));
    CHECK(u.digest == DigestVerdict::Unchecked);
    CHECK(u.digest_detail == "no SHA256-DIGEST option");
}

TEST_CASE("a scenario whose card signs its notifications: the gateway's check agrees") {
    const auto scenario = gateway::sim::parse_scenario(R"toml(
[[step]]
on = "profile"
command = "send_data"
payload = "dm12-package0"
server_id = "DMSC-Server"
session_id = 5
secret = "card-password"
nonce = "n0"

[[step]]
on = "response"
command = "send_data"
payload = "dm20-package0"
server_id = "DMSC-Server"
notification_id = 300
secret = "card-secret"
auth_data = "ad"
)toml",
                                                       "signed.toml");
    REQUIRE(scenario.steps.size() == 2);
    Config c = default_config();
    c.dm_servers.push_back({"DMSC-Server", "card-password", "", "n0", false});
    auto r12 = inspect_delivery(c, scenario.steps[0].command.data);
    CHECK(r12.digest == DigestVerdict::Ok);
    // The DM 1.2 digest is recomputed here from the delivered bytes.
    const auto& d = scenario.steps[0].command.data;
    CHECK(cat::Bytes(d.begin(), d.begin() + 16) ==
          dm12_reference("DMSC-Server", "card-password", "n0", cat::Bytes(d.begin() + 16, d.end())));
    c.dm_servers[0] = {"DMSC-Server", "card-secret", "ad", "", false};
    auto r20 = inspect_delivery(c, scenario.steps[1].command.data);
    CHECK(r20.notification_id == 300u);
    CHECK(r20.digest == DigestVerdict::Ok);
}
