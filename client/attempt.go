package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
)

// headersPerAttempt sizes an attempt's header map: the fixed headers, plus
// what the credential adds (at most three).
const headersPerAttempt = 10

// attemptResult is what one attempt produced.
type attemptResult struct {
	url  string // request URL without query, for logs
	resp *http.Response
	body []byte
	// err is a failure before a whole response was read: building or
	// authorizing the request, sending it, or reading the answer.
	err error
	// beforeSend marks an err from before the request was handed to the
	// HTTP client (building or authorizing it): nothing was sent, and
	// retrying cannot help.
	beforeSend bool
	// trace tells whether the request got a connection.
	trace *connTrace
}

// connTrace records, through net/http's client trace hooks, whether a
// request asked for a connection and whether it got one. A request that
// asked and never got one was never sent.
type connTrace struct {
	getConn, gotConn atomic.Bool
}

// attempt sends the request once and reads the response, bounded in size
// and, with RetryOptions.TryTimeout, in time.
func (m *muteCall) attempt(ctx context.Context) attemptResult {
	c := m.client
	if c.retry.TryTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.retry.TryTimeout)
		defer cancel()
	}
	tr := &connTrace{}
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(string) { tr.getConn.Store(true) },
		GotConn: func(httptrace.GotConnInfo) { tr.gotConn.Store(true) },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url, bytes.NewReader(m.body))
	if err != nil {
		return attemptResult{err: fmt.Errorf("building the request: %w", err), beforeSend: true, trace: tr}
	}
	var url string
	if c.logger != nil {
		url = redactedURL(req)
	}
	h := make(http.Header, headersPerAttempt)
	for i, name := range fixedHeaders {
		h[name] = m.fixed[i : i+1 : i+1]
	}
	req.Header = h
	if err := c.cred.authorize(ctx, req, m.bodyHash, c.clock.Now()); err != nil {
		return attemptResult{url: url, err: fmt.Errorf("authorizing the request: %w", err), beforeSend: true, trace: tr}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return attemptResult{url: url, err: err, trace: tr}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	_ = resp.Body.Close()
	if err != nil {
		return attemptResult{url: url, resp: resp, err: fmt.Errorf("reading the %d response: %w", resp.StatusCode, err), trace: tr}
	}
	return attemptResult{url: url, resp: resp, body: body, trace: tr}
}

// outcomeKind is what an attempt means for the call.
type outcomeKind int

const (
	// outcomeRetry: the attempt failed in a way another attempt may fix.
	outcomeRetry outcomeKind = iota
	// outcomeSuccess: the service answered 200.
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
// may have executed the mute without a definite answer.
func (m *muteCall) classify(r attemptResult) outcome {
	if r.err != nil {
		switch {
		case r.beforeSend:
			return outcome{kind: outcomeFinal, err: r.err}
		case tlsVerificationFailed(r.err):
			return outcome{kind: outcomeFinal, err: r.err}
		case neverSent(r):
			return outcome{kind: outcomeRetry, err: r.err}
		}
		return outcome{kind: outcomeRetry, maybeExecuted: true, err: r.err}
	}
	code := r.resp.StatusCode
	if code == http.StatusOK {
		return outcome{kind: outcomeSuccess}
	}
	re := newResponseError(r.resp, r.body, len(r.body) > maxResponseBody)
	switch {
	case code >= 200 && code < 300:
		return outcome{kind: outcomeUnknown, err: fmt.Errorf("the service answered %d, which the operation does not document: %w", code, re)}
	case code == http.StatusPreconditionFailed:
		return outcome{kind: outcomeUnknown, err: fmt.Errorf("the repeatability window of request %s has passed: %w", m.rep.id, re)}
	case code == http.StatusConflict && r.resp.Header.Get(headerRepeatabilityResult) != "":
		// An earlier attempt with the same ID is still running.
		return outcome{kind: outcomeRetry, maybeExecuted: true, err: re}
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
	}
	return outcome{kind: outcomeVerdict, err: re}
}

// neverSent reports whether an attempt's failure proves that the request
// never left: the trace saw the request ask for a connection and never get
// one, or the error is a failed DNS lookup or dial.
func neverSent(r attemptResult) bool {
	if r.resp != nil {
		return false
	}
	if r.trace != nil && r.trace.getConn.Load() && !r.trace.gotConn.Load() {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(r.err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(r.err, &opErr) && opErr.Op == "dial"
}

// tlsVerificationFailed reports whether err is a TLS failure that retrying
// cannot fix: a certificate that does not verify, or a server that does not
// speak TLS.
func tlsVerificationFailed(err error) bool {
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
