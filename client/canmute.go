package client

// CanMute reports whether the service mutes participant on the client's API
// version (ClientOptions.APIVersion), and when it does not, why, in words
// fit for a log or a command's output.
//
// The service mutes Communication Services users (8:acs:... and 8:spool:...)
// and Teams Phone extension users, which 2024-09-15 sends as the
// Communication Services users they are and later versions with their own
// kind: on every supported version, those and no others. It answers 400 for
// phone numbers, Teams users, Teams apps and raw IDs of kinds this library
// does not know. MuteParticipant and MuteParticipants send whatever they are
// given: use CanMute to choose whom to pass them, as `acsmute mute --all`
// does. An identifier that could not be sent at all (nil, or one that fails
// MuteParticipant's input checks) is not mutable either, and the reason
// says why.
func (c *Client) CanMute(participant Identifier) (ok bool, reason string) {
	if c == nil || c.api == nil {
		return false, "the Client was not made by NewClient"
	}
	who, err := resolveIdentifier(participant)
	if err != nil {
		return false, err.Error()
	}
	switch k := who.Kind(); k {
	case KindCommunicationUser, KindTeamsExtensionUser:
		return true, ""
	default:
		return false, "the service mutes Communication Services users and Teams Phone extension users only, not " + string(k) + " participants (API version " + c.version.name + ")"
	}
}
