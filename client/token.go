package client

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// AccessToken is a bearer token and the time it stops being valid.
// Its String method hides the token.
type AccessToken struct {
	// Token is the bearer token, without the "Bearer " prefix.
	Token string
	// ExpiresOn is when the token expires. The zero time means it never does.
	ExpiresOn time.Time
}

// String describes the token without revealing it.
func (t AccessToken) String() string {
	if t.ExpiresOn.IsZero() {
		return "AccessToken(REDACTED)"
	}
	return "AccessToken(REDACTED, expires " + t.ExpiresOn.UTC().Format(time.RFC3339) + ")"
}

// GoString is like String, so that %#v does not reveal the token either.
func (t AccessToken) GoString() string { return t.String() }

// LogValue implements slog.LogValuer, so that log/slog handlers (the JSON
// one included) record the redacted form.
func (t AccessToken) LogValue() slog.Value { return slog.StringValue(t.String()) }

// TokenProvider fetches bearer tokens, for example from Microsoft Entra ID.
// GetToken must honour ctx and may be called from several goroutines, though
// TokenCredential calls it from one at a time.
type TokenProvider interface {
	GetToken(ctx context.Context) (AccessToken, error)
}

// TokenProviderFunc adapts a function to TokenProvider.
type TokenProviderFunc func(ctx context.Context) (AccessToken, error)

// GetToken calls f(ctx).
func (f TokenProviderFunc) GetToken(ctx context.Context) (AccessToken, error) { return f(ctx) }

// StaticTokenCredential authorizes every request with one fixed bearer token.
// Prefer TokenCredential for tokens that expire.
type StaticTokenCredential struct {
	header string
}

// NewStaticTokenCredential returns a credential that always sends token.
func NewStaticTokenCredential(token string) (*StaticTokenCredential, error) {
	if err := checkToken(token); err != nil {
		return nil, err
	}
	return &StaticTokenCredential{header: "Bearer " + token}, nil
}

// String describes the credential without revealing the token.
func (c *StaticTokenCredential) String() string { return "StaticTokenCredential(REDACTED)" }

// GoString describes the credential without revealing the token.
func (c *StaticTokenCredential) GoString() string { return "&client.StaticTokenCredential{REDACTED}" }

// Format keeps every fmt verb from printing the token.
func (c *StaticTokenCredential) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }

func (c *StaticTokenCredential) authorize(_ context.Context, req *http.Request, _ string, _ time.Time) error {
	req.Header[headerAuthorization] = []string{c.header}
	return nil
}

// TokenCredentialOptions configures a TokenCredential.
type TokenCredentialOptions struct {
	// RefreshBefore is how long before expiry a token is replaced.
	// Zero means 5 minutes.
	RefreshBefore time.Duration
}

// TokenCredential authorizes requests with bearer tokens from a
// TokenProvider, caching each token until shortly before it expires.
//
// It is safe for concurrent use: when a token needs replacing, one caller
// fetches the new one while the others keep using the current token if it is
// still valid, or wait for the fetch (or for their own context) if it is not.
type TokenCredential struct {
	provider      TokenProvider
	refreshBefore time.Duration
	now           func() time.Time

	mu         sync.Mutex
	current    AccessToken
	refreshing chan struct{} // closed when the fetch in flight ends; nil when none is
}

// NewTokenCredential returns a caching credential over provider.
func NewTokenCredential(provider TokenProvider, opts *TokenCredentialOptions) (*TokenCredential, error) {
	if provider == nil {
		return nil, invalid("token provider is nil")
	}
	c := &TokenCredential{provider: provider, refreshBefore: 5 * time.Minute, now: time.Now}
	if opts != nil && opts.RefreshBefore > 0 {
		c.refreshBefore = opts.RefreshBefore
	}
	return c, nil
}

// String describes the credential without revealing a token.
func (c *TokenCredential) String() string { return "TokenCredential(REDACTED)" }

// GoString describes the credential without revealing a token.
func (c *TokenCredential) GoString() string { return "&client.TokenCredential{REDACTED}" }

// Format keeps every fmt verb from printing a token.
func (c *TokenCredential) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }

func (c *TokenCredential) authorize(ctx context.Context, req *http.Request, _ string, _ time.Time) error {
	tok, err := c.token(ctx)
	if err != nil {
		return err
	}
	req.Header[headerAuthorization] = []string{"Bearer " + tok}
	return nil
}

// token returns a valid token, fetching a new one when needed.
func (c *TokenCredential) token(ctx context.Context) (string, error) {
	for {
		c.mu.Lock()
		now := c.now()
		cur := c.current
		valid := cur.Token != "" && (cur.ExpiresOn.IsZero() || now.Before(cur.ExpiresOn))
		fresh := valid && (cur.ExpiresOn.IsZero() || now.Before(cur.ExpiresOn.Add(-c.refreshBefore)))
		if fresh {
			c.mu.Unlock()
			return cur.Token, nil
		}
		if wait := c.refreshing; wait != nil {
			c.mu.Unlock()
			if valid {
				return cur.Token, nil
			}
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return "", fmt.Errorf("acsmute: waiting for a token: %w", ctx.Err())
			}
		}
		done := make(chan struct{})
		c.refreshing = done
		c.mu.Unlock()

		tok, err := c.provider.GetToken(ctx)
		if err == nil {
			err = checkToken(tok.Token)
		}

		c.mu.Lock()
		if err == nil {
			c.current = tok
		}
		c.refreshing = nil
		close(done)
		c.mu.Unlock()

		if err != nil {
			if valid {
				// The old token still works; use it and try again next call.
				return cur.Token, nil
			}
			return "", fmt.Errorf("acsmute: getting a token: %w", err)
		}
		return tok.Token, nil
	}
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
