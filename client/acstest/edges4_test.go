package acstest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// seqs returns the Seq of each delivery.
func seqs(ds []acstest.Delivery) []int {
	out := make([]int, len(ds))
	for i, d := range ds {
		out[i] = d.Seq
	}
	return out
}

// Deliveries reports the post in flight, with the attempts made so far,
// and stays in order (by Seq) after Close, when the events still waiting
// are recorded before the one in flight ends.
func TestDeliveriesInFlightAndInOrder(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	arrived := make(chan struct{})
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer rc.Close()
	defer close(release)
	srv, err := acstest.NewServer(&acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice, bob}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, muted := range []bool{true, false, true} {
		if err := srv.SetMuted("call-1", alice, muted); err != nil {
			t.Fatal(err)
		}
	}
	<-arrived
	ds := srv.Deliveries()
	if len(ds) != 1 || ds[0].Seq != 1 || ds[0].Attempts != 1 || ds[0].Delivered || len(ds[0].Body) == 0 {
		t.Errorf("while the first post is in flight: %+v, want it, attempt 1, with its body", ds)
	}
	srv.Close()
	ds = srv.Deliveries()
	if got := seqs(ds); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("after Close: deliveries %v, want [1 2 3]", got)
	}
	for _, d := range ds {
		if d.Delivered || d.Err == "" {
			t.Errorf("delivery %d: %+v, want not delivered, with why", d.Seq, d)
		}
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

// A delivery fault function that panics costs its event (recorded as
// dropped, saying why), not the server: later events are posted.
func TestDeliveryFaultFunctionPanics(t *testing.T) {
	rc := newReceiver(t)
	srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	rc.verifyWith(t, srv, nil)
	srv.SetDeliveryFaultFunc(func(seq int, _ acstest.Delivery) *acstest.DeliveryFault {
		if seq == 1 {
			panic("boom")
		}
		return nil
	})
	for _, muted := range []bool{true, false} {
		if err := srv.SetMuted("call-1", alice, muted); err != nil {
			t.Fatal(err)
		}
	}
	waitDeliveries(t, srv)
	ds := srv.Deliveries()
	if len(ds) != 2 || ds[0].Delivered || !strings.Contains(ds[0].Err, "panicked: boom") || !ds[1].Delivered {
		t.Errorf("deliveries = %+v", ds)
	}
}

// Replacing a call with AddCall continues its sequence numbers and posts
// its new state, so that a receiver keeping the largest takes it; adding a
// new call posts nothing.
func TestReplacedCallContinuesItsSequence(t *testing.T) {
	rc := newReceiver(t)
	srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	rc.verifyWith(t, srv, nil)
	if err := srv.SetMuted("call-1", alice, true); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddCall("call-1", bob); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddCall("call-2", alice); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddCall("call-1", "not a raw ID"); err == nil {
		t.Error("a bad replacement accepted")
	}
	waitDeliveries(t, srv)
	events, _, _ := rc.got()
	if len(events) != 2 {
		t.Fatalf("%d events, want 2", len(events))
	}
	first, _ := events[0].ParticipantsUpdated()
	second, err := events[1].ParticipantsUpdated()
	if err != nil || second.SequenceNumber != first.SequenceNumber+1 || second.ServerCallID != first.ServerCallID ||
		len(second.Participants) != 1 || second.Participants[0].Identifier.RawID() != bob {
		t.Errorf("after the replacement: %+v (%v), before %+v", second, err, first)
	}
	if st, ok := srv.Call("call-1"); !ok || st.SequenceNumber != second.SequenceNumber || len(st.Participants) != 1 || st.Participants[0].RawID != bob {
		t.Errorf("Call = %+v, %v", st, ok)
	}
}

// Callbacks can be pointed at a receiver after the server started (the
// receiver needs the server's URL and resource ID to verify them), and
// VerifierOptions is all a receiver needs besides the resource ID, which
// can be fixed.
func TestCallbackURLAfterStartAndVerifierOptions(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}}, ResourceID: "fixed-resource-id"})
	if srv.ResourceID() != "fixed-resource-id" {
		t.Errorf("ResourceID() = %q", srv.ResourceID())
	}
	v, err := callback.NewVerifier(srv.ResourceID(), srv.VerifierOptions())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []callback.Event
	rc := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		events, err := callback.Parse(body)
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		got = append(got, events...)
		mu.Unlock()
	})))
	defer rc.Close()
	if err := srv.SetMuted("call-1", alice, true); err != nil { // no callback URL yet
		t.Fatal(err)
	}
	if err := srv.SetCallbackURL("not a URL"); err == nil {
		t.Error("a bad URL accepted")
	}
	if err := srv.SetCallbackURL(rc.URL); err != nil || srv.CallbackURL() != rc.URL {
		t.Fatalf("SetCallbackURL: %v, %q", err, srv.CallbackURL())
	}
	if err := srv.SetMuted("call-1", alice, false); err != nil {
		t.Fatal(err)
	}
	waitDeliveries(t, srv)
	if err := srv.SetCallbackURL(""); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetMuted("call-1", alice, true); err != nil {
		t.Fatal(err)
	}
	waitDeliveries(t, srv)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d verified events, want 1", len(got))
	}
	if pu, err := got[0].ParticipantsUpdated(); err != nil || pu.Participants[0].IsMuted {
		t.Errorf("event %+v, %v", pu, err)
	}
	for _, bad := range []string{"has space", strings.Repeat("x", 257), "tab\t"} {
		if _, err := acstest.NewServer(&acstest.Options{ResourceID: bad}); err == nil {
			t.Errorf("ResourceID %q accepted", bad)
		}
	}
}

// Each delivery is logged, with where it went but not the URL's password
// or query.
func TestDeliveriesAreLoggedWithoutSecrets(t *testing.T) {
	var logs syncBuffer
	rc := newReceiver(t)
	rc.status = func(int) int { return http.StatusServiceUnavailable }
	u := strings.Replace(rc.URL, "http://", "http://user:pa55word@", 1) + "/cb?sig=c2VjcmV0LXNpZw"
	srv := acstest.Start(t, &acstest.Options{CallbackURL: u, Calls: map[string][]string{"call-1": {alice}},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	rc.verifyWith(t, srv, nil)
	if err := srv.SetMuted("call-1", alice, true); err != nil {
		t.Fatal(err)
	}
	waitDeliveries(t, srv)
	out := logs.String()
	if !strings.Contains(out, "acstest: callback") || !strings.Contains(out, "status=503") || !strings.Contains(out, "delivered=false") {
		t.Errorf("logs = %s", out)
	}
	if strings.Contains(out, "pa55word") || strings.Contains(out, "c2VjcmV0LXNpZw") {
		t.Errorf("logs hold the URL's secrets: %s", out)
	}
	if got := acstest.RedactURL(u); strings.Contains(got, "pa55word") || strings.Contains(got, "c2VjcmV0") || !strings.Contains(got, "/cb?REDACTED") {
		t.Errorf("RedactURL = %q", got)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tbRecorder is a testing.TB that keeps what is logged.
type tbRecorder struct {
	testing.TB
	mu   sync.Mutex
	logs []string
}

func (r *tbRecorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func (r *tbRecorder) Helper() {}

// A test server started with Start logs, as the test ends, the callbacks
// that were not delivered: a receiver mounted at another path than the
// URL posted to answers 404, which no error reports otherwise.
func TestStartLogsUndeliveredCallbacks(t *testing.T) {
	rc := newReceiver(t) // answers 404 but at /
	rec := &tbRecorder{TB: t}
	t.Run("inner", func(inner *testing.T) {
		rec.TB = inner
		srv := acstest.Start(rec, &acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
		if err := srv.SetCallbackURL(rc.URL + "/wrong-path?sig=c2VjcmV0LXNpZw"); err != nil {
			inner.Fatal(err)
		}
		if err := srv.SetMuted("call-1", alice, true); err != nil {
			inner.Fatal(err)
		}
		waitDeliveries(inner, srv)
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.logs) != 1 || !strings.Contains(rec.logs[0], "not delivered") || !strings.Contains(rec.logs[0], "/wrong-path") ||
		strings.Contains(rec.logs[0], "c2VjcmV0LXNpZw") {
		t.Errorf("logs = %q", rec.logs)
	}
}
