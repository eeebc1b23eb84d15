// tests/fuzz/fuzz_tlv.cpp — BER-TLV and COMPREHENSION-TLV parsers on arbitrary bytes; whatever
// parses must re-encode to something that parses to the same TLVs.
#include <cstdint>
#include <cstdlib>

#include "cat/tlv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    dmsc::cat::ByteView in(data, size);
    if (auto ber = dmsc::cat::parse_ber_tlv(in)) {
        auto again = dmsc::cat::parse_ber_tlv(dmsc::cat::encode_ber_tlv(ber->tag, ber->value));
        if (!again || again->value != ber->value) std::abort();
    }
    if (auto tl = dmsc::cat::parse_ctlvs(in)) {
        auto again = dmsc::cat::parse_ctlvs(dmsc::cat::encode_ctlvs(*tl));
        if (!again || again->size() != tl->size()) std::abort();
        for (std::size_t i = 0; i < tl->size(); ++i) {
            if ((*again)[i].tag != (*tl)[i].tag || (*again)[i].cr != (*tl)[i].cr ||
                (*again)[i].value != (*tl)[i].value)
                std::abort();
        }
    }
    return 0;
}
