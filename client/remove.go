package client

import (
	"context"
	"time"

	"github.com/acsmute/acsmute/gen"
)

// RemoveParticipantOptions are the optional parameters of
// RemoveParticipant.
type RemoveParticipantOptions struct {
	// OperationContext is echoed by the service in the answer and in the
	// RemoveParticipantSucceeded or RemoveParticipantFailed event that
	// reports the outcome: it is how the event is tied to this request. At
	// most 5000 characters (UTF-16 code units). Empty means the request's
	// Repeatability-Request-ID, a fresh UUID (the official SDKs send a fresh
	// UUID too), which a resend with the same RepeatabilityRequestID
	// therefore sends again.
	OperationContext string

	// OperationCallbackURL is where the service posts the outcome event,
	// instead of the callback URL the call was created or answered with.
	// Empty means the call's. It must be an absolute https (or http) URL
	// without user information.
	OperationCallbackURL string

	// RepeatabilityRequestID identifies this logical request to the service
	// across retries. Empty means a new random (version 4) UUID. Set it,
	// with RepeatabilityFirstSent and the same OperationContext, to resend a
	// request first made elsewhere; it must be a UUID.
	RepeatabilityRequestID string

	// RepeatabilityFirstSent is when this logical request was first sent.
	// The zero time means now. It is sent as an IMF-fixdate in UTC, so only
	// whole seconds count.
	RepeatabilityFirstSent time.Time
}

// RemoveParticipantResult is the outcome of a successful
// RemoveParticipant: the service accepted the request. It does not mean the
// participant is gone.
type RemoveParticipantResult struct {
	// OperationContext is the operationContext the request carried (the one
	// given, or the Repeatability-Request-ID): the outcome event carries it.
	// Wait for that event with callback.Waiter.
	OperationContext string
	// StatusCode is the HTTP status of the final response (202).
	StatusCode int
	// RepeatabilityRequestID is the Repeatability-Request-ID that was sent.
	RepeatabilityRequestID string
	// RepeatabilityFirstSent is the Repeatability-First-Sent that was sent.
	RepeatabilityFirstSent time.Time
	// Attempts is how many attempts were made, counting the first.
	Attempts int
}

// RemoveParticipant asks the service to remove one participant from the
// call connection callConnectionID. opts may be nil.
//
// Remove is asynchronous: success is the service's 202 Accepted, which
// means the service took the request, not that the participant has left.
// The outcome comes later, as a RemoveParticipantSucceeded or
// RemoveParticipantFailed event posted to opts.OperationCallbackURL (or the
// call's callback URL) with the result's OperationContext; package
// callback reads and verifies it, and its Waiter waits for it. A
// participant who is not in the call is usually refused at once, with a
// *ResponseError.
//
// Otherwise it is read exactly as MuteParticipant: input is checked before
// anything is sent (ErrInvalidInput); every other failure is an
// *ActionError holding the repeatability values and the operation context
// needed to resend the same logical request; every attempt carries the same
// repeatability headers, so the service removes at most once and answers a
// resend as it answered the first; an outcome the client cannot settle
// matches ErrOutcomeUnknown, resolved by resending within
// ResendWindow; when ctx ends the error matches ctx.Err().
func (c *Client) RemoveParticipant(ctx context.Context, callConnectionID string, participant Identifier, opts *RemoveParticipantOptions) (RemoveParticipantResult, error) {
	if opts == nil {
		opts = &RemoveParticipantOptions{}
	}
	target, err := c.checkAction(ctx, callConnectionID, participant, opts.OperationContext, opts.OperationCallbackURL)
	if err != nil {
		return RemoveParticipantResult{}, err
	}
	rep, err := newRepeatability(opts.RepeatabilityRequestID, opts.RepeatabilityFirstSent, c.clock.Now(), c.dates)
	if err != nil {
		return RemoveParticipantResult{}, err
	}
	opContext := opts.OperationContext
	if opContext == "" {
		opContext = rep.id
	}
	// A resend of a request first made earlier may already have executed:
	// only the service's own answer settles it.
	op := &operation{name: "remove", rep: &rep, errs: errAction, success: 202, opContext: opContext,
		maybeExecuted: opts.RepeatabilityRequestID != "", red: redactor{held: c.held}}
	op.addURLSecrets(opts.OperationCallbackURL)
	params := &gen.CallConnectionRemoveParticipantParams{
		ApiVersion:             c.version.name,
		RepeatabilityRequestID: &rep.uuid,
		RepeatabilityFirstSent: &rep.firstSentHeader,
	}
	body := gen.RemoveParticipantRequest{
		ParticipantToRemove:  target.model(c.version),
		OperationContext:     &opContext,
		OperationCallbackUri: optional(opts.OperationCallbackURL),
	}
	resp, err := c.api.CallConnectionRemoveParticipantWithResponse(withOperation(ctx, op), callConnectionID, params, body)
	if err != nil {
		return RemoveParticipantResult{}, op.ended(err)
	}
	return RemoveParticipantResult{
		OperationContext:       opContext,
		StatusCode:             resp.StatusCode(),
		RepeatabilityRequestID: rep.id,
		RepeatabilityFirstSent: rep.firstSent,
		Attempts:               op.attempts,
	}, nil
}
