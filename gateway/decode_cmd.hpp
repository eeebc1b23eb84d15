// gateway/decode_cmd.hpp — `dmsc-ctl decode`: hex in, readable text or JSON out.
#pragma once

#include <string_view>
#include <vector>

namespace dmsc::gateway {

// Returns the process exit code: 0 decoded, 1 the bytes do not decode (the error is printed),
// 2 usage error.
int run_decode(const std::vector<std::string_view>& args, bool json);

}  // namespace dmsc::gateway
