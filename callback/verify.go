package callback

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
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
	// maxKeySetRedirects bounds the redirects of one key set fetch; each
	// must lead to a URL KeysURL could be.
	maxKeySetRedirects = 3
	// maxTokenBytes bounds the token the verifier looks at.
	maxTokenBytes = 16 << 10
	// minNumericDate and endNumericDate bound the numeric dates (exp, nbf,
	// iat) the verifier accepts, in seconds since 1970: from the start of
	// year 1 to the end of year 9999, UTC, the years RFC 3339 can write.
	minNumericDate = -62135596800 // 0001-01-01T00:00:00Z
	endNumericDate = 253402300800 // 10000-01-01T00:00:00Z, excluded
)

// keySetTimeout bounds one fetch of the key set (a variable for tests).
var keySetTimeout = 10 * time.Second

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
// "none", not HMAC with a public key. Only the form the service sends is
// accepted: see Verify. It is safe for concurrent use; make one and share
// it.
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
	if hc.Timeout <= 0 { // none: net/http sets no deadline
		hc.Timeout = keySetTimeout
	}
	hc.Timeout = min(hc.Timeout, keySetTimeout)
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
		// go-oidc converts numeric dates without a range check (a
		// not-before time past int64 wraps round into the past) and allows
		// five minutes before the not-before time: Verify reads exp, nbf
		// and iat itself, from the verified payload.
		SkipExpiryCheck: true,
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
//
// The token must be in the form the service sends, and nothing looser, so
// that what the signer meant and what this verifier reads cannot differ:
//
//   - JWS compact serialization: three base64url segments (no padding, no
//     spaces) separated by dots. The JSON serialization, which go-jose
//     would parse too, is refused before anything else is done.
//   - Claim names spelled exactly, each once. A payload with a claim named
//     like one of iss, sub, aud, exp, nbf, iat, jti, nonce, at_hash,
//     _claim_names or _claim_sources but in another case ("ISS", "Exp": Go's
//     encoding/json, which go-oidc decodes with, would take it for the
//     claim), or with any claim name twice (a decoder keeps the last), is
//     refused.
//   - Numeric dates (exp, which must be there, and nbf and iat, when there)
//     that are JSON numbers of seconds within the years 1 to 9999 UTC; a
//     number past that (9223372036854775807, 1e19, 1e400) is refused, not
//     wrapped round into another date.
//
// These checks read the payload only after go-oidc has verified the
// signature: the bytes of an unverified token are never the reason a
// token is accepted.
//
// A token whose signature matches no key of the published key set is
// refused with that reason. The key set is fetched again to look for a new
// key at most once per RefreshInterval; within it, the set fetched last is
// the published one (unless that fetch failed: then the reason is that the
// key set cannot be fetched).
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
	token = strings.TrimSpace(token)
	if !isCompactJWS(token) {
		return fmt.Errorf("%w: the token is not in JWS compact serialization (three base64url segments separated by dots)", ErrInvalidToken)
	}
	idt, err := v.oidc.Verify(r.Context(), token)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrInvalidToken, reason(err, token))
	}
	// The payload go-oidc verified, as it is.
	var payload json.RawMessage
	if err := idt.Claims(&payload); err != nil {
		return fmt.Errorf("%w: the token's claims cannot be read", ErrInvalidToken)
	}
	dates, err := readClaims(payload)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	now := v.now()
	switch {
	case !dates.hasExp:
		return fmt.Errorf("%w: the token has no expiry", ErrInvalidToken)
	case now.After(dates.exp.Add(Leeway)):
		return fmt.Errorf("%w: the token expired at %s", ErrInvalidToken, dates.exp.UTC().Format(time.RFC3339))
	case dates.hasNbf && now.Add(Leeway).Before(dates.nbf):
		return fmt.Errorf("%w: the token is not valid before %s", ErrInvalidToken, dates.nbf.UTC().Format(time.RFC3339))
	}
	return nil
}

// isCompactJWS reports whether token is in JWS compact serialization: three
// non-empty base64url segments, unpadded, separated by dots.
func isCompactJWS(token string) bool {
	segments := strings.Split(token, ".")
	if len(segments) != 3 {
		return false
	}
	for _, seg := range segments {
		if seg == "" {
			return false
		}
		for i := range len(seg) {
			switch c := seg[i]; {
			case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
			default:
				return false
			}
		}
	}
	return true
}

// readClaimNames are the claims go-oidc reads and those this package
// reads, whose names must be spelled exactly: a name that differs from one
// only in case is refused.
var readClaimNames = [...]string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "nonce", "at_hash", "_claim_names", "_claim_sources"}

// tokenDates are the numeric dates of a token.
type tokenDates struct {
	exp, nbf       time.Time
	hasExp, hasNbf bool
}

// readClaims checks the names of a verified payload's claims (each once,
// and none in another case than a claim go-oidc or this package reads) and
// reads its numeric dates, each a JSON number within the years 1 to 9999.
// Its errors name the claim, never quoting the payload.
func readClaims(payload []byte) (tokenDates, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return tokenDates{}, errors.New("the token's payload is not a JSON object")
	}
	values := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return tokenDates{}, errors.New("the token's payload is not a JSON object")
		}
		name, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return tokenDates{}, errors.New("the token's payload is not a JSON object")
		}
		known := ""
		for _, n := range readClaimNames {
			if strings.EqualFold(name, n) {
				known = n
				break
			}
		}
		_, twice := values[name]
		switch {
		case known != "" && name != known:
			return tokenDates{}, fmt.Errorf("the token has a claim named like %s but in another case", known)
		case twice && known != "":
			return tokenDates{}, fmt.Errorf("the token has the %s claim twice", known)
		case twice:
			return tokenDates{}, errors.New("the token has a claim twice")
		}
		values[name] = value
	}
	var d tokenDates
	for _, name := range [...]string{"exp", "nbf", "iat"} {
		raw, ok := values[name]
		if !ok {
			continue
		}
		t, err := numericDate(raw)
		if err != nil {
			return tokenDates{}, fmt.Errorf("the token's %s claim %w", name, err)
		}
		switch name {
		case "exp":
			d.exp, d.hasExp = t, true
		case "nbf":
			d.nbf, d.hasNbf = t, true
		}
	}
	return d, nil
}

// numericDate reads a JWT NumericDate: a JSON number of seconds since
// 1970, within the years 1 to 9999 UTC.
func numericDate(raw json.RawMessage) (time.Time, error) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return time.Time{}, errors.New("is not a number")
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsNaN(f) || f < minNumericDate || f >= endNumericDate {
		return time.Time{}, errors.New("is not a date within the years 1 to 9999")
	}
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64(math.Round((f-sec)*1e9))), nil
}

// reason is a verification error's text for the log: go-oidc's words, cut
// short, with nothing of the token itself, unless this package's own
// words say it better.
func reason(err error, token string) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	switch {
	case strings.Contains(msg, errNoNewKeys.Error()),
		strings.Contains(msg, "failed to verify id token signature"): // go-oidc's, after fetching the set
		return "the token's signature matches no published key"
	case strings.Contains(msg, errFetchFailedRecently.Error()):
		return "fetching keys: " + errFetchFailedRecently.Error()
	case strings.HasPrefix(msg, "oidc: failed to unmarshal claims"):
		// go-oidc decodes the payload only once its signature is verified:
		// it may be read to say which claim is wrong.
		if payload, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1]); err == nil {
			if _, err := readClaims(payload); err != nil {
				return err.Error()
			}
		}
		return "the token's claims are not of the types go-oidc reads"
	}
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
	// failed is whether the last fetch let through failed (no key set was
	// read whole).
	failed atomic.Bool
}

// The gate's refusals. go-oidc asks for the key set when no key it holds
// verifies a token, and keeps only the text of the error: reason tells the
// two apart by it.
var (
	// errNoNewKeys: the set was fetched recently, and go-oidc holds it, so
	// no published key verifies the token. (A set read whole that go-oidc
	// could not decode counts as fetched: go-oidc then holds the set before
	// it.)
	errNoNewKeys = errors.New("the key set, fetched less than RefreshInterval ago, is not fetched again yet")
	// errFetchFailedRecently: the last fetch failed, and the next is not
	// due yet.
	errFetchFailedRecently = errors.New("the last fetch of the key set failed less than RefreshInterval ago")
)

func (g *gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// One fetch is one request of go-oidc's, redirects included: only its
	// first hop passes the gate.
	if req.Response == nil {
		if !g.limiter.AllowN(g.now(), 1) {
			if g.failed.Load() {
				return nil, errFetchFailedRecently
			}
			return nil, errNoNewKeys
		}
		g.fetches.Add(1)
		// Failed until a key set has been read whole.
		g.failed.Store(true)
	}
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body := &limitedBody{rc: resp.Body, left: maxKeySetBytes}
	if resp.StatusCode == http.StatusOK {
		body.read = func() { g.failed.Store(false) }
	}
	resp.Body = body
	return resp, nil
}

// limitedBody fails a read past its limit instead of truncating silently.
// It calls read, if set, once the body has been read to its end within the
// limit.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
	read func()
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, err := b.rc.Read(one[:]); n == 0 && err != nil {
			b.ended(err)
			return 0, err // io.EOF: exactly at the limit
		}
		return 0, fmt.Errorf("the key set is larger than %d bytes", maxKeySetBytes)
	}
	p = p[:min(int64(len(p)), b.left)]
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	b.ended(err)
	return n, err
}

func (b *limitedBody) ended(err error) {
	if errors.Is(err, io.EOF) && b.read != nil {
		b.read()
		b.read = nil
	}
}

func (b *limitedBody) Close() error { return b.rc.Close() }
