// registry/refresh.hpp — what the gateway does with a REFRESH (TS 102 223 clauses 6.4.7 /
// 6.6.13), per qualifier: the TERMINAL RESPONSE (or none) and the action the daemon performs.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "cat/objects.hpp"
#include "cat/response.hpp"

namespace dmsc::registry {

// 8.6 command qualifier of REFRESH.
enum class RefreshMode : std::uint8_t {
    NaaInitialisationAndFullFileChange = 0x00,
    FileChangeNotification = 0x01,
    NaaInitialisationAndFileChange = 0x02,
    NaaInitialisation = 0x03,
    UiccReset = 0x04,
    NaaApplicationReset = 0x05,
    NaaSessionReset = 0x06,
    SteeringOfRoaming = 0x07,
};

enum class RefreshAction : std::uint8_t {
    None,  // acknowledged, nothing to redo
    // The TERMINAL RESPONSE goes first; then the toolkit session is initialised again: TERMINAL
    // PROFILE, then Registry::toolkit_reinitialised() (Terminal Applications sent again).
    Reinitialise,
    // No TERMINAL RESPONSE (the handler answers Pending): reset the card through the link, then
    // Session::power_on() and Registry::card_session_started() as after any power-on.
    ResetCard,
};
std::string_view name_of(RefreshAction action);

struct RefreshDecision {
    std::optional<cat::TerminalResponse> response;  // nullopt: the card is reset instead
    RefreshAction action = RefreshAction::None;
};

// '01' file change: '00', the gateway caches no UICC file. '00'/'02'/'03' NAA initialisation
// (+ file change) and '05' NAA application reset: '00' and Reinitialise. '06' NAA session
// reset: '00' (nothing cached). '04' UICC reset: no TERMINAL RESPONSE, ResetCard. Anything
// else (steering of roaming, eUICC profile state change, application update, RFU): '30'.
RefreshDecision decide_refresh(const cat::CommandDetails& details);

}  // namespace dmsc::registry
