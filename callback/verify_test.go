package callback_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/acsmute/acsmute/callback"
)

const (
	testIssuer   = "https://issuer.example"
	testAudience = "00000000-0000-0000-0000-00000000a0d1"
)

// signer is an RSA key with a key ID.
type signer struct {
	kid  string
	priv *rsa.PrivateKey
}

func newSigner(t *testing.T, kid string) signer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signer{kid: kid, priv: k}
}

func (s signer) public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: &s.priv.PublicKey, KeyID: s.kid, Algorithm: "RS256", Use: "sig"}
}

// token signs claims with RS256 under the signer's kid.
func (s signer) token(t *testing.T, claims jwt.Claims) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: s.priv},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", s.kid))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// keyServer publishes a key set and counts fetches.
type keyServer struct {
	*httptest.Server
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetches atomic.Int64
}

func newKeyServer(t *testing.T, keys ...jose.JSONWebKey) *keyServer {
	ks := &keyServer{keys: keys}
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.fetches.Add(1)
		ks.mu.Lock()
		set := jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), ks.keys...)}
		ks.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(ks.Close)
	return ks
}

func (ks *keyServer) publish(keys ...jose.JSONWebKey) {
	ks.mu.Lock()
	ks.keys = keys
	ks.mu.Unlock()
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func validClaims(now time.Time) jwt.Claims {
	return jwt.Claims{
		Issuer:    testIssuer,
		Audience:  jwt.Audience{testAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(now.Add(5 * time.Minute)),
	}
}

func newVerifier(t *testing.T, ks *keyServer, clk *clock, logs io.Writer) *callback.Verifier {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	v, err := callback.NewVerifier(testAudience, &callback.VerifierOptions{
		Issuer: testIssuer, KeysURL: ks.URL + "/calling/keys", Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// protected serves v.Middleware around a handler that counts the requests
// it is given.
func protected(t *testing.T, v *callback.Verifier) (*httptest.Server, *atomic.Int64) {
	var reached atomic.Int64
	srv := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})))
	t.Cleanup(srv.Close)
	return srv, &reached
}

func post(t *testing.T, url, authorization string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`[]`))
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Every forged or foreign token is refused with 401 and never reaches the
// handler; the service's token does.
func TestVerifierRefusesForgedTokens(t *testing.T) {
	good, other := newSigner(t, "key-1"), newSigner(t, "key-1")
	ks := newKeyServer(t, good.public())
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	var logs strings.Builder
	v := newVerifier(t, ks, clk, &logs)
	srv, reached := protected(t, v)
	now := clk.Now()

	if code, _ := post(t, srv.URL, "Bearer "+good.token(t, validClaims(now))); code != http.StatusNoContent || reached.Load() != 1 {
		t.Fatalf("the service's token: %d, reached %d", code, reached.Load())
	}

	pubDER, _ := x509.MarshalPKIXPublicKey(&good.priv.PublicKey)
	hs := func(key []byte) string {
		head := b64(map[string]string{"alg": "HS256", "typ": "JWT", "kid": "key-1"})
		body := b64(map[string]any{"iss": testIssuer, "aud": testAudience, "exp": now.Add(time.Minute).Unix(), "nbf": now.Unix()})
		mac := hmac.New(sha256.New, key)
		io.WriteString(mac, head+"."+body)
		return head + "." + body + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	wrongIssuer := validClaims(now)
	wrongIssuer.Issuer = "https://acscallautomation.communication.azure.com.evil"
	wrongAudience := validClaims(now)
	wrongAudience.Audience = jwt.Audience{"another-resource"}
	expired := validClaims(now.Add(-10 * time.Minute))
	notYet := validClaims(now.Add(3 * time.Minute))
	noExpiry := validClaims(now)
	noExpiry.Expiry = nil
	pemKey := "-----BEGIN PUBLIC KEY-----\n" + base64.StdEncoding.EncodeToString(pubDER) + "\n-----END PUBLIC KEY-----\n"

	for name, auth := range map[string]string{
		"no token":             "",
		"not bearer":           "Basic dXNlcjpwdw==",
		"empty bearer":         "Bearer ",
		"not a JWT":            "Bearer not-a-jwt",
		"another key":          "Bearer " + other.token(t, validClaims(now)),
		"unknown kid":          "Bearer " + newSigner(t, "key-2").token(t, validClaims(now)),
		"alg none":             "Bearer " + b64(map[string]string{"alg": "none", "kid": "key-1"}) + "." + b64(map[string]any{"iss": testIssuer, "aud": testAudience, "exp": now.Add(time.Minute).Unix()}) + ".",
		"HS256 with DER key":   "Bearer " + hs(pubDER),
		"HS256 with PEM key":   "Bearer " + hs([]byte(pemKey)),
		"wrong issuer":         "Bearer " + good.token(t, wrongIssuer),
		"wrong audience":       "Bearer " + good.token(t, wrongAudience),
		"expired":              "Bearer " + good.token(t, expired),
		"not yet valid":        "Bearer " + good.token(t, notYet),
		"no expiry":            "Bearer " + good.token(t, noExpiry),
		"huge":                 "Bearer " + strings.Repeat("a", 20<<10),
		"signature of another": "Bearer " + strings.Join(strings.Split(good.token(t, wrongAudience), ".")[:2], ".") + "." + strings.Split(good.token(t, validClaims(now)), ".")[2],
	} {
		t.Run(name, func(t *testing.T) {
			before := reached.Load()
			code, body := post(t, srv.URL, auth)
			if code != http.StatusUnauthorized || reached.Load() != before {
				t.Errorf("answered %d, handler reached %d times", code, reached.Load()-before)
			}
			if strings.TrimSpace(body) != "Unauthorized" {
				t.Errorf("the caller is told %q", body)
			}
			req := httptest.NewRequest(http.MethodPost, "/", nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			if err := v.Verify(req); !errors.Is(err, callback.ErrInvalidToken) {
				t.Errorf("Verify = %v", err)
			}
		})
	}
	if !strings.Contains(logs.String(), "reason=") || strings.Contains(logs.String(), good.token(t, validClaims(now))[:40]) {
		t.Errorf("logs:\n%s", logs.String())
	}
}

// Leeway: a token is accepted up to a minute past its expiry and a minute
// before its not-before time, not more.
func TestVerifierLeeway(t *testing.T) {
	s := newSigner(t, "k")
	ks := newKeyServer(t, s.public())
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	v := newVerifier(t, ks, clk, nil)
	now := clk.Now()
	for _, tt := range []struct {
		name   string
		claims jwt.Claims
		ok     bool
	}{
		{"expired 50s ago", validClaims(now.Add(-5*time.Minute - 50*time.Second)), true},
		{"expired 70s ago", validClaims(now.Add(-5*time.Minute - 70*time.Second)), false},
		{"valid in 50s", validClaims(now.Add(50 * time.Second)), true},
		{"valid in 70s", validClaims(now.Add(70 * time.Second)), false},
	} {
		req := httptest.NewRequest(http.MethodPost, "/", nil)
		req.Header.Set("Authorization", "Bearer "+s.token(t, tt.claims))
		if err := v.Verify(req); (err == nil) != tt.ok {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

// A new key appears (rotation): one fetch, and its tokens are accepted. A
// flood of made-up key IDs fetches at most once per RefreshInterval.
func TestVerifierKeyRotationAndFlood(t *testing.T) {
	k1, k2 := newSigner(t, "key-1"), newSigner(t, "key-2")
	ks := newKeyServer(t, k1.public())
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	v := newVerifier(t, ks, clk, nil)
	verify := func(tok string) error {
		req := httptest.NewRequest(http.MethodPost, "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		return v.Verify(req)
	}
	for range 5 {
		if err := verify(k1.token(t, validClaims(clk.Now()))); err != nil {
			t.Fatal(err)
		}
	}
	if n := ks.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches for one key, want 1 (cached)", n)
	}
	// The service rotates to key-2, later than the refresh interval.
	clk.Add(callback.DefaultRefreshInterval + time.Second)
	ks.publish(k1.public(), k2.public())
	if err := verify(k2.token(t, validClaims(clk.Now()))); err != nil {
		t.Fatalf("the rotated key: %v", err)
	}
	if n := ks.fetches.Load(); n != 2 {
		t.Errorf("%d fetches after rotation, want 2", n)
	}
	// A flood of unknown key IDs, concurrently: no fetch within the
	// interval; the known keys keep working.
	var wg sync.WaitGroup
	forger := newSigner(t, "forged")
	forged := forger.token(t, validClaims(clk.Now()))
	for i := range 200 {
		wg.Go(func() {
			tok := forged
			if i%2 == 0 {
				// Another made-up kid each time.
				parts := strings.Split(forged, ".")
				parts[0] = b64(map[string]string{"alg": "RS256", "kid": "forged-" + string(rune('a'+i%26)) + time.Now().String()})
				tok = strings.Join(parts, ".")
			}
			if err := verify(tok); err == nil {
				t.Error("a forged token was accepted")
			}
		})
	}
	wg.Wait()
	if n := ks.fetches.Load(); n != 2 {
		t.Errorf("%d fetches after the flood, want still 2", n)
	}
	if err := verify(k1.token(t, validClaims(clk.Now()))); err != nil {
		t.Errorf("a known key after the flood: %v", err)
	}
	// Once the interval has passed, one more fetch is allowed, not more.
	clk.Add(callback.DefaultRefreshInterval + time.Second)
	for range 20 {
		_ = verify(forged)
	}
	if n := ks.fetches.Load(); n != 3 || v.KeySetFetches() != 3 {
		t.Errorf("%d fetches (verifier counts %d), want 3", n, v.KeySetFetches())
	}
}

// The key set fetch is bounded in size and time.
func TestVerifierBoundsTheKeySet(t *testing.T) {
	s := newSigner(t, "k")
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"keys":[],"pad":"`)
		for range 3 << 10 {
			io.WriteString(w, strings.Repeat("x", 1024))
		}
		io.WriteString(w, `"}`)
	}))
	defer huge.Close()
	v, err := callback.NewVerifier(testAudience, &callback.VerifierOptions{Issuer: testIssuer, KeysURL: huge.URL, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Header.Set("Authorization", "Bearer "+s.token(t, validClaims(clk.Now())))
	if err := v.Verify(req); !errors.Is(err, callback.ErrInvalidToken) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("huge key set: %v", err)
	}
	release := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer silent.Close()
	defer close(release)
	v, _ = callback.NewVerifier(testAudience, &callback.VerifierOptions{Issuer: testIssuer, KeysURL: silent.URL, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req = req.WithContext(ctx)
	start := time.Now()
	if err := v.Verify(req); !errors.Is(err, callback.ErrInvalidToken) || time.Since(start) > 5*time.Second {
		t.Errorf("silent key server: %v after %v", err, time.Since(start))
	}
}

func TestNewVerifierRejectsBadOptions(t *testing.T) {
	for name, tt := range map[string]struct {
		aud  string
		opts *callback.VerifierOptions
	}{
		"empty audience":    {"", nil},
		"http keys":         {testAudience, &callback.VerifierOptions{KeysURL: "http://keys.example/calling/keys"}},
		"relative keys":     {testAudience, &callback.VerifierOptions{KeysURL: "/calling/keys"}},
		"user info":         {testAudience, &callback.VerifierOptions{KeysURL: "https://u:p@keys.example/"}},
		"negative interval": {testAudience, &callback.VerifierOptions{RefreshInterval: -time.Second}},
	} {
		if _, err := callback.NewVerifier(tt.aud, tt.opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for _, ok := range []string{"https://keys.example/k", "http://127.0.0.1:8080/calling/keys", "http://localhost/k", "http://[::1]:1/k"} {
		if _, err := callback.NewVerifier(testAudience, &callback.VerifierOptions{KeysURL: ok}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	var nilV *callback.Verifier
	if err := nilV.Verify(httptest.NewRequest(http.MethodPost, "/", nil)); !errors.Is(err, callback.ErrInvalidToken) {
		t.Errorf("nil verifier: %v", err)
	}
}

// A keys URL that redirects (to an allowed URL) still loads, with one fetch
// counted; a redirect to plain http elsewhere is refused.
func TestVerifierFollowsKeySetRedirects(t *testing.T) {
	s := newSigner(t, "k")
	ks := newKeyServer(t, s.public())
	redirect := httptest.NewServer(http.RedirectHandler(ks.URL+"/calling/keys/v2", http.StatusMovedPermanently))
	defer redirect.Close()
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	v, err := callback.NewVerifier(testAudience, &callback.VerifierOptions{Issuer: testIssuer, KeysURL: redirect.URL + "/calling/keys", Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Header.Set("Authorization", "Bearer "+s.token(t, validClaims(clk.Now())))
	if err := v.Verify(req); err != nil || v.KeySetFetches() != 1 || ks.fetches.Load() != 1 {
		t.Errorf("through a redirect: %v, %d fetches", err, v.KeySetFetches())
	}
	away := httptest.NewServer(http.RedirectHandler("http://keys.example/keys", http.StatusFound))
	defer away.Close()
	v, _ = callback.NewVerifier(testAudience, &callback.VerifierOptions{Issuer: testIssuer, KeysURL: away.URL, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	if err := v.Verify(req); err == nil {
		t.Error("a redirect to plain http elsewhere was followed")
	}
}
