// registry/events.hpp — the event list the card set up (SET UP EVENT LIST, TS 102 223 clauses
// 6.4.16 / 6.6.16), platform events as typed values (parsed from `dmsc-ctl event NAME k=v...`
// with errors naming the key), and the filter: an event becomes an Event download ENVELOPE
// (clause 7.5) only when the card registered it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/codes.hpp"
#include "cat/envelope.hpp"
#include "cat/objects.hpp"
#include "cat/proactive.hpp"
#include "cat/response.hpp"
#include "registry/expected.hpp"
#include "registry/outbox.hpp"

namespace dmsc::registry {

// ---- platform events (what the device tells the gateway) -----------------------------------

// 8.27 location status: '00' normal service, '01' limited service, '02' no service.
enum class ServiceState : std::uint8_t { Normal = 0x00, Limited = 0x01, NoService = 0x02 };
std::string_view name_of(ServiceState state);  // "normal" | "limited" | "no-service"

struct MtCall {  // 7.5.1, from the network
    std::uint8_t transaction_id = 0;
    std::optional<cat::Bytes> address;  // 8.1 address value (TON/NPI + BCD), as the network gave it
    std::optional<cat::Bytes> subaddress;
};
struct CallConnected {  // 7.5.2
    std::uint8_t transaction_id = 0;
    bool near_end = true;  // the user answered an MT call (source terminal); false: far end (network)
};
struct CallDisconnected {  // 7.5.3
    cat::Bytes transaction_ids;
    bool near_end = true;
    std::optional<cat::Bytes> cause;  // empty value = radio link failure
};
struct LocationStatus {  // 7.5.4
    ServiceState state = ServiceState::Normal;
    std::optional<cat::LocationInformation> location;  // normal service only
};
struct UserActivity {};         // 7.5.5
struct IdleScreenAvailable {};  // 7.5.6
struct LanguageSelection {      // 7.5.8
    std::string language;       // two lower-case ISO 639 letters
};
struct BrowserTermination {  // 7.5.9: '00' user termination, '01' error termination
    std::uint8_t cause = 0;
};
struct AccessTechnologyChange {  // 7.5.12, 8.61 code
    std::uint8_t technology = 0;
};
struct NetworkSearchModeChange {  // 7.5.15, 8.75: '00' manual, '01' automatic
    std::uint8_t mode = 0;
};

// TS 31.111 7.5.2: the network refused a location / routing area / tracking area update or an
// attach. From the network; the area the terminal tried, the access technology, the update /
// attach type and the cause code as the network gave them (TS 24.008 / TS 24.301 values).
struct NetworkRejection {
    enum class Area : std::uint8_t { Location, RoutingArea, TrackingArea };  // '13' LAI, '73' RAI, '7D' TAI
    Area area = Area::TrackingArea;
    cat::LocationInformation id;  // MCC, MNC, LAC or TAC (no cell identity)
    std::uint8_t rac = 0;         // routing area code (RAI only)
    std::uint8_t technology = 0;  // 8.61
    std::uint8_t update_attach_type = 0;
    std::uint8_t cause = 0;
};

using PlatformEvent = std::variant<MtCall, CallConnected, CallDisconnected, LocationStatus, UserActivity,
                                   IdleScreenAvailable, LanguageSelection, BrowserTermination,
                                   AccessTechnologyChange, NetworkSearchModeChange, NetworkRejection>;

cat::EventType event_type(const PlatformEvent& event);
// Event download ENVELOPE of the event (built with cat/envelope.hpp), registered or not.
cat::Envelope to_envelope(const PlatformEvent& event);

// The names `dmsc-ctl event` accepts (with '-' or '_'), and their keys:
//   mt-call transaction_id=N [address=HEX] [subaddress=HEX]
//   call-connected transaction_id=N [side=near|far]
//   call-disconnected transaction_id=N[,N...] [side=near|far] [cause=HEX ("" = radio link failure)]
//   location-status state=normal|limited|no-service; normal also mcc=DDD mnc=DD[D] and lac=N (or
//       tac=N) and cell_id=N [rnc_id=N] (or eci=N, 28-bit E-UTRAN)
//   user-activity | idle-screen
//   language language=xx
//   browser-termination cause=user|error|N
//   access-technology technology=gsm|utran|e-utran|...|N
//   network-search-mode mode=manual|automatic|N
//   network-rejection mcc=DDD mnc=DD[D] (lac=N [rac=N] | tac=N) technology=NAME|N type=N cause=N
//       (lac: location area, lac+rac: routing area, tac: tracking area; TS 31.111 7.5.2)
// Numbers are decimal or 0x-hex. Errors name the event and the key:
//   `location-status: key "mcc": "1a1" is not 3 decimal digits`.
using EventArguments = std::map<std::string, std::string>;
Expected<PlatformEvent> parse_platform_event(std::string_view name, const EventArguments& args);
std::vector<std::string> platform_event_names();

// 8.61 access technology by name ("gsm", "utran", "e-utran", "ng-ran" ...) or number.
std::optional<std::uint8_t> access_technology_code(std::string_view text);
std::string access_technology_name(std::uint8_t code);  // "e-utran", or "0x42"

// The events this gateway can report (TERMINAL PROFILE bytes 5-6 must announce the same). The
// platform ones come from injection (dmsc-ctl / a platform adapter), data available and
// channel status from bip/.
std::vector<cat::EventType> default_supported_events();

// ---- the registry ----------------------------------------------------------------------------

struct EventsSnapshot {
    struct Entry {
        std::uint8_t code = 0;
        std::string name;
        bool registered = false;
        std::uint64_t sent = 0;      // Event download ENVELOPEs queued
        std::uint64_t filtered = 0;  // occurred while not registered: not sent
    };
    std::vector<Entry> supported;          // every event the gateway can report
    std::vector<std::uint8_t> registered;  // the card's current list, in its order
    std::uint32_t set_up_event_lists = 0;  // SET UP EVENT LIST commands answered '00'
    std::uint32_t refused_lists = 0;       // answered '30'
};

class EventRegistry {
public:
    explicit EventRegistry(std::vector<cat::EventType> supported = default_supported_events());

    // SET UP EVENT LIST (6.4.16): the list replaces the current one; an empty list removes
    // them all; '00'. A list with an event the gateway cannot report: '30' command beyond
    // terminal's capabilities, and the current list stays as it was.
    cat::TerminalResponse set_up_event_list(const cat::CommandDetails& details,
                                            const cat::SetUpEventList& body);

    bool is_registered(cat::EventType event) const;
    bool is_supported(cat::EventType event) const;
    const std::vector<std::uint8_t>& registered() const { return list_; }

    // The filter: queues the event's ENVELOPE into `out` when registered (returns its id),
    // else counts it and returns nothing. User activity and idle screen available are reported
    // once: sending removes them from the list (7.5.5, 7.5.6).
    std::optional<EnvelopeId> offer(const PlatformEvent& event, Outbox& out);
    // For bip/: Data available (7.5.10) and Channel status (7.5.11) through the same filter.
    std::optional<EnvelopeId> offer_data_available(const cat::ChannelStatus& status, std::size_t available,
                                                   Outbox& out);
    std::optional<EnvelopeId> offer_channel_status(const cat::ChannelStatus& status, Outbox& out);

    // An Event download built elsewhere (bip/ through the daemon's ENVELOPE hook, after its
    // own is_registered() check) was queued: counted as sent like the ones offered here.
    void count_sent(cat::EventType type) { ++sent_[static_cast<std::uint8_t>(type)]; }

    // Card session over (removed, reset): the list is gone (6.4.16).
    void clear() { list_.clear(); }

    EventsSnapshot snapshot() const;

private:
    bool filter(cat::EventType type);  // registered? else counted as filtered
    // Queues a registered event's ENVELOPE; drops one-shot events from the list.
    std::optional<EnvelopeId> offer_envelope(cat::EventType type, const cat::Envelope& env, Outbox& out);

    std::vector<std::uint8_t> supported_;
    std::vector<std::uint8_t> list_;
    std::map<std::uint8_t, std::uint64_t> sent_;
    std::map<std::uint8_t, std::uint64_t> filtered_;
    std::uint32_t lists_ = 0;
    std::uint32_t refused_ = 0;
};

}  // namespace dmsc::registry
