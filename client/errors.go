package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode"

	"github.com/acsmute/acsmute/gen"
)

// maxResponseBody bounds how much of a response body the client reads.
// The service's answers to a mute are tiny; anything near this is not one.
const maxResponseBody = 1 << 20

// ErrOutcomeUnknown is wrapped by errors returned when the client cannot tell
// whether the service muted the participant: the five-minute repeatability
// window passed (the service answers 412, or the client stopped retrying to
// stay inside the window) before a definite answer arrived. Check the call's
// state, or start a new logical request, before muting again.
var ErrOutcomeUnknown = errors.New("acsmute: outcome unknown")

// ResponseError is returned when the service answers with a status other than
// 200. Find it with errors.As:
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
	// bytes read (at most 1 MiB) are in RawBody. Its Request's Authorization
	// header is replaced by "REDACTED".
	RawResponse *http.Response
	// RawBody is the start of the response body, at most 1 MiB.
	RawBody []byte
}

// ErrorDetail is one error in a ResponseError's details or inner error.
type ErrorDetail struct {
	Code       string
	Message    string
	Target     string
	Details    []ErrorDetail
	InnerError *ErrorDetail
}

// Error describes the failure on one line: method, URL, status, code and message.
func (e *ResponseError) Error() string {
	var b strings.Builder
	b.WriteString("acsmute: ")
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
		b.WriteString(e.ErrorCode)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Target != "" {
		b.WriteString(" (target ")
		b.WriteString(e.Target)
		b.WriteByte(')')
	}
	return b.String()
}

// newResponseError builds a ResponseError from a response and the bytes of
// its body read so far. truncated means the body went on past the limit.
func newResponseError(resp *http.Response, body []byte, truncated bool) *ResponseError {
	if resp.Request != nil && resp.Request.Header.Get("Authorization") != "" {
		// Keep the request for inspection, but not its credentials.
		req := resp.Request.Clone(resp.Request.Context())
		req.Header.Set("Authorization", "REDACTED")
		copied := *resp
		copied.Request = req
		resp = &copied
	}
	e := &ResponseError{
		StatusCode:  resp.StatusCode,
		ErrorCode:   resp.Header.Get("x-ms-error-code"),
		RawResponse: resp,
		RawBody:     body[:min(len(body), maxResponseBody)],
	}
	switch {
	case truncated:
		e.Message = fmt.Sprintf("response body is larger than %d bytes; not decoded", maxResponseBody)
	case len(bytes.TrimSpace(body)) == 0:
		e.Message = "response has no body"
	case !isJSON(resp.Header.Get("Content-Type")) && !json.Valid(body):
		e.Message = fmt.Sprintf("response body is not JSON (Content-Type %q): %s", resp.Header.Get("Content-Type"), snippet(body))
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

// isJSON reports whether a Content-Type names JSON.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// snippet returns the start of a body as printable text for error messages.
func snippet(body []byte) string {
	const n = 200
	s := string(body)
	if len(s) > n {
		s = s[:n] + "..."
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, s)
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
