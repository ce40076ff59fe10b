package acstest_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// Participants join, unmute themselves and leave, each posting
// ParticipantsUpdated with the call's next sequence number; one who joins
// after others left is listed after them.
func TestParticipantsJoinAndLeave(t *testing.T) {
	rc := newReceiver(t)
	srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice, bob}}})
	rc.verifyWith(t, srv, nil)
	for _, step := range []func() error{
		func() error { return srv.AddParticipant("call-1", phone) },
		func() error { return srv.SetMuted("call-1", phone, true) },
		func() error { return srv.RemoveParticipant("call-1", alice) },
		func() error { return srv.AddParticipant("call-1", extUser) },
		func() error { return srv.SetMuted("call-1", phone, false) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range []error{
		srv.AddParticipant("call-1", bob),          // in the call already
		srv.AddParticipant("call-9", alice),        // no such call
		srv.AddParticipant("call-1", "8:acs:"),     // not a raw ID
		srv.RemoveParticipant("call-1", "8:acs:x"), // not in the call
	} {
		if err == nil {
			t.Error("an impossible change succeeded")
		}
	}
	waitDeliveries(t, srv)
	events, _, _ := rc.got()
	if len(events) != 5 {
		t.Fatalf("%d events", len(events))
	}
	for i, e := range events {
		pu, err := e.ParticipantsUpdated()
		if err != nil || pu.SequenceNumber != i+1 {
			t.Errorf("event %d: %+v, %v", i, pu, err)
		}
	}
	// The list: bob, phone (joined third), extUser (joined last).
	var order []string
	for p, err := range srv.Client().ListParticipants(context.Background(), "call-1", &client.ListParticipantsOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, p.Identifier.RawID())
	}
	if !slices.Equal(order, []string{bob, phone, extUser}) {
		t.Errorf("listed %v", order)
	}
}

// The delivery fault function drops, duplicates, delays and reorders posts;
// held events are posted once the events they let through are, and
// WaitForDeliveries waits for them.
func TestDeliveryFaults(t *testing.T) {
	rc := newReceiver(t)
	srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	rc.verifyWith(t, srv, nil)
	var seen []int
	srv.SetDeliveryFaultFunc(func(seq int, d acstest.Delivery) *acstest.DeliveryFault {
		seen = append(seen, d.SequenceNumber)
		switch seq {
		case 1:
			return &acstest.DeliveryFault{Hold: 2} // after 2 and 3
		case 2:
			return &acstest.DeliveryFault{Duplicate: true}
		case 4:
			return &acstest.DeliveryFault{Drop: true}
		case 5:
			return &acstest.DeliveryFault{Delay: 50 * time.Millisecond}
		case 6:
			return &acstest.DeliveryFault{Hold: 99} // posted when nothing else waits
		}
		return nil
	})
	start := time.Now()
	for _, muted := range []bool{true, false, true, false, true, false} {
		if err := srv.SetMuted("call-1", alice, muted); err != nil {
			t.Fatal(err)
		}
	}
	waitDeliveries(t, srv)
	if time.Since(start) < 50*time.Millisecond {
		t.Error("the delay was not waited for")
	}
	events, _, _ := rc.got()
	var got []int
	for _, e := range events {
		pu, err := e.ParticipantsUpdated()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, pu.SequenceNumber)
	}
	if want := []int{2, 2, 3, 1, 5, 6}; !slices.Equal(got, want) {
		t.Errorf("posted in order %v, want %v", got, want)
	}
	if !slices.Equal(seen, []int{1, 2, 3, 4, 5, 6}) {
		t.Errorf("the fault function saw %v", seen)
	}
	ds := srv.Deliveries()
	var dropped, dups int
	for _, d := range ds {
		if strings.Contains(d.Err, "dropped") {
			dropped++
		}
		if d.Duplicate {
			dups++
		}
	}
	if dropped != 1 || dups != 1 || len(ds) != 7 {
		t.Errorf("%d deliveries, %d dropped, %d duplicates: %+v", len(ds), dropped, dups, ds)
	}
	// Removed: posts are normal again.
	srv.SetDeliveryFaultFunc(nil)
	_ = srv.SetMuted("call-1", alice, true)
	waitDeliveries(t, srv)
	if events, _, _ := rc.got(); len(events) != 7 {
		t.Errorf("%d events after the function was removed", len(events))
	}
}

// Close gives up on held events, and leaves no goroutine behind.
func TestDeliveryFaultsClose(t *testing.T) {
	rc := newReceiver(t)
	srv, err := acstest.NewServer(&acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	if err != nil {
		t.Fatal(err)
	}
	rc.verifyWith(t, srv, nil)
	release := make(chan struct{})
	srv.SetDeliveryFaultFunc(func(seq int, d acstest.Delivery) *acstest.DeliveryFault {
		if seq == 2 {
			<-release // a slow fault function: event 1 stays held meanwhile
		}
		return &acstest.DeliveryFault{Hold: 5}
	})
	_ = srv.SetMuted("call-1", alice, true)
	_ = srv.SetMuted("call-1", alice, false)
	time.Sleep(20 * time.Millisecond)
	close(release)
	srv.Close()
	for _, d := range srv.Deliveries() {
		if d.Delivered {
			continue
		}
		if !strings.Contains(d.Err, "closed") {
			t.Errorf("delivery %+v", d)
		}
	}
}

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

// A delivery's error does not quote the URL (its query may be a secret);
// a user name alone is redacted too; events dropped are logged.
func TestDeliveryErrorsAndRedaction(t *testing.T) {
	var logs syncBuffer
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}},
		CallbackURL: "http://tok3n-user-name@127.0.0.1:1/cb?sig=c2VjcmV0LXNpZw#fr%20ag",
		Logger:      slog.New(slog.NewTextHandler(&logs, nil))})
	srv.SetDeliveryFaultFunc(func(seq int, _ acstest.Delivery) *acstest.DeliveryFault {
		return &acstest.DeliveryFault{Drop: seq == 2}
	})
	for _, m := range []bool{true, false} {
		if err := srv.SetMuted("call-1", alice, m); err != nil {
			t.Fatal(err)
		}
	}
	waitDeliveries(t, srv)
	ds := srv.Deliveries()
	if len(ds) != 2 || ds[0].Err == "" || strings.Contains(ds[0].Err, "c2VjcmV0") || strings.Contains(ds[0].Err, "127.0.0.1:1/cb") {
		t.Errorf("deliveries %+v", ds)
	}
	out := logs.String()
	for _, secret := range []string{"tok3n-user-name", "c2VjcmV0", "fr%20ag", "fr ag"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q: %s", secret, out)
		}
	}
	if strings.Count(out, "acstest: callback") != 2 {
		t.Errorf("the dropped delivery is not logged: %s", out)
	}
}
