package callback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Defaults of WaiterOptions.
const (
	// DefaultWaiterTTL is how long a Waiter keeps an outcome event when
	// WaiterOptions.TTL is zero.
	DefaultWaiterTTL = 10 * time.Minute
	// DefaultWaiterMaxEvents is how many outcome events a Waiter keeps at
	// most when WaiterOptions.MaxEvents is zero.
	DefaultWaiterMaxEvents = 10_000
)

// ErrInvalidWait is matched (with errors.Is) by Wait's error for a request
// that cannot be waited for: an empty call connection ID or operation
// context, a nil context, or a Waiter not made by NewWaiter.
var ErrInvalidWait = errors.New("callback: invalid wait")

// WaiterOptions configures a Waiter. The zero value is ready to use.
type WaiterOptions struct {
	// TTL is how long an outcome event is kept after it arrived, for a Wait
	// that has not started yet (or that comes again). Zero means
	// DefaultWaiterTTL.
	TTL time.Duration
	// MaxEvents bounds how many outcome events are kept: past it, the one
	// that arrived first is let go. Zero means DefaultWaiterMaxEvents.
	MaxEvents int
	// Now is the waiter's clock, for TTL. Nil means time.Now.
	Now func() time.Time
}

// Waiter hands the outcome events of asynchronous requests to the code
// waiting for them. A remove, for one, is answered 202 at once and reports
// its outcome later, in a RemoveParticipantSucceeded or
// RemoveParticipantFailed event carrying the request's operationContext;
// Wait returns that event, matched by call connection and operation
// context, whether it arrived before Wait was called or while it waits.
//
// An outcome event is one whose type is the service's (it starts with
// "Microsoft.Communication.") and ends in "Succeeded" or "Failed"
// (RemoveParticipantSucceeded, RemoveParticipantFailed, HoldFailed, and the
// outcomes of operations this module does not send, such as
// AddParticipantFailed), with a callConnectionId and an operationContext in
// its data. Deliver ignores every other event.
//
// Feed it only events that a Verifier accepted: it believes what it is
// given. Memory is bounded: an event is kept for WaiterOptions.TTL after it
// arrived, and at most WaiterOptions.MaxEvents of them; a Wait that ends
// leaves nothing behind.
//
// A Waiter lives in one process. A service with several replicas behind a
// load balancer gets each callback on one replica, not necessarily the one
// waiting. Either route the outcome to the waiting replica (give each
// request an operation callback URL that reaches this replica, such as
// client.RemoveParticipantOptions.OperationCallbackURL pointing at its own
// address), or share the events between replicas (each replica publishes
// what it verified, for example on a Redis channel, and every replica feeds
// what it receives to its own Waiter), or do not wait in the request at all
// and act on the event in whichever replica gets it.
type Waiter struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[waitKey]*waitEntry
	// arrived lists the entries holding an event, in the order the events
	// arrived: the oldest expires, or is evicted, first.
	arrived []*waitEntry
}

type waitKey struct{ callConnectionID, operationContext string }

// waitEntry is one call connection and operation context: its event once
// it arrived, and the goroutines waiting for it.
type waitEntry struct {
	key     waitKey
	event   Event
	has     bool          // event arrived
	ready   chan struct{} // closed when it arrives
	at      time.Time     // when it arrived
	waiting int           // Waits in progress
}

// NewWaiter returns a Waiter. opts may be nil.
func NewWaiter(opts *WaiterOptions) (*Waiter, error) {
	if opts == nil {
		opts = &WaiterOptions{}
	}
	w := &Waiter{ttl: opts.TTL, max: opts.MaxEvents, now: opts.Now, entries: map[waitKey]*waitEntry{}}
	switch {
	case w.ttl < 0:
		return nil, errors.New("callback: WaiterOptions.TTL must not be negative")
	case w.ttl == 0:
		w.ttl = DefaultWaiterTTL
	}
	switch {
	case w.max < 0:
		return nil, errors.New("callback: WaiterOptions.MaxEvents must not be negative")
	case w.max == 0:
		w.max = DefaultWaiterMaxEvents
	}
	if w.now == nil {
		w.now = time.Now
	}
	return w, nil
}

// isOutcome reports whether an event type reports how a request ended.
func isOutcome(typ string) bool {
	name, ok := strings.CutPrefix(typ, "Microsoft.Communication.")
	return ok && (strings.HasSuffix(name, "Succeeded") || strings.HasSuffix(name, "Failed"))
}

// Deliver hands the waiter the events of a verified callback: each outcome
// event wakes the Waits for its call connection and operation context, and
// is kept for those to come. Other events, and outcome events without a
// callConnectionId or an operationContext, are ignored. An event for a
// call connection and operation context that already have one (the service
// posting it twice) is ignored too: the first stays.
func (w *Waiter) Deliver(events ...Event) {
	if w == nil || w.entries == nil {
		return
	}
	for _, e := range events {
		if !isOutcome(e.Type) {
			continue
		}
		var data struct {
			CallConnectionID string `json:"callConnectionId"`
			OperationContext string `json:"operationContext"`
		}
		if json.Unmarshal(e.Data, &data) != nil || data.CallConnectionID == "" || data.OperationContext == "" {
			continue
		}
		if id, ok := strings.CutPrefix(e.Source, sourcePrefix); ok && id != data.CallConnectionID {
			continue // about another call than its source says: not believed
		}
		w.deliver(waitKey{data.CallConnectionID, data.OperationContext}, e)
	}
}

func (w *Waiter) deliver(k waitKey, e Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	w.expireLocked(now)
	en := w.entries[k]
	switch {
	case en == nil:
		en = &waitEntry{key: k, ready: make(chan struct{})}
		w.entries[k] = en
	case en.has:
		return
	}
	en.event, en.has, en.at = e, true, now
	close(en.ready)
	w.arrived = append(w.arrived, en)
	for len(w.arrived) > w.max {
		w.dropOldestLocked()
	}
}

// Wait returns the outcome event for the request with operationContext on
// call connection callConnectionID, such as
// client.RemoveParticipantResult.OperationContext: at once when it has
// arrived already (within WaiterOptions.TTL), else as soon as Deliver gets
// it. When ctx ends first, the error matches ctx.Err(): the request's
// outcome is then still unknown, and the event may yet come. Read the event
// with the method of its type:
//
//	e, err := w.Wait(ctx, callID, res.OperationContext)
//	if err != nil { ... }
//	switch e.Type {
//	case callback.TypeRemoveParticipantSucceeded: // removed
//	case callback.TypeRemoveParticipantFailed:
//		f, err := e.RemoveParticipantFailed() // f.ResultInformation says why
//	}
func (w *Waiter) Wait(ctx context.Context, callConnectionID, operationContext string) (Event, error) {
	switch {
	case w == nil || w.entries == nil:
		return Event{}, fmt.Errorf("%w: the Waiter was not made by NewWaiter", ErrInvalidWait)
	case ctx == nil:
		return Event{}, fmt.Errorf("%w: the context is nil", ErrInvalidWait)
	case callConnectionID == "":
		return Event{}, fmt.Errorf("%w: the call connection ID is empty", ErrInvalidWait)
	case operationContext == "":
		return Event{}, fmt.Errorf("%w: the operation context is empty: only a request that carried one can be waited for", ErrInvalidWait)
	}
	k := waitKey{callConnectionID, operationContext}
	w.mu.Lock()
	w.expireLocked(w.now())
	en := w.entries[k]
	if en == nil {
		en = &waitEntry{key: k, ready: make(chan struct{})}
		w.entries[k] = en
	}
	if en.has {
		e := en.event
		w.mu.Unlock()
		return e, nil
	}
	en.waiting++
	w.mu.Unlock()

	select {
	case <-en.ready:
		w.mu.Lock()
		en.waiting--
		w.mu.Unlock()
		// Set before ready was closed, never changed after.
		return en.event, nil
	case <-ctx.Done():
		w.mu.Lock()
		defer w.mu.Unlock()
		en.waiting--
		if en.has {
			// Arrived as ctx ended: the event wins.
			return en.event, nil
		}
		if en.waiting == 0 && w.entries[k] == en {
			delete(w.entries, k) // nobody waits any more: nothing left behind
		}
		return Event{}, fmt.Errorf("callback: no outcome event yet for operation context %q of call connection %q: %w",
			truncate(operationContext, 64), truncate(callConnectionID, 64), ctx.Err())
	}
}

// Len returns how many outcome events the waiter keeps, for tests and
// metrics.
func (w *Waiter) Len() int {
	if w == nil || w.entries == nil {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expireLocked(w.now())
	return len(w.arrived)
}

// expireLocked lets go of the events that arrived more than TTL before now.
// w.mu must be held.
func (w *Waiter) expireLocked(now time.Time) {
	for len(w.arrived) > 0 && now.Sub(w.arrived[0].at) > w.ttl {
		w.dropOldestLocked()
	}
}

// dropOldestLocked lets go of the event that arrived first. w.mu must be
// held.
func (w *Waiter) dropOldestLocked() {
	en := w.arrived[0]
	w.arrived[0] = nil
	w.arrived = w.arrived[1:]
	if len(w.arrived) == 0 {
		w.arrived = nil // let the backing array go
	}
	delete(w.entries, en.key)
}
