// gateway/features.cpp — the feature set behind the TERMINAL PROFILE.
#include "gateway/features.hpp"

namespace dmsc::gateway {

cat::TerminalFeatures gateway_features() {
    cat::TerminalFeatures f;  // defaults: profile download, proactive polling, REFRESH,
                              // SET UP EVENT LIST, class "e" BIP with 7 channels, UICC server
                              // mode, class "k" Terminal Server Mode and Terminal Applications
    // The BIP events every channel reports (TS 102 223 clause 7.5.10 / 7.5.11).
    f.events = {cat::EventType::DataAvailable, cat::EventType::ChannelStatus};
    return f;
}

}  // namespace dmsc::gateway
