package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock for TokenCredential.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *fakeClock) add(d time.Duration) { c.set(c.now().Add(d)) }

// countingProvider issues "fake-token-N" tokens valid for an hour from the
// fake clock, after a short pause that widens any race.
type countingProvider struct {
	clock *fakeClock
	calls atomic.Int32
	fail  atomic.Bool
}

func (p *countingProvider) GetToken(ctx context.Context) (AccessToken, error) {
	n := p.calls.Add(1)
	select {
	case <-time.After(20 * time.Millisecond):
	case <-ctx.Done():
		return AccessToken{}, ctx.Err()
	}
	if p.fail.Load() {
		return AccessToken{}, errors.New("token service unavailable")
	}
	return AccessToken{Token: fmt.Sprintf("fake-token-%d", n), ExpiresOn: p.clock.now().Add(time.Hour)}, nil
}

// bearerServer records the Authorization header of each request.
func bearerServer(t *testing.T) (*httptest.Server, func() map[string]int) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("Authorization")]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int{}
		for k, v := range seen {
			out[k] = v
		}
		return out
	}
}

func muteConcurrently(t *testing.T, c *Client, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.MuteParticipant(context.Background(), "call", CommunicationUserIdentifier{ID: "8:acs:r_u"}, nil)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestTokenCredentialRefreshUnderConcurrency(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	prov := &countingProvider{clock: clock}
	cred, err := NewTokenCredential(prov, nil)
	if err != nil {
		t.Fatal(err)
	}
	cred.now = clock.now
	srv, seen := bearerServer(t)
	c, err := NewClient(srv.URL, cred, nil)
	if err != nil {
		t.Fatal(err)
	}

	muteConcurrently(t, c, 50)
	if n := prov.calls.Load(); n != 1 {
		t.Fatalf("50 concurrent calls fetched %d tokens, want 1", n)
	}
	if got := seen(); got["Bearer fake-token-1"] != 50 {
		t.Fatalf("Authorization headers = %v", got)
	}

	// Inside the refresh margin but before expiry: one fetch; nobody waits
	// on a failed or slow fetch while the old token still works.
	clock.add(56 * time.Minute)
	muteConcurrently(t, c, 50)
	if n := prov.calls.Load(); n != 2 {
		t.Fatalf("after entering the refresh margin, %d fetches in all, want 2", n)
	}
	got := seen()
	if got["Bearer fake-token-1"]+got["Bearer fake-token-2"] != 100 || got["Bearer fake-token-2"] == 0 {
		t.Fatalf("Authorization headers = %v", got)
	}

	// Past expiry, a failing provider fails the calls with its error.
	clock.add(2 * time.Hour)
	prov.fail.Store(true)
	_, err = c.MuteParticipant(context.Background(), "call", CommunicationUserIdentifier{ID: "8:acs:r_u"}, &MuteParticipantOptions{})
	if err == nil || !strings.Contains(err.Error(), "token service unavailable") {
		t.Fatalf("error = %v", err)
	}
	if strings.Contains(err.Error(), "fake-token") {
		t.Fatalf("error %q shows a token", err)
	}
	prov.fail.Store(false)
	muteConcurrently(t, c, 20)
	if n := seen()["Bearer fake-token-"+fmt.Sprint(prov.calls.Load())]; n != 20 {
		t.Fatalf("after recovery: %v", seen())
	}
}

func TestTokenCredentialWaitHonoursContext(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	prov := TokenProviderFunc(func(ctx context.Context) (AccessToken, error) {
		<-block
		return AccessToken{Token: "fake"}, nil
	})
	cred, _ := NewTokenCredential(prov, nil)
	go cred.token(context.Background()) // holds the fetch
	time.Sleep(10 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := cred.token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want the context's deadline", err)
	}
}

func TestStaticTokenCredential(t *testing.T) {
	srv, seen := bearerServer(t)
	cred, err := NewStaticTokenCredential("fake-static-token")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := NewClient(srv.URL, cred, nil)
	if _, err := c.MuteParticipant(context.Background(), "call", CommunicationUserIdentifier{ID: "8:acs:r_u"}, nil); err != nil {
		t.Fatal(err)
	}
	if seen()["Bearer fake-static-token"] != 1 {
		t.Fatalf("Authorization headers = %v", seen())
	}
	for _, bad := range []string{"", "two words", "line\nbreak"} {
		if _, err := NewStaticTokenCredential(bad); err == nil {
			t.Errorf("token %q accepted", bad)
		}
	}
	if _, err := NewTokenCredential(nil, nil); err == nil {
		t.Error("nil provider accepted")
	}
}

func TestCredentialsDoNotPrintSecrets(t *testing.T) {
	key, _ := NewKeyCredential("ZmFrZS1hY2Nlc3Mta2V5LWZvci10ZXN0cw==")
	static, _ := NewStaticTokenCredential("fake-static-token")
	tc, _ := NewTokenCredential(TokenProviderFunc(func(context.Context) (AccessToken, error) {
		return AccessToken{Token: "fake-cached-token"}, nil
	}), nil)
	_, _ = tc.token(context.Background())
	c, _ := NewClient("https://r.example", key, nil)
	values := []any{key, static, tc, c, *c, AccessToken{Token: "fake-cached-token", ExpiresOn: time.Now()}}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range []string{"fake-static-token", "fake-cached-token", "ZmFrZS1hY2Nlc3Mta2V5", "fake-access-key"} {
				if strings.Contains(out, secret) {
					t.Errorf("Sprintf(%q, %T) = %q shows a secret", verb, v, out)
				}
			}
		}
	}
}
