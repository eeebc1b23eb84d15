// tests/bip/test_support.hpp — builders for the proactive commands the BIP tests feed in, and a
// harness around bip::Channels that records which events the card registered.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bip/channels.hpp"
#include "cat/bytes.hpp"
#include "cat/envelope.hpp"
#include "cat/proactive.hpp"
#include "cat/response.hpp"

namespace dmsc::bip::test {

using cat::Bytes;

inline Bytes hex(const std::string& s) {
    Bytes b;
    REQUIRE_MESSAGE(cat::from_hex(s, b), "bad hex " << s);
    return b;
}

// One COMPREHENSION-TLV (or the 'D0' BER-TLV): tag, length ('81 XX' above 127), value.
inline Bytes tlv(std::uint8_t tag, const Bytes& value) {
    Bytes out{tag};
    if (value.size() > 127) out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(value.size()));
    out.insert(out.end(), value.begin(), value.end());
    return out;
}

inline cat::ProactiveCommand decode(const Bytes& ber) {
    auto r = cat::decode_proactive_command(ber);
    REQUIRE_MESSAGE(r.ok(), r.error().describe());
    return std::move(r).value();
}

inline cat::ProactiveCommand command(std::uint8_t type, std::uint8_t qualifier, std::uint8_t destination,
                                     const std::vector<Bytes>& objects) {
    Bytes body = tlv(0x81, {0x01, type, qualifier});
    auto ids = tlv(0x82, {0x81, destination});
    body.insert(body.end(), ids.begin(), ids.end());
    for (const auto& o : objects) body.insert(body.end(), o.begin(), o.end());
    return decode(tlv(0xD0, body));
}

constexpr std::uint8_t kImmediate = 0x01;
constexpr std::uint8_t kOnDemand = 0x00;
constexpr std::uint8_t kStore = 0x00;
constexpr std::uint8_t kSendNow = 0x01;

inline Bytes u16(std::uint16_t v) {
    return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v & 0xFF)};
}

// OPEN CHANNEL, Terminal Server Mode (transport '05' TCP / '04' UDP, class "k").
inline cat::ProactiveCommand open_tsm(std::uint8_t qualifier, std::uint16_t port, std::uint16_t buffer = 1000,
                                      bool udp = false) {
    auto p = u16(port);
    return command(
        0x40, qualifier, 0x82,
        {tlv(0x39, u16(buffer)), tlv(0x3C, {static_cast<std::uint8_t>(udp ? 0x04 : 0x05), p[0], p[1]})});
}
// OPEN CHANNEL, UICC server mode (transport '03').
inline cat::ProactiveCommand open_server(std::uint16_t port, std::uint16_t buffer = 1000) {
    auto p = u16(port);
    return command(0x40, kImmediate, 0x82, {tlv(0x39, u16(buffer)), tlv(0x3C, {0x03, p[0], p[1]})});
}
// OPEN CHANNEL, any transport type, default bearer.
inline cat::ProactiveCommand open_transport(std::uint8_t protocol, std::uint16_t port,
                                            const Bytes& address = {0x21, 127, 0, 0, 1}) {
    auto p = u16(port);
    return command(
        0x40, kImmediate, 0x82,
        {tlv(0x35, {0x03}), tlv(0x39, u16(1000)), tlv(0x3C, {protocol, p[0], p[1]}), tlv(0x3E, address)});
}
inline cat::ProactiveCommand send(ChannelId ch, std::uint8_t qualifier, const Bytes& data) {
    return command(0x43, qualifier, static_cast<std::uint8_t>(0x20 + ch), {tlv(0xB6, data)});
}
inline cat::ProactiveCommand receive(ChannelId ch, std::uint8_t length) {
    return command(0x42, 0x00, static_cast<std::uint8_t>(0x20 + ch), {tlv(0xB7, {length})});
}
inline cat::ProactiveCommand close(ChannelId ch, std::uint8_t qualifier = 0) {
    return command(0x41, qualifier, static_cast<std::uint8_t>(0x20 + ch), {});
}
inline cat::ProactiveCommand get_status() {
    return command(0x44, 0x00, 0x82, {});
}

inline Bytes pattern(std::size_t n, std::uint8_t first = 0) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(first + i);
    return b;
}

// The result object of a TERMINAL RESPONSE: general result, then additional information.
inline Bytes result_of(const cat::TerminalResponse& tr) {
    Bytes out{tr.result.general};
    out.insert(out.end(), tr.result.additional.begin(), tr.result.additional.end());
    return out;
}
inline std::string result_hex(const std::optional<cat::TerminalResponse>& tr) {
    REQUIRE(tr.has_value());
    return cat::to_hex(result_of(*tr));
}
inline std::string tr_hex(const std::optional<cat::TerminalResponse>& tr) {
    REQUIRE(tr.has_value());
    return cat::to_hex(cat::encode(*tr));
}

template <class T>
std::vector<T> actions_of(const Effects& fx) {
    std::vector<T> out;
    for (const auto& a : fx.actions) {
        if (const auto* p = std::get_if<T>(&a)) out.push_back(*p);
    }
    return out;
}
inline std::vector<std::string> envelopes(const Effects& fx) {
    std::vector<std::string> out;
    for (const auto& e : actions_of<QueueEnvelope>(fx)) out.push_back(cat::to_hex(e.ber));
    return out;
}

// A Channels with one registered application (port 1100 → tcp://127.0.0.1:1100) and the two
// BIP events registered, as the card does with SET UP EVENT LIST.
struct Harness {
    ChannelsConfig config;
    std::set<cat::EventType> events{cat::EventType::DataAvailable, cat::EventType::ChannelStatus};
    bool launchable = false;
    std::uint32_t app_launch_timeout_ms = 0;  // the application's own (0 = the config's)
    std::optional<Channels> engine;

    explicit Harness(ChannelsConfig c = {}, bool launch = false) : config(c), launchable(launch) { reset(); }
    void reset() {
        engine.emplace(
            config,
            [this](std::uint16_t port) -> std::optional<TerminalApp> {
                if (port != 1100) return std::nullopt;
                return TerminalApp{"DM Client", "tcp://127.0.0.1:1100", launchable, app_launch_timeout_ms};
            },
            [this](cat::EventType e) { return events.count(e) != 0; });
    }
    Channels& operator*() { return *engine; }
    Channels* operator->() { return &*engine; }

    // A Terminal Server Mode channel on port 1100, connected.
    ChannelId open_connected(std::uint16_t buffer = 1000) {
        auto fx = engine->on_command(open_tsm(kImmediate, 1100, buffer));
        REQUIRE(fx.pending);
        const auto c = actions_of<Connect>(fx);
        REQUIRE(c.size() == 1);
        auto done = engine->on_connected(c[0].channel);
        REQUIRE(done.completion);
        return c[0].channel;
    }
    // A UICC server mode channel listening on `port` (the listener confirmed if it is new).
    ChannelId open_listening(std::uint16_t port = 4116, std::uint16_t buffer = 1000) {
        auto fx = engine->on_command(open_server(port, buffer));
        if (fx.response) {
            REQUIRE(fx.response->result.general == 0x00);
            const auto* status = fx.response->find(cat::Tag::ChannelStatus);
            REQUIRE(status != nullptr);
            return static_cast<ChannelId>(status->value.at(0) & 0x07);
        }
        const auto l = actions_of<Listen>(fx);
        REQUIRE(l.size() == 1);
        auto done = engine->on_listening(l[0].channel);
        REQUIRE(done.completion);
        return l[0].channel;
    }
};

}  // namespace dmsc::bip::test
