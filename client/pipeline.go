package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/openapi/wire"
)

// pipeline is the HttpRequestDoer the generated client sends through. It
// turns the one request the generated builder made into attempts: each one
// a copy of it, authorized afresh, sent with the Client's HTTP client
// (which never follows redirects), bounded in time and in the size of the
// answer, and logged. It returns the 200 answer, with its body read, for the
// generated parser, or an error that already says how the operation ended.
type pipeline struct{ c *Client }

// Do implements gen.HttpRequestDoer.
func (p pipeline) Do(req *http.Request) (*http.Response, error) {
	op := operationFrom(req.Context())
	if op == nil {
		return nil, errors.New("acsmute: internal error: a request without an operation")
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		// A request's ContentLength of 0 with a body means unknown.
		n := req.ContentLength
		if n == 0 {
			n = -1
		}
		var err error
		body, err = readAll(req.Body, n)
		_ = req.Body.Close()
		if err != nil {
			return nil, op.fail(false, fmt.Errorf("reading the request body: %w", err))
		}
	}
	return p.c.run(req, body, op)
}

// run makes attempts until one gives an answer to return, retries run out,
// the repeatability window is about to end or the context ends.
//
// op.maybeExecuted records whether some attempt may have reached the
// service without a definite answer; it decides whether a failure is an
// unknown outcome. A verdict settles it either way, because every attempt
// carries the same repeatability headers.
func (c *Client) run(req *http.Request, body []byte, op *operation) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, op.fail(false, err)
	}
	bodyHash := contentHash(body)
	op.host = req.URL.Host
	deadline := op.deadline()
	if !deadline.IsZero() && c.clock.Now().After(deadline) {
		// Resending a request first sent too long ago: the service may no
		// longer recognise it, so sending could mute a second time.
		return nil, op.fail(true, fmt.Errorf("not sent: Repeatability-First-Sent is more than %v ago (ResendWindow), too close to the end of the service's %v repeatability window; read the participant back instead",
			ResendWindow, RepeatabilityWindow))
	}
	batch := throttleFrom(ctx)
	for {
		if batch != nil {
			// Another request of the batch was told to wait: so is this one.
			if err := batch.wait(ctx, c.clock); err != nil {
				return nil, op.fail(op.maybeExecuted, err)
			}
			if !deadline.IsZero() && c.clock.Now().After(deadline) {
				return nil, op.fail(op.maybeExecuted, fmt.Errorf("not sent: waiting as the service asked took past the %v resend window (ResendWindow)", ResendWindow))
			}
		}
		op.attempts++
		res := c.attempt(ctx, req, body, bodyHash, op)
		o := classify(res, op)
		if what := unreachable(res); what != "" {
			op.unreachable++
			op.unreachableWhat = what
		}
		op.maybeExecuted = op.maybeExecuted || o.maybeExecuted
		switch o.kind {
		case outcomeSuccess:
			c.logAttempt(ctx, op, res, 0)
			switch {
			case res.echoed && !op.changesState():
				// A read whose answer holds the credential it was sent
				// (or the client's key) is not the service's: its data
				// cannot be believed, and is not returned.
				return nil, op.fail(false, fmt.Errorf("the service answered %d with a body that holds the credential the request carried (replaced by %s here); it is not read", res.resp.StatusCode, redacted))
			case res.echoed && isJSON(res.resp.Header.Get(wire.HeaderContentType)) && !json.Valid(res.body):
				// The operation ran, but its result holds the credential
				// in a form that could not be taken out whole.
				return nil, op.fail(true, fmt.Errorf("the service answered %d with a body that holds the credential the request carried, in a form that cannot be taken out of it; the result is not read", res.resp.StatusCode))
			}
			op.echoed = res.echoed
			// Media types are case-insensitive; the generated parser's
			// test is not.
			ct := res.resp.Header.Get(wire.HeaderContentType)
			if lower := strings.ToLower(ct); lower != ct {
				res.resp.Header.Set(wire.HeaderContentType, lower)
			}
			if len(bytes.TrimSpace(res.body)) == 0 {
				// A 200 with no body is a success with no result; the
				// generated parser would reject it as empty JSON.
				res.resp.Header.Del(wire.HeaderContentType)
			}
			res.resp.Body = newReadBody(res.body)
			return res.resp, nil
		case outcomeVerdict:
			c.logAttempt(ctx, op, res, 0)
			return nil, op.fail(false, o.err)
		case outcomeUnknown:
			c.logAttempt(ctx, op, res, 0)
			return nil, op.fail(true, o.err)
		case outcomeFinal:
			c.logAttempt(ctx, op, res, 0)
			if c.refreshAfter401(op, res) && (deadline.IsZero() || !c.clock.Now().After(deadline)) {
				// A 401 executed nothing: resend once, same repeatability
				// headers, with a new token.
				continue
			}
			return nil, op.fail(op.maybeExecuted, o.err)
		}
		// outcomeRetry
		if ctxErr := ctx.Err(); ctxErr != nil {
			c.logAttempt(ctx, op, res, 0)
			return nil, op.fail(op.maybeExecuted, fmt.Errorf("%w (last attempt: %w)", ctxErr, o.err))
		}
		if op.attempts > c.retry.MaxRetries {
			c.logAttempt(ctx, op, res, 0)
			return nil, op.fail(op.maybeExecuted, o.err)
		}
		now := c.clock.Now()
		delay, ok := retryAfter(res.resp, now)
		if ok {
			delay = min(delay, c.retry.MaxRetryDelay)
			if batch != nil {
				batch.hold(now.Add(delay))
			}
		} else {
			delay = c.retry.backoff(op.attempts)
		}
		if !deadline.IsZero() && now.Add(delay).After(deadline) {
			c.logAttempt(ctx, op, res, 0)
			return nil, op.fail(op.maybeExecuted,
				fmt.Errorf("stopped retrying to stay inside the %v resend window (ResendWindow): %w", ResendWindow, o.err))
		}
		c.logAttempt(ctx, op, res, delay)
		if err := c.clock.Sleep(ctx, delay); err != nil {
			return nil, op.fail(op.maybeExecuted, fmt.Errorf("%w (last attempt: %w)", err, o.err))
		}
	}
}

// readAll reads r, in one allocation when its length n is known.
func readAll(r io.Reader, n int64) ([]byte, error) {
	return readAtMost(r, n, 1<<62)
}

// readAtMost reads r up to limit bytes: in one allocation when its length
// n is known and within the limit.
func readAtMost(r io.Reader, n, limit int64) ([]byte, error) {
	if n >= 0 && n < limit {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return b, err
		}
		return b, nil
	}
	return io.ReadAll(io.LimitReader(r, limit))
}

// requestBody returns a request body reading b, of a type net/http
// recognises as in memory.
func requestBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

// readBody is an answer's body the pipeline has read: the generated parser
// takes its bytes (Bytes) instead of reading them a second time.
type readBody struct {
	bytes.Reader
	b []byte
}

// newReadBody returns a body reading b, in one allocation.
func newReadBody(b []byte) *readBody {
	r := &readBody{b: b}
	r.Reset(b)
	return r
}

func (r *readBody) Bytes() []byte { return r.b }
func (r *readBody) Close() error  { return nil }

// attemptResult is what one attempt produced.
type attemptResult struct {
	method string
	url    string // request URL without query, for logs
	resp   *http.Response
	body   []byte
	// err is a failure before a whole response was read: authorizing the
	// request, sending it, or reading the answer.
	err error
	// beforeSend marks an err from before the request was handed to the
	// HTTP client (authorizing it): nothing was sent, and retrying cannot
	// help.
	beforeSend bool
	// trace tells whether the request got a connection.
	trace *connTrace
	// credential is the secret the request carried (bearer token or HMAC
	// signature), to scrub from the answer and to refresh on a 401.
	credential string
	// echoed: the body held a secret of the call, replaced there.
	echoed bool
}

// connTrace records, through net/http's client trace hooks, whether a
// request asked for a connection and whether it got one. A request that
// asked and never got one was never sent.
type connTrace struct {
	getConn, gotConn atomic.Bool
	// netHTTP: the request went to net/http's own transport, which asks
	// for a connection before it writes anything.
	netHTTP bool
	hooks   httptrace.ClientTrace // allocated with the trace
}

// attempt sends req once and reads the response, bounded in size and, with
// RetryOptions.TryTimeout, in time. Attempts share req's header map: each
// one sets the same fixed headers and its own date and signature, and the
// previous attempt is over before the next begins.
func (c *Client) attempt(ctx context.Context, req *http.Request, body []byte, bodyHash string, op *operation) attemptResult {
	if d, ok := ctx.Deadline(); c.retry.TryTimeout > 0 && (!ok || time.Until(d) > c.retry.TryTimeout) {
		// Only when the caller's own deadline does not come first: a
		// timer and a cancellable context per attempt are not free.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.retry.TryTimeout)
		defer cancel()
	}
	tr := &connTrace{netHTTP: c.netHTTP}
	res := attemptResult{method: req.Method, trace: tr}
	// Authorize before the connection trace is installed, with the
	// attempt's context: a token provider's own requests (azidentity makes
	// them with the context it is given) are not this request's. The
	// headers it sets are in the map every attempt shares.
	if err := c.cred.authorize(ctx, req, bodyHash, c.clock.Now()); err != nil {
		res.err, res.beforeSend = fmt.Errorf("authorizing the request (%w): %w", ErrCredential, err), true
		return res
	}
	res.credential = sentCredential(req.Header.Get(wire.HeaderAuthorization))
	op.red.add(res.credential)
	if c.logger != nil {
		res.url = op.red.url(req.URL)
	}
	if !tr.netHTTP {
		// With net/http's transport, not getting a connection is enough to
		// know; others may not ask for one the way it does.
		tr.hooks.GetConn = func(string) { tr.getConn.Store(true) }
	}
	tr.hooks.GotConn = func(httptrace.GotConnInfo) { tr.gotConn.Store(true) }
	r := req.WithContext(httptrace.WithClientTrace(ctx, &tr.hooks))
	if body != nil {
		// An io.NopCloser around a *bytes.Reader, which net/http knows to
		// be in memory: it then writes the headers and the body in one
		// write. With any other body type it flushes the headers first,
		// and the request leaves in two TCP segments (Go issue 22088).
		r.Body, r.ContentLength = requestBody(body), int64(len(body))
		r.GetBody = func() (io.ReadCloser, error) { return requestBody(body), nil }
	}
	resp, err := c.send(r)
	if err != nil {
		res.err = op.red.err(err)
		return res
	}
	res.resp = resp
	res.body, err = readAtMost(resp.Body, resp.ContentLength, maxResponseBody+1)
	_ = resp.Body.Close()
	if err != nil {
		res.err = op.red.err(fmt.Errorf("reading the %d response: %w", resp.StatusCode, err))
	}
	// A server that echoes a secret of the call (the credential, say) must
	// not get it into what the client returns or prints: not in the body
	// (an error's, or a success's data), nor in what classify decodes from
	// it and the headers.
	res.body, res.echoed = op.red.bytes(res.body)
	return res
}

// send sends r once. When the http.Client would add nothing to its
// transport's work (no cookie jar, no timeout, and redirects are never
// followed), r goes straight to the transport: http.Client would only copy
// the headers, for redirects, on every call. Errors are then wrapped as
// http.Client wraps them.
func (c *Client) send(r *http.Request) (*http.Response, error) {
	if c.transport == nil {
		return c.http.Do(r) // #nosec G704 -- the URL is the caller's endpoint, built by the generated client: sending there is the point
	}
	resp, err := c.transport.RoundTrip(r) // #nosec G704 -- as above
	if err != nil {
		var tlsErr tls.RecordHeaderError
		if errors.As(err, &tlsErr) && string(tlsErr.RecordHeader[:]) == "HTTP/" {
			err = http.ErrSchemeMismatch // as http.Client says it
		}
		// The endpoint has no user information to strip from the URL.
		return nil, &url.Error{Op: urlErrorOp(r.Method), URL: r.URL.String(), Err: err}
	}
	return resp, nil
}

// unreachable says how an attempt failed to reach the endpoint's host:
// "resolve" when the host name could not be looked up, "connect to" when no
// connection could be made; "" when it got further, or failed otherwise.
func unreachable(r attemptResult) string {
	if r.resp != nil || r.err == nil || r.gotConn() {
		return ""
	}
	var dnsErr *net.DNSError
	if errors.As(r.err, &dnsErr) {
		return "resolve"
	}
	var opErr *net.OpError
	if errors.As(r.err, &opErr) && opErr.Op == "dial" {
		return "connect to"
	}
	return ""
}

// urlErrorOp is the Op of the *url.Error http.Client returns: the method,
// capitalised ("Post").
func urlErrorOp(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}

// sentCredential is the secret part of an Authorization value: the bearer
// token, or the HMAC signature.
func sentCredential(authorization string) string {
	if tok, ok := strings.CutPrefix(authorization, "Bearer "); ok {
		return tok
	}
	if _, sig, ok := strings.Cut(authorization, "Signature="); ok {
		return sig
	}
	return authorization
}

// stampHeaders is the request editor that sets, once per call, the headers
// every attempt of it carries unchanged.
func (c *Client) stampHeaders(ctx context.Context, req *http.Request) error {
	req.Header[wire.HeaderAccept] = c.accept
	req.Header[wire.HeaderUserAgent] = c.userAgent
	// Every call carries its operation (Do refuses a request without one);
	// the header's storage comes with it.
	if op := operationFrom(ctx); op != nil {
		op.requestID[0] = uuid.NewString()
		req.Header[wire.HeaderClientRequestID] = op.requestID[:]
	}
	return nil
}

// refresher is a credential whose cached token a 401 can drop.
type refresher interface {
	invalidate(token string) bool
}

// refreshAfter401 reports whether to resend after res: the first 401 of the
// operation, with a credential that can fetch a new token (as azcore's
// bearer-token policy does). The cached token, the one refused, is dropped.
// Static tokens and access keys are not retried.
func (c *Client) refreshAfter401(op *operation, res attemptResult) bool {
	if op.refreshed || res.resp == nil || res.resp.StatusCode != http.StatusUnauthorized {
		return false
	}
	r, ok := c.cred.(refresher)
	if !ok || !r.invalidate(res.credential) {
		return false
	}
	op.refreshed = true
	return true
}
