// Package redisstore is a roster.Store in Redis, so that the replicas of a
// service share one roster: each replica makes its own Store on the same
// Redis (and prefix), and its own roster.Roster on it.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	store, err := redisstore.New(ctx, rdb, nil)
//	if err != nil { ... }
//	r := roster.New(store, nil)
//
// It is a module of its own, so that importing the core (client, callback,
// roster) does not pull in go-redis.
//
// What it keeps, under Options.Prefix:
//
//   - a hash per call ("call:<call connection ID>": its state and version),
//     which expires with the call (the Roster's IdleTTL or EndedTTL, reset
//     on every update, by Redis's clock);
//   - a counter of updates ("writes"), which gives every state its version;
//   - one stream of changes ("changes", trimmed to about Options.MaxChanges
//     entries) and a counter that numbers them ("changes:n");
//   - an epoch ("epoch"), a random value that tells a Redis that kept its
//     data from one that lost it.
//
// Every update runs as one Lua script: it replaces the call's state only if
// its version is still the one the Roster read (so "the newer sequence
// number wins" holds across replicas), and appends the changes to the
// stream in the same atomic step, so that a change is published once, by
// the replica whose update won, or not at all. Each Store reads the stream
// with one reader, whatever its number of subscribers, so that subscribers
// take no connection from the updates; the counter tells it when entries
// were trimmed away before it read them (roster.ErrLagged).
//
// When Redis fails, every call fails with its error (a callback handler then
// answers 5xx and the service posts again) and subscriptions yield it and
// stop: the caller sees it, and nothing is applied on a guess. When Redis
// comes back without its data, the epoch is gone: the operations of each
// Store fail with an error matching roster.ErrStateLost (at least once;
// those running at the time may all report it), and the store carries on
// afresh; resync the calls that matter, since a late event could otherwise
// be applied where the newer state was lost. When it comes back with older
// data (a snapshot older than the last updates, or an append-only file not
// synced on every write), a Store that saw a newer update reports
// ErrStateLost the same way; one that did not cannot tell. For the roster to
// survive a restart whole, run Redis with appendonly yes and appendfsync
// always.
//
// Redis must not evict the keys: an evicted call's state is lost without a
// trace. New refuses a Redis with a maxmemory limit and an eviction policy
// other than noeviction (Azure Cache for Redis defaults to volatile-lru),
// unless Options.AllowEviction says the risk is accepted; where CONFIG is
// disabled it cannot check.
//
// In a Redis Cluster, every key of one prefix must live on one node: the
// default prefix is a hash tag ("{acsmute-roster}:") for that reason; keep
// braces around a prefix of your own.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/acsmute/acsmute/roster"
)

// Defaults of Options.
const (
	// DefaultPrefix starts every key when Options.Prefix is empty. The
	// braces make it a Redis Cluster hash tag: every key on one node, as
	// the scripts need.
	DefaultPrefix = "{acsmute-roster}:"
	// DefaultMaxChanges is about how many changes the stream keeps when
	// Options.MaxChanges is zero: a subscriber further behind than that
	// gets roster.ErrLagged.
	DefaultMaxChanges = 100_000
)

// pollBlock is how long one read of the stream blocks waiting for changes,
// so that the reader notices when its last subscriber left.
const pollBlock = 250 * time.Millisecond

// epochError is in the message of a script's error when the epoch is not
// the store's.
const epochError = "ACSMUTE_EPOCH"

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// Prefix starts every key. Empty means DefaultPrefix. Replicas that
	// share a roster use the same one; different rosters in one Redis use
	// different ones.
	Prefix string
	// MaxChanges is about how many changes the stream keeps (XADD MAXLEN
	// ~). Zero means DefaultMaxChanges.
	MaxChanges int64
	// AllowEviction lets New accept a Redis that may evict keys when it is
	// full (a maxmemory limit with a policy other than noeviction). An
	// evicted call's state is lost without a trace, and a late event may
	// then be applied where it was.
	AllowEviction bool
}

// Store is a roster.Store in Redis. It is safe for concurrent use; make one
// per process and share it.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	maxLen int64

	mu    sync.Mutex
	epoch string
	// seen is the highest update counter an operation of this store got
	// back: an operation that starts after it and gets less means Redis
	// went back to older data.
	seen atomic.Int64

	subMu  sync.Mutex
	subs   map[*subscriber]struct{}
	reader *reader // nil when nobody subscribes
}

// The scripts. An epoch that is not the store's makes each fail with
// epochError.
var (
	// KEYS: epoch, call, writes. ARGV: epoch. Returns {writes, version,
	// data}, the last two absent when there is no state.
	loadScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('` + epochError + `') end
local w = redis.call('GET', KEYS[3]) or '0'
local r = redis.call('HMGET', KEYS[2], 'v', 'd')
if not r[1] then return {w} end
return {w, r[1], r[2]}`)

	// KEYS: epoch, call, writes, stream, changes counter. ARGV: epoch,
	// prev, data, ttl (ms; 0: none), maxlen, then the changes. Returns
	// {1, writes} when stored, {0, writes} when the version is no longer
	// prev.
	swapScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('` + epochError + `') end
local v = tonumber(redis.call('HGET', KEYS[2], 'v') or '0')
if v ~= tonumber(ARGV[2]) then return {0, tonumber(redis.call('GET', KEYS[3]) or '0')} end
local w = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], 'v', w, 'd', ARGV[3])
if tonumber(ARGV[4]) > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) else redis.call('PERSIST', KEYS[2]) end
for i = 6, #ARGV do
  local n = redis.call('INCR', KEYS[5])
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], '*', 'n', n, 'c', ARGV[i])
end
return {1, w}`)

	// KEYS: epoch, stream, changes counter. ARGV: epoch. Returns
	// {counter, last stream ID}: where a reader starts.
	startScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('` + epochError + `') end
local n = redis.call('GET', KEYS[3]) or '0'
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local id = '0-0'
if #last > 0 then id = last[1][1] end
return {n, id}`)
)

// New returns a Store on rdb (a *redis.Client, *redis.ClusterClient or
// *redis.Ring), after checking that Redis will not evict its keys and
// reading (or starting) the epoch. opts may be nil.
func New(ctx context.Context, rdb redis.UniversalClient, opts *Options) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: the Redis client is nil")
	}
	if opts == nil {
		opts = &Options{}
	}
	s := &Store{rdb: rdb, prefix: opts.Prefix, maxLen: opts.MaxChanges, subs: map[*subscriber]struct{}{}}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	switch {
	case s.maxLen < 0:
		return nil, errors.New("redisstore: Options.MaxChanges must not be negative")
	case s.maxLen == 0:
		s.maxLen = DefaultMaxChanges
	}
	if !opts.AllowEviction {
		if err := checkEviction(ctx, rdb); err != nil {
			return nil, err
		}
	}
	epoch, err := s.startEpoch(ctx)
	if err != nil {
		return nil, err
	}
	s.epoch = epoch
	return s, nil
}

// checkEviction refuses a Redis that may evict keys. Where CONFIG is
// disabled (some managed services), it cannot tell, and accepts.
func checkEviction(ctx context.Context, rdb redis.UniversalClient) error {
	cfg, err := rdb.ConfigGet(ctx, "maxmemory*").Result()
	switch {
	case err != nil && strings.Contains(strings.ToLower(err.Error()), "unknown command"):
		return nil
	case err != nil && strings.Contains(strings.ToLower(err.Error()), "noperm"):
		return nil
	case err != nil:
		return fmt.Errorf("redisstore: reading Redis's eviction policy: %w", err)
	}
	if limit := cfg["maxmemory"]; limit != "" && limit != "0" && cfg["maxmemory-policy"] != "noeviction" {
		return fmt.Errorf("redisstore: Redis may evict keys (maxmemory %s, maxmemory-policy %s), and an evicted call's state would be lost without a trace: set maxmemory-policy noeviction, or Options.AllowEviction to accept it",
			limit, cfg["maxmemory-policy"])
	}
	return nil
}

func (s *Store) key(name string) string { return s.prefix + name }

// startEpoch sets the epoch unless one is set, and returns the one set.
func (s *Store) startEpoch(ctx context.Context) (string, error) {
	if err := s.rdb.SetNX(ctx, s.key("epoch"), uuid.NewString(), 0).Err(); err != nil {
		return "", fmt.Errorf("redisstore: starting the epoch: %w", err)
	}
	epoch, err := s.rdb.Get(ctx, s.key("epoch")).Result()
	if err != nil {
		return "", fmt.Errorf("redisstore: reading the epoch: %w", err)
	}
	return epoch, nil
}

func (s *Store) currentEpoch() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.epoch
}

// lost moves the store to the current (or a new) epoch and counter, and
// returns its roster.ErrStateLost.
func (s *Store) lost(ctx context.Context, what, why string) error {
	if epoch, err := s.startEpoch(ctx); err == nil {
		s.mu.Lock()
		s.epoch = epoch
		s.mu.Unlock()
	}
	s.seen.Store(0)
	return fmt.Errorf("redisstore: %s: %w: %s", what, roster.ErrStateLost, why)
}

// failed turns a script's error into the store's.
func (s *Store) failed(ctx context.Context, what string, err error) error {
	if strings.Contains(err.Error(), epochError) {
		return s.lost(ctx, what, "Redis lost or replaced the data this store was using")
	}
	return fmt.Errorf("redisstore: %s: %w", what, err)
}

// checkWrites compares the update counter an operation got back with the
// one seen before it started (floor), and records it.
func (s *Store) checkWrites(ctx context.Context, what string, floor, got int64) error {
	if got < floor {
		return s.lost(ctx, what, fmt.Sprintf("Redis went back to older data (update %d after %d)", got, floor))
	}
	for {
		cur := s.seen.Load()
		if got <= cur || s.seen.CompareAndSwap(cur, got) {
			return nil
		}
	}
}

// Load implements roster.Store.
func (s *Store) Load(ctx context.Context, callConnectionID string) (roster.Record, error) {
	floor := s.seen.Load()
	res, err := loadScript.Run(ctx, s.rdb, []string{s.key("epoch"), s.key("call:" + callConnectionID), s.key("writes")}, s.currentEpoch()).Slice()
	if err != nil {
		return roster.Record{}, s.failed(ctx, "load", err)
	}
	bad := errors.New("redisstore: load: the stored state is not one of this store's")
	if len(res) != 1 && len(res) != 3 {
		return roster.Record{}, bad
	}
	w, err := int64Of(res[0])
	if err != nil {
		return roster.Record{}, bad
	}
	if err := s.checkWrites(ctx, "load", floor, w); err != nil {
		return roster.Record{}, err
	}
	if len(res) == 1 {
		return roster.Record{}, nil
	}
	v, err := int64Of(res[1])
	data, ok := res[2].(string)
	if err != nil || !ok || v < 1 {
		return roster.Record{}, bad
	}
	return roster.Record{Version: v, Data: []byte(data)}, nil
}

// int64Of reads a number a script returned, as a string or an integer.
func int64Of(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("not a number: %T", v)
}

// Swap implements roster.Store.
func (s *Store) Swap(ctx context.Context, callConnectionID string, prev int64, data []byte, ttl time.Duration, changes [][]byte) (bool, error) {
	floor := s.seen.Load()
	ms := ttl.Milliseconds()
	if ttl > 0 && ms == 0 {
		ms = 1
	}
	args := make([]any, 0, 5+len(changes))
	args = append(args, s.currentEpoch(), prev, data, max(ms, 0), s.maxLen)
	for _, c := range changes {
		args = append(args, c)
	}
	keys := []string{s.key("epoch"), s.key("call:" + callConnectionID), s.key("writes"), s.key("changes"), s.key("changes:n")}
	res, err := swapScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return false, s.failed(ctx, "swap", err)
	}
	if len(res) != 2 {
		return false, errors.New("redisstore: swap: an answer that is not this store's")
	}
	if err := s.checkWrites(ctx, "swap", floor, res[1]); err != nil {
		return false, err
	}
	return res[0] == 1, nil
}

// subscriber is one subscription: what the reader hands it, and from which
// change on it wants them.
type subscriber struct {
	ch   chan item
	from int64 // changes numbered above it
	gone bool  // let go: its channel is closed
}

// item is a change the reader read, or why it stopped.
type item struct {
	n    int64
	data []byte
	err  error
}

// reader is the Store's one reader of the stream, running while somebody
// subscribes.
type reader struct {
	cancel context.CancelFunc
}

// Subscribe implements roster.Store. The Store reads the stream with one
// reader, which starts with the first subscriber and stops when the last
// leaves; each subscription gets the changes published from when Subscribe
// was called.
func (s *Store) Subscribe(ctx context.Context) (iter.Seq2[[]byte, error], error) {
	sub := &subscriber{ch: make(chan item, roster.DefaultSubscriberBuffer)}
	s.subMu.Lock()
	// Where the stream stands now: the subscriber wants what follows; a
	// new reader starts there.
	res, err := startScript.Run(ctx, s.rdb, []string{s.key("epoch"), s.key("changes"), s.key("changes:n")}, s.currentEpoch()).Slice()
	if err != nil {
		s.subMu.Unlock()
		return nil, s.failed(ctx, "subscribe", err)
	}
	if len(res) != 2 {
		s.subMu.Unlock()
		return nil, errors.New("redisstore: subscribe: the stream's position cannot be read")
	}
	n, err := int64Of(res[0])
	last, ok := res[1].(string)
	if err != nil || !ok {
		s.subMu.Unlock()
		return nil, errors.New("redisstore: subscribe: the stream's position cannot be read")
	}
	sub.from = n
	s.subs[sub] = struct{}{}
	if s.reader == nil {
		rctx, cancel := context.WithCancel(context.Background())
		s.reader = &reader{cancel: cancel}
		go s.read(rctx, s.reader, last, n)
	}
	s.subMu.Unlock()

	unsubscribe := func() {
		s.subMu.Lock()
		defer s.subMu.Unlock()
		if !sub.gone {
			delete(s.subs, sub)
		}
		if len(s.subs) == 0 && s.reader != nil {
			s.reader.cancel()
			s.reader = nil
		}
	}
	stop := context.AfterFunc(ctx, unsubscribe)
	return func(yield func([]byte, error) bool) {
		defer stop()
		defer unsubscribe()
		for {
			select {
			case <-ctx.Done():
				return
			case it, ok := <-sub.ch:
				switch {
				case !ok:
					yield(nil, fmt.Errorf("redisstore: reading changes: %w (this subscriber's buffer of %d changes filled)", roster.ErrLagged, roster.DefaultSubscriberBuffer))
					return
				case it.err != nil:
					yield(nil, it.err)
					return
				case it.n <= sub.from:
					continue // from before this subscription
				}
				if !yield(it.data, nil) {
					return
				}
			}
		}
	}, nil
}

// read reads the stream from last (whose counter is n) and hands each
// change to every subscriber, until ctx ends or the stream fails; then it
// hands the error to every subscriber and lets them go.
func (s *Store) read(ctx context.Context, r *reader, last string, n int64) {
	fail := func(err error) {
		s.subMu.Lock()
		defer s.subMu.Unlock()
		for sub := range s.subs {
			select {
			case sub.ch <- item{err: err}:
			default:
				close(sub.ch)
			}
			sub.gone = true
			delete(s.subs, sub)
		}
		if s.reader == r {
			s.reader = nil
		}
	}
	for {
		streams, err := s.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{s.key("changes"), last}, Count: 100, Block: pollBlock}).Result()
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, redis.Nil):
			continue // nothing new within pollBlock
		case err != nil:
			fail(fmt.Errorf("redisstore: reading changes: %w", err))
			return
		}
		for _, st := range streams {
			for _, m := range st.Messages {
				got, err := strconv.ParseInt(fmt.Sprint(m.Values["n"]), 10, 64)
				switch {
				case err != nil:
					fail(errors.New("redisstore: reading changes: an entry is not one of this store's"))
					return
				case got <= n:
					// The counter went back: Redis lost its data.
					fail(fmt.Errorf("redisstore: reading changes: %w", roster.ErrStateLost))
					return
				case got > n+1:
					fail(fmt.Errorf("redisstore: reading changes: %w (%d changes trimmed before they were read)", roster.ErrLagged, got-n-1))
					return
				}
				n, last = got, m.ID
				c, _ := m.Values["c"].(string)
				s.subMu.Lock()
				for sub := range s.subs {
					select {
					case sub.ch <- item{n: got, data: []byte(c)}:
					default:
						// Never hold the reader for a slow subscriber: it
						// is let go, and told.
						close(sub.ch)
						sub.gone = true
						delete(s.subs, sub)
					}
				}
				s.subMu.Unlock()
			}
		}
	}
}
