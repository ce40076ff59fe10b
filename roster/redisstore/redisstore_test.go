package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/roster"
	"github.com/acsmute/acsmute/roster/redisstore"
	"github.com/acsmute/acsmute/roster/redisstore/redistest"
	"github.com/acsmute/acsmute/roster/storetest"
)

// These tests run against a real redis-server (Debian's package), which
// each test starts on a free loopback port and stops (redistest). Without
// redis-server on PATH they skip, unless ACSMUTE_REDIS=1 (as CI sets it),
// which makes them fail instead.

// TestMain keeps go-redis's own log quiet: the tests stop Redis on
// purpose, and check the errors callers get.
func TestMain(m *testing.M) {
	redis.SetLogger(quiet{})
	os.Exit(m.Run())
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// redisServer is a redis-server started for a test.
type redisServer struct{ *redistest.Server }

func startRedis(t testing.TB, args ...string) *redisServer {
	t.Helper()
	return &redisServer{redistest.Start(t, args...)}
}

func (rs *redisServer) addr() string { return rs.Addr }
func (rs *redisServer) stop()        { rs.Stop() }
func (rs *redisServer) start()       { rs.StartAgain() }
func (rs *redisServer) restart()     { rs.Restart() }

// open makes a Store on its own client, as a replica would.
func (rs *redisServer) open(t testing.TB, prefix string) *redisstore.Store {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: rs.addr(), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	s, err := redisstore.New(context.Background(), rdb, &redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The Redis store keeps the Store contract, and rosters of several
// replicas sharing one Redis converge on the newest state and report each
// change once (roster/storetest): shuffled, duplicated and split events;
// the emulator's misbehaving callbacks spread over three replicas.
func TestStoreContract(t *testing.T) {
	rs := startRedis(t)
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		prefix := fmt.Sprintf("{test-%d}:", n.Add(1)) // a fresh state per check
		return func(t *testing.T) roster.Store { return rs.open(t, prefix) }
	})
}

// Keys expire with the call: the call's hash carries the Roster's expiry.
func TestKeysExpireWithTheCall(t *testing.T) {
	rs := startRedis(t)
	s := rs.open(t, "{x}:")
	r := roster.New(s, &roster.Options{IdleTTL: time.Hour, EndedTTL: 2 * time.Second})
	ctx := context.Background()
	if err := r.Apply(ctx, updated("c1", 1, "8:acs:r_a")); err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: rs.addr()})
	defer rdb.Close()
	ttl, err := rdb.PTTL(ctx, "{x}:call:c1").Result()
	if err != nil || ttl < 59*time.Minute || ttl > time.Hour {
		t.Errorf("PTTL of a live call = %v, %v", ttl, err)
	}
	if err := r.Apply(ctx, disconnected("c1")); err != nil {
		t.Fatal(err)
	}
	ttl, _ = rdb.PTTL(ctx, "{x}:call:c1").Result()
	if ttl <= 0 || ttl > 2*time.Second {
		t.Errorf("PTTL of an ended call = %v", ttl)
	}
	time.Sleep(2100 * time.Millisecond)
	if n, _ := rdb.Exists(ctx, "{x}:call:c1").Result(); n != 0 {
		t.Error("the ended call's key outlived its TTL")
	}
	if _, err := r.Call(ctx, "c1"); !errors.Is(err, roster.ErrUnknownCall) {
		t.Errorf("Call after expiry: %v", err)
	}
	keys, _ := rdb.Keys(ctx, "*").Result()
	for _, k := range keys {
		if !strings.HasPrefix(k, "{x}:") {
			t.Errorf("a key outside the prefix: %s", k)
		}
	}
}

// Redis restarting mid-test (without persistence: its data is gone) is an
// error the caller sees, never a silently wrong state: calls made while it
// is down fail; the first after it is back fails with ErrStateLost, once
// per store; a subscription ends with an error; afterwards the roster works
// afresh.
func TestRedisRestart(t *testing.T) {
	rs := startRedis(t)
	a, b := rs.open(t, "{r}:"), rs.open(t, "{r}:")
	ra, rb := roster.New(a, nil), roster.New(b, nil)
	ctx := context.Background()
	changes, err := ra.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() {
		for _, err := range changes {
			if err != nil {
				ended <- err
				return
			}
		}
		ended <- nil
	}()
	for _, e := range []callback.Event{updated("c", 1, "8:acs:r_a"), updated("c", 2, "8:acs:r_a", "8:acs:r_b")} {
		if err := ra.Apply(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	rs.stop()
	if err := rb.Apply(ctx, updated("c", 3, "8:acs:r_b")); err == nil {
		t.Fatal("Apply with Redis down succeeded")
	}
	if _, err := ra.Call(ctx, "c"); err == nil {
		t.Fatal("Call with Redis down succeeded")
	}
	select {
	case err := <-ended:
		if err == nil {
			t.Error("the subscription ended without an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the subscription did not end when Redis went down")
	}
	rs.start()
	// A late event, now that the newer state is gone, is not applied
	// silently: each store reports the loss first.
	for name, r := range map[string]*roster.Roster{"a": ra, "b": rb} {
		err := r.Apply(ctx, updated("c", 1, "8:acs:r_a"))
		if !errors.Is(err, roster.ErrStateLost) {
			t.Errorf("%s: the first Apply after the loss: %v", name, err)
		}
	}
	// Then the stores work afresh.
	if err := rb.Apply(ctx, updated("c", 4, "8:acs:r_c")); err != nil {
		t.Fatal(err)
	}
	call, err := ra.Call(ctx, "c")
	if err != nil || call.SequenceNumber != 4 || len(call.Participants) != 1 {
		t.Errorf("after the restart: %+v, %v", call, err)
	}
}

// With persistence, a restart keeps the state: only the calls made while
// Redis was down fail.
func TestRedisRestartWithPersistence(t *testing.T) {
	rs := startRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	s := rs.open(t, "{p}:")
	r := roster.New(s, nil)
	ctx := context.Background()
	if err := r.Apply(ctx, updated("c", 5, "8:acs:r_a")); err != nil {
		t.Fatal(err)
	}
	rs.restart()
	if err := r.Apply(ctx, updated("c", 4, "8:acs:r_b")); err != nil {
		t.Fatalf("a late event after a restart that kept the data: %v", err)
	}
	call, err := r.Call(ctx, "c")
	if err != nil || call.SequenceNumber != 5 || call.Participants[0].Identifier.RawID() != "8:acs:r_a" {
		t.Errorf("after the restart: %+v, %v", call, err)
	}
}

// A subscriber that does not keep up is told, never silently short: one
// whose buffer fills, and any when the stream jumps (entries trimmed before
// they were read).
func TestLaggedSubscriber(t *testing.T) {
	rs := startRedis(t)
	s := rs.open(t, "{l}:")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow, err := s.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// More changes than a subscriber's buffer, before it reads any.
	var version int64
	for i := range 5 {
		var cs [][]byte
		for j := range 1000 {
			cs = append(cs, fmt.Appendf(nil, "%d.%d", i, j))
		}
		if _, err := s.Swap(ctx, "c", version, []byte("s"), time.Hour, cs); err != nil {
			t.Fatal(err)
		}
		rec, _ := s.Load(ctx, "c")
		version = rec.Version
	}
	// The store's reader hands them out meanwhile (5,000 take it a few
	// milliseconds): the subscriber's buffer fills and it is let go.
	time.Sleep(2 * time.Second)
	n := 0
	for _, err := range slow {
		if err != nil {
			if !errors.Is(err, roster.ErrLagged) {
				t.Errorf("err = %v, want ErrLagged", err)
			}
			break
		}
		n++
	}
	if n > roster.DefaultSubscriberBuffer {
		t.Errorf("%d changes before ErrLagged", n)
	}
	// A jump in the stream's numbering.
	fresh, err := s.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: rs.addr()})
	defer rdb.Close()
	count, _ := rdb.Get(ctx, "{l}:changes:n").Int64()
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "{l}:changes", Values: []any{"n", count + 3, "c", "x"}}).Err(); err != nil {
		t.Fatal(err)
	}
	for _, err := range fresh {
		if !errors.Is(err, roster.ErrLagged) {
			t.Errorf("after a jump: %v, want ErrLagged", err)
		}
		break
	}
}

// Many subscribers share one reader: updates keep their connections.
func TestSubscribersDoNotStarveUpdates(t *testing.T) {
	rs := startRedis(t)
	s := rs.open(t, "{s}:")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 100 {
		seq, err := s.Subscribe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for range seq {
			}
		}()
	}
	r := roster.New(s, nil)
	start := time.Now()
	for i := 1; i <= 50; i++ {
		if err := r.Apply(ctx, updated("c", i, fmt.Sprint("8:acs:r_", i))); err != nil {
			t.Fatal(err)
		}
	}
	// A generous bound: with a connection per subscriber, 100 subscribers
	// on a pool of 20 made updates wait seconds each.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("50 updates took %v with 100 subscribers", d)
	}
}

// Someone else's FLUSHALL, or a Redis that comes back from an older
// snapshot, is ErrStateLost for a store that saw newer updates.
func TestRedisWentBack(t *testing.T) {
	rs := startRedis(t, "--save", "")
	s := rs.open(t, "{b}:")
	r := roster.New(s, nil)
	ctx := context.Background()
	if err := r.Apply(ctx, updated("c", 1, "8:acs:r_a")); err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: rs.addr()})
	defer rdb.Close()
	if err := rdb.Save(ctx).Err(); err != nil { // the snapshot
		t.Fatal(err)
	}
	if err := r.Apply(ctx, updated("c", 2, "8:acs:r_a", "8:acs:r_b")); err != nil {
		t.Fatal(err)
	}
	rs.restart() // loads the snapshot: update 2 is gone, the epoch is not
	err := r.Apply(ctx, updated("c", 2, "8:acs:r_a", "8:acs:r_b"))
	if !errors.Is(err, roster.ErrStateLost) {
		t.Fatalf("Apply after going back to an older snapshot: %v", err)
	}
	if err := r.Apply(ctx, updated("c", 2, "8:acs:r_a", "8:acs:r_b")); err != nil {
		t.Fatalf("the next Apply: %v", err)
	}
	// FLUSHALL.
	seq, err := s.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Call(ctx, "c"); !errors.Is(err, roster.ErrStateLost) {
		t.Errorf("Call after FLUSHALL: %v", err)
	}
	if err := r.Apply(ctx, updated("c", 3, "8:acs:r_c")); err != nil {
		t.Fatal(err)
	}
	for _, err := range seq {
		if !errors.Is(err, roster.ErrStateLost) {
			t.Errorf("subscription after FLUSHALL: %v", err)
		}
		break
	}
}

// A Redis that may evict keys is refused, unless the risk is accepted.
func TestEvictionPolicy(t *testing.T) {
	rs := startRedis(t, "--maxmemory", "64mb", "--maxmemory-policy", "volatile-lru")
	rdb := redis.NewClient(&redis.Options{Addr: rs.addr()})
	defer rdb.Close()
	ctx := context.Background()
	_, err := redisstore.New(ctx, rdb, nil)
	if err == nil || !strings.Contains(err.Error(), "volatile-lru") {
		t.Errorf("a Redis that evicts: %v", err)
	}
	if _, err := redisstore.New(ctx, rdb, &redisstore.Options{AllowEviction: true}); err != nil {
		t.Errorf("with AllowEviction: %v", err)
	}
	if err := rdb.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := redisstore.New(ctx, rdb, nil); err != nil {
		t.Errorf("noeviction: %v", err)
	}
}

// Bad options and a nil client are refused.
func TestNewRefuses(t *testing.T) {
	if _, err := redisstore.New(context.Background(), nil, nil); err == nil {
		t.Error("a nil client was accepted")
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // nothing listens
	defer rdb.Close()
	if _, err := redisstore.New(context.Background(), rdb, &redisstore.Options{MaxChanges: -1}); err == nil {
		t.Error("negative MaxChanges was accepted")
	}
	if _, err := redisstore.New(context.Background(), rdb, nil); err == nil {
		t.Error("an unreachable Redis was accepted")
	}
}

func updated(call string, seq int, ids ...string) callback.Event {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf(`{"identifier":{"rawId":%q},"isMuted":false,"isOnHold":false}`, id)
	}
	data := fmt.Sprintf(`{"callConnectionId":%q,"serverCallId":"srv","sequenceNumber":%d,"participants":[%s]}`, call, seq, strings.Join(parts, ","))
	return callback.Event{ID: fmt.Sprint(call, seq), Source: "calling/callConnections/" + call, Type: callback.TypeParticipantsUpdated,
		Time: time.Date(2026, 12, 4, 12, 0, seq, 0, time.UTC), Data: []byte(data)}
}

func disconnected(call string) callback.Event {
	return callback.Event{ID: "bye-" + call, Source: "calling/callConnections/" + call, Type: callback.TypeCallDisconnected,
		Time: time.Date(2026, 12, 4, 13, 0, 0, 0, time.UTC), Data: []byte(fmt.Sprintf(`{"callConnectionId":%q,"serverCallId":"srv"}`, call))}
}
