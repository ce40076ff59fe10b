package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
)

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
