// cat/codes.cpp — names for the code tables in codes.hpp (generated once from the enums; keep in sync).
#include "cat/codes.hpp"

namespace dmsc::cat {

std::string_view name_of(BerTag v) {
    switch (v) {
        case BerTag::ProactiveCommand:
            return "proactive command";
        case BerTag::SmsPpDownload:
            return "SMS-PP data download";
        case BerTag::CellBroadcastDownload:
            return "cell broadcast download";
        case BerTag::MenuSelection:
            return "menu selection";
        case BerTag::CallControl:
            return "call control";
        case BerTag::MoShortMessageControl:
            return "MO short message control";
        case BerTag::EventDownload:
            return "event download";
        case BerTag::TimerExpiration:
            return "timer expiration";
        case BerTag::UssdDownload:
            return "USSD download";
        case BerTag::MmsTransferStatus:
            return "MMS transfer status";
        case BerTag::MmsNotificationDownload:
            return "MMS notification download";
        case BerTag::TerminalApplication:
            return "terminal applications";
        case BerTag::GeographicalLocationReporting:
            return "geographical location reporting";
        case BerTag::EnvelopeContainer:
            return "envelope container";
    }
    return "";
}

std::string_view name_of(Tag v) {
    switch (v) {
        case Tag::CommandDetails:
            return "command details";
        case Tag::DeviceIdentities:
            return "device identities";
        case Tag::Result:
            return "result";
        case Tag::Duration:
            return "duration";
        case Tag::AlphaIdentifier:
            return "alpha identifier";
        case Tag::Address:
            return "address";
        case Tag::CapabilityConfigurationParameters:
            return "capability configuration parameters";
        case Tag::Subaddress:
            return "subaddress";
        case Tag::SsString:
            return "SS string";
        case Tag::UssdString:
            return "USSD string";
        case Tag::SmsTpdu:
            return "SMS tpdu";
        case Tag::CellBroadcastPage:
            return "cell broadcast page";
        case Tag::TextString:
            return "text string";
        case Tag::Tone:
            return "tone";
        case Tag::Item:
            return "item";
        case Tag::ItemIdentifier:
            return "item identifier";
        case Tag::ResponseLength:
            return "response length";
        case Tag::FileList:
            return "file list";
        case Tag::LocationInformation:
            return "location information";
        case Tag::Imei:
            return "IMEI";
        case Tag::HelpRequest:
            return "help request";
        case Tag::NetworkMeasurementResults:
            return "network measurement results";
        case Tag::DefaultText:
            return "default text";
        case Tag::ItemsNextActionIndicator:
            return "items next action indicator";
        case Tag::EventList:
            return "event list";
        case Tag::Cause:
            return "cause";
        case Tag::LocationStatus:
            return "location status";
        case Tag::TransactionIdentifier:
            return "transaction identifier";
        case Tag::BcchChannelList:
            return "BCCH channel list";
        case Tag::IconIdentifier:
            return "icon identifier";
        case Tag::ItemIconIdentifierList:
            return "item icon identifier list";
        case Tag::CardReaderStatus:
            return "card reader status";
        case Tag::CardAtr:
            return "card ATR";
        case Tag::CApdu:
            return "c APDU";
        case Tag::RApdu:
            return "r APDU";
        case Tag::TimerIdentifier:
            return "timer identifier";
        case Tag::TimerValue:
            return "timer value";
        case Tag::DateTimeAndTimeZone:
            return "date time and time zone";
        case Tag::CallControlRequestedAction:
            return "call control requested action";
        case Tag::AtCommand:
            return "AT command";
        case Tag::AtResponse:
            return "AT response";
        case Tag::BcRepeatIndicator:
            return "BC repeat indicator";
        case Tag::ImmediateResponse:
            return "immediate response";
        case Tag::DtmfString:
            return "DTMF string";
        case Tag::Language:
            return "language";
        case Tag::TimingAdvance:
            return "timing advance";
        case Tag::AidIdentifier:
            return "AID identifier";
        case Tag::BrowserIdentity:
            return "browser identity";
        case Tag::Url:
            return "URL";
        case Tag::Bearer:
            return "bearer";
        case Tag::ProvisioningReferenceFile:
            return "provisioning reference file";
        case Tag::BrowserTerminationCause:
            return "browser termination cause";
        case Tag::BearerDescription:
            return "bearer description";
        case Tag::ChannelData:
            return "channel data";
        case Tag::ChannelDataLength:
            return "channel data length";
        case Tag::ChannelStatus:
            return "channel status";
        case Tag::BufferSize:
            return "buffer size";
        case Tag::CardReaderIdentifier:
            return "card reader identifier";
        case Tag::FileUpdateInformation:
            return "file update information";
        case Tag::UiccTerminalInterfaceTransportLevel:
            return "UICC terminal interface transport level";
        case Tag::OtherAddress:
            return "other address";
        case Tag::AccessTechnology:
            return "access technology";
        case Tag::DisplayParameters:
            return "display parameters";
        case Tag::ServiceRecord:
            return "service record";
        case Tag::DeviceFilter:
            return "device filter";
        case Tag::ServiceSearch:
            return "service search";
        case Tag::AttributeInformation:
            return "attribute information";
        case Tag::ServiceAvailability:
            return "service availability";
        case Tag::Esn:
            return "ESN";
        case Tag::NetworkAccessName:
            return "network access name";
        case Tag::CdmaSmsTpdu:
            return "CDMA SMS tpdu";
        case Tag::RemoteEntityAddress:
            return "remote entity address";
        case Tag::IWlanIdentifier:
            return "I-WLAN identifier";
        case Tag::IWlanAccessStatus:
            return "I-WLAN access status";
        case Tag::TextAttribute:
            return "text attribute";
        case Tag::ItemTextAttributeList:
            return "item text attribute list";
        case Tag::PdpContextActivationParameter:
            return "PDP context activation parameter";
        case Tag::ContactlessStateRequest:
            return "contactless state request";
        case Tag::ContactlessFunctionalityState:
            return "contactless functionality state";
        case Tag::CsgCellSelectionStatus:
            return "CSG cell selection status";
        case Tag::CsgId:
            return "CSG id";
        case Tag::HnbName:
            return "HNB name";
        case Tag::Imeisv:
            return "IMEISV";
        case Tag::BatteryState:
            return "battery state";
        case Tag::BrowsingStatus:
            return "browsing status";
        case Tag::NetworkSearchMode:
            return "network search mode";
        case Tag::FrameLayout:
            return "frame layout";
        case Tag::FramesInformation:
            return "frames information";
        case Tag::FrameIdentifier:
            return "frame identifier";
        case Tag::UtranMeasurementQualifier:
            return "UTRAN measurement qualifier";
        case Tag::MultimediaMessageReference:
            return "multimedia message reference";
        case Tag::MultimediaMessageIdentifier:
            return "multimedia message identifier";
        case Tag::MultimediaMessageTransferStatus:
            return "multimedia message transfer status";
        case Tag::MeidIdentifier:
            return "MEID identifier";
        case Tag::MultimediaMessageContentIdentifier:
            return "multimedia message content identifier";
        case Tag::MultimediaMessageNotification:
            return "multimedia message notification";
        case Tag::LastEnvelope:
            return "last envelope";
        case Tag::RegistryApplicationData:
            return "registry application data";
        case Tag::PlmnWactList:
            return "PLMN WAct list";
        case Tag::RoutingAreaInformation:
            return "routing area information";
        case Tag::UpdateAttachType:
            return "update attach type";
        case Tag::RejectionCauseCode:
            return "rejection cause code";
        case Tag::GeographicalLocationParameters:
            return "geographical location parameters";
        case Tag::GadShapes:
            return "GAD shapes";
        case Tag::NmeaSentence:
            return "NMEA sentence";
        case Tag::PlmnList:
            return "PLMN list";
        case Tag::BroadcastNetworkInformation:
            return "broadcast network information";
        case Tag::ActivateDescriptor:
            return "activate descriptor";
        case Tag::EpsPdnConnectionActivationParameters:
            return "EPS PDN connection activation parameters";
        case Tag::TrackingAreaIdentification:
            return "tracking area identification";
        case Tag::CsgIdList:
            return "CSG id list";
    }
    return "";
}

std::string_view name_of(CommandType v) {
    switch (v) {
        case CommandType::Refresh:
            return "REFRESH";
        case CommandType::MoreTime:
            return "MORE TIME";
        case CommandType::PollInterval:
            return "POLL INTERVAL";
        case CommandType::PollingOff:
            return "POLLING OFF";
        case CommandType::SetUpEventList:
            return "SET UP EVENT LIST";
        case CommandType::SetUpCall:
            return "SET UP CALL";
        case CommandType::SendSs:
            return "SEND SS";
        case CommandType::SendUssd:
            return "SEND USSD";
        case CommandType::SendShortMessage:
            return "SEND SHORT MESSAGE";
        case CommandType::SendDtmf:
            return "SEND DTMF";
        case CommandType::LaunchBrowser:
            return "LAUNCH BROWSER";
        case CommandType::GeographicalLocationRequest:
            return "GEOGRAPHICAL LOCATION REQUEST";
        case CommandType::PlayTone:
            return "PLAY TONE";
        case CommandType::DisplayText:
            return "DISPLAY TEXT";
        case CommandType::GetInkey:
            return "GET INKEY";
        case CommandType::GetInput:
            return "GET INPUT";
        case CommandType::SelectItem:
            return "SELECT ITEM";
        case CommandType::SetUpMenu:
            return "SET UP MENU";
        case CommandType::ProvideLocalInformation:
            return "PROVIDE LOCAL INFORMATION";
        case CommandType::TimerManagement:
            return "TIMER MANAGEMENT";
        case CommandType::SetUpIdleModeText:
            return "SET UP IDLE MODE TEXT";
        case CommandType::PerformCardApdu:
            return "PERFORM CARD APDU";
        case CommandType::PowerOnCard:
            return "POWER ON CARD";
        case CommandType::PowerOffCard:
            return "POWER OFF CARD";
        case CommandType::GetReaderStatus:
            return "GET READER STATUS";
        case CommandType::RunAtCommand:
            return "RUN AT COMMAND";
        case CommandType::LanguageNotification:
            return "LANGUAGE NOTIFICATION";
        case CommandType::OpenChannel:
            return "OPEN CHANNEL";
        case CommandType::CloseChannel:
            return "CLOSE CHANNEL";
        case CommandType::ReceiveData:
            return "RECEIVE DATA";
        case CommandType::SendData:
            return "SEND DATA";
        case CommandType::GetChannelStatus:
            return "GET CHANNEL STATUS";
        case CommandType::ServiceSearch:
            return "SERVICE SEARCH";
        case CommandType::GetServiceInformation:
            return "GET SERVICE INFORMATION";
        case CommandType::DeclareService:
            return "DECLARE SERVICE";
        case CommandType::SetFrames:
            return "SET FRAMES";
        case CommandType::GetFramesStatus:
            return "GET FRAMES STATUS";
        case CommandType::RetrieveMultimediaMessage:
            return "RETRIEVE MULTIMEDIA MESSAGE";
        case CommandType::SubmitMultimediaMessage:
            return "SUBMIT MULTIMEDIA MESSAGE";
        case CommandType::DisplayMultimediaMessage:
            return "DISPLAY MULTIMEDIA MESSAGE";
        case CommandType::Activate:
            return "ACTIVATE";
        case CommandType::ContactlessStateChanged:
            return "CONTACTLESS STATE CHANGED";
        case CommandType::CommandContainer:
            return "COMMAND CONTAINER";
        case CommandType::EncapsulatedSessionControl:
            return "ENCAPSULATED SESSION CONTROL";
        case CommandType::EndOfProactiveSession:
            return "END OF PROACTIVE SESSION";
    }
    return "";
}

std::string_view name_of(DeviceId v) {
    switch (v) {
        case DeviceId::Keypad:
            return "keypad";
        case DeviceId::Display:
            return "display";
        case DeviceId::Earpiece:
            return "earpiece";
        case DeviceId::CardReader0:
            return "card reader 0";
        case DeviceId::Channel1:
            return "channel 1";
        case DeviceId::Uicc:
            return "UICC";
        case DeviceId::Terminal:
            return "terminal";
        case DeviceId::Network:
            return "network";
    }
    return "";
}

std::string_view name_of(GeneralResult v) {
    switch (v) {
        case GeneralResult::Success:
            return "success";
        case GeneralResult::PartialComprehension:
            return "partial comprehension";
        case GeneralResult::MissingInformation:
            return "missing information";
        case GeneralResult::RefreshWithAdditionalEfsRead:
            return "refresh with additional EFs read";
        case GeneralResult::SuccessIconNotDisplayed:
            return "success icon not displayed";
        case GeneralResult::PerformedWithModification:
            return "performed with modification";
        case GeneralResult::RefreshNaaNotActive:
            return "refresh NAA not active";
        case GeneralResult::ProactiveSessionTerminatedByUser:
            return "proactive session terminated by user";
        case GeneralResult::BackwardMoveRequested:
            return "backward move requested";
        case GeneralResult::NoResponseFromUser:
            return "no response from user";
        case GeneralResult::HelpRequested:
            return "help requested";
        case GeneralResult::TerminalCurrentlyUnable:
            return "terminal currently unable";
        case GeneralResult::NetworkCurrentlyUnable:
            return "network currently unable";
        case GeneralResult::UserDidNotAccept:
            return "user did not accept";
        case GeneralResult::UserClearedDownCall:
            return "user cleared down call";
        case GeneralResult::ActionInContradictionWithTimerState:
            return "action in contradiction with timer state";
        case GeneralResult::InteractionWithCallControlTemporary:
            return "interaction with call control temporary";
        case GeneralResult::LaunchBrowserGenericError:
            return "launch browser generic error";
        case GeneralResult::BeyondTerminalCapabilities:
            return "beyond terminal capabilities";
        case GeneralResult::CommandTypeNotUnderstood:
            return "command type not understood";
        case GeneralResult::CommandDataNotUnderstood:
            return "command data not understood";
        case GeneralResult::CommandNumberNotKnown:
            return "command number not known";
        case GeneralResult::ErrorRequiredValuesMissing:
            return "error required values missing";
        case GeneralResult::MultipleCardCommandsError:
            return "multiple card commands error";
        case GeneralResult::InteractionWithCallControlPermanent:
            return "interaction with call control permanent";
        case GeneralResult::BearerIndependentProtocolError:
            return "bearer independent protocol error";
        case GeneralResult::AccessTechnologyUnableToProcess:
            return "access technology unable to process";
        case GeneralResult::FramesError:
            return "frames error";
    }
    return "";
}

std::string_view name_of(BipCause v) {
    switch (v) {
        case BipCause::NoSpecificCause:
            return "no specific cause";
        case BipCause::NoChannelAvailable:
            return "no channel available";
        case BipCause::ChannelClosed:
            return "channel closed";
        case BipCause::ChannelIdentifierNotValid:
            return "channel identifier not valid";
        case BipCause::RequestedBufferSizeNotAvailable:
            return "requested buffer size not available";
        case BipCause::SecurityError:
            return "security error";
        case BipCause::RequestedTransportLevelNotAvailable:
            return "requested transport level not available";
        case BipCause::RemoteDeviceNotReachable:
            return "remote device not reachable";
        case BipCause::ServiceError:
            return "service error";
        case BipCause::ServiceIdentifierUnknown:
            return "service identifier unknown";
        case BipCause::PortNotAvailable:
            return "port not available";
        case BipCause::LaunchParametersMissingOrIncorrect:
            return "launch parameters missing or incorrect";
        case BipCause::ApplicationLaunchFailed:
            return "application launch failed";
    }
    return "";
}

std::string_view name_of(EventType v) {
    switch (v) {
        case EventType::MtCall:
            return "MT call";
        case EventType::CallConnected:
            return "call connected";
        case EventType::CallDisconnected:
            return "call disconnected";
        case EventType::LocationStatus:
            return "location status";
        case EventType::UserActivity:
            return "user activity";
        case EventType::IdleScreenAvailable:
            return "idle screen available";
        case EventType::CardReaderStatus:
            return "card reader status";
        case EventType::LanguageSelection:
            return "language selection";
        case EventType::BrowserTermination:
            return "browser termination";
        case EventType::DataAvailable:
            return "data available";
        case EventType::ChannelStatus:
            return "channel status";
        case EventType::AccessTechnologyChange:
            return "access technology change";
        case EventType::DisplayParametersChanged:
            return "display parameters changed";
        case EventType::LocalConnection:
            return "local connection";
        case EventType::NetworkSearchModeChange:
            return "network search mode change";
        case EventType::BrowsingStatus:
            return "browsing status";
        case EventType::FramesInformationChange:
            return "frames information change";
        case EventType::IWlanAccessStatus:
            return "I-WLAN access status";
        case EventType::NetworkRejection:
            return "network rejection";
        case EventType::HciConnectivity:
            return "HCI connectivity";
        case EventType::AccessTechnologyChangeMultiple:
            return "access technology change multiple";
        case EventType::CsgCellSelection:
            return "CSG cell selection";
        case EventType::ContactlessStateRequest:
            return "contactless state request";
        case EventType::ImsRegistration:
            return "IMS registration";
        case EventType::IncomingImsData:
            return "incoming IMS data";
        case EventType::ProfileContainer:
            return "profile container";
        case EventType::Envelope:
            return "envelope";
        case EventType::PollInterval:
            return "poll interval";
        case EventType::DataConnectionStatusChange:
            return "data connection status change";
    }
    return "";
}

std::string_view name_of(TransportProtocol v) {
    switch (v) {
        case TransportProtocol::UdpClientRemote:
            return "UDP client remote";
        case TransportProtocol::TcpClientRemote:
            return "TCP client remote";
        case TransportProtocol::TcpUiccServer:
            return "TCP UICC server";
        case TransportProtocol::UdpClientLocal:
            return "UDP client local";
        case TransportProtocol::TcpClientLocal:
            return "TCP client local";
        case TransportProtocol::DirectChannel:
            return "direct channel";
    }
    return "";
}

std::string_view name_of(BearerType v) {
    switch (v) {
        case BearerType::Csd:
            return "CSD";
        case BearerType::Gprs:
            return "GPRS";
        case BearerType::Default:
            return "default";
        case BearerType::LocalLinkIndependent:
            return "local link independent";
        case BearerType::Bluetooth:
            return "bluetooth";
        case BearerType::IrDA:
            return "IrDA";
        case BearerType::Rs232:
            return "RS232";
        case BearerType::PacketDataService:
            return "packet data service";
        case BearerType::UtranExtended:
            return "UTRAN extended";
        case BearerType::IWlan:
            return "I-WLAN";
        case BearerType::Eutran:
            return "E-UTRAN";
        case BearerType::Usb:
            return "USB";
    }
    return "";
}

std::string_view name_of(AddressType v) {
    switch (v) {
        case AddressType::Ipv4:
            return "IPv4";
        case AddressType::Ipv6:
            return "IPv6";
    }
    return "";
}

std::string device_name(std::uint8_t id) {
    if (id >= 0x10 && id <= 0x17) return "card reader " + std::to_string(id - 0x10);
    if (id >= 0x21 && id <= 0x27) return "channel " + std::to_string(id - 0x20);
    const auto n = name_of(static_cast<DeviceId>(id));
    if (!n.empty()) return std::string(n);
    return "device " + std::to_string(id);
}

}  // namespace dmsc::cat
