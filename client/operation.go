package client

import (
	"context"
	"fmt"
	"time"
)

// operation is one logical call of an operation. The public method makes
// it, puts it in the request's context, and reads it back after the
// generated client returns; the pipeline fills in how the attempts went.
type operation struct {
	name string         // for errors and logs: "mute", "get participant"
	rep  *repeatability // nil when the operation has no repeatability headers

	// Set by the pipeline.
	attempts      int
	maybeExecuted bool // some attempt may have executed without a definite answer
	failed        bool // fail made the error that ended the operation
	refreshed     bool // a 401 made the credential drop its token once

	requestID [1]string // the x-ms-client-request-id header's value
}

type operationKey struct{}

// withOperation returns ctx carrying op to the pipeline.
func withOperation(ctx context.Context, op *operation) context.Context {
	return context.WithValue(ctx, operationKey{}, op)
}

func operationFrom(ctx context.Context) *operation {
	op, _ := ctx.Value(operationKey{}).(*operation)
	return op
}

// fail returns the error for an operation that ends after op.attempts
// attempts with cause. unknown is honoured only for operations that can
// change state (those with repeatability): reading again is always safe.
func (op *operation) fail(unknown bool, cause error) error {
	op.failed = true
	if op.rep == nil {
		if op.attempts == 0 {
			return fmt.Errorf("acsmute: %s not sent: %w", op.name, cause)
		}
		return fmt.Errorf("acsmute: %s failed after %d %s: %w", op.name, op.attempts, plural(op.attempts, "attempt", "attempts"), cause)
	}
	return &MuteError{
		RepeatabilityRequestID: op.rep.id,
		RepeatabilityFirstSent: op.rep.firstSent,
		Attempts:               op.attempts,
		Err:                    cause,
		unknown:                unknown,
	}
}

// deadline is when the last attempt may start: repeatabilityMargin before
// the repeatability window ends. The zero time means no limit.
func (op *operation) deadline() time.Time {
	if op.rep == nil {
		return time.Time{}
	}
	return op.rep.firstSent.Add(RepeatabilityWindow - repeatabilityMargin)
}

// ended returns the error for an operation whose generated call returned
// err: the pipeline's own error as it is; a request the generated builder
// could not make (nothing was sent); or a 200 answer the generated parser
// could not read, which is not the documented answer and so, for an
// operation that changes state, leaves the outcome unknown.
func (op *operation) ended(err error) error {
	switch {
	case op.failed:
		return err
	case op.attempts == 0:
		return op.fail(false, fmt.Errorf("building the request: %w", err))
	}
	return op.fail(true, fmt.Errorf("the service answered 200 with a body that is not the documented result: %w", err))
}
