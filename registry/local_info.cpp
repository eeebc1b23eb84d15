// registry/local_info.cpp — PROVIDE LOCAL INFORMATION answers.
#include "registry/local_info.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace dmsc::registry {

namespace {

using cat::GeneralResult;
using cat::Tag;

constexpr std::uint8_t kNoSpecificCause = 0x00;  // 8.12.2
constexpr std::uint8_t kNoService = 0x04;        // 8.12.2

bool all_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// TS 24.008 10.5.1.4 mobile identity: digit 1 in the high nibble of byte 1 with the type of
// identity (and odd/even flag) in the low nibble, then two digits per byte, low nibble first,
// 'F' filling an odd count.
cat::Bytes mobile_identity(std::string_view digits, std::uint8_t type) {
    const bool odd = digits.size() % 2 == 1;
    cat::Bytes out;
    out.push_back(static_cast<std::uint8_t>(((digits[0] - '0') << 4) | (odd ? 0x08 : 0x00) | type));
    for (std::size_t i = 1; i < digits.size(); i += 2) {
        const std::uint8_t lo = static_cast<std::uint8_t>(digits[i] - '0');
        const std::uint8_t hi = i + 1 < digits.size() ? static_cast<std::uint8_t>(digits[i + 1] - '0') : 0x0F;
        out.push_back(static_cast<std::uint8_t>((hi << 4) | lo));
    }
    return out;
}

cat::TerminalResponse unable(const cat::CommandDetails& details, std::uint8_t cause) {
    return cat::make_response(details, GeneralResult::TerminalCurrentlyUnable, cat::Bytes{cause});
}

cat::TerminalResponse one(const cat::CommandDetails& details, Tag tag, cat::Bytes value) {
    std::vector<std::pair<Tag, cat::Bytes>> objects;
    objects.emplace_back(tag, std::move(value));
    return cat::provide_local_info_response(details, GeneralResult::Success, std::move(objects));
}

}  // namespace

// 8.20: IMEI, 8 bytes, type of identity '010' (IMEI), 15 digits (odd).
Expected<cat::Bytes> encode_imei(std::string_view digits) {
    if (digits.size() != 15 || !all_digits(digits)) {
        return fail("imei: \"" + std::string(digits) +
                    "\" is not 15 decimal digits (14 digits + check digit)");
    }
    return mobile_identity(digits, 0x02);
}

// 8.68: IMEISV, 9 bytes, type of identity '011' (IMEISV), 16 digits (even, 'F' filler).
Expected<cat::Bytes> encode_imeisv(std::string_view digits) {
    if (digits.size() != 16 || !all_digits(digits)) {
        return fail("imeisv: \"" + std::string(digits) +
                    "\" is not 16 decimal digits (14 + 2 software version)");
    }
    return mobile_identity(digits, 0x03);
}

cat::TerminalResponse provide_local_information(const cat::CommandDetails& details, const PlatformInfo& info,
                                                const std::optional<cat::DateTimeTimeZone>& local_time) {
    switch (static_cast<LocalInfo>(details.qualifier)) {
        case LocalInfo::Location: {
            // 6.4.15: location information of the serving cell — only known in normal service.
            if (!info.location || info.location->state != ServiceState::Normal || !info.location->location) {
                return unable(details, kNoService);
            }
            return one(details, Tag::LocationInformation, info.location->location->encode());
        }
        case LocalInfo::Imei: {
            if (info.imei.empty()) break;
            auto b = encode_imei(info.imei);
            if (!b) break;  // the config check reports it; never send a malformed object
            return one(details, Tag::Imei, std::move(b).value());
        }
        case LocalInfo::Imeisv: {
            if (info.imeisv.empty()) break;
            auto b = encode_imeisv(info.imeisv);
            if (!b) break;
            return one(details, Tag::Imeisv, std::move(b).value());
        }
        case LocalInfo::DateTimeTimeZone:
            if (!local_time) return unable(details, kNoSpecificCause);
            return one(details, Tag::DateTimeAndTimeZone, local_time->encode());
        case LocalInfo::Language:
            // 8.45: two ISO 639 letters in the GSM default alphabet (ASCII for a..z).
            if (!info.language || info.language->size() != 2) return unable(details, kNoSpecificCause);
            return one(details, Tag::Language, cat::Bytes(info.language->begin(), info.language->end()));
        case LocalInfo::AccessTechnology:
            if (!info.access_technology) return unable(details, kNoService);
            return one(details, Tag::AccessTechnology, cat::Bytes{*info.access_technology});
        case LocalInfo::SearchMode:
            if (!info.search_mode) return unable(details, kNoSpecificCause);
            return one(details, Tag::NetworkSearchMode, cat::Bytes{*info.search_mode});
        case LocalInfo::BatteryState:
            if (!info.battery_state) break;  // a device without a battery
            return one(details, Tag::BatteryState, cat::Bytes{*info.battery_state});
        default:
            break;
    }
    return cat::make_response(details, GeneralResult::BeyondTerminalCapabilities);
}

void apply_event(PlatformInfo& info, const PlatformEvent& event) {
    if (const auto* l = std::get_if<LocationStatus>(&event)) {
        info.location = *l;
    } else if (const auto* lang = std::get_if<LanguageSelection>(&event)) {
        info.language = lang->language;
    } else if (const auto* t = std::get_if<AccessTechnologyChange>(&event)) {
        info.access_technology = t->technology;
    } else if (const auto* m = std::get_if<NetworkSearchModeChange>(&event)) {
        info.search_mode = m->mode;
    }
}

}  // namespace dmsc::registry
