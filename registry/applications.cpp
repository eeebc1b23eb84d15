// registry/applications.cpp — Terminal Applications: name coding and checks, the registration
// ENVELOPEs and their state per card session.
#include "registry/applications.hpp"

#include <cstdio>
#include <utility>

#include "cat/envelope.hpp"
#include "cat/text.hpp"

namespace dmsc::registry {

namespace {

constexpr std::size_t kMaxApdu = 255;  // Lc of the ENVELOPE APDU (TS 102 221 clause 11.2.2)

// One code point of `s` starting at `i`: its length in bytes, or 0 when the bytes are not
// UTF-8. `cp` receives the code point.
std::size_t utf8_next(std::string_view s, std::size_t i, char32_t& cp) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    if (b < 0x80) {
        cp = b;
        return 1;
    }
    if ((b & 0xE0) == 0xC0) {
        n = 2;
        cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
        n = 3;
        cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
        n = 4;
        cp = b & 0x07;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (c & 0x3F);
    }
    return n;
}

std::string code_point_name(char32_t cp) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
    return buf;
}

std::string quoted(const ApplicationConfig& app, std::size_t index) {
    return "application[" + std::to_string(index) + "] \"" + cat::printable(app.name) + "\"";
}

std::string sw_text(cat::StatusWord sw) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02X %02X", sw.sw1, sw.sw2);
    return buf;
}

// What the card sees of an application.
bool same_for_card(const std::vector<ApplicationConfig>& a, const std::vector<ApplicationConfig>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].name != b[i].name || a[i].port != b[i].port || a[i].type != b[i].type ||
            a[i].coding != b[i].coding) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::string_view name_of(NameCoding coding) {
    return coding == NameCoding::Ucs2 ? "ucs2" : "gsm7";
}

std::string_view name_of(RegistrationState state) {
    switch (state) {
        case RegistrationState::NotSent:
            return "not sent";
        case RegistrationState::Sent:
            return "sent";
        case RegistrationState::Busy:
            return "busy, retrying";
        case RegistrationState::Accepted:
            return "accepted";
        case RegistrationState::Rejected:
            return "rejected";
    }
    return "unknown";
}

Expected<cat::Bytes> encode_name(std::string_view name, NameCoding coding) {
    if (name.empty())
        return fail("name is empty; the card shows it to the user, give the application a name");
    cat::Bytes out;
    std::size_t position = 0;  // characters, from 1 in messages
    for (std::size_t i = 0; i < name.size();) {
        char32_t cp = 0;
        const std::size_t n = utf8_next(name, i, cp);
        if (n == 0) return fail("name is not valid UTF-8 at byte " + std::to_string(i));
        ++position;
        const std::string_view ch = name.substr(i, n);
        cat::Bytes coded;
        const bool ok =
            coding == NameCoding::Gsm7 ? cat::utf8_to_gsm7_unpacked(ch, coded) : cat::utf8_to_ucs2(ch, coded);
        if (!ok) {
            if (coding == NameCoding::Gsm7) {
                return fail("name: character '" + std::string(ch) + "' (" + code_point_name(cp) +
                            ") at position " + std::to_string(position) +
                            " is not in the GSM 7-bit default alphabet (TS 23.038); use coding = \"ucs2\" "
                            "or change the name");
            }
            return fail("name: character '" + std::string(ch) + "' (" + code_point_name(cp) +
                        ") at position " + std::to_string(position) +
                        " is outside UCS2 (the Basic Multilingual Plane)");
        }
        out.insert(out.end(), coded.begin(), coded.end());
        i += n;
    }
    return out;
}

Expected<cat::RegistryApplicationData> registry_data(const ApplicationConfig& app) {
    if (app.port == 0)
        return fail("port 0 is not a port the card can open a channel to; give a port 1..65535");
    auto name = encode_name(app.name, app.coding);
    if (!name) return Failure{name.error()};
    cat::RegistryApplicationData d;
    d.port = app.port;
    d.dcs = static_cast<std::uint8_t>(app.coding);
    d.application_type = app.type;
    d.name = std::move(name).value();
    // One application must fit one ENVELOPE (the builder never splits an application).
    const auto envs = cat::terminal_applications({d});
    const std::size_t size = cat::encode(envs.front()).size();
    if (size > kMaxApdu) {
        return fail("name is too long: " + std::to_string(d.name.size()) + " bytes coded in " +
                    std::string(name_of(app.coding)) + " make an ENVELOPE of " + std::to_string(size) +
                    " bytes, at most " + std::to_string(kMaxApdu) + " fit one APDU; shorten the name");
    }
    return d;
}

Expected<std::vector<cat::RegistryApplicationData>> validate(const std::vector<ApplicationConfig>& apps) {
    std::vector<cat::RegistryApplicationData> out;
    out.reserve(apps.size());
    for (std::size_t i = 0; i < apps.size(); ++i) {
        auto d = registry_data(apps[i]);
        if (!d) return fail(quoted(apps[i], i) + ": " + d.error());
        for (std::size_t j = 0; j < i; ++j) {
            if (apps[j].port == apps[i].port) {
                return fail(quoted(apps[i], i) + ": port " + std::to_string(apps[i].port) +
                            " is already used by " + quoted(apps[j], j) +
                            "; each application needs its own port (the card addresses it by port)");
            }
        }
        out.push_back(std::move(d).value());
    }
    return out;
}

Expected<bool> TerminalApplications::configure(std::vector<ApplicationConfig> apps) {
    auto checked = validate(apps);
    if (!checked) return Failure{checked.error()};
    const bool changed = !same_for_card(apps, apps_);
    apps_ = std::move(apps);
    if (changed && state_ != RegistrationState::NotSent) {
        // The card holds the old set: the new one has to be sent in this card session.
        state_ = RegistrationState::NotSent;
        pending_.clear();
        detail_ = "application set changed, registration due";
    }
    return changed;
}

bool TerminalApplications::registration_due() const {
    if (state_ != RegistrationState::NotSent) return false;
    // Nothing to say to a card that was never told anything in this session.
    return !apps_.empty() || sent_this_session_;
}

void TerminalApplications::send_registration(Outbox& out) {
    std::vector<cat::RegistryApplicationData> data;
    data.reserve(apps_.size());
    for (const auto& app : apps_) {
        auto d = registry_data(app);  // configure() checked every application already
        if (d) data.push_back(std::move(d).value());
    }
    pending_.clear();
    const auto envs = cat::terminal_applications(data);
    for (std::size_t i = 0; i < envs.size(); ++i) {
        pending_.push_back(
            Pending{out.push(EnvelopeKind::TerminalApplications, static_cast<std::uint8_t>(i), envs[i])});
    }
    registered_ = apps_;
    sent_this_session_ = true;
    state_ = RegistrationState::Sent;
    last_sw_.reset();
    detail_.clear();
    ++registrations_;
}

void TerminalApplications::card_session_ended() {
    pending_.clear();
    registered_.clear();
    state_ = RegistrationState::NotSent;
    sent_this_session_ = false;
    last_sw_.reset();
    detail_.clear();
}

void TerminalApplications::update_state() {
    if (state_ == RegistrationState::Rejected || state_ == RegistrationState::NotSent) return;
    bool busy = false;
    bool all_done = true;
    for (const auto& p : pending_) {
        busy = busy || p.state == Pending::State::Busy;
        all_done = all_done && p.state == Pending::State::Done;
    }
    state_ = all_done ? RegistrationState::Accepted
             : busy   ? RegistrationState::Busy
                      : RegistrationState::Sent;
}

bool TerminalApplications::on_envelope_done(EnvelopeId id, cat::StatusWord sw) {
    for (auto& p : pending_) {
        if (p.id != id) continue;
        p.state = Pending::State::Done;
        last_sw_ = sw;
        update_state();
        return true;
    }
    return false;
}

bool TerminalApplications::on_envelope_busy(EnvelopeId id) {
    for (auto& p : pending_) {
        if (p.id != id) continue;
        p.state = Pending::State::Busy;
        last_sw_ = cat::StatusWord{0x93, 0x00};
        update_state();
        return true;
    }
    return false;
}

bool TerminalApplications::on_envelope_failed(EnvelopeId id, cat::FailReason reason,
                                              std::optional<cat::StatusWord> sw) {
    for (auto& p : pending_) {
        if (p.id != id) continue;
        if (reason == cat::FailReason::CardRemoved || reason == cat::FailReason::CardReset) {
            // The card session is over; power-on starts the next registration.
            card_session_ended();
            return true;
        }
        state_ = RegistrationState::Rejected;
        last_sw_ = sw;
        detail_ = std::string("rejected: ") + std::string(cat::name_of(reason)) +
                  (sw ? ", SW " + sw_text(*sw) : std::string());
        return true;
    }
    return false;
}

const ApplicationConfig* TerminalApplications::find_registered(std::uint16_t port) const {
    // Nothing sent in this card session, or refused. A set changed by a reload and not sent yet
    // (NotSent after a registration) still finds the previous set: the card knows that one.
    if (state_ == RegistrationState::Rejected || !sent_this_session_) return nullptr;
    for (const auto& app : registered_) {
        if (app.port == port) return &app;
    }
    return nullptr;
}

ApplicationsSnapshot TerminalApplications::snapshot() const {
    ApplicationsSnapshot s;
    for (const auto& app : apps_) {
        ApplicationsSnapshot::App a;
        a.name = app.name;
        a.type = app.type;
        a.port = app.port;
        a.coding = std::string(name_of(app.coding));
        a.deliver = app.deliver;
        a.launch = app.launch;
        const ApplicationConfig* r = find_registered(app.port);
        a.registered = r != nullptr && same_for_card({*r}, {app});
        s.apps.push_back(std::move(a));
    }
    s.state = state_;
    s.last_sw = last_sw_;
    s.envelopes = pending_.size();
    s.registrations = registrations_;
    s.detail = detail_;
    return s;
}

}  // namespace dmsc::registry
