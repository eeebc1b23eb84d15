// registry/local_info.hpp — PROVIDE LOCAL INFORMATION (TS 102 223 clauses 6.4.15 / 6.6.15):
// the answer per qualifier from what the daemon knows about the device (PlatformInfo, the last
// injected location status, the date and time passed in), or '20' / '30' with a cause.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cat/bytes.hpp"
#include "cat/objects.hpp"
#include "cat/response.hpp"
#include "registry/events.hpp"
#include "registry/expected.hpp"

namespace dmsc::registry {

// 8.6 command qualifier of PROVIDE LOCAL INFORMATION, as far as the gateway answers it.
enum class LocalInfo : std::uint8_t {
    Location = 0x00,  // MCC, MNC, LAC/TAC, cell id ('13')
    Imei = 0x01,      // '14'
    NetworkMeasurement = 0x02,
    DateTimeTimeZone = 0x03,  // '26'
    Language = 0x04,          // '2D'
    TimingAdvance = 0x05,
    AccessTechnology = 0x06,  // '3F'
    Esn = 0x07,
    Imeisv = 0x08,        // '62'
    SearchMode = 0x09,    // '65'
    BatteryState = 0x0A,  // '63'
};

// What the device knows; the daemon fills it from config and platform adapters. Injected
// events (language, access technology, network search mode, location) update it too.
struct PlatformInfo {
    std::string imei;                               // 15 digits (14 + check digit), "" = the device has none
    std::string imeisv;                             // 16 digits, "" = none
    std::optional<std::string> language;            // two ISO 639 letters
    std::optional<std::uint8_t> access_technology;  // 8.61
    std::optional<std::uint8_t> search_mode;        // 8.75: '00' manual, '01' automatic
    std::optional<std::uint8_t> battery_state;      // 8.76: '00' very low .. '04' full, 'FE' unknown
    std::optional<LocationStatus> location;         // the last location status event
};

// Checks of the static values (config): `imei: "12345" is not 15 decimal digits`.
Expected<cat::Bytes> encode_imei(std::string_view digits);    // 8.20, 8 bytes (TS 24.008 10.5.1.4)
Expected<cat::Bytes> encode_imeisv(std::string_view digits);  // 8.68, 9 bytes

// The answer. `local_time` is the date, time and time zone now (the daemon reads the clock).
//  - '00' with the object;
//  - location in limited service or no service, no location known, no access technology:
//    '20' terminal currently unable, additional information '04' no service (8.12.2);
//  - a dynamic value not known yet (language, date/time, search mode, battery): '20' '00';
//  - a value this device does not have (no IMEI/IMEISV configured) or a qualifier the gateway
//    does not implement (NMR, timing advance, ESN, MEID ...): '30' beyond capabilities.
cat::TerminalResponse provide_local_information(const cat::CommandDetails& details, const PlatformInfo& info,
                                                const std::optional<cat::DateTimeTimeZone>& local_time);

// Updates `info` from an injected platform event (location, language, access technology,
// network search mode); other events change nothing.
void apply_event(PlatformInfo& info, const PlatformEvent& event);

}  // namespace dmsc::registry
