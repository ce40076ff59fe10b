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
	// that has not started yet, and how long a handed-out event's ID is
	// remembered to recognise its redeliveries. Zero means
	// DefaultWaiterTTL.
	TTL time.Duration
	// MaxEvents bounds how many events are kept: past it, the one that
	// arrived first is let go. Zero means DefaultWaiterMaxEvents.
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
// its data, and the source "calling/callConnections/<that call>" (the fixed
// words in any case, with or without a leading slash, as Event.Source
// says; a source that names no call connection is not believed). Deliver
// ignores every other event but CallDisconnected, which ends the Waits for
// the call's requests: no outcome of theirs will follow.
//
// Each event is handed out once: to every Wait waiting for it when it
// arrives, or else to the first Wait for it that comes; a redelivery of it
// (the same event ID) is recognised and ignored. So an operation context
// may be used again for a later request once the earlier one's outcome was
// taken, though one context per request is clearest: the Waiter cannot tell
// whose outcome an event is when two requests in flight share one.
//
// Feed it only events that a Verifier accepted: it believes what it is
// given. Memory is bounded: an event is kept for WaiterOptions.TTL after it
// arrived, at most WaiterOptions.MaxEvents of them (each as large as the
// callback bodies your handler accepts), and a Wait that ends leaves nothing
// behind.
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

	mu sync.Mutex
	// entries are the requests with an event not taken yet, or with Waits
	// waiting for one.
	entries map[waitKey]*waitEntry
	// handed are the IDs of the events handed out, to recognise their
	// redeliveries.
	handed map[string]bool
	// ended are the CallDisconnected events of ended calls, by call.
	ended map[string]Event
	// queue lists what is kept (events not taken, handed IDs, ended calls)
	// in the order it came, for expiry after TTL and eviction past
	// MaxEvents; an item whose thing is gone already is skipped.
	queue []kept
}

type waitKey struct{ callConnectionID, operationContext string }

// waitEntry is one request: its event once it arrived, and the goroutines
// waiting for it.
type waitEntry struct {
	event   Event
	has     bool          // event arrived (or the call disconnected)
	ready   chan struct{} // closed when it arrives
	waiting int           // Waits in progress
}

// kept is one item of the expiry queue: an event not taken (entry), the ID
// of an event handed out (id), or an ended call (call).
type kept struct {
	at    time.Time
	key   waitKey
	entry *waitEntry
	id    string
	call  string
	ended Event
}

// NewWaiter returns a Waiter. opts may be nil.
func NewWaiter(opts *WaiterOptions) (*Waiter, error) {
	if opts == nil {
		opts = &WaiterOptions{}
	}
	w := &Waiter{ttl: opts.TTL, max: opts.MaxEvents, now: opts.Now,
		entries: map[waitKey]*waitEntry{}, handed: map[string]bool{}, ended: map[string]Event{}}
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
	return ok && (strings.HasSuffix(name, "Succeeded") || strings.HasSuffix(name, "Failed")) && name != "Succeeded" && name != "Failed"
}

// Deliver hands the waiter the events of a verified callback: each outcome
// event wakes the Waits for its call connection and operation context, or
// is kept for the first to come; CallDisconnected ends the Waits for the
// call's requests. Other events, and outcome events without a
// callConnectionId or an operationContext or from another source than
// their call's, are ignored. So is an event for a request whose earlier
// event has not been taken yet (the first stays), and a redelivery of an
// event already handed out.
func (w *Waiter) Deliver(events ...Event) {
	if w == nil || w.entries == nil {
		return
	}
	for _, e := range events {
		disconnected := e.Type == TypeCallDisconnected
		if !disconnected && !isOutcome(e.Type) {
			continue
		}
		var data struct {
			CallConnectionID string `json:"callConnectionId"`
			OperationContext string `json:"operationContext"`
		}
		if json.Unmarshal(e.Data, &data) != nil || data.CallConnectionID == "" {
			continue
		}
		if id, ok, err := sourceCallConnection(e.Source); err != nil || !ok || id != data.CallConnectionID {
			continue // about another call than its source says, or none: not believed
		}
		switch {
		case disconnected:
			w.disconnect(data.CallConnectionID, e)
		case data.OperationContext != "":
			w.deliver(waitKey{data.CallConnectionID, data.OperationContext}, e)
		}
	}
}

func (w *Waiter) deliver(k waitKey, e Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	w.expireLocked(now)
	if w.handed[e.ID] {
		return // a redelivery of an event handed out
	}
	en := w.entries[k]
	switch {
	case en == nil:
		en = &waitEntry{ready: make(chan struct{})}
		w.entries[k] = en
	case en.has:
		return // the first stays until it is taken (this may be its redelivery)
	}
	en.event, en.has = e, true
	close(en.ready)
	if en.waiting > 0 {
		// Handed to the Waits waiting now.
		delete(w.entries, k)
		w.handOutLocked(e.ID, now)
	} else {
		w.keepLocked(kept{at: now, key: k, entry: en})
	}
}

// disconnect records that a call ended, and hands its CallDisconnected to
// the Waits for its requests that have no outcome yet.
func (w *Waiter) disconnect(callID string, e Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	w.expireLocked(now)
	if prev, ok := w.ended[callID]; ok && prev.ID == e.ID {
		return
	}
	w.ended[callID] = e
	w.keepLocked(kept{at: now, call: callID, ended: e})
	for k, en := range w.entries {
		// An entry without its event is one a Wait is waiting on (a Wait
		// that ends leaves none behind).
		if k.callConnectionID == callID && !en.has {
			en.event, en.has = e, true
			close(en.ready)
			delete(w.entries, k)
		}
	}
}

// handOutLocked remembers that the event id was handed out. w.mu must be
// held.
func (w *Waiter) handOutLocked(id string, now time.Time) {
	if id == "" {
		return
	}
	w.handed[id] = true
	w.keepLocked(kept{at: now, id: id})
}

// keepLocked queues an item for expiry, letting go of the oldest past
// MaxEvents. w.mu must be held.
func (w *Waiter) keepLocked(k kept) {
	w.queue = append(w.queue, k)
	for len(w.queue) > w.max {
		w.dropOldestLocked()
	}
}

// Wait returns the outcome event for the request with operationContext on
// call connection callConnectionID, such as
// client.RemoveParticipantResult.OperationContext: at once when it has
// arrived already (within WaiterOptions.TTL) and not been taken, else as
// soon as Deliver gets it. When the call disconnected first, it returns the
// CallDisconnected event: the call is over, and the request's outcome will
// not follow. When ctx ends first, the error matches ctx.Err(): the
// request's outcome is still unknown, and the event may yet come. Read the
// event with the method of its type:
//
//	e, err := w.Wait(ctx, callID, res.OperationContext)
//	if err != nil { ... }
//	switch e.Type {
//	case callback.TypeRemoveParticipantSucceeded: // removed
//	case callback.TypeRemoveParticipantFailed:
//		f, err := e.RemoveParticipantFailed() // f.ResultInformation says why
//	case callback.TypeCallDisconnected: // the call ended first
//	default: // another request's outcome with the same operation context
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
	now := w.now()
	w.expireLocked(now)
	en := w.entries[k]
	switch {
	case en != nil && en.has:
		// Arrived before: taken now.
		delete(w.entries, k)
		w.handOutLocked(en.event.ID, now)
		w.mu.Unlock()
		return en.event, nil
	case en == nil:
		if e, ok := w.ended[callConnectionID]; ok {
			w.mu.Unlock()
			return e, nil
		}
		en = &waitEntry{ready: make(chan struct{})}
		w.entries[k] = en
	}
	en.waiting++
	w.mu.Unlock()

	select {
	case <-en.ready:
		// Set before ready was closed, never changed after; whoever closed
		// it took the entry out of the map, so its count of waiters no
		// longer matters.
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

// Len returns how many events the waiter keeps for Waits to come: outcome
// events not taken yet, and the CallDisconnected events of ended calls.
func (w *Waiter) Len() int {
	if w == nil || w.entries == nil {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expireLocked(w.now())
	n := len(w.ended)
	for _, en := range w.entries {
		if en.has {
			n++
		}
	}
	return n
}

// expireLocked lets go of what came more than TTL before now. w.mu must be
// held.
func (w *Waiter) expireLocked(now time.Time) {
	for len(w.queue) > 0 && now.Sub(w.queue[0].at) > w.ttl {
		w.dropOldestLocked()
	}
}

// dropOldestLocked lets go of the oldest item kept. w.mu must be held.
func (w *Waiter) dropOldestLocked() {
	k := w.queue[0]
	w.queue[0] = kept{}
	w.queue = w.queue[1:]
	if len(w.queue) == 0 {
		w.queue = nil // let the backing array go
	}
	switch {
	case k.entry != nil:
		if w.entries[k.key] == k.entry && k.entry.waiting == 0 {
			delete(w.entries, k.key)
		}
	case k.id != "":
		delete(w.handed, k.id)
	case k.call != "":
		if e, ok := w.ended[k.call]; ok && e.ID == k.ended.ID {
			delete(w.ended, k.call)
		}
	}
}
