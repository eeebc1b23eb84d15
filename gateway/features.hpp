// gateway/features.hpp — what this build of the gateway announces in its TERMINAL PROFILE.
// One place, so the daemon and `dmsc-ctl profile` agree, and a feature is announced only once
// the code behind it exists (TS 102 223 clause 5.2: a terminal sets only what it supports).
#pragma once

#include "cat/profile.hpp"

namespace dmsc::gateway {

cat::TerminalFeatures gateway_features();

}  // namespace dmsc::gateway
