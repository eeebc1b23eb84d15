// cat/bytes.hpp — the one bounds-checked byte reader and writer of the codec. The reader has
// a sticky failure flag: once it runs past the end every further read yields zeros and
// ok() stays false, so a decoder checks once at the end of a field instead of at every byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dmsc::cat {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

class ByteReader {
public:
    explicit ByteReader(ByteView data, std::size_t base_offset = 0) : data_(data), base_(base_offset) {}

    std::uint8_t u8();
    std::uint16_t u16be();
    ByteView take(std::size_t n);  // empty span and failure when fewer than n remain
    std::uint8_t peek() const { return pos_ < data_.size() ? data_[pos_] : 0; }

    std::size_t remaining() const { return data_.size() - pos_; }
    bool empty() const { return pos_ >= data_.size(); }
    bool ok() const { return ok_; }
    // Offset of the next byte, counted from the start of the outermost buffer.
    std::size_t offset() const { return base_ + pos_; }
    ByteView rest() const { return data_.subspan(pos_); }

private:
    ByteView data_;
    std::size_t base_ = 0;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

class ByteWriter {
public:
    void u8(std::uint8_t v) { out_.push_back(v); }
    void u16be(std::uint16_t v) {
        out_.push_back(static_cast<std::uint8_t>(v >> 8));
        out_.push_back(static_cast<std::uint8_t>(v & 0xFF));
    }
    void bytes(ByteView v) { out_.insert(out_.end(), v.begin(), v.end()); }
    std::size_t size() const { return out_.size(); }
    const Bytes& data() const& { return out_; }
    Bytes take() { return std::move(out_); }

private:
    Bytes out_;
};

// Uppercase hex without separators ("D00981...").
std::string to_hex(ByteView data);
// Accepts upper/lower case hex with optional spaces, ':' or '-' between bytes. Returns false
// (and leaves `out` unspecified) on an odd digit count or a non-hex character.
bool from_hex(std::string_view text, Bytes& out);

}  // namespace dmsc::cat
