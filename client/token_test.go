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
	return NewAccessToken(fmt.Sprintf("fake-token-%d", n), p.clock.now().Add(time.Hour)), nil
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
	cred.st.now = clock.now
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

	// Inside the refresh margin but before expiry: the calls keep using the
	// old token without waiting, and one fetch replaces it in the background.
	clock.add(56 * time.Minute)
	muteConcurrently(t, c, 50)
	if got := seen(); got["Bearer fake-token-1"]+got["Bearer fake-token-2"] != 100 {
		t.Fatalf("Authorization headers = %v", got)
	}
	waitForToken(t, cred, "fake-token-2")
	if n := prov.calls.Load(); n != 2 {
		t.Fatalf("after entering the refresh margin, %d fetches in all, want 2", n)
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

// waitForToken waits until the credential hands out want.
func waitForToken(t *testing.T, cred *TokenCredential, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tok, err := cred.st.token(context.Background())
		if err == nil && tok == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("token = %q, %v; want %q", tok, err, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// blockingProvider blocks every GetToken until release is closed, ignoring
// its context, and reports each start on started.
type blockingProvider struct {
	started chan struct{}
	release chan struct{}
	calls   atomic.Int32
}

func newBlockingProvider() *blockingProvider {
	return &blockingProvider{started: make(chan struct{}, 16), release: make(chan struct{})}
}

func (p *blockingProvider) GetToken(context.Context) (AccessToken, error) {
	n := p.calls.Add(1)
	p.started <- struct{}{}
	<-p.release
	return NewAccessToken(fmt.Sprintf("fake-blocked-%d", n), time.Time{}), nil
}

// tokenAsync runs token in a goroutine and returns its result channel.
func tokenAsync(ctx context.Context, cred *TokenCredential) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := cred.st.token(ctx)
		done <- err
	}()
	return done
}

func receive(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("token did not return within 10s")
		return nil
	}
}

// A caller waiting for a fetch returns when its own context ends, even when
// the provider ignores its context, and also when it started the fetch.
func TestTokenCredentialWaitHonoursContext(t *testing.T) {
	prov := newBlockingProvider()
	cred, _ := NewTokenCredential(prov, nil)
	defer close(prov.release)

	ctx1, cancel1 := context.WithCancel(context.Background())
	first := tokenAsync(ctx1, cred) // starts the fetch
	<-prov.started
	ctx2, cancel2 := context.WithCancel(context.Background())
	second := tokenAsync(ctx2, cred) // waits for it
	cancel1()
	if err := receive(t, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("caller that started the fetch: error = %v, want context.Canceled", err)
	}
	cancel2()
	if err := receive(t, second); !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting caller: error = %v, want context.Canceled", err)
	}
	if n := prov.calls.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}

// A provider that never returns does not wedge the credential: after the
// fetch timeout a new caller starts a new fetch.
func TestTokenCredentialHungProviderIsReplaced(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	prov := newBlockingProvider()
	cred, _ := NewTokenCredential(prov, nil)
	cred.st.now = clock.now
	defer close(prov.release)

	ctx, cancel := context.WithCancel(context.Background())
	first := tokenAsync(ctx, cred)
	<-prov.started
	cancel()
	receive(t, first)
	ctx, cancel = context.WithCancel(context.Background())
	second := tokenAsync(ctx, cred) // joins the hung fetch
	cancel()
	receive(t, second)
	if n := prov.calls.Load(); n != 1 {
		t.Fatalf("%d fetches before the timeout, want 1", n)
	}
	clock.add(tokenFetchTimeout + time.Second)
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	third := tokenAsync(ctx, cred)
	<-prov.started
	if n := prov.calls.Load(); n != 2 {
		t.Fatalf("%d fetches after the timeout, want 2", n)
	}
	cancel()
	receive(t, third)
}

// A provider that panics leaves the credential usable, and the panic reaches
// the caller as an error.
func TestTokenCredentialSurvivesPanic(t *testing.T) {
	var calls atomic.Int32
	cred, _ := NewTokenCredential(TokenProviderFunc(func(context.Context) (AccessToken, error) {
		if calls.Add(1) == 1 {
			panic("provider bug")
		}
		return NewAccessToken("fake-after-panic", time.Time{}), nil
	}), nil)
	_, err := cred.st.token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "panicked") || !strings.Contains(err.Error(), "provider bug") {
		t.Fatalf("error = %v, want one naming the panic", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := cred.st.token(ctx)
	if err != nil || tok != "fake-after-panic" {
		t.Fatalf("after the panic: %q, %v", tok, err)
	}
}

// A token that is due for refresh but still valid is used at once when the
// refresh fails or is slow.
func TestTokenCredentialKeepsValidTokenWhileRefreshing(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	var mode atomic.Int32 // 0 ok, 1 fail, 2 block
	release := make(chan struct{})
	defer close(release)
	var calls atomic.Int32
	cred, _ := NewTokenCredential(TokenProviderFunc(func(context.Context) (AccessToken, error) {
		n := calls.Add(1)
		switch mode.Load() {
		case 1:
			return AccessToken{}, errors.New("token service unavailable")
		case 2:
			<-release
		}
		return NewAccessToken(fmt.Sprintf("fake-token-%d", n), clock.now().Add(time.Hour)), nil
	}), nil)
	cred.st.now = clock.now
	if tok, err := cred.st.token(context.Background()); err != nil || tok != "fake-token-1" {
		t.Fatalf("first token: %q, %v", tok, err)
	}
	clock.add(58 * time.Minute) // inside the 5-minute refresh margin
	for _, m := range []int32{1, 2} {
		mode.Store(m)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		tok, err := cred.st.token(ctx)
		cancel()
		if err != nil || tok != "fake-token-1" {
			t.Fatalf("mode %d: token = %q, %v; want the still-valid fake-token-1", m, tok, err)
		}
	}
}

// An unusable token from the provider is a credential failure, not an input
// error.
func TestTokenCredentialRejectsUnusableToken(t *testing.T) {
	cred, _ := NewTokenCredential(TokenProviderFunc(func(context.Context) (AccessToken, error) {
		return NewAccessToken("two words", time.Time{}), nil
	}), nil)
	_, err := cred.st.token(context.Background())
	if err == nil || errors.Is(err, ErrInvalidInput) || strings.Contains(err.Error(), "two words") {
		t.Fatalf("error = %v", err)
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

// A token's RefreshOn, when set, decides when it is replaced.
func TestTokenCredentialRefreshOn(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	var calls atomic.Int32
	cred, _ := NewTokenCredential(TokenProviderFunc(func(context.Context) (AccessToken, error) {
		n := calls.Add(1)
		now := clock.now()
		return withRefreshOn(NewAccessToken(fmt.Sprintf("fake-token-%d", n), now.Add(time.Hour)), now.Add(10*time.Minute)), nil
	}), nil)
	cred.st.now = clock.now
	waitForToken(t, cred, "fake-token-1")
	clock.add(9 * time.Minute) // before RefreshOn, far from expiry: no refresh
	if tok, _ := cred.st.token(context.Background()); tok != "fake-token-1" || calls.Load() != 1 {
		t.Fatalf("before RefreshOn: %q after %d fetches", tok, calls.Load())
	}
	clock.add(2 * time.Minute) // past RefreshOn, 49 minutes before expiry
	cred.st.token(context.Background())
	waitForToken(t, cred, "fake-token-2")
	if TokenScope != "https://communication.azure.com//.default" {
		t.Errorf("TokenScope = %q", TokenScope)
	}
}

// RefreshBefore sets how long before expiry a token is replaced.
func TestTokenCredentialRefreshBefore(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	var calls atomic.Int32
	provider := TokenProviderFunc(func(context.Context) (AccessToken, error) {
		n := calls.Add(1)
		return NewAccessToken(fmt.Sprintf("fake-token-%d", n), clock.now().Add(10*time.Minute)), nil
	})
	for _, tt := range []struct {
		before  time.Duration
		fetches int32
	}{{time.Minute, 1}, {0, 2}} { // 3 minutes before expiry: fresh with 1m, due with the default 5m
		calls.Store(0)
		cred, _ := NewTokenCredential(provider, &TokenCredentialOptions{RefreshBefore: tt.before})
		cred.st.now = clock.now
		waitForToken(t, cred, "fake-token-1")
		clock.add(7 * time.Minute)
		cred.st.token(context.Background())
		if tt.fetches == 2 {
			waitForToken(t, cred, "fake-token-2")
		}
		if n := calls.Load(); n != tt.fetches {
			t.Errorf("RefreshBefore %v: %d fetches, want %d", tt.before, n, tt.fetches)
		}
		clock.add(-7 * time.Minute)
	}
}

// A fetch is replaced only once it has run longer than the fetch timeout,
// and one that finishes late does not replace a longer-lived token.
func TestTokenCredentialLateFetch(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	release := []chan struct{}{make(chan struct{}), make(chan struct{})}
	started := make(chan int, 4)
	var calls atomic.Int32
	cred, _ := NewTokenCredential(TokenProviderFunc(func(context.Context) (AccessToken, error) {
		n := int(calls.Add(1))
		started <- n
		<-release[n-1]
		// The first fetch's token expires sooner than the second's.
		return NewAccessToken(fmt.Sprintf("fake-token-%d", n), clock.now().Add(time.Duration(n)*time.Hour)), nil
	}), nil)
	cred.st.now = clock.now

	ctx, cancel := context.WithCancel(context.Background())
	first := tokenAsync(ctx, cred)
	<-started
	cancel()
	receive(t, first)
	clock.add(tokenFetchTimeout) // exactly the timeout: still the same fetch
	ctx, cancel = context.WithCancel(context.Background())
	waiter := tokenAsync(ctx, cred)
	cancel()
	receive(t, waiter)
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d fetches at exactly the timeout, want 1", n)
	}
	clock.add(time.Second)
	second := tokenAsync(context.Background(), cred)
	<-started
	close(release[1])
	if err := receive(t, second); err != nil {
		t.Fatal(err)
	}
	waitForToken(t, cred, "fake-token-2")
	close(release[0]) // the first fetch ends late, with a shorter-lived token
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		if tok, _ := cred.st.token(context.Background()); tok != "fake-token-2" {
			t.Fatalf("the late fetch replaced the token: %q", tok)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// While the token is valid, refreshes that fail (or a RefreshOn already
// past) are tried at most once per refresh interval, not once per request.
func TestTokenCredentialRefreshIsSpaced(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	var calls atomic.Int32
	var fail atomic.Bool
	cred, _ := NewTokenCredential(TokenProviderFunc(func(context.Context) (AccessToken, error) {
		calls.Add(1)
		if fail.Load() {
			return AccessToken{}, errors.New("token service unavailable")
		}
		now := clock.now()
		return withRefreshOn(NewAccessToken("fake-token", now.Add(time.Hour)), now.Add(-time.Second)), nil
	}), nil)
	cred.st.now = clock.now
	waitForToken(t, cred, "fake-token")
	fail.Store(true)
	for range 20 {
		if tok, err := cred.st.token(context.Background()); err != nil || tok != "fake-token" {
			t.Fatalf("token = %q, %v", tok, err)
		}
		time.Sleep(time.Millisecond)
	}
	if n := calls.Load(); n > 2 {
		t.Errorf("%d fetches for 20 requests inside one refresh interval, want at most 2", n)
	}
	before := calls.Load()
	clock.add(refreshInterval + time.Second)
	cred.st.token(context.Background())
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() == before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if calls.Load() == before {
		t.Error("no refresh after the interval")
	}
}

func withRefreshOn(t AccessToken, refreshOn time.Time) AccessToken {
	t.RefreshOn = refreshOn
	return t
}

// A token may hold every visible ASCII character, '!' and '~' included; a
// space, a control character or DEL are refused.
func TestStaticTokenCharacters(t *testing.T) {
	for token, ok := range map[string]bool{"!tok~en!": true, "tok en": false, "tok\x7fen": false, "tok\x1fen": false} {
		if _, err := NewStaticTokenCredential(token); (err == nil) != ok {
			t.Errorf("NewStaticTokenCredential(%q) = %v", token, err)
		}
	}
}
