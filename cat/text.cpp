// cat/text.cpp — GSM 7-bit default alphabet (TS 23.038 6.2.1), UCS2 and TS 102 221 annex A
// alpha identifiers, all converted to and from UTF-8.
#include "cat/text.hpp"

#include <array>
#include <cstdio>

namespace dmsc::cat {

namespace {

constexpr std::uint8_t kEscape = 0x1B;
constexpr char32_t kReplacement = U'?';

// TS 23.038 6.2.1: GSM 7-bit default alphabet, code -> Unicode. '1B' is the escape to the
// extension table; on its own it is shown as a space (no glyph of its own).
constexpr std::array<char32_t, 128> kDefaultAlphabet = {
    U'@',      U'\u00A3', U'$',      U'\u00A5', U'\u00E8', U'\u00E9', U'\u00F9', U'\u00EC', U'\u00F2',
    U'\u00C7', U'\n',     U'\u00D8', U'\u00F8', U'\r',     U'\u00C5', U'\u00E5', U'\u0394', U'_',
    U'\u03A6', U'\u0393', U'\u039B', U'\u03A9', U'\u03A0', U'\u03A8', U'\u03A3', U'\u0398', U'\u039E',
    U' ',      U'\u00C6', U'\u00E6', U'\u00DF', U'\u00C9', U' ',      U'!',      U'"',      U'#',
    U'\u00A4', U'%',      U'&',      U'\'',     U'(',      U')',      U'*',      U'+',      U',',
    U'-',      U'.',      U'/',      U'0',      U'1',      U'2',      U'3',      U'4',      U'5',
    U'6',      U'7',      U'8',      U'9',      U':',      U';',      U'<',      U'=',      U'>',
    U'?',      U'\u00A1', U'A',      U'B',      U'C',      U'D',      U'E',      U'F',      U'G',
    U'H',      U'I',      U'J',      U'K',      U'L',      U'M',      U'N',      U'O',      U'P',
    U'Q',      U'R',      U'S',      U'T',      U'U',      U'V',      U'W',      U'X',      U'Y',
    U'Z',      U'\u00C4', U'\u00D6', U'\u00D1', U'\u00DC', U'\u00A7', U'\u00BF', U'a',      U'b',
    U'c',      U'd',      U'e',      U'f',      U'g',      U'h',      U'i',      U'j',      U'k',
    U'l',      U'm',      U'n',      U'o',      U'p',      U'q',      U'r',      U's',      U't',
    U'u',      U'v',      U'w',      U'x',      U'y',      U'z',      U'\u00E4', U'\u00F6', U'\u00F1',
    U'\u00FC', U'\u00E0',
};

// TS 23.038 6.2.1.1: the default alphabet extension table (after '1B').
struct Extension {
    std::uint8_t code;
    char32_t ch;
};
constexpr std::array<Extension, 10> kExtension = {{
    {0x0A, U'\f'},
    {0x14, U'^'},
    {0x28, U'{'},
    {0x29, U'}'},
    {0x2F, U'\\'},
    {0x3C, U'['},
    {0x3D, U'~'},
    {0x3E, U']'},
    {0x40, U'|'},
    {0x65, U'\u20AC'},
}};

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

// Next code point of UTF-8 text; false on malformed input (overlong, surrogate, truncated).
bool next_utf8(std::string_view s, std::size_t& i, char32_t& c) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    if (b0 < 0x80) {
        c = b0;
        ++i;
        return true;
    } else if ((b0 & 0xE0) == 0xC0) {
        n = 1;
        c = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
        n = 2;
        c = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
        n = 3;
        c = b0 & 0x07;
    } else {
        return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return false;
        c = (c << 6) | (b & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (c < kMin[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    i += n + 1;
    return true;
}

// Appends GSM septets (bit 8 ignored) to UTF-8, handling the extension escape.
void gsm_to_utf8(ByteView septets, std::string& out) {
    for (std::size_t i = 0; i < septets.size(); ++i) {
        const std::uint8_t c = septets[i] & 0x7F;
        if (c != kEscape) {
            append_utf8(out, kDefaultAlphabet[c]);
            continue;
        }
        if (i + 1 >= septets.size()) {
            append_utf8(out, U' ');  // a lone escape at the end
            continue;
        }
        const std::uint8_t e = septets[++i] & 0x7F;
        char32_t ch = 0;
        for (const auto& x : kExtension) {
            if (x.code == e) ch = x.ch;
        }
        // TS 23.038 6.2.1.1: a code missing from the extension table is shown as the
        // default alphabet character.
        append_utf8(out, ch != 0 ? ch : kDefaultAlphabet[e]);
    }
}

}  // namespace

bool utf8_to_gsm7_unpacked(std::string_view utf8, Bytes& out) {
    std::size_t i = 0;
    bool all = true;
    while (i < utf8.size()) {
        char32_t c = 0;
        if (!next_utf8(utf8, i, c)) return false;
        bool found = false;
        for (std::size_t k = 0; k < kDefaultAlphabet.size(); ++k) {
            if (k != kEscape && kDefaultAlphabet[k] == c) {
                out.push_back(static_cast<std::uint8_t>(k));
                found = true;
                break;
            }
        }
        if (!found) {
            for (const auto& x : kExtension) {
                if (x.ch == c) {
                    out.push_back(kEscape);
                    out.push_back(x.code);
                    found = true;
                    break;
                }
            }
        }
        if (!found) all = false;
    }
    return all;
}

std::string gsm7_unpacked_to_utf8(ByteView septets) {
    std::string out;
    gsm_to_utf8(septets, out);
    return out;
}

Bytes pack_gsm7(ByteView septets) {
    // TS 23.038 6.1.2.1.1: septet n starts at bit 7n, least significant bits first.
    Bytes out((septets.size() * 7 + 7) / 8, 0);
    for (std::size_t n = 0; n < septets.size(); ++n) {
        const std::size_t bit = n * 7;
        const unsigned v = septets[n] & 0x7Fu;
        out[bit / 8] = static_cast<std::uint8_t>(out[bit / 8] | ((v << (bit % 8)) & 0xFF));
        if (bit % 8 > 1) {
            out[bit / 8 + 1] = static_cast<std::uint8_t>(out[bit / 8 + 1] | (v >> (8 - bit % 8)));
        }
    }
    // 6.1.2.3.1: when 7 spare bits remain in the last octet, fill them with CR so they are
    // not read as '@'.
    if (septets.size() % 8 == 7) out.back() = static_cast<std::uint8_t>(out.back() | (0x0D << 1));
    return out;
}

Bytes unpack_gsm7(ByteView packed, std::size_t count) {
    const std::size_t available = packed.size() * 8 / 7;
    bool derived = false;
    if (count == SIZE_MAX) {
        count = available;
        derived = true;
    }
    if (count > available) count = available;
    Bytes out;
    out.reserve(count);
    for (std::size_t n = 0; n < count; ++n) {
        const std::size_t bit = n * 7;
        unsigned v = packed[bit / 8] >> (bit % 8);
        if (bit % 8 > 1 && bit / 8 + 1 < packed.size()) v |= unsigned{packed[bit / 8 + 1]} << (8 - bit % 8);
        out.push_back(static_cast<std::uint8_t>(v & 0x7F));
    }
    // 6.1.2.3.1: a CR in the last septet of a full octet boundary is padding.
    if (derived && packed.size() % 7 == 0 && !out.empty() && out.back() == 0x0D) out.pop_back();
    return out;
}

bool utf8_to_ucs2(std::string_view utf8, Bytes& out) {
    std::size_t i = 0;
    while (i < utf8.size()) {
        char32_t c = 0;
        if (!next_utf8(utf8, i, c)) return false;
        if (c > 0xFFFF) return false;  // no surrogates in UCS2
        out.push_back(static_cast<std::uint8_t>(c >> 8));
        out.push_back(static_cast<std::uint8_t>(c & 0xFF));
    }
    return true;
}

std::string ucs2_to_utf8(ByteView ucs2) {
    std::string out;
    for (std::size_t i = 0; i + 1 < ucs2.size(); i += 2) {
        const char32_t c = (char32_t{ucs2[i]} << 8) | ucs2[i + 1];
        append_utf8(out, (c >= 0xD800 && c <= 0xDFFF) ? kReplacement : c);
    }
    return out;
}

bool decode_text(std::uint8_t dcs, ByteView data, std::string& out) {
    // TS 102 223 8.15 uses the SMS data coding scheme of TS 23.038 clause 4: find the alphabet.
    enum class Alphabet { Gsm7, Eight, Ucs2, None } alphabet = Alphabet::None;
    const std::uint8_t group = dcs >> 4;
    if ((group & 0x0C) == 0x00 || (group & 0x0C) == 0x04) {
        // 00xx / 01xx general data coding (01xx: automatic deletion); bit 6 = compressed.
        if ((dcs & 0x20) != 0) return false;
        switch ((dcs >> 2) & 0x03) {
            case 0:
                alphabet = Alphabet::Gsm7;
                break;
            case 1:
                alphabet = Alphabet::Eight;
                break;
            case 2:
                alphabet = Alphabet::Ucs2;
                break;
            default:
                return false;
        }
    } else if (group == 0x0F) {
        // 1111: data coding / message class; bit 3 = message coding (0 GSM 7-bit, 1 8-bit).
        alphabet = (dcs & 0x04) != 0 ? Alphabet::Eight : Alphabet::Gsm7;
    } else if (group == 0x0C || group == 0x0D) {
        alphabet = Alphabet::Gsm7;  // message waiting indication, GSM 7-bit
    } else if (group == 0x0E) {
        alphabet = Alphabet::Ucs2;  // message waiting indication, UCS2
    } else {
        return false;
    }
    out.clear();
    switch (alphabet) {
        case Alphabet::Gsm7:
            gsm_to_utf8(unpack_gsm7(data), out);
            return true;
        // TS 102 223 8.15: 8-bit data in a text string is the GSM default alphabet, unpacked.
        case Alphabet::Eight:
            gsm_to_utf8(data, out);
            return true;
        case Alphabet::Ucs2:
            out = ucs2_to_utf8(data);
            return true;
        case Alphabet::None:
            break;
    }
    return false;
}

std::string decode_alpha(ByteView data) {
    std::string out;
    if (data.empty()) return out;
    const std::uint8_t scheme = data[0];
    if (scheme == 0x80) {
        // TS 102 221 annex A.1: UCS2 after '80'; unused trailing 'FFFF' characters are padding.
        auto rest = data.subspan(1);
        std::size_t n = rest.size() / 2 * 2;
        while (n >= 2 && rest[n - 2] == 0xFF && rest[n - 1] == 0xFF) n -= 2;
        return ucs2_to_utf8(rest.first(n));
    }
    if (scheme == 0x81 || scheme == 0x82) {
        // Annex A.2 / A.3: number of characters, base pointer (81: bits 15..8 of it, so the
        // base is the byte shifted by 7; 82: 16 bits), then one byte per character: bit 8 = 0
        // GSM default alphabet, bit 8 = 1 base + bits 7..1.
        const std::size_t header = scheme == 0x81 ? 3 : 4;
        if (data.size() < header) return out;
        std::size_t count = data[1];
        const char32_t base = scheme == 0x81 ? char32_t{data[2]} << 7 : (char32_t{data[2]} << 8) | data[3];
        auto chars = data.subspan(header);
        if (count > chars.size()) count = chars.size();
        std::size_t i = 0;
        while (i < count) {
            std::size_t j = i;
            while (j < count && (chars[j] & 0x80) == 0) ++j;
            gsm_to_utf8(chars.subspan(i, j - i), out);
            if (j < count) {
                const char32_t c = base + (chars[j] & 0x7F);
                append_utf8(out, (c >= 0xD800 && c <= 0xDFFF) || c > 0xFFFF ? kReplacement : c);
                ++j;
            }
            i = j;
        }
        return out;
    }
    // Annex A: GSM default alphabet with bit 8 = 0; 'FF' fills the unused bytes.
    std::size_t n = data.size();
    while (n > 0 && data[n - 1] == 0xFF) --n;
    gsm_to_utf8(data.first(n), out);
    return out;
}

std::string printable(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    for (char ch : utf8) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\\':
                out += "\\\\";
                break;
            default:
                if (c < 0x20 || c == 0x7F) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out.push_back(ch);
                }
        }
    }
    return out;
}

}  // namespace dmsc::cat
