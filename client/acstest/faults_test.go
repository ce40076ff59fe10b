package acstest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// A dropped connection loses the answer either before the mute
// (DropBeforeExecute: nothing happens, so a resend executes) or after it
// (DropAfterExecute: the participant is muted, so a resend with the same
// Repeatability-Request-ID gets the remembered answer without executing).
func TestDroppedRequestsAndResends(t *testing.T) {
	tests := []struct {
		drop acstest.Drop
		// after the dropped request
		mutedAfterDrop    bool
		executedAfterDrop bool
		// the resend
		resendExecuted, resendReplayed bool
	}{
		{acstest.DropBeforeExecute, false, false, true, false},
		{acstest.DropAfterExecute, true, true, false, true},
	}
	for _, tt := range tests {
		name := map[acstest.Drop]string{acstest.DropBeforeExecute: "DropBeforeExecute", acstest.DropAfterExecute: "DropAfterExecute"}[tt.drop]
		t.Run(name, func(t *testing.T) {
			srv := newServer(t, nil)
			srv.InjectFaults(1, acstest.Fault{Drop: tt.drop})
			id := uuid.NewString()
			rr := rawRequest{body: muteBody(alice, "ctx-1"), repeatID: id, firstSent: time.Now().UTC().Format(http.TimeFormat)}

			if resp, _, err := rr.send(t, srv); err == nil {
				t.Fatalf("dropped request got an answer: %d", resp.StatusCode)
			}
			if m, _ := srv.IsMuted("call-1", alice); m != tt.mutedAfterDrop {
				t.Errorf("after the drop: muted = %v, want %v", m, tt.mutedAfterDrop)
			}
			wantExecs := 0
			if tt.executedAfterDrop {
				wantExecs = 1
			}
			if n := srv.Executions(id); n != wantExecs {
				t.Errorf("after the drop: executions = %d, want %d", n, wantExecs)
			}
			if n := srv.TotalExecutions(); n != wantExecs {
				t.Errorf("after the drop: total executions = %d, want %d", n, wantExecs)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests recorded, want 1", len(reqs))
			}
			if r := reqs[0]; !r.Dropped || r.Status != 0 || r.Executed != tt.executedAfterDrop || r.Replayed {
				t.Errorf("dropped request recorded as dropped=%v status=%d executed=%v replayed=%v, want executed=%v",
					r.Dropped, r.Status, r.Executed, r.Replayed, tt.executedAfterDrop)
			}

			resp, b := rr.do(t, srv)
			if resp.StatusCode != 200 || b["operationContext"] != "ctx-1" || resp.Header.Get("Repeatability-Result") != "accepted" {
				t.Errorf("resend: %d %v %v", resp.StatusCode, resp.Header, b)
			}
			if m, _ := srv.IsMuted("call-1", alice); !m {
				t.Error("after the resend: alice is not muted")
			}
			if n := srv.Executions(id); n != 1 {
				t.Errorf("after the resend: executions = %d, want 1", n)
			}
			reqs = srv.Requests()
			if last := reqs[len(reqs)-1]; len(reqs) != 2 || last.Dropped || last.Executed != tt.resendExecuted || last.Replayed != tt.resendReplayed {
				t.Errorf("resend recorded as dropped=%v executed=%v replayed=%v, want executed=%v replayed=%v",
					last.Dropped, last.Executed, last.Replayed, tt.resendExecuted, tt.resendReplayed)
			}
		})
	}
}

// Mute faults are the mutes': reads, the published keys and requests to no
// operation neither get nor consume them, and SetFaultFunc counts mutes.
func TestMuteFaultsAreForMutes(t *testing.T) {
	srv := newServer(t, nil)
	srv.InjectFaults(1, acstest.Fault{Status: 503})
	var seqs []int
	srv.SetFaultFunc(func(seq int) *acstest.Fault { seqs = append(seqs, seq); return nil })
	for _, rr := range []rawRequest{
		{method: http.MethodGet, path: "/favicon.ico"},
		{method: http.MethodGet, path: "/calling/callConnections/call-1/participants/" + alice + "?api-version=" + client.APIVersion},
		{method: http.MethodGet, path: "/calling/callConnections/call-1/participants?api-version=" + client.APIVersion},
		{method: http.MethodGet, path: acstest.PathCallbackKeys},
	} {
		if resp, _ := rr.do(t, srv); resp.StatusCode == 503 {
			t.Errorf("%s got the mute fault", rr.path)
		}
	}
	if resp, _ := (rawRequest{body: muteBody(alice, "")}).do(t, srv); resp.StatusCode != 503 {
		t.Errorf("the mute did not get its fault: %d", resp.StatusCode)
	}
	if resp, _ := (rawRequest{body: muteBody(bob, "")}).do(t, srv); resp.StatusCode != 200 {
		t.Errorf("second mute: %d", resp.StatusCode)
	}
	if len(seqs) != 1 || seqs[0] != 2 {
		t.Errorf("SetFaultFunc saw %v, want [2] (the second mute)", seqs)
	}
	// Read faults are the reads'.
	srv.InjectReadFaults(1, acstest.Fault{Status: 500})
	if resp, _ := (rawRequest{body: muteBody(bob, "")}).do(t, srv); resp.StatusCode != 200 {
		t.Errorf("a mute got the read fault: %d", resp.StatusCode)
	}
	if resp, _ := (rawRequest{method: http.MethodGet, path: "/calling/callConnections/call-1/participants?api-version=" + client.APIVersion}).do(t, srv); resp.StatusCode != 500 {
		t.Errorf("the read did not get its fault: %d", resp.StatusCode)
	}
}

// A fault's retry headers are sent only when set; its latency adds to the
// server's.
func TestFaultHeadersAndLatency(t *testing.T) {
	srv := newServer(t, nil)
	srv.InjectFaults(1, acstest.Fault{Status: 503, RetryAfterMs: "25", RetryAfter: "2"})
	srv.InjectFaults(1, acstest.Fault{Status: 503})
	resp, _ := rawRequest{body: muteBody(bob, "")}.do(t, srv)
	if resp.Header.Get("Retry-After-Ms") != "25" || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("headers %v", resp.Header)
	}
	resp, _ = rawRequest{body: muteBody(bob, "")}.do(t, srv)
	if _, ok := resp.Header["Retry-After-Ms"]; ok {
		t.Errorf("retry-after-ms sent for a fault without it: %v", resp.Header)
	}
	if _, ok := resp.Header["Retry-After"]; ok {
		t.Errorf("Retry-After sent for a fault without it: %v", resp.Header)
	}

	srv.SetLatency(60 * time.Millisecond)
	srv.InjectFaults(1, acstest.Fault{Status: 503, Latency: 60 * time.Millisecond})
	start := time.Now()
	rawRequest{body: muteBody(bob, "")}.do(t, srv)
	if d := time.Since(start); d < 120*time.Millisecond {
		t.Errorf("answered after %v; want the fault's and the server's latency added (120ms)", d)
	}
}

// Faults that cannot be applied are refused: a 1xx status (net/http would
// follow it with 200, the client reporting a mute that never ran), one
// outside 200 to 599, an unknown Drop, a negative latency, a header value
// that cannot be sent.
func TestFaultsThatCannotBeApplied(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
	for _, f := range []acstest.Fault{
		{Status: 100}, {Status: 102}, {Status: 103}, {Status: 199}, {Status: 99}, {Status: 600}, {Status: -1},
		{Drop: acstest.Drop(7)}, {Latency: -time.Second}, {Status: 503, RetryAfter: "1\r\nX-Evil: 1"},
	} {
		if err := srv.InjectFaults(1, f); err == nil {
			t.Errorf("InjectFaults(%+v) accepted", f)
		}
		if err := srv.InjectReadFaults(1, f); err == nil {
			t.Errorf("InjectReadFaults(%+v) accepted", f)
		}
	}
	if err := srv.InjectFaults(-1, acstest.Fault{Status: 503}); err == nil {
		t.Error("a negative count accepted")
	}
	// Nothing was queued: the mute runs.
	if _, err := srv.Client().MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
		t.Fatalf("after refused faults: %v", err)
	}
	if muted, _ := srv.IsMuted("call-1", alice); !muted {
		t.Error("not muted")
	}
}

// A fault function that chooses a fault that cannot be applied, or panics,
// answers the request 500 InvalidFault (no success, nothing executed), logs
// it and prints no stack; the server goes on.
func TestFaultFunctionFailures(t *testing.T) {
	var std bytes.Buffer
	prev := log.Writer()
	log.SetOutput(&std)
	defer log.SetOutput(prev)
	var logs bytes.Buffer
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	c, _ := srv.NewClient(&client.ClientOptions{Retry: client.RetryOptions{MaxRetries: -1}})
	for name, fn := range map[string]func(int) *acstest.Fault{
		"102":   func(int) *acstest.Fault { return &acstest.Fault{Status: 102} },
		"panic": func(int) *acstest.Fault { panic("boom") },
	} {
		srv.SetFaultFunc(fn)
		_, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
		var re *client.ResponseError
		if !errors.As(err, &re) || re.StatusCode != 500 || re.ErrorCode != "InvalidFault" {
			t.Errorf("%s: error = %v, want 500 InvalidFault", name, err)
		}
		if muted, _ := srv.IsMuted("call-1", alice); muted {
			t.Errorf("%s: muted", name)
		}
	}
	if !strings.Contains(logs.String(), "panicked: boom") || !strings.Contains(logs.String(), "status 102") {
		t.Errorf("logs = %s", logs.String())
	}
	if strings.Contains(std.String(), "goroutine") || strings.Contains(std.String(), "panic") {
		t.Errorf("a stack was printed: %s", std.String())
	}
	srv.SetFaultFunc(nil)
	if _, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
		t.Errorf("after: %v", err)
	}
}

// A 1xx fault is refused (net/http would follow it with 200, nothing
// done), from Go, from a fault function and from the admin API; a 2xx is a
// lie on purpose (for tests of how a client reads one), and says so.
func TestFaultStatusRange(t *testing.T) {
	srv := startAdmin(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
	for _, status := range []int{100, 103, 199} {
		if err := srv.InjectFaults(1, acstest.Fault{Status: status}); err == nil {
			t.Errorf("InjectFaults status %d accepted", status)
		}
		if code, _, v := adminDo(t, srv, adminToken, "POST", "/admin/v1/faults", fmt.Sprintf(`{"status":%d}`, status)); code != 400 || adminField(v) != "status" {
			t.Errorf("admin status %d: %d %v", status, code, v)
		}
	}
	srv.SetFaultFunc(func(int) *acstest.Fault { return &acstest.Fault{Status: 102} })
	c, _ := srv.NewClient(&client.ClientOptions{Retry: client.RetryOptions{MaxRetries: -1}})
	_, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
	var re *client.ResponseError
	if !errors.As(err, &re) || re.ErrorCode != "InvalidFault" {
		t.Errorf("a fault function's 102: %v", err)
	}
	if muted, _ := srv.IsMuted("call-1", alice); muted {
		t.Error("muted")
	}
	srv.SetFaultFunc(nil)
	if err := srv.InjectFaults(1, acstest.Fault{Status: 202}); err != nil {
		t.Errorf("a 2xx fault: %v", err)
	}
	if _, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); !errors.Is(err, client.ErrOutcomeUnknown) {
		t.Errorf("a 202 to a mute: %v, want an unknown outcome", err)
	}
}

// A fault function that ends its goroutine (t.FailNow does) answers 500
// InvalidFault and the request is logged; a delivery fault function that
// does so costs its event only, and one that closes the server returns.
func TestFaultFunctionsThatEndOrClose(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
	srv.SetFaultFunc(func(int) *acstest.Fault { runtime.Goexit(); return nil })
	c, _ := srv.NewClient(&client.ClientOptions{Retry: client.RetryOptions{MaxRetries: -1}})
	_, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
	var re *client.ResponseError
	if !errors.As(err, &re) || re.ErrorCode != "InvalidFault" || len(srv.Requests()) != 1 {
		t.Errorf("Goexit in a fault function: %v, %d requests logged", err, len(srv.Requests()))
	}
	srv.SetFaultFunc(nil)

	ds := deliveriesWhenTheFirstFaultFuncFails(t, runtime.Goexit)
	if len(ds) != 2 || ds[0].Delivered || !strings.Contains(ds[0].Err, "Goexit") || !ds[1].Delivered {
		t.Errorf("deliveries %+v", ds)
	}

	srv3, err := acstest.NewServer(&acstest.Options{CallbackURL: newReceiver(t).URL, Calls: map[string][]string{"call-1": {alice}}})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	srv3.SetDeliveryFaultFunc(func(int, acstest.Delivery) *acstest.DeliveryFault {
		srv3.Close()
		close(closed)
		return nil
	})
	_ = srv3.SetMuted("call-1", alice, true)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close from a delivery fault function did not return")
	}
}

// Close ends the latency a request is pausing for: nothing is left behind.
func TestCloseEndsLatencies(t *testing.T) {
	srv, err := acstest.NewServer(&acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetLatency(time.Hour)
	before := runtime.NumGoroutine()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, _ := srv.NewClient(&client.ClientOptions{Retry: client.RetryOptions{MaxRetries: -1, TryTimeout: time.Hour}})
		_, _ = c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
	}()
	for srv.PeakInFlight() == 0 {
		time.Sleep(time.Millisecond)
	}
	srv.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the request still pauses after Close")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	if stacks := string(buf[:runtime.Stack(buf, true)]); strings.Contains(stacks, "acstest.(*Server).pause") {
		t.Errorf("a request still pauses:\n%s", stacks)
	}
}

// A delivery fault function that panics costs its event (recorded as
// dropped, saying why), not the server: later events are posted.
func TestDeliveryFaultFunctionPanics(t *testing.T) {
	ds := deliveriesWhenTheFirstFaultFuncFails(t, func() { panic("boom") })
	if len(ds) != 2 || ds[0].Delivered || !strings.Contains(ds[0].Err, "panicked: boom") || !ds[1].Delivered {
		t.Errorf("deliveries = %+v", ds)
	}
}

// deliveriesWhenTheFirstFaultFuncFails has a server post two events to a
// receiver while its delivery fault function calls fail for the first, and
// returns the deliveries once both are done.
func deliveriesWhenTheFirstFaultFuncFails(t *testing.T, fail func()) []acstest.Delivery {
	t.Helper()
	rc := newReceiver(t)
	srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	rc.verifyWith(t, srv, nil)
	srv.SetDeliveryFaultFunc(func(seq int, _ acstest.Delivery) *acstest.DeliveryFault {
		if seq == 1 {
			fail()
		}
		return nil
	})
	for _, muted := range []bool{true, false} {
		if err := srv.SetMuted("call-1", alice, muted); err != nil {
			t.Fatal(err)
		}
	}
	waitDeliveries(t, srv)
	return srv.Deliveries()
}
