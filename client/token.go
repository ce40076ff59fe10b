package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/acsmute/acsmute/openapi/wire"
)

// AccessToken is a bearer token and the time it stops being valid. Make one
// with NewAccessToken; Token returns the token. It never reveals the token
// when printed with any fmt verb (bad ones such as %p included, even inside
// another value: the token is kept behind a pointer), marshalled to JSON or
// text, or logged with log/slog.
type AccessToken struct {
	token *string // behind a pointer, which fmt never follows inside a value
	// ExpiresOn is when the token expires. The zero time means it never does.
	ExpiresOn time.Time
	// RefreshOn, when set, is when the issuer advises replacing the token
	// (Microsoft Entra ID sends it as refresh_in); TokenCredential then
	// refreshes it from that time instead of RefreshBefore its expiry.
	RefreshOn time.Time
}

// NewAccessToken returns an AccessToken for token (without the "Bearer "
// prefix), expiring at expiresOn (the zero time: never). Set RefreshOn on
// the result when the issuer advises one.
func NewAccessToken(token string, expiresOn time.Time) AccessToken {
	return AccessToken{token: &token, ExpiresOn: expiresOn}
}

// Token returns the bearer token, or "" for the zero AccessToken.
func (t AccessToken) Token() string {
	if t.token == nil {
		return ""
	}
	return *t.token
}

// TokenScope is the Microsoft Entra ID scope of Communication Services
// tokens: ask a token provider (such as azidentity's credentials) for it.
// The double slash is part of the scope, as the official SDKs write it.
const TokenScope = "https://communication.azure.com//.default" // #nosec G101 -- a scope name, not a credential

// String describes the token without revealing it.
func (t AccessToken) String() string {
	if t.ExpiresOn.IsZero() {
		return "AccessToken(REDACTED)"
	}
	return "AccessToken(REDACTED, expires " + t.ExpiresOn.UTC().Format(time.RFC3339) + ")"
}

// GoString is like String, so that %#v does not reveal the token either.
func (t AccessToken) GoString() string { return t.String() }

// Format writes String for every verb, so that no fmt verb (%d, %x and %q
// included) reveals the token.
func (t AccessToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue implements slog.LogValuer, so that log/slog handlers (the JSON
// one included) record the redacted form.
func (t AccessToken) LogValue() slog.Value { return slog.StringValue(t.String()) }

// MarshalText returns the redacted form, so that encoders (encoding/json
// and encoding/xml among them) never write the token.
func (t AccessToken) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// TokenProvider fetches bearer tokens, for example from Microsoft Entra ID.
// GetToken should honour ctx; TokenCredential calls it from one goroutine at
// a time.
type TokenProvider interface {
	GetToken(ctx context.Context) (AccessToken, error)
}

// TokenProviderFunc adapts a function to TokenProvider.
type TokenProviderFunc func(ctx context.Context) (AccessToken, error)

// GetToken calls f(ctx).
func (f TokenProviderFunc) GetToken(ctx context.Context) (AccessToken, error) { return f(ctx) }

// StaticTokenCredential authorizes every request with one fixed bearer token.
// Prefer TokenCredential for tokens that expire. Like every credential here,
// it never reveals its token when printed, marshalled or logged.
type StaticTokenCredential struct {
	header *string // a pointer, so that a copied value holds no token either
}

// NewStaticTokenCredential returns a credential that always sends token.
func NewStaticTokenCredential(token string) (*StaticTokenCredential, error) {
	if err := checkToken(token); err != nil {
		return nil, err
	}
	h := "Bearer " + token
	return &StaticTokenCredential{header: &h}, nil
}

// String describes the credential without revealing the token.
func (c StaticTokenCredential) String() string { return "StaticTokenCredential(REDACTED)" }

// GoString describes the credential without revealing the token.
func (c StaticTokenCredential) GoString() string { return "&client.StaticTokenCredential{REDACTED}" }

// Format writes String for every verb.
func (c StaticTokenCredential) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue implements slog.LogValuer with the redacted form.
func (c StaticTokenCredential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalText returns the redacted form.
func (c StaticTokenCredential) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// heldSecret implements secretHolder: the token is kept out of what the
// client returns and logs from the first call on, before it is sent.
func (c *StaticTokenCredential) heldSecret() string {
	if c == nil || c.header == nil {
		return ""
	}
	return strings.TrimPrefix(*c.header, "Bearer ")
}

func (c *StaticTokenCredential) authorize(_ context.Context, req *http.Request, _ string, _ time.Time) error {
	if c == nil || c.header == nil {
		return errors.New("the StaticTokenCredential was not made by NewStaticTokenCredential")
	}
	req.Header[wire.HeaderAuthorization] = []string{*c.header}
	return nil
}

// TokenCredentialOptions configures a TokenCredential.
type TokenCredentialOptions struct {
	// RefreshBefore is how long before expiry a token is replaced.
	// Zero means 5 minutes.
	RefreshBefore time.Duration
}

// tokenFetchTimeout bounds one GetToken call; after it, a new call may start
// a new fetch even if the old one never returns.
const tokenFetchTimeout = time.Minute

// TokenCredential authorizes requests with bearer tokens from a
// TokenProvider, caching each token until its RefreshOn, or, without one,
// until RefreshBefore its expiry.
//
// It is safe for concurrent use. One GetToken call runs at a time, in a
// goroutine of its own, with a context that carries the values of the
// context of the call that started it but not its cancellation, and that
// ends after one minute. Callers wait for it only as long as their own
// context allows, and keep using the current token meanwhile if it is still
// valid. When a fetch fails, the callers waiting for it get its error; a
// still-valid token keeps being used. A panic in GetToken is recovered and
// returned as an error to those callers (it is not re-raised, since it
// happens on the credential's goroutine); the credential stays usable. A
// GetToken that ignores its context and never returns holds no caller past
// its own context, and a new fetch starts once a minute has passed.
//
// A TokenCredential never reveals a token when printed, marshalled or logged.
type TokenCredential struct {
	st *tokenState // a pointer, so that a copied value holds no token
}

type tokenState struct {
	provider      TokenProvider
	refreshBefore time.Duration
	now           func() time.Time

	mu      sync.Mutex
	current AccessToken
	fetch   *tokenFetch // the fetch in flight; nil when none is
	// lastRefresh is when the last fetch started while the current token
	// was still valid: such refreshes start at most once per
	// refreshInterval, so that a refresh that fails, or a RefreshOn already
	// past, does not cost a fetch per request.
	lastRefresh time.Time
	// After failed fetches in a row, no new fetch starts before retryAt
	// (failureBackoff, doubling, at most maxFailureBackoff); lastErr is the
	// last failure.
	failures int
	retryAt  time.Time
	lastErr  error
	// fetches counts the fetches started, so that callers woken from a
	// back-off know whether another one asked meanwhile.
	fetches int
}

// The back-off after a token provider fails.
const (
	failureBackoff    = 250 * time.Millisecond
	maxFailureBackoff = 15 * time.Second
)

// refreshInterval spaces refreshes of a token that is still valid.
const refreshInterval = 30 * time.Second

// tokenFetch is one GetToken call; done is closed when tok and err are set.
type tokenFetch struct {
	done    chan struct{}
	started time.Time
	tok     AccessToken
	err     error
}

// NewTokenCredential returns a caching credential over provider.
func NewTokenCredential(provider TokenProvider, opts *TokenCredentialOptions) (*TokenCredential, error) {
	if provider == nil {
		return nil, invalid("token provider is nil")
	}
	st := &tokenState{provider: provider, refreshBefore: 5 * time.Minute, now: time.Now}
	if opts != nil && opts.RefreshBefore > 0 {
		st.refreshBefore = opts.RefreshBefore
	}
	return &TokenCredential{st: st}, nil
}

// String describes the credential without revealing a token.
func (c TokenCredential) String() string { return "TokenCredential(REDACTED)" }

// GoString describes the credential without revealing a token.
func (c TokenCredential) GoString() string { return "&client.TokenCredential{REDACTED}" }

// Format writes String for every verb.
func (c TokenCredential) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue implements slog.LogValuer with the redacted form.
func (c TokenCredential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalText returns the redacted form.
func (c TokenCredential) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

func (c *TokenCredential) authorize(ctx context.Context, req *http.Request, _ string, _ time.Time) error {
	if c == nil || c.st == nil {
		return errors.New("the TokenCredential was not made by NewTokenCredential")
	}
	tok, err := c.st.token(ctx)
	if err != nil {
		return err
	}
	if checkToken(tok) != nil {
		// Never a request without a token, whatever happened above.
		return errors.New("no token to send")
	}
	req.Header[wire.HeaderAuthorization] = []string{"Bearer " + tok}
	return nil
}

// invalidate drops the cached token if it is token (the one a 401 refused),
// so that the next request fetches a new one. It reports whether a retry
// can get another token: always, since the provider is asked again.
func (c *TokenCredential) invalidate(token string) bool {
	if c == nil || c.st == nil {
		return false
	}
	st := c.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.current.Token() == token {
		st.current = AccessToken{}
		st.lastRefresh = time.Time{}
	}
	return true
}

// token returns a valid token, fetching a new one when needed.
func (st *tokenState) token(ctx context.Context) (string, error) { return st.get(ctx, true) }

// get is token; backOff says whether to wait out the back-off after a
// failure (once waited, the fetch starts).
func (st *tokenState) get(ctx context.Context, backOff bool) (string, error) {
	st.mu.Lock()
	now := st.now()
	cur := st.current
	valid := cur.Token() != "" && (cur.ExpiresOn.IsZero() || now.Before(cur.ExpiresOn))
	fresh := valid && (cur.ExpiresOn.IsZero() || now.Before(cur.ExpiresOn.Add(-st.refreshBefore)))
	if valid && !cur.RefreshOn.IsZero() {
		fresh = now.Before(cur.RefreshOn)
	}
	if fresh {
		st.mu.Unlock()
		return cur.Token(), nil
	}
	f := st.fetch
	if valid && f == nil && !st.lastRefresh.IsZero() && now.Sub(st.lastRefresh) < refreshInterval {
		st.mu.Unlock()
		return cur.Token(), nil // refreshed lately; keep the valid token
	}
	if backOff && !valid && f == nil && now.Before(st.retryAt) {
		// The provider failed lately: wait a little before asking again,
		// as long as the caller's context allows.
		wait, lastErr, attempts := st.retryAt.Sub(now), st.lastErr, st.fetches
		st.mu.Unlock()
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return "", fmt.Errorf("waiting to ask the token provider again after it failed (%w): %w", lastErr, ctx.Err())
		}
		st.mu.Lock()
		again := st.fetches != attempts
		st.mu.Unlock()
		if again {
			// Another caller asked meanwhile: its result (a token, a fetch
			// in flight, or a new failure and back-off) is ours too.
			return st.get(ctx, true)
		}
		return st.get(ctx, false)
	}
	if f == nil || now.Sub(f.started) > tokenFetchTimeout {
		f = &tokenFetch{done: make(chan struct{}), started: now}
		st.fetch = f
		st.fetches++
		if valid {
			st.lastRefresh = now
		}
		go st.run(context.WithoutCancel(ctx), f)
	}
	st.mu.Unlock()
	if valid {
		// The current token still works; the refresh goes on without us.
		return cur.Token(), nil
	}
	select {
	case <-f.done:
		if f.err != nil {
			return "", fmt.Errorf("getting a token: %w", f.err)
		}
		return f.tok.Token(), nil
	case <-ctx.Done():
		return "", fmt.Errorf("waiting for a token: %w", ctx.Err())
	}
}

// run calls the provider once for f and records the result.
func (st *tokenState) run(ctx context.Context, f *tokenFetch) {
	ctx, cancel := context.WithTimeout(ctx, tokenFetchTimeout)
	defer cancel()
	returned := false
	defer func() {
		if r := recover(); r != nil {
			f.tok, f.err = AccessToken{}, fmt.Errorf("the token provider panicked: %v", r)
		} else if !returned {
			// runtime.Goexit (t.FailNow in a test double, say): no token.
			f.tok, f.err = AccessToken{}, errors.New("the token provider did not return (it called runtime.Goexit)")
		}
		st.mu.Lock()
		if f.err != nil {
			st.failures++
			st.retryAt = st.now().Add(min(failureBackoff<<min(st.failures-1, 6), maxFailureBackoff))
			st.lastErr = f.err
		} else {
			st.failures, st.retryAt, st.lastErr = 0, time.Time{}, nil
		}
		// A fetch that was given up on and finishes late does not replace a
		// token that lasts longer.
		if f.err == nil && (st.fetch == f || !f.tok.ExpiresOn.Before(st.current.ExpiresOn)) {
			st.current = f.tok
		}
		if st.fetch == f {
			st.fetch = nil
		}
		st.mu.Unlock()
		close(f.done)
	}()
	tok, err := st.provider.GetToken(ctx)
	returned = true
	if err == nil && checkToken(tok.Token()) != nil {
		tok, err = AccessToken{}, errors.New("the token provider returned an empty token, or one with spaces or control characters")
	}
	f.tok, f.err = tok, err
}

// checkToken rejects tokens that cannot be sent in a header.
func checkToken(token string) error {
	if token == "" {
		return invalid("token is empty")
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c < 0x21 || c == 0x7f {
			return invalid("token contains a space or control character")
		}
	}
	return nil
}
