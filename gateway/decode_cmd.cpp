// gateway/decode_cmd.cpp — placeholder, being written.
#include "gateway/decode_cmd.hpp"

#include <cstdio>

namespace dmsc::gateway {

int run_decode(const std::vector<std::string_view>&, bool) {
    std::fputs("dmsc-ctl decode: not built yet\n", stderr);
    return 1;
}

}  // namespace dmsc::gateway
