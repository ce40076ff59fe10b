// Package storetest checks implementations of roster.Store: the contract
// every store keeps (versions, expiry, published changes), and that Rosters
// sharing one store, fed the service's callbacks out of order, twice and
// split between them, converge on the newest state and report each change
// once. The in-memory store's tests and the Redis store's run it.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
	"github.com/acsmute/acsmute/roster"
)

// Backend is a store's shared state: each call returns a handle on it, as
// one replica of a service would open it (the same MemoryStore, a new Redis
// connection to the same server). Handles from one Backend share state;
// those of different Backends (different tests) must not.
type Backend func(t *testing.T) roster.Store

// Run runs every check on stores of a Backend that newBackend makes, one
// Backend per check.
func Run(t *testing.T, newBackend func(t *testing.T) Backend) {
	t.Run("Versions", func(t *testing.T) { Versions(t, newBackend(t)) })
	t.Run("Expiry", func(t *testing.T) { Expiry(t, newBackend(t)) })
	t.Run("Changes", func(t *testing.T) { Changes(t, newBackend(t)) })
	t.Run("ConcurrentSwaps", func(t *testing.T) { ConcurrentSwaps(t, newBackend(t)) })
	t.Run("ShuffledEvents", func(t *testing.T) { ShuffledEvents(t, newBackend) })
	t.Run("EmulatorReplicas", func(t *testing.T) { EmulatorReplicas(t, newBackend(t), 3) })
	t.Run("DroppedLastEventAndResync", func(t *testing.T) { DroppedLastEventAndResync(t, newBackend(t)) })
}

// Versions: Load of nothing is a zero Record; Swap succeeds only on the
// version it names, and every state gets a version greater than all
// before, for any call.
func Versions(t *testing.T, b Backend) {
	s := b(t)
	ctx := context.Background()
	if rec, err := s.Load(ctx, "call"); err != nil || rec.Version != 0 || rec.Data != nil {
		t.Fatalf("Load of nothing = %+v, %v", rec, err)
	}
	swap := func(call string, prev int64, data string) bool {
		t.Helper()
		won, err := s.Swap(ctx, call, prev, []byte(data), time.Hour, nil)
		if err != nil {
			t.Fatal(err)
		}
		return won
	}
	load := func(call string) roster.Record {
		t.Helper()
		rec, err := b(t).Load(ctx, call) // another handle sees it
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	if !swap("call", 0, "one") || swap("call", 0, "again") {
		t.Fatal("the first swap lost, or a second swap on nothing won")
	}
	v1 := load("call").Version
	if v1 <= 0 || swap("call", v1+1, "ahead") || swap("call", v1-1, "behind") {
		t.Fatalf("version %d, or a swap on another version won", v1)
	}
	if !swap("call", v1, "two") || swap("call", v1, "stale") {
		t.Fatal("a swap on the version read lost, or a second one won")
	}
	rec := load("call")
	if rec.Version <= v1 || string(rec.Data) != "two" {
		t.Errorf("Load = %d %q, want a version above %d and %q", rec.Version, rec.Data, v1, "two")
	}
	if !swap("other", 0, "x") || load("other").Version <= rec.Version {
		t.Errorf("another call's version %d is not above %d", load("other").Version, rec.Version)
	}
	// Bytes of any value survive.
	data := "\x00\xff{\"é\":\n}"
	if !swap("bytes", 0, data) || string(load("bytes").Data) != data {
		t.Errorf("data %q came back as %q", data, load("bytes").Data)
	}
}

// Expiry: a state is forgotten once its time to live has passed, and
// counts as nothing for the next Swap; one kept with no time to live stays.
func Expiry(t *testing.T, b Backend) {
	s := b(t)
	ctx := context.Background()
	if won, err := s.Swap(ctx, "short", 0, []byte("x"), 300*time.Millisecond, nil); !won || err != nil {
		t.Fatal(won, err)
	}
	if won, err := s.Swap(ctx, "kept", 0, []byte("x"), 0, nil); !won || err != nil {
		t.Fatal(won, err)
	}
	if rec, _ := s.Load(ctx, "short"); rec.Version == 0 {
		t.Fatal("forgotten before its time")
	}
	time.Sleep(400 * time.Millisecond)
	if rec, err := s.Load(ctx, "short"); err != nil || rec.Version != 0 {
		t.Errorf("after expiry: %+v, %v", rec, err)
	}
	if won, err := s.Swap(ctx, "short", 0, []byte("y"), time.Hour, nil); !won || err != nil {
		t.Errorf("Swap on an expired state: %v, %v", won, err)
	}
	if rec, _ := s.Load(ctx, "kept"); rec.Version == 0 {
		t.Error("a state kept with no time to live was forgotten")
	}
}

// Changes: every subscriber (on any handle) gets every change of every
// successful swap once, in order, and none of a failed swap; a
// subscription whose context ends stops without an error.
func Changes(t *testing.T, b Backend) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s1, s2 := b(t), b(t)
	seq1, err := s1.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seq2, err := s2.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got1, got2 := collect(seq1), collect(seq2)
	version := func(call string) int64 {
		rec, err := s1.Load(ctx, call)
		if err != nil {
			t.Fatal(err)
		}
		return rec.Version
	}
	swaps := []struct {
		call    string
		prev    func() int64
		changes []string
	}{
		{"a", func() int64 { return 0 }, []string{"a1", "a2"}},
		{"b", func() int64 { return 0 }, []string{"b1"}},
		{"a", func() int64 { return 0 }, []string{"lost"}}, // loses: not on a's version
		{"a", func() int64 { return version("a") }, nil},
		{"a", func() int64 { return version("a") }, []string{"a3"}},
	}
	for i, sw := range swaps {
		var cs [][]byte
		for _, c := range sw.changes {
			cs = append(cs, []byte(c))
		}
		store := s1
		if i%2 == 1 {
			store = s2
		}
		if _, err := store.Swap(ctx, sw.call, sw.prev(), []byte("state"), time.Hour, cs); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"a1", "a2", "b1", "a3"}
	for name, got := range map[string]*collected{"first": got1, "second": got2} {
		if c := got.wait(len(want)); !slices.Equal(c, want) {
			t.Errorf("%s subscriber got %q, want %q", name, c, want)
		}
	}
	// A subscriber from before changes misses nothing; one from after sees
	// only what comes after it.
	seq3, err := s1.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got3 := collect(seq3)
	if _, err := s2.Swap(ctx, "b", version("b"), []byte("state"), time.Hour, [][]byte{[]byte("b2")}); err != nil {
		t.Fatal(err)
	}
	if c := got3.wait(1); !slices.Equal(c, []string{"b2"}) {
		t.Errorf("late subscriber got %q", c)
	}
	cancel()
	for _, g := range []*collected{got1, got2, got3} {
		select {
		case <-g.done:
		case <-time.After(10 * time.Second):
			t.Fatal("a subscription did not stop with its context")
		}
		if g.err != nil {
			t.Errorf("a subscription stopped with %v", g.err)
		}
	}
}

// ConcurrentSwaps: many writers on several handles race on one call, each
// counting up from what it read; every count is won once, and the
// subscribers see the winners' changes in order.
func ConcurrentSwaps(t *testing.T, b Backend) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub, err := b(t).Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := collect(sub)
	const writers, rounds = 6, 15
	handles := []roster.Store{b(t), b(t), b(t)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := map[int]int{}
	for w := range writers {
		wg.Go(func() {
			s := handles[w%len(handles)]
			for range rounds {
				for {
					rec, err := s.Load(ctx, "hot")
					if err != nil {
						t.Error(err)
						return
					}
					n := 0
					if rec.Version != 0 {
						if n, err = strconv.Atoi(string(rec.Data)); err != nil {
							t.Error(err)
							return
						}
					}
					next := []byte(strconv.Itoa(n + 1))
					ok, err := s.Swap(ctx, "hot", rec.Version, next, time.Hour, [][]byte{next})
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						mu.Lock()
						won[n+1]++
						mu.Unlock()
						break
					}
				}
			}
		})
	}
	wg.Wait()
	const total = writers * rounds
	if rec, _ := handles[0].Load(ctx, "hot"); string(rec.Data) != strconv.Itoa(total) {
		t.Errorf("final count %q, want %d", rec.Data, total)
	}
	for n := 1; n <= total; n++ {
		if won[n] != 1 {
			t.Errorf("count %d was won %d times", n, won[n])
		}
	}
	c := got.wait(total)
	for i, s := range c {
		if s != strconv.Itoa(i+1) {
			t.Fatalf("change %d is %q: not in order", i, s)
		}
	}
}

// collected gathers what a subscription yields.
type collected struct {
	mu   sync.Mutex
	got  []string
	err  error
	done chan struct{}
}

func collect(seq func(func([]byte, error) bool)) *collected {
	c := &collected{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for b, err := range seq {
			c.mu.Lock()
			if err != nil {
				c.err = err
			} else {
				c.got = append(c.got, string(b))
			}
			c.mu.Unlock()
		}
	}()
	return c
}

// wait returns what was gathered once n items are in (or after 10s), and
// after a moment for any extra to show.
func (c *collected) wait(n int) []string {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		k := len(c.got)
		c.mu.Unlock()
		if k >= n {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	time.Sleep(30 * time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

// ShuffledEvents: Rosters on handles of one store, fed the same events
// (generated here) shuffled, duplicated and split between them by several
// goroutines at once, converge on the state of the highest sequence number
// and report each change once: both subscribers see the same changes in the
// same order, none twice, and replaying them from nothing gives the state.
func ShuffledEvents(t *testing.T, newBackend func(t *testing.T) Backend) {
	for seed := range uint64(8) {
		b := newBackend(t)
		a, c := roster.New(b(t), nil), roster.New(b(t), nil)
		wa, wc := Watch(t, a), Watch(t, c)
		events, final := RandomEvents(seed, "call", 40)
		Feed(t, seed, []*roster.Roster{a, c}, events)
		for _, r := range []*roster.Roster{a, c} {
			if got := State(t, r, "call"); got != final {
				t.Fatalf("seed %d: state %s, want %s", seed, got, final)
			}
		}
		CheckChanges(t, final, wa, wc)
	}
}

// EmulatorReplicas: n Rosters on handles of one store (n replicas of a
// service) get the emulator's verified callbacks, which misbehave
// (duplicated, held back to be overtaken, dropped; the replicas take them in
// turns and apply them from several goroutines) while participants join,
// leave, mute, unmute, hold and unhold; once the last event is in, every
// replica reads the emulator's state at its last sequence number, and the
// changes each saw are the same, once each.
func EmulatorReplicas(t *testing.T, b Backend, n int) {
	ctx := context.Background()
	var rosters []*roster.Roster
	var watchers []*Watcher
	for range n {
		r := roster.New(b(t), nil)
		rosters = append(rosters, r)
		watchers = append(watchers, Watch(t, r))
	}
	srv, cleanup := Service(t, rosters, true)
	defer cleanup()
	rnd := rand.New(rand.NewPCG(42, 7))    // #nosec G404 -- test data: reproducible, not secret
	faults := rand.New(rand.NewPCG(42, 8)) // #nosec G404 -- the delivery goroutine's own: test data
	srv.SetDeliveryFaultFunc(func(seq int, d acstest.Delivery) *acstest.DeliveryFault {
		switch faults.IntN(10) {
		case 0, 1:
			return &acstest.DeliveryFault{Duplicate: true}
		case 2, 3:
			return &acstest.DeliveryFault{Hold: 1 + faults.IntN(3)}
		case 4:
			return &acstest.DeliveryFault{Drop: true}
		}
		return nil
	})
	people := []string{"8:acs:r_a", "8:acs:r_b", "8:acs:r_c", "8:acs:r_d", "4:+15550001", "4:+15550002"}
	c := srv.Client()
	for step := range 80 {
		who := people[rnd.IntN(len(people))]
		id, _ := client.ParseRawID(who)
		_, in := srv.IsMuted("call-1", who)
		var err error
		switch k := rnd.IntN(6); {
		case !in:
			err = srv.AddParticipant("call-1", who)
		case k == 0:
			err = srv.RemoveParticipant("call-1", who)
		case k == 1:
			err = srv.SetMuted("call-1", who, false)
		case k == 2 && id.Kind() == client.KindCommunicationUser:
			_, err = c.MuteParticipant(ctx, "call-1", id, nil)
		case k == 2:
			err = srv.SetMuted("call-1", who, true)
		case k == 3:
			_, err = c.HoldParticipant(ctx, "call-1", id, nil)
		case k == 4:
			_, err = c.UnholdParticipant(ctx, "call-1", id, nil)
		default:
			err = srv.SetOnHold("call-1", who, rnd.IntN(2) == 0)
		}
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
	}
	// The last event goes through untouched.
	srv.SetDeliveryFaultFunc(nil)
	if err := srv.AddParticipant("call-1", "8:acs:r_last"); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := srv.WaitForDeliveries(wctx); err != nil {
		t.Fatal(err)
	}
	parts, _ := srv.Participants("call-1")
	var want []client.CallParticipant
	for _, p := range parts {
		id, _ := client.ParseRawID(p.RawID)
		want = append(want, client.CallParticipant{Identifier: id, IsMuted: p.Muted, IsOnHold: p.OnHold})
	}
	final := Render(want)
	lastSeq := 0
	for _, d := range srv.Deliveries() {
		lastSeq = max(lastSeq, d.SequenceNumber)
	}
	deadline := time.Now().Add(10 * time.Second)
	for i, r := range rosters {
		for {
			call, err := r.Call(ctx, "call-1")
			if err == nil && call.SequenceNumber == lastSeq {
				if got := Render(call.Participants); got != final {
					t.Fatalf("replica %d: state %s, want %s", i, got, final)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %d: %+v, %v; want sequence number %d", i, call, err, lastSeq)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	CheckChanges(t, final, watchers...)
}

// Service starts the emulator with one call and a service whose replicas
// are rosters: its callback endpoint verifies each post and hands the
// replicas the posts in turn. With async, it answers at once and applies the
// events from a pool of goroutines (so that replicas apply at once, in any
// order); otherwise it applies them before answering, and answers 503 when
// Apply fails for another reason than a malformed event, so that the
// emulator posts again.
func Service(t *testing.T, rosters []*roster.Roster, async bool) (*acstest.Server, func()) {
	var mu sync.Mutex
	turn := 0
	mux := http.NewServeMux()
	endpoint := httptest.NewServer(mux)
	srv, err := acstest.NewServer(&acstest.Options{CallbackURL: endpoint.URL + "/callbacks", Calls: map[string][]string{"call-1": {"8:acs:r_a"}}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := callback.NewVerifier(srv.ResourceID(), &callback.VerifierOptions{Issuer: srv.URL, KeysURL: srv.URL + acstest.PathCallbackKeys,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	sem := make(chan struct{}, 4)
	mux.Handle("POST /callbacks", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		events, err := callback.Parse(body)
		if err != nil {
			t.Errorf("a verified callback does not parse: %v", err)
			return
		}
		mu.Lock()
		replica := rosters[turn%len(rosters)]
		turn++
		mu.Unlock()
		apply := func(ctx context.Context) error {
			for _, e := range events {
				if err := replica.Apply(ctx, e); err != nil && !errors.Is(err, roster.ErrMalformedEvent) {
					return err
				}
			}
			return nil
		}
		if !async {
			if err := apply(r.Context()); err != nil {
				http.Error(w, "try again", http.StatusServiceUnavailable)
			}
			return
		}
		sem <- struct{}{}
		// Applied after the answer: the request's context ends with it.
		ctx := context.WithoutCancel(r.Context())
		go func() {
			defer func() { <-sem }()
			if err := apply(ctx); err != nil {
				t.Errorf("Apply: %v", err)
			}
		}()
	})))
	return srv, func() {
		srv.Close()
		endpoint.Close()
		for range cap(sem) {
			sem <- struct{}{} // the applies in flight are done
		}
	}
}

// DroppedLastEventAndResync: when the call's last events are lost, the
// roster holds an older state, and says so when it can (a later event
// skipped numbers); a Resync through any replica brings every replica to
// the call's state.
func DroppedLastEventAndResync(t *testing.T, b Backend) {
	ctx := context.Background()
	a, c := roster.New(b(t), nil), roster.New(b(t), nil)
	srv, cleanup := Service(t, []*roster.Roster{a, c}, false)
	defer cleanup()
	for _, who := range []string{"8:acs:r_b", "8:acs:r_c"} {
		if err := srv.AddParticipant("call-1", who); err != nil {
			t.Fatal(err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := srv.WaitForDeliveries(wctx); err != nil {
		t.Fatal(err)
	}
	// The last two events are lost.
	srv.SetDeliveryFaultFunc(func(int, acstest.Delivery) *acstest.DeliveryFault { return &acstest.DeliveryFault{Drop: true} })
	if err := srv.SetMuted("call-1", "8:acs:r_b", true); err != nil {
		t.Fatal(err)
	}
	if err := srv.RemoveParticipant("call-1", "8:acs:r_c"); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitForDeliveries(wctx); err != nil {
		t.Fatal(err)
	}
	if got := State(t, c, "call-1"); got != "8:acs:r_a 8:acs:r_b 8:acs:r_c" {
		t.Fatalf("before the resync: %s", got)
	}
	if err := a.Resync(ctx, srv.Client(), "call-1"); err != nil {
		t.Fatal(err)
	}
	for i, r := range []*roster.Roster{a, c} {
		call, err := r.Call(ctx, "call-1")
		if err != nil || Render(call.Participants) != "8:acs:r_a 8:acs:r_b/m" || call.Source != roster.SourceListing || call.Gap {
			t.Errorf("replica %d after the resync: %+v, %v", i, call, err)
		}
	}
	// The next event applies over the listing: stamped after it began.
	srv.SetDeliveryFaultFunc(nil)
	if err := srv.SetOnHold("call-1", "8:acs:r_a", true); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitForDeliveries(wctx); err != nil {
		t.Fatal(err)
	}
	call, err := c.Call(ctx, "call-1")
	if err != nil || Render(call.Participants) != "8:acs:r_a/h 8:acs:r_b/m" || call.SequenceNumber != 5 {
		t.Errorf("after the next event: %+v, %v", call, err)
	}
}

// Watcher gathers the changes a Roster reports.
type Watcher struct {
	c *collectedChanges
}

type collectedChanges struct {
	mu      sync.Mutex
	changes []roster.Change
	err     error
}

// Watch subscribes to r's changes until the test ends.
func Watch(t *testing.T, r *roster.Roster) *Watcher {
	ctx, cancel := context.WithCancel(context.Background())
	seq, err := r.Changes(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	c := &collectedChanges{}
	done := make(chan struct{})
	go func() {
		defer close(done)
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
	t.Cleanup(func() { cancel(); <-done })
	return &Watcher{c}
}

// Changes returns the changes gathered so far, and the error the
// subscription ended with, if any.
func (w *Watcher) Changes() ([]roster.Change, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	return slices.Clone(w.c.changes), w.c.err
}

// CheckChanges waits until replaying the changes of the first watcher gives
// final and every watcher has as many, then checks that they all saw the
// same changes in the same order and none twice.
func CheckChanges(t *testing.T, final string, ws ...*Watcher) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		first, err := ws[0].Changes()
		if err != nil {
			t.Fatalf("changes: %v", err)
		}
		same := replay(first) == final
		for _, w := range ws[1:] {
			other, err := w.Changes()
			if err != nil {
				t.Fatalf("changes: %v", err)
			}
			same = same && len(other) == len(first)
		}
		if !same && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if got := replay(first); got != final {
			t.Fatalf("replaying %d changes gives %s, want %s", len(first), got, final)
		}
		seen := map[string]bool{}
		for i, c := range first {
			k := key(c)
			if seen[k] {
				t.Fatalf("change %s reported twice", k)
			}
			seen[k] = true
			for j, w := range ws[1:] {
				other, _ := w.Changes()
				if len(other) != len(first) || key(other[i]) != k {
					t.Fatalf("watcher %d: change %d differs (%d changes against %d)", j+1, i, len(other), len(first))
				}
			}
		}
		return
	}
}

func key(c roster.Change) string {
	return fmt.Sprint(c.CallConnectionID, "#", c.SequenceNumber, " ", c.Participant.Identifier.RawID(), " ", c.Kind)
}

// replay applies changes to nothing and renders the result.
func replay(changes []roster.Change) string {
	m := map[string]client.CallParticipant{}
	for _, c := range changes {
		if c.Kind == roster.Left {
			delete(m, c.Participant.Identifier.RawID())
			continue
		}
		m[c.Participant.Identifier.RawID()] = c.Participant
	}
	var ps []client.CallParticipant
	for _, p := range m {
		ps = append(ps, p)
	}
	return Render(ps)
}

// Render writes participants as "rawId/mh" (m muted, h on hold), sorted.
func Render(ps []client.CallParticipant) string {
	var out []string
	for _, p := range ps {
		s := p.Identifier.RawID() + "/"
		if p.IsMuted {
			s += "m"
		}
		if p.IsOnHold {
			s += "h"
		}
		out = append(out, strings.TrimSuffix(s, "/"))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// State renders a call's participants as the roster reads them.
func State(t *testing.T, r *roster.Roster, call string) string {
	t.Helper()
	c, err := r.Call(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	return Render(c.Participants)
}

// RandomEvents makes n ParticipantsUpdated events of one call, numbered
// from 1, each a random step from the one before (people join, leave, mute,
// unmute, hold, unhold), and renders the state of the last.
func RandomEvents(seed uint64, call string, n int) ([]callback.Event, string) {
	rnd := rand.New(rand.NewPCG(seed, 99)) // #nosec G404 -- test data
	state := map[string][2]bool{}
	var events []callback.Event
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for seq := 1; seq <= n; seq++ {
		for range 1 + rnd.IntN(3) {
			id := fmt.Sprintf("8:acs:r_%d", rnd.IntN(8))
			if rnd.IntN(4) == 0 {
				delete(state, id)
			} else {
				state[id] = [2]bool{rnd.IntN(2) == 0, rnd.IntN(3) == 0}
			}
		}
		var parts []map[string]any
		for id, s := range state {
			parts = append(parts, map[string]any{"identifier": map[string]any{"rawId": id}, "isMuted": s[0], "isOnHold": s[1]})
		}
		if parts == nil {
			parts = []map[string]any{}
		}
		data, _ := json.Marshal(map[string]any{"callConnectionId": call, "serverCallId": "srv", "sequenceNumber": seq, "participants": parts})
		events = append(events, callback.Event{ID: fmt.Sprint("e", seq), Source: "calling/callConnections/" + call,
			Type: callback.TypeParticipantsUpdated, Time: at.Add(time.Duration(seq) * time.Second), Data: data})
	}
	var ps []client.CallParticipant
	for id, s := range state {
		who, _ := client.ParseRawID(id)
		ps = append(ps, client.CallParticipant{Identifier: who, IsMuted: s[0], IsOnHold: s[1]})
	}
	return events, Render(ps)
}

// Feed applies every event, shuffled, about a third of them twice, each to
// one of rs, from four goroutines at once.
func Feed(t *testing.T, seed uint64, rs []*roster.Roster, events []callback.Event) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 7)) // #nosec G404 -- test data
	var work []callback.Event
	for _, e := range events {
		work = append(work, e)
		if rnd.IntN(3) == 0 {
			work = append(work, e)
		}
	}
	rnd.Shuffle(len(work), func(i, j int) { work[i], work[j] = work[j], work[i] })
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < len(work); i += 4 {
				if err := rs[(i*7+g)%len(rs)].Apply(context.Background(), work[i]); err != nil {
					t.Errorf("Apply: %v", err)
				}
			}
		})
	}
	wg.Wait()
}
