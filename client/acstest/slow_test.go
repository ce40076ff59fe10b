//go:build !mutation

package acstest_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/client/acstest"
)

// Tests that take a second or more, left out of mutation runs
// (go test -tags mutation).

func TestInProgressAnswers409(t *testing.T) {
	srv := newServer(t, nil)
	srv.InjectFaults(1, acstest.Fault{Latency: time.Second})
	id, sent := uuid.NewString(), time.Now().UTC().Format(http.TimeFormat)
	rr := rawRequest{body: muteBody(alice, ""), repeatID: id, firstSent: sent}
	var wg sync.WaitGroup
	wg.Add(1)
	var first *http.Response
	go func() {
		defer wg.Done()
		first, _ = rr.do(t, srv)
	}()
	// Wait until the first request is executing.
	for deadline := time.Now().Add(2 * time.Second); srv.Executions(id) == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	resp, b := rr.do(t, srv)
	if resp.StatusCode != 409 || errorCode(t, resp, b) != "RepeatabilityRequestInProgress" || resp.Header.Get("Repeatability-Result") == "" {
		t.Errorf("while in progress: %d %v %v", resp.StatusCode, resp.Header, b)
	}
	wg.Wait()
	if first.StatusCode != 200 {
		t.Errorf("first: %d", first.StatusCode)
	}
	if resp, _ := rr.do(t, srv); resp.StatusCode != 200 {
		t.Errorf("after: %d", resp.StatusCode)
	}
	if n := srv.Executions(id); n != 1 {
		t.Errorf("executions = %d", n)
	}
}
