package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

const (
	alice = "8:acs:res_alice"
	bob   = "8:acs:res_bob"
)

// fastRetry keeps retry tests quick while still exercising backoff.
var fastRetry = client.RetryOptions{RetryDelay: 2 * time.Millisecond, MaxRetryDelay: 20 * time.Millisecond}

func newEmulator(t testing.TB) *acstest.Server {
	t.Helper()
	srv, err := acstest.NewServer(&acstest.Options{Credentials: acstest.NewCredentials(fakeKey), Calls: map[string][]string{"call-1": {alice, bob}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func emulatorClient(t testing.TB, srv *acstest.Server, retry client.RetryOptions, logs *bytes.Buffer) *client.Client {
	t.Helper()
	opts := &client.ClientOptions{Retry: retry}
	if logs != nil {
		opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c, err := client.NewClientFromConnectionString(srv.ConnectionString(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRetryScenarios(t *testing.T) {
	type want struct {
		attempts   int
		ok         bool
		status     int // of the ResponseError, when !ok
		unknown    bool
		executions int
	}
	tests := []struct {
		name   string
		faults []acstest.Fault
		retry  client.RetryOptions
		want   want
	}{
		{"408", []acstest.Fault{{Status: 408}}, fastRetry, want{2, true, 0, false, 1}},
		{"429", []acstest.Fault{{Status: 429}}, fastRetry, want{2, true, 0, false, 1}},
		{"429 Retry-After seconds", []acstest.Fault{{Status: 429, RetryAfter: "0"}}, fastRetry, want{2, true, 0, false, 1}},
		{"429 retry-after-ms", []acstest.Fault{{Status: 429, RetryAfterMs: "3"}}, fastRetry, want{2, true, 0, false, 1}},
		{"500", []acstest.Fault{{Status: 500}}, fastRetry, want{2, true, 0, false, 1}},
		{"502", []acstest.Fault{{Status: 502}}, fastRetry, want{2, true, 0, false, 1}},
		{"503 Retry-After", []acstest.Fault{{Status: 503, RetryAfter: "0"}}, fastRetry, want{2, true, 0, false, 1}},
		{"503 Retry-After capped", []acstest.Fault{{Status: 503, RetryAfter: "3600"}}, fastRetry, want{2, true, 0, false, 1}},
		{"504", []acstest.Fault{{Status: 504}}, fastRetry, want{2, true, 0, false, 1}},
		{"three 503s then success", []acstest.Fault{{Status: 503}, {Status: 503}, {Status: 503}}, fastRetry, want{4, true, 0, false, 1}},
		{"four 503s exhaust retries", []acstest.Fault{{Status: 503}, {Status: 503}, {Status: 503}, {Status: 503}}, fastRetry, want{4, false, 503, true, 0}},
		{"429s exhaust retries", []acstest.Fault{{Status: 429}, {Status: 429}, {Status: 429}, {Status: 429}}, fastRetry, want{4, false, 429, false, 0}},
		{"retries disabled", []acstest.Fault{{Status: 503}}, client.RetryOptions{MaxRetries: -1}, want{1, false, 503, true, 0}},
		{"retries disabled, 429", []acstest.Fault{{Status: 429}}, client.RetryOptions{MaxRetries: -1}, want{1, false, 429, false, 0}},
		{"400 not retried", []acstest.Fault{{Status: 400}}, fastRetry, want{1, false, 400, false, 0}},
		{"401 not retried", []acstest.Fault{{Status: 401}}, fastRetry, want{1, false, 401, false, 0}},
		{"403 not retried", []acstest.Fault{{Status: 403}}, fastRetry, want{1, false, 403, false, 0}},
		{"404 not retried", []acstest.Fault{{Status: 404}}, fastRetry, want{1, false, 404, false, 0}},
		{"409 without repeatability not retried", []acstest.Fault{{Status: 409}}, fastRetry, want{1, false, 409, false, 0}},
		{"412 outcome unknown", []acstest.Fault{{Status: 412}}, fastRetry, want{1, false, 412, true, 0}},
		{"503 then 404 is a verdict", []acstest.Fault{{Status: 503}, {Status: 404}}, fastRetry, want{2, false, 404, false, 0}},
		{"503 then 400 is a verdict", []acstest.Fault{{Status: 503}, {Status: 400}}, fastRetry, want{2, false, 400, false, 0}},
		{"503 then 401 stays unknown", []acstest.Fault{{Status: 503}, {Status: 401}}, fastRetry, want{2, false, 401, true, 0}},
		{"503 then 403 stays unknown", []acstest.Fault{{Status: 503}, {Status: 403}}, fastRetry, want{2, false, 403, true, 0}},
		{"408 then 429s stay unknown", []acstest.Fault{{Status: 408}, {Status: 429}, {Status: 429}, {Status: 429}}, fastRetry, want{4, false, 429, true, 0}},
		{"501 is final, maybe executed", []acstest.Fault{{Status: 501}}, fastRetry, want{1, false, 501, true, 0}},
		{"202 is not success", []acstest.Fault{{Status: 202}}, fastRetry, want{1, false, 202, true, 0}},
		{"204 is not success", []acstest.Fault{{Status: 204}}, fastRetry, want{1, false, 204, true, 0}},
		{"connection dropped before execution", []acstest.Fault{{Drop: acstest.DropBeforeExecute}}, fastRetry, want{2, true, 0, false, 1}},
		{"connection dropped after execution", []acstest.Fault{{Drop: acstest.DropAfterExecute}}, fastRetry, want{2, true, 0, false, 1}},
		{"dropped twice after execution", []acstest.Fault{{Drop: acstest.DropAfterExecute}, {Drop: acstest.DropAfterExecute}}, fastRetry, want{3, true, 0, false, 1}},
		{"latency past the per-attempt timeout", []acstest.Fault{{Latency: 300 * time.Millisecond}},
			client.RetryOptions{RetryDelay: 100 * time.Millisecond, MaxRetryDelay: 200 * time.Millisecond, TryTimeout: 100 * time.Millisecond, MaxRetries: 5}, want{0, true, 0, false, 1}},
		{"latency within the per-attempt timeout", []acstest.Fault{{Latency: 20 * time.Millisecond}},
			client.RetryOptions{TryTimeout: 2 * time.Second}, want{1, true, 0, false, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newEmulator(t)
			for _, f := range tt.faults {
				srv.InjectFaults(1, f)
			}
			var logs bytes.Buffer
			c := emulatorClient(t, srv, tt.retry, &logs)
			start := time.Now()
			res, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
			elapsed := time.Since(start)
			reqs := srv.Requests()
			if tt.want.attempts > 0 && len(reqs) != tt.want.attempts {
				t.Errorf("%d attempts reached the emulator, want %d", len(reqs), tt.want.attempts)
			}
			if tt.want.attempts == 0 && len(reqs) < 2 {
				t.Errorf("%d attempts reached the emulator, want a timeout and at least one retry", len(reqs))
			}
			if tt.want.ok {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if res.Attempts != len(reqs) {
					t.Errorf("result says %d attempts, emulator saw %d", res.Attempts, len(reqs))
				}
				if m, _ := srv.IsMuted("call-1", alice); !m {
					t.Error("success, but alice is not muted")
				}
			} else {
				var re *client.ResponseError
				if !errors.As(err, &re) || re.StatusCode != tt.want.status {
					t.Fatalf("error = %v, want a ResponseError with status %d", err, tt.want.status)
				}
				if wantMsg := fmt.Sprintf("after %d attempt", tt.want.attempts); !strings.Contains(err.Error(), wantMsg) {
					t.Errorf("error %q does not say %q", err, wantMsg)
				}
				if errors.Is(err, client.ErrOutcomeUnknown) != tt.want.unknown {
					t.Errorf("errors.Is(err, ErrOutcomeUnknown) = %v, want %v (%v)", !tt.want.unknown, tt.want.unknown, err)
				}
			}
			if n := srv.TotalExecutions(); n != tt.want.executions {
				t.Errorf("%d executions, want %d", n, tt.want.executions)
			}
			// Every attempt: same repeatability headers and body; fresh date and signature.
			for i, r := range reqs[1:] {
				for _, h := range []string{"Repeatability-Request-ID", "Repeatability-First-Sent", "X-Ms-Client-Request-Id", "X-Ms-Content-Sha256"} {
					if r.Header.Get(h) != reqs[0].Header.Get(h) || r.Header.Get(h) == "" {
						t.Errorf("attempt %d: %s %q differs from %q", i+2, h, r.Header.Get(h), reqs[0].Header.Get(h))
					}
				}
				if !bytes.Equal(r.Body, reqs[0].Body) {
					t.Errorf("attempt %d: body %s differs from %s", i+2, r.Body, reqs[0].Body)
				}
			}
			if elapsed > 3*time.Second {
				t.Errorf("took %v", elapsed)
			}
			if strings.Contains(logs.String(), fakeKey) || strings.Contains(logs.String(), "Signature=") {
				t.Errorf("logs show a secret:\n%s", logs.String())
			}
			if got := strings.Count(logs.String(), "acsmute: attempt"); got != len(reqs) && tt.want.attempts > 0 {
				t.Errorf("%d log records for %d attempts:\n%s", got, len(reqs), logs.String())
			}
		})
	}
}

func TestRetryDatesAndSignaturesAreFresh(t *testing.T) {
	srv := newEmulator(t)
	srv.InjectFaults(1, acstest.Fault{Status: 503, RetryAfter: "1"}) // x-ms-date has one-second resolution
	c := emulatorClient(t, srv, client.RetryOptions{MaxRetryDelay: 1100 * time.Millisecond}, nil)
	if _, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d attempts", len(reqs))
	}
	if reqs[0].Header.Get("X-Ms-Date") == reqs[1].Header.Get("X-Ms-Date") {
		t.Errorf("both attempts sent x-ms-date %q", reqs[0].Header.Get("X-Ms-Date"))
	}
	if d := reqs[1].Time.Sub(reqs[0].Time); d < 900*time.Millisecond {
		t.Errorf("Retry-After: 1 honoured with a %v wait", d)
	}
}

func TestContextEndsWaitingAndAttempts(t *testing.T) {
	srv := newEmulator(t)
	c := emulatorClient(t, srv, client.RetryOptions{RetryDelay: time.Minute, MaxRetryDelay: time.Minute}, nil)

	// Cancelled while waiting to retry.
	srv.InjectFaults(1, acstest.Fault{Status: 503})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.MuteParticipant(ctx, "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
	if !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("after %v: %v", time.Since(start), err)
	}
	var re *client.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 503 {
		t.Errorf("the last cause is not kept: %v", err)
	}

	// Deadline during an attempt in flight.
	srv.InjectFaults(1, acstest.Fault{Latency: 2 * time.Second})
	// 300 ms: time for the request to be sent even on a loaded machine.
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = c.MuteParticipant(ctx, "call-1", client.CommunicationUserIdentifier{ID: bob}, nil)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 1500*time.Millisecond {
		t.Errorf("after %v: %v", time.Since(start), err)
	}
	if !strings.Contains(err.Error(), "after 1 attempt") || !errors.Is(err, client.ErrOutcomeUnknown) {
		t.Errorf("error = %v", err)
	}
}

func TestTruncatedResponses(t *testing.T) {
	truncated := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(status)
			w.Write([]byte(`{"operationContext":`))
		}
	}
	srv := newRecorder(t, truncated(200), answer(200, `{"operationContext":"second"}`))
	c := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: fastRetry})
	res, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
	if err != nil || res.Attempts != 2 || res.OperationContext != "second" {
		t.Errorf("truncated 200 then 200: %+v, %v", res, err)
	}

	srv = newRecorder(t, truncated(500))
	c = newKeyClient(t, srv.URL, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond}})
	_, err = c.MuteParticipant(context.Background(), "call", acsUser, nil)
	if err == nil || !strings.Contains(err.Error(), "after 2 attempts") || !strings.Contains(err.Error(), "unexpected EOF") || !errors.Is(err, client.ErrOutcomeUnknown) {
		t.Errorf("truncated 500s: %v", err)
	}
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	srv := newEmulator(t)
	cs := srv.ConnectionString()
	srv.Close()
	c, _ := client.NewClientFromConnectionString(cs, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond}})
	_, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
	if err == nil || !strings.Contains(err.Error(), "after 3 attempts") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error = %v", err)
	}
}

func TestRetryOptionsValidation(t *testing.T) {
	cred, _ := client.NewKeyCredential(fakeKey)
	for _, r := range []client.RetryOptions{{RetryDelay: -1}, {MaxRetryDelay: -1}} {
		if _, err := client.NewClient("https://r.example", cred, &client.ClientOptions{Retry: r}); !errors.Is(err, client.ErrInvalidInput) {
			t.Errorf("%+v: %v", r, err)
		}
	}
	// A negative TryTimeout turns the per-attempt bound off.
	if _, err := client.NewClient("https://r.example", cred, &client.ClientOptions{Retry: client.RetryOptions{TryTimeout: -1}}); err != nil {
		t.Errorf("TryTimeout -1: %v", err)
	}
}

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

// The wall clock's Sleep returns the context's error when it is done, even
// for no wait.
func TestRealClockSleepHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		cancel() // the call's context ends while the answer asks for no wait
		answer(503, `{}`, "Retry-After", "0")(w, r)
	})
	c := newKeyClient(t, srv.URL, nil)
	_, err := c.MuteParticipant(ctx, "call", acsUser, nil)
	if !errors.Is(err, context.Canceled) || len(srv.seen()) != 1 {
		t.Errorf("error = %v after %d attempts", err, len(srv.seen()))
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
