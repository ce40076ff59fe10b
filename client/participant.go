package client

import (
	"context"
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

	op := &operation{name: "get participant"}
	params := &gen.CallConnectionGetParticipantParams{ApiVersion: c.version.name}
	resp, err := c.api.CallConnectionGetParticipantWithResponse(withOperation(ctx, op), callConnectionID, rawID, params)
	if err != nil {
		return CallParticipant{}, op.ended(err)
	}
	if resp.JSON200 == nil {
		return CallParticipant{}, op.fail(false, errors.New("the service answered 200 without a JSON participant"))
	}
	out, err := participantFromModel(*resp.JSON200)
	if err != nil {
		return CallParticipant{}, op.fail(false, err)
	}
	return out, nil
}

// participantFromModel reads a participant of an answer (GetParticipant,
// a page of ListParticipants). Whether it is muted is the point of reading
// it: an answer without isMuted is an error, not a guess.
func participantFromModel(m gen.CallParticipant) (CallParticipant, error) {
	if m.IsMuted == nil {
		return CallParticipant{}, errors.New("the service answered 200 without isMuted")
	}
	out := CallParticipant{IsMuted: *m.IsMuted}
	if m.IsOnHold != nil {
		out.IsOnHold = *m.IsOnHold
	}
	if m.Identifier == nil {
		return CallParticipant{}, errors.New("the service answered 200 without the participant's identifier")
	}
	id, err := identifierFromModel(*m.Identifier)
	if err != nil {
		return CallParticipant{}, fmt.Errorf("the service answered 200 with an identifier that cannot be read: %w", err)
	}
	out.Identifier = id
	return out, nil
}

// identifierFromModel reads a wire identifier of any API version: from
// rawId when present (as the official SDKs do), else from its nested model,
// including the teamsExtensionUser model and phone numbers' isAnonymous and
// assertedId of 2025-06-15 and later.
func identifierFromModel(m gen.CommunicationIdentifierModel) (Identifier, error) {
	if m.RawId != nil && *m.RawId != "" {
		return ParseRawID(*m.RawId)
	}
	switch {
	case m.CommunicationUser != nil:
		id, err := ParseRawID(m.CommunicationUser.Id)
		if err != nil {
			return nil, err
		}
		if id.Kind() == KindTeamsExtensionUser {
			return id, nil
		}
		return CommunicationUserIdentifier{ID: m.CommunicationUser.Id}, nil
	case m.PhoneNumber != nil:
		id := PhoneNumberIdentifier{PhoneNumber: phoneFromModel(*m.PhoneNumber)}
		return id, checkIdentifier(id)
	case m.TeamsExtensionUser != nil:
		u := m.TeamsExtensionUser
		cloud, err := cloudFromModel(u.Cloud)
		if err != nil {
			return nil, err
		}
		id := TeamsExtensionUserIdentifier{UserID: u.UserId, TenantID: u.TenantId, ResourceID: u.ResourceId, Cloud: cloud}
		return id, checkIdentifier(id)
	case m.MicrosoftTeamsUser != nil:
		u := m.MicrosoftTeamsUser
		cloud, err := cloudFromModel(u.Cloud)
		if err != nil {
			return nil, err
		}
		id := MicrosoftTeamsUserIdentifier{UserID: u.UserId, Cloud: cloud}
		if u.IsAnonymous != nil {
			id.IsAnonymous = *u.IsAnonymous
		}
		return id, checkIdentifier(id)
	case m.MicrosoftTeamsApp != nil:
		cloud, err := cloudFromModel(m.MicrosoftTeamsApp.Cloud)
		if err != nil {
			return nil, err
		}
		id := MicrosoftTeamsAppIdentifier{AppID: m.MicrosoftTeamsApp.AppId, Cloud: cloud}
		return id, checkIdentifier(id)
	}
	return nil, errors.New("it has neither a rawId nor a nested identifier")
}

// cloudFromModel maps a wire cloud to a Cloud; absent means public. A cloud
// this client does not know is an error rather than a guess, since it would
// change the identifier's raw ID.
func cloudFromModel(m *gen.CommunicationCloudEnvironmentModel) (Cloud, error) {
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
	return "", fmt.Errorf("cloud %q is not public, dod or gcch", truncate(string(*m), 32))
}

// phoneFromModel returns the number a nested phone model stands for, as its
// raw ID has it: "anonymous" for a withheld number, and the asserted ID
// after "_" when the model gives one that its value does not already end
// with.
func phoneFromModel(m gen.PhoneNumberIdentifierModel) string {
	v := m.Value
	if v == "" && m.IsAnonymous != nil && *m.IsAnonymous {
		return phoneNumberAnonymous
	}
	if m.AssertedId != nil && *m.AssertedId != "" && !strings.HasSuffix(v, assertedIDSeparator+*m.AssertedId) {
		v += assertedIDSeparator + *m.AssertedId
	}
	return v
}
