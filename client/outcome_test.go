package client_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// muteErr asserts that err is a *MuteError with the given attempt count and
// outcome, and returns it.
func muteErr(t *testing.T, err error, attempts int, unknown bool) *client.MuteError {
	t.Helper()
	var me *client.MuteError
	if !errors.As(err, &me) {
		t.Fatalf("error %v (%T) is not a *MuteError", err, err)
	}
	if me.Attempts != attempts {
		t.Errorf("Attempts = %d, want %d (%v)", me.Attempts, attempts, err)
	}
	if errors.Is(err, client.ErrOutcomeUnknown) != unknown {
		t.Errorf("errors.Is(err, ErrOutcomeUnknown) = %v, want %v (%v)", !unknown, unknown, err)
	}
	if me.RepeatabilityRequestID == "" || me.RepeatabilityFirstSent.IsZero() {
		t.Errorf("MuteError lacks its repeatability values: %+v", me)
	}
	return me
}

// Redirects are never followed, with the default HTTP client or the
// caller's, and a 3xx is a final *ResponseError: the target never sees the
// request or its credential.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	var targetHits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
		answer(200, `{"operationContext":"from the redirect target"}`)(w, r)
	}))
	defer target.Close()
	for _, code := range []int{301, 302, 303, 307, 308} {
		for _, own := range []bool{false, true} {
			redirector := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL+r.URL.RequestURI(), code)
			})
			var opts client.ClientOptions
			var callerClient *http.Client
			if own {
				// A caller's client that would follow anything.
				callerClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
				opts.HTTPClient = callerClient
			}
			opts.Retry = fastRetry
			static, _ := client.NewStaticTokenCredential("fake-redirect-token")
			c, err := client.NewClient(redirector.URL, static, &opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.MuteParticipant(context.Background(), "call", acsUser, nil)
			muteErr(t, err, 1, false)
			var re *client.ResponseError
			if !errors.As(err, &re) || re.StatusCode != code {
				t.Fatalf("%d (own client %v): error = %v, want a ResponseError with that status", code, own, err)
			}
			req := re.RawResponse.Request
			if got := req.Header.Get("Authorization"); got != "REDACTED" {
				t.Errorf("%d: the error's request keeps Authorization %q", code, got)
			}
			if req.Response != nil {
				t.Errorf("%d: the error's request links to another response", code)
			}
			if own && callerClient.CheckRedirect == nil {
				t.Error("NewClient changed the caller's HTTPClient")
			}
			if n := len(redirector.seen()); n != 1 {
				t.Errorf("%d: %d attempts, want 1", code, n)
			}
		}
	}
	if n := targetHits.Load(); n != 0 {
		t.Fatalf("the redirect target got %d requests", n)
	}
}

// Failures that prove the request never left are not unknown outcomes:
// refused connections and failed DNS lookups are retried, a host name that
// does not exist, certificate failures and non-TLS servers are final at
// once. Failing to resolve or connect on every attempt says so, and what to
// check.
func TestFailuresBeforeSendingAreNotUnknown(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		c := newKeyClient(t, "http://"+addr, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 2}})
		clk := client.NewFakeClock(time.Now())
		client.UseClock(c, clk)
		_, err = c.MuteParticipant(context.Background(), "call", acsUser, nil)
		muteErr(t, err, 3, false)
		if !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "could not connect to "+addr+" in 3 attempts: check the endpoint") {
			t.Errorf("error = %v", err)
		}
		if n := len(clk.Sleeps()); n != 2 {
			t.Errorf("%d waits between 3 attempts", n)
		}
	})
	t.Run("DNS failure", func(t *testing.T) {
		for _, tt := range []struct {
			dnsErr   net.DNSError
			attempts int
		}{
			{net.DNSError{Err: "no such host", Name: "r.invalid", IsNotFound: true}, 1},
			{net.DNSError{Err: "server misbehaving", Name: "r.invalid", IsTemporary: true}, 2},
			{net.DNSError{Err: "i/o timeout", Name: "r.invalid", IsTimeout: true}, 2},
		} {
			var dials atomic.Int32
			tr := client.NewTransport()
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				e := tt.dnsErr
				return nil, &net.OpError{Op: "dial", Net: network, Err: &e}
			}
			c := newKeyClient(t, "https://r.invalid", &client.ClientOptions{HTTPClient: &http.Client{Transport: tr}, Retry: client.RetryOptions{MaxRetries: 1}})
			client.UseClock(c, client.NewFakeClock(time.Now()))
			_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
			muteErr(t, err, tt.attempts, false)
			var dnsErr *net.DNSError
			if !errors.As(err, &dnsErr) || int(dials.Load()) != tt.attempts {
				t.Errorf("%s: error = %v after %d dials", tt.dnsErr.Err, err, dials.Load())
			}
			if !strings.Contains(err.Error(), "could not resolve r.invalid in ") {
				t.Errorf("%s: error = %v, want what to check", tt.dnsErr.Err, err)
			}
		}
	})
	t.Run("DNS failure without trace", func(t *testing.T) {
		// A RoundTripper that reports a DNS error without ever asking for a
		// connection: the error type alone proves nothing was sent.
		rt := roundTripFunc(func(*http.Request) (*http.Response, error) {
			return nil, &net.DNSError{Err: "no such host", Name: "r.invalid", IsNotFound: true}
		})
		c := newKeyClient(t, "https://r.invalid", &client.ClientOptions{HTTPClient: &http.Client{Transport: rt}, Retry: client.RetryOptions{MaxRetries: -1}})
		_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
		muteErr(t, err, 1, false)
	})
	t.Run("reset without trace is unknown", func(t *testing.T) {
		rt := roundTripFunc(func(*http.Request) (*http.Response, error) {
			return nil, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
		})
		c := newKeyClient(t, "https://r.example", &client.ClientOptions{HTTPClient: &http.Client{Transport: rt}, Retry: client.RetryOptions{MaxRetries: -1}})
		_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
		muteErr(t, err, 1, true)
	})
	t.Run("certificate not trusted", func(t *testing.T) {
		var hits atomic.Int32
		srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
		srv.Config.ErrorLog = quietLog()
		defer srv.Close()
		c := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 3}})
		clk := client.NewFakeClock(time.Now())
		client.UseClock(c, clk)
		_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
		muteErr(t, err, 1, false)
		if !strings.Contains(err.Error(), "certificate") || hits.Load() != 0 || len(clk.Sleeps()) != 0 {
			t.Errorf("error = %v, %d requests served, %d waits", err, hits.Load(), len(clk.Sleeps()))
		}
	})
	t.Run("server does not speak TLS", func(t *testing.T) {
		// net/http reports this with an error of no type of its own: it
		// counts as a failed handshake, which retrying cannot heal: final
		// at once, and never unknown.
		srv := newRecorder(t)
		c := newKeyClient(t, strings.Replace(srv.URL, "http:", "https:", 1), &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 3}})
		clk := client.NewFakeClock(time.Now())
		client.UseClock(c, clk)
		_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
		muteErr(t, err, 1, false)
		if len(clk.Sleeps()) != 0 {
			t.Errorf("%d waits before giving up", len(clk.Sleeps()))
		}
		if len(srv.seen()) != 0 {
			t.Error("a request was served")
		}
	})
	t.Run("TLS handshake cut short", func(t *testing.T) {
		addr := acceptAndClose(t)
		c := newKeyClient(t, "https://"+addr, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 2}})
		client.UseClock(c, client.NewFakeClock(time.Now()))
		_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
		muteErr(t, err, 3, false)
	})
	t.Run("connection closed after the request went out", func(t *testing.T) {
		addr := acceptAndClose(t)
		c := newKeyClient(t, "http://"+addr, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 1}})
		client.UseClock(c, client.NewFakeClock(time.Now()))
		_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
		muteErr(t, err, 2, true)
	})
	t.Run("context done before sending", func(t *testing.T) {
		srv := newRecorder(t)
		c := newKeyClient(t, srv.URL, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.MuteParticipant(ctx, "call", acsUser, nil)
		muteErr(t, err, 0, false)
		if !errors.Is(err, context.Canceled) || len(srv.seen()) != 0 {
			t.Errorf("error = %v, %d requests", err, len(srv.seen()))
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// acceptAndClose listens on loopback and closes every connection after
// reading what the client sends first.
func acceptAndClose(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 1)
			conn.Read(buf)
			conn.Close()
		}
	}()
	return l.Addr().String()
}

// A credential that gives no token ends the call at once: one attempt,
// nothing sent, no wait, not unknown.
func TestCredentialFailureIsFinal(t *testing.T) {
	srv := newRecorder(t)
	var calls atomic.Int32
	cred, _ := client.NewTokenCredential(client.TokenProviderFunc(func(context.Context) (client.AccessToken, error) {
		calls.Add(1)
		return client.AccessToken{}, errors.New("identity service down")
	}), nil)
	c, _ := client.NewClient(srv.URL, cred, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 5}})
	clk := client.NewFakeClock(time.Now())
	client.UseClock(c, clk)
	_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 1, false)
	if !strings.Contains(err.Error(), "identity service down") || calls.Load() != 1 || len(srv.seen()) != 0 || len(clk.Sleeps()) != 0 {
		t.Errorf("error = %v; %d provider calls, %d requests, %d waits", err, calls.Load(), len(srv.seen()), len(clk.Sleeps()))
	}
}

// 409 with Repeatability-Result means an earlier attempt is still running:
// it is retried, and running out of retries on it is an unknown outcome.
func TestInProgressConflictExhaustedIsUnknown(t *testing.T) {
	srv := newRecorder(t, answer(409, `{"error":{"code":"RepeatabilityRequestInProgress","message":"in progress"}}`, "Repeatability-Result", "accepted"))
	c := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 2}})
	client.UseClock(c, client.NewFakeClock(time.Now()))
	_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 3, true)
	var re *client.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 409 || len(srv.seen()) != 3 {
		t.Errorf("error = %v after %d attempts", err, len(srv.seen()))
	}
}

// The context ending while waiting to retry is unknown after an attempt that
// may have executed, and not after one that could not have.
func TestContextEndsWhileWaiting(t *testing.T) {
	for _, tt := range []struct {
		status  int
		unknown bool
	}{{503, true}, {429, false}} {
		srv := newRecorder(t, answer(tt.status, `{"error":{"code":"Busy","message":"busy"}}`))
		c := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: client.RetryOptions{RetryDelay: time.Minute, MaxRetryDelay: time.Minute}})
		// Long enough for the first attempt's answer to arrive even on a
		// loaded machine; the retry's minute-long wait is what it ends.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		_, err := c.MuteParticipant(ctx, "call", acsUser, nil)
		cancel()
		muteErr(t, err, 1, tt.unknown)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%d: error = %v", tt.status, err)
		}
	}
}

// A server that accepts requests and never answers is bounded by the
// per-attempt timeout, attempt after attempt.
func TestSilentServerIsBoundedByTryTimeout(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 1, TryTimeout: 50 * time.Millisecond}})
	client.UseClock(c, client.NewFakeClock(time.Now()))
	// The caller's context has no deadline, or one later than TryTimeout:
	// either way each attempt ends after TryTimeout.
	long, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, ctx := range []context.Context{context.Background(), long} {
		hits.Store(0)
		_, err := c.MuteParticipant(ctx, "call", acsUser, nil)
		muteErr(t, err, 2, true)
		if !errors.Is(err, context.DeadlineExceeded) || hits.Load() != 2 {
			t.Errorf("error = %v after %d requests", err, hits.Load())
		}
	}
}

// A response body that goes on for ever is read no further than the 1 MiB
// limit: the call ends with the service's status, not a timeout.
func TestEndlessBodyIsCut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		chunk := []byte(strings.Repeat(" ", 64<<10))
		for range 17 { // just over 1 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		w.(http.Flusher).Flush()
		select { // then nothing more, for ever
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: client.RetryOptions{TryTimeout: 20 * time.Second}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.MuteParticipant(ctx, "call", acsUser, nil)
	var re *client.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 400 || !strings.Contains(re.Message, "larger than") || len(re.RawBody) != 1<<20 {
		t.Fatalf("error = %v", err)
	}
}

// The recovery recipe: after an unknown outcome, resending with the
// MuteError's repeatability values gets the first execution's answer, and
// the participant is muted exactly once.
func TestRecoverFromUnknownOutcome(t *testing.T) {
	srv := newEmulator(t)
	srv.InjectFaults(2, acstest.Fault{Drop: acstest.DropAfterExecute})
	c := emulatorClient(t, srv, client.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond}, nil)
	_, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice},
		&client.MuteParticipantOptions{OperationContext: "recover-me"})
	if !errors.Is(err, client.ErrOutcomeUnknown) {
		t.Fatalf("error = %v, want an unknown outcome", err)
	}
	var me *client.MuteError
	if !errors.As(err, &me) {
		t.Fatalf("error %v is not a *MuteError", err)
	}
	res, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice},
		&client.MuteParticipantOptions{
			OperationContext:       "recover-me",
			RepeatabilityRequestID: me.RepeatabilityRequestID,
			RepeatabilityFirstSent: me.RepeatabilityFirstSent,
		})
	if err != nil || res.OperationContext != "recover-me" || res.RepeatabilityRequestID != me.RepeatabilityRequestID {
		t.Fatalf("resend: %+v, %v", res, err)
	}
	if n := srv.Executions(me.RepeatabilityRequestID); n != 1 {
		t.Errorf("%d executions of %s, want 1", n, me.RepeatabilityRequestID)
	}
	if n := srv.TotalExecutions(); n != 1 {
		t.Errorf("%d executions in all, want 1", n)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 || !reqs[2].Replayed {
		t.Errorf("requests = %+v; want 3, the last one replayed", reqs)
	}
}

// The retry loop keeps the margin before the repeatability window's end: it
// retries when the wait ends at least 30 seconds before it, and stops, with
// an unknown outcome, when it would not.
func TestRetryStopsBeforeTheRepeatabilityWindowEnds(t *testing.T) {
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	firstSent := start.Add(-(4*time.Minute + 15*time.Second)) // 15s before the margin
	for _, tt := range []struct {
		retryAfter string
		attempts   int
	}{{"10", 2}, {"14", 2}, {"16", 1}, {"20", 1}} {
		srv := newRecorder(t, answer(503, `{"error":{"code":"Busy","message":"busy"}}`, "Retry-After", tt.retryAfter), answer(200, `{}`))
		c := newKeyClient(t, srv.URL, nil)
		clk := client.NewFakeClock(start)
		client.UseClock(c, clk)
		_, err := c.MuteParticipant(context.Background(), "call", acsUser, &client.MuteParticipantOptions{RepeatabilityFirstSent: firstSent})
		if n := len(srv.seen()); n != tt.attempts {
			t.Errorf("Retry-After %s: %d attempts, want %d (%v)", tt.retryAfter, n, tt.attempts, err)
		}
		if tt.attempts == 1 {
			muteErr(t, err, 1, true)
			if !strings.Contains(err.Error(), "resend window") || len(clk.Sleeps()) != 0 {
				t.Errorf("Retry-After %s: error = %v after %d waits", tt.retryAfter, err, len(clk.Sleeps()))
			}
		} else if err != nil {
			t.Errorf("Retry-After %s: %v", tt.retryAfter, err)
		}
	}

	// A resend whose First-Sent is already past the margin is not sent at
	// all: the service might no longer recognise it.
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, nil)
	_, err := c.MuteParticipant(context.Background(), "call", acsUser,
		&client.MuteParticipantOptions{RepeatabilityFirstSent: time.Now().Add(-4*time.Minute - 31*time.Second)})
	muteErr(t, err, 0, true)
	if len(srv.seen()) != 0 || !strings.Contains(err.Error(), "not sent: Repeatability-First-Sent is more than 4m30s ago") {
		t.Errorf("error = %v after %d requests", err, len(srv.seen()))
	}

	// The service's own 412 when it no longer tracks the request (an
	// emulator with a one-minute window).
	emu, err := acstest.NewServer(&acstest.Options{Credentials: acstest.NewCredentials(fakeKey), RepeatabilityWindow: time.Minute, Calls: map[string][]string{"call-1": {alice}}})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	c = emulatorClient(t, emu, client.RetryOptions{}, nil)
	_, err = c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice},
		&client.MuteParticipantOptions{RepeatabilityFirstSent: time.Now().Add(-2 * time.Minute)})
	var re *client.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 412 || !errors.Is(err, client.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "window") {
		t.Errorf("error = %v", err)
	}
}

// x-ms-date and Repeatability-First-Sent are in GMT whatever the clock's
// location.
func TestDatesAreUTC(t *testing.T) {
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, nil)
	local := time.Date(2026, 11, 29, 23, 30, 15, 0, time.FixedZone("UTC+5", 5*3600))
	client.UseClock(c, client.NewFakeClock(local))
	if _, err := c.MuteParticipant(context.Background(), "call", acsUser, nil); err != nil {
		t.Fatal(err)
	}
	const want = "Sun, 29 Nov 2026 18:30:15 GMT"
	h := srv.seen()[0].Header
	if h.Get("X-Ms-Date") != want || h.Get("Repeatability-First-Sent") != want {
		t.Errorf("x-ms-date %q, Repeatability-First-Sent %q; want %q", h.Get("X-Ms-Date"), h.Get("Repeatability-First-Sent"), want)
	}
}

// Identifiers built by hand that would panic when used give input errors.
func TestHandBuiltIdentifiersNeverPanic(t *testing.T) {
	type embedsInterface struct{ client.Identifier }
	type embedsPointer struct {
		*client.CommunicationUserIdentifier
	}
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, nil)
	for name, id := range map[string]client.Identifier{
		"nil embedded Identifier":      embedsInterface{},
		"nil embedded pointer":         embedsPointer{},
		"pointer RawID over interface": &pointerRawID{},
		"pointer to nil embedded":      &embedsInterface{},
		"nil pointer":                  (*client.PhoneNumberIdentifier)(nil),
		"RawID that lies":              lyingRawID{client.CommunicationUserIdentifier{ID: alice}},
	} {
		_, err := c.MuteParticipant(context.Background(), "call", id, nil)
		if !errors.Is(err, client.ErrInvalidInput) {
			t.Errorf("%s: error = %v, want an input error", name, err)
		}
	}
	// A type that embeds a valid identifier is sent as that identifier.
	_, err := c.MuteParticipant(context.Background(), "call", embedsInterface{client.CommunicationUserIdentifier{ID: alice}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ptr := &client.CommunicationUserIdentifier{ID: alice}
	if _, err := c.MuteParticipant(context.Background(), "call", embedsPointer{ptr}, nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range srv.seen() {
		if !strings.Contains(string(r.Body), `"rawId":"`+alice+`"`) {
			t.Errorf("body %s", r.Body)
		}
	}
	if len(srv.seen()) != 2 {
		t.Errorf("%d requests, want 2", len(srv.seen()))
	}
}

type pointerRawID struct{ client.Identifier }

func (p *pointerRawID) RawID() string { return "8:acs:r_x" }

type lyingRawID struct {
	client.CommunicationUserIdentifier
}

func (lyingRawID) RawID() string { return "8:acs:someone_else" }

// An internationalised endpoint host is sent and signed in its ASCII form,
// so the emulator accepts the signature.
func TestInternationalisedHostIsSignedAsSent(t *testing.T) {
	srv := newEmulator(t)
	tr := client.NewTransport()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, strings.TrimPrefix(srv.URL, "http://"))
	}
	cred, _ := client.NewKeyCredential(fakeKey)
	c, err := client.NewClient("http://bücher.localhost:8080", cred, &client.ClientOptions{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint() != "http://xn--bcher-kva.localhost:8080/" {
		t.Errorf("Endpoint() = %q", c.Endpoint())
	}
	if _, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
		t.Fatal(err)
	}
	if h := srv.Requests()[0].Host; h != "xn--bcher-kva.localhost:8080" {
		t.Errorf("Host = %q", h)
	}
}

// quietLog discards a test server's error log (TLS handshake errors).
func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }

// A negative TryTimeout means no per-attempt bound: a slow answer is waited
// for.
func TestTryTimeoutDisabled(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		answer(200, `{}`)(w, r)
	})
	c := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: client.RetryOptions{TryTimeout: -1, MaxRetries: -1}})
	if _, err := c.MuteParticipant(context.Background(), "call", acsUser, nil); err != nil {
		t.Fatal(err)
	}
}

// An error body of exactly 1 MiB is read whole and decoded; one byte more
// is not decoded.
func TestErrorBodyAtTheLimit(t *testing.T) {
	body := `{"error":{"code":"Big","message":"at the limit"}}`
	for _, tt := range []struct {
		size    int
		message string
	}{{1 << 20, "at the limit"}, {1<<20 + 1, "larger than"}} {
		padded := body + strings.Repeat(" ", tt.size-len(body))
		srv := newRecorder(t, answer(400, padded))
		_, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, nil)
		var re *client.ResponseError
		if !errors.As(err, &re) || !strings.Contains(re.Message, tt.message) || len(re.RawBody) != min(tt.size, 1<<20) {
			t.Errorf("%d-byte body: error = %.200v", tt.size, err)
		}
	}
}

// A TLS record broken after the handshake, once the request went out, is a
// broken answer: retried, and unknown if retries run out.
func TestBadTLSRecordAfterTheRequestIsUnknown(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.Copy(io.Discard, r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		conn.(*tls.Conn).NetConn().Write([]byte("\x17\x03\x03\xff\xff"))
		conn.Close()
	}))
	srv.Config.ErrorLog = quietLog()
	srv.StartTLS()
	defer srv.Close()
	c := newKeyClient(t, srv.URL, &client.ClientOptions{HTTPClient: srv.Client(), Retry: client.RetryOptions{MaxRetries: 1}})
	client.UseClock(c, client.NewFakeClock(time.Now()))
	_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 2, true)
	if hits.Load() != 2 {
		t.Errorf("%d requests served, want 2", hits.Load())
	}
}

// A 200 that cannot be the operation's result is not a success.
func TestOddSuccessAnswersAreUnknown(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"null":        answer(200, `null`),
		"array":       answer(200, `[]`),
		"blank 1 MiB": answer(200, strings.Repeat(" ", 1<<20+10)),
	} {
		srv := newRecorder(t, h)
		_, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, nil)
		if !errors.Is(err, client.ErrOutcomeUnknown) {
			t.Errorf("%s: error = %v, want an unknown outcome", name, err)
		}
	}
}

// Typed nil credentials and clients give input errors, not panics.
func TestNilCredentialsAndClients(t *testing.T) {
	for _, cred := range []client.Credential{(*client.KeyCredential)(nil), (*client.TokenCredential)(nil), (*client.StaticTokenCredential)(nil)} {
		if _, err := client.NewClient("https://r.example", cred, nil); !errors.Is(err, client.ErrInvalidInput) {
			t.Errorf("%T: %v", cred, err)
		}
	}
	srv := newRecorder(t)
	for _, cred := range []client.Credential{&client.KeyCredential{}, &client.TokenCredential{}, &client.StaticTokenCredential{}} {
		c, err := client.NewClient(srv.URL, cred, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.MuteParticipant(context.Background(), "call", acsUser, nil)
		muteErr(t, err, 1, false)
		if !strings.Contains(err.Error(), "was not made by New") {
			t.Errorf("zero %T: %v", cred, err)
		}
	}
	var nilClient *client.Client
	if _, err := nilClient.MuteParticipant(context.Background(), "call", acsUser, nil); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("nil client: %v", err)
	}
	if _, err := (&client.Client{}).GetParticipant(context.Background(), "call", acsUser, nil); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("zero client: %v", err)
	}
	if nilClient.Endpoint() != "" || len(srv.seen()) != 0 {
		t.Error("nil client has an endpoint, or a request was sent")
	}
}

// The service's text cannot break an error's line.
func TestErrorTextStaysOnOneLine(t *testing.T) {
	srv := newRecorder(t, answer(400, `{"error":{"code":"Bad\nCode","message":"line one\r\nmuted OK\u001b[2J\u2028x\u202e","target":"t\u0000"}}`))
	_, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, nil)
	var re *client.ResponseError
	if !errors.As(err, &re) || !strings.Contains(re.Message, "\n") {
		t.Fatalf("error = %v; the field should keep the text as received", err)
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\r\n\x1b\x00\u2028\u202e") {
		t.Errorf("Error() = %q", msg)
	}
}

// Nothing reachable from a returned error holds the bearer token: not the
// request copy, and not the connection behind the response body.
func TestNoCredentialReachableFromErrors(t *testing.T) {
	const token = "fake-reachability-token"
	for _, status := range []int{400, 404, 307, 401, 503, 202} {
		srv := newRecorder(t, answer(status, `{"error":{"code":"X","message":"y"}}`, "Location", "/elsewhere"))
		cred, _ := client.NewStaticTokenCredential(token)
		c, _ := client.NewClient(srv.URL, cred, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: -1}})
		_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
		if err == nil {
			t.Fatal("no error")
		}
		if path := findString(reflect.ValueOf(err), token, map[uintptr]bool{}, "err", 0); path != "" {
			t.Errorf("%d: the token is reachable at %s", status, path)
		}
	}
}

// findString walks v (pointers, interfaces, structs, slices, arrays, maps,
// unexported fields included) and returns the path to a string or byte
// slice containing s, or "".
func findString(v reflect.Value, s string, seen map[uintptr]bool, path string, depth int) string {
	if !v.IsValid() || depth > 60 {
		return ""
	}
	switch v.Kind() {
	case reflect.String:
		if strings.Contains(v.String(), s) {
			return path
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return ""
		}
		if v.Kind() == reflect.Pointer {
			if seen[v.Pointer()] {
				return ""
			}
			seen[v.Pointer()] = true
		}
		return findString(v.Elem(), s, seen, path, depth+1)
	case reflect.Struct:
		for i := range v.NumField() {
			if p := findString(v.Field(i), s, seen, path+"."+v.Type().Field(i).Name, depth+1); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice {
			if v.IsNil() {
				return ""
			}
			if v.Type().Elem().Kind() == reflect.Uint8 {
				if bytes.Contains(v.Bytes(), []byte(s)) {
					return path
				}
				return ""
			}
		}
		for i := range min(v.Len(), 4096) {
			if p := findString(v.Index(i), s, seen, fmt.Sprintf("%s[%d]", path, i), depth+1); p != "" {
				return p
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			if p := findString(v.MapIndex(k), s, seen, fmt.Sprintf("%s[%v]", path, k), depth+1); p != "" {
				return p
			}
		}
	}
	return ""
}

// An unknown outcome's error gives one resend deadline, the one the client
// enforces: a resend a second before it is sent, a second after it is not.
func TestResendDeadlineInErrorIsTheOneEnforced(t *testing.T) {
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	srv := newRecorder(t, answer(503, `{"error":{"code":"Busy","message":"busy"}}`))
	c := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: -1}})
	clk := client.NewFakeClock(start)
	client.UseClock(c, clk)
	_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
	me := muteErr(t, err, 1, true)
	_, after, ok := strings.Cut(err.Error(), " before ")
	if !ok {
		t.Fatalf("error = %v, want a deadline", err)
	}
	deadline, perr := http.ParseTime(after[:len(http.TimeFormat)])
	if perr != nil {
		t.Fatalf("deadline in %q: %v", err, perr)
	}
	if want := start.Add(client.ResendWindow); !deadline.Equal(want) || strings.Contains(err.Error(), client.RepeatabilityWindow.String()) {
		t.Errorf("error = %v, want the deadline %v and no other window", err, want)
	}
	for _, tt := range []struct {
		at   time.Time
		sent bool
	}{{deadline.Add(-time.Second), true}, {deadline.Add(time.Second), false}} {
		before := len(srv.seen())
		clk := client.NewFakeClock(tt.at)
		client.UseClock(c, clk)
		_, _ = c.MuteParticipant(context.Background(), "call", acsUser, &client.MuteParticipantOptions{
			RepeatabilityRequestID: me.RepeatabilityRequestID, RepeatabilityFirstSent: me.RepeatabilityFirstSent})
		if sent := len(srv.seen()) > before; sent != tt.sent {
			t.Errorf("resend at %v: sent %v, want %v", tt.at, sent, tt.sent)
		}
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

// A 200 of exactly 1 MiB (a JSON object padded with spaces) is read whole
// and is a success.
func TestSuccessBodyAtTheLimit(t *testing.T) {
	body := `{"operationContext":"big"}`
	srv := newRecorder(t, answer(200, body+strings.Repeat(" ", 1<<20-len(body))))
	res, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, nil)
	if err != nil || res.OperationContext != "big" {
		t.Errorf("1 MiB 200: %+v, %v", res, err)
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
