// bip/package0.cpp — decoding of DM Package#0 bytes (DM 1.2 notification, DM 2.0 binary
// Package#0, WSP push wrapper) with errors that name the byte offset and the field.
#include "bip/package0.hpp"

#include <cstdio>
#include <utility>

namespace dmsc::bip {

namespace {

cat::Error fail(std::size_t offset, std::string message) {
    return cat::make_error(0x32, offset, 0, std::move(message));
}

std::string hex_byte(std::uint8_t b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "'%02X'", static_cast<unsigned>(b));
    return buf;
}

// RFC 3629: well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF). Returns the
// offset of the first bad byte, or nullopt.
std::optional<std::size_t> utf8_error(cat::ByteView s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const std::uint8_t b = s[i];
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (b < 0x80) {
            ++i;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            n = 1;
            cp = b & 0x1F;
        } else if ((b & 0xF0) == 0xE0) {
            n = 2;
            cp = b & 0x0F;
        } else if ((b & 0xF8) == 0xF0) {
            n = 3;
            cp = b & 0x07;
        } else {
            return i;
        }
        if (i + n >= s.size()) return i;  // truncated sequence
        for (std::size_t k = 1; k <= n; ++k) {
            if ((s[i + k] & 0xC0) != 0x80) return i + k;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += n + 1;
    }
    return std::nullopt;
}

// A server identifier for a one-line summary: printable ASCII as is, the rest as \xNN.
std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7F && c != '"' && c != '\\') {
            out += c;
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", u);
            out += buf;
        }
    }
    return out + "\"";
}

std::string as_string(cat::ByteView v) {
    return std::string(v.begin(), v.end());
}

// --- WSP (WAP-230) primitives over a view with an absolute base offset ----------------------

struct Cursor {
    cat::ByteView data;
    std::size_t pos = 0;
    std::size_t base = 0;
    std::size_t at() const { return base + pos; }
    std::size_t left() const { return data.size() - pos; }
};

// 8.1.2 uintvar: 7 bits per octet, continuation bit 0x80, at most 5 octets (32 bits).
std::optional<cat::Error> read_uintvar(Cursor& c, std::uint32_t& out, const char* what) {
    const std::size_t start = c.at();
    std::uint64_t v = 0;
    for (int i = 0; i < 5; ++i) {
        if (c.left() == 0) return fail(start, std::string(what) + ": uintvar runs past the end");
        const std::uint8_t b = c.data[c.pos++];
        v = (v << 7) | (b & 0x7F);
        if ((b & 0x80) == 0) {
            if (v > 0xFFFFFFFFu) return fail(start, std::string(what) + ": uintvar larger than 32 bits");
            out = static_cast<std::uint32_t>(v);
            return std::nullopt;
        }
    }
    return fail(start, std::string(what) + ": uintvar longer than 5 octets");
}

// 8.4.2.1 Text-string: optional quote '7F', then octets up to a NUL.
std::optional<cat::Error> read_text(Cursor& c, std::string& out, const char* what) {
    const std::size_t start = c.at();
    if (c.left() > 0 && c.data[c.pos] == 0x7F) ++c.pos;
    out.clear();
    while (c.left() > 0) {
        const std::uint8_t b = c.data[c.pos++];
        if (b == 0) return std::nullopt;
        out += static_cast<char>(b);
    }
    return fail(start, std::string(what) + ": text string without its terminating NUL");
}

// 8.4.2.2 Value-length: 0..30 in one octet, or '1F' (Length-quote) and a uintvar.
std::optional<cat::Error> read_value_length(Cursor& c, std::uint32_t& out, const char* what) {
    const std::size_t start = c.at();
    const std::uint8_t b = c.data[c.pos++];
    if (b <= 30) {
        out = b;
    } else if (auto e = read_uintvar(c, out, what)) {
        return e;
    }
    if (out > c.left()) {
        return fail(start, std::string(what) + ": value length " + std::to_string(out) + " but only " +
                               std::to_string(c.left()) + " bytes left in the headers");
    }
    return std::nullopt;
}

// Skips one header value of any form (8.4.1.2).
std::optional<cat::Error> skip_value(Cursor& c, const char* what) {
    if (c.left() == 0) return fail(c.at(), std::string(what) + ": header value missing");
    const std::uint8_t b = c.data[c.pos];
    if (b >= 0x80) {
        ++c.pos;
        return std::nullopt;
    }
    if (b >= 0x20) {
        std::string ignored;
        return read_text(c, ignored, what);
    }
    std::uint32_t len = 0;
    if (auto e = read_value_length(c, len, what)) return e;
    c.pos += len;
    return std::nullopt;
}

std::string_view content_type_name(std::uint8_t code) {
    switch (code) {
        case kContentTypeSyncmlNotification:
            return "application/vnd.syncml.notification";
        case kContentTypeSyncmlDmNotification:
            return "application/vnd.syncml.dm.notification";
        default:
            return "";
    }
}

bool is_dm_notification_type(const WspPush& w) {
    if (w.content_type_code) {
        return *w.content_type_code == kContentTypeSyncmlNotification ||
               *w.content_type_code == kContentTypeSyncmlDmNotification;
    }
    return w.content_type == "application/vnd.syncml.notification" ||
           w.content_type == "application/vnd.syncml.dm.notification";
}

std::string content_type_text(const WspPush& w) {
    if (w.content_type_code) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "code 0x%02X", static_cast<unsigned>(*w.content_type_code));
        return w.content_type.empty() ? std::string(buf) : w.content_type + " (" + buf + ")";
    }
    return w.content_type;
}

}  // namespace

std::string_view name_of(Dm20Option option) {
    switch (option) {
        case Dm20Option::ServerId:
            return "SERVER-ID";
        case Dm20Option::PreferredConType:
            return "PREFERRED-CON-TYPE";
        case Dm20Option::NotificationId:
            return "NOTIFICATION-ID";
        case Dm20Option::Sha256Digest:
            return "SHA256-DIGEST";
        case Dm20Option::Timestamp:
            return "TIMESTAMP";
        case Dm20Option::ReqMos:
            return "REQ-MOS";
    }
    return "unknown option";
}

std::string_view name_of(ConType type) {
    switch (type) {
        case ConType::AnyAvailable:
            return "ANY_AVAILABLE";
        case ConType::Cellular:
            return "CELLULAR";
        case ConType::Wlan:
            return "WLAN";
        case ConType::Wireline:
            return "WIRELINE";
    }
    return "";
}

std::string_view name_of(Package0Kind kind) {
    return kind == Package0Kind::Dm12 ? "DM 1.2 notification" : "DM 2.0 Package#0";
}

std::string_view ui_mode_name(std::uint8_t ui_mode) {
    switch (ui_mode & 0x03) {
        case 0:
            return "not specified";
        case 1:
            return "background";
        case 2:
            return "informative";
        default:
            return "user interaction";
    }
}

std::optional<std::string> Package0::server_id() const {
    if (const auto* d = dm12()) return d->server_id;
    return std::get<Dm20Notification>(body).server_id;
}

cat::Result<WspPush> decode_wsp_push(cat::ByteView data) {
    if (data.size() < 3) {
        return fail(data.size(), std::to_string(data.size()) +
                                     " bytes: a WSP push has at least TID, PDU type and HeadersLen");
    }
    WspPush w;
    w.tid = data[0];
    if (data[1] != kWspPduPush) {
        return fail(1, "PDU type " + hex_byte(data[1]) + ", a connectionless push is '06'");
    }
    Cursor c{data, 2, 0};
    std::uint32_t headers_len = 0;
    if (auto e = read_uintvar(c, headers_len, "HeadersLen")) return *e;
    if (headers_len == 0) return fail(2, "HeadersLen 0: the push has no content type");
    if (headers_len > c.left()) {
        return fail(2, "HeadersLen " + std::to_string(headers_len) + " but only " + std::to_string(c.left()) +
                           " bytes follow");
    }
    Cursor h{data.subspan(c.pos, headers_len), 0, c.pos};
    w.body_offset = c.pos + headers_len;

    // 8.4.2.24 Content-type-value: Constrained-media | Content-general-form.
    const std::uint8_t ct = h.data[0];
    if (ct >= 0x80) {
        w.content_type_code = ct & 0x7F;
        w.content_type = std::string(content_type_name(*w.content_type_code));
        ++h.pos;
    } else if (ct >= 0x20) {
        if (auto e = read_text(h, w.content_type, "content type")) return *e;
    } else {
        std::uint32_t len = 0;
        if (auto e = read_value_length(h, len, "content type")) return *e;
        if (len == 0) return fail(h.at() - 1, "content type: general form of length 0");
        Cursor m{h.data.subspan(h.pos, len), 0, h.at()};
        const std::uint8_t mb = m.data[0];
        if (mb >= 0x80) {
            w.content_type_code = mb & 0x7F;
            w.content_type = std::string(content_type_name(*w.content_type_code));
        } else if (mb >= 0x20) {
            if (auto e = read_text(m, w.content_type, "content type")) return *e;
        } else {
            // Long-integer: Short-length (1..30) then that many octets.
            if (mb == 0 || mb > 4 || mb + 1u > m.left()) {
                return fail(m.at(), "content type: long integer of length " + std::to_string(mb));
            }
            std::uint32_t v = 0;
            for (std::size_t k = 1; k <= mb; ++k) v = (v << 8) | m.data[k];
            if (v <= 0x7F) {
                w.content_type_code = static_cast<std::uint8_t>(v);
                w.content_type = std::string(content_type_name(*w.content_type_code));
            } else {
                w.content_type = "content type " + std::to_string(v);
            }
        }
        h.pos += len;  // parameters are not needed
    }

    // Headers: well-known (short-integer field name) or application headers (text name).
    while (h.left() > 0) {
        const std::uint8_t f = h.data[h.pos];
        if (f == 0x7F) {  // Shift-delimiter + page identity
            if (h.left() < 2) return fail(h.at(), "header code page shift without its page");
            h.pos += 2;
            continue;
        }
        if (f >= 0x01 && f <= 0x1F) {  // Short-cut-shift-delimiter
            ++h.pos;
            continue;
        }
        if (f >= 0x80) {
            ++h.pos;
            if ((f & 0x7F) == 0x2F) {  // X-Wap-Application-Id (WAP-230 table 39)
                if (h.left() == 0) return fail(h.at(), "X-Wap-Application-Id: value missing");
                const std::uint8_t v = h.data[h.pos];
                if (v >= 0x80) {
                    w.application_id = v & 0x7F;
                    ++h.pos;
                } else if (v >= 0x20) {
                    if (auto e = read_text(h, w.application_uri, "X-Wap-Application-Id")) return *e;
                } else {
                    if (v == 0 || v > 4 || v + 1u > h.left()) {
                        return fail(h.at(),
                                    "X-Wap-Application-Id: long integer of length " + std::to_string(v));
                    }
                    std::uint32_t id = 0;
                    for (std::size_t k = 1; k <= v; ++k) id = (id << 8) | h.data[h.pos + k];
                    w.application_id = id;
                    h.pos += v + 1u;
                }
            } else if (auto e = skip_value(h, "push header")) {
                return *e;
            }
            continue;
        }
        if (f == 0) return fail(h.at(), "push header: empty header name");
        std::string name;
        if (auto e = read_text(h, name, "push header name")) return *e;
        std::string value;
        if (auto e = read_text(h, value, "push header value")) return *e;
        if (name == "X-Wap-Application-Id" || name == "x-wap-application-id") w.application_uri = value;
    }
    return w;
}

cat::Result<Dm12Notification> decode_dm12(cat::ByteView data, std::size_t base,
                                          std::vector<std::string>* notes) {
    constexpr std::size_t kMin = kDm12DigestSize + kDm12HeaderSize;
    if (data.size() < kMin) {
        return fail(base + data.size(), std::to_string(data.size()) +
                                            " bytes: a DM 1.2 notification has at least 24 (digest 16, "
                                            "trigger header 8)");
    }
    Dm12Notification n;
    cat::ByteReader r(data, base);
    const auto digest = r.take(kDm12DigestSize);
    n.digest.assign(digest.begin(), digest.end());
    // Trigger header: version (10) | ui-mode (2) | initiator (1) | future use (27) = 40 bits.
    std::uint64_t bits = 0;
    for (int i = 0; i < 5; ++i) bits = (bits << 8) | r.u8();
    n.version = static_cast<std::uint16_t>(bits >> 30);
    n.ui_mode = static_cast<std::uint8_t>((bits >> 28) & 0x03);
    n.initiator = static_cast<std::uint8_t>((bits >> 27) & 0x01);
    n.future_use = static_cast<std::uint32_t>(bits & 0x07FFFFFF);
    if (n.version < kDm12MinVersion || n.version > kDm12MaxVersion) {
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      "trigger header: version field %u (bytes 16-17 '%02X%02X'), a DM 1.x notification "
                      "says 11..19 (12 = 1.2)",
                      static_cast<unsigned>(n.version), static_cast<unsigned>(data[16]),
                      static_cast<unsigned>(data[17]));
        return fail(base + kDm12DigestSize, buf);
    }
    n.session_id = r.u16be();
    const std::size_t id_len_offset = r.offset();
    const std::uint8_t id_len = r.u8();
    if (id_len == 0) {
        return fail(id_len_offset, "server identifier length 0: the notification names no DM server");
    }
    if (id_len > r.remaining()) {
        return fail(id_len_offset, "server identifier length " + std::to_string(id_len) + " but only " +
                                       std::to_string(r.remaining()) + " bytes follow");
    }
    n.server_id = as_string(r.take(id_len));
    const auto vendor = r.rest();
    n.vendor.assign(vendor.begin(), vendor.end());
    if (notes) {
        if (n.future_use != 0) {
            notes->push_back("trigger header: future-use bits are not zero (" + std::to_string(n.future_use) +
                             ")");
        }
        if (n.initiator == 0) notes->push_back("initiator bit 0: user initiated");
    }
    return n;
}

cat::Result<Dm20Notification> decode_dm20(cat::ByteView data, std::size_t base,
                                          std::vector<std::string>* notes) {
    if (data.size() < 2) {
        return fail(base + data.size(),
                    std::to_string(data.size()) + " bytes: a DM 2.0 Package#0 header is 2 bytes (VER, OC)");
    }
    Dm20Notification n;
    // 7.1.1.1: VER (4 bits) | OC (5 bits) | RESERVED (7 bits).
    n.version = data[0] >> 4;
    n.option_count = static_cast<std::uint8_t>(((data[0] & 0x0F) << 1) | (data[1] >> 7));
    n.reserved = data[1] & 0x7F;
    if (n.version != kDm20Version) {
        return fail(base, "header: VER " + std::to_string(n.version) + ", a DM 2.0 Package#0 says 2");
    }
    if (n.reserved != 0 && notes) notes->push_back("header: reserved bits are not zero");
    cat::ByteReader r(data.subspan(2), base + 2);
    std::uint32_t number = 0;
    for (unsigned i = 0; i < n.option_count; ++i) {
        const std::size_t at = r.offset();
        const std::string which = "option " + std::to_string(i + 1) + " of " + std::to_string(n.option_count);
        if (r.remaining() < 2) {
            return fail(at, which + ": " + std::to_string(r.remaining()) +
                                " bytes left, an option header is 2 (delta, length)");
        }
        const std::uint8_t b0 = r.u8();
        const std::uint8_t b1 = r.u8();
        // 7.1.1.2: Option Delta (4 bits), Option Length (12 bits), Option Value.
        const unsigned delta = b0 >> 4;
        const std::size_t len = (static_cast<std::size_t>(b0 & 0x0F) << 8) | b1;
        if (delta == 0) {
            // Every standard option occurs ZeroOrOne (table 1) and in increasing order.
            return fail(at, which + ": option delta 0 " +
                                (i == 0 ? std::string("(number 0 is no option)")
                                        : "repeats option " + std::to_string(number) +
                                              " (each occurs at most once)"));
        }
        number += delta;
        std::string label = "option " + std::to_string(number);
        if (number >= 1 && number <= 6)
            label += " (" + std::string(name_of(static_cast<Dm20Option>(number))) + ")";
        if (len > r.remaining()) {
            return fail(at, label + ": length " + std::to_string(len) + " but only " +
                                std::to_string(r.remaining()) + " bytes left");
        }
        const std::size_t value_at = r.offset();
        const auto value = r.take(len);
        switch (number) {
            case 1: {
                if (auto bad = utf8_error(value)) {
                    return fail(value_at + *bad, label + ": not UTF-8 at byte " + std::to_string(*bad) +
                                                     " of the value (a String option, RFC 3629)");
                }
                n.server_id = as_string(value);
                if (value.empty() && notes) notes->push_back("SERVER-ID is empty");
                break;
            }
            case 2: {
                n.preferred_con_types.assign(value.begin(), value.end());
                for (std::size_t k = 0; k < value.size() && notes; ++k) {
                    if (value[k] > 0x03) {
                        notes->push_back("PREFERRED-CON-TYPE: unknown value " + hex_byte(value[k]));
                    } else if (value[k] == 0x00 && k + 1 != value.size()) {
                        notes->push_back("PREFERRED-CON-TYPE: ANY_AVAILABLE is not last");
                    }
                }
                break;
            }
            case 3: {
                if (len == 0 || len > 4) {
                    return fail(at, label + ": length " + std::to_string(len) + ", a Uint of 2 bytes");
                }
                std::uint32_t id = 0;
                for (auto b : value) id = (id << 8) | b;
                n.notification_id = id;
                if (len != 2 && notes) {
                    notes->push_back("NOTIFICATION-ID is " + std::to_string(len) +
                                     " bytes (the spec says 2)");
                }
                break;
            }
            case 4: {
                if (len != kDm20DigestSize) {
                    return fail(at, label + ": length " + std::to_string(len) + ", must be 32");
                }
                n.sha256_digest = cat::Bytes(value.begin(), value.end());
                n.digest_value_offset = value_at - base;
                break;
            }
            case 5:
                n.timestamp = cat::Bytes(value.begin(), value.end());
                if (value.empty() && notes) notes->push_back("TIMESTAMP is empty");
                break;
            case 6:
                if (len != 0) {
                    return fail(at, label + ": length " + std::to_string(len) + ", a Null option has none");
                }
                n.req_mos = true;
                break;
            default:
                n.unknown.push_back({static_cast<std::uint16_t>(number > 0xFFFF ? 0xFFFF : number),
                                     cat::Bytes(value.begin(), value.end())});
                if (notes) notes->push_back("unknown option " + std::to_string(number) + " ignored");
                break;
        }
    }
    if (r.remaining() != 0) {
        return fail(r.offset(), std::to_string(r.remaining()) + " bytes after the " +
                                    std::to_string(n.option_count) + " options the header (OC) announces");
    }
    return n;
}

cat::Result<Package0> decode_package0(cat::ByteView data) {
    if (data.empty()) return fail(0, "no bytes");
    Package0 p;
    cat::ByteView notif = data;
    std::string push_remark;
    if (data.size() >= 3 && data[1] == kWspPduPush) {
        auto w = decode_wsp_push(data);
        if (w && is_dm_notification_type(*w)) {
            if (w->application_id && *w->application_id != kWapAppIdSyncmlDm) {
                p.notes.push_back("WSP push: X-Wap-Application-Id " + std::to_string(*w->application_id) +
                                  ", the DM Client's is 7");
            }
            p.offset = w->body_offset;
            notif = data.subspan(w->body_offset);
            p.push = std::move(*w);
        } else if (w) {
            push_remark = "; a WSP push of content type " + content_type_text(*w) + ", not a DM notification";
        }
    }
    p.notification.assign(notif.begin(), notif.end());

    std::vector<std::string> notes;
    std::optional<cat::Error> dm20_error;
    if (!notif.empty() && (notif[0] >> 4) == kDm20Version) {
        auto d = decode_dm20(notif, p.offset, &notes);
        if (d) {
            p.notes.insert(p.notes.end(), notes.begin(), notes.end());
            p.body = std::move(*d);
            return p;
        }
        dm20_error = d.error();
    }
    notes.clear();
    auto d12 = decode_dm12(notif, p.offset, &notes);
    if (d12) {
        p.notes.insert(p.notes.end(), notes.begin(), notes.end());
        p.body = std::move(*d12);
        return p;
    }
    const std::string in_push = p.push ? " in a WSP push" : "";
    if (!dm20_error) {
        std::string why =
            notif.empty() ? "no bytes" : "VER nibble " + std::to_string(notif[0] >> 4) + " is not 2";
        return fail(d12.error().offset, "not a DM 1.2 notification" + in_push + " (" + d12.error().message +
                                            ") nor a DM 2.0 Package#0 (" + why + ")" + push_remark);
    }
    const cat::Error& furthest = dm20_error->offset >= d12.error().offset ? *dm20_error : d12.error();
    return fail(furthest.offset,
                "not a DM 2.0 Package#0" + in_push + " (offset " + std::to_string(dm20_error->offset) + ": " +
                    dm20_error->message + ") nor a DM 1.2 notification (offset " +
                    std::to_string(d12.error().offset) + ": " + d12.error().message + ")" + push_remark);
}

cat::ByteView dm12_trigger(const Package0& p) {
    if (p.kind() != Package0Kind::Dm12 || p.notification.size() < kDm12DigestSize) return {};
    return cat::ByteView(p.notification).subspan(kDm12DigestSize);
}

cat::Bytes dm20_zero_digest_message(const Package0& p) {
    const auto* d = p.dm20();
    if (!d || !d->sha256_digest) return {};
    cat::Bytes m = p.notification;
    for (std::size_t k = 0; k < kDm20DigestSize; ++k) m[d->digest_value_offset + k] = 0;
    return m;
}

namespace {

std::string con_types_text(const std::vector<std::uint8_t>& types) {
    std::string s;
    for (auto t : types) {
        if (!s.empty()) s += ",";
        const auto name = name_of(static_cast<ConType>(t));
        s += name.empty() ? hex_byte(t) : std::string(name);
    }
    return s;
}

std::string timestamp_text(const cat::Bytes& ts) {
    if (ts.empty() || ts.size() > 8) return cat::to_hex(ts);
    std::uint64_t v = 0;
    for (auto b : ts) v = (v << 8) | b;
    return std::to_string(v) + " (" + cat::to_hex(ts) + ")";
}

}  // namespace

std::string summary(const Package0& p) {
    std::string s(name_of(p.kind()));
    if (const auto* d = p.dm12()) {
        s += ": server " + quoted(d->server_id) + ", session id " + std::to_string(d->session_id) +
             ", ui-mode " + std::to_string(d->ui_mode) + " (" + std::string(ui_mode_name(d->ui_mode)) +
             "), " + (d->initiator ? "server" : "user") + " initiated, version " + std::to_string(d->version);
        if (!d->vendor.empty()) s += ", " + std::to_string(d->vendor.size()) + " vendor bytes";
    } else {
        const auto& n = std::get<Dm20Notification>(p.body);
        s += ": server " + (n.server_id ? quoted(*n.server_id) : std::string("(none)"));
        s += ", notification id " +
             (n.notification_id ? std::to_string(*n.notification_id) : std::string("(none)"));
        if (!n.preferred_con_types.empty()) s += ", con types " + con_types_text(n.preferred_con_types);
        s += n.sha256_digest ? ", SHA256 digest" : ", no digest";
        if (n.timestamp) s += ", timestamp " + timestamp_text(*n.timestamp);
        if (n.req_mos) s += ", REQ-MOS";
    }
    if (p.push) s += " (in a WSP push)";
    return s;
}

std::string to_text(const Package0& p) {
    std::string s = std::string(name_of(p.kind())) + "\n";
    auto line = [&](const std::string& k, const std::string& v) {
        s += "  " + k + std::string(k.size() < 20 ? 20 - k.size() : 1, ' ') + v + "\n";
    };
    if (p.push) {
        char tid[8];
        std::snprintf(tid, sizeof tid, "%02X", static_cast<unsigned>(p.push->tid));
        line("WSP push", std::string("TID '") + tid + "', " + content_type_text(*p.push) +
                             ", body at offset " + std::to_string(p.push->body_offset));
        if (p.push->application_id) line("application id", std::to_string(*p.push->application_id));
        if (!p.push->application_uri.empty()) line("application id", p.push->application_uri);
    }
    if (const auto* d = p.dm12()) {
        line("digest", cat::to_hex(d->digest));
        line("version", std::to_string(d->version));
        line("ui-mode", std::to_string(d->ui_mode) + " (" + std::string(ui_mode_name(d->ui_mode)) + ")");
        line("initiator", std::to_string(d->initiator) + (d->initiator ? " (server)" : " (user)"));
        line("session id", std::to_string(d->session_id));
        line("server id", quoted(d->server_id));
        line("vendor data", d->vendor.empty() ? "(none)" : cat::to_hex(d->vendor));
    } else {
        const auto& n = std::get<Dm20Notification>(p.body);
        line("version", std::to_string(n.version));
        line("options", std::to_string(n.option_count));
        if (n.server_id) line("SERVER-ID", quoted(*n.server_id));
        if (!n.preferred_con_types.empty()) line("PREFERRED-CON-TYPE", con_types_text(n.preferred_con_types));
        if (n.notification_id) line("NOTIFICATION-ID", std::to_string(*n.notification_id));
        if (n.sha256_digest) line("SHA256-DIGEST", cat::to_hex(*n.sha256_digest));
        if (n.timestamp) line("TIMESTAMP", timestamp_text(*n.timestamp));
        if (n.req_mos) line("REQ-MOS", "yes");
        for (const auto& u : n.unknown) line("option " + std::to_string(u.number), cat::to_hex(u.value));
    }
    for (const auto& note : p.notes) line("note", note);
    return s;
}

}  // namespace dmsc::bip
