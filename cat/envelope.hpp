// cat/envelope.hpp — ENVELOPE objects (TS 102 223 clause 7): Event download ('D6'), Timer
// expiration ('D7'), Terminal Applications ('DC', class "k"), SMS-PP data download ('D1').
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/codes.hpp"
#include "cat/objects.hpp"
#include "cat/result.hpp"
#include "cat/tlv.hpp"

namespace dmsc::cat {

struct Envelope {
    std::uint8_t tag = 0;    // BerTag
    std::vector<Ctlv> tlvs;  // every object, in wire order (device identities included)

    const Ctlv* find(Tag t) const;
    std::optional<DeviceIdentities> devices() const;
    std::optional<std::uint8_t> event() const;  // first event of the event list, for 'D6'
};

// The whole BER-TLV ('D6 len ...'), ready to be the ENVELOPE APDU body.
Bytes encode(const Envelope& env);
Result<Envelope> decode_envelope(ByteView ber);
Fields describe(const Envelope& env);

// Event download (clause 7.5). Source device is the terminal unless the event comes from the
// network (MT call, call disconnected by the network ...).
Envelope event_download(EventType event, std::uint8_t source, std::vector<Ctlv> objects);
Envelope mt_call_event(std::uint8_t transaction_id, std::optional<Bytes> address = {},
                       std::optional<Bytes> subaddress = {});
Envelope call_connected_event(std::uint8_t transaction_id, bool near_end);
Envelope call_disconnected_event(Bytes transaction_ids, bool near_end, std::optional<Bytes> cause = {});
Envelope location_status_event(std::uint8_t status, std::optional<LocationInformation> location = {});
Envelope user_activity_event();
Envelope idle_screen_available_event();
Envelope language_selection_event(const std::string& language);  // two ASCII letters ("de")
Envelope browser_termination_event(std::uint8_t cause);
Envelope data_available_event(const ChannelStatus& status, std::size_t available);
Envelope channel_status_event(const ChannelStatus& status);
Envelope access_technology_change_event(std::uint8_t technology);
Envelope network_search_mode_change_event(std::uint8_t mode);
Envelope local_connection_event(Bytes service_record);

// Timer expiration (clause 7.4).
Envelope timer_expiration(std::uint8_t timer_id, const TimerValue& value);

// ENVELOPE (Terminal Applications), class "k" (clause 7.x / 8.71): one Registry application
// data per application; split over several ENVELOPEs when they do not fit in 255 bytes, the
// last one carrying "last envelope" ('70', length 0).
std::vector<Envelope> terminal_applications(const std::vector<RegistryApplicationData>& apps);

// SMS-PP data download (clause 7.1): address of the service centre + SMS-DELIVER TPDU.
Envelope sms_pp_download(Bytes address, Bytes tpdu);

}  // namespace dmsc::cat
