package acstest_test

import (
	"context"
	"slices"
	"strings"
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
