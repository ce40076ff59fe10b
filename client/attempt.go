package client

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/acsmute/acsmute/openapi/wire"
)

// outcomeKind is what an attempt means for the call.
type outcomeKind int

const (
	// outcomeRetry: the attempt failed in a way another attempt may fix.
	outcomeRetry outcomeKind = iota
	// outcomeSuccess: the service answered the operation's success status.
	outcomeSuccess
	// outcomeVerdict: the service's final answer to the request. Since
	// every attempt carries the same repeatability headers, it is also the
	// answer to any earlier attempt that reached the service, so the
	// outcome is known.
	outcomeVerdict
	// outcomeFinal: a failure that retrying cannot fix and that says
	// nothing about earlier attempts.
	outcomeFinal
	// outcomeUnknown: a final answer that leaves the outcome unknown
	// whatever came before.
	outcomeUnknown
)

// outcome is the classification of one attempt.
type outcome struct {
	kind outcomeKind
	// maybeExecuted: this attempt may have reached the service and run
	// without the client learning the result.
	maybeExecuted bool
	// err is the attempt's failure, to report as the cause.
	err error
}

// classify decides what an attempt means: whether to retry, and whether it
// may have executed the operation without a definite answer.
func classify(r attemptResult, op *operation) outcome {
	if r.err != nil {
		switch {
		case r.beforeSend:
			return outcome{kind: outcomeFinal, err: r.err}
		case tlsVerificationFailed(r.err) && !r.gotConn():
			// A handshake that failed verification: nothing was sent.
			// (After the handshake, a bad record is a broken answer.)
			return outcome{kind: outcomeFinal, err: r.err}
		case unreadableRedirect(r.err):
			// A 3xx answer, which speaks for this attempt as any 3xx does.
			return outcome{kind: outcomeFinal, err: r.err}
		case neverSent(r) && hostNotFound(r.err):
			// The name does not exist: asking again in a second will not
			// change that, and the error says what to check.
			return outcome{kind: outcomeFinal, err: r.err}
		case neverSent(r):
			return outcome{kind: outcomeRetry, err: r.err}
		}
		return outcome{kind: outcomeRetry, maybeExecuted: true, err: r.err}
	}
	code := r.resp.StatusCode
	if code == op.successStatus() {
		return classifySuccess(r, code, &op.red)
	}
	re := newResponseError(r.resp, r.body, len(r.body) > maxResponseBody)
	re.scrub(&op.red)
	// Only a request that carries a Repeatability-Request-ID can be told
	// that an earlier attempt with it is still running, or that it was
	// refused as a repeat.
	repeatResult := r.resp.Header.Get(wire.HeaderRepeatabilityResult)
	inProgress := op.rep != nil && code == http.StatusConflict && (repeatResult != "" ||
		(re.fromService && (re.ErrorCode == errorCodeInProgress || re.bodyCode == errorCodeInProgress)))
	repeatRefused := op.rep != nil && code >= 400 && code < 500 && (strings.EqualFold(repeatResult, "rejected") ||
		re.ErrorCode == errorCodeIDReused || re.bodyCode == errorCodeIDReused)
	switch {
	case code >= 200 && code < 300:
		return outcome{kind: outcomeUnknown, err: fmt.Errorf("the service answered %d, which the operation does not document (its success is %d): %w", code, op.successStatus(), re)}
	case code == http.StatusPreconditionFailed && op.rep != nil:
		return outcome{kind: outcomeUnknown, err: fmt.Errorf("the repeatability window of request %s has passed: %w", op.rep.id, re)}
	case inProgress:
		// An earlier attempt with the same ID is still running.
		return outcome{kind: outcomeRetry, maybeExecuted: true, err: re}
	case repeatRefused && op.maybeExecuted:
		// The repeatability layer refused this attempt (an ID the service
		// saw with another request, say: a resend that is not the same
		// request): that says nothing of whether the first one ran.
		return outcome{kind: outcomeUnknown, err: fmt.Errorf("the service refused the resend of request %s as a repeat (resend exactly the same request: the same participant, options and operation context), which says nothing of whether an earlier attempt executed: %w", op.rep.id, re)}
	case code == http.StatusTooManyRequests:
		// Throttled before anything ran.
		return outcome{kind: outcomeRetry, err: re}
	case code == http.StatusRequestTimeout || code >= 500:
		kind := outcomeFinal
		if retryableStatus(code) {
			kind = outcomeRetry
		}
		return outcome{kind: kind, maybeExecuted: true, err: re}
	case code < 400, code == http.StatusUnauthorized, code == http.StatusForbidden, code == http.StatusProxyAuthRequired:
		// Redirects (never followed) and authentication failures speak for
		// this attempt, not for the request.
		return outcome{kind: outcomeFinal, err: re}
	case op.maybeExecuted && op.rep != nil && !re.fromService:
		// After an attempt that may have executed, only the service's own
		// answer settles the outcome: a gateway's page, a bare 404 or a 431
		// says nothing about whether the mute ran.
		return outcome{kind: outcomeUnknown, err: fmt.Errorf("after an attempt that may have executed, the answer is not the service's (no Communication Services error body): %w", re)}
	case op.maybeExecuted && op.rep == nil && op.changesState():
		// Without repeatability headers the service cannot tell a resend
		// from a new request: its refusal of this one says nothing of the
		// earlier attempt, which may have executed.
		return outcome{kind: outcomeUnknown, err: fmt.Errorf("after an attempt that may have executed, the service refused the resend, which carries no repeatability headers and so says nothing of the earlier attempt: %w", re)}
	}
	return outcome{kind: outcomeVerdict, err: re}
}

// errorCodeInProgress is the service's error code for a request whose
// Repeatability-Request-ID belongs to a request still being executed.
const errorCodeInProgress = "RepeatabilityRequestInProgress"

// errorCodeIDReused is the error code for a Repeatability-Request-ID the
// service already saw with a different request.
const errorCodeIDReused = "RepeatabilityRequestIdReused"

// classifySuccess accepts the operation's success status (code) with a
// body that can be its result: empty, or a JSON object of at most 1 MiB (or,
// for the caller to judge, not JSON at all). Anything else is not the
// documented answer.
func classifySuccess(r attemptResult, code int, red *redactor) outcome {
	if len(r.body) > maxResponseBody {
		return outcome{kind: outcomeUnknown, err: fmt.Errorf("the service answered %d with a body larger than %d bytes, which is not the documented result", code, maxResponseBody)}
	}
	b := bytes.TrimSpace(r.body)
	ct := r.resp.Header.Get(wire.HeaderContentType)
	switch {
	case len(b) == 0:
	case !isJSON(ct):
		// One notion of JSON for the classifier and the generated parser:
		// the parser only ever sees what isJSON accepts.
		return outcome{kind: outcomeUnknown, err: fmt.Errorf("the service answered %d with Content-Type %q instead of JSON", code, red.quote(ct, 64))}
	case b[0] != '{':
		// b was scrubbed with the body.
		return outcome{kind: outcomeUnknown, err: fmt.Errorf("the service answered %d with JSON that is not an object: %s", code, snippet(b))}
	}
	return outcome{kind: outcomeSuccess}
}

// gotConn reports whether the attempt's request got a connection.
func (r attemptResult) gotConn() bool { return r.trace != nil && r.trace.gotConn.Load() }

// neverSent reports whether an attempt's failure proves that the request
// never left: the trace saw the request ask for a connection and never get
// one, or (with net/http's own transport, which asks for a connection
// before it writes anything) never even ask for one, as when its Proxy
// function fails or the attempt's time runs out first; or the error is a
// failed DNS lookup or dial.
func neverSent(r attemptResult) bool {
	if r.resp != nil {
		return false
	}
	if r.trace != nil && !r.trace.gotConn.Load() && (r.trace.getConn.Load() || r.trace.netHTTP) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(r.err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(r.err, &opErr) && opErr.Op == "dial"
}

// hostNotFound reports whether err is a DNS answer that the host name does
// not exist (not a time-out or a server failure, which may pass).
func hostNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound && !dnsErr.IsTemporary && !dnsErr.IsTimeout
}

// unreadableRedirect reports whether err is http.Client's report of a
// redirect whose Location it could not parse (it does so before asking
// CheckRedirect, and drops the answer). Sent straight to the transport,
// such an answer is the 3xx *ResponseError it is.
func unreadableRedirect(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue) && ue.Err != nil && strings.HasPrefix(ue.Err.Error(), "failed to parse Location header ")
}

// tlsVerificationFailed reports whether err is a TLS failure that retrying
// cannot fix: a certificate that does not verify, or a server that does not
// speak TLS.
func tlsVerificationFailed(err error) bool {
	// net/http reports a plain-HTTP server on an https URL with its own
	// error, in place of the TLS record error.
	if err != nil && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return true
	}
	var (
		verifyErr    *tls.CertificateVerificationError
		authorityErr x509.UnknownAuthorityError
		hostErr      x509.HostnameError
		invalidErr   x509.CertificateInvalidError
		recordErr    tls.RecordHeaderError
	)
	return errors.As(err, &verifyErr) || errors.As(err, &authorityErr) || errors.As(err, &hostErr) ||
		errors.As(err, &invalidErr) || errors.As(err, &recordErr)
}
