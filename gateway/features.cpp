// gateway/features.cpp — the feature set behind the TERMINAL PROFILE.
#include "gateway/features.hpp"

#include "registry/events.hpp"

namespace dmsc::gateway {

cat::TerminalFeatures gateway_features() {
    cat::TerminalFeatures f;  // defaults: profile download, proactive polling, REFRESH,
                              // SET UP EVENT LIST, class "e" BIP with 7 channels, UICC server
                              // mode, class "k" Terminal Server Mode and Terminal Applications
    // Exactly the events the registry can report (TS 102 223 clause 5.2: announce only what is
    // supported): the platform events injected through the daemon (dmsc-ctl event, a platform
    // adapter) and the BIP ones, data available and channel status (7.5.10 / 7.5.11).
    const auto events = registry::default_supported_events();
    f.events.insert(events.begin(), events.end());
    return f;
}

}  // namespace dmsc::gateway
