package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/acsmute/acsmute/gen"
	"github.com/acsmute/acsmute/openapi/wire"
)

// maxResponseBody bounds how much of a response body the client reads.
// The service's answers to a mute are tiny; anything near this is not one.
const maxResponseBody = 1 << 20

// ErrOutcomeUnknown is matched (with errors.Is) by the error of an
// operation that changes the call (MuteParticipant, HoldParticipant,
// UnholdParticipant, RemoveParticipant) when the client cannot tell whether
// the service carried it out:
//
//   - the service answered 412 (the repeatability window of the request had
//     passed, so the service no longer knows whether it executed it);
//   - an attempt may have reached the service without a definite answer (a
//     transport failure after the connection was made, such as a reset, a
//     lost or cut-short response or a per-attempt timeout; a 408 or 5xx
//     answer; or a 409 with a Repeatability-Result header, meaning an
//     earlier attempt is still in progress, or with the service's error
//     code RepeatabilityRequestInProgress), and then retries ran out, the
//     client stopped retrying to stay inside the repeatability window, the
//     call's context ended, or the last answer was one that speaks for the
//     attempt rather than the request (3xx, 401, 403, 407);
//   - after an attempt that may have executed, the answer was a 4xx that is
//     not the service's own (no Communication Services error body: a
//     gateway's page, a bare 404, a 431), which says nothing of the
//     operation; for HoldParticipant and UnholdParticipant, which carry no
//     repeatability headers, any 4xx after such an attempt, since the
//     service cannot tell their resend from a new request;
//   - the service answered a 2xx other than the operation's success (202
//     for RemoveParticipant, 200 for the others), or its success with a
//     body that is not the documented result (not JSON, JSON other than an
//     object, or more than 1 MiB).
//
// It is not matched when nothing was sent (bad input, a context that ended
// first, a credential that gave no token, a failed DNS lookup, connection or
// TLS handshake, a server that does not speak TLS, a failure inside
// net/http before it asked for a connection) or when the last answer was
// the service's verdict on the request (its success, or a 4xx with the
// service's error body, such as 400 or 404, to a request no earlier attempt
// of which may have executed, or to a mute or remove, whose attempts all
// carry the same Repeatability-Request-ID, so that the service answers a
// resent request as it answered the first).
//
// To resolve an unknown mute or remove, resend the same logical request:
// call the method again with the RepeatabilityRequestID and
// RepeatabilityFirstSent of the error (*MuteError, *ActionError), and for a
// remove its OperationContext, within ResendWindow (4m30s) of that
// first-sent time. The service then replays its first answer, or executes the request
// once if no earlier attempt reached it. To resolve an unknown hold or
// unhold, read the participant back (GetParticipant's IsOnHold), or call
// the method again: both set a state, so carrying one out twice leaves the
// participant as once.
var ErrOutcomeUnknown = errors.New("acsmute: outcome unknown")

// ErrCredential is matched (with errors.Is) by an error whose cause is the
// credential failing to give a token (a token provider's error, panic or
// time-out): nothing was sent. errors.Is also finds the provider's own
// error through it.
var ErrCredential = errors.New("acsmute: the credential gave no token")

// MuteError is the error MuteParticipant returns for every failure after it
// has accepted its input (input errors match ErrInvalidInput instead). It
// carries what a caller needs to resend the same logical request, and wraps
// the cause: errors.As finds a *ResponseError when the service answered,
// errors.Is finds ErrOutcomeUnknown when the outcome is unknown and
// context.Canceled or context.DeadlineExceeded when the call's context ended.
type MuteError struct {
	// RepeatabilityRequestID is the Repeatability-Request-ID of the request,
	// the same on every attempt.
	RepeatabilityRequestID string
	// RepeatabilityFirstSent is the Repeatability-First-Sent of the request,
	// in UTC and whole seconds.
	RepeatabilityFirstSent time.Time
	// Attempts is how many attempts were made, whether or not they reached
	// the service (a refused connection is an attempt too); 0 when the call
	// ended before the first one.
	Attempts int
	// Err is the cause: the last attempt's failure, or why the client
	// stopped.
	Err error

	unknown bool
}

// Error describes the failure on one line.
func (e *MuteError) Error() string {
	var b strings.Builder
	switch {
	case e.unknown:
		fmt.Fprintf(&b, "acsmute: mute outcome unknown after %d %s (resend with Repeatability-Request-ID %s and Repeatability-First-Sent %s before %s, %v after it, to resolve it)",
			e.Attempts, plural(e.Attempts, "attempt", "attempts"), e.RepeatabilityRequestID,
			e.RepeatabilityFirstSent.UTC().Format(http.TimeFormat), e.RepeatabilityFirstSent.Add(ResendWindow).UTC().Format(http.TimeFormat), ResendWindow)
	case e.Attempts == 0:
		b.WriteString("acsmute: mute not sent")
	default:
		fmt.Fprintf(&b, "acsmute: mute failed after %d %s", e.Attempts, plural(e.Attempts, "attempt", "attempts"))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause and, when the outcome is unknown,
// ErrOutcomeUnknown.
func (e *MuteError) Unwrap() []error {
	if e.unknown {
		return []error{ErrOutcomeUnknown, e.Err}
	}
	return []error{e.Err}
}

// ActionError is the error HoldParticipant, UnholdParticipant and
// RemoveParticipant return for every failure after they have accepted their
// input (input errors match ErrInvalidInput instead). It carries what a
// caller needs to settle the outcome, and wraps the cause: errors.As finds a
// *ResponseError when the service answered, errors.Is finds
// ErrOutcomeUnknown when the outcome is unknown and context.Canceled or
// context.DeadlineExceeded when the call's context ended.
type ActionError struct {
	// Action names the operation: "hold", "unhold" or "remove".
	Action string
	// OperationContext is the operationContext the request carried, ""
	// when none. A remove resent to settle an unknown outcome must carry the
	// same one.
	OperationContext string
	// RepeatabilityRequestID and RepeatabilityFirstSent (in UTC and whole
	// seconds) are the remove request's repeatability values, the same on
	// every attempt. Hold and unhold carry none: they are empty then.
	RepeatabilityRequestID string
	RepeatabilityFirstSent time.Time
	// Attempts is how many attempts were made, whether or not they reached
	// the service (a refused connection is an attempt too); 0 when the call
	// ended before the first one.
	Attempts int
	// Err is the cause: the last attempt's failure, or why the client
	// stopped.
	Err error

	unknown bool
}

// Error describes the failure on one line; an unknown outcome says how to
// settle it.
func (e *ActionError) Error() string {
	var b strings.Builder
	switch {
	case e.unknown && e.RepeatabilityRequestID != "":
		fmt.Fprintf(&b, "acsmute: %s outcome unknown after %d %s (resend with the same operation context, Repeatability-Request-ID %s and Repeatability-First-Sent %s before %s, %v after it, to resolve it)",
			e.Action, e.Attempts, plural(e.Attempts, "attempt", "attempts"), e.RepeatabilityRequestID,
			e.RepeatabilityFirstSent.UTC().Format(http.TimeFormat), e.RepeatabilityFirstSent.Add(ResendWindow).UTC().Format(http.TimeFormat), ResendWindow)
	case e.unknown:
		fmt.Fprintf(&b, "acsmute: %s outcome unknown after %d %s (read the participant back, or send it again: it sets a state, so sending it twice leaves the participant as once)",
			e.Action, e.Attempts, plural(e.Attempts, "attempt", "attempts"))
	case e.Attempts == 0:
		fmt.Fprintf(&b, "acsmute: %s not sent", e.Action)
	default:
		fmt.Fprintf(&b, "acsmute: %s failed after %d %s", e.Action, e.Attempts, plural(e.Attempts, "attempt", "attempts"))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause and, when the outcome is unknown,
// ErrOutcomeUnknown.
func (e *ActionError) Unwrap() []error {
	if e.unknown {
		return []error{ErrOutcomeUnknown, e.Err}
	}
	return []error{e.Err}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ResponseError is the cause of an operation's error when the service
// answered with a status other than the operation's success (202 for
// RemoveParticipant, 200 for every other); a 3xx is never followed. Find it
// with errors.As:
//
//	var re *client.ResponseError
//	if errors.As(err, &re) && re.StatusCode == http.StatusNotFound { ... }
type ResponseError struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// ErrorCode is the x-ms-error-code header, or else the body's error.code.
	ErrorCode string
	// Message is the body's error.message, or a description of a body that
	// could not be decoded.
	Message string
	// Target is the body's error.target, when present.
	Target string
	// Details are the body's error.details.
	Details []ErrorDetail
	// InnerError is the body's error.innererror, when present.
	InnerError *ErrorDetail
	// RawResponse is the response. Its Body has been read and closed; the
	// bytes read (at most 1 MiB) are in RawBody. Its Request is a copy whose
	// Authorization header is replaced by "REDACTED".
	RawResponse *http.Response
	// RawBody is the start of the response body, at most 1 MiB.
	RawBody []byte

	// fromService: the body is a Communication Services error (JSON with
	// an error code), the service's own answer rather than a gateway's.
	fromService bool
	// bodyCode is the body's error.code (ErrorCode prefers the header's).
	bodyCode string
}

// scrub replaces the secrets of the call (the credential it carried, among
// them) wherever the decoded answer echoed them: the fields decoded from the
// body (whose raw bytes the pipeline has scrubbed already), the headers, the
// trailers and the URL of the request kept with it.
func (e *ResponseError) scrub(r *redactor) {
	str := r.string
	e.ErrorCode, e.Message, e.Target, e.bodyCode = str(e.ErrorCode), str(e.Message), str(e.Target), str(e.bodyCode)
	var detail func(d *ErrorDetail)
	detail = func(d *ErrorDetail) {
		d.Code, d.Message, d.Target = str(d.Code), str(d.Message), str(d.Target)
		for i := range d.Details {
			detail(&d.Details[i])
		}
		if d.InnerError != nil {
			detail(d.InnerError)
		}
	}
	for i := range e.Details {
		detail(&e.Details[i])
	}
	if e.InnerError != nil {
		detail(e.InnerError)
	}
	if e.RawResponse != nil {
		for _, h := range []http.Header{e.RawResponse.Header, e.RawResponse.Trailer} {
			for k, vs := range h {
				for i := range vs {
					h[k][i] = str(vs[i])
				}
			}
		}
		if req := e.RawResponse.Request; req != nil && req.URL != nil {
			// The request is the error's own copy (newResponseError).
			u := *req.URL
			r.scrubURL(&u)
			req.URL = &u
			req.Host = str(req.Host)
		}
	}
}

// ErrorDetail is one error in a ResponseError's details or inner error.
type ErrorDetail struct {
	Code       string
	Message    string
	Target     string
	Details    []ErrorDetail
	InnerError *ErrorDetail
}

// Error describes the failure on one line: method, URL, status, code and
// message. The service's text is written with control and formatting
// characters replaced by spaces, so that it cannot break the line or forge
// another in a log or terminal, and cut short (the message at 1 KiB, the
// code and target at 256 bytes); the fields keep it whole.
func (e *ResponseError) Error() string {
	var b strings.Builder
	if e.RawResponse != nil && e.RawResponse.Request != nil {
		req := e.RawResponse.Request
		b.WriteString(req.Method)
		b.WriteByte(' ')
		b.WriteString(redactedURL(req))
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.ErrorCode != "" {
		b.WriteString(": ")
		b.WriteString(cut(printable(e.ErrorCode), 256))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(cut(printable(e.Message), 1024))
	}
	if e.Target != "" {
		b.WriteString(" (target ")
		b.WriteString(cut(printable(e.Target), 256))
		b.WriteByte(')')
	}
	return b.String()
}

// newResponseError builds a ResponseError from a response and the bytes of
// its body read so far. truncated means the body went on past the limit.
func newResponseError(resp *http.Response, body []byte, truncated bool) *ResponseError {
	if resp.Request != nil {
		// Keep the request for inspection, but not its credentials, nor
		// anything that leads back to the original.
		req := resp.Request.Clone(context.Background())
		if req.Header.Get(wire.HeaderAuthorization) != "" {
			req.Header.Set(wire.HeaderAuthorization, "REDACTED")
		}
		req.Response = nil
		req.Body, req.GetBody = nil, nil
		copied := *resp
		copied.Request = req
		resp = &copied
	}
	if resp.Body != nil {
		// The body was read and closed; dropping it lets go of the
		// connection behind it, whose buffers hold the raw request,
		// credential included.
		copied := *resp
		copied.Body = http.NoBody
		resp = &copied
	}
	e := &ResponseError{
		StatusCode:  resp.StatusCode,
		ErrorCode:   resp.Header.Get(wire.HeaderErrorCode),
		RawResponse: resp,
		RawBody:     body[:min(len(body), maxResponseBody)],
	}
	switch {
	case truncated:
		e.Message = fmt.Sprintf("response body is larger than %d bytes; not decoded", maxResponseBody)
	case len(bytes.TrimSpace(body)) == 0:
		e.Message = "response has no body"
	case !isJSON(resp.Header.Get(wire.HeaderContentType)) && !json.Valid(body):
		e.Message = fmt.Sprintf("response body is not JSON (Content-Type %q): %s", resp.Header.Get(wire.HeaderContentType), snippet(body))
	default:
		var env gen.CommunicationErrorResponse
		err := json.Unmarshal(body, &env)
		var typeErr *json.UnmarshalTypeError
		if err != nil && !errors.As(err, &typeErr) {
			e.Message = fmt.Sprintf("response body is not a Communication Services error (%v): %s", err, snippet(body))
			break
		}
		// A field of an unexpected type leaves the others decoded; use them.
		d := detailFrom(&env.Error)
		e.fromService = err == nil && d.Code != "" && isJSON(resp.Header.Get(wire.HeaderContentType))
		e.bodyCode = d.Code
		if e.ErrorCode == "" {
			e.ErrorCode = d.Code
		}
		e.Message, e.Target, e.Details, e.InnerError = d.Message, d.Target, d.Details, d.InnerError
		if e.Message == "" && e.ErrorCode == "" {
			e.Message = "response body is not a Communication Services error: " + snippet(body)
		}
	}
	return e
}

// detailFrom converts the generated error model, bounding recursion depth.
func detailFrom(ce *gen.CommunicationError) ErrorDetail {
	return detailFromDepth(ce, 0)
}

func detailFromDepth(ce *gen.CommunicationError, depth int) ErrorDetail {
	d := ErrorDetail{Code: ce.Code, Message: ce.Message}
	if ce.Target != nil {
		d.Target = *ce.Target
	}
	if depth >= 8 {
		return d
	}
	if ce.Details != nil {
		for i := range *ce.Details {
			d.Details = append(d.Details, detailFromDepth(&(*ce.Details)[i], depth+1))
		}
	}
	if ce.Innererror != nil {
		in := detailFromDepth(ce.Innererror, depth+1)
		d.InnerError = &in
	}
	return d
}

// isJSON reports whether a Content-Type names JSON: application/json or a
// */*+json type, in any case, with any parameters.
func isJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.TrimSpace(mt)
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok || typ == "" || strings.ContainsAny(sub, "/ \t") {
		return false
	}
	return strings.EqualFold(mt, "application/json") || (len(sub) > 5 && strings.EqualFold(sub[len(sub)-5:], "+json"))
}

// snippet returns the start of a body as printable text for error messages.
func snippet(body []byte) string {
	const n = 200
	s := string(body)
	if len(s) > n {
		s = s[:n] + "..."
	}
	return printable(s)
}

// redactedURL returns the request URL without its query, which is all this
// client ever sends there besides the API version.
func redactedURL(req *http.Request) string {
	if req.URL == nil {
		return ""
	}
	u := *req.URL
	u.User = nil
	u.RawQuery = ""
	u.ForceQuery = false
	return u.String()
}
