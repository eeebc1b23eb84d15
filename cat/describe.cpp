// cat/describe.cpp — classifies bytes and assembles a Description from the typed decoders.
#include "cat/describe.hpp"

#include <cstdio>
#include <set>

#include "cat/codes.hpp"
#include "cat/envelope.hpp"
#include "cat/proactive.hpp"
#include "cat/profile.hpp"
#include "cat/response.hpp"
#include "cat/tlv.hpp"

namespace dmsc::cat {

std::string_view kind_name(Kind k) {
    switch (k) {
        case Kind::ProactiveCommand:
            return "proactive_command";
        case Kind::TerminalResponse:
            return "terminal_response";
        case Kind::Envelope:
            return "envelope";
        case Kind::TerminalProfile:
            return "terminal_profile";
        case Kind::ApduExchange:
            return "apdu_exchange";
    }
    return "";
}

namespace {

constexpr std::uint8_t kDataNotUnderstood = 0x32;

std::string hex2(unsigned v) {
    char b[8];
    std::snprintf(b, sizeof b, "%02X", v & 0xFFu);
    return b;
}

std::vector<TlvDescription> describe_tlvs(const std::vector<Ctlv>& tlvs) {
    std::vector<TlvDescription> out;
    out.reserve(tlvs.size());
    for (const auto& t : tlvs) {
        TlvDescription d;
        d.tag = t.tag;
        d.cr = t.cr;
        d.long_tag = t.long_tag;
        d.value = t.value;
        d.offset = t.offset;
        if (!t.long_tag) {
            d.name = std::string(name_of(static_cast<Tag>(t.tag)));
            d.fields = describe_object(t.tag, t.value);
        }
        out.push_back(std::move(d));
    }
    return out;
}

// Drops the fields that repeat what `details`, `devices` and `result` already say.
Fields without_header_fields(Fields fields, bool response) {
    static const std::set<std::string> kCommand = {"command",   "command number", "command type",
                                                   "qualifier", "source device",  "destination device"};
    static const std::set<std::string> kResponse = {"source", "destination", "general result", "result",
                                                    "additional information"};
    Fields out;
    for (auto& f : fields) {
        if (kCommand.count(f.name) || (response && kResponse.count(f.name))) continue;
        // "channel status.channel id": a per-object field, already listed under its TLV.
        if (response && f.name.find('.') != std::string::npos) continue;
        out.push_back(std::move(f));
    }
    return out;
}

std::string command_title(std::uint8_t type) {
    auto n = name_of(static_cast<CommandType>(type));
    return n.empty() ? "command type '" + hex2(type) + "'" : std::string(n);
}

Result<Description> describe_proactive(ByteView data) {
    Description d;
    d.kind = Kind::ProactiveCommand;
    d.ber_tag = 0xD0;
    auto header = decode_command_header(data);
    if (!header) return header.error();
    d.details = header->details;
    d.devices = header->devices;
    d.title = command_title(header->details.type);
    auto cmd = decode_proactive_command(data);
    if (cmd) {
        d.fields = without_header_fields(describe(*cmd), false);
        d.tlvs = describe_tlvs(cmd->tlvs);
        if (cmd->partial_comprehension) {
            d.notes.push_back("an unknown object without CR was ignored: answer '01' partial comprehension");
        }
        if (!has_typed_decoder(header->details.type)) {
            d.notes.push_back("the gateway has no typed decoder for this command type");
        }
        return d;
    }
    // The body does not decode: still show the header and whatever TLVs parse, and say what a
    // terminal answers.
    d.notes.push_back(cmd.error().describe() + " (a terminal answers '" + hex2(cmd.error().result) + "')");
    auto ber = parse_ber_tlv(data);
    if (ber) {
        auto tl = parse_ctlvs(ber->value, ber->value_offset);
        if (tl) d.tlvs = describe_tlvs(*tl);
    }
    return d;
}

Result<Description> describe_response(ByteView data) {
    auto tr = decode_terminal_response(data);
    if (!tr) return tr.error();
    Description d;
    d.kind = Kind::TerminalResponse;
    d.details = tr->details;
    d.devices = tr->devices;
    d.result = tr->result;
    d.title = "TERMINAL RESPONSE to " + command_title(tr->details.type);
    d.fields = without_header_fields(describe(*tr), true);
    auto tl = parse_ctlvs(data);
    if (tl) d.tlvs = describe_tlvs(*tl);
    return d;
}

Result<Description> describe_envelope(ByteView data) {
    auto env = decode_envelope(data);
    if (!env) return env.error();
    Description d;
    d.kind = Kind::Envelope;
    d.ber_tag = env->tag;
    d.devices = env->devices();
    auto name = name_of(static_cast<BerTag>(env->tag));
    d.title = "ENVELOPE " + (name.empty() ? "'" + hex2(env->tag) + "'" : std::string(name));
    if (auto ev = env->event()) {
        auto en = name_of(static_cast<EventType>(*ev));
        d.title += " (" + (en.empty() ? "event '" + hex2(*ev) + "'" : std::string(en)) + ")";
    }
    d.fields = without_header_fields(describe(*env), true);
    std::erase_if(d.fields, [](const Field& f) { return f.name == "envelope"; });
    d.tlvs = describe_tlvs(env->tlvs);
    return d;
}

Description describe_profile(ByteView data) {
    Description d;
    d.kind = Kind::TerminalProfile;
    d.title = "TERMINAL PROFILE (" + std::to_string(data.size()) + " bytes)";
    for (auto& f : describe_terminal_profile(data)) d.fields.push_back({"feature", f});
    return d;
}

bool is_cat_apdu_header(ByteView data) {
    if (data.size() < 5) return false;
    const std::uint8_t cla = data[0];
    const std::uint8_t ins = data[1];
    if (cla != 0x80 && cla != 0xA0 && cla != 0x00) return false;
    switch (ins) {
        case 0x10:
        case 0x12:
        case 0x14:
        case 0xC2:
        case 0xF2:
        case 0xC0:
            return true;
        default:
            return false;
    }
}

Result<Description> describe_apdu(ByteView data) {
    if (!is_cat_apdu_header(data)) {
        return make_error(kDataNotUnderstood, 0, 0,
                          "not a CAT APDU header (CLA '80'/'A0'/'00', INS '10','12','14','C2','F2','C0')");
    }
    Description d;
    d.kind = Kind::ApduExchange;
    d.apdu_header = Bytes(data.begin(), data.begin() + 5);
    const std::uint8_t ins = data[1];
    const std::size_t p3 = data[4];
    const bool outgoing_data = ins == 0x10 || ins == 0x14 || ins == 0xC2;  // case 3/4
    ByteView rest = data.subspan(5);
    ByteView command_data;
    if (outgoing_data) {
        if (rest.size() < p3) {
            return make_error(kDataNotUnderstood, 4, 0,
                              "Lc = " + std::to_string(p3) + " but only " + std::to_string(rest.size()) +
                                  " bytes of command data follow");
        }
        command_data = rest.first(p3);
        rest = rest.subspan(p3);
    }
    ByteView response_data;
    if (rest.size() >= 2) {
        d.status_word = static_cast<std::uint16_t>((rest[rest.size() - 2] << 8) | rest[rest.size() - 1]);
        response_data = rest.first(rest.size() - 2);
    } else if (rest.size() == 1) {
        d.notes.push_back("a single byte after the command: not a status word");
    }
    switch (ins) {
        case 0x10:
            d.title = "TERMINAL PROFILE";
            break;
        case 0x12:
            d.title = "FETCH";
            break;
        case 0x14:
            d.title = "TERMINAL RESPONSE";
            break;
        case 0xC2:
            d.title = "ENVELOPE";
            break;
        case 0xF2:
            d.title = "STATUS";
            break;
        case 0xC0:
            d.title = "GET RESPONSE";
            break;
        default:
            break;
    }
    auto add_part = [&d](Result<Description> part) {
        if (part) {
            d.parts.push_back(std::move(part).value());
        } else {
            d.notes.push_back(part.error().describe());
        }
    };
    if (!command_data.empty()) {
        if (ins == 0x10) {
            d.parts.push_back(describe_profile(command_data));
        } else if (ins == 0x14) {
            add_part(describe_response(command_data));
        } else if (ins == 0xC2) {
            add_part(describe_envelope(command_data));
        }
    }
    if (!response_data.empty() && (ins == 0x12 || ins == 0xC0) && response_data[0] == 0xD0) {
        add_part(describe_proactive(response_data));
    } else if (!response_data.empty()) {
        d.fields.push_back({"response data", to_hex(response_data)});
    }
    if (d.status_word) {
        const std::uint16_t sw = *d.status_word;
        std::string meaning;
        if (sw == 0x9000)
            meaning = "normal ending";
        else if ((sw >> 8) == 0x91)
            meaning = "proactive command pending, " + std::to_string(sw & 0xFF) + " bytes";
        else if (sw == 0x9300)
            meaning = "toolkit busy";
        else if ((sw >> 8) == 0x61)
            meaning = std::to_string(sw & 0xFF) + " response bytes available";
        else if ((sw >> 8) == 0x6C)
            meaning = "wrong Le, use " + std::to_string(sw & 0xFF);
        else if ((sw >> 8) == 0x9F)
            meaning = std::to_string(sw & 0xFF) + " response bytes available (SIM)";
        else if ((sw >> 8) == 0x6F)
            meaning = "technical problem";
        else
            meaning = "error or warning";
        d.fields.push_back({"status word", hex2(sw >> 8) + hex2(sw) + " " + meaning});
    }
    return d;
}

}  // namespace

Result<Description> describe_bytes(ByteView data, Hint hint) {
    if (data.empty()) return make_error(kDataNotUnderstood, 0, 0, "no bytes to decode");
    switch (hint) {
        case Hint::ProactiveCommand:
            return describe_proactive(data);
        case Hint::TerminalResponse:
            return describe_response(data);
        case Hint::Envelope:
            return describe_envelope(data);
        case Hint::TerminalProfile:
            return describe_profile(data);
        case Hint::Apdu:
            return describe_apdu(data);
        case Hint::Auto:
            break;
    }
    const std::uint8_t first = data[0];
    if (first == 0xD0) return describe_proactive(data);
    if (first >= 0xD1 && first <= 0xDE) return describe_envelope(data);
    if ((first == 0x81 || first == 0x01) && data.size() > 1 && data[1] == 0x03)
        return describe_response(data);
    if (is_cat_apdu_header(data)) return describe_apdu(data);
    return make_error(kDataNotUnderstood, 0, first,
                      "not a proactive command ('D0'), ENVELOPE ('D1'..'DE'), TERMINAL RESPONSE "
                      "('81 03' command details) or CAT APDU");
}

namespace {

void render(const Description& d, std::string& out, const std::string& indent) {
    out += indent + d.title + " [" + std::string(kind_name(d.kind)) + "]\n";
    const std::string in2 = indent + "  ";
    if (d.apdu_header) out += in2 + "header: " + to_hex(*d.apdu_header) + "\n";
    if (d.details) {
        out += in2 + "command details: number " + std::to_string(d.details->number) + ", type '" +
               hex2(d.details->type) + "' " + command_title(d.details->type) + ", qualifier '" +
               hex2(d.details->qualifier) + "'\n";
    }
    if (d.devices) {
        out += in2 + "device identities: " + device_name(d.devices->source) + " -> " +
               device_name(d.devices->destination) + "\n";
    }
    if (d.result) {
        auto n = name_of(static_cast<GeneralResult>(d.result->general));
        out += in2 + "result: '" + hex2(d.result->general) + "' " + std::string(n);
        if (!d.result->additional.empty()) out += ", additional information " + to_hex(d.result->additional);
        out += "\n";
    }
    for (const auto& f : d.fields) out += in2 + f.name + ": " + field_to_string(f.value) + "\n";
    if (!d.tlvs.empty()) {
        out += in2 + "TLVs:\n";
        for (const auto& t : d.tlvs) {
            char tag[16];
            if (t.long_tag) {
                std::snprintf(tag, sizeof tag, "7F%04X", static_cast<unsigned>(t.tag | (t.cr ? 0x8000 : 0)));
            } else {
                std::snprintf(tag, sizeof tag, "%02X", static_cast<unsigned>(t.tag | (t.cr ? 0x80 : 0)));
            }
            out += in2 + "  " + tag + (t.cr ? " CR " : "    ") + (t.name.empty() ? "(unknown)" : t.name) +
                   " [" + std::to_string(t.value.size()) + "] " + to_hex(t.value) + "\n";
            // Command details, device identities and result are already spelled out above.
            const bool header_object = !t.long_tag && t.tag >= 0x01 && t.tag <= 0x03;
            if (header_object) continue;
            for (const auto& f : t.fields) {
                out += in2 + "      " + f.name + ": " + field_to_string(f.value) + "\n";
            }
        }
    }
    for (const auto& n : d.notes) out += in2 + "note: " + n + "\n";
    for (const auto& p : d.parts) render(p, out, in2);
}

}  // namespace

std::string to_text(const Description& d) {
    std::string out;
    render(d, out, "");
    return out;
}

}  // namespace dmsc::cat
