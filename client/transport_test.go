//go:build !mutation

package client_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConnectionReuseUnderConcurrency: 64 goroutines sharing one client make
// 2,000 calls; the default transport must keep their connections alive and
// reuse them, opening at most one per concurrent caller.
func TestConnectionReuseUnderConcurrency(t *testing.T) {
	const callers, calls = 64, 2000
	var opened atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	c := newKeyClient(t, srv.URL, nil)
	var wg sync.WaitGroup
	next := atomic.Int32{}
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= calls {
				if _, err := c.MuteParticipant(context.Background(), "call", acsUser, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// At most one per caller, give or take a connection closed under load
	// and replaced; net/http's defaults open about 800 here.
	if n, most := opened.Load(), int32(callers+callers/8); n > most {
		t.Errorf("%d calls from %d goroutines opened %d connections, want at most %d", calls, callers, n, most)
	}
	t.Logf("%d calls from %d goroutines opened %d connections", calls, callers, opened.Load())
}
