// cat/proactive.cpp — proactive command decoding (TS 102 223 clause 6.6): the header first,
// then the body against a per-command table of (tag, mandatory) rows in the spec's order.
#include "cat/proactive.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <type_traits>

#include "cat/text.hpp"

namespace dmsc::cat {

namespace {

constexpr std::uint8_t kDataNotUnderstood = 0x32;
constexpr std::uint8_t kRequiredValuesMissing = 0x36;
constexpr std::uint8_t kProactiveCommandTag = 0xD0;

// Where a row's object goes once decoded.
enum class Slot : std::uint8_t {
    AlphaId,
    IconId,
    TextAttribute,
    FrameId,
    Address,
    Subaddress,
    Duration1,
    Duration2,
    Bearer,
    BufferSize,
    NetworkAccessName,
    LocalAddress,
    RemoteEntityAddress,
    UserLogin,
    UserPassword,
    Transport,
    Destination,
    ChannelData,
    ChannelDataLength,
    EventList,
    TimerId,
    TimerValue,
    PollDuration,
    FileList,
    Aid,
    SmsTpdu,
    BrowserIdentity,
    Url,
    Bearers,
    ProvisioningFile,
    GatewayText,
};

struct Row {
    Tag tag;
    bool mandatory;
    Slot slot;
    bool repeat = false;  // may occur several times in a row (8.50 provisioning files)
};

using Table = std::span<const Row>;

constexpr Row kAlpha{Tag::AlphaIdentifier, false, Slot::AlphaId};
constexpr Row kIcon{Tag::IconIdentifier, false, Slot::IconId};
constexpr Row kTextAttr{Tag::TextAttribute, false, Slot::TextAttribute};
constexpr Row kFrame{Tag::FrameIdentifier, false, Slot::FrameId};

// 6.6.27 OPEN CHANNEL, the union of its variants (27.1 CS bearer, 27.2 packet data, 27.3
// local bearer, 27.4 default bearer, 27.5 UICC server mode, 27.6/27.7 Terminal Server Mode)
// in the order they share: a '3E' before the transport level is the local address, one after
// it the data destination address; the two text strings are user login, then password.
// Bearer description is checked after the table: not needed in server modes.
constexpr std::array kOpenChannel{
    kAlpha,
    kIcon,
    Row{Tag::Address, false, Slot::Address},
    Row{Tag::Subaddress, false, Slot::Subaddress},
    Row{Tag::Duration, false, Slot::Duration1},
    Row{Tag::Duration, false, Slot::Duration2},
    Row{Tag::BearerDescription, false, Slot::Bearer},
    Row{Tag::BufferSize, true, Slot::BufferSize},
    Row{Tag::NetworkAccessName, false, Slot::NetworkAccessName},
    Row{Tag::OtherAddress, false, Slot::LocalAddress},
    Row{Tag::RemoteEntityAddress, false, Slot::RemoteEntityAddress},
    Row{Tag::TextString, false, Slot::UserLogin},
    Row{Tag::TextString, false, Slot::UserPassword},
    Row{Tag::UiccTerminalInterfaceTransportLevel, false, Slot::Transport},
    Row{Tag::OtherAddress, false, Slot::Destination},
    kTextAttr,
    kFrame,
};
// 6.6.28 CLOSE CHANNEL.
constexpr std::array kCloseChannel{kAlpha, kIcon, kTextAttr, kFrame};
// 6.6.29 RECEIVE DATA.
constexpr std::array kReceiveData{kAlpha, kIcon, Row{Tag::ChannelDataLength, true, Slot::ChannelDataLength},
                                  kTextAttr, kFrame};
// 6.6.30 SEND DATA.
constexpr std::array kSendData{kAlpha, kIcon, Row{Tag::ChannelData, true, Slot::ChannelData}, kTextAttr,
                               kFrame};
// 6.6.16 SET UP EVENT LIST.
constexpr std::array kSetUpEventList{Row{Tag::EventList, true, Slot::EventList}};
// 6.6.21 TIMER MANAGEMENT (timer value: conditional, checked afterwards).
constexpr std::array kTimerManagement{Row{Tag::TimerIdentifier, true, Slot::TimerId},
                                      Row{Tag::TimerValue, false, Slot::TimerValue}};
// 6.6.6 POLL INTERVAL.
constexpr std::array kPollInterval{Row{Tag::Duration, true, Slot::PollDuration}};
// 6.6.13 REFRESH (file list: conditional on the qualifier, checked afterwards).
constexpr std::array kRefresh{Row{Tag::FileList, false, Slot::FileList},
                              Row{Tag::AidIdentifier, false, Slot::Aid},
                              kAlpha,
                              kIcon,
                              kTextAttr,
                              kFrame};
// 6.6.9 SEND SHORT MESSAGE (the TPDU: checked afterwards, '0B' or the CDMA '48').
constexpr std::array kSendShortMessage{kAlpha,
                                       Row{Tag::Address, false, Slot::Address},
                                       Row{Tag::SmsTpdu, false, Slot::SmsTpdu},
                                       Row{Tag::CdmaSmsTpdu, false, Slot::SmsTpdu},
                                       kIcon,
                                       kTextAttr,
                                       kFrame};
// 6.6.26 LAUNCH BROWSER.
constexpr std::array kLaunchBrowser{
    Row{Tag::BrowserIdentity, false, Slot::BrowserIdentity},
    Row{Tag::Url, true, Slot::Url},
    Row{Tag::Bearer, false, Slot::Bearers},
    Row{Tag::ProvisioningReferenceFile, false, Slot::ProvisioningFile, true},
    Row{Tag::TextString, false, Slot::GatewayText},
    kAlpha,
    kIcon,
    kTextAttr,
    kFrame,
};
// Commands without further objects: 6.6.4 MORE TIME, 6.6.8 POLLING OFF, 6.6.15 PROVIDE
// LOCAL INFORMATION, 6.6.31 GET CHANNEL STATUS.
constexpr std::array<Row, 0> kEmpty{};

struct Decoder {
    CommandType type;
    Table rows;
    CommandBody (*make)();
};

template <class T>
CommandBody make_body() {
    return T{};
}

constexpr std::array kDecoders{
    Decoder{CommandType::OpenChannel, kOpenChannel, &make_body<OpenChannel>},
    Decoder{CommandType::CloseChannel, kCloseChannel, &make_body<CloseChannel>},
    Decoder{CommandType::ReceiveData, kReceiveData, &make_body<ReceiveData>},
    Decoder{CommandType::SendData, kSendData, &make_body<SendData>},
    Decoder{CommandType::GetChannelStatus, kEmpty, &make_body<GetChannelStatus>},
    Decoder{CommandType::SetUpEventList, kSetUpEventList, &make_body<SetUpEventList>},
    Decoder{CommandType::TimerManagement, kTimerManagement, &make_body<TimerManagement>},
    Decoder{CommandType::PollInterval, kPollInterval, &make_body<PollInterval>},
    Decoder{CommandType::PollingOff, kEmpty, &make_body<PollingOff>},
    Decoder{CommandType::MoreTime, kEmpty, &make_body<MoreTime>},
    Decoder{CommandType::ProvideLocalInformation, kEmpty, &make_body<ProvideLocalInformation>},
    Decoder{CommandType::Refresh, kRefresh, &make_body<Refresh>},
    Decoder{CommandType::SendShortMessage, kSendShortMessage, &make_body<SendShortMessage>},
    Decoder{CommandType::LaunchBrowser, kLaunchBrowser, &make_body<LaunchBrowser>},
};

const Decoder* decoder_for(std::uint8_t type) {
    for (const auto& d : kDecoders) {
        if (static_cast<std::uint8_t>(d.type) == type) return &d;
    }
    return nullptr;
}

std::string tag_name(std::uint16_t tag) {
    auto n = name_of(static_cast<Tag>(tag & 0x7F));
    return n.empty() ? "unknown object" : std::string(n);
}

Error data_error(const Ctlv& t, const std::string& what) {
    return make_error(kDataNotUnderstood, t.offset, t.tag, tag_name(t.tag) + ": " + what);
}

// Channel identifier from a destination device identity '21'..'27' (8.7), else 0.
std::uint8_t channel_of(std::uint8_t device) {
    return device >= 0x21 && device <= 0x27 ? static_cast<std::uint8_t>(device - 0x20) : 0;
}

std::optional<Error> decode_presentation(Slot slot, const Ctlv& t, Presentation& p) {
    switch (slot) {
        case Slot::AlphaId:
            p.alpha_id = decode_alpha(t.value);
            return std::nullopt;  // 8.2
        case Slot::IconId:        // 8.31: icon qualifier + record number
            if (t.value.size() < 2)
                return data_error(t, "length " + std::to_string(t.value.size()) + ", expected 2");
            p.icon_id = t.value;
            return std::nullopt;
        case Slot::TextAttribute:  // 8.72: 4 bytes per formatting entry
            if (t.value.size() < 4)
                return data_error(t, "length " + std::to_string(t.value.size()) + ", expected 4");
            p.text_attribute = t.value;
            return std::nullopt;
        case Slot::FrameId:  // 8.80
            if (t.value.empty()) return data_error(t, "empty");
            p.frame_id = t.value[0];
            return std::nullopt;
        default:
            return std::nullopt;
    }
}

template <class T>
bool assign(std::optional<T>& dst, Result<T> r, std::optional<Error>& err) {
    if (!r) {
        err = r.error();
        return false;
    }
    dst = std::move(r).value();
    return true;
}

std::optional<Error> text_of(const Ctlv& t, std::string& out) {
    auto ts = TextString::decode(t.value, t.offset);
    if (!ts) return ts.error();
    out = ts->text().value_or(std::string());  // a null text string is an empty text
    return std::nullopt;
}

// Stores one decoded object into the command.
std::optional<Error> store(Slot slot, const Ctlv& t, ProactiveCommand& cmd) {
    std::optional<Error> err;
    const ByteView v = t.value;
    if (slot == Slot::AlphaId || slot == Slot::IconId || slot == Slot::TextAttribute ||
        slot == Slot::FrameId) {
        return decode_presentation(slot, t, cmd.presentation);
    }
    if (auto* oc = std::get_if<OpenChannel>(&cmd.body)) {
        switch (slot) {
            case Slot::Address:
                oc->address = t.value;
                return err;
            case Slot::Subaddress:
                oc->subaddress = t.value;
                return err;
            case Slot::Duration1:
                assign(oc->duration1, Duration::decode(v, t.offset), err);
                return err;
            case Slot::Duration2:
                assign(oc->duration2, Duration::decode(v, t.offset), err);
                return err;
            case Slot::Bearer:
                assign(oc->bearer, BearerDescription::decode(v, t.offset), err);
                return err;
            case Slot::BufferSize: {
                auto r = decode_u16(v, t.tag, t.offset);
                if (!r) return r.error();
                oc->buffer_size = *r;
                return err;
            }
            case Slot::NetworkAccessName: {
                std::string apn;
                if (!decode_network_access_name(v, apn))
                    return data_error(t, "label length runs past the end");
                oc->network_access_name = apn;
                return err;
            }
            case Slot::LocalAddress:
                assign(oc->local_address, OtherAddress::decode(v, t.offset), err);
                return err;
            case Slot::RemoteEntityAddress:
                oc->remote_entity_address = t.value;
                return err;
            case Slot::UserLogin:
            case Slot::UserPassword: {
                std::string s;
                if (auto e = text_of(t, s)) return e;
                (slot == Slot::UserLogin ? oc->user_login : oc->user_password) = s;
                return err;
            }
            case Slot::Transport:
                assign(oc->transport, TransportLevel::decode(v, t.offset), err);
                return err;
            case Slot::Destination:
                assign(oc->destination, OtherAddress::decode(v, t.offset), err);
                return err;
            default:
                return err;
        }
    }
    if (auto* rd = std::get_if<ReceiveData>(&cmd.body); rd && slot == Slot::ChannelDataLength) {
        auto r = decode_u8(v, t.tag, t.offset);
        if (!r) return r.error();
        rd->length = *r;
        return err;
    }
    if (auto* sd = std::get_if<SendData>(&cmd.body); sd && slot == Slot::ChannelData) {
        sd->data = t.value;
        return err;
    }
    if (auto* el = std::get_if<SetUpEventList>(&cmd.body); el && slot == Slot::EventList) {
        el->events = t.value;  // 8.25: one byte per event, may be empty
        return err;
    }
    if (auto* tm = std::get_if<TimerManagement>(&cmd.body)) {
        if (slot == Slot::TimerId) {
            auto r = decode_u8(v, t.tag, t.offset);
            if (!r) return r.error();
            // 8.37: timer identifiers 1..8.
            if (*r < 1 || *r > 8)
                return data_error(t, "timer identifier " + std::to_string(*r) + " not in 1..8");
            tm->timer_id = *r;
        } else if (slot == Slot::TimerValue) {
            assign(tm->value, TimerValue::decode(v, t.offset), err);
        }
        return err;
    }
    if (auto* pi = std::get_if<PollInterval>(&cmd.body); pi && slot == Slot::PollDuration) {
        auto r = Duration::decode(v, t.offset);
        if (!r) return r.error();
        pi->interval = *r;
        return err;
    }
    if (auto* rf = std::get_if<Refresh>(&cmd.body)) {
        if (slot == Slot::FileList) {
            auto r = decode_file_list(v, t.offset);
            if (!r) return r.error();
            rf->files = std::move(r).value();
        } else if (slot == Slot::Aid) {
            rf->aid = t.value;
        }
        return err;
    }
    if (auto* sm = std::get_if<SendShortMessage>(&cmd.body)) {
        if (slot == Slot::Address) sm->address = t.value;
        if (slot == Slot::SmsTpdu) sm->tpdu = t.value;
        return err;
    }
    if (auto* lb = std::get_if<LaunchBrowser>(&cmd.body)) {
        switch (slot) {
            case Slot::BrowserIdentity: {
                auto r = decode_u8(v, t.tag, t.offset);
                if (!r) return r.error();
                lb->browser_identity = *r;
                return err;
            }
            case Slot::Url:
                lb->url = gsm7_unpacked_to_utf8(v);
                return err;  // 8.48: GSM, bit 8 = 0
            case Slot::Bearers:
                lb->bearers = t.value;
                return err;
            case Slot::ProvisioningFile:
                lb->provisioning_files.push_back(t.value);
                return err;
            case Slot::GatewayText: {
                std::string s;
                if (auto e = text_of(t, s)) return e;
                lb->gateway = s;
                return err;
            }
            default:
                return err;
        }
    }
    return err;
}

std::optional<Slot> presentation_slot(const Ctlv& t) {
    if (t.long_tag) return std::nullopt;
    switch (static_cast<Tag>(t.tag)) {
        case Tag::AlphaIdentifier:
            return Slot::AlphaId;
        case Tag::IconIdentifier:
            return Slot::IconId;
        case Tag::TextAttribute:
            return Slot::TextAttribute;
        case Tag::FrameIdentifier:
            return Slot::FrameId;
        default:
            return std::nullopt;
    }
}

// 6.10.2 / 6.10.3: an object the command does not expect here. With CR: '32'; without:
// ignored, and the answer becomes '01' performed with partial comprehension.
std::optional<Error> unexpected(const Ctlv& t, ProactiveCommand& cmd) {
    if (t.cr) return data_error(t, "not understood and comprehension required");
    cmd.partial_comprehension = true;
    return std::nullopt;
}

// Rows in order; each TLV takes the first row at or after the current one with its tag.
std::optional<Error> decode_rows(Table rows, ProactiveCommand& cmd, std::size_t end_offset) {
    std::size_t next = 0;
    std::vector<std::size_t> seen(rows.size(), 0);
    std::vector<std::size_t> first_offset_after(rows.size(), end_offset);
    for (std::size_t i = 2; i < cmd.tlvs.size(); ++i) {
        const Ctlv& t = cmd.tlvs[i];
        std::size_t found = rows.size();
        if (!t.long_tag) {
            // A repeatable row already in use keeps taking its tag.
            if (next > 0 && rows[next - 1].repeat &&
                static_cast<std::uint16_t>(rows[next - 1].tag) == t.tag) {
                found = next - 1;
            }
            for (std::size_t r = next; found == rows.size() && r < rows.size(); ++r) {
                if (static_cast<std::uint16_t>(rows[r].tag) == t.tag) found = r;
            }
        }
        if (found == rows.size()) {
            if (auto e = unexpected(t, cmd)) return e;
            continue;
        }
        for (std::size_t r = next; r < found; ++r) first_offset_after[r] = t.offset;
        if (auto e = store(rows[found].slot, t, cmd)) return e;
        ++seen[found];
        next = found + 1;
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
        if (rows[r].mandatory && seen[r] == 0) {
            return make_error(kRequiredValuesMissing, first_offset_after[r],
                              static_cast<std::uint16_t>(rows[r].tag),
                              "missing mandatory " + tag_name(static_cast<std::uint16_t>(rows[r].tag)));
        }
    }
    return std::nullopt;
}

// Other command types: presentation objects wherever they are (the first of each), every
// other known object accepted as it is; an unknown one follows 6.10.
std::optional<Error> decode_other(ProactiveCommand& cmd) {
    std::array<bool, 4> done{};
    for (std::size_t i = 2; i < cmd.tlvs.size(); ++i) {
        const Ctlv& t = cmd.tlvs[i];
        if (auto slot = presentation_slot(t)) {
            auto& d = done[static_cast<std::size_t>(*slot)];
            if (d) continue;
            d = true;
            if (auto e = decode_presentation(*slot, t, cmd.presentation)) return e;
            continue;
        }
        if (t.long_tag || name_of(static_cast<Tag>(t.tag)).empty()) {
            if (auto e = unexpected(t, cmd)) return e;
        }
    }
    return std::nullopt;
}

// Conditions the tables cannot say.
std::optional<Error> check_conditions(ProactiveCommand& cmd, std::size_t end_offset) {
    auto missing = [&](Tag tag, const std::string& why) {
        return make_error(kRequiredValuesMissing, end_offset, static_cast<std::uint16_t>(tag),
                          "missing " + std::string(name_of(tag)) + ": " + why);
    };
    if (auto* oc = std::get_if<OpenChannel>(&cmd.body)) {
        const auto kind = oc->kind();
        const bool server =
            kind == OpenChannel::Kind::UiccServerMode || kind == OpenChannel::Kind::TerminalServerMode;
        // 6.6.27.1-27.4: every bearer variant names its bearer; the server modes do not.
        if (!server && !oc->bearer)
            return missing(Tag::BearerDescription, "required unless in a server mode");
        // 6.6.27.1: a CS bearer needs the number to call.
        if (kind == OpenChannel::Kind::CsBearer && !oc->address) return missing(Tag::Address, "CS bearer");
    } else if (auto* tm = std::get_if<TimerManagement>(&cmd.body)) {
        if (TimerManagement::action(cmd.details.qualifier) == TimerManagement::Action::Start && !tm->value) {
            return missing(Tag::TimerValue, "required to start a timer");
        }
    } else if (auto* rf = std::get_if<Refresh>(&cmd.body)) {
        // 6.6.13: a file list for "file change notification" ('01') and "NAA init + file
        // change" ('02').
        if ((cmd.details.qualifier == 0x01 || cmd.details.qualifier == 0x02) && rf->files.empty() &&
            !find(cmd.tlvs, static_cast<std::uint8_t>(Tag::FileList))) {
            return missing(Tag::FileList, "required by the qualifier");
        }
    } else if (auto* sm = std::get_if<SendShortMessage>(&cmd.body)) {
        if (sm->tpdu.empty() && !find(cmd.tlvs, static_cast<std::uint8_t>(Tag::SmsTpdu)) &&
            !find(cmd.tlvs, static_cast<std::uint8_t>(Tag::CdmaSmsTpdu))) {
            return missing(Tag::SmsTpdu, "the message to send");
        }
    } else if (auto* ch = std::get_if<CloseChannel>(&cmd.body)) {
        ch->channel_id = channel_of(cmd.devices.destination);
    }
    if (auto* rd = std::get_if<ReceiveData>(&cmd.body)) rd->channel_id = channel_of(cmd.devices.destination);
    if (auto* sd = std::get_if<SendData>(&cmd.body)) sd->channel_id = channel_of(cmd.devices.destination);
    return std::nullopt;
}

// Reads one COMPREHENSION-TLV expected to carry `tag` and decodes it with `T`.
template <class T>
Result<T> header_object(ByteReader& r, Tag tag, std::size_t at) {
    if (r.empty()) {
        return make_error(kRequiredValuesMissing, at, static_cast<std::uint16_t>(tag),
                          "missing " + std::string(name_of(tag)));
    }
    auto t = parse_ctlv(r);
    if (!t) return t.error();
    if (t->long_tag || t->tag != static_cast<std::uint16_t>(tag)) {
        // 6.6: command details then device identities open every proactive command.
        return make_error(kRequiredValuesMissing, t->offset, static_cast<std::uint16_t>(tag),
                          "expected " + std::string(name_of(tag)) + ", found " + tag_name(t->tag));
    }
    return T::decode(t->value, t->offset);
}

// The 'D0' tag and length; the value may be cut short (header decoding still works then).
struct Outer {
    ByteView value;
    std::size_t value_offset = 0;
    bool complete = false;
};

Result<Outer> outer(ByteView ber) {
    ByteReader r(ber);
    const std::uint8_t tag = r.u8();
    if (!r.ok()) return make_error(kDataNotUnderstood, 0, 0, "empty proactive command");
    if (tag != kProactiveCommandTag) {
        return make_error(kDataNotUnderstood, 0, tag, "not a proactive command (BER-TLV tag is not 'D0')");
    }
    std::size_t len = 0;
    if (!read_length(r, len)) {
        return make_error(kDataNotUnderstood, 1, tag, "proactive command length truncated or reserved");
    }
    Outer o;
    o.value_offset = r.offset();
    o.complete = r.remaining() >= len;
    o.value = r.rest().first(std::min(len, r.remaining()));
    return o;
}

std::string hex_byte(std::uint8_t b) {
    return to_hex(ByteView(&b, 1));
}

}  // namespace

OpenChannel::Kind OpenChannel::kind() const {
    if (transport) {
        switch (static_cast<TransportProtocol>(transport->protocol)) {
            case TransportProtocol::TcpUiccServer:
                return Kind::UiccServerMode;
            case TransportProtocol::UdpClientLocal:
            case TransportProtocol::TcpClientLocal:
                return Kind::TerminalServerMode;
            default:
                break;
        }
    }
    if (!bearer) return Kind::Other;
    switch (static_cast<BearerType>(bearer->type)) {
        case BearerType::Csd:
            return Kind::CsBearer;
        case BearerType::Gprs:
        case BearerType::PacketDataService:
        case BearerType::UtranExtended:
        case BearerType::IWlan:
        case BearerType::Eutran:
            return Kind::PacketData;
        case BearerType::Default:
            return Kind::DefaultBearer;
        case BearerType::LocalLinkIndependent:
        case BearerType::Bluetooth:
        case BearerType::IrDA:
        case BearerType::Rs232:
        case BearerType::Usb:
            return Kind::LocalBearer;
    }
    return Kind::Other;
}

bool has_typed_decoder(std::uint8_t command_type) {
    return decoder_for(command_type) != nullptr;
}

Result<CommandHeader> decode_command_header(ByteView ber) {
    auto o = outer(ber);
    if (!o) return o.error();
    ByteReader r(o->value, o->value_offset);
    const std::size_t end = o->value_offset + o->value.size();
    auto details = header_object<CommandDetails>(r, Tag::CommandDetails, end);
    if (!details) return details.error();
    auto devices = header_object<DeviceIdentities>(r, Tag::DeviceIdentities, r.offset());
    if (!devices) return devices.error();
    return CommandHeader{*details, *devices};
}

Result<ProactiveCommand> decode_proactive_command(ByteView ber) {
    auto o = outer(ber);
    if (!o) return o.error();
    if (!o->complete) {
        return make_error(kDataNotUnderstood, 1, kProactiveCommandTag,
                          "proactive command length runs past the end (" + std::to_string(o->value.size()) +
                              " bytes follow)");
    }
    auto header = decode_command_header(ber);
    if (!header) return header.error();
    auto tlvs = parse_ctlvs(o->value, o->value_offset);
    if (!tlvs) return tlvs.error();

    ProactiveCommand cmd;
    cmd.details = header->details;
    cmd.devices = header->devices;
    cmd.tlvs = std::move(tlvs).value();
    const std::size_t end = o->value_offset + o->value.size();

    const Decoder* d = decoder_for(cmd.details.type);
    std::optional<Error> err;
    if (d != nullptr) {
        cmd.body = d->make();
        err = decode_rows(d->rows, cmd, end);
        if (!err) err = check_conditions(cmd, end);
    } else {
        cmd.body = OtherCommand{};
        err = decode_other(cmd);
    }
    if (err) return *err;
    return cmd;
}

Fields describe(const ProactiveCommand& cmd) {
    Fields out;
    auto add = [&](std::string name, FieldValue v) { out.push_back(Field{std::move(name), std::move(v)}); };
    auto num = [](auto v) { return FieldValue{static_cast<std::int64_t>(v)}; };
    auto str = [](std::string v) { return FieldValue{std::move(v)}; };

    auto name = name_of(cmd.type());
    add("command", str(name.empty() ? "'" + hex_byte(cmd.details.type) + "'" : std::string(name)));
    add("command number", num(cmd.details.number));
    add("qualifier", num(cmd.details.qualifier));
    add("source device", str(device_name(cmd.devices.source)));
    add("destination device", str(device_name(cmd.devices.destination)));
    if (cmd.partial_comprehension) add("partial comprehension", FieldValue{true});

    const auto& p = cmd.presentation;
    if (p.alpha_id) add("alpha id", str(*p.alpha_id));
    if (p.icon_id) add("icon id", str(to_hex(*p.icon_id)));
    if (p.text_attribute) add("text attribute", str(to_hex(*p.text_attribute)));
    if (p.frame_id) add("frame id", num(*p.frame_id));

    auto address = [&](const std::string& label, const std::optional<OtherAddress>& a) {
        if (a) add(label, str(a->type ? a->to_string() : std::string("dynamic")));
    };

    std::visit(
        [&](const auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, OpenChannel>) {
                static constexpr const char* kKinds[] = {
                    "CS bearer",        "packet data",          "local bearer", "default bearer",
                    "UICC server mode", "Terminal Server Mode", "other"};
                add("kind", str(kKinds[static_cast<int>(b.kind())]));
                add("immediate link", FieldValue{OpenChannel::immediate_link(cmd.details.qualifier)});
                add("automatic reconnection",
                    FieldValue{OpenChannel::automatic_reconnection(cmd.details.qualifier)});
                add("background mode", FieldValue{OpenChannel::background_mode(cmd.details.qualifier)});
                if (b.address) add("address", str(to_hex(*b.address)));
                if (b.subaddress) add("subaddress", str(to_hex(*b.subaddress)));
                if (b.duration1) add("duration 1 ms", num(b.duration1->milliseconds()));
                if (b.duration2) add("duration 2 ms", num(b.duration2->milliseconds()));
                if (b.bearer) {
                    add("bearer type", num(b.bearer->type));
                    if (!b.bearer->parameters.empty())
                        add("bearer parameters", str(to_hex(b.bearer->parameters)));
                }
                add("buffer size", num(b.buffer_size));
                if (b.network_access_name) add("network access name", str(*b.network_access_name));
                address("local address", b.local_address);
                if (b.remote_entity_address)
                    add("remote entity address", str(to_hex(*b.remote_entity_address)));
                if (b.user_login) add("user login", str(*b.user_login));
                // Never echo a password into logs: its presence and length are enough.
                if (b.user_password)
                    add("user password", str(std::to_string(b.user_password->size()) + " characters"));
                if (b.transport) {
                    add("transport protocol", num(b.transport->protocol));
                    auto pn = name_of(static_cast<TransportProtocol>(b.transport->protocol));
                    if (!pn.empty()) add("protocol", str(std::string(pn)));
                    add("port", num(b.transport->port));
                }
                address("destination", b.destination);
            } else if constexpr (std::is_same_v<T, CloseChannel>) {
                add("channel id", num(b.channel_id));
            } else if constexpr (std::is_same_v<T, ReceiveData>) {
                add("channel id", num(b.channel_id));
                add("channel data length", num(b.length));
            } else if constexpr (std::is_same_v<T, SendData>) {
                add("channel id", num(b.channel_id));
                add("send immediately", FieldValue{SendData::send_immediately(cmd.details.qualifier)});
                add("channel data", str(to_hex(b.data)));
                add("channel data size", num(b.data.size()));
            } else if constexpr (std::is_same_v<T, SetUpEventList>) {
                std::string s;
                for (auto e : b.events) {
                    if (!s.empty()) s += ", ";
                    auto en = name_of(static_cast<EventType>(e));
                    s += en.empty() ? "'" + hex_byte(e) + "'" : std::string(en);
                }
                add("events", str(s));
            } else if constexpr (std::is_same_v<T, TimerManagement>) {
                static constexpr const char* kActions[] = {"start", "deactivate", "get current value",
                                                           "reserved"};
                add("timer id", num(b.timer_id));
                add("action",
                    str(kActions[static_cast<int>(TimerManagement::action(cmd.details.qualifier))]));
                if (b.value) add("timer value", str(timer_value_to_string(*b.value)));
            } else if constexpr (std::is_same_v<T, PollInterval>) {
                add("poll interval ms", num(b.interval.milliseconds()));
                add("time unit", num(b.interval.unit));
                add("time interval", num(b.interval.interval));
            } else if constexpr (std::is_same_v<T, Refresh>) {
                std::string s;
                for (const auto& f : b.files) s += (s.empty() ? "" : " ") + to_hex(f);
                if (!b.files.empty()) add("files", str(s));
                if (b.aid) add("aid", str(to_hex(*b.aid)));
            } else if constexpr (std::is_same_v<T, SendShortMessage>) {
                if (b.address) add("address", str(to_hex(*b.address)));
                add("sms tpdu", str(to_hex(b.tpdu)));
            } else if constexpr (std::is_same_v<T, LaunchBrowser>) {
                if (b.browser_identity) add("browser identity", num(*b.browser_identity));
                add("url", str(b.url));
                if (b.bearers) add("bearers", str(to_hex(*b.bearers)));
                for (const auto& f : b.provisioning_files) add("provisioning file", str(to_hex(f)));
                if (b.gateway) add("gateway", str(*b.gateway));
            }
        },
        cmd.body);
    return out;
}

}  // namespace dmsc::cat
