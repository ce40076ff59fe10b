package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/acsmute/acsmute/gen"
)

// maxCallConnectionIDLength bounds call connection IDs; real ones are a few
// dozen characters.
const maxCallConnectionIDLength = 1024

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
// Input is checked before anything is sent. The call is retried as
// RetryOptions describes, with the same repeatability headers on every
// attempt. A service error is returned as a *ResponseError (use errors.As);
// when the client cannot tell whether the mute happened the error wraps
// ErrOutcomeUnknown; when ctx ends the error wraps ctx.Err().
//
// The client sends any kind of identifier; API version 2024-09-15 of the
// service mutes Communication Services users only and answers 400 for
// others, which this client returns as a *ResponseError.
func (c *Client) MuteParticipant(ctx context.Context, callConnectionID string, participant Identifier, opts *MuteParticipantOptions) (MuteParticipantResult, error) {
	if ctx == nil {
		return MuteParticipantResult{}, invalid("context is nil")
	}
	if opts == nil {
		opts = &MuteParticipantOptions{}
	}
	if err := checkCallConnectionID(callConnectionID); err != nil {
		return MuteParticipantResult{}, err
	}
	if err := checkIdentifier(participant); err != nil {
		return MuteParticipantResult{}, err
	}
	if err := checkOperationContext(opts.OperationContext); err != nil {
		return MuteParticipantResult{}, err
	}
	rep, err := newRepeatability(opts, c.now())
	if err != nil {
		return MuteParticipantResult{}, err
	}

	body, err := encodeMuteBody(participant, opts.OperationContext)
	if err != nil {
		return MuteParticipantResult{}, fmt.Errorf("acsmute: encoding the request: %w", err)
	}
	call := &muteCall{
		client:   c,
		url:      c.urlTemplate.url(callConnectionID),
		body:     body,
		bodyHash: contentHash(body),
		rep:      rep,
		fixed: [...]string{
			"application/json", "application/json", c.userAgent,
			uuid.NewString(), rep.id.String(), rep.firstSentHeader,
		},
	}
	return call.run(ctx)
}

// repeatability holds the headers that stay the same on every attempt.
type repeatability struct {
	id              openapi_types.UUID
	firstSent       time.Time
	firstSentHeader string
}

func newRepeatability(opts *MuteParticipantOptions, now time.Time) (repeatability, error) {
	var r repeatability
	if opts.RepeatabilityRequestID == "" {
		id, err := uuid.NewRandom()
		if err != nil {
			return r, fmt.Errorf("acsmute: making a repeatability request ID: %w", err)
		}
		r.id = id
	} else {
		if len(opts.RepeatabilityRequestID) != 36 {
			return r, invalid("RepeatabilityRequestID must be a UUID in its 36-character form")
		}
		id, err := uuid.Parse(opts.RepeatabilityRequestID)
		if err != nil {
			return r, invalidf("RepeatabilityRequestID is not a UUID: %w", err)
		}
		r.id = id
	}
	r.firstSent = opts.RepeatabilityFirstSent
	if r.firstSent.IsZero() {
		r.firstSent = now
	}
	r.firstSent = r.firstSent.UTC().Truncate(time.Second)
	r.firstSentHeader = r.firstSent.Format(http.TimeFormat)
	return r, nil
}

// maxOperationContextLength is the official SDKs' limit on operation
// contexts, in UTF-16 code units (the unit of .NET's string length).
const maxOperationContextLength = 5000

// checkOperationContext rejects operation contexts the official SDKs refuse,
// and invalid UTF-8 that JSON encoding would silently alter.
func checkOperationContext(s string) error {
	if !utf8.ValidString(s) {
		return invalid("OperationContext is not valid UTF-8")
	}
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++ // a surrogate pair in UTF-16
		}
	}
	if n > maxOperationContextLength {
		return invalidf("OperationContext is %d UTF-16 code units long; the limit is %d", n, maxOperationContextLength)
	}
	return nil
}

// checkCallConnectionID rejects IDs that cannot name a call connection.
func checkCallConnectionID(id string) error {
	if id == "" {
		return invalid("call connection ID is empty")
	}
	if len(id) > maxCallConnectionIDLength {
		return invalidf("call connection ID is %d bytes long; the limit is %d", len(id), maxCallConnectionIDLength)
	}
	if !utf8.ValidString(id) {
		return invalid("call connection ID is not valid UTF-8")
	}
	if strings.TrimSpace(id) == "" {
		return invalid("call connection ID is blank")
	}
	if id == "." || id == ".." {
		return invalid("call connection ID cannot be \".\" or \"..\"")
	}
	for i, r := range id {
		if unicode.IsControl(r) {
			return invalidf("call connection ID has a control character at byte %d", i)
		}
	}
	return nil
}

// muteCall is one logical MuteParticipant call and its attempts.
type muteCall struct {
	client   *Client
	url      string
	body     []byte
	bodyHash string
	rep      repeatability
	// fixed holds the values of the headers that every attempt sends
	// unchanged, in the order of fixedHeaders; attempts share the backing
	// array instead of allocating each value.
	fixed [len(fixedHeaders)]string
}

// fixedHeaders are the headers whose values stay the same on every attempt.
var fixedHeaders = [...]string{
	headerContentType, headerAccept, headerUserAgent,
	headerClientRequestID, headerRepeatabilityRequestID, headerRepeatabilityFirstSent,
}

// attemptResult is what one attempt produced.
type attemptResult struct {
	url  string // request URL without query, for logs
	resp *http.Response
	body []byte
	err  error // transport failure, including a lost response body
	// final marks an err that retrying cannot fix, such as a credential
	// that cannot produce a token.
	final bool
}

func (m *muteCall) run(ctx context.Context) (MuteParticipantResult, error) {
	c := m.client
	deadline := m.rep.firstSent.Add(RepeatabilityWindow - repeatabilityMargin)
	unknown := false
	var last error
	for attempt := 1; ; attempt++ {
		res := m.attempt(ctx)
		if res.err == nil && res.resp.StatusCode >= 200 && res.resp.StatusCode < 300 {
			c.logAttempt(ctx, attempt, res, 0)
			return m.success(attempt, res)
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			c.logAttempt(ctx, attempt, res, 0)
			return MuteParticipantResult{}, m.fail(attempt, unknown || res.err != nil, fmt.Errorf("%w (last attempt: %w)", ctxErr, lastCause(res, last)))
		}
		var retry bool
		switch {
		case res.err != nil && res.final:
			last = res.err
		case res.err != nil:
			last, retry, unknown = res.err, true, true
		case res.resp.StatusCode == http.StatusPreconditionFailed:
			c.logAttempt(ctx, attempt, res, 0)
			re := newResponseError(res.resp, res.body, false)
			return MuteParticipantResult{}, m.fail(attempt, true, fmt.Errorf("the repeatability window of request %s has passed: %w", m.rep.id, re))
		default:
			re := newResponseError(res.resp, res.body, len(res.body) > maxResponseBody)
			last, retry = re, retryableStatus(res.resp)
			if res.resp.StatusCode >= 500 || res.resp.StatusCode == http.StatusRequestTimeout {
				unknown = true
			}
		}
		if !retry || attempt > c.retry.MaxRetries {
			c.logAttempt(ctx, attempt, res, 0)
			return MuteParticipantResult{}, m.fail(attempt, unknown && retry, last)
		}
		now := time.Now()
		delay, ok := retryAfter(res.resp, now)
		if ok {
			delay = min(delay, c.retry.MaxRetryDelay)
		} else {
			delay = c.retry.backoff(attempt)
		}
		c.logAttempt(ctx, attempt, res, delay)
		if c.now().Add(delay).After(deadline) {
			return MuteParticipantResult{}, m.fail(attempt, unknown,
				fmt.Errorf("stopped retrying to stay inside the %v repeatability window: %w", RepeatabilityWindow, last))
		}
		if err := sleep(ctx, delay); err != nil {
			return MuteParticipantResult{}, m.fail(attempt, unknown, fmt.Errorf("%w (last attempt: %w)", err, last))
		}
	}
}

func lastCause(res attemptResult, last error) error {
	if res.err != nil {
		return res.err
	}
	if last != nil {
		return last
	}
	return errors.New("none failed")
}

// fail wraps the final cause with the attempt count and, when an attempt may
// have executed without a definite answer, ErrOutcomeUnknown.
func (m *muteCall) fail(attempts int, unknown bool, cause error) error {
	noun := "attempts"
	if attempts == 1 {
		noun = "attempt"
	}
	if unknown {
		return fmt.Errorf("acsmute: mute failed after %d %s: %w: %w", attempts, noun, ErrOutcomeUnknown, cause)
	}
	return fmt.Errorf("acsmute: mute failed after %d %s: %w", attempts, noun, cause)
}

// success decodes a 2xx answer.
func (m *muteCall) success(attempts int, res attemptResult) (MuteParticipantResult, error) {
	out := MuteParticipantResult{
		StatusCode:             res.resp.StatusCode,
		RepeatabilityRequestID: m.rep.id.String(),
		RepeatabilityFirstSent: m.rep.firstSent,
		Attempts:               attempts,
	}
	if len(res.body) > maxResponseBody {
		return out, fmt.Errorf("acsmute: the service answered %d but its body is larger than %d bytes; the participant is probably muted", res.resp.StatusCode, maxResponseBody)
	}
	if len(bytes.TrimSpace(res.body)) == 0 {
		return out, nil
	}
	if ct := res.resp.Header.Get("Content-Type"); !isJSON(ct) {
		return out, fmt.Errorf("acsmute: the service answered %d with Content-Type %q instead of JSON; the participant is probably muted", res.resp.StatusCode, ct)
	}
	var result gen.MuteParticipantsResult
	if err := json.Unmarshal(res.body, &result); err != nil {
		return out, fmt.Errorf("acsmute: the service answered %d with a body that is not a mute result (the participant is probably muted): %w", res.resp.StatusCode, err)
	}
	if result.OperationContext != nil {
		out.OperationContext = *result.OperationContext
	}
	return out, nil
}

// attempt sends the request once and reads the response, bounded.
func (m *muteCall) attempt(ctx context.Context) attemptResult {
	c := m.client
	if c.retry.TryTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.retry.TryTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url, bytes.NewReader(m.body))
	if err != nil {
		return attemptResult{err: fmt.Errorf("building the request: %w", err)}
	}
	var url string
	if c.logger != nil {
		url = redactedURL(req)
	}
	h := make(http.Header, len(fixedHeaders)+4)
	for i, name := range fixedHeaders {
		h[name] = m.fixed[i : i+1 : i+1]
	}
	req.Header = h
	if err := c.cred.authorize(ctx, req, m.bodyHash, c.now()); err != nil {
		return attemptResult{url: url, err: fmt.Errorf("authorizing the request: %w", err), final: true}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return attemptResult{url: url, err: err}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	_ = resp.Body.Close()
	if err != nil {
		return attemptResult{url: url, resp: resp, err: fmt.Errorf("reading the %d response: %w", resp.StatusCode, err)}
	}
	return attemptResult{url: url, resp: resp, body: body}
}

// logAttempt records one attempt on the configured logger.
func (c *Client) logAttempt(ctx context.Context, attempt int, res attemptResult, delay time.Duration) {
	if c.logger == nil {
		return
	}
	attrs := []slog.Attr{slog.Int("attempt", attempt), slog.String("method", http.MethodPost), slog.String("url", res.url)}
	level := slog.LevelInfo
	if res.resp != nil {
		attrs = append(attrs, slog.Int("status", res.resp.StatusCode))
		if res.resp.StatusCode >= 400 {
			level = slog.LevelWarn
		}
	}
	if res.err != nil {
		attrs = append(attrs, slog.String("error", res.err.Error()))
		level = slog.LevelWarn
	}
	if delay > 0 {
		attrs = append(attrs, slog.Duration("retry_in", delay))
	}
	c.logger.LogAttrs(ctx, level, "acsmute: mute attempt", attrs...)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// encodeMuteBody returns the JSON body of a mute request, built from the
// generated types.
func encodeMuteBody(participant Identifier, operationContext string) ([]byte, error) {
	reqBody := gen.MuteParticipantsRequest{TargetParticipants: []gen.CommunicationIdentifierModel{participant.model()}}
	if operationContext != "" {
		reqBody.OperationContext = &operationContext
	}
	return json.Marshal(reqBody)
}
