package roster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
	"github.com/acsmute/acsmute/roster"
	"github.com/acsmute/acsmute/roster/storetest"
)

// p is a participant's state in a test event: raw ID, then "m" for muted
// and "h" for on hold, such as "8:acs:r_alice/mh".
type p string

func (s p) parts() (rawID string, muted, onHold bool) {
	id, flags, _ := strings.Cut(string(s), "/")
	return id, strings.Contains(flags, "m"), strings.Contains(flags, "h")
}

var t0 = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// updated is a ParticipantsUpdated event of call, server call gen, number
// seq, made at t0 plus seq seconds unless at is given.
func updated(call, gen string, seq int, ps ...p) callback.Event {
	return updatedAt(call, gen, seq, t0.Add(time.Duration(seq)*time.Second), ps...)
}

func updatedAt(call, gen string, seq int, at time.Time, ps ...p) callback.Event {
	parts := []map[string]any{}
	for _, x := range ps {
		id, m, h := x.parts()
		parts = append(parts, map[string]any{"identifier": map[string]any{"rawId": id}, "isMuted": m, "isOnHold": h})
	}
	data := map[string]any{"callConnectionId": call, "sequenceNumber": seq, "participants": parts, "correlationId": "corr"}
	if gen != "" {
		data["serverCallId"] = gen
	}
	b, _ := json.Marshal(data)
	return callback.Event{ID: fmt.Sprint(call, gen, seq, at.UnixNano()), Source: "calling/callConnections/" + call,
		Type: callback.TypeParticipantsUpdated, Time: at, Data: b}
}

func disconnected(call, gen string, at time.Time) callback.Event {
	data := map[string]any{"callConnectionId": call}
	if gen != "" {
		data["serverCallId"] = gen
	}
	b, _ := json.Marshal(data)
	return callback.Event{ID: "d-" + call, Source: "calling/callConnections/" + call, Type: callback.TypeCallDisconnected, Time: at, Data: b}
}

// state renders a call's participants like the p strings, sorted.
func state(t *testing.T, r *roster.Roster, call string) string {
	t.Helper()
	c, err := r.Call(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	return render(c.Participants)
}

func render(ps []client.CallParticipant) string {
	var out []string
	for _, x := range ps {
		s := x.Identifier.RawID() + "/"
		if x.IsMuted {
			s += "m"
		}
		if x.IsOnHold {
			s += "h"
		}
		out = append(out, strings.TrimSuffix(s, "/"))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// watch subscribes to r's changes and collects them until stop is called.
type collector struct {
	mu      sync.Mutex
	changes []roster.Change
	err     error
	done    chan struct{}
	cancel  context.CancelFunc
}

func watch(t *testing.T, r *roster.Roster) *collector {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	seq, err := r.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(c.done)
		for ch, err := range seq {
			c.mu.Lock()
			if err != nil {
				c.err = err
			} else {
				c.changes = append(c.changes, ch)
			}
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-c.done })
	return c
}

// wait returns the changes once n have arrived (or fails after 10s).
func (c *collector) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		got, err := len(c.changes), c.err
		c.mu.Unlock()
		if err != nil {
			t.Fatalf("changes: %v", err)
		}
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // and no more than n
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, ch := range c.changes {
		out = append(out, fmt.Sprintf("%s#%d %s %s", ch.CallConnectionID, ch.SequenceNumber, ch.Participant.Identifier.RawID(), ch.Kind))
	}
	if len(out) != n {
		t.Fatalf("%d changes, want %d:\n%s", len(out), n, strings.Join(out, "\n"))
	}
	return out
}

const (
	alice = "8:acs:r_alice"
	bob   = "8:acs:r_bob"
	carol = "4:+15551234567"
)

func apply(t *testing.T, r *roster.Roster, events ...callback.Event) {
	t.Helper()
	for _, e := range events {
		if err := r.Apply(context.Background(), e); err != nil {
			t.Fatalf("Apply(%s #%s): %v", e.Type, e.ID, err)
		}
	}
}

// Events in order, out of order, twice: the newest sequence number wins,
// and each change is reported once, from the states actually applied.
func TestSequenceRules(t *testing.T) {
	r := roster.New(nil, nil)
	w := watch(t, r)
	apply(t, r,
		updated("c", "s1", 1, alice, bob),
		updated("c", "s1", 3, alice+"/m", carol+"/h"),
		updated("c", "s1", 2, alice+"/m", bob),        // late: below 3
		updated("c", "s1", 3, alice+"/m", carol+"/h"), // twice
		updated("c", "s1", 1, alice, bob),
	)
	if got := state(t, r, "c"); got != carol+"/h "+alice+"/m" {
		t.Errorf("state = %s", got)
	}
	call, _ := r.Call(context.Background(), "c")
	if call.SequenceNumber != 3 || !call.Gap || call.Source != roster.SourceEvent || call.ServerCallID != "s1" ||
		!call.EventTime.Equal(t0.Add(3*time.Second)) || call.UpdatedAt.IsZero() || call.Ended {
		t.Errorf("Call = %+v", call)
	}
	apply(t, r, updated("c", "s1", 4, alice, carol))
	if call, _ := r.Call(context.Background(), "c"); call.Gap {
		t.Error("Gap stayed after the next number")
	}
	got := w.wait(t, 7)
	want := []string{
		"c#1 " + alice + " joined", "c#1 " + bob + " joined",
		"c#3 " + alice + " muted", "c#3 " + carol + " joined", "c#3 " + bob + " left",
		"c#4 " + alice + " unmuted", "c#4 " + carol + " unheld",
	}
	// carol joined on hold: one Joined change that carries it.
	if !slices.Equal(got, want) {
		t.Errorf("changes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := r.Call(context.Background(), "nope"); !errors.Is(err, roster.ErrUnknownCall) {
		t.Errorf("unknown call: %v", err)
	}
}

// Other types are ignored; malformed events are errors that change nothing.
func TestApplyIgnoresAndRefuses(t *testing.T) {
	r := roster.New(nil, nil)
	apply(t, r, updated("c", "s1", 1, alice))
	ctx := context.Background()
	other := callback.Event{ID: "x", Source: "calling/callConnections/c", Type: callback.TypeRemoveParticipantSucceeded, Data: []byte(`{}`)}
	if err := r.Apply(ctx, other); err != nil {
		t.Errorf("another type: %v", err)
	}
	bad := updated("c", "s1", 2, bob)
	bad.Data = []byte(`{"callConnectionId":"c","sequenceNumber":2}`) // no participants
	if err := r.Apply(ctx, bad); err == nil || !strings.Contains(err.Error(), "no participants") {
		t.Errorf("malformed: %v", err)
	}
	if got := state(t, r, "c"); got != alice {
		t.Errorf("state = %s", got)
	}
	var zero roster.Roster
	if err := zero.Apply(ctx, bad); err == nil {
		t.Error("a zero Roster applied an event")
	}
	if err := r.Apply(nil, bad); err == nil { //nolint:staticcheck // the point of the test
		t.Error("nil context accepted")
	}
	if err := r.Resync(ctx, nil, "c"); err == nil {
		t.Error("Resync without a client")
	}
}

// A new call connection with the same ID starts afresh: another server call
// that is newer, or a numbering that restarted later; late events of the
// earlier one change nothing.
func TestNewCallConnectionWithTheSameID(t *testing.T) {
	r := roster.New(nil, nil)
	w := watch(t, r)
	apply(t, r,
		updated("c", "s1", 40, alice, bob),
		updatedAt("c", "s2", 1, t0.Add(time.Hour), carol), // another server call, later
		updated("c", "s1", 41, alice),                     // late, of the earlier one
		updatedAt("c", "s2", 2, t0.Add(time.Hour+time.Second), carol+"/m"),
	)
	if got := state(t, r, "c"); got != carol+"/m" {
		t.Errorf("state = %s", got)
	}
	// Another server call that is not newer cannot be placed.
	apply(t, r, updatedAt("c", "s9", 5, t0.Add(time.Minute), bob))
	if got := state(t, r, "c"); got != carol+"/m" {
		t.Errorf("state after an older unknown call = %s", got)
	}
	w.wait(t, 6) // 2 joined; carol joined, alice and bob left; carol muted

	// Without server call IDs: a numbering that restarts later.
	r2 := roster.New(nil, nil)
	apply(t, r2,
		updated("d", "", 7, alice),
		updatedAt("d", "", 1, t0.Add(time.Hour), bob),
		updated("d", "", 6, alice+"/m"), // late, of the earlier connection
	)
	if got := state(t, r2, "d"); got != bob {
		t.Errorf("restarted numbering: state = %s", got)
	}
	call, _ := r2.Call(context.Background(), "d")
	if call.SequenceNumber != 1 || call.Gap {
		t.Errorf("Call = %+v", call)
	}
}

// CallDisconnected ends the call: everyone leaves, late events change
// nothing, a new connection starts afresh.
func TestCallDisconnected(t *testing.T) {
	r := roster.New(nil, nil)
	w := watch(t, r)
	apply(t, r, updated("c", "s1", 1, alice, bob), disconnected("c", "s1", t0.Add(10*time.Second)))
	call, err := r.Call(context.Background(), "c")
	if err != nil || !call.Ended || len(call.Participants) != 0 || call.SequenceNumber != 1 {
		t.Fatalf("ended call: %+v, %v", call, err)
	}
	// Late events of the same server call, even stamped after the end.
	apply(t, r, updated("c", "s1", 2, alice), updatedAt("c", "s1", 3, t0.Add(time.Hour), bob), disconnected("c", "s1", t0.Add(11*time.Second)))
	if c, _ := r.Call(context.Background(), "c"); !c.Ended || len(c.Participants) != 0 {
		t.Errorf("late event after the end: %+v", c)
	}
	w.wait(t, 4) // 2 joined, 2 left
	// The end of a call never seen is remembered too.
	apply(t, r, disconnected("e", "s7", t0.Add(time.Minute)), updated("e", "s7", 3, bob))
	if c, err := r.Call(context.Background(), "e"); err != nil || !c.Ended || len(c.Participants) != 0 {
		t.Errorf("tombstone: %+v, %v", c, err)
	}
	// A new connection with the same ID after the end: another server call,
	// or no server call ID and a later time.
	apply(t, r, updatedAt("e", "s8", 1, t0.Add(time.Hour), carol))
	if got := state(t, r, "e"); got != carol {
		t.Errorf("after the end, a new server call: %s", got)
	}
	apply(t, r, disconnected("f", "", t0), updatedAt("f", "", 1, t0.Add(5*time.Second), alice))
	if c, _ := r.Call(context.Background(), "f"); !c.Ended {
		t.Errorf("an event within the clock skew of the end revived the call: %+v", c)
	}
	apply(t, r, updatedAt("f", "", 1, t0.Add(time.Minute), alice))
	if got := state(t, r, "f"); got != alice {
		t.Errorf("after the end, a later event: %s", got)
	}
}

// Ended calls are forgotten after EndedTTL, idle ones after IdleTTL, by the
// store's clock: memory is bounded by the calls tracked.
func TestForgetting(t *testing.T) {
	store := roster.NewMemoryStore()
	r := roster.New(store, &roster.Options{EndedTTL: 200 * time.Millisecond, IdleTTL: 400 * time.Millisecond})
	apply(t, r, updated("live", "", 1, alice), updated("ended", "", 1, alice), disconnected("ended", "", t0.Add(time.Minute)))
	if n := store.Len(); n != 2 {
		t.Fatalf("%d calls", n)
	}
	time.Sleep(250 * time.Millisecond)
	if _, err := r.Call(context.Background(), "ended"); !errors.Is(err, roster.ErrUnknownCall) {
		t.Errorf("ended call past EndedTTL: %v", err)
	}
	apply(t, r, updated("live", "", 2, bob)) // an event keeps it
	time.Sleep(250 * time.Millisecond)
	if got := state(t, r, "live"); got != bob {
		t.Errorf("live call: %s", got)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := r.Call(context.Background(), "live"); !errors.Is(err, roster.ErrUnknownCall) {
		t.Errorf("idle call past IdleTTL: %v", err)
	}
	if n := store.Len(); n != 0 {
		t.Errorf("store holds %d calls", n)
	}
}

// A subscriber that falls too far behind is told, never silently short.
func TestChangesLagged(t *testing.T) {
	r := roster.New(nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seq, err := r.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ps []p
	for i := range roster.DefaultSubscriberBuffer + 1 {
		ps = append(ps, p(fmt.Sprintf("8:acs:r_%d", i)))
	}
	apply(t, r, updated("c", "", 1, ps...))
	n := 0
	var last error
	for _, err := range seq {
		if err != nil {
			last = err
			break
		}
		n++
	}
	if !errors.Is(last, roster.ErrLagged) || n != roster.DefaultSubscriberBuffer {
		t.Errorf("%d changes then %v", n, last)
	}
	// A subscription whose context ended stops quietly.
	ctx2, cancel2 := context.WithCancel(context.Background())
	seq2, _ := r.Changes(ctx2)
	cancel2()
	for _, err := range seq2 {
		t.Errorf("a change or error after cancel: %v", err)
	}
}

// The in-memory store keeps the Store contract, and rosters sharing it
// converge (roster/storetest).
func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Backend {
		s := roster.NewMemoryStore()
		return func(*testing.T) roster.Store { return s }
	})
}

// Resync applies a listing: a call known only by it, a call whose events
// skipped numbers, and never over an event applied while it ran.
func TestResync(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"c": {alice, bob}}})
	c := srv.Client()
	ctx := context.Background()
	// The roster's clock reads t0, when the test's events begin: the first
	// ones are within the clock skew of the listings.
	r := roster.New(nil, &roster.Options{Now: func() time.Time { return t0 }})
	w := watch(t, r)
	if err := srv.SetMuted("c", bob, true); err != nil {
		t.Fatal(err)
	}
	if err := r.Resync(ctx, c, "c"); err != nil {
		t.Fatal(err)
	}
	call, err := r.Call(ctx, "c")
	if err != nil || call.Source != roster.SourceListing || call.SequenceNumber != 0 || render(call.Participants) != alice+" "+bob+"/m" {
		t.Fatalf("after a first listing: %+v, %v", call, err)
	}
	got := w.wait(t, 2)
	if got[0] != "c#0 "+alice+" joined" || got[1] != "c#0 "+bob+" joined" {
		t.Errorf("changes %v", got)
	}
	// Events, one skipped: a gap, which a listing settles.
	apply(t, r, updated("c", "s", 3, alice), updated("c", "s", 5, alice, bob))
	if call, _ := r.Call(ctx, "c"); !call.Gap || call.SequenceNumber != 5 {
		t.Errorf("after a skipped number: %+v", call)
	}
	if err := r.Resync(ctx, c, "c"); err != nil {
		t.Fatal(err)
	}
	call, _ = r.Call(ctx, "c")
	if call.Gap || call.SequenceNumber != 5 || call.Source != roster.SourceListing || render(call.Participants) != alice+" "+bob+"/m" {
		t.Errorf("after the listing: %+v", call)
	}
	// The next event replaces the listing.
	apply(t, r, updated("c", "s", 6, alice+"/h"))
	if got := state(t, r, "c"); got != alice+"/h" {
		t.Errorf("after event 6: %s", got)
	}
	// An event applied while a listing runs wins over it.
	srv.InjectReadFaults(1, acstest.Fault{Latency: 300 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- r.Resync(ctx, c, "c") }()
	time.Sleep(100 * time.Millisecond)
	apply(t, r, updated("c", "s", 7, carol))
	if err := <-done; !errors.Is(err, roster.ErrSuperseded) {
		t.Errorf("Resync raced by an event: %v", err)
	}
	if got := state(t, r, "c"); got != carol {
		t.Errorf("the listing overwrote the event: %s", got)
	}
	// A listing that fails changes nothing.
	var re *client.ResponseError
	if err := r.Resync(ctx, c, "nope"); !errors.As(err, &re) || re.StatusCode != 404 {
		t.Errorf("Resync of an unknown call: %v", err)
	}
	if _, err := r.Call(ctx, "nope"); !errors.Is(err, roster.ErrUnknownCall) {
		t.Errorf("a failed listing stored a call: %v", err)
	}
	// A listing of a call that ended starts a new connection's state: the
	// ended connection's late events change nothing, the new one's apply.
	apply(t, r, disconnected("c", "s", t0.Add(time.Minute)))
	if err := r.Resync(ctx, c, "c"); err != nil {
		t.Fatal(err)
	}
	apply(t, r, updated("c", "s", 9, carol)) // late, of the ended connection
	if got := state(t, r, "c"); got != alice+" "+bob+"/m" {
		t.Errorf("after the new connection's listing and a late event: %s", got)
	}
	apply(t, r, updatedAt("c", "s-new", 1, t0.Add(time.Hour), bob))
	if got := state(t, r, "c"); got != bob {
		t.Errorf("the new connection's first event: %s", got)
	}
}

// Regressions from a hostile review: within one server call, times never
// overrule sequence numbers; a listing is not replaced by an event stamped
// before it began.
func TestTimesNeverOverruleNumbersInOneCall(t *testing.T) {
	r := roster.New(nil, nil)
	// A late event with a skewed, later time, of the same server call.
	apply(t, r,
		updatedAt("c", "G", 4, t0, alice, bob),
		updatedAt("c", "G", 5, t0.Add(10*time.Millisecond), alice),
		updatedAt("c", "G", 3, t0.Add(15*time.Millisecond), alice, bob, carol),
		updatedAt("c", "G", 3, t0.Add(time.Hour), alice, bob, carol), // even an hour later
	)
	if got := state(t, r, "c"); got != alice {
		t.Errorf("a late event of the same server call won: %s", got)
	}
	// A same-server-call event just after its CallDisconnected.
	apply(t, r, updated("d", "G", 1, alice, bob), disconnected("d", "G", t0.Add(time.Second)), updatedAt("d", "G", 2, t0.Add(time.Minute), alice))
	if c, _ := r.Call(context.Background(), "d"); !c.Ended || len(c.Participants) != 0 {
		t.Errorf("an event of the ended server call revived it: %+v", c)
	}
}

func TestListingIsNotReplacedByOlderEvents(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"c": {alice, bob}}})
	began := t0.Add(time.Hour)
	r := roster.New(nil, &roster.Options{Now: func() time.Time { return began }})
	ctx := context.Background()
	apply(t, r, updatedAt("c", "s", 5, began.Add(-time.Minute), alice))
	if err := r.Resync(ctx, srv.Client(), "c"); err != nil {
		t.Fatal(err)
	}
	// A late event, stamped before the listing began: the listing stands.
	apply(t, r, updatedAt("c", "s", 6, began.Add(-30*time.Second), alice, carol))
	call, _ := r.Call(ctx, "c")
	if render(call.Participants) != alice+" "+bob || call.Source != roster.SourceListing {
		t.Errorf("a late event replaced the listing: %+v", call)
	}
	// One within the clock skew of the listing: applied, in doubt.
	apply(t, r, updatedAt("c", "s", 7, began.Add(2*time.Second), alice, carol))
	call, _ = r.Call(ctx, "c")
	if render(call.Participants) != carol+" "+alice || !call.Gap {
		t.Errorf("an event within the skew of the listing: %+v", call)
	}
	// Events after that count as usual.
	apply(t, r, updatedAt("c", "s", 8, began.Add(time.Minute), alice))
	if call, _ := r.Call(ctx, "c"); call.Gap || render(call.Participants) != alice {
		t.Errorf("the next event: %+v", call)
	}
}

// Malformed events are told apart from failures; a nil store pointer and
// a zero MemoryStore do not panic.
func TestErrorsAndZeroValues(t *testing.T) {
	ctx := context.Background()
	bad := updated("c", "s", 1, alice)
	bad.Data = []byte(`{"callConnectionId":"c","sequenceNumber":"one","participants":[]}`)
	if err := roster.New(nil, nil).Apply(ctx, bad); !errors.Is(err, roster.ErrMalformedEvent) {
		t.Errorf("malformed: %v", err)
	}
	var nilStore *roster.MemoryStore
	r := roster.New(nilStore, nil)
	if err := r.Apply(ctx, updated("c", "s", 1, alice)); err == nil || !strings.Contains(err.Error(), "nil *roster.MemoryStore") {
		t.Errorf("a nil store: %v", err)
	}
	if _, err := r.Changes(ctx); err == nil {
		t.Error("Changes on a nil store")
	}
	zero := roster.New(&roster.MemoryStore{}, nil)
	apply(t, zero, updated("c", "s", 1, alice))
	if got := state(t, zero, "c"); got != alice {
		t.Errorf("a zero MemoryStore: %s", got)
	}
}
