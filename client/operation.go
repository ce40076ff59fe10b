package client

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// operation is one logical call of an operation. The public method makes
// it, puts it in the request's context, and reads it back after the
// generated client returns; the pipeline fills in how the attempts went.
type operation struct {
	name string         // for errors and logs: "mute", "hold", "get participant"
	rep  *repeatability // nil when the operation has no repeatability headers
	// errs is the kind of error the operation returns, which also says
	// whether it changes state.
	errs errorKind
	// success is the status the operation documents as its success; zero
	// means 200.
	success int
	// opContext is the operationContext the request carries, for
	// ActionError.
	opContext string
	// red holds what the client must keep out of everything the operation
	// returns and logs: the credential held, each credential sent, and the
	// secrets of the request body (urlSecrets), should the service echo
	// them. The pipeline adds what it sends.
	red redactor

	// Set by the pipeline.
	attempts      int
	maybeExecuted bool // some attempt may have executed without a definite answer
	failed        bool // fail made the error that ended the operation
	refreshed     bool // a 401 made the credential drop its token once
	// echoed: the success answer held a secret of red (replaced there).
	echoed bool
	// unreachable counts the attempts that could not resolve the
	// endpoint's host or connect to it; unreachableWhat is the last one's
	// "resolve" or "connect to".
	unreachable     int
	unreachableWhat string
	host            string // the endpoint's host, for the hint

	requestID [1]string // the x-ms-client-request-id header's value
}

// errorKind is the kind of error an operation ends with.
type errorKind int

const (
	// errRead: a read, which changes nothing; its errors are plain and
	// never an unknown outcome.
	errRead errorKind = iota
	// errMute: MuteParticipant's *MuteError.
	errMute
	// errAction: the *ActionError of hold, unhold and remove.
	errAction
)

// changesState reports whether the operation can change the call, so that
// an attempt without a definite answer leaves its outcome unknown.
func (op *operation) changesState() bool { return op.errs != errRead }

// successStatus is the status the operation documents as its success.
func (op *operation) successStatus() int {
	if op.success == 0 {
		return 200
	}
	return op.success
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
// change state: reading again is always safe.
func (op *operation) fail(unknown bool, cause error) error {
	op.failed = true
	// Whatever the cause quotes of the answers, no secret goes out in it.
	cause = op.red.err(cause)
	if op.unreachable > 0 && op.unreachable == op.attempts {
		// No attempt got anywhere: say what to check.
		cause = fmt.Errorf("%w; could not %s %s in %d %s: check the endpoint (its host and port, as in the connection string's endpoint=), the network and DNS, and that the service or emulator there is running",
			cause, op.unreachableWhat, op.host, op.attempts, plural(op.attempts, "attempt", "attempts"))
	}
	switch op.errs {
	case errMute:
		return &MuteError{
			RepeatabilityRequestID: op.rep.id,
			RepeatabilityFirstSent: op.rep.firstSent,
			Attempts:               op.attempts,
			Err:                    cause,
			unknown:                unknown,
		}
	case errAction:
		e := &ActionError{Action: op.name, OperationContext: op.opContext, Attempts: op.attempts, Err: cause, unknown: unknown}
		if op.rep != nil {
			e.RepeatabilityRequestID, e.RepeatabilityFirstSent = op.rep.id, op.rep.firstSent
		}
		return e
	}
	if op.attempts == 0 {
		return fmt.Errorf("acsmute: %s not sent: %w", op.name, cause)
	}
	return fmt.Errorf("acsmute: %s failed after %d %s: %w", op.name, op.attempts, plural(op.attempts, "attempt", "attempts"), cause)
}

// deadline is when the last attempt may start: ResendWindow after
// Repeatability-First-Sent. The zero time means no limit.
func (op *operation) deadline() time.Time {
	if op.rep == nil {
		return time.Time{}
	}
	return op.rep.firstSent.Add(ResendWindow)
}

// ended returns the error for an operation whose generated call returned
// err: the pipeline's own error as it is; a request the generated builder
// could not make (nothing was sent); or a success the generated parser
// could not read, which is not the documented answer and so, for an
// operation that changes state, leaves the outcome unknown.
func (op *operation) ended(err error) error {
	switch {
	case op.failed:
		return err
	case op.attempts == 0:
		return op.fail(false, fmt.Errorf("building the request: %w", err))
	}
	return op.fail(true, fmt.Errorf("the service answered %d with a body that is not the documented result: %w", op.successStatus(), err))
}

// addURLSecrets adds to op.red the parts of URLs the request carries that
// may be secrets: each URL's query (a SAS token, say) and each of its
// values long enough to be one.
func (op *operation) addURLSecrets(urls ...string) {
	for _, s := range urls {
		u, err := url.Parse(s)
		if err != nil || u.RawQuery == "" {
			continue
		}
		op.red.add(u.RawQuery)
		for _, vs := range u.Query() {
			for _, v := range vs {
				op.red.add(v)
			}
		}
	}
}
