package client

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/gen"
	"github.com/acsmute/acsmute/openapi/wire"
)

// MuteParticipantOptions are the optional parameters of MuteParticipant.
type MuteParticipantOptions struct {
	// OperationContext is echoed by the service in the result and in the
	// events that follow, to tie them to this request. At most 5000
	// characters (UTF-16 code units), as the official SDKs allow.
	OperationContext string

	// RepeatabilityRequestID identifies this logical request to the service
	// across retries. Empty means a new random (version 4) UUID. Set it, with
	// RepeatabilityFirstSent, to resend a request first made elsewhere (for
	// example by another process after a crash); it must be a UUID.
	RepeatabilityRequestID string

	// RepeatabilityFirstSent is when this logical request was first sent.
	// The zero time means now. It is sent as an IMF-fixdate in UTC, so only
	// whole seconds count.
	RepeatabilityFirstSent time.Time
}

// MuteParticipantResult is the outcome of a successful MuteParticipant.
type MuteParticipantResult struct {
	// OperationContext is the operation context the service echoed.
	OperationContext string
	// StatusCode is the HTTP status of the final response (200).
	StatusCode int
	// RepeatabilityRequestID is the Repeatability-Request-ID that was sent.
	RepeatabilityRequestID string
	// RepeatabilityFirstSent is the Repeatability-First-Sent that was sent.
	RepeatabilityFirstSent time.Time
	// Attempts is how many attempts were made, counting the first.
	Attempts int
}

// MuteParticipant mutes one participant of the call connection
// callConnectionID. opts may be nil.
//
// Input is checked before anything is sent; bad input gives an error that
// matches ErrInvalidInput. Every other failure is a *MuteError, which holds
// the repeatability values needed to resend the same logical request. The
// call is retried as RetryOptions describes, with the same repeatability
// headers on every attempt, so the service mutes at most once. Success is a
// 200 answer. A service error is found with errors.As as a *ResponseError;
// when the client cannot tell whether the mute happened the error matches
// ErrOutcomeUnknown (its documentation lists the cases and how to resolve
// them); when ctx ends the error matches ctx.Err().
//
// The client sends any kind of identifier, in the form of its API version
// (ClientOptions.APIVersion); the service mutes Communication Services users
// (and Teams Phone extension users, which are Communication Services users
// on the wire of 2024-09-15) and answers 400 for others, which this client
// returns as a *ResponseError.
func (c *Client) MuteParticipant(ctx context.Context, callConnectionID string, participant Identifier, opts *MuteParticipantOptions) (MuteParticipantResult, error) {
	if c == nil || c.api == nil {
		return MuteParticipantResult{}, invalid("the Client was not made by NewClient")
	}
	if ctx == nil {
		return MuteParticipantResult{}, invalid("context is nil")
	}
	if opts == nil {
		opts = &MuteParticipantOptions{}
	}
	if err := checkCallConnectionID(callConnectionID); err != nil {
		return MuteParticipantResult{}, err
	}
	target, err := resolveIdentifier(participant)
	if err != nil {
		return MuteParticipantResult{}, err
	}
	if err := checkOperationContext(opts.OperationContext); err != nil {
		return MuteParticipantResult{}, err
	}
	rep, err := newRepeatability(opts.RepeatabilityRequestID, opts.RepeatabilityFirstSent, c.clock.Now(), c.dates)
	if err != nil {
		return MuteParticipantResult{}, err
	}

	// A resend of a request first made earlier (the caller's repeatability
	// values) may already have executed: only the service's own answer
	// settles it.
	// One allocation for what the call keeps: the operation, its
	// repeatability values and the generated parameters that point at them.
	call := &muteCall{rep: rep}
	call.op = operation{name: "mute", rep: &call.rep, errs: errMute, maybeExecuted: opts.RepeatabilityRequestID != "", red: redactor{held: c.held}}
	call.params = gen.CallConnectionMuteParams{
		ApiVersion:             c.version.name,
		RepeatabilityRequestID: &call.rep.uuid,
		RepeatabilityFirstSent: &call.rep.firstSentHeader,
	}
	call.targets[0] = target.model(c.version)
	op, params := &call.op, &call.params
	body := gen.MuteParticipantsRequest{TargetParticipants: call.targets[:]}
	if opts.OperationContext != "" {
		body.OperationContext = &opts.OperationContext
	}
	resp, err := c.api.CallConnectionMuteWithResponse(withOperation(ctx, op), callConnectionID, params, body)
	if err != nil {
		return MuteParticipantResult{}, op.ended(err)
	}
	out := MuteParticipantResult{
		StatusCode:             resp.StatusCode(),
		RepeatabilityRequestID: rep.id,
		RepeatabilityFirstSent: rep.firstSent,
		Attempts:               op.attempts,
	}
	switch {
	case resp.JSON200 != nil:
		if resp.JSON200.OperationContext != nil {
			out.OperationContext = *resp.JSON200.OperationContext
		}
	case len(bytes.TrimSpace(resp.Body)) > 0:
		// Not JSON: not the answer the operation documents.
		return MuteParticipantResult{}, op.fail(true, fmt.Errorf("the service answered 200 with Content-Type %q instead of JSON",
			op.red.quote(resp.HTTPResponse.Header.Get(wire.HeaderContentType), 64)))
	}
	return out, nil
}

// muteCall is what one MuteParticipant call keeps, allocated together.
type muteCall struct {
	op      operation
	rep     repeatability
	params  gen.CallConnectionMuteParams
	targets [1]gen.CommunicationIdentifierModel
}

// repeatability holds the headers that stay the same on every attempt.
type repeatability struct {
	uuid            uuid.UUID
	id              string // lower-case 36-character form of uuid
	firstSent       time.Time
	firstSentHeader string
}

// newRepeatability checks the caller's repeatability options (id and
// firstSent), or makes new values, formatting the date with dates. Its only
// errors are input errors.
func newRepeatability(id string, firstSent, now time.Time, dates *httpDates) (repeatability, error) {
	var r repeatability
	if id == "" {
		// uuid.New cannot fail: since Go 1.24 crypto/rand never returns an
		// error (it aborts the program if the system's source breaks).
		r.uuid = uuid.New()
	} else {
		if len(id) != 36 {
			return r, invalid("RepeatabilityRequestID must be a UUID in its 36-character form")
		}
		parsed, err := uuid.Parse(id)
		if err != nil {
			return r, invalidf("RepeatabilityRequestID is not a UUID: %w", err)
		}
		r.uuid = parsed
	}
	r.id = r.uuid.String()
	r.firstSent = firstSent
	if r.firstSent.IsZero() {
		r.firstSent = now
	}
	if y := r.firstSent.UTC().Year(); y < 1 || y > 9999 {
		return r, invalid("RepeatabilityFirstSent must be between years 1 and 9999")
	}
	r.firstSent = r.firstSent.UTC().Truncate(time.Second)
	r.firstSentHeader = dates.format(r.firstSent)
	return r, nil
}
