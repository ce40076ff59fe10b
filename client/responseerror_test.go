package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/acsmute/acsmute/client"
)

// A refusal becomes a *ResponseError read from what the server sent: the
// error body, the x-ms-error-code header, or a note on a body that is not
// one, within the client's bounds.
func TestResponseErrorDecoding(t *testing.T) {
	big := strings.Repeat("x", 2<<20)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    client.ResponseError
		mention string
	}{
		{
			name: "JSON error body",
			handler: answer(404, `{"error":{"code":"8522","message":"Call not found.","target":"callConnectionId",
				"details":[{"code":"d1","message":"first"}],"innererror":{"code":"inner","message":"deeper"}}}`),
			want: client.ResponseError{StatusCode: 404, ErrorCode: "8522", Message: "Call not found.", Target: "callConnectionId",
				Details: []client.ErrorDetail{{Code: "d1", Message: "first"}}, InnerError: &client.ErrorDetail{Code: "inner", Message: "deeper"}},
			mention: "404 Not Found: 8522: Call not found. (target callConnectionId)",
		},
		{
			name:    "x-ms-error-code header wins",
			handler: answer(400, `{"error":{"code":"BodyCode","message":"Bad participant."}}`, "x-ms-error-code", "HeaderCode"),
			want:    client.ResponseError{StatusCode: 400, ErrorCode: "HeaderCode", Message: "Bad participant."},
			mention: "400 Bad Request: HeaderCode: Bad participant.",
		},
		{
			name: "HTML body",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(403)
				io.WriteString(w, "<html><body>Forbidden\x01</body></html>")
			},
			want:    client.ResponseError{StatusCode: 403},
			mention: `not JSON (Content-Type "text/html"): <html><body>Forbidden </body></html>`,
		},
		{
			name:    "JSON of another shape",
			handler: answer(400, `["not", "an", "error"]`),
			want:    client.ResponseError{StatusCode: 400},
			mention: "not a Communication Services error",
		},
		{
			name:    "empty body",
			handler: answer(401, ``, "x-ms-error-code", "Denied"),
			want:    client.ResponseError{StatusCode: 401, ErrorCode: "Denied"},
			mention: "401 Unauthorized: Denied: response has no body",
		},
		{
			name:    "oversized body",
			handler: answer(400, `{"error":{"code":"x","message":"`+big+`"}}`),
			want:    client.ResponseError{StatusCode: 400},
			mention: "larger than 1048576 bytes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, tt.handler)
			c := newKeyClient(t, srv.URL, nil)
			_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
			var re *client.ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *ResponseError", err)
			}
			if re.StatusCode != tt.want.StatusCode || re.ErrorCode != tt.want.ErrorCode || re.Target != tt.want.Target {
				t.Errorf("got status=%d code=%q target=%q, want %+v", re.StatusCode, re.ErrorCode, re.Target, tt.want)
			}
			if tt.want.Message != "" && re.Message != tt.want.Message {
				t.Errorf("message = %q, want %q", re.Message, tt.want.Message)
			}
			if tt.want.Details != nil && (len(re.Details) != 1 || re.Details[0].Code != "d1" || re.Details[0].Message != "first") {
				t.Errorf("details = %+v", re.Details)
			}
			if tt.want.InnerError != nil && (re.InnerError == nil || re.InnerError.Code != tt.want.InnerError.Code || re.InnerError.Message != tt.want.InnerError.Message) {
				t.Errorf("inner error = %+v", re.InnerError)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
			if len(err.Error()) > 2000 {
				t.Errorf("error message is %d bytes long", len(err.Error()))
			}
			if len(re.RawBody) > 1<<20 {
				t.Errorf("read %d bytes of body", len(re.RawBody))
			}
			if re.RawResponse == nil || re.RawResponse.StatusCode != tt.want.StatusCode {
				t.Error("RawResponse missing")
			}
			if n := len(srv.seen()); n != 1 {
				t.Errorf("%d attempts for a non-retryable status", n)
			}
		})
	}
}

// ResponseError describes itself without its response, and with a request
// that has no URL.
func TestResponseErrorWithoutResponse(t *testing.T) {
	e := &client.ResponseError{StatusCode: 404, ErrorCode: "CallNotFound", Message: "gone"}
	if got := e.Error(); got != "404 Not Found: CallNotFound: gone" {
		t.Errorf("Error() = %q", got)
	}
	e.RawResponse = &http.Response{Request: &http.Request{Method: "POST"}}
	if got := e.Error(); got != "POST : 404 Not Found: CallNotFound: gone" {
		t.Errorf("Error() = %q", got)
	}
}

// Nested inner errors are decoded eight levels deep and no deeper; a
// non-JSON body is quoted up to 200 characters.
func TestResponseErrorDepthAndSnippet(t *testing.T) {
	re := nestedErrorAnswer(t, `{"code":"L%d","message":"m","innererror":%s,"details":[{"code":"D","message":"d"}]}`)
	depth := 0
	for d := re.InnerError; d != nil; d = d.InnerError {
		depth++
	}
	if depth != 8 {
		t.Errorf("inner errors decoded %d levels deep, want 8", depth)
	}

	for _, tt := range []struct {
		size     int
		ellipsis bool
	}{{200, false}, {201, true}} {
		srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(500)
			w.Write([]byte(strings.Repeat("z", tt.size)))
		})
		_, err := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: -1}}).MuteParticipant(context.Background(), "call", acsUser, nil)
		if !errors.As(err, &re) || strings.HasSuffix(re.Message, "...") != tt.ellipsis {
			t.Errorf("%d-byte body: message %q", tt.size, re.Message)
		}
	}
}

// Error details nested in details are decoded eight levels deep too.
func TestResponseErrorNestedDetails(t *testing.T) {
	re := nestedErrorAnswer(t, `{"code":"L%d","message":"m","details":[%s]}`)
	depth := 0
	for d := re.Details; len(d) > 0; d = d[0].Details {
		depth++
	}
	if depth != 8 {
		t.Errorf("details decoded %d levels deep, want 8", depth)
	}
}

// A ResponseError's message of exactly 1,024 bytes is shown whole; one byte
// more is cut and marked.
func TestResponseErrorMessageCutAt1024(t *testing.T) {
	for _, n := range []int{1024, 1025} {
		msg := strings.Repeat("m", n)
		srv := newRecorder(t, answer(400, `{"error":{"code":"Bad","message":"`+msg+`"}}`))
		_, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call-1", acsUser, nil)
		if err == nil || strings.Contains(err.Error(), msg) != (n == 1024) || strings.Contains(err.Error(), strings.Repeat("m", 1024)+"...") != (n == 1025) {
			t.Errorf("a %d-byte message: %.80s...", n, err)
		}
	}
}

// A message cut where a character spans the limit is cut before that
// character, never inside it.
func TestResponseErrorMessageCutOnACharacter(t *testing.T) {
	msg := strings.Repeat("m", 1023) + "é" + "tail"
	srv := newRecorder(t, answer(400, `{"error":{"code":"Bad","message":"`+msg+`"}}`))
	_, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call-1", acsUser, nil)
	if err == nil || !strings.Contains(err.Error(), strings.Repeat("m", 1023)+"...") || !utf8.ValidString(err.Error()) || strings.Contains(err.Error(), "\ufffd") {
		t.Errorf("%q", err)
	}
}

// DEL, and a message made only of characters beyond ASCII that are not
// printable, reach no error raw.
func TestUnprintableMessagesAreSpaced(t *testing.T) {
	for msg, want := range map[string]string{
		"a\x7fb":       "a b",
		"\u0085\u202e": "Bad:   ",
	} {
		body, _ := json.Marshal(map[string]any{"error": map[string]any{"code": "Bad", "message": msg}})
		srv := newRecorder(t, answer(400, string(body)))
		_, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call-1", acsUser, nil)
		if err == nil || strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), want) {
			t.Errorf("message %q: %q", msg, err)
		}
	}
}

// nestedErrorAnswer answers a mute with a 400 whose error nests twelve
// levels deep, level i written by layout from i and the level below, and
// returns the ResponseError the client made of it.
func nestedErrorAnswer(t *testing.T, layout string) *client.ResponseError {
	t.Helper()
	inner := `{"code":"L12","message":"m"}`
	for i := 11; i >= 0; i-- {
		inner = fmt.Sprintf(layout, i, inner)
	}
	srv := newRecorder(t, answer(400, `{"error":`+inner+`}`))
	_, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, nil)
	var re *client.ResponseError
	if !errors.As(err, &re) {
		t.Fatal(err)
	}
	return re
}
