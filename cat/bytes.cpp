// cat/bytes.cpp — ByteReader, ByteWriter and hex helpers.
#include "cat/bytes.hpp"

namespace dmsc::cat {

std::uint8_t ByteReader::u8() {
    if (!ok_ || pos_ >= data_.size()) {
        ok_ = false;
        return 0;
    }
    return data_[pos_++];
}

std::uint16_t ByteReader::u16be() {
    if (!ok_ || remaining() < 2) {
        ok_ = false;
        pos_ = data_.size();
        return 0;
    }
    const auto v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return v;
}

ByteView ByteReader::take(std::size_t n) {
    if (!ok_ || remaining() < n) {
        ok_ = false;
        pos_ = data_.size();
        return {};
    }
    auto v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
}

std::string to_hex(ByteView data) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string s;
    s.reserve(data.size() * 2);
    for (auto b : data) {
        s.push_back(kDigits[b >> 4]);
        s.push_back(kDigits[b & 0x0F]);
    }
    return s;
}

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

bool from_hex(std::string_view text, Bytes& out) {
    out.clear();
    int high = -1;
    for (char c : text) {
        if (c == ' ' || c == ':' || c == '-' || c == '\n' || c == '\t' || c == '\r') {
            if (high >= 0) return false;  // a separator inside a byte
            continue;
        }
        const int v = hex_value(c);
        if (v < 0) return false;
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<std::uint8_t>((high << 4) | v));
            high = -1;
        }
    }
    return high < 0;
}

}  // namespace dmsc::cat
