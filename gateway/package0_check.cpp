// gateway/package0_check.cpp — decode + digest check of delivered Package#0 bytes (OpenSSL EVP).
#include "gateway/package0_check.hpp"

#include <memory>
#include <openssl/evp.h>
#include <stdexcept>

namespace dmsc::gateway {

namespace {

cat::ByteView view(std::string_view s) {
    return cat::ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// One hash over the concatenation of `parts`.
cat::Bytes hash(const EVP_MD* md, std::initializer_list<cat::ByteView> parts) {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1)
        throw std::runtime_error("EVP_DigestInit_ex failed");
    for (const auto& p : parts) {
        if (!p.empty() && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) {
            throw std::runtime_error("EVP_DigestUpdate failed");
        }
    }
    cat::Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1)
        throw std::runtime_error("EVP_DigestFinal_ex failed");
    out.resize(len);
    return out;
}

// RFC 4648 base64 with padding.
std::string b64(cat::ByteView data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                  static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

}  // namespace

std::string_view name_of(DigestVerdict v) {
    switch (v) {
        case DigestVerdict::Ok:
            return "ok";
        case DigestVerdict::Bad:
            return "bad";
        case DigestVerdict::Unchecked:
            break;
    }
    return "unchecked";
}

cat::Bytes dm12_digest(std::string_view server_id, std::string_view password, cat::ByteView nonce,
                       cat::ByteView trigger) {
    const EVP_MD* md5 = EVP_md5();
    const std::string credentials = b64(hash(md5, {view(server_id), view(":"), view(password)}));
    const std::string trigger_hash = b64(hash(md5, {trigger}));
    return hash(md5, {view(credentials), view(":"), nonce, view(":"), view(trigger_hash)});
}

cat::Bytes dm20_digest(cat::ByteView secret, cat::ByteView zero_digest_message, cat::ByteView auth_data) {
    return hash(EVP_sha256(), {secret, zero_digest_message, auth_data});
}

Package0Report inspect_delivery(const Config& config, cat::ByteView bytes) {
    Package0Report r;
    auto decoded = bip::decode_package0(bytes);
    if (!decoded) {
        r.error = decoded.error().describe();
        return r;
    }
    const bip::Package0& p = *decoded;
    r.recognised = true;
    r.kind = p.kind();
    r.wsp_push = p.push.has_value();
    r.server_id = p.server_id();
    r.summary = bip::summary(p);
    if (const auto* d = p.dm12()) {
        r.session_id = d->session_id;
        r.ui_mode = d->ui_mode;
    } else if (const auto* n = p.dm20()) {
        r.notification_id = n->notification_id;
    }

    if (!r.server_id) {
        r.digest_detail = "the notification names no server";
        return r;
    }
    const DmServerConfig* server = find_dm_server(config, *r.server_id);
    if (server == nullptr) {
        r.digest_detail = "no [[dm_server]] with this id";
        return r;
    }
    cat::Bytes expected;
    cat::Bytes carried;
    if (const auto* d = p.dm12()) {
        expected = dm12_digest(d->server_id, server->secret, view(server->nonce), bip::dm12_trigger(p));
        carried = d->digest;
    } else {
        const auto& n = std::get<bip::Dm20Notification>(p.body);
        if (!n.sha256_digest) {
            r.digest_detail = "no SHA256-DIGEST option";
            return r;
        }
        expected =
            dm20_digest(view(server->secret), bip::dm20_zero_digest_message(p), view(server->auth_data));
        carried = *n.sha256_digest;
    }
    if (carried == expected) {
        r.digest = DigestVerdict::Ok;
    } else {
        r.digest = DigestVerdict::Bad;
        r.digest_detail = "carried " + cat::to_hex(carried) + ", expected " + cat::to_hex(expected);
        r.drop = server->drop_bad_digest;
    }
    return r;
}

std::string describe(const Package0Report& r) {
    if (!r.recognised) return "not a DM Package#0: " + r.error;
    std::string s = r.summary + "; digest " + std::string(name_of(r.digest));
    if (!r.digest_detail.empty()) s += " (" + r.digest_detail + ")";
    if (r.drop) s += "; dropped (drop_bad_digest)";
    return s;
}

}  // namespace dmsc::gateway
