package callback_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/acsmute/acsmute/callback"
)

// jws signs payload, exactly these bytes, with RS256 under the signer's
// kid.
func (s signer) jws(t *testing.T, payload string) *jose.JSONWebSignature {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: s.priv},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", s.kid))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := sig.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// rawToken is payload signed and in compact serialization.
func (s signer) rawToken(t *testing.T, payload string) string {
	t.Helper()
	tok, err := s.jws(t, payload).CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// rawClaims writes a payload by hand: the claims of validClaims(now), in
// the order iss, aud, iat, nbf, exp, each replaced by its value in over (a
// JSON text) or left out when that value is "", then extra members as they
// are.
func rawClaims(now time.Time, over map[string]string, extra ...string) string {
	fields := []struct{ name, value string }{
		{"iss", fmt.Sprintf("%q", testIssuer)},
		{"aud", fmt.Sprintf("%q", testAudience)},
		{"iat", fmt.Sprint(now.Unix())},
		{"nbf", fmt.Sprint(now.Unix())},
		{"exp", fmt.Sprint(now.Add(5 * time.Minute).Unix())},
	}
	var members []string
	for _, f := range fields {
		v, ok := over[f.name]
		if !ok {
			v = f.value
		}
		if v != "" {
			members = append(members, fmt.Sprintf("%q:%s", f.name, v))
		}
	}
	members = append(members, extra...)
	return "{" + strings.Join(members, ",") + "}"
}

func verifyToken(v *callback.Verifier, tok string) error {
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	return v.Verify(req)
}

// A numeric date (exp, nbf, iat) that is not a JSON number of seconds
// within the years 1 to 9999 is refused, naming the claim, whether it would
// overflow int64 (and wrap round into the past) or not.
func TestVerifierRefusesNumericDatesOutOfRange(t *testing.T) {
	s := newSigner(t, "k")
	ks := newKeyServer(t, s.public())
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	v := newVerifier(t, ks, clk, nil)
	now := clk.Now()

	for name, over := range map[string]map[string]string{
		"as minted":                   nil,
		"fractional dates":            {"iat": fmt.Sprint(now.Unix()) + ".25", "nbf": fmt.Sprint(now.Unix()) + ".5", "exp": fmt.Sprint(now.Unix()+60) + ".75"},
		"exponent form":               {"exp": fmt.Sprintf("%de0", now.Unix()+60)},
		"no nbf nor iat":              {"nbf": "", "iat": ""},
		"exp at the end of year 9999": {"exp": "253402300799"},
		"iat in year 1":               {"iat": "-62135596800"},
	} {
		if err := verifyToken(v, s.rawToken(t, rawClaims(now, over))); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	for _, tt := range []struct {
		name, claim, value string
	}{
		{"nbf of the largest int64", "nbf", "9223372036854775807"},
		{"nbf past int64", "nbf", "1e19"},
		{"nbf before int64", "nbf", "-1e19"},
		{"nbf of the smallest int64", "nbf", "-9223372036854775808"},
		{"nbf past float64", "nbf", "1e400"},
		{"nbf in year 10000", "nbf", "253402300800"},
		{"nbf a string", "nbf", `"1700000000"`},
		{"nbf null", "nbf", `null`},
		{"exp of the largest int64", "exp", "9223372036854775807"},
		{"exp past int64", "exp", "1e19"},
		{"exp past float64", "exp", "1e400"},
		{"exp in year 10000", "exp", "253402300800"},
		{"exp a string", "exp", `"1900000000"`},
		{"iat of the largest int64", "iat", "9223372036854775807"},
		{"iat past int64", "iat", "1e19"},
		{"iat before year 1", "iat", "-62135596801"},
		{"iat past float64", "iat", "-1e400"},
		{"iat an object", "iat", `{"n":1}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyToken(v, s.rawToken(t, rawClaims(now, map[string]string{tt.claim: tt.value})))
			if !errors.Is(err, callback.ErrInvalidToken) || !strings.Contains(err.Error(), "the token's "+tt.claim+" claim") {
				t.Errorf("Verify = %v, want a refusal naming the %s claim", err, tt.claim)
			}
			if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("the reason spans lines: %q", err)
			}
		})
	}
}

// Only the compact serialization, with the claim names spelled exactly and
// each once, is the service's: go-jose also parses the JSON serialization,
// and encoding/json matches "ISS" or "Exp" to go-oidc's fields and keeps
// the last of two "aud", so a signed token could mean something its signer
// and this verifier read differently.
func TestVerifierRefusesOtherFormsOfTheToken(t *testing.T) {
	s := newSigner(t, "k")
	ks := newKeyServer(t, s.public())
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	v := newVerifier(t, ks, clk, nil)
	now := clk.Now()
	valid := rawClaims(now, nil)
	past := fmt.Sprint(now.Add(-time.Hour).Unix())
	future := fmt.Sprint(now.Add(5 * time.Minute).Unix())
	aud := fmt.Sprintf("%q", testAudience)

	for name, payload := range map[string]string{
		"as minted":                    valid,
		"a claim of another name":      rawClaims(now, nil, `"Callback":"x"`, `"exp_hint":1`),
		"an unknown claim in capitals": rawClaims(now, nil, `"FOO":1`, `"foo":2`),
	} {
		if err := verifyToken(v, s.rawToken(t, payload)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	compact := s.rawToken(t, valid)
	parts := strings.Split(compact, ".")
	for _, tt := range []struct{ name, token, want string }{
		{"JSON serialization", s.jws(t, valid).FullSerialize(), "compact"},
		{"JSON serialization with spaces", " " + s.jws(t, valid).FullSerialize(), "compact"},
		{"compact with a space inside", parts[0] + "." + parts[1][:10] + " " + parts[1][10:] + "." + parts[2], "compact"},
		{"compact with padding", compact + "==", "compact"},
		{"four segments", compact + ".AAAA", "compact"},
		{"two segments", parts[0] + "." + parts[1], "compact"},
		{"no signature", parts[0] + "." + parts[1] + ".", "compact"},
		{"standard base64", parts[0] + "." + parts[1] + "+/." + parts[2], "compact"},
		{"ISS for iss", s.rawToken(t, rawClaims(now, map[string]string{"iss": ""}, fmt.Sprintf(`"ISS":%q`, testIssuer))), "iss"},
		{"Exp for exp", s.rawToken(t, rawClaims(now, map[string]string{"exp": ""}, `"Exp":`+future)), "exp"},
		{"AUD after aud", s.rawToken(t, rawClaims(now, map[string]string{"aud": `"another-resource"`}, `"AUD":`+aud)), "aud"},
		{"long s for iss", s.rawToken(t, rawClaims(now, map[string]string{"iss": ""}, fmt.Sprintf(`"i\u017fs":%q`, testIssuer))), "iss"},
		{"NBF for nbf", s.rawToken(t, rawClaims(now, nil, `"NBF":`+past)), "nbf"},
		{"Sub", s.rawToken(t, rawClaims(now, nil, `"Sub":"x"`)), "sub"},
		{"JTI", s.rawToken(t, rawClaims(now, nil, `"JTI":"x"`)), "jti"},
		{"aud twice", s.rawToken(t, rawClaims(now, map[string]string{"aud": `"another-resource"`}, `"aud":`+aud)), "aud"},
		{"exp twice", s.rawToken(t, rawClaims(now, map[string]string{"exp": past}, `"exp":`+future)), "exp"},
		{"exp twice, once escaped", s.rawToken(t, rawClaims(now, map[string]string{"exp": past}, `"\u0065xp":`+future)), "exp"},
		{"another claim twice", s.rawToken(t, rawClaims(now, nil, `"foo":1`, `"foo":2`)), "twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyToken(v, tt.token)
			if !errors.Is(err, callback.ErrInvalidToken) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Verify = %v, want a refusal saying %q", err, tt.want)
			}
		})
	}
}

// A token whose signature no published key verifies is reported as that,
// not as a failure to fetch the key set, although the verifier does not
// fetch the set again within RefreshInterval to look for its key; a key
// set that cannot be fetched is reported as that.
func TestVerifierReasonForAnUnknownKey(t *testing.T) {
	good := newSigner(t, "key-1")
	ks := newKeyServer(t, good.public())
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	var logs strings.Builder
	v := newVerifier(t, ks, clk, &logs)
	now := clk.Now()
	if err := verifyToken(v, good.token(t, validClaims(now))); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{
		"a key not published":             newSigner(t, "key-2").token(t, validClaims(now)),
		"another key with a published ID": newSigner(t, "key-1").token(t, validClaims(now)),
		"no key ID":                       newSigner(t, "").token(t, validClaims(now)),
	} {
		err := verifyToken(v, tok)
		if !errors.Is(err, callback.ErrInvalidToken) || !strings.Contains(err.Error(), "signature matches no published key") ||
			strings.Contains(err.Error(), "fetch") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := ks.fetches.Load(); n != 1 {
		t.Errorf("%d fetches, want 1 (RefreshInterval)", n)
	}
	// Once the interval has passed the set is fetched again, and the
	// token's key is still not there.
	clk.Add(callback.DefaultRefreshInterval + time.Second)
	if err := verifyToken(v, newSigner(t, "key-3").token(t, validClaims(clk.Now()))); err == nil ||
		!strings.Contains(err.Error(), "signature matches no published key") || ks.fetches.Load() != 2 {
		t.Errorf("after the interval: %v, %d fetches", err, ks.fetches.Load())
	}
	srv, _ := protected(t, v)
	if code, _ := post(t, srv.URL, "Bearer "+newSigner(t, "key-4").token(t, validClaims(clk.Now()))); code != http.StatusUnauthorized ||
		!strings.Contains(logs.String(), "signature matches no published key") || strings.Contains(logs.String(), "RefreshInterval ago") {
		t.Errorf("answered %d, logs:\n%s", code, logs.String())
	}

	// A key set that cannot be fetched is a fetch failure, for the token
	// that made the verifier try, and for the next ones within the interval.
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	v, err := callback.NewVerifier(testAudience, &callback.VerifierOptions{Issuer: testIssuer, KeysURL: down.URL, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		err := verifyToken(v, good.token(t, validClaims(clk.Now())))
		if !errors.Is(err, callback.ErrInvalidToken) || !strings.Contains(err.Error(), "fetch") || strings.Contains(err.Error(), "matches no published key") {
			t.Errorf("key server down, token %d: %v", i, err)
		}
	}
	if n := v.KeySetFetches(); n != 1 {
		t.Errorf("%d fetches of the key set that is down, want 1", n)
	}
	// A key set that was fetched, then can no longer be: the token of an
	// unknown key is refused because of the failed fetch.
	flaky := newKeyServer(t, good.public())
	v = newVerifier(t, flaky, clk, nil)
	if err := verifyToken(v, good.token(t, validClaims(clk.Now()))); err != nil {
		t.Fatal(err)
	}
	flaky.Close()
	clk.Add(callback.DefaultRefreshInterval + time.Second)
	for i := range 2 {
		err := verifyToken(v, newSigner(t, "key-5").token(t, validClaims(clk.Now())))
		if !errors.Is(err, callback.ErrInvalidToken) || !strings.Contains(err.Error(), "fetch") || strings.Contains(err.Error(), "matches no published key") {
			t.Errorf("key server gone, token %d: %v", i, err)
		}
	}
	if err := verifyToken(v, good.token(t, validClaims(clk.Now()))); err != nil {
		t.Errorf("a cached key while the key server is gone: %v", err)
	}
}
