package acstest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client/acstest"
)

// blockedReceiver answers callbacks only once released; got receives a
// value when a post arrives.
func blockedReceiver(t *testing.T) (url string, got <-chan struct{}, release func()) {
	t.Helper()
	arrived, done := make(chan struct{}, 1), make(chan struct{})
	rc := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-done
	}))
	var released bool
	release = func() {
		if !released {
			released = true
			close(done)
		}
	}
	t.Cleanup(func() { release(); rc.Close() })
	return rc.URL, arrived, release
}

// droppedSeqs returns the Seq of the deliveries dropped because too many
// events were waiting.
func droppedSeqs(srv *acstest.Server) []int {
	var seqs []int
	for _, d := range srv.Deliveries() {
		if d.Err == "dropped: too many events were waiting" {
			seqs = append(seqs, d.Seq)
		}
	}
	return seqs
}

// While a post is in flight, exactly 10,000 events wait; the next one lets
// the oldest waiting go, and says so in Deliveries.
func TestPendingEventsBoundExactly(t *testing.T) {
	url, arrived, release := blockedReceiver(t)
	srv := acstest.Start(t, &acstest.Options{CallbackURL: url, Calls: map[string][]string{"call-1": {alice}}})
	mute := func(n int) {
		for i := range n {
			if err := srv.SetMuted("call-1", alice, i%2 == 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	mute(1)
	<-arrived // event 1 is in flight: it waits no more
	mute(10_000)
	if seqs := droppedSeqs(srv); len(seqs) != 0 {
		t.Fatalf("10,000 waiting: dropped %v", seqs)
	}
	mute(1)
	if seqs := droppedSeqs(srv); len(seqs) != 1 || seqs[0] != 2 {
		t.Errorf("10,001 waiting: dropped %v, want [2]", seqs)
	}
	release()
}

// While a post is in flight, events holding exactly a million participants
// in all wait; one more lets the oldest waiting go.
func TestPendingParticipantsBoundExactly(t *testing.T) {
	url, arrived, release := blockedReceiver(t)
	srv := acstest.Start(t, &acstest.Options{CallbackURL: url})
	ids := make([]string, acstest.MaxParticipantsPerCall)
	for i := range ids {
		ids[i] = fmt.Sprint("8:acs:r_", i)
	}
	if err := srv.AddCall("big", ids...); err != nil {
		t.Fatal(err)
	}
	mute := func(n int) {
		for i := range n {
			if err := srv.SetMuted("big", ids[0], i%2 == 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	mute(1)
	<-arrived
	perEvent := acstest.MaxParticipantsPerCall
	mute(1_000_000 / perEvent)
	if seqs := droppedSeqs(srv); len(seqs) != 0 {
		t.Fatalf("a million participants waiting: dropped %v", seqs)
	}
	mute(1)
	if seqs := droppedSeqs(srv); len(seqs) != 1 || seqs[0] != 2 {
		t.Errorf("one event more: dropped %v, want [2]", seqs)
	}
	release()
}

// A DeliveryFault's Delay holds the post back by as much.
func TestDeliveryDelayDelays(t *testing.T) {
	arrived := make(chan time.Time, 1)
	rc := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { arrived <- time.Now() }))
	defer rc.Close()
	srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	srv.SetDeliveryFaultFunc(func(int, acstest.Delivery) *acstest.DeliveryFault {
		return &acstest.DeliveryFault{Delay: 300 * time.Millisecond}
	})
	start := time.Now()
	if err := srv.SetMuted("call-1", alice, true); err != nil {
		t.Fatal(err)
	}
	if d := (<-arrived).Sub(start); d < 300*time.Millisecond {
		t.Errorf("posted after %v, want at least 300ms", d)
	}
}

// A 300 answer is no delivery: the post is tried again, and Deliveries
// reports it undelivered with the status.
func TestDeliveryAnswered300IsNotDelivered(t *testing.T) {
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusMultipleChoices)
	}))
	defer rc.Close()
	srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	if err := srv.SetMuted("call-1", alice, true); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitForDeliveries(t.Context()); err != nil {
		t.Fatal(err)
	}
	ds := srv.Deliveries()
	if len(ds) != 1 || ds[0].Delivered || ds[0].Status != http.StatusMultipleChoices || ds[0].Attempts != 3 {
		t.Errorf("deliveries: %+v", ds)
	}
}
