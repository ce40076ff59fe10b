package callback_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/acsmute/acsmute/callback"
)

// outcomeEvent is an outcome event of type typ for call and opContext.
func outcomeEvent(id, typ, call, opContext string) callback.Event {
	return callback.Event{ID: id, Source: "calling/callConnections/" + call, Type: typ,
		Data: []byte(fmt.Sprintf(`{"callConnectionId":%q,"operationContext":%q}`, call, opContext))}
}

func newWaiter(t *testing.T, opts *callback.WaiterOptions) *callback.Waiter {
	t.Helper()
	w, err := callback.NewWaiter(opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// The event is returned whether it arrived before Wait or while it waits,
// to every Wait for it, and only to Waits for its call and context.
func TestWaiterBeforeAndAfter(t *testing.T) {
	w := newWaiter(t, nil)
	ctx := context.Background()
	w.Deliver(outcomeEvent("e1", callback.TypeRemoveParticipantSucceeded, "call-1", "op-1"))
	e, err := w.Wait(ctx, "call-1", "op-1")
	if err != nil || e.ID != "e1" {
		t.Fatalf("event that arrived first: %+v, %v", e, err)
	}
	// Taken: a second Wait waits for the next event of that context, and
	// a redelivery of e1 is not one.
	w.Deliver(outcomeEvent("e1", callback.TypeRemoveParticipantSucceeded, "call-1", "op-1"))
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if e, err := w.Wait(short, "call-1", "op-1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Wait: %+v, %v", e, err)
	}
	// The context used again for a later request: its own event.
	w.Deliver(outcomeEvent("e1b", callback.TypeRemoveParticipantFailed, "call-1", "op-1"))
	if e, err := w.Wait(ctx, "call-1", "op-1"); err != nil || e.ID != "e1b" {
		t.Fatalf("a later request with the same context: %+v, %v", e, err)
	}

	got := make(chan callback.Event, 3)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			e, err := w.Wait(ctx, "call-1", "op-2")
			if err != nil {
				t.Error(err)
			}
			got <- e
		})
	}
	// Events of other calls, contexts and types wake nobody.
	w.Deliver(
		outcomeEvent("x1", callback.TypeRemoveParticipantFailed, "call-2", "op-2"),
		outcomeEvent("x2", callback.TypeRemoveParticipantFailed, "call-1", "op-3"),
		outcomeEvent("x3", callback.TypeParticipantsUpdated, "call-1", "op-2"),
		outcomeEvent("x4", "Microsoft.Communication.PlayCompleted", "call-1", "op-2"),
		outcomeEvent("x5", "Contoso.RemoveParticipantSucceeded", "call-1", "op-2"),
	)
	select {
	case e := <-got:
		t.Fatalf("a Wait returned %s", e.ID)
	case <-time.After(50 * time.Millisecond):
	}
	w.Deliver(outcomeEvent("e2", callback.TypeRemoveParticipantFailed, "call-1", "op-2"))
	wg.Wait()
	for range 3 {
		if e := <-got; e.ID != "e2" {
			t.Errorf("Wait returned %s", e.ID)
		}
	}
	// Any service outcome type counts: AddParticipantFailed too.
	w.Deliver(outcomeEvent("e3", "Microsoft.Communication.AddParticipantFailed", "call-1", "op-4"))
	if e, err := w.Wait(ctx, "call-1", "op-4"); err != nil || e.ID != "e3" {
		t.Errorf("AddParticipantFailed: %+v, %v", e, err)
	}
}

// A second event for the same request (a redelivery, or a contradiction) is
// ignored; events that cannot be matched are ignored.
func TestWaiterIgnores(t *testing.T) {
	w := newWaiter(t, nil)
	w.Deliver(
		outcomeEvent("first", callback.TypeRemoveParticipantSucceeded, "call-1", "op"),
		outcomeEvent("second", callback.TypeRemoveParticipantFailed, "call-1", "op"),
		outcomeEvent("no context", callback.TypeRemoveParticipantSucceeded, "call-1", ""),
		outcomeEvent("no call", callback.TypeRemoveParticipantSucceeded, "", "op-x"),
		callback.Event{ID: "not JSON", Type: callback.TypeRemoveParticipantSucceeded, Data: []byte(`nope`)},
		callback.Event{ID: "about another call than its source", Type: callback.TypeRemoveParticipantSucceeded,
			Source: "calling/callConnections/call-9", Data: []byte(`{"callConnectionId":"call-1","operationContext":"op-y"}`)},
	)
	if n := w.Len(); n != 1 {
		t.Errorf("Len = %d, want 1", n)
	}
	e, err := w.Wait(context.Background(), "call-1", "op")
	if err != nil || e.ID != "first" {
		t.Errorf("Wait = %+v, %v", e, err)
	}
	if n := w.Len(); n != 0 {
		t.Errorf("Len = %d after the event was taken", n)
	}
	// No source, or another one, is not believed either.
	w.Deliver(callback.Event{ID: "no source", Type: callback.TypeRemoveParticipantSucceeded, Data: []byte(`{"callConnectionId":"call-1","operationContext":"op-z"}`)})
	if n := w.Len(); n != 0 {
		t.Errorf("an event without a source was kept")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := w.Wait(ctx, "call-1", "op-y"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("an event whose data names another call than its source was believed: %v", err)
	}
}

// A Wait ends with its context, its error matching ctx.Err(), and the
// event can still come for a later Wait.
func TestWaiterContextEnds(t *testing.T) {
	w := newWaiter(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := w.Wait(ctx, "call-1", "op")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v", err)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if _, err := w.Wait(cctx, "call-1", "op"); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	w.Deliver(outcomeEvent("late", callback.TypeRemoveParticipantSucceeded, "call-1", "op"))
	if e, err := w.Wait(context.Background(), "call-1", "op"); err != nil || e.ID != "late" {
		t.Errorf("after the timed-out wait: %+v, %v", e, err)
	}
}

// Memory is bounded: events expire after TTL and the oldest go past
// MaxEvents.
func TestWaiterBounds(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	w := newWaiter(t, &callback.WaiterOptions{TTL: time.Minute, MaxEvents: 3, Now: clock})
	for i := range 5 {
		w.Deliver(outcomeEvent(fmt.Sprint(i), callback.TypeRemoveParticipantSucceeded, "call-1", fmt.Sprint("op-", i)))
		advance(10 * time.Second)
	}
	if n := w.Len(); n != 3 {
		t.Fatalf("Len = %d after 5 events with MaxEvents 3", n)
	}
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	if _, err := w.Wait(short(), "call-1", "op-0"); err == nil {
		t.Error("the oldest event outlived MaxEvents")
	}
	if e, err := w.Wait(short(), "call-1", "op-2"); err != nil || e.ID != "2" {
		t.Errorf("op-2: %+v, %v", e, err)
	}
	if n := w.Len(); n != 2 {
		t.Errorf("Len = %d after op-2 was taken", n)
	}
	// op-3 arrived 30s after the start, the clock is at 50s: it expires
	// past 90s, op-4 (40s) past 100s.
	advance(41 * time.Second)
	if n := w.Len(); n != 1 {
		t.Errorf("Len = %d after op-3 expired", n)
	}
	if _, err := w.Wait(short(), "call-1", "op-3"); err == nil {
		t.Error("an expired event was returned")
	}
	if e, err := w.Wait(short(), "call-1", "op-4"); err != nil || e.ID != "4" {
		t.Errorf("op-4, still within its TTL: %+v, %v", e, err)
	}
	advance(10 * time.Second)
	if n := w.Len(); n != 0 {
		t.Errorf("Len = %d after every event expired", n)
	}
}

func TestWaiterInvalid(t *testing.T) {
	w := newWaiter(t, nil)
	var zero callback.Waiter
	var nilWaiter *callback.Waiter
	ctx := context.Background()
	for name, err := range map[string]error{
		"empty call":     second(w.Wait(ctx, "", "op")),
		"empty context":  second(w.Wait(ctx, "call", "")),
		"nil context":    second(w.Wait(nil, "call", "op")), //nolint:staticcheck // the point of the test
		"zero Waiter":    second(zero.Wait(ctx, "call", "op")),
		"nil Waiter":     second(nilWaiter.Wait(ctx, "call", "op")),
		"negative TTL":   second(callback.NewWaiter(&callback.WaiterOptions{TTL: -1})),
		"negative bound": second(callback.NewWaiter(&callback.WaiterOptions{MaxEvents: -1})),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		if name != "negative TTL" && name != "negative bound" && !errors.Is(err, callback.ErrInvalidWait) {
			t.Errorf("%s: %v does not match ErrInvalidWait", name, err)
		}
	}
	// The zero and nil Waiters ignore deliveries instead of panicking.
	zero.Deliver(outcomeEvent("e", callback.TypeRemoveParticipantSucceeded, "c", "o"))
	nilWaiter.Deliver(outcomeEvent("e", callback.TypeRemoveParticipantSucceeded, "c", "o"))
	if zero.Len() != 0 || nilWaiter.Len() != 0 {
		t.Error("a Waiter not made by NewWaiter kept an event")
	}
}

func second[T any](_ T, err error) error { return err }

// Many goroutines delivering and waiting at once, under the race detector:
// every Wait gets its own event.
func TestWaiterConcurrent(t *testing.T) {
	w := newWaiter(t, nil)
	const n = 200
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range n {
		op := fmt.Sprint("op-", i)
		wg.Go(func() {
			e, err := w.Wait(ctx, "call-1", op)
			if err != nil || e.ID != op {
				t.Errorf("%s: %+v, %v", op, e, err)
			}
		})
		wg.Go(func() {
			e := outcomeEvent(op, callback.TypeRemoveParticipantSucceeded, "call-1", op)
			w.Deliver(e, e) // twice, as a redelivery would
		})
	}
	wg.Wait()
	if w.Len() != 0 {
		t.Errorf("Len = %d after every event was taken", w.Len())
	}
}

// CallDisconnected ends the Waits for the call's requests, those waiting
// and those to come, and no others.
func TestWaiterCallDisconnected(t *testing.T) {
	w := newWaiter(t, nil)
	ctx := context.Background()
	got := make(chan callback.Event, 1)
	go func() {
		e, err := w.Wait(ctx, "call-1", "op-1")
		if err != nil {
			t.Error(err)
		}
		got <- e
	}()
	time.Sleep(20 * time.Millisecond)
	w.Deliver(callback.Event{ID: "bye", Source: "calling/callConnections/call-1", Type: callback.TypeCallDisconnected, Data: []byte(`{"callConnectionId":"call-1"}`)})
	if e := <-got; e.ID != "bye" {
		t.Errorf("waiting Wait got %+v", e)
	}
	if e, err := w.Wait(ctx, "call-1", "op-2"); err != nil || e.Type != callback.TypeCallDisconnected {
		t.Errorf("Wait after the end: %+v, %v", e, err)
	}
	// An outcome that arrived before the end is still handed out.
	w.Deliver(outcomeEvent("late", callback.TypeRemoveParticipantSucceeded, "call-1", "op-3"))
	if e, err := w.Wait(ctx, "call-1", "op-3"); err != nil || e.ID != "late" {
		t.Errorf("Wait for an outcome kept: %+v, %v", e, err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := w.Wait(short, "call-2", "op-1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("another call's Wait: %v", err)
	}
}
