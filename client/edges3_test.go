package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
)

// timeoutThen answers the first attempt too late (the per-attempt timeout
// fires: it may have executed) and then with h.
func timeoutThen(h http.HandlerFunc) []http.HandlerFunc {
	return []http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}, h}
}

func rawAnswer(status int, contentType, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// After an attempt that may have executed, a 4xx settles the outcome only
// when it is the service's own answer; an in-progress 409 is retried.
func TestMaybeExecutedThen4xx(t *testing.T) {
	fast := &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond, TryTimeout: 100 * time.Millisecond}}
	service404 := `{"error":{"code":"CallNotFound","message":"no such call"}}`
	for _, tt := range []struct {
		name    string
		second  http.HandlerFunc
		unknown bool
	}{
		{"409 in progress without the header", rawAnswer(409, "application/json", `{"error":{"code":"RepeatabilityRequestInProgress","message":"busy"}}`), true},
		{"HTML 404 from a gateway", rawAnswer(404, "text/html", "<html>not found</html>"), true},
		{"HTML 400 from a gateway", rawAnswer(400, "text/html", "<html>bad request</html>"), true},
		{"431", rawAnswer(431, "", ""), true},
		{"JSON 404 without an error code", rawAnswer(404, "application/json", `{"message":"not found"}`), true},
		{"the service's 404", rawAnswer(404, "application/json", service404), false},
		{"the service's 400", rawAnswer(400, "application/json; charset=utf-8", `{"error":{"code":"BadRequest","message":"no"}}`), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, timeoutThen(tt.second)...)
			_, err := newKeyClient(t, srv.URL, fast).MuteParticipant(context.Background(), "call", acsUser, nil)
			muteErr(t, err, 2, tt.unknown)
		})
	}
	// Without an earlier uncertain attempt, the same 404 is a verdict.
	srv := newRecorder(t, rawAnswer(404, "text/html", "<html>not found</html>"))
	_, err := newKeyClient(t, srv.URL, fast).MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 1, false)
	// An in-progress 409 by its error code alone is retried like the header.
	srv = newRecorder(t, rawAnswer(409, "application/json", `{"error":{"code":"RepeatabilityRequestInProgress","message":"busy"}}`), answer(200, `{}`))
	if _, err := newKeyClient(t, srv.URL, fast).MuteParticipant(context.Background(), "call", acsUser, nil); err != nil || len(srv.seen()) != 2 {
		t.Errorf("409 in progress, then 200: %v after %d requests", err, len(srv.seen()))
	}
}

// A 200 whose Content-Type is not JSON (by the one notion of JSON the
// classifier and the parser share) is not a mute result.
func TestOKWithOtherJSONishTypes(t *testing.T) {
	for _, ct := range []string{"text/json", "application/x-json", "application/jsonl", "text/plain", "json"} {
		for _, body := range []string{"null", `{"operationContext":"x"}`} {
			srv := newRecorder(t, rawAnswer(200, ct, body))
			_, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, nil)
			muteErr(t, err, 1, true)
		}
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/vnd.acs+json"} {
		srv := newRecorder(t, rawAnswer(200, ct, `{"operationContext":"x"}`))
		if res, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, &client.MuteParticipantOptions{OperationContext: "x"}); err != nil || res.OperationContext != "x" {
			t.Errorf("%s: %+v, %v", ct, res, err)
		}
	}
	srv := newRecorder(t, rawAnswer(200, "text/json", `{"identifier":{"rawId":"8:acs:r_u"},"isMuted":true}`))
	if _, err := newKeyClient(t, srv.URL, nil).GetParticipant(context.Background(), "call", acsUser, nil); err == nil {
		t.Error("GetParticipant read a text/json answer")
	}
}

// GetParticipant refuses an answer about another participant.
func TestGetParticipantAnswerAboutAnother(t *testing.T) {
	for _, id := range []string{
		`{"rawId":"8:acs:r_other"}`,
		`{"kind":"communicationUser","communicationUser":{"id":"8:acs:r_other"}}`,
		`{"kind":"phoneNumber","phoneNumber":{"value":"+15551234567"}}`,
	} {
		srv := newRecorder(t, answer(200, `{"identifier":`+id+`,"isMuted":true}`))
		_, err := newKeyClient(t, srv.URL, nil).GetParticipant(context.Background(), "call", acsUser, nil)
		if err == nil || !strings.Contains(err.Error(), `not "8:acs:r_u"`) {
			t.Errorf("%s: %v", id, err)
		}
	}
}

// A token provider's own request (made with the context it is given, as
// azidentity does) is not the request's: when the endpoint then fails its
// TLS handshake, nothing was sent, and the outcome is not unknown.
func TestProviderConnectionIsNotTheRequests(t *testing.T) {
	tokenServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("fake-provider-token"))
	}))
	defer tokenServer.Close()
	provider := client.TokenProviderFunc(func(ctx context.Context) (client.AccessToken, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, tokenServer.URL, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return client.AccessToken{}, err
		}
		defer resp.Body.Close()
		return client.NewAccessToken("fake-provider-token", time.Now().Add(time.Hour)), nil
	})
	cred, _ := client.NewTokenCredential(provider, nil)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("the request was served") }))
	defer tlsSrv.Close() // its certificate is not trusted by the client
	c, err := client.NewClient(tlsSrv.URL, cred, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 3, RetryDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 1, false)
}

// Failures inside net/http before it asks for a connection send nothing.
func TestFailuresBeforeAConnectionIsAsked(t *testing.T) {
	srv := newRecorder(t)
	tr := client.NewTransport()
	tr.Proxy = func(*http.Request) (*url.URL, error) { return nil, errors.New("no proxy for you") }
	c := newKeyClient(t, srv.URL, &client.ClientOptions{HTTPClient: &http.Client{Transport: tr}, Retry: client.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond}})
	_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 2, false)
	c = newKeyClient(t, srv.URL, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond, TryTimeout: time.Nanosecond}})
	_, err = c.MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 2, false)
	if n := len(srv.seen()); n != 0 {
		t.Errorf("%d requests served", n)
	}
}

// A provider that calls runtime.Goexit gives no token, and nothing is sent
// without one.
func TestProviderGoexit(t *testing.T) {
	srv := newRecorder(t)
	cred, _ := client.NewTokenCredential(client.TokenProviderFunc(func(context.Context) (client.AccessToken, error) {
		runtime.Goexit()
		return client.AccessToken{}, nil
	}), nil)
	c, err := client.NewClient(srv.URL, cred, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 1}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.MuteParticipant(context.Background(), "call", acsUser, nil)
	if err == nil || !strings.Contains(err.Error(), "Goexit") || errors.Is(err, client.ErrOutcomeUnknown) {
		t.Errorf("error = %v", err)
	}
	if n := len(srv.seen()); n != 0 {
		t.Errorf("%d requests sent, Authorization %q", n, srv.seen()[0].Header.Get("Authorization"))
	}
}

// Names under .localhost are never proxied: their credentials would cross
// to the proxy in clear text. (NewTransport's Proxy is
// ProxyUnlessLoopback(http.ProxyFromEnvironment); net/http reads the
// environment once per process, so the test gives the proxy directly.)
func TestLoopbackNamesAreNotProxied(t *testing.T) {
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		w.WriteHeader(502)
	}))
	defer proxy.Close()
	proxyURL, _ := url.Parse(proxy.URL)
	srv := newRecorder(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	tr := client.NewTransport()
	tr.Proxy = client.ProxyUnlessLoopback(http.ProxyURL(proxyURL))
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		// acs.localhost resolves to loopback here; the proxy has its own address.
		if strings.HasPrefix(addr, "acs.localhost:") {
			addr = "127.0.0.1:" + port
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	cred, _ := client.NewStaticTokenCredential("fake-clear-text-token")
	for _, endpoint := range []string{"http://acs.localhost:" + port, "http://localhost:" + port, "http://127.0.0.1:" + port} {
		c, err := client.NewClient(endpoint, cred, &client.ClientOptions{HTTPClient: &http.Client{Transport: tr}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.MuteParticipant(context.Background(), "call", acsUser, nil); err != nil {
			t.Fatalf("%s: %v", endpoint, err)
		}
	}
	if proxied.Load() != 0 || len(srv.seen()) != 3 {
		t.Errorf("%d requests went to the proxy, %d to the server", proxied.Load(), len(srv.seen()))
	}
	// Another host is still proxied.
	req, _ := http.NewRequest(http.MethodGet, "http://example.invalid/", nil)
	if u, err := tr.Proxy(req); err != nil || u == nil || u.Host != proxyURL.Host {
		t.Errorf("example.invalid: proxy %v, %v", u, err)
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

// A bearer token the service rejects with 401 is dropped and a new one is
// fetched; the same logical request is resent once. A second 401 ends it;
// static tokens are not retried.
func TestRefreshOn401(t *testing.T) {
	var fetches atomic.Int64
	cred, _ := client.NewTokenCredential(client.TokenProviderFunc(func(context.Context) (client.AccessToken, error) {
		n := fetches.Add(1)
		return client.NewAccessToken(fmt.Sprintf("fake-token-%d", n), time.Now().Add(time.Hour)), nil
	}), nil)
	srv := newRecorder(t, answer(401, `{"error":{"code":"InvalidToken","message":"expired"}}`), answer(200, `{}`))
	c, _ := client.NewClient(srv.URL, cred, nil)
	res, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
	if err != nil || res.Attempts != 2 || fetches.Load() != 2 {
		t.Fatalf("%+v, %v, %d fetches", res, err, fetches.Load())
	}
	seen := srv.seen()
	if seen[0].Header.Get("Authorization") != "Bearer fake-token-1" || seen[1].Header.Get("Authorization") != "Bearer fake-token-2" ||
		seen[0].Header.Get("Repeatability-Request-ID") != seen[1].Header.Get("Repeatability-Request-ID") ||
		seen[0].Header.Get("Repeatability-First-Sent") != seen[1].Header.Get("Repeatability-First-Sent") {
		t.Errorf("the resend: %v / %v", seen[0].Header, seen[1].Header)
	}
	// Two 401s in a row: the call ends, not unknown.
	srv = newRecorder(t, answer(401, `{"error":{"code":"InvalidToken","message":"no"}}`))
	c, _ = client.NewClient(srv.URL, cred, nil)
	_, err = c.MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 2, false)
	// A static token: one attempt.
	static, _ := client.NewStaticTokenCredential("fake-static-token")
	srv = newRecorder(t, answer(401, `{"error":{"code":"InvalidToken","message":"no"}}`))
	c, _ = client.NewClient(srv.URL, static, nil)
	_, err = c.MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 1, false)
	// An access key: one attempt.
	srv = newRecorder(t, answer(401, `{"error":{"code":"InvalidSignature","message":"no"}}`))
	_, err = newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 1, false)
}

// A provider that keeps failing is not called once per call: after a
// failure, callers wait a little (as long as their context allows).
func TestFailingProviderBacksOff(t *testing.T) {
	var calls atomic.Int64
	srv := newRecorder(t)
	c := failingProviderClient(t, srv.URL, &calls)
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, err := c.MuteParticipant(ctx, "call", acsUser, nil)
		cancel()
		// The provider's error, or (on a busy machine) the caller's
		// deadline while it waited: never a request.
		if err == nil || (!strings.Contains(err.Error(), "token service down") && !errors.Is(err, context.DeadlineExceeded)) {
			t.Fatalf("error = %v", err)
		}
	}
	if len(srv.seen()) != 0 {
		t.Error("a request was sent")
	}
	if n := calls.Load(); n > 3 || n == 0 {
		t.Errorf("the failing provider was called %d times for 20 calls within 400ms", n)
	}
}

func TestParseRawIDStrict(t *testing.T) {
	for _, raw := range []string{"alice", "8:asc:r_alice", "99:future:x", "8:acs"} {
		if _, err := client.ParseRawIDStrict(raw); !errors.Is(err, client.ErrInvalidInput) {
			t.Errorf("%q: %v", raw, err)
		}
		if _, err := client.ParseRawID(raw); err != nil && raw != "8:acs" {
			t.Errorf("ParseRawID(%q) = %v; it must stay as lenient as the official SDKs", raw, err)
		}
	}
	for _, raw := range []string{"8:acs:r_alice", "4:+15551234567", "8:orgid:u", "28:orgid:a", "8:acs:r_t_u", "8:spool:x"} {
		if id, err := client.ParseRawIDStrict(raw); err != nil || id.RawID() != raw {
			t.Errorf("%q: %v, %v", raw, id, err)
		}
	}
	if _, err := client.ParseRawIDStrict(""); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("empty: %v", err)
	}
}

func TestQuotedConnectionString(t *testing.T) {
	for _, q := range []string{`"`, `'`, "`"} {
		_, err := client.ParseConnectionString(q + "endpoint=https://r.communication.azure.com/;accesskey=ZmFrZQ==" + q)
		if !errors.Is(err, client.ErrInvalidInput) || !strings.Contains(err.Error(), "quotes") || strings.Contains(err.Error(), "ZmFrZQ") {
			t.Errorf("%s: %v", q, err)
		}
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

// Callers waiting out a back-off together ask the provider once.
func TestBackOffHerd(t *testing.T) {
	var calls atomic.Int64
	srv := newRecorder(t)
	c := failingProviderClient(t, srv.URL, &calls)
	// One failure starts the back-off.
	_, _ = c.MuteParticipant(context.Background(), "call", acsUser, nil)
	before := calls.Load()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
			defer cancel()
			_, _ = c.MuteParticipant(ctx, "call", acsUser, nil)
		})
	}
	wg.Wait()
	if n := calls.Load() - before; n > 3 {
		t.Errorf("50 callers waiting out a back-off asked the provider %d times", n)
	}
	if len(srv.seen()) != 0 {
		t.Error("a request was sent")
	}
	_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
	if !errors.Is(err, client.ErrCredential) || errors.Is(err, client.ErrOutcomeUnknown) {
		t.Errorf("error = %v, want ErrCredential", err)
	}
}

// A resend of an earlier request (the caller's repeatability values) may
// already have executed: only the service's own answer settles it.
func TestResendThenGateway4xx(t *testing.T) {
	srv := newRecorder(t, rawAnswer(404, "text/html", "<html>not found</html>"))
	_, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, &client.MuteParticipantOptions{
		RepeatabilityRequestID: "0f8fad5b-d9cb-469f-a165-70867728950e", RepeatabilityFirstSent: time.Now().Add(-30 * time.Second)})
	muteErr(t, err, 1, true)
	srv = newRecorder(t, rawAnswer(404, "application/json", `{"error":{"code":"CallNotFound","message":"gone"}}`))
	_, err = newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, &client.MuteParticipantOptions{
		RepeatabilityRequestID: "0f8fad5b-d9cb-469f-a165-70867728950e", RepeatabilityFirstSent: time.Now().Add(-30 * time.Second)})
	muteErr(t, err, 1, false)
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

// roundTripperFunc is an http.RoundTripper that is not net/http's.
type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// With http.DefaultTransport replaced by another RoundTripper (as mocking
// libraries do), a failure is not taken for "never sent", and NewTransport
// and NewClient still work.
func TestReplacedDefaultTransport(t *testing.T) {
	srv := newRecorder(t)
	var delivered atomic.Int64
	saved := http.DefaultTransport
	t.Cleanup(func() { http.DefaultTransport = saved })
	http.DefaultTransport = roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		delivered.Add(1) // it reached the server, say, and the answer was lost
		return nil, errors.New("connection reset by peer")
	})
	if tr := client.NewTransport(); tr == nil || tr.Proxy == nil {
		t.Fatal("NewTransport with a replaced DefaultTransport")
	}
	c := newKeyClient(t, srv.URL, &client.ClientOptions{HTTPClient: &http.Client{}, Retry: client.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond}})
	_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 2, true)
	if delivered.Load() != 2 {
		t.Errorf("%d attempts delivered", delivered.Load())
	}
	// Without an HTTP client of the caller's, the client's own transport
	// is used, not the replaced default.
	if _, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, nil); err != nil {
		t.Errorf("the client's own transport: %v", err)
	}
}

// failingProviderClient returns a client of endpoint whose token provider
// always fails with "token service down", counting its calls.
func failingProviderClient(t *testing.T, endpoint string, calls *atomic.Int64) *client.Client {
	t.Helper()
	cred, err := client.NewTokenCredential(client.TokenProviderFunc(func(context.Context) (client.AccessToken, error) {
		calls.Add(1)
		return client.AccessToken{}, errors.New("token service down")
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewClient(endpoint, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
