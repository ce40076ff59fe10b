package client

import (
	"context"

	"github.com/acsmute/acsmute/gen"
)

// HoldParticipantOptions are the optional parameters of HoldParticipant.
type HoldParticipantOptions struct {
	// OperationContext is echoed by the service in the events about this
	// request (a HoldFailed, if the hold fails after it was answered), to
	// tie them to it. At most 5000 characters (UTF-16 code units), as the
	// official SDKs allow.
	OperationContext string

	// OperationCallbackURL is where the service posts the events about this
	// request, instead of the callback URL the call was created or answered
	// with. Empty means the call's. It must be an absolute https (or http)
	// URL without user information.
	OperationCallbackURL string

	// PlayFileURL is an audio file the service plays to the participant
	// while they are on hold (sent as a play source of kind "file"). Empty
	// means none is sent, and what the participant hears is the service's
	// choice. It must be an absolute https (or http) URL without user
	// information; its query (a SAS token, say) is sent as it is, never
	// quoted in this client's errors, and scrubbed from the service's
	// answers should it echo it.
	PlayFileURL string
}

// HoldParticipantResult is the outcome of a successful HoldParticipant.
type HoldParticipantResult struct {
	// StatusCode is the HTTP status of the final response (200).
	StatusCode int
	// Attempts is how many attempts were made, counting the first.
	Attempts int
}

// UnholdParticipantOptions are the optional parameters of
// UnholdParticipant.
type UnholdParticipantOptions struct {
	// OperationContext is echoed by the service in the events about this
	// request, to tie them to it. At most 5000 characters (UTF-16 code
	// units).
	OperationContext string

	// OperationCallbackURL is where the service posts the events about this
	// request, instead of the call's callback URL. Empty means the call's.
	// API version 2024-09-15 has no such field: setting it on a client of
	// that version is an input error rather than a setting the service would
	// silently ignore.
	OperationCallbackURL string
}

// UnholdParticipantResult is the outcome of a successful
// UnholdParticipant.
type UnholdParticipantResult struct {
	// StatusCode is the HTTP status of the final response (200).
	StatusCode int
	// Attempts is how many attempts were made, counting the first.
	Attempts int
}

// HoldParticipant puts one participant of the call connection
// callConnectionID on hold: they are taken out of the call's media, and hear
// the file of opts.PlayFileURL instead, until UnholdParticipant. opts may be
// nil.
//
// Input is checked before anything is sent; bad input gives an error that
// matches ErrInvalidInput. Every other failure is an *ActionError. Success
// is the service's 200: the service has put the participant on hold. A hold
// that fails after that (its prompt cannot be played, say) is reported by a
// HoldFailed event (package callback) carrying opts.OperationContext.
//
// Hold carries no repeatability headers (the service's API defines none
// for it), so the service cannot recognise a resent hold. It does not need
// to: a hold sets a state, and carrying it out twice leaves the participant
// on hold as once. So an attempt whose outcome is uncertain (a lost answer,
// a time-out, a 5xx) is retried as MuteParticipant's are (RetryOptions). A
// second execution can restart the hold prompt, and, like any two
// moderators acting at once, a hold retried after someone else's
// UnholdParticipant puts the participant back on hold; when that matters,
// read the participant back. A hold retried after an attempt that may have
// executed can also leave a HoldFailed event of that earlier attempt behind
// (it carries the same OperationContext) while the retry succeeded: when
// Attempts > 1, the participant's IsOnHold, read back, is the truth. When the
// client cannot settle the outcome, the
// error matches ErrOutcomeUnknown: read the participant back
// (GetParticipant's IsOnHold) or call HoldParticipant again. After an
// attempt that may have executed, a refusal of the resend (a 4xx) is also
// an unknown outcome, never a "not held": the *ResponseError inside says
// what the service answered. When ctx ends the error matches ctx.Err().
func (c *Client) HoldParticipant(ctx context.Context, callConnectionID string, participant Identifier, opts *HoldParticipantOptions) (HoldParticipantResult, error) {
	if opts == nil {
		opts = &HoldParticipantOptions{}
	}
	target, err := c.checkAction(ctx, callConnectionID, participant, opts.OperationContext, opts.OperationCallbackURL)
	if err != nil {
		return HoldParticipantResult{}, err
	}
	if err := checkURL("PlayFileURL", opts.PlayFileURL); err != nil {
		return HoldParticipantResult{}, err
	}
	op := &operation{name: "hold", errs: errAction, opContext: opts.OperationContext, red: redactor{held: c.held}}
	op.addURLSecrets(opts.PlayFileURL, opts.OperationCallbackURL)
	body := gen.HoldRequest{
		TargetParticipant:    target.model(c.version),
		OperationContext:     optional(opts.OperationContext),
		OperationCallbackUri: optional(opts.OperationCallbackURL),
	}
	if opts.PlayFileURL != "" {
		body.PlaySourceInfo = &gen.PlaySource{Kind: gen.PlaySourceTypeFile, File: &gen.FileSource{Uri: opts.PlayFileURL}}
	}
	resp, err := c.api.CallMediaHoldWithResponse(withOperation(ctx, op), callConnectionID, &gen.CallMediaHoldParams{ApiVersion: c.version.name}, body)
	if err != nil {
		return HoldParticipantResult{}, op.ended(err)
	}
	return HoldParticipantResult{StatusCode: resp.StatusCode(), Attempts: op.attempts}, nil
}

// UnholdParticipant takes one participant of the call connection
// callConnectionID off hold, back into the call's media. opts may be nil.
//
// It is read exactly as HoldParticipant: input errors match
// ErrInvalidInput; every other failure is an *ActionError; success is the
// service's 200. Unhold, like hold, carries no repeatability headers and
// sets a state, so it is retried the same way, for the same reason and with
// the same caveat (an unhold retried after someone else's hold takes the
// participant off hold again). An outcome the client cannot settle matches
// ErrOutcomeUnknown: read the participant back or call UnholdParticipant
// again.
func (c *Client) UnholdParticipant(ctx context.Context, callConnectionID string, participant Identifier, opts *UnholdParticipantOptions) (UnholdParticipantResult, error) {
	if opts == nil {
		opts = &UnholdParticipantOptions{}
	}
	target, err := c.checkAction(ctx, callConnectionID, participant, opts.OperationContext, opts.OperationCallbackURL)
	if err != nil {
		return UnholdParticipantResult{}, err
	}
	if opts.OperationCallbackURL != "" && !c.version.unholdCallback {
		return UnholdParticipantResult{}, invalidf("UnholdParticipantOptions.OperationCallbackURL needs API version %s or later; the client speaks %s",
			apiVersion20250615, c.version.name)
	}
	op := &operation{name: "unhold", errs: errAction, opContext: opts.OperationContext, red: redactor{held: c.held}}
	op.addURLSecrets(opts.OperationCallbackURL)
	body := gen.UnholdRequest{
		TargetParticipant:    target.model(c.version),
		OperationContext:     optional(opts.OperationContext),
		OperationCallbackUri: optional(opts.OperationCallbackURL),
	}
	resp, err := c.api.CallMediaUnholdWithResponse(withOperation(ctx, op), callConnectionID, &gen.CallMediaUnholdParams{ApiVersion: c.version.name}, body)
	if err != nil {
		return UnholdParticipantResult{}, op.ended(err)
	}
	return UnholdParticipantResult{StatusCode: resp.StatusCode(), Attempts: op.attempts}, nil
}

// checkAction checks what every action on one participant takes: the
// client, ctx, the call connection ID, the participant, the operation
// context and the callback URL. It returns the participant to send.
func (c *Client) checkAction(ctx context.Context, callConnectionID string, participant Identifier, opContext, callbackURL string) (Identifier, error) {
	switch {
	case c == nil || c.api == nil:
		return nil, invalid("the Client was not made by NewClient")
	case ctx == nil:
		return nil, invalid("context is nil")
	}
	if err := checkCallConnectionID(callConnectionID); err != nil {
		return nil, err
	}
	target, err := resolveIdentifier(participant)
	if err != nil {
		return nil, err
	}
	if err := checkOperationContext(opContext); err != nil {
		return nil, err
	}
	if err := checkURL("OperationCallbackURL", callbackURL); err != nil {
		return nil, err
	}
	return target, nil
}

// optional is nil for "", else a pointer to s: an optional string of a
// request body, left out when unset.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
