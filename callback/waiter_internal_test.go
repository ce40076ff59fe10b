package callback

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A Wait that ends without its event leaves nothing behind, while another
// Wait for the same request keeps waiting.
func TestWaitLeavesNothingBehind(t *testing.T) {
	w, err := NewWaiter(nil)
	if err != nil {
		t.Fatal(err)
	}
	long, cancelLong := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := w.Wait(long, "call", "op")
		done <- err
	}()
	for {
		w.mu.Lock()
		en := w.entries[waitKey{"call", "op"}]
		waiting := en != nil && en.waiting == 1
		w.mu.Unlock()
		if waiting {
			break
		}
		time.Sleep(time.Millisecond)
	}
	short, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := w.Wait(short, "call", "op"); err == nil {
		t.Fatal("no error")
	}
	w.mu.Lock()
	if len(w.entries) != 1 {
		t.Errorf("%d entries while one Wait goes on", len(w.entries))
	}
	w.mu.Unlock()
	cancelLong()
	if err := <-done; err == nil {
		t.Fatal("no error")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.entries) != 0 || len(w.queue) != 0 || len(w.handed) != 0 {
		t.Errorf("%d entries, %d queued and %d handed IDs left after every Wait ended", len(w.entries), len(w.queue), len(w.handed))
	}
}

// reason cuts a message longer than 200 bytes, and only such a message.
func TestReasonCutsAt200(t *testing.T) {
	for _, n := range []int{200, 201} {
		got := reason(errors.New(strings.Repeat("x", n)), "")
		if cut := strings.HasSuffix(got, "..."); cut != (n > 200) || len(strings.TrimSuffix(got, "...")) != min(n, 200) {
			t.Errorf("%d bytes: %q", n, got)
		}
	}
}

// Without an HTTP client of the caller's, a key set fetch is bounded by
// keySetTimeout.
func TestKeySetFetchBoundedWithoutAClient(t *testing.T) {
	saved := keySetTimeout
	keySetTimeout = 100 * time.Millisecond
	defer func() { keySetTimeout = saved }()
	release := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer silent.Close()
	defer close(release)
	for _, hc := range []*http.Client{nil, {Timeout: -time.Second}, {Timeout: time.Hour}} {
		v, err := NewVerifier("aud", &VerifierOptions{KeysURL: silent.URL, HTTPClient: hc, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/", nil)
		// Any compact token: the key set is fetched to look for its key.
		req.Header.Set("Authorization", "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJ4In0.c2ln")
		start := time.Now()
		if err := v.Verify(req); err == nil || time.Since(start) > 5*time.Second {
			t.Errorf("client %v: %v after %v", hc, err, time.Since(start))
		}
	}
}
