package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/acsmute/acsmute/client"
)

// echoToken is a bearer token shaped like a JWT (base64url parts), long
// enough that a quote cut at 64 bytes holds only part of it.
const echoToken = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJmYWtlIjoidG9rZW4ifQ.ZmFrZS1zaWduYXR1cmUtZm9yLXRlc3Rz"

// echoServer answers with whatever its handler makes of the credential each
// request carried (the bearer token, or the HMAC signature), and keeps every
// credential it saw.
type echoServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newEchoServer(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, secret string)) *echoServer {
	t.Helper()
	s := &echoServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		secret := strings.TrimPrefix(auth, "Bearer ")
		if _, sig, ok := strings.Cut(auth, "Signature="); ok {
			secret = sig
		}
		s.mu.Lock()
		s.seen = append(s.seen, secret)
		s.mu.Unlock()
		handler(w, r, secret)
	}))
	t.Cleanup(s.Close)
	return s
}

// forms lists how a secret may be written: as it is, path- and
// query-escaped, and JSON-escaped.
func forms(secret string) []string {
	out := []string{secret, url.PathEscape(secret), url.QueryEscape(secret)}
	j, _ := json.Marshal(secret)
	out = append(out, strings.Trim(string(j), `"`), strings.ReplaceAll(secret, "/", `\/`))
	return out
}

// echoClients returns a client with an access key and one with a bearer
// token, both of srv and logging to logs.
func echoClients(t *testing.T, srv string, logs *bytes.Buffer) map[string]*client.Client {
	t.Helper()
	opts := &client.ClientOptions{
		Retry:  client.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	key := newKeyClient(t, srv, opts)
	cred, err := client.NewStaticTokenCredential(echoToken)
	if err != nil {
		t.Fatal(err)
	}
	bearer, err := client.NewClient(srv, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*client.Client{"access key": key, "bearer": bearer}
}

// assertNoSecret fails when text holds any form of any secret the server
// saw, or the client's key or token.
func (s *echoServer) assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	s.mu.Lock()
	secrets := append([]string{fakeKey, echoToken}, s.seen...)
	s.mu.Unlock()
	for _, secret := range secrets {
		for _, f := range forms(secret) {
			if len(f) >= 8 && strings.Contains(text, f) {
				t.Errorf("%s holds a credential (%.12s...): %s", what, f, text)
				return
			}
		}
		// Nor a part of one, as a quote cut short would hold.
		for i := 0; i+20 <= len(secret); i++ {
			if strings.Contains(text, secret[i:i+20]) {
				t.Errorf("%s holds part of a credential (%.12s...): %s", what, secret[i:i+20], text)
				return
			}
		}
	}
}

// errorTexts is every way a caller may print err.
func errorTexts(err error) string {
	out := fmt.Sprintf("%v\n%+v\n%s\n%q", err, err, err, err)
	var re *client.ResponseError
	if errors.As(err, &re) {
		out += fmt.Sprintf("\n%s %s %s %v", re.Message, re.ErrorCode, re.RawBody, re.RawResponse.Header)
		if re.RawResponse.Request != nil {
			out += "\n" + re.RawResponse.Request.URL.String() + " " + re.RawResponse.Request.Host
		}
	}
	return out
}

// A credential echoed inside a 200 answer (a participant's rawId or nested
// id, a Content-Type, a nextLink's host, a participant of a page) reaches no
// error or log line, for mute, get and list, with an access key and with a
// bearer token.
func TestEchoedCredentialInSuccessAnswers(t *testing.T) {
	type scenario struct {
		name    string
		answer  func(w http.ResponseWriter, r *http.Request, secret string)
		call    func(c *client.Client) error
		wantErr string
	}
	get := func(c *client.Client) error {
		_, err := c.GetParticipant(context.Background(), "call", acsUser, nil)
		return err
	}
	mute := func(c *client.Client) error {
		_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
		return err
	}
	list := func(c *client.Client) error {
		for _, err := range c.ListParticipants(context.Background(), "call", nil) {
			if err != nil {
				return err
			}
		}
		return nil
	}
	participant := func(identifier string) string {
		return `{"identifier":` + identifier + `,"isMuted":true}`
	}
	jsonString := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	scenarios := []scenario{
		{"get: rawId holds it", func(w http.ResponseWriter, _ *http.Request, secret string) {
			answer(200, participant(`{"rawId":`+jsonString("8:acs:"+secret)+`}`))(w, nil)
		}, get, "holds the credential"},
		{"get: rawId and nested id disagree", func(w http.ResponseWriter, r *http.Request, secret string) {
			// Escaped so that the body does not give it away.
			id := "8:acs:" + escapeEveryLetter(secret)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, participant(`{"rawId":"8:acs:r_u","communicationUser":{"id":"`+id+`"}}`))
		}, get, "holds the credential"},
		{"get: another participant, escaped to slip past a byte scan", func(w http.ResponseWriter, _ *http.Request, secret string) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, participant(`{"rawId":"8:acs:`+escapeEveryLetter(secret)+`"}`))
		}, get, "holds the credential"},
		{"mute: Content-Type", func(w http.ResponseWriter, _ *http.Request, secret string) {
			w.Header().Set("Content-Type", "text/"+secret)
			fmt.Fprint(w, "muted")
		}, mute, "instead of JSON"},
		{"list: a participant of the page", func(w http.ResponseWriter, _ *http.Request, secret string) {
			answer(200, `{"value":[`+participant(`{"rawId":`+jsonString("8:acs:"+secret)+`}`)+`]}`)(w, nil)
		}, list, "holds the credential"},
		{"list: nextLink host", func(w http.ResponseWriter, _ *http.Request, secret string) {
			// Escaped so that the body does not give it away: the host
			// the client quotes is the credential once decoded.
			answer(200, `{"value":[],"nextLink":"https://`+escapeEveryLetter(secret)+`.example/next"}`)(w, nil)
		}, list, "holds the credential"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			srv := newEchoServer(t, sc.answer)
			var logs bytes.Buffer
			for name, c := range echoClients(t, srv.URL, &logs) {
				err := sc.call(c)
				if err == nil || !strings.Contains(err.Error(), sc.wantErr) {
					t.Errorf("%s: error = %v, want one saying %q", name, err, sc.wantErr)
					continue
				}
				srv.assertNoSecret(t, name+" error", errorTexts(err))
			}
			srv.assertNoSecret(t, "log", logs.String())
		})
	}
}

// percentEveryByte percent-encodes every byte of s.
func percentEveryByte(s string) string {
	var b strings.Builder
	for i := range len(s) {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// escapeEveryLetter writes s as a JSON string body with every letter as a
// \u escape: the same string once decoded, no form the client writes.
func escapeEveryLetter(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// A mute's success that echoes the credential in its operationContext is a
// success, without the credential in the result.
func TestEchoedCredentialInMuteResult(t *testing.T) {
	srv := newEchoServer(t, func(w http.ResponseWriter, _ *http.Request, secret string) {
		answer(200, `{"operationContext":"ctx `+secret+`"}`)(w, nil)
	})
	var logs bytes.Buffer
	for name, c := range echoClients(t, srv.URL, &logs) {
		res, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		srv.assertNoSecret(t, name+" result", fmt.Sprintf("%+v", res))
		if !strings.HasPrefix(res.OperationContext, "ctx ") {
			t.Errorf("%s: operationContext %q", name, res.OperationContext)
		}
	}
}

// A nextLink whose path carries the credential the page's request carried
// (path-escaped, as an HMAC signature's "/" must be), written so that the
// page's body does not give it away (escaped twice), shows up neither in
// the Logger's url= nor in the next page's ResponseError, nor in its
// request.
func TestNextLinkPathWithCredential(t *testing.T) {
	srv := newEchoServer(t, func(w http.ResponseWriter, r *http.Request, secret string) {
		if strings.Contains(r.URL.Path, "/next/") {
			answer(404, `{"error":{"code":"NotFound","message":"no page"}}`)(w, r)
			return
		}
		// Escaped twice so that the body does not give it away: the path
		// the client sends holds it escaped once.
		link := "/next/" + percentEveryByte(percentEveryByte(secret)) + "/p?t=" + percentEveryByte(percentEveryByte(secret))
		answer(200, `{"value":[],"nextLink":"`+link+`"}`)(w, r)
	})
	var logs bytes.Buffer
	for name, c := range echoClients(t, srv.URL, &logs) {
		var err error
		for _, e := range c.ListParticipants(context.Background(), "call", nil) {
			err = e
		}
		var re *client.ResponseError
		if !errors.As(err, &re) || re.StatusCode != 404 {
			t.Fatalf("%s: error = %v, want the next page's 404", name, err)
		}
		if !strings.Contains(err.Error(), "/next/REDACTED/p") {
			t.Errorf("%s: error = %v, want the path with the credential replaced", name, err)
		}
		srv.assertNoSecret(t, name+" error", errorTexts(err))
	}
	if !strings.Contains(logs.String(), "/next/REDACTED/p") {
		t.Errorf("logs = %s", logs.String())
	}
	srv.assertNoSecret(t, "log", logs.String())
}

// Each page carries exactly one api-version, the client's, however the
// nextLink spells the name of the one it smuggles in: percent-encoded, in
// another case, with letters that upper-case to ASCII ones.
func TestNextLinkCannotSmuggleAPIVersion(t *testing.T) {
	for _, spelled := range []string{"api%2Dversion", "api-versio%6E", "%61pi-version", "API-VERSION", "Api-Version", "ap%C4%B1-version", "api-ver%C5%BFion",
		"ap%C4%B0-version", "AP%C4%B0-VERSION", "%EF%BD%81%EF%BD%90%EF%BD%89-version", "api%EF%BC%8Dversion", "api-version+", "api-version%20",
		"api-version%00", "api-version%09", "%E2%80%8Bapi-version"} {
		t.Run(spelled, func(t *testing.T) {
			var mu sync.Mutex
			var queries []url.Values
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				queries = append(queries, r.URL.Query())
				n := len(queries)
				mu.Unlock()
				if n == 1 {
					answer(200, `{"value":[],"nextLink":"/calling/callConnections/call/participants?`+spelled+`=2023-10-03-preview&skip=1"}`)(w, r)
					return
				}
				answer(200, `{"value":[]}`)(w, r)
			}))
			defer srv.Close()
			c := newKeyClient(t, srv.URL, nil)
			for _, err := range c.ListParticipants(context.Background(), "call", nil) {
				if err != nil {
					t.Fatal(err)
				}
			}
			if len(queries) != 2 {
				t.Fatalf("%d pages fetched", len(queries))
			}
			var versions []string
			for name, vs := range queries[1] {
				if strings.EqualFold(name, "api-version") || strings.ToUpper(name) == "API-VERSION" {
					versions = append(versions, vs...)
				}
			}
			if len(versions) != 1 || versions[0] != client.APIVersion {
				t.Errorf("second page's api-versions = %q (query %v), want exactly [%s]", versions, queries[1], client.APIVersion)
			}
		})
	}
	// An api-version after a ";", which a server splitting on it would
	// read, is refused, nothing sent; so is a name that cannot be decoded.
	for _, query := range []string{"x=1;api-version=2023-10-03-preview", "x=1;API%2DVERSION=1"} {
		var pages int
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			pages++
			answer(200, `{"value":[],"nextLink":"/calling/callConnections/call/participants?`+query+`"}`)(w, r)
		}))
		var err error
		for _, e := range newKeyClient(t, srv.URL, nil).ListParticipants(context.Background(), "call", nil) {
			err = e
		}
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), `after a ";"`) || pages != 1 {
			t.Errorf("%s: %v after %d pages", query, err, pages)
		}
	}
	var pages int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pages++
		answer(200, `{"value":[],"nextLink":"/calling/callConnections/call/participants?api%ZZversion=1"}`)(w, r)
	}))
	defer srv.Close()
	var err error
	for _, e := range newKeyClient(t, srv.URL, nil).ListParticipants(context.Background(), "call", nil) {
		err = e
	}
	if err == nil || !strings.Contains(err.Error(), "cannot be decoded") || pages != 1 {
		t.Errorf("undecodable name: %v after %d pages", err, pages)
	}
}

// A nextLink that differs from an earlier page's only in spelling (a
// trailing "&", a reordered query, an escaped letter, a trailing slash) is
// the same page: the listing stops with an error instead of yielding the
// page again.
func TestNextLinkSamePageSpelledDifferently(t *testing.T) {
	for _, link := range []string{
		"/calling/callConnections/call/participants?a=1&b=2&",
		"/calling/callConnections/call/participants?b=2&a=1",
		"/calling/callConnections/call/participants?a=%31&b=2",
		"/calling/callConnections/call/%70articipants?a=1&b=2",
		"/calling/callConnections/call/participants/?a=1&&b=2",
		"/Calling/callConnections/call/participants?a=1&b=2",
		"/calling//callConnections/call/participants?a=1&b=2",
		"/calling/callConnections/call/x/%2e%2e/participants?a=1&b=2",
		"/calling/callConnections/call/participants?a=1;b=2",
		"/calling/callConnections/call/participants?A=1&b=2",
		"/calling/callConnections/call/participants?%61=1&b=2",
	} {
		t.Run(link, func(t *testing.T) {
			var pages int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				pages++
				next := "/calling/callConnections/call/participants?a=1&b=2"
				if pages > 1 {
					next = link
				}
				answer(200, fmt.Sprintf(`{"value":[{"identifier":{"rawId":"8:acs:r_%d"},"isMuted":false}],"nextLink":%q}`, pages, next))(w, r)
			}))
			defer srv.Close()
			var got []string
			var err error
			for p, e := range newKeyClient(t, srv.URL, nil).ListParticipants(context.Background(), "call", &client.ListParticipantsOptions{MaxPages: 5}) {
				if e != nil {
					err = e
					break
				}
				got = append(got, p.Identifier.RawID())
			}
			if err == nil || !strings.Contains(err.Error(), "already fetched") || len(got) != 2 || pages != 2 {
				t.Errorf("yielded %v from %d pages, error %v; want 2 participants, then the repeat refused", got, pages, err)
			}
		})
	}
}

// Characters that are not printable (C1 controls, line and paragraph
// separators, bidirectional overrides and isolates, zero-width characters)
// never reach an error raw from an answer.
func TestHostileCharactersInErrors(t *testing.T) {
	for _, r := range []rune{'\u0085', '\u009b', '\u2028', '\u2029', '\u202a', '\u202e', '\u2066', '\u2069', '\u200b', '\u200d', '\u2060', '\ufeff', '\x1b'} {
		hostile := "a" + string(r) + "b"
		answers := map[string]http.HandlerFunc{
			"nextLink host":         answer(200, `{"value":[],"nextLink":"https://evil`+string(r)+`host.example/x"}`),
			"nextLink host escaped": answer(200, `{"value":[],"nextLink":"https://evil`+url.PathEscape(string(r))+`host.example/x"}`),
			"error message":         answer(400, `{"error":{"code":"Bad`+hostile+`","message":"`+hostile+`","target":"`+hostile+`"}}`),
			"rawId":                 answer(200, `{"value":[{"identifier":{"rawId":"8:acs:`+hostile+`","communicationUser":{"id":"8:acs:other"}},"isMuted":true}]}`),
			"cloud":                 answer(200, `{"value":[{"identifier":{"microsoftTeamsUser":{"userId":"u","cloud":"`+hostile+`"}},"isMuted":true}]}`),
		}
		for name, a := range answers {
			srv := httptest.NewServer(a)
			var err error
			for _, e := range newKeyClient(t, srv.URL, nil).ListParticipants(context.Background(), "call", nil) {
				err = e
			}
			srv.Close()
			if err == nil {
				t.Errorf("%U %s: no error", r, name)
				continue
			}
			if errors.Is(err, client.ErrInvalidInput) {
				// An answer is not the caller's input: ErrInvalidInput
				// would say nothing was sent.
				t.Errorf("%U %s: %v matches ErrInvalidInput", r, name, err)
			}
			if i := strings.IndexFunc(err.Error(), func(c rune) bool { return !unicode.IsPrint(c) }); i >= 0 {
				t.Errorf("%U %s: error holds a character that is not printable at byte %d: %q", r, name, i, err.Error())
			}
		}
	}
}

// roundTripperOf is an http.RoundTripper that is a function.
type roundTripperOf func(*http.Request) (*http.Response, error)

func (f roundTripperOf) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// An https nextLink that names the default port, or the host in another
// case, is the same page as one that does not.
func TestNextLinkDefaultPortIsTheSamePage(t *testing.T) {
	var pages int
	rt := roundTripperOf(func(r *http.Request) (*http.Response, error) {
		pages++
		next := []string{"https://acs.example/p?x=1", "https://ACS.example:443/p?x=1"}[min(pages-1, 1)]
		body := fmt.Sprintf(`{"value":[],"nextLink":%q}`, next)
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
	})
	c, err := client.NewClientFromConnectionString("endpoint=https://acs.example/;accesskey="+fakeKey, &client.ClientOptions{HTTPClient: &http.Client{Transport: rt}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.ListParticipants(context.Background(), "call", &client.ListParticipantsOptions{MaxPages: 6}) {
		err = e
	}
	if err == nil || !strings.Contains(err.Error(), "already fetched") || pages != 2 {
		t.Errorf("%d pages, error %v; want the third refused as the second again", pages, err)
	}
}

// A server that echoes the credential in its answer does not get it into
// errors.
func TestEchoedCredentialIsScrubbed(t *testing.T) {
	const token = "fake-echoed-bearer-token-0123456789"
	echo := func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", auth)
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"error":{"code":"BadAuth %s","message":"you sent %s","target":"%s"}}`, auth, auth, auth)
	}
	srv := newRecorder(t, echo)
	cred, _ := client.NewStaticTokenCredential(token)
	c, _ := client.NewClient(srv.URL, cred, nil)
	for name, call := range map[string]func() error{
		"mute": func() error { _, err := c.MuteParticipant(context.Background(), "call", acsUser, nil); return err },
		"get":  func() error { _, err := c.GetParticipant(context.Background(), "call", acsUser, nil); return err },
	} {
		err := call()
		var re *client.ResponseError
		if err == nil || !errors.As(err, &re) {
			t.Fatalf("%s: %v", name, err)
		}
		for what, s := range map[string]string{"Error": err.Error(), "Message": re.Message, "ErrorCode": re.ErrorCode, "Target": re.Target,
			"RawBody": string(re.RawBody), "header": re.RawResponse.Header.Get("X-Echo"), "%+v": fmt.Sprintf("%+v", re)} {
			if strings.Contains(s, token) {
				t.Errorf("%s: %s shows the token: %s", name, what, s)
			}
		}
	}
}

// An echoed signature or token is scrubbed however the body escapes it,
// and from trailers; a 409 whose body (not its header) says in progress is
// in progress.
func TestEchoScrubbedInEveryForm(t *testing.T) {
	const token = "fake+token/with+slashes0123"
	escaped := strings.NewReplacer("+", `\u002B`, "/", `\/`).Replace(token)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Trailer", "X-Echo")
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"error":{"code":"Bad","message":"you sent %s","details":[{"code":"D","message":"%s"}]}}`, escaped, escaped)
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
	})
	cred, _ := client.NewStaticTokenCredential(token)
	c, _ := client.NewClient(srv.URL, cred, nil)
	_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
	var re *client.ResponseError
	if !errors.As(err, &re) {
		t.Fatal(err)
	}
	for what, s := range map[string]string{"Error": err.Error(), "Message": re.Message, "details": fmt.Sprint(re.Details), "RawBody": string(re.RawBody),
		"trailer": re.RawResponse.Trailer.Get("X-Echo")} {
		if strings.Contains(s, token) || strings.Contains(s, escaped) {
			t.Errorf("%s shows the token: %s", what, s)
		}
	}
	srv = newRecorder(t, rawAnswer(409, "application/json", `{"error":{"code":"RepeatabilityRequestInProgress","message":"busy"}}`, "X-Ms-Error-Code", "Conflict"), answer(200, `{}`))
	if _, err := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: client.RetryOptions{RetryDelay: time.Millisecond}}).MuteParticipant(context.Background(), "call", acsUser, nil); err != nil {
		t.Errorf("in progress by the body's code: %v", err)
	}
	// Media types are case-insensitive.
	srv = newRecorder(t, rawAnswer(200, "Application/JSON", `{"operationContext":"x"}`))
	if res, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, &client.MuteParticipantOptions{OperationContext: "x"}); err != nil || res.OperationContext != "x" {
		t.Errorf("Application/JSON: %+v, %v", res, err)
	}
}

// Bad verbs (fmt prints their operand without calling Format) reveal no
// secret of a value, or of a value holding one.
func TestBadVerbsRevealNoSecret(t *testing.T) {
	const key = "ZmFrZS1iYWQtdmVyYi1rZXktZm9yLXRlc3Rz" // "fake-bad-verb-key-for-tests"
	const token = "fake-bad-verb-token-0123456789"
	cs, err := client.ParseConnectionString("endpoint=https://r.communication.azure.com/;accesskey=" + key)
	if err != nil || cs.AccessKey() != key {
		t.Fatal(cs.AccessKey(), err)
	}
	at := client.NewAccessToken(token, time.Now().Add(time.Hour))
	if at.Token() != token || (client.AccessToken{}).Token() != "" || (client.ConnectionString{}).AccessKey() != "" {
		t.Fatal("accessors")
	}
	type holder struct {
		CS  client.ConnectionString
		Tok client.AccessToken
	}
	type private struct {
		cs  client.ConnectionString
		tok client.AccessToken
	}
	values := []any{cs, at, &cs, &at, holder{cs, at}, private{cs, at}, &private{cs, at}, []client.AccessToken{at}, map[string]client.ConnectionString{"x": cs}}
	for _, v := range values {
		for _, verb := range []string{"%p", "%!", "%z", "%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%T %v"} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, key) || strings.Contains(out, token) || strings.Contains(out, "ZmFrZS1iYWQ") {
				t.Errorf("%s of %T shows a secret: %s", verb, v, out)
			}
		}
	}
}
