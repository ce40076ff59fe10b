package callback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/time/rate"
)

// The service's values for verifying its callbacks.
const (
	// DefaultIssuer is the issuer (iss) of the service's callback tokens.
	DefaultIssuer = "https://acscallautomation.communication.azure.com"
	// DefaultKeysURL is where the service publishes the keys it signs
	// callback tokens with (a JSON Web Key Set).
	DefaultKeysURL = "https://acscallautomation.communication.azure.com/calling/keys"
	// DefaultOpenIDConfigurationURL is the service's OpenID configuration,
	// which names the issuer and the keys URL.
	DefaultOpenIDConfigurationURL = "https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration"
)

// Defaults of VerifierOptions.
const (
	// DefaultRefreshInterval is the least time between two fetches of the
	// key set when VerifierOptions.RefreshInterval is zero.
	DefaultRefreshInterval = time.Minute
	// Leeway is how far past its expiry, or before its not-before time, a
	// token is still accepted, for clocks that disagree.
	Leeway = time.Minute
	// maxKeySetBytes bounds the key set the verifier reads.
	maxKeySetBytes = 1 << 20
	// keySetTimeout bounds one fetch of the key set.
	keySetTimeout = 10 * time.Second
	// maxKeySetRedirects bounds the redirects of one key set fetch; each
	// must lead to a URL KeysURL could be.
	maxKeySetRedirects = 3
	// maxTokenBytes bounds the token the verifier looks at.
	maxTokenBytes = 16 << 10
)

// ErrInvalidToken is what every verification failure matches (errors.Is):
// the request carries no token, or one that is not the service's for this
// resource, now.
var ErrInvalidToken = errors.New("callback: the request is not signed by the service for this resource")

// VerifierOptions configures a Verifier. The zero value verifies the
// service's callbacks.
type VerifierOptions struct {
	// Issuer is the issuer tokens must name, exactly. Empty means
	// DefaultIssuer.
	Issuer string
	// KeysURL is where the signing keys are published. Empty means
	// DefaultKeysURL. It must be https, or http on a loopback address (the
	// acstest emulator's).
	KeysURL string
	// HTTPClient fetches the keys. Nil means a client with net/http's
	// default transport. The verifier uses a copy, bounded to 10s per fetch
	// (or the client's own Timeout, if shorter) and to 1 MiB per key set.
	HTTPClient *http.Client
	// Logger receives the reason for each refused request (Middleware tells
	// the caller nothing). Nil means slog.Default().
	Logger *slog.Logger
	// RefreshInterval is the least time between two fetches of the key set.
	// Keys are cached; a token naming a key the cache does not hold makes
	// the verifier fetch the set again (how keys are rotated), but not
	// sooner than this after the last fetch, so that a flood of tokens with
	// made-up key IDs cannot make it fetch more. Zero means
	// DefaultRefreshInterval.
	RefreshInterval time.Duration
	// Now is the verifier's clock, for tokens' expiry and not-before times
	// and the refresh interval. Nil means time.Now.
	Now func() time.Time
}

// Verifier checks that a callback request was signed by the service for
// one Communication Services resource: an RS256 JWT in "Authorization:
// Bearer", signed by a key of the service's key set, with the exact issuer,
// the resource's ID among its audiences, and within its expiry and
// not-before times (with Leeway). No other algorithm is accepted: not
// "none", not HMAC with a public key. It is safe for concurrent use; make
// one and share it.
type Verifier struct {
	oidc    *oidc.IDTokenVerifier
	now     func() time.Time
	logger  *slog.Logger
	fetches *atomic.Int64
}

// NewVerifier returns a Verifier of callbacks for the resource whose ID is
// audience (the Communication Services resource's immutable ID, a GUID, as
// the Azure portal shows it). opts may be nil. Nothing is fetched until the
// first request is verified.
func NewVerifier(audience string, opts *VerifierOptions) (*Verifier, error) {
	if strings.TrimSpace(audience) == "" {
		return nil, errors.New("callback: the audience (the resource's ID) is empty")
	}
	if opts == nil {
		opts = &VerifierOptions{}
	}
	issuer, keysURL := opts.Issuer, opts.KeysURL
	if issuer == "" {
		issuer = DefaultIssuer
	}
	if keysURL == "" {
		keysURL = DefaultKeysURL
	}
	if err := checkKeysURL(keysURL); err != nil {
		return nil, err
	}
	interval := opts.RefreshInterval
	switch {
	case interval < 0:
		return nil, errors.New("callback: RefreshInterval must not be negative")
	case interval == 0:
		interval = DefaultRefreshInterval
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	hc := &http.Client{}
	if opts.HTTPClient != nil {
		copied := *opts.HTTPClient
		hc = &copied
	}
	if hc.Timeout == 0 || hc.Timeout > keySetTimeout {
		hc.Timeout = keySetTimeout
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	gate := &gatedTransport{next: next, limiter: rate.NewLimiter(rate.Every(interval), 1), now: now, fetches: &atomic.Int64{}}
	hc.Transport = gate
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxKeySetRedirects {
			return errors.New("the keys URL redirects too many times")
		}
		return checkKeysURL(req.URL.String())
	}
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), hc), keysURL)
	v := oidc.NewVerifier(issuer, keys, &oidc.Config{
		ClientID:             audience,
		SupportedSigningAlgs: []string{oidc.RS256},
		Now:                  func() time.Time { return now().Add(-Leeway) }, // expiry with leeway
	})
	return &Verifier{oidc: v, now: now, logger: logger, fetches: gate.fetches}, nil
}

// checkKeysURL accepts https URLs, and http ones on loopback addresses.
func checkKeysURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return errors.New("callback: KeysURL is not an absolute URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || strings.EqualFold(host, "localhost") {
			return nil
		}
	}
	return errors.New("callback: KeysURL must be https (or http on a loopback address)")
}

// Verify checks the request's token and returns nil when the service signed
// it for this resource, or an error matching ErrInvalidToken that says why.
// It reads only the Authorization header, never the body; ctx of r bounds
// waiting for a key set fetch.
func (v *Verifier) Verify(r *http.Request) error {
	if v == nil || v.oidc == nil {
		return fmt.Errorf("%w: the Verifier was not made by NewVerifier", ErrInvalidToken)
	}
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	switch {
	case auth == "":
		return fmt.Errorf("%w: no Authorization header", ErrInvalidToken)
	case !ok || !strings.EqualFold(scheme, "Bearer"):
		return fmt.Errorf("%w: the Authorization header is not a Bearer token", ErrInvalidToken)
	case len(token) > maxTokenBytes:
		return fmt.Errorf("%w: the token is longer than %d bytes", ErrInvalidToken, maxTokenBytes)
	}
	idt, err := v.oidc.Verify(r.Context(), strings.TrimSpace(token))
	if err != nil {
		return fmt.Errorf("%w: %s", ErrInvalidToken, reason(err))
	}
	// go-oidc allows five minutes before a token's not-before time; this
	// verifier allows Leeway.
	var claims struct {
		NotBefore *float64 `json:"nbf"`
		Expiry    *float64 `json:"exp"`
	}
	if err := idt.Claims(&claims); err != nil {
		return fmt.Errorf("%w: the token's claims cannot be read", ErrInvalidToken)
	}
	now := v.now()
	if claims.NotBefore != nil && now.Add(Leeway).Before(unixTime(*claims.NotBefore)) {
		return fmt.Errorf("%w: the token is not valid before %s", ErrInvalidToken, unixTime(*claims.NotBefore).UTC().Format(time.RFC3339))
	}
	if claims.Expiry == nil {
		return fmt.Errorf("%w: the token has no expiry", ErrInvalidToken)
	}
	return nil
}

func unixTime(f float64) time.Time {
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9))
}

// reason is a verification error's text for the log: go-oidc's words, cut
// short, with nothing of the token itself.
func reason(err error) string {
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		return "the token expired at " + expired.Expiry.UTC().Format(time.RFC3339)
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return msg
}

// Middleware returns a handler that verifies each request and passes it to
// next only when the service signed it; any other request is answered 401,
// with no detail, and its reason is logged.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := v.Verify(r); err != nil {
			logger := slog.Default()
			if v != nil && v.logger != nil {
				logger = v.logger
			}
			logger.LogAttrs(r.Context(), slog.LevelWarn, "callback: refused a request",
				slog.String("reason", err.Error()), slog.String("remote", r.RemoteAddr), slog.String("path", r.URL.Path))
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// KeySetFetches returns how many times the verifier has fetched the key set
// (or tried to), for tests and metrics.
func (v *Verifier) KeySetFetches() int {
	if v == nil || v.fetches == nil {
		return 0
	}
	return int(v.fetches.Load())
}

// gatedTransport lets a key set fetch through at most once per interval and
// bounds what it reads.
type gatedTransport struct {
	next    http.RoundTripper
	limiter *rate.Limiter
	now     func() time.Time
	fetches *atomic.Int64
}

var errTooSoon = errors.New("the key set was fetched less than RefreshInterval ago")

func (g *gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// One fetch is one request of go-oidc's, redirects included: only its
	// first hop passes the gate.
	if req.Response == nil {
		if !g.limiter.AllowN(g.now(), 1) {
			return nil, errTooSoon
		}
		g.fetches.Add(1)
	}
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: maxKeySetBytes}
	return resp, nil
}

// limitedBody fails a read past its limit instead of truncating silently.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, err := b.rc.Read(one[:]); n == 0 && err != nil {
			return 0, err // io.EOF: exactly at the limit
		}
		return 0, fmt.Errorf("the key set is larger than %d bytes", maxKeySetBytes)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
