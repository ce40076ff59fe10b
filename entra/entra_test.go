package entra_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
	"github.com/acsmute/acsmute/entra"
)

const alice = "8:acs:res_alice"

// fakeCredential is an azcore.TokenCredential that hands out numbered fake
// tokens, records what it was asked for, and can fail or be slow.
type fakeCredential struct {
	mu        sync.Mutex
	calls     int
	scopes    [][]string
	tenants   []string
	err       error
	delay     time.Duration
	refreshOn func(n int) time.Time
	noExpiry  bool
}

func (f *fakeCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.scopes = append(f.scopes, opts.Scopes)
	f.tenants = append(f.tenants, opts.TenantID)
	err, delay, refreshOn, noExpiry := f.err, f.delay, f.refreshOn, f.noExpiry
	f.mu.Unlock()
	select {
	case <-time.After(delay):
	case <-ctx.Done():
		return azcore.AccessToken{}, ctx.Err()
	}
	if err != nil {
		return azcore.AccessToken{}, err
	}
	tok := azcore.AccessToken{Token: fmt.Sprintf("fake-entra-token-%d", n), ExpiresOn: time.Now().Add(time.Hour)}
	if refreshOn != nil {
		tok.RefreshOn = refreshOn(n)
	}
	if noExpiry {
		tok.ExpiresOn = time.Time{}
	}
	return tok, nil
}

func (f *fakeCredential) callCount() int { f.mu.Lock(); defer f.mu.Unlock(); return f.calls }

func emulator(t *testing.T) *acstest.Server {
	t.Helper()
	tokens := make([]string, 0, 10)
	for i := 1; i <= 10; i++ {
		tokens = append(tokens, fmt.Sprintf("fake-entra-token-%d", i))
	}
	return acstest.Start(t, &acstest.Options{Credentials: acstest.NewCredentials("", tokens...), Calls: map[string][]string{"call-1": {alice}}})
}

func newClient(t *testing.T, srv *acstest.Server, cred *client.TokenCredential) *client.Client {
	t.Helper()
	c, err := client.NewClient(srv.URL, cred, &client.ClientOptions{Retry: client.RetryOptions{RetryDelay: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Tokens are asked for the Communication Services scope (and the tenant,
// when set), and the emulator accepts them.
func TestMuteWithEntraToken(t *testing.T) {
	srv := emulator(t)
	fake := &fakeCredential{}
	cred, err := entra.NewCredential(fake, &entra.Options{TenantID: "fake-tenant"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t, srv, cred).MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fake.scopes[0], []string{"https://communication.azure.com//.default"}) || fake.tenants[0] != "fake-tenant" {
		t.Errorf("asked for scopes %v, tenant %q", fake.scopes[0], fake.tenants[0])
	}
	if got := srv.Requests()[0].Header.Get("Authorization"); got != "Bearer REDACTED" {
		t.Errorf("Authorization recorded as %q", got)
	}
}

// Fifty goroutines using a new credential at once fetch one token.
func TestConcurrentFirstUse(t *testing.T) {
	srv := emulator(t)
	fake := &fakeCredential{delay: 50 * time.Millisecond}
	cred, _ := entra.NewCredential(fake, nil)
	c := newClient(t, srv, cred)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 50 {
		wg.Go(func() {
			if _, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := fake.callCount(); n != 1 || failed.Load() != 0 {
		t.Errorf("%d token fetches, %d failed calls; want 1 and 0", n, failed.Load())
	}
}

// A token whose RefreshOn has come is replaced, though it is far from
// expiry.
func TestRefreshAtRefreshOn(t *testing.T) {
	srv := emulator(t)
	fake := &fakeCredential{refreshOn: func(n int) time.Time {
		if n == 1 {
			return time.Now().Add(-time.Second) // due at once
		}
		return time.Now().Add(time.Hour)
	}}
	cred, _ := entra.NewCredential(fake, nil)
	c := newClient(t, srv, cred)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
			t.Fatal(err)
		}
		if fake.callCount() >= 2 && time.Now().Before(deadline) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d fetches after 10s; want a refresh", fake.callCount())
		}
		time.Sleep(time.Millisecond)
	}
	if n := fake.callCount(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
}

// The credential's error ends the call at once: one attempt, nothing sent,
// and errors.Is finds the credential's own error.
func TestCredentialErrorEndsTheCall(t *testing.T) {
	srv := emulator(t)
	sentinel := errors.New("fake: managed identity unavailable")
	cred, _ := entra.NewCredential(&fakeCredential{err: sentinel}, nil)
	start := time.Now()
	_, err := newClient(t, srv, cred).MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
	var me *client.MuteError
	if !errors.Is(err, sentinel) || !errors.As(err, &me) || me.Attempts != 1 || errors.Is(err, client.ErrOutcomeUnknown) {
		t.Fatalf("error = %v", err)
	}
	if len(srv.Requests()) != 0 || time.Since(start) > 5*time.Second {
		t.Errorf("%d requests sent, took %v", len(srv.Requests()), time.Since(start))
	}
	if _, err := entra.NewCredential(nil, nil); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("nil credential: %v", err)
	}
}

// A token without an expiry is not kept for ever: each call asks again.
func TestTokenWithoutExpiry(t *testing.T) {
	srv := emulator(t)
	fake := &fakeCredential{noExpiry: true}
	cred, err := entra.NewCredential(fake, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv, cred)
	for range 3 {
		if _, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := fake.callCount(); n != 3 {
		t.Errorf("%d tokens fetched for 3 calls, want 3", n)
	}
}

// A credential that keeps failing is not asked once per call.
func TestFailingCredentialBacksOff(t *testing.T) {
	srv := emulator(t)
	fake := &fakeCredential{err: errors.New("fake: entra is down")}
	cred, err := entra.NewCredential(fake, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv, cred)
	for range 10 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		_, err := c.MuteParticipant(ctx, "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
		cancel()
		if err == nil {
			t.Fatal("a call succeeded")
		}
	}
	if n := fake.callCount(); n > 2 {
		t.Errorf("the failing credential was asked %d times in 10 calls", n)
	}
	if len(srv.Requests()) != 0 {
		t.Error("a request was sent without a token")
	}
}
