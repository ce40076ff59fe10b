// Package roster keeps a live view of each call's participants (who is in
// the call, muted, on hold) from the service's verified callbacks, on one
// replica or shared by many.
//
// The service reports a call's participants only through
// Microsoft.Communication.ParticipantsUpdated callbacks, each with the whole
// list and a sequenceNumber; they may arrive out of order, twice, or not at
// all, spread over a service's replicas. A Roster applies them so that the
// state converges on the newest, whatever the order, and reports each change
// once:
//
//	r := roster.New(nil, nil) // in memory; roster/redisstore shares one state between replicas
//	changes, err := r.Changes(ctx)
//	go func() {
//		for ch, err := range changes {
//			if err != nil { ... } // missed changes: read the calls again
//			log.Printf("%s %s %s", ch.CallConnectionID, ch.Participant.Identifier.RawID(), ch.Kind)
//		}
//	}()
//	// In the callback handler, behind callback.Verifier:
//	for _, e := range events {
//		err := r.Apply(ctx, e)
//		switch {
//		case errors.Is(err, roster.ErrMalformedEvent): // log it: posting it again cannot help
//		case err != nil: // the store failed: answer 5xx, so that the service posts again
//		}
//	}
//	call, err := r.Call(ctx, callConnectionID) // Participants, SequenceNumber, Source, ...
//
// The rules, for each call connection ID:
//
//   - Within one call connection, sequence numbers decide: an event whose
//     number is at or below the applied one changes nothing (duplicates and
//     late arrivals are no-ops), and one with a larger number replaces the
//     state (each event carries every participant), even when numbers were
//     skipped; Call.Gap then says an event was lost or is still on its way.
//     Times never overrule numbers there.
//   - Resync reads the call with client.Client.ListParticipants and applies
//     the listing, unless an event was applied while the listing ran: the
//     listing never overwrites state from an event that arrived after it
//     began (Resync then returns ErrSuperseded and the event's state stands).
//     A listing has no sequence number: it keeps the applied one. An event
//     stamped before the listing began (by more than Options.ClockSkew) does
//     not replace it; one that cannot be shown to be newer (no time, or
//     within ClockSkew of the listing) replaces it with Call.Gap set. Resync
//     on demand when Call.Gap is set or the call is stale (Call.UpdatedAt
//     long ago).
//   - A new call connection with the same ID starts afresh, its sequence
//     numbers from the start: an event of another server call (serverCallId)
//     that comes after CallDisconnected, or is stamped later than the
//     applied state by more than ClockSkew. When events carry no server
//     call ID, an event numbered at or below the applied one but stamped
//     later by more than ClockSkew (a numbering that restarted) does too.
//     Late events of the earlier connection (its server call ID, or stamped
//     before the new one began) change nothing. Events without both a server
//     call ID and a time cannot be told apart across connections: their
//     numbers decide.
//   - CallDisconnected ends the call: every participant leaves, later
//     events of the same server call change nothing, and the ended call is
//     remembered for Options.EndedTTL, so that late events are recognised,
//     then forgotten. A call with no event or listing for Options.IdleTTL is
//     forgotten too: memory is bounded by the calls tracked.
//   - Other event types are ignored; an event whose data is not the
//     documented form is refused with ErrMalformedEvent and changes nothing.
//
// Changes are reported as they are applied (Changes): joined, left, muted,
// unmuted, held, unheld, per participant, each once, whichever replica
// applied the event, since only the replica whose update of the store wins
// publishes them.
package roster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"slices"
	"time"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client"
)

// Defaults of Options.
const (
	// DefaultIdleTTL is how long a call with no event or listing is kept.
	DefaultIdleTTL = 24 * time.Hour
	// DefaultEndedTTL is how long an ended call is kept, so that late
	// events about it are recognised.
	DefaultEndedTTL = 10 * time.Minute
	// DefaultClockSkew is how far apart clocks may be when Options.ClockSkew
	// is zero.
	DefaultClockSkew = 10 * time.Second
)

// maxSwapAttempts bounds how often an update reads again after another
// writer won; each loss means another update of the same call was applied.
const maxSwapAttempts = 64

// maxPastCalls bounds the server call IDs remembered per call connection ID.
const maxPastCalls = 8

// ErrUnknownCall is matched by Call's error for a call connection the
// roster has never seen, or has forgotten.
var ErrUnknownCall = errors.New("roster: unknown call")

// ErrSuperseded is matched by Resync's error when an event was applied to
// the call while the listing ran: the listing is not applied, and the
// event's state stands.
var ErrSuperseded = errors.New("roster: an event was applied while the listing ran; the listing was not applied")

// ErrContention is matched by Apply's error when other updates of the same
// call kept winning over this one, so often that it gave up.
var ErrContention = errors.New("roster: too many concurrent updates of the call")

// ErrMalformedEvent is matched by Apply's error for an event whose data is
// not the documented form: applying it again cannot succeed, so a callback
// handler should not ask the service to post it again (answer 2xx, and log
// it), unlike a store's failure.
var ErrMalformedEvent = errors.New("roster: the event is not the documented form")

// Options configures a Roster. The zero value is ready to use.
type Options struct {
	// IdleTTL is how long a call is kept after its last event or listing.
	// Zero or negative means DefaultIdleTTL.
	IdleTTL time.Duration
	// EndedTTL is how long a call is kept after CallDisconnected. Zero or
	// negative means DefaultEndedTTL.
	EndedTTL time.Duration
	// ClockSkew is how far the times the service stamps on events may be
	// from each other, and from this roster's clock, for the rules that
	// compare them. Zero or negative means DefaultClockSkew.
	ClockSkew time.Duration
	// Now is the roster's clock, for Call.UpdatedAt, Change.At and when a
	// listing began. Nil means time.Now. Expiry counts on the store's own
	// clock.
	Now func() time.Time
}

// Source says where a call's state came from.
type Source string

// The sources of a call's state.
const (
	SourceEvent   Source = "event"
	SourceListing Source = "listing"
)

// Call is a call's state as the roster last applied it.
type Call struct {
	// CallConnectionID is the call connection.
	CallConnectionID string
	// ServerCallID is the server's identifier of the call, when an event
	// gave it.
	ServerCallID string
	// SequenceNumber is the sequence number of the last event applied; 0
	// when only a listing was.
	SequenceNumber int
	// Participants is every participant, in the order the source listed
	// them; empty once the call ended.
	Participants []client.CallParticipant
	// Source is where the state came from: the last event applied, or a
	// listing.
	Source Source
	// UpdatedAt is when the state was applied, by the applying roster's
	// clock.
	UpdatedAt time.Time
	// EventTime is the time the service gave the last event applied (zero
	// when it gave none).
	EventTime time.Time
	// Gap reports that the last event applied skipped sequence numbers: an
	// event was lost or is still on its way. Resync to be sure.
	Gap bool
	// Ended reports that the call disconnected.
	Ended bool
}

// Roster applies a service's callbacks to the calls' states in a Store. It
// is safe for concurrent use; Rosters on one Store (one per replica) share
// one state.
type Roster struct {
	store            Store
	idle, ends, skew time.Duration
	now              func() time.Time
	// badStore names a store that cannot serve (a nil pointer of a
	// store type): every method then returns an error saying so.
	badStore string
}

// New returns a Roster keeping its state in store; nil means a new
// NewMemoryStore(). opts may be nil. A store that is a nil pointer makes
// every method of the Roster return an error.
func New(store Store, opts *Options) *Roster {
	if store == nil {
		store = NewMemoryStore()
	}
	if opts == nil {
		opts = &Options{}
	}
	r := &Roster{store: store, idle: opts.IdleTTL, ends: opts.EndedTTL, skew: opts.ClockSkew, now: opts.Now}
	if v := reflect.ValueOf(store); v.Kind() == reflect.Pointer && v.IsNil() {
		r.badStore = fmt.Sprintf("%T", store)
	}
	if r.idle <= 0 {
		r.idle = DefaultIdleTTL
	}
	if r.ends <= 0 {
		r.ends = DefaultEndedTTL
	}
	if r.skew <= 0 {
		r.skew = DefaultClockSkew
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

// snapshot is a call's state as the roster stores it.
type snapshot struct {
	ServerCallID string    `json:"gen,omitempty"`
	Past         []string  `json:"past,omitempty"` // server call IDs of earlier call connections with this ID
	Floor        time.Time `json:"floor,omitzero"` // events before it belong to an earlier call connection
	Seq          int       `json:"seq"`
	Source       Source    `json:"src"`
	EventTime    time.Time `json:"et,omitzero"`
	UpdatedAt    time.Time `json:"at"`
	Gap          bool      `json:"gap,omitempty"`
	Ended        bool      `json:"ended,omitempty"`
	ListedAt     time.Time `json:"listed,omitzero"` // when the listing of a SourceListing state began, by the roster's clock
	Members      []member  `json:"m"`
}

// member is one participant's state in a snapshot.
type member struct {
	RawID  string `json:"id"`
	Muted  bool   `json:"mu,omitempty"`
	OnHold bool   `json:"h,omitempty"`
}

// incoming is what an event brings.
type incoming struct {
	callID string
	gen    string // serverCallId
	seq    int
	time   time.Time
	ended  bool // CallDisconnected
	parts  []member
}

// Apply applies a verified event: ParticipantsUpdated and CallDisconnected
// change the call's state as the package documentation's rules say; other
// types are ignored (nil). An event whose data is not the documented form
// is an error matching ErrMalformedEvent, and changes nothing. When the
// store fails, the error is the store's: the event may or may not have been
// applied (a reply lost after the store carried out the update), and
// applying it again is safe either way (a callback handler answers 5xx, and
// the service posts it again).
func (r *Roster) Apply(ctx context.Context, e callback.Event) error {
	if err := r.check(ctx); err != nil {
		return err
	}
	var in incoming
	switch e.Type {
	case callback.TypeParticipantsUpdated:
		pu, err := e.ParticipantsUpdated()
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformedEvent, err)
		}
		in = incoming{callID: pu.CallConnectionID, gen: pu.ServerCallID, seq: pu.SequenceNumber, time: e.Time, parts: members(pu.Participants)}
	case callback.TypeCallDisconnected:
		cd, err := e.CallDisconnected()
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformedEvent, err)
		}
		in = incoming{callID: cd.CallConnectionID, gen: cd.ServerCallID, time: e.Time, ended: true}
	default:
		return nil
	}
	for range maxSwapAttempts {
		rec, prev, err := r.load(ctx, in.callID)
		if err != nil {
			return err
		}
		now := r.now()
		next, changes, ok := decide(prev, in, now, r.skew)
		if !ok {
			return nil
		}
		won, err := r.swap(ctx, in.callID, rec.Version, next, changes, now)
		if err != nil || won {
			return err
		}
	}
	return fmt.Errorf("%w %q: gave up after %d attempts", ErrContention, truncate(in.callID), maxSwapAttempts)
}

// Resync reads the call's participants with c (ListParticipants, with c's
// API version and retries) and applies the listing, unless an event was
// applied to the call while the listing ran: then it returns an error
// matching ErrSuperseded and the event's state stands. A listing of a call
// that ended starts a new call connection's state. The changes the listing
// reveals are reported like an event's, with SequenceNumber 0 and
// SourceListing. A failed listing (an unknown call is a 404
// *client.ResponseError) changes nothing.
func (r *Roster) Resync(ctx context.Context, c *client.Client, callConnectionID string) error {
	if err := r.check(ctx); err != nil {
		return err
	}
	if c == nil {
		return errors.New("roster: Resync needs a client")
	}
	if callConnectionID == "" {
		return errors.New("roster: the call connection ID is empty")
	}
	rec, prev, err := r.load(ctx, callConnectionID)
	if err != nil {
		return err
	}
	began := r.now()
	var listed []client.CallParticipant
	for p, err := range c.ListParticipants(ctx, callConnectionID, nil) {
		if err != nil {
			return fmt.Errorf("roster: resync of call %q: %w", truncate(callConnectionID), err)
		}
		listed = append(listed, p)
	}
	now := r.now()
	parts := members(listed)
	next := &snapshot{Source: SourceListing, UpdatedAt: now, ListedAt: began, Members: parts}
	var old []member
	if prev != nil {
		old = prev.Members
		next.ServerCallID, next.Past, next.Floor, next.Seq, next.EventTime = prev.ServerCallID, prev.Past, prev.Floor, prev.Seq, prev.EventTime
		if prev.Ended {
			// The call connection ID lives again: a new call connection,
			// whose events are numbered afresh.
			next.Past, next.Floor = pastWith(prev.Past, prev.ServerCallID), prev.EventTime
			next.ServerCallID, next.Seq = "", 0
		}
	}
	changes := diff(callConnectionID, old, parts, 0, SourceListing, now)
	won, err := r.swap(ctx, callConnectionID, rec.Version, next, changes, now)
	switch {
	case err != nil:
		return err
	case !won:
		return fmt.Errorf("%w (call %q)", ErrSuperseded, truncate(callConnectionID))
	}
	return nil
}

// Call returns the call's state as last applied, or an error matching
// ErrUnknownCall for a call the roster has never seen or has forgotten.
func (r *Roster) Call(ctx context.Context, callConnectionID string) (Call, error) {
	if err := r.check(ctx); err != nil {
		return Call{}, err
	}
	_, s, err := r.load(ctx, callConnectionID)
	if err != nil {
		return Call{}, err
	}
	if s == nil {
		return Call{}, fmt.Errorf("%w %q", ErrUnknownCall, truncate(callConnectionID))
	}
	out := Call{CallConnectionID: callConnectionID, ServerCallID: s.ServerCallID, SequenceNumber: s.Seq, Source: s.Source,
		UpdatedAt: s.UpdatedAt, EventTime: s.EventTime, Gap: s.Gap, Ended: s.Ended, Participants: make([]client.CallParticipant, 0, len(s.Members))}
	for _, m := range s.Members {
		p, err := m.participant()
		if err != nil {
			return Call{}, fmt.Errorf("roster: the stored state of call %q: %w", truncate(callConnectionID), err)
		}
		out.Participants = append(out.Participants, p)
	}
	return out, nil
}

// check refuses a Roster not made by New, or on a nil store, and a nil
// context.
func (r *Roster) check(ctx context.Context) error {
	switch {
	case r == nil || r.store == nil:
		return errors.New("roster: the Roster was not made by New")
	case r.badStore != "":
		return fmt.Errorf("roster: the Roster's store is a nil %s", r.badStore)
	case ctx == nil:
		return errors.New("roster: the context is nil")
	}
	return nil
}

// load reads a call's record and decodes it; s is nil when there is none.
func (r *Roster) load(ctx context.Context, callID string) (Record, *snapshot, error) {
	rec, err := r.store.Load(ctx, callID)
	if err != nil {
		return Record{}, nil, fmt.Errorf("roster: reading call %q: %w", truncate(callID), err)
	}
	if rec.Version == 0 {
		return rec, nil, nil
	}
	var s snapshot
	if err := json.Unmarshal(rec.Data, &s); err != nil {
		return Record{}, nil, fmt.Errorf("roster: the stored state of call %q cannot be read", truncate(callID))
	}
	return rec, &s, nil
}

// swap stores next in place of version prev, with its changes.
func (r *Roster) swap(ctx context.Context, callID string, prev int64, next *snapshot, changes []wireChange, now time.Time) (bool, error) {
	data, err := json.Marshal(next)
	if err != nil { // cannot happen: plain values
		return false, fmt.Errorf("roster: encoding the state: %w", err)
	}
	encoded := make([][]byte, len(changes))
	for i, c := range changes {
		if encoded[i], err = json.Marshal(c); err != nil {
			return false, fmt.Errorf("roster: encoding a change: %w", err)
		}
	}
	ttl := r.idle
	if next.Ended {
		ttl = r.ends
	}
	won, err := r.store.Swap(ctx, callID, prev, data, ttl, encoded)
	if err != nil {
		return false, fmt.Errorf("roster: updating call %q: %w", truncate(callID), err)
	}
	return won, nil
}

// laterBy reports whether a is known to be after b by more than margin.
func laterBy(a, b time.Time, margin time.Duration) bool {
	return !a.IsZero() && !b.IsZero() && a.After(b.Add(margin))
}

// decide applies the package's rules: the state that follows prev (nil:
// none) when in arrives at now, the changes it makes, and whether it
// changes anything at all. skew is the margin of the rules that compare
// times.
func decide(prev *snapshot, in incoming, now time.Time, skew time.Duration) (*snapshot, []wireChange, bool) {
	ignore := func() (*snapshot, []wireChange, bool) { return nil, nil, false }
	if prev == nil {
		return fresh(nil, in, now)
	}
	if in.gen != "" && slices.Contains(prev.Past, in.gen) {
		return ignore() // a late event of an earlier call connection
	}
	if in.gen != "" && prev.ServerCallID != "" {
		if in.gen != prev.ServerCallID {
			// Another server call: a new call connection with this ID if it
			// is newer, or comes after the end (and is not known to be
			// older than it).
			older := !in.time.IsZero() && !prev.EventTime.IsZero() && in.time.Before(prev.EventTime)
			if laterBy(in.time, prev.EventTime, skew) || (prev.Ended && !older) {
				return fresh(prev, in, now)
			}
			return ignore() // not newer: it cannot be placed
		}
		// The same server call: its sequence numbers decide, never times.
		switch {
		case prev.Ended:
			return ignore() // after its end
		case in.ended:
			return end(prev, in, now)
		case in.seq <= prev.Seq:
			return ignore() // a duplicate, or a late arrival
		}
		return advance(prev, in, now, skew)
	}
	// One of the two lacks its server call ID: numbers decide within a
	// connection, times (beyond skew) tell connections apart.
	if !prev.Floor.IsZero() && !in.time.IsZero() && !in.time.After(prev.Floor) {
		return ignore() // from before this call connection began
	}
	switch {
	case prev.Ended:
		if !in.ended && laterBy(in.time, prev.EventTime, skew) {
			return fresh(prev, in, now)
		}
		return ignore()
	case in.ended:
		return end(prev, in, now)
	case in.seq <= prev.Seq:
		if laterBy(in.time, prev.EventTime, skew) {
			// Numbered at or below what was applied, yet later: the
			// numbering restarted, for a new call connection with this ID.
			return fresh(prev, in, now)
		}
		return ignore()
	}
	return advance(prev, in, now, skew)
}

// advance applies an event numbered above the applied state of its call
// connection.
func advance(prev *snapshot, in incoming, now time.Time, skew time.Duration) (*snapshot, []wireChange, bool) {
	next := *prev
	next.ServerCallID = cmpOr(prev.ServerCallID, in.gen)
	next.Gap = prev.Source == SourceEvent && prev.Seq > 0 && in.seq > prev.Seq+1
	if prev.Source == SourceListing && !prev.ListedAt.IsZero() {
		switch {
		case !in.time.IsZero() && in.time.Before(prev.ListedAt.Add(-skew)):
			// Stamped before the listing began: the listing is newer.
			return nil, nil, false
		case in.time.IsZero() || in.time.Before(prev.ListedAt.Add(skew)):
			// Maybe older than the listing: applied, in doubt.
			next.Gap = true
		}
	}
	next.Seq, next.Members, next.Source, next.UpdatedAt, next.ListedAt = in.seq, in.parts, SourceEvent, now, time.Time{}
	if !in.time.IsZero() {
		next.EventTime = in.time
	}
	return &next, diff(in.callID, prev.Members, in.parts, in.seq, SourceEvent, now), true
}

// end ends the call connection of prev.
func end(prev *snapshot, in incoming, now time.Time) (*snapshot, []wireChange, bool) {
	next := *prev
	next.ServerCallID = cmpOr(prev.ServerCallID, in.gen)
	next.Ended, next.Members, next.Source, next.UpdatedAt, next.Gap, next.ListedAt = true, nil, SourceEvent, now, false, time.Time{}
	if !in.time.IsZero() {
		next.EventTime = in.time
	}
	return &next, diff(in.callID, prev.Members, nil, prev.Seq, SourceEvent, now), true
}

// fresh starts a call connection's state from in, after prev (nil: none),
// whose server call ID joins the past ones.
func fresh(prev *snapshot, in incoming, now time.Time) (*snapshot, []wireChange, bool) {
	next := &snapshot{ServerCallID: in.gen, EventTime: in.time, UpdatedAt: now, Source: SourceEvent}
	var old []member
	if prev != nil {
		old = prev.Members
		next.Past, next.Floor = pastWith(prev.Past, prev.ServerCallID), prev.EventTime
	}
	if in.ended {
		// The end of a call never seen: a tombstone that recognises its
		// late events.
		next.Ended = true
		return next, diff(in.callID, old, nil, 0, SourceEvent, now), true
	}
	next.Seq, next.Members = in.seq, in.parts
	return next, diff(in.callID, old, in.parts, in.seq, SourceEvent, now), true
}

// pastWith returns past with id added (unless empty or there already),
// keeping the most recent maxPastCalls.
func pastWith(past []string, id string) []string {
	out := slices.Clone(past)
	if id != "" && !slices.Contains(out, id) {
		out = append(out, id)
	}
	if len(out) > maxPastCalls {
		out = out[len(out)-maxPastCalls:]
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// members turns participants into a snapshot's members, each raw ID once.
func members(ps []client.CallParticipant) []member {
	out := make([]member, 0, len(ps))
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		id := p.Identifier.RawID()
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, member{RawID: id, Muted: p.IsMuted, OnHold: p.IsOnHold})
	}
	return out
}

func (m member) participant() (client.CallParticipant, error) {
	id, err := client.ParseRawID(m.RawID)
	if err != nil {
		return client.CallParticipant{}, err
	}
	return client.CallParticipant{Identifier: id, IsMuted: m.Muted, IsOnHold: m.OnHold}, nil
}

// Changes subscribes to the changes every Roster on this roster's store
// applies from now on, and returns once subscribed. The iterator yields each
// change once, in the order they were applied (per call, the order of its
// states), until ctx ends; when the store fails, or this subscriber fell so
// far behind that changes were let go (ErrLagged), it yields one error and
// stops: subscribe again and read the calls you care about (Call), since
// changes may have been missed. Iterate it once.
func (r *Roster) Changes(ctx context.Context) (iter.Seq2[Change, error], error) {
	if err := r.check(ctx); err != nil {
		return nil, err
	}
	seq, err := r.store.Subscribe(ctx)
	if err != nil {
		return nil, fmt.Errorf("roster: subscribing to changes: %w", err)
	}
	return func(yield func(Change, error) bool) {
		for b, err := range seq {
			if err != nil {
				yield(Change{}, fmt.Errorf("roster: changes: %w", err))
				return
			}
			c, err := decodeChange(b)
			if err != nil {
				yield(Change{}, err)
				return
			}
			if !yield(c, nil) {
				return
			}
		}
	}, nil
}

func truncate(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:64] + "..."
}
