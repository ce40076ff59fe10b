package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/acsmute/acsmute/gen"
)

// GetParticipantOptions are the optional parameters of GetParticipant. There
// are none yet; the type keeps the signature stable when some are added.
type GetParticipantOptions struct{}

// CallParticipant is a participant of a call and its state, as
// GetParticipant reads it.
type CallParticipant struct {
	// Identifier is the participant, read from the answer's rawId when
	// present, else from its kind and nested identifier.
	Identifier Identifier
	// IsMuted reports whether the participant's audio is muted.
	IsMuted bool
	// IsOnHold reports whether the participant is on hold.
	IsOnHold bool
}

// GetParticipant reads one participant of the call connection
// callConnectionID: whether it is muted and whether it is on hold. Use it to
// confirm a mute, or to see where things stand after an unknown outcome.
// opts may be nil.
//
// Input is checked before anything is sent, as for MuteParticipant. Reading
// changes nothing, so transport failures and the retryable statuses are
// retried (RetryOptions) without repeatability headers, and no error is an
// unknown outcome. A service error is a *ResponseError (errors.As): 404 for
// a call connection the service does not know or a participant not in the
// call; when ctx ends the error matches ctx.Err().
func (c *Client) GetParticipant(ctx context.Context, callConnectionID string, participant Identifier, opts *GetParticipantOptions) (CallParticipant, error) {
	if c == nil || c.api == nil {
		return CallParticipant{}, invalid("the Client was not made by NewClient")
	}
	if ctx == nil {
		return CallParticipant{}, invalid("context is nil")
	}
	if err := checkCallConnectionID(callConnectionID); err != nil {
		return CallParticipant{}, err
	}
	who, err := resolveIdentifier(participant)
	if err != nil {
		return CallParticipant{}, err
	}
	rawID := who.RawID()
	if rawID == "." || rawID == ".." {
		return CallParticipant{}, invalid(`participant raw ID cannot be "." or ".."`)
	}

	op := &operation{name: "get participant", red: redactor{held: c.held}}
	params := &gen.CallConnectionGetParticipantParams{ApiVersion: c.version.name}
	resp, err := c.api.CallConnectionGetParticipantWithResponse(withOperation(ctx, op), callConnectionID, rawID, params)
	if err != nil {
		return CallParticipant{}, op.ended(err)
	}
	if resp.JSON200 == nil {
		return CallParticipant{}, op.fail(false, errors.New("the service answered 200 without a JSON participant"))
	}
	out, err := participantFromModel(*resp.JSON200, &op.red)
	if err != nil {
		return CallParticipant{}, op.fail(false, fmt.Errorf("the service answered 200, but %w", err))
	}
	if got := out.Identifier.RawID(); got != rawID {
		// Not the participant asked for: its state says nothing of this one.
		return CallParticipant{}, op.fail(false, fmt.Errorf("the service answered about participant %q, not %q", op.red.quote(got, 64), op.red.quote(rawID, 64)))
	}
	return out, nil
}

// UnmarshalJSON reads a participant in the service's JSON form,
// {"identifier": {...}, "isMuted": ..., "isOnHold": ...}, of any API
// version, exactly as GetParticipant reads an answer: the identifier's parts
// must agree, and isMuted must be there. Use it to read participants from
// the service's events (package callback does).
func (p *CallParticipant) UnmarshalJSON(data []byte) error {
	var m gen.CallParticipant
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("acsmute: a participant is not the service's JSON form: %w", jsonProblem(err))
	}
	out, err := participantFromModel(m, &redactor{})
	if err != nil {
		return fmt.Errorf("acsmute: %w", err)
	}
	*p = out
	return nil
}

// UnmarshalIdentifier reads an identifier in the service's JSON form
// ({"kind": ..., "rawId": ..., "communicationUser": {...}}) of any API
// version, exactly as GetParticipant reads a participant's: its parts must
// agree, and the identifier is rawId's when present, else the nested
// model's. Use it for the identifiers in the service's events (package
// callback does).
func UnmarshalIdentifier(data []byte) (Identifier, error) {
	var m gen.CommunicationIdentifierModel
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("acsmute: an identifier is not the service's JSON form: %w", jsonProblem(err))
	}
	id, err := identifierFromModel(m, &redactor{})
	if err != nil {
		return nil, fmt.Errorf("acsmute: the identifier cannot be read: %w", err)
	}
	return id, nil
}

// jsonProblem describes a JSON decoding error without quoting the input.
func jsonProblem(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		// Value can hold the input's text (a number's digits): only its kind.
		kind, _, _ := strings.Cut(typ.Value, " ")
		return fmt.Errorf("%s has JSON type %s, not %s", truncate(typ.Field, 64), truncate(kind, 16), typ.Type)
	}
	return errors.New("invalid JSON")
}

// participantFromModel reads a participant of an answer (GetParticipant,
// a page of ListParticipants). Whether it is muted is the point of reading
// it: an answer without isMuted is an error, not a guess. Its errors quote
// the answer through red.
func participantFromModel(m gen.CallParticipant, red *redactor) (CallParticipant, error) {
	if m.IsMuted == nil {
		return CallParticipant{}, errors.New("the participant has no isMuted")
	}
	out := CallParticipant{IsMuted: *m.IsMuted}
	if m.IsOnHold != nil {
		out.IsOnHold = *m.IsOnHold
	}
	if m.Identifier == nil {
		return CallParticipant{}, errors.New("the participant has no identifier")
	}
	id, err := identifierFromModel(*m.Identifier, red)
	if err != nil {
		return CallParticipant{}, fmt.Errorf("the participant's identifier cannot be read: %w", err)
	}
	out.Identifier = id
	return out, nil
}

// identifierFromModel reads a wire identifier of any API version, including
// the teamsExtensionUser model and phone numbers' isAnonymous and assertedId
// of 2025-06-15 and later. The parts must agree, or it is an error rather
// than a guess: at most one nested model, of the kind the identifier names
// (when it names one), standing for the same participant as rawId (when
// both are there). The identifier is rawId's when present (as the official
// SDKs read it), else the nested model's. Its errors quote the answer
// through red.
func identifierFromModel(m gen.CommunicationIdentifierModel, red *redactor) (Identifier, error) {
	nested, err := nestedIdentifier(m, red)
	if err != nil {
		return nil, err
	}
	if m.RawId == nil || *m.RawId == "" {
		if nested == nil {
			return nil, errors.New("it has neither a rawId nor a nested identifier")
		}
		return nested, nil
	}
	id, err := ParseRawID(*m.RawId)
	if err != nil {
		return nil, answerError(err)
	}
	if nested != nil && nested.RawID() != id.RawID() {
		return nil, fmt.Errorf("its rawId %q and its nested identifier (%q) are different participants",
			red.quote(id.RawID(), 64), red.quote(nested.RawID(), 64))
	}
	return id, nil
}

// extensionUserAsCommunicationUser reports whether kind and nested are a
// Teams Phone extension user in a communicationUser model: what it is in
// 2024-09-15, and may be sent as in later versions.
func extensionUserAsCommunicationUser(kind, nested gen.CommunicationIdentifierModelKind) bool {
	return kind == gen.CommunicationIdentifierModelKindTeamsExtensionUser && nested == gen.CommunicationIdentifierModelKindCommunicationUser
}

// nestedIdentifier reads the nested model of a wire identifier: nil when
// there is none, an error when there are several, when it is not the kind
// the identifier names, or when it cannot be read.
func nestedIdentifier(m gen.CommunicationIdentifierModel, red *redactor) (Identifier, error) {
	var kinds []gen.CommunicationIdentifierModelKind
	for _, n := range [...]struct {
		kind    gen.CommunicationIdentifierModelKind
		present bool
	}{
		{gen.CommunicationIdentifierModelKindCommunicationUser, m.CommunicationUser != nil},
		{gen.CommunicationIdentifierModelKindPhoneNumber, m.PhoneNumber != nil},
		{gen.CommunicationIdentifierModelKindMicrosoftTeamsUser, m.MicrosoftTeamsUser != nil},
		{gen.CommunicationIdentifierModelKindMicrosoftTeamsApp, m.MicrosoftTeamsApp != nil},
		{gen.CommunicationIdentifierModelKindTeamsExtensionUser, m.TeamsExtensionUser != nil},
	} {
		if n.present {
			kinds = append(kinds, n.kind)
		}
	}
	switch {
	case len(kinds) == 0:
		return nil, nil
	case len(kinds) > 1:
		return nil, errors.New("it has more than one nested identifier")
	case m.Kind != nil && *m.Kind != kinds[0] && !extensionUserAsCommunicationUser(*m.Kind, kinds[0]):
		return nil, fmt.Errorf("its kind is %q but its nested identifier is %s", red.quote(string(*m.Kind), 32), kinds[0])
	}
	var id Identifier
	switch {
	case m.CommunicationUser != nil:
		parsed, err := ParseRawID(m.CommunicationUser.Id)
		if err != nil {
			return nil, answerError(err)
		}
		switch parsed.Kind() {
		case KindTeamsExtensionUser:
			return parsed, nil
		case KindCommunicationUser, KindUnknown:
			id = CommunicationUserIdentifier{ID: m.CommunicationUser.Id}
		default:
			return nil, fmt.Errorf("its communicationUser id is a %s raw ID", parsed.Kind())
		}
	case m.PhoneNumber != nil:
		number, err := phoneFromModel(*m.PhoneNumber)
		if err != nil {
			return nil, err
		}
		id = PhoneNumberIdentifier{PhoneNumber: number}
	case m.TeamsExtensionUser != nil:
		u := m.TeamsExtensionUser
		cloud, err := cloudFromModel(u.Cloud, red)
		if err != nil {
			return nil, err
		}
		id = TeamsExtensionUserIdentifier{UserID: u.UserId, TenantID: u.TenantId, ResourceID: u.ResourceId, Cloud: cloud}
	case m.MicrosoftTeamsUser != nil:
		u := m.MicrosoftTeamsUser
		cloud, err := cloudFromModel(u.Cloud, red)
		if err != nil {
			return nil, err
		}
		tu := MicrosoftTeamsUserIdentifier{UserID: u.UserId, Cloud: cloud}
		if u.IsAnonymous != nil {
			tu.IsAnonymous = *u.IsAnonymous
		}
		id = tu
	default:
		cloud, err := cloudFromModel(m.MicrosoftTeamsApp.Cloud, red)
		if err != nil {
			return nil, err
		}
		id = MicrosoftTeamsAppIdentifier{AppID: m.MicrosoftTeamsApp.AppId, Cloud: cloud}
	}
	return id, answerError(checkIdentifier(id))
}

// answerError turns the input checks' error about an identifier read from
// an answer into a plain one: an answer is not the caller's input, and
// ErrInvalidInput would say that nothing was sent.
func answerError(err error) error {
	var ie *inputError
	if err == nil || !errors.As(err, &ie) {
		return err
	}
	return errors.New(strings.TrimPrefix(err.Error(), "acsmute: "))
}

// cloudFromModel maps a wire cloud to a Cloud; absent means public. A cloud
// this client does not know is an error rather than a guess, since it would
// change the identifier's raw ID.
func cloudFromModel(m *gen.CommunicationCloudEnvironmentModel, red *redactor) (Cloud, error) {
	if m == nil {
		return CloudPublic, nil
	}
	switch *m {
	case gen.CommunicationCloudEnvironmentModelPublic:
		return CloudPublic, nil
	case gen.CommunicationCloudEnvironmentModelDod:
		return CloudDoD, nil
	case gen.CommunicationCloudEnvironmentModelGcch:
		return CloudGCCH, nil
	}
	return "", fmt.Errorf("cloud %q is not public, dod or gcch", red.quote(string(*m), 32))
}

// phoneFromModel returns the number a nested phone model stands for, as its
// raw ID has it: "anonymous" for a withheld number, and the asserted ID
// after "_" when the model gives one that its value does not already end
// with. A model that contradicts itself is an error.
func phoneFromModel(m gen.PhoneNumberIdentifierModel) (string, error) {
	v := m.Value
	anonymous := m.IsAnonymous != nil && *m.IsAnonymous
	asserted := ""
	if m.AssertedId != nil {
		asserted = *m.AssertedId
	}
	switch {
	case anonymous && v != "" && v != phoneNumberAnonymous:
		return "", errors.New(`its phone number is anonymous but its value is not "anonymous"`)
	case (anonymous || v == phoneNumberAnonymous) && asserted != "":
		return "", errors.New("its phone number is anonymous but has an asserted ID")
	case anonymous:
		return phoneNumberAnonymous, nil
	case asserted != "" && !strings.HasSuffix(v, assertedIDSeparator+asserted):
		v += assertedIDSeparator + asserted
	}
	return v, nil
}
