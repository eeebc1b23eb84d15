// registry/refresh.cpp — REFRESH per qualifier (TS 102 223 6.4.7).
#include "registry/refresh.hpp"

namespace dmsc::registry {

std::string_view name_of(RefreshAction action) {
    switch (action) {
        case RefreshAction::None:
            return "none";
        case RefreshAction::Reinitialise:
            return "reinitialise toolkit session";
        case RefreshAction::ResetCard:
            return "reset card";
    }
    return "unknown";
}

RefreshDecision decide_refresh(const cat::CommandDetails& details) {
    using cat::GeneralResult;
    switch (static_cast<RefreshMode>(details.qualifier)) {
        case RefreshMode::FileChangeNotification:
        case RefreshMode::NaaSessionReset:
            // The gateway reads no EF, so there is nothing to re-read; '03' (refresh performed
            // with additional EFs read) would be wrong.
            return {cat::make_response(details, GeneralResult::Success), RefreshAction::None};
        case RefreshMode::NaaInitialisationAndFullFileChange:
        case RefreshMode::NaaInitialisationAndFileChange:
        case RefreshMode::NaaInitialisation:
        case RefreshMode::NaaApplicationReset:
            // The NAA initialisation includes the profile download (TS 102 223 clause 5), and
            // the card's toolkit forgets the Terminal Applications: both are sent again.
            return {cat::make_response(details, GeneralResult::Success), RefreshAction::Reinitialise};
        case RefreshMode::UiccReset:
            // 6.4.7: for UICC reset the terminal does not send a TERMINAL RESPONSE; the reset
            // ends the proactive session (there is no "Refresh response 1.5.1" in TS 102 384).
            return {std::nullopt, RefreshAction::ResetCard};
        case RefreshMode::SteeringOfRoaming:
        default:
            return {cat::make_response(details, GeneralResult::BeyondTerminalCapabilities),
                    RefreshAction::None};
    }
}

}  // namespace dmsc::registry
