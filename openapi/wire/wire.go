// Package wire names the paths and headers of the operations in
// openapi/mute.yaml, once, for the client, the emulator and the drift check.
// It has no dependencies, so that the client can import it without weight.
// A test checks every name against the document.
package wire

// Path templates of the operations, as the document writes them.
const (
	PathMute            = "/calling/callConnections/{callConnectionId}/participants:mute"
	PathHold            = "/calling/callConnections/{callConnectionId}:hold"
	PathUnhold          = "/calling/callConnections/{callConnectionId}:unhold"
	PathRemove          = "/calling/callConnections/{callConnectionId}/participants:remove"
	PathGetParticipant  = "/calling/callConnections/{callConnectionId}/participants/{participantRawId}"
	PathGetParticipants = "/calling/callConnections/{callConnectionId}/participants"
)

// Path pieces the emulator routes on.
const (
	PathCallConnections = "/calling/callConnections/"
	PathMuteSuffix      = "/participants:mute"
	PathHoldSuffix      = ":hold"
	PathUnholdSuffix    = ":unhold"
	PathRemoveSuffix    = "/participants:remove"
	PathParticipants    = "/participants/"
	PathListSuffix      = "/participants"
)

// Parameter names.
const (
	ParamCallConnectionID = "callConnectionId"
	ParamParticipantRawID = "participantRawId"
	ParamAPIVersion       = "api-version"
)

// Header names, in the canonical form net/http gives them.
const (
	HeaderAccept                 = "Accept"
	HeaderAuthorization          = "Authorization"
	HeaderClientRequestID        = "X-Ms-Client-Request-Id"
	HeaderContentSHA256          = "X-Ms-Content-Sha256"
	HeaderContentType            = "Content-Type"
	HeaderDate                   = "X-Ms-Date"
	HeaderErrorCode              = "X-Ms-Error-Code"
	HeaderRepeatabilityFirstSent = "Repeatability-First-Sent"
	HeaderRepeatabilityRequestID = "Repeatability-Request-Id"
	HeaderRepeatabilityResult    = "Repeatability-Result"
	HeaderRetryAfter             = "Retry-After"
	HeaderRetryAfterMs           = "Retry-After-Ms"
	HeaderUserAgent              = "User-Agent"
	HeaderXMsRetryAfterMs        = "X-Ms-Retry-After-Ms"
)
