// bip/wsp_push.hpp — a DM notification wrapped as a connectionless WSP Push PDU (WAP-230-WSP
// clause 8.2.4.1, 8.2.1), for the `wap-push+udp://` deliver endpoint (docs/bip.md). Pure.
#pragma once

#include <cstdint>

#include "cat/bytes.hpp"

namespace dmsc::bip {

// WAP-230-WSP Table 34: PDU type assignments.
constexpr std::uint8_t kWspPduPush = 0x06;
// WAP-230-WSP Table 39 (header field names, encoding version 1.3): X-Wap-Application-Id.
constexpr std::uint8_t kWspHeaderXWapApplicationId = 0x2F;
// WINA push application ids: 0x07 = x-wap-application:syncml.dm.
constexpr std::uint8_t kWapAppIdSyncmlDm = 0x07;
// WINA well-known content types: application/vnd.syncml.notification (DM 1.2 Notification)
// and application/vnd.syncml.dm.notification (DM 2.0 Package#0, seed 004 Appendix E.1).
constexpr std::uint8_t kContentTypeSyncmlNotification = 0x44;
constexpr std::uint8_t kContentTypeSyncmlDmNotification = 0x58;

// Which content type a notification gets: 0x58 when `body` is exactly a DM 2.0 binary
// Package#0 (VER = 2 and OC options that end at the last byte, seed 004 5.2.1 / 7.1.1),
// otherwise 0x44 (a DM 1.2 "General Notification Initiated Session Alert", or anything else).
std::uint8_t notification_content_type(cat::ByteView body);

// The Push PDU: TID, PDU type 0x06, HeadersLen (uintvar: content type + headers), content
// type as a Short-integer (0x80 | code), X-Wap-Application-Id (0x80 | 0x2F) with the
// application id as a Short-integer (0x80 | id), then the body unchanged.
cat::Bytes wsp_push_pdu(std::uint8_t tid, std::uint8_t content_type, std::uint8_t application_id,
                        cat::ByteView body);
// The same for a DM notification: content type by notification_content_type(), application
// id 0x07.
cat::Bytes wsp_push_notification(std::uint8_t tid, cat::ByteView body);

// WAP-230-WSP 8.1.2 uintvar: 7 bits per byte, most significant first, bit 8 = more follows.
cat::Bytes encode_uintvar(std::uint32_t value);

}  // namespace dmsc::bip
