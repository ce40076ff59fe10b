package callback_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/acsmute/acsmute/callback"
)

// The exact edges of what the package accepts: each test holds one bound
// at its value, so that moving it by one is noticed.

// A key set of exactly 1 MiB is read; one byte more is refused.
func TestKeySetOfExactlyTheLimit(t *testing.T) {
	s := newSigner(t, "k")
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{s.public()}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		size int
		ok   bool
	}{{1 << 20, true}, {1<<20 + 1, false}} {
		body := append(set[:len(set)-1:len(set)-1], []byte(`,"pad":"`)...)
		body = append(body, strings.Repeat("x", tt.size-len(body)-2)...)
		body = append(body, `"}`...)
		if len(body) != tt.size {
			t.Fatalf("made %d bytes, want %d", len(body), tt.size)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}))
		clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
		v, err := callback.NewVerifier(testAudience, &callback.VerifierOptions{Issuer: testIssuer, KeysURL: srv.URL, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		err = verifyToken(v, s.token(t, validClaims(clk.Now())))
		srv.Close()
		if (err == nil) != tt.ok {
			t.Errorf("a key set of %d bytes: %v, want accepted %v", tt.size, err, tt.ok)
		}
	}
}

// Three redirects to the keys are followed; a fourth is not.
func TestKeySetRedirectLimit(t *testing.T) {
	s := newSigner(t, "k")
	ks := newKeyServer(t, s.public())
	for _, tt := range []struct {
		hops int
		ok   bool
	}{{2, true}, {3, false}} {
		target := ks.URL + "/calling/keys"
		for i := range tt.hops {
			hop := httptest.NewServer(http.RedirectHandler(target, http.StatusFound))
			defer hop.Close()
			target = hop.URL + fmt.Sprintf("/hop%d", i)
		}
		clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
		v, err := callback.NewVerifier(testAudience, &callback.VerifierOptions{Issuer: testIssuer, KeysURL: target, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if err := verifyToken(v, s.token(t, validClaims(clk.Now()))); (err == nil) != tt.ok {
			t.Errorf("%d redirects (%d requests): %v, want accepted %v", tt.hops, tt.hops+1, err, tt.ok)
		}
	}
}

// A caller's HTTP client with a shorter timeout than 10 seconds keeps it.
func TestKeySetFetchKeepsAShorterTimeout(t *testing.T) {
	release := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer silent.Close()
	defer close(release)
	s := newSigner(t, "k")
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	v, err := callback.NewVerifier(testAudience, &callback.VerifierOptions{Issuer: testIssuer, KeysURL: silent.URL, Now: clk.Now,
		HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := verifyToken(v, s.token(t, validClaims(clk.Now()))); err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("%v after %v; want a failure after the client's 100ms", err, time.Since(start))
	}
}

// Numeric dates at the edges: 0 (1970), a date whose first digit is 9, and
// a not-before time a half second past the leeway.
func TestNumericDateEdges(t *testing.T) {
	s := newSigner(t, "k")
	ks := newKeyServer(t, s.public())
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	clk := &clock{now: now}
	v := newVerifier(t, ks, clk, io.Discard)
	for _, tt := range []struct {
		over map[string]string
		ok   bool
	}{
		{map[string]string{"nbf": "0", "iat": "0"}, true},
		{map[string]string{"exp": "9999999999"}, true},
		{map[string]string{"exp": "99999999999999"}, false},
		{map[string]string{"nbf": fmt.Sprint(now.Add(callback.Leeway).Unix()) + ".5"}, false},
		{map[string]string{"nbf": fmt.Sprint(now.Add(callback.Leeway).Unix()) + ".0"}, true},
		{map[string]string{"exp": fmt.Sprint(now.Add(-callback.Leeway).Unix()) + ".5"}, true},
	} {
		err := verifyToken(v, s.rawToken(t, rawClaims(now, tt.over)))
		if (err == nil) != tt.ok {
			t.Errorf("%v: %v, want accepted %v", tt.over, err, tt.ok)
		}
	}
}

// A source of exactly "calling/callConnections/" names no call connection:
// it is refused, not read as the empty ID. An event type of exactly 64
// bytes is quoted whole, a longer one cut.
func TestSourceAndQuoteEdges(t *testing.T) {
	e := callback.Event{ID: "1", Source: "calling/callConnections/", Type: callback.TypeParticipantsUpdated,
		Data: []byte(`{"callConnectionId":"c","sequenceNumber":1,"participants":[]}`)}
	if _, err := e.ParticipantsUpdated(); err == nil || !strings.Contains(err.Error(), "in a form this package does not read") {
		t.Errorf("a source with no call connection ID: %v", err)
	}
	typ := strings.Repeat("t", 64)
	_, err := callback.Event{Type: typ}.ParticipantsUpdated()
	if err == nil || !strings.Contains(err.Error(), `"`+typ+`"`) {
		t.Errorf("64-byte type: %v", err)
	}
	_, err = callback.Event{Type: typ + "u"}.ParticipantsUpdated()
	if err == nil || !strings.Contains(err.Error(), typ+`..."`) {
		t.Errorf("65-byte type: %v", err)
	}
}

// A second CallDisconnected of a call, another event (a new connection
// ended, say), replaces the first: later Waits get it. Its redelivery does
// not.
func TestWaiterLatestDisconnect(t *testing.T) {
	w := newWaiter(t, nil)
	bye := func(id string) callback.Event {
		return callback.Event{ID: id, Source: "calling/callConnections/call-1", Type: callback.TypeCallDisconnected, Data: []byte(`{"callConnectionId":"call-1"}`)}
	}
	w.Deliver(bye("first"), bye("second"), bye("second"))
	if e, err := w.Wait(context.Background(), "call-1", "op"); err != nil || e.ID != "second" {
		t.Errorf("Wait got %+v, %v; want the second CallDisconnected", e, err)
	}
}

// An event is kept exactly TTL after it arrived, and let go after.
func TestWaiterKeepsExactlyTTL(t *testing.T) {
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	clk := &clock{now: start}
	w := newWaiter(t, &callback.WaiterOptions{TTL: time.Minute, Now: clk.Now})
	w.Deliver(outcomeEvent("a", callback.TypeRemoveParticipantSucceeded, "call-1", "op-a"),
		outcomeEvent("b", callback.TypeRemoveParticipantSucceeded, "call-1", "op-b"))
	clk.Add(time.Minute)
	if e, err := w.Wait(context.Background(), "call-1", "op-a"); err != nil || e.ID != "a" {
		t.Errorf("at exactly TTL: %+v, %v", e, err)
	}
	clk.Add(time.Nanosecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := w.Wait(ctx, "call-1", "op-b"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("past TTL: %v, want it let go", err)
	}
}
