package client_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/acsmute/acsmute/client"
)

// A 500 is a server error whatever its Repeatability-Result says: after an
// attempt that may have executed it is retried, not read as the
// repeatability layer refusing the resend (that is a 4xx).
func TestServerErrorSayingRejectedIsRetried(t *testing.T) {
	drop := func(w http.ResponseWriter, _ *http.Request) {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			_ = conn.Close()
		}
	}
	srv := newRecorder(t, drop,
		answer(500, `{"error":{"code":"InternalServerError","message":"try again"}}`, "Repeatability-Result", "rejected"),
		answer(200, `{"operationContext":"ctx"}`))
	c := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: fastRetry})
	res, err := c.MuteParticipant(context.Background(), "call-1", acsUser, nil)
	if err != nil || res.Attempts != 3 {
		t.Errorf("MuteParticipant = %+v, %v; want success on the third attempt", res, err)
	}
}

// MuteParticipants reports input that concerns the whole batch (the call
// connection ID, the operation context) for every participant, a bad one
// among them too, and sends nothing.
func TestMuteParticipantsBatchInputFirst(t *testing.T) {
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, nil)
	bad := client.CommunicationUserIdentifier{ID: "not a raw ID"}
	for _, tt := range []struct {
		call, opContext, mention string
	}{
		{"", "", "call connection ID"},
		{"call-1", strings.Repeat("x", 5001), "OperationContext"},
	} {
		outs := c.MuteParticipants(context.Background(), tt.call, []client.Identifier{acsUser, bad}, &client.MuteParticipantsOptions{OperationContext: tt.opContext})
		for i, o := range outs {
			if !errors.Is(o.Err, client.ErrInvalidInput) || !strings.Contains(o.Err.Error(), tt.mention) {
				t.Errorf("%q, %d-byte context: outcome %d: %v, want an error naming the %s", tt.call, len(tt.opContext), i, o.Err, tt.mention)
			}
		}
	}
	if n := len(srv.seen()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// A connection string that is nothing but a pair of quotes is told to lose
// them, as a quoted one is.
func TestConnectionStringOfTwoQuotes(t *testing.T) {
	for _, s := range []string{`""`, `''`, "``"} {
		if _, err := client.ParseConnectionString(s); err == nil || !strings.Contains(err.Error(), "quotes") {
			t.Errorf("ParseConnectionString(%s) = %v, want an error about quotes", s, err)
		}
	}
}

// URL options at their bounds: 2,048 bytes, ports 1 and 65535.
func TestURLOptionBoundsExactly(t *testing.T) {
	srv := newRecorder(t, answer(200, `{}`))
	c := newKeyClient(t, srv.URL, nil)
	base := "https://files.test/hold.wav?pad="
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{base + strings.Repeat("p", 2048-len(base)), true},
		{base + strings.Repeat("p", 2049-len(base)), false},
		{"https://files.test:1/hold.wav", true},
		{"https://files.test:65535/hold.wav", true},
		{"https://files.test:0/hold.wav", false},
		{"https://files.test:65536/hold.wav", false},
	} {
		_, err := c.HoldParticipant(context.Background(), "call-1", acsUser, &client.HoldParticipantOptions{PlayFileURL: tt.url})
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, client.ErrInvalidInput)) {
			t.Errorf("PlayFileURL of %d bytes (%.40s): %v", len(tt.url), tt.url, err)
		}
	}
}

// A server that quotes the access key itself gets it scrubbed.
func TestEchoedAccessKeyIsScrubbed(t *testing.T) {
	key, _ := base64.StdEncoding.DecodeString(fakeKey)
	srv := newRecorder(t, answer(400, `{"error":{"code":"Bad","message":"your key is `+fakeKey+`"}}`, "x-ms-key", base64.StdEncoding.EncodeToString(key)))
	_, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call-1", acsUser, nil)
	if err == nil || strings.Contains(err.Error(), fakeKey) || !strings.Contains(err.Error(), "your key is") {
		t.Errorf("MuteParticipant = %v", err)
	}
}

// A request refused before any attempt (first sent too long ago) says
// nothing of an unreachable endpoint.
func TestNoAttemptIsNotUnreachable(t *testing.T) {
	srv := newRecorder(t)
	_, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call-1", acsUser, &client.MuteParticipantOptions{
		RepeatabilityRequestID: "0f0e0d0c-0b0a-4908-8706-050403020100", RepeatabilityFirstSent: time.Now().Add(-10 * time.Minute)})
	if !errors.Is(err, client.ErrOutcomeUnknown) || strings.Contains(err.Error(), "check the endpoint") || len(srv.seen()) != 0 {
		t.Errorf("MuteParticipant = %v after %d requests", err, len(srv.seen()))
	}
}

// Options with MaxPages left at zero list every page, as nil options do.
func TestListZeroMaxPagesIsTheDefault(t *testing.T) {
	for _, opts := range []*client.ListParticipantsOptions{nil, {}} {
		srv := newRecorder(t,
			answer(200, `{"value":[{"identifier":{"rawId":"8:acs:r_1"},"isMuted":false}],"nextLink":"/calling/callConnections/call/participants?after=1"}`),
			answer(200, `{"value":[{"identifier":{"rawId":"8:acs:r_2"},"isMuted":true}]}`))
		var got []string
		for p, err := range newKeyClient(t, srv.URL, nil).ListParticipants(context.Background(), "call", opts) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, p.Identifier.RawID())
		}
		if len(got) != 2 {
			t.Errorf("%+v: listed %v", opts, got)
		}
	}
}

// The scrubber at its bounds: a secret of 19 bytes is searched by its
// grams (a 15-byte run of it is found, not only the whole), a secret of 8
// bytes whole (at the end of a text too), the last gram of a secret whose
// length is a multiple of the gram length is searched, and a text of one
// gram's length is searched.
func TestScrubAtItsBounds(t *testing.T) {
	const s8, s19, s20 = "abcdefgh", "0123456789abcdefghi", "ABCDEFGHIJKLMNOPQRST"
	const sx = "QRSTUVWXYZqrstuvwxyz" // no hex digit in it
	for _, tt := range []struct{ text, secret, want string }{
		{s19[:15], s19, "REDACTED"},
		{"xx" + s8, s8, "xxREDACTED"},
		{s8 + "xx", s8, "REDACTEDxx"},
		{s20[1:], s20, "REDACTED"},
		{s20[:10], s20, "REDACTED"},
		{s20[10:], s20, "REDACTED"},
		{"x" + s20 + "y", s20, "xREDACTEDy"},
		{"x" + s19 + "y", s19, "xREDACTEDy"},
		// Split by DEL, and by an invisible character written as a JSON
		// surrogate pair (U+E0001); a pair cut short at the end.
		{s20[:10] + "\x7f" + s20[10:], s20, "REDACTED"},
		{sx[:10] + `\uDB40\uDC01` + sx[10:], sx, "REDACTED"},
		{s20 + `\uDB40\uDC0`, s20, `REDACTED\uDB40\uDC0`},
		// What reads as nothing joins (a zero-width space, a byte that is
		// not UTF-8); a visible U+FFFD splits; escapes are read and
		// replaced whole.
		{"x" + s20[:10] + "\u200b" + s20[10:] + "y", s20, "xREDACTEDy"},
		{"x" + s20[:10] + "\xff" + s20[10:] + "y", s20, "xREDACTEDy"},
		{"x" + s20[:10] + "\ufffd" + s20[10:] + "y", s20, "xREDACTED\ufffdREDACTEDy"},
		{"é" + s20 + "é", s20, "éREDACTEDé"},
		// A backslash and u before four characters that are not all hex
		// digits is no escape.
		{`0\u004XABCDEFGHIJKLMN`, `0\u004XABCDEFGHIJKLMN`, "REDACTED"},
		// Percent escapes with every bounding hex digit, in either case.
		{"ABCDEFGHIJKLMN%4fPQRST", s20, "REDACTED"},
		{"ABCDEFGHIJKLMN%4FPQRST", s20, "REDACTED"},
		{"ABCDEFGHI%4aKLMNOPQRST", s20, "REDACTED"},
		{"ABCDEFGHI%4AKLMNOPQRST", s20, "REDACTED"},
		{"%30123456789abcdefghi", s19, "REDACTED"},
		{"012345678%39abcdefghi", s19, "REDACTED"},
		{"x" + `ABCDEFGHIJ\/KLMNOPQRS` + "y", "ABCDEFGHIJ/KLMNOPQRS", "xREDACTEDy"},
		{"x" + `ABCDEFGHIJKLMNOPQRS\/` + "y", "ABCDEFGHIJKLMNOPQRS/", "xREDACTEDy"},
		{"x" + `\u0041BCDEFGHIJKLMNOPQRS\u0054` + "y", s20, "xREDACTEDy"},
	} {
		if got := client.Scrub(tt.text, tt.secret); got != tt.want {
			t.Errorf("Scrub(%q, %q) = %q, want %q", tt.text, tt.secret, got, tt.want)
		}
	}
}

// A Content-Length of a tebibyte is not believed: the client reads what
// the connection holds, within its bound, and does not allocate what the
// header claims.
func TestHugeContentLengthIsNotAllocated(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1099511627776\r\n\r\n{}")
		_ = buf.Flush()
		_ = conn.Close()
	})
	_, err := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: -1}}).MuteParticipant(context.Background(), "call-1", acsUser, nil)
	if err == nil {
		t.Error("a body cut short of its Content-Length read as a success")
	}
}

// Secrets found out of order, and next to each other, are each replaced:
// the spans are sorted and merged.
func TestScrubSeveralSecrets(t *testing.T) {
	for text, want := range map[string]string{
		"abcdefgh-12345678": "REDACTED-REDACTED",
		"abcdefgh12345678":  "REDACTED",
		"12345678abcdefgh":  "REDACTED",
	} {
		if got := client.Scrub(text, "12345678", "abcdefgh"); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", text, got, want)
		}
	}
}

// Secrets of exactly 8 bytes (the shortest kept) are scrubbed: an access
// key held by the client and a value in a URL's query.
func TestEightByteSecretsAreScrubbed(t *testing.T) {
	const key, sig = "YWJjZGVm", "s1g4b2c9"
	srv := newRecorder(t, answer(400, `{"error":{"code":"Bad","message":"echo `+key+` and `+sig+`"}}`))
	c, err := client.NewClientFromConnectionString("endpoint="+srv.URL+";accesskey="+key, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.HoldParticipant(context.Background(), "call-1", acsUser, &client.HoldParticipantOptions{PlayFileURL: "https://files.test/a.wav?x=1&sig=" + sig})
	if err == nil || strings.Contains(err.Error(), key) || strings.Contains(err.Error(), sig) || !strings.Contains(err.Error(), "echo") {
		t.Errorf("HoldParticipant = %v", err)
	}
}

// A token from a provider, which the client does not hold between calls,
// is scrubbed from what a server echoes as a held one is.
func TestEchoedProviderTokenIsScrubbed(t *testing.T) {
	const token = "provider-token-0123456789abcdef"
	srv := newRecorder(t, answer(400, `{"error":{"code":"Bad","message":"you sent `+token+`"}}`))
	cred, err := client.NewTokenCredential(client.TokenProviderFunc(func(context.Context) (client.AccessToken, error) {
		return client.NewAccessToken(token, time.Now().Add(time.Hour)), nil
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewClient(srv.URL, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.MuteParticipant(context.Background(), "call-1", acsUser, nil)
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "you sent") {
		t.Errorf("MuteParticipant = %v", err)
	}
	// In a success's body too.
	srv = newRecorder(t, answer(200, `{"operationContext":"`+token+`"}`))
	if c, err = client.NewClient(srv.URL, cred, nil); err != nil {
		t.Fatal(err)
	}
	res, err := c.MuteParticipant(context.Background(), "call-1", acsUser, nil)
	if err != nil || strings.Contains(res.OperationContext, token) {
		t.Errorf("MuteParticipant = %+v, %v", res, err)
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

// A token may hold every visible ASCII character, '!' and '~' included; a
// space, a control character or DEL are refused.
func TestStaticTokenCharacters(t *testing.T) {
	for token, ok := range map[string]bool{"!tok~en!": true, "tok en": false, "tok\x7fen": false, "tok\x1fen": false} {
		if _, err := client.NewStaticTokenCredential(token); (err == nil) != ok {
			t.Errorf("NewStaticTokenCredential(%q) = %v", token, err)
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
