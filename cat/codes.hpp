// cat/codes.hpp — the code tables of ETSI TS 102 223 / TS 102 221 the gateway uses, spelled
// as in the spec with the hex beside each name, plus name lookups for logs and dmsc-ctl.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dmsc::cat {

// TS 102 223 clause 9.2: BER-TLV tags of proactive commands and ENVELOPEs.
enum class BerTag : std::uint8_t {
    ProactiveCommand = 0xD0,
    SmsPpDownload = 0xD1,
    CellBroadcastDownload = 0xD2,
    MenuSelection = 0xD3,
    CallControl = 0xD4,
    MoShortMessageControl = 0xD5,
    EventDownload = 0xD6,
    TimerExpiration = 0xD7,
    UssdDownload = 0xD9,
    MmsTransferStatus = 0xDA,
    MmsNotificationDownload = 0xDB,
    TerminalApplication = 0xDC,  // ENVELOPE (Terminal Applications), class "k"
    GeographicalLocationReporting = 0xDD,
    EnvelopeContainer = 0xDE,
};

// TS 102 223 clause 9.3: COMPREHENSION-TLV tag values (without the CR bit).
enum class Tag : std::uint8_t {
    CommandDetails = 0x01,
    DeviceIdentities = 0x02,
    Result = 0x03,
    Duration = 0x04,
    AlphaIdentifier = 0x05,
    Address = 0x06,
    CapabilityConfigurationParameters = 0x07,
    Subaddress = 0x08,
    SsString = 0x09,
    UssdString = 0x0A,
    SmsTpdu = 0x0B,
    CellBroadcastPage = 0x0C,
    TextString = 0x0D,
    Tone = 0x0E,
    Item = 0x0F,
    ItemIdentifier = 0x10,
    ResponseLength = 0x11,
    FileList = 0x12,
    LocationInformation = 0x13,
    Imei = 0x14,
    HelpRequest = 0x15,
    NetworkMeasurementResults = 0x16,
    DefaultText = 0x17,
    ItemsNextActionIndicator = 0x18,
    EventList = 0x19,
    Cause = 0x1A,
    LocationStatus = 0x1B,
    TransactionIdentifier = 0x1C,
    BcchChannelList = 0x1D,
    IconIdentifier = 0x1E,
    ItemIconIdentifierList = 0x1F,
    CardReaderStatus = 0x20,
    CardAtr = 0x21,
    CApdu = 0x22,
    RApdu = 0x23,
    TimerIdentifier = 0x24,
    TimerValue = 0x25,
    DateTimeAndTimeZone = 0x26,
    CallControlRequestedAction = 0x27,
    AtCommand = 0x28,
    AtResponse = 0x29,
    BcRepeatIndicator = 0x2A,
    ImmediateResponse = 0x2B,
    DtmfString = 0x2C,
    Language = 0x2D,
    TimingAdvance = 0x2E,
    AidIdentifier = 0x2F,
    BrowserIdentity = 0x30,
    Url = 0x31,
    Bearer = 0x32,
    ProvisioningReferenceFile = 0x33,
    BrowserTerminationCause = 0x34,
    BearerDescription = 0x35,
    ChannelData = 0x36,
    ChannelDataLength = 0x37,
    ChannelStatus = 0x38,
    BufferSize = 0x39,
    CardReaderIdentifier = 0x3A,
    FileUpdateInformation = 0x3B,
    UiccTerminalInterfaceTransportLevel = 0x3C,
    OtherAddress = 0x3E,
    AccessTechnology = 0x3F,
    DisplayParameters = 0x40,
    ServiceRecord = 0x41,
    DeviceFilter = 0x42,
    ServiceSearch = 0x43,
    AttributeInformation = 0x44,
    ServiceAvailability = 0x45,
    Esn = 0x46,
    NetworkAccessName = 0x47,
    CdmaSmsTpdu = 0x48,
    RemoteEntityAddress = 0x49,
    IWlanIdentifier = 0x4A,
    IWlanAccessStatus = 0x4B,
    TextAttribute = 0x50,
    ItemTextAttributeList = 0x51,
    PdpContextActivationParameter = 0x52,
    ContactlessStateRequest = 0x53,
    ContactlessFunctionalityState = 0x54,
    CsgCellSelectionStatus = 0x55,
    CsgId = 0x56,
    HnbName = 0x57,
    Imeisv = 0x62,
    BatteryState = 0x63,
    BrowsingStatus = 0x64,
    NetworkSearchMode = 0x65,
    FrameLayout = 0x66,
    FramesInformation = 0x67,
    FrameIdentifier = 0x68,
    UtranMeasurementQualifier = 0x69,
    MultimediaMessageReference = 0x6A,
    MultimediaMessageIdentifier = 0x6B,
    MultimediaMessageTransferStatus = 0x6C,
    MeidIdentifier = 0x6D,
    MultimediaMessageContentIdentifier = 0x6E,
    MultimediaMessageNotification = 0x6F,
    LastEnvelope = 0x70,
    RegistryApplicationData = 0x71,
    PlmnWactList = 0x72,
    RoutingAreaInformation = 0x73,
    UpdateAttachType = 0x74,
    RejectionCauseCode = 0x75,
    GeographicalLocationParameters = 0x76,
    GadShapes = 0x77,
    NmeaSentence = 0x78,
    PlmnList = 0x79,
    BroadcastNetworkInformation = 0x7A,
    ActivateDescriptor = 0x7B,
    EpsPdnConnectionActivationParameters = 0x7C,
    TrackingAreaIdentification = 0x7D,
    CsgIdList = 0x7E,
};

// TS 102 223 clause 9.4: type of command.
enum class CommandType : std::uint8_t {
    Refresh = 0x01,
    MoreTime = 0x02,
    PollInterval = 0x03,
    PollingOff = 0x04,
    SetUpEventList = 0x05,
    SetUpCall = 0x10,
    SendSs = 0x11,
    SendUssd = 0x12,
    SendShortMessage = 0x13,
    SendDtmf = 0x14,
    LaunchBrowser = 0x15,
    GeographicalLocationRequest = 0x16,
    PlayTone = 0x20,
    DisplayText = 0x21,
    GetInkey = 0x22,
    GetInput = 0x23,
    SelectItem = 0x24,
    SetUpMenu = 0x25,
    ProvideLocalInformation = 0x26,
    TimerManagement = 0x27,
    SetUpIdleModeText = 0x28,
    PerformCardApdu = 0x30,
    PowerOnCard = 0x31,
    PowerOffCard = 0x32,
    GetReaderStatus = 0x33,
    RunAtCommand = 0x34,
    LanguageNotification = 0x35,
    OpenChannel = 0x40,
    CloseChannel = 0x41,
    ReceiveData = 0x42,
    SendData = 0x43,
    GetChannelStatus = 0x44,
    ServiceSearch = 0x45,
    GetServiceInformation = 0x46,
    DeclareService = 0x47,
    SetFrames = 0x50,
    GetFramesStatus = 0x51,
    RetrieveMultimediaMessage = 0x60,
    SubmitMultimediaMessage = 0x61,
    DisplayMultimediaMessage = 0x62,
    Activate = 0x70,
    ContactlessStateChanged = 0x71,
    CommandContainer = 0x72,
    EncapsulatedSessionControl = 0x73,
    EndOfProactiveSession = 0x81,
};

// TS 102 223 clause 8.7: device identities.
enum class DeviceId : std::uint8_t {
    Keypad = 0x01,
    Display = 0x02,
    Earpiece = 0x03,
    CardReader0 = 0x10,  // .. 0x17
    Channel1 = 0x21,     // .. 0x27
    Uicc = 0x81,
    Terminal = 0x82,
    Network = 0x83,
};

// TS 102 223 clause 8.12: general result.
enum class GeneralResult : std::uint8_t {
    Success = 0x00,
    PartialComprehension = 0x01,
    MissingInformation = 0x02,
    RefreshWithAdditionalEfsRead = 0x03,
    SuccessIconNotDisplayed = 0x04,
    PerformedWithModification = 0x07,
    RefreshNaaNotActive = 0x08,
    ProactiveSessionTerminatedByUser = 0x10,
    BackwardMoveRequested = 0x11,
    NoResponseFromUser = 0x12,
    HelpRequested = 0x13,
    TerminalCurrentlyUnable = 0x20,
    NetworkCurrentlyUnable = 0x21,
    UserDidNotAccept = 0x22,
    UserClearedDownCall = 0x23,
    ActionInContradictionWithTimerState = 0x24,
    InteractionWithCallControlTemporary = 0x25,
    LaunchBrowserGenericError = 0x26,
    BeyondTerminalCapabilities = 0x30,
    CommandTypeNotUnderstood = 0x31,
    CommandDataNotUnderstood = 0x32,
    CommandNumberNotKnown = 0x33,
    ErrorRequiredValuesMissing = 0x36,
    MultipleCardCommandsError = 0x38,
    InteractionWithCallControlPermanent = 0x39,
    BearerIndependentProtocolError = 0x3A,
    AccessTechnologyUnableToProcess = 0x3B,
    FramesError = 0x3C,
};

// TS 102 223 clause 8.12.11: additional information for '3A' Bearer Independent Protocol error.
enum class BipCause : std::uint8_t {
    NoSpecificCause = 0x00,
    NoChannelAvailable = 0x01,
    ChannelClosed = 0x02,
    ChannelIdentifierNotValid = 0x03,
    RequestedBufferSizeNotAvailable = 0x04,
    SecurityError = 0x05,
    RequestedTransportLevelNotAvailable = 0x06,
    RemoteDeviceNotReachable = 0x07,
    ServiceError = 0x08,
    ServiceIdentifierUnknown = 0x09,
    PortNotAvailable = 0x10,
    LaunchParametersMissingOrIncorrect = 0x11,
    ApplicationLaunchFailed = 0x12,
};

// TS 102 223 clause 8.25: event list.
enum class EventType : std::uint8_t {
    MtCall = 0x00,
    CallConnected = 0x01,
    CallDisconnected = 0x02,
    LocationStatus = 0x03,
    UserActivity = 0x04,
    IdleScreenAvailable = 0x05,
    CardReaderStatus = 0x06,
    LanguageSelection = 0x07,
    BrowserTermination = 0x08,
    DataAvailable = 0x09,
    ChannelStatus = 0x0A,
    AccessTechnologyChange = 0x0B,
    DisplayParametersChanged = 0x0C,
    LocalConnection = 0x0D,
    NetworkSearchModeChange = 0x0E,
    BrowsingStatus = 0x0F,
    FramesInformationChange = 0x10,
    IWlanAccessStatus = 0x11,
    NetworkRejection = 0x12,
    HciConnectivity = 0x13,
    AccessTechnologyChangeMultiple = 0x14,
    CsgCellSelection = 0x15,
    ContactlessStateRequest = 0x16,
    ImsRegistration = 0x17,
    IncomingImsData = 0x18,
    ProfileContainer = 0x19,
    Envelope = 0x1A,
    PollInterval = 0x1B,
    DataConnectionStatusChange = 0x1C,
};

// TS 102 223 clause 8.59: UICC/terminal interface transport level, transport protocol type.
enum class TransportProtocol : std::uint8_t {
    UdpClientRemote = 0x01,
    TcpClientRemote = 0x02,
    TcpUiccServer = 0x03,
    UdpClientLocal = 0x04,  // Terminal Server Mode (class "k")
    TcpClientLocal = 0x05,  // Terminal Server Mode (class "k")
    DirectChannel = 0x06,
};

// TS 102 223 clause 8.52: bearer type.
enum class BearerType : std::uint8_t {
    Csd = 0x01,
    Gprs = 0x02,
    Default = 0x03,
    LocalLinkIndependent = 0x04,
    Bluetooth = 0x05,
    IrDA = 0x06,
    Rs232 = 0x07,
    PacketDataService = 0x08,  // TIA/EIA/IS-820
    UtranExtended = 0x09,
    IWlan = 0x0A,
    Eutran = 0x0B,
    Usb = 0x10,
};

// TS 102 223 clause 8.58: other address, type of address.
enum class AddressType : std::uint8_t {
    Ipv4 = 0x21,
    Ipv6 = 0x57,
};

// Name lookups for logs, dmsc-ctl decode and JSON. Unknown codes give "".
std::string_view name_of(BerTag v);
std::string_view name_of(Tag v);
std::string_view name_of(CommandType v);
std::string_view name_of(DeviceId v);
std::string_view name_of(GeneralResult v);
std::string_view name_of(BipCause v);
std::string_view name_of(EventType v);
std::string_view name_of(TransportProtocol v);
std::string_view name_of(BearerType v);

// Device identity names that cover the ranges ("channel 3", "card reader 2").
std::string device_name(std::uint8_t id);

}  // namespace dmsc::cat
