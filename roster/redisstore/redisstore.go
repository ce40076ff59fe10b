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
//     on every update);
//   - one stream of changes ("changes", trimmed to about Options.MaxChanges
//     entries) and a counter that numbers them ("changes:n");
//   - an epoch ("epoch"), a random value that tells a Redis that kept its
//     data from one that lost it.
//
// Every update runs as one Lua script: it replaces the call's state only if
// its version is still the one the Roster read (so "the newer sequence
// number wins" holds across replicas), and appends the changes to the
// stream in the same atomic step, so that a change is published once, by
// the replica whose update won, or not at all. Each subscriber reads the
// stream from where it subscribed (XREAD), so every replica sees each change
// once; the counter tells it when entries were trimmed away before it read
// them (roster.ErrLagged).
//
// When Redis fails, every call fails with its error (a callback handler then
// answers 5xx and the service posts again) and a subscription yields it and
// stops: the caller sees it, and nothing is applied on a guess. When Redis
// comes back without its data (no persistence), the epoch is gone: the next
// operation of each Store fails with an error matching roster.ErrStateLost,
// once, and the store carries on afresh; resync the calls that matter,
// since a late event could otherwise be applied where the newer state was
// lost. With persistence (RDB or AOF), the data and the epoch come back, and
// only the calls made while Redis was down fail.
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
// so that a subscription notices its context ending.
const pollBlock = 250 * time.Millisecond

// epochError starts the message of a script's error when the epoch is not
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
}

// Store is a roster.Store in Redis. It is safe for concurrent use; make one
// per process and share it.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	maxLen int64

	mu    sync.Mutex
	epoch string
}

// The scripts. KEYS and ARGV are described above each; an epoch that is not
// the store's makes each of them fail with epochError.
var (
	// KEYS: epoch, call. ARGV: epoch. Returns {version, data} or {}.
	loadScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('` + epochError + `') end
local r = redis.call('HMGET', KEYS[2], 'v', 'd')
if not r[1] then return {} end
return r`)

	// KEYS: epoch, call, stream, counter. ARGV: epoch, prev, data,
	// expires (Unix ms), maxlen, then the changes. Returns 1 when stored,
	// 0 when the version is no longer prev.
	swapScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('` + epochError + `') end
local v = tonumber(redis.call('HGET', KEYS[2], 'v') or '0')
if v ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[2], 'v', v + 1, 'd', ARGV[3])
redis.call('PEXPIREAT', KEYS[2], ARGV[4])
for i = 6, #ARGV do
  local n = redis.call('INCR', KEYS[4])
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'n', n, 'c', ARGV[i])
end
return 1`)

	// KEYS: epoch, stream, counter. ARGV: epoch. Returns {counter, last
	// stream ID}: where a subscription starts.
	startScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('` + epochError + `') end
local n = redis.call('GET', KEYS[3]) or '0'
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local id = '0-0'
if #last > 0 then id = last[1][1] end
return {n, id}`)
)

// New returns a Store on rdb (a *redis.Client, *redis.ClusterClient or
// *redis.Ring), after reading (or starting) the epoch. opts may be nil.
func New(ctx context.Context, rdb redis.UniversalClient, opts *Options) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: the Redis client is nil")
	}
	if opts == nil {
		opts = &Options{}
	}
	s := &Store{rdb: rdb, prefix: opts.Prefix, maxLen: opts.MaxChanges}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	switch {
	case s.maxLen < 0:
		return nil, errors.New("redisstore: Options.MaxChanges must not be negative")
	case s.maxLen == 0:
		s.maxLen = DefaultMaxChanges
	}
	epoch, err := s.startEpoch(ctx)
	if err != nil {
		return nil, err
	}
	s.epoch = epoch
	return s, nil
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

// failed turns a script's error into the store's: a lost epoch becomes
// roster.ErrStateLost, after the store moves to the current (or a new)
// epoch, so that it is reported once per store.
func (s *Store) failed(ctx context.Context, what string, err error) error {
	if err == nil || !strings.Contains(err.Error(), epochError) {
		return fmt.Errorf("redisstore: %s: %w", what, err)
	}
	epoch, eerr := s.startEpoch(ctx)
	if eerr == nil {
		s.mu.Lock()
		s.epoch = epoch
		s.mu.Unlock()
	}
	return fmt.Errorf("redisstore: %s: %w: Redis lost or replaced the data this store was using", what, roster.ErrStateLost)
}

// Load implements roster.Store.
func (s *Store) Load(ctx context.Context, callConnectionID string) (roster.Record, error) {
	res, err := loadScript.Run(ctx, s.rdb, []string{s.key("epoch"), s.key("call:" + callConnectionID)}, s.currentEpoch()).Slice()
	if err != nil {
		return roster.Record{}, s.failed(ctx, "load", err)
	}
	if len(res) != 2 {
		return roster.Record{}, nil
	}
	vs, ok1 := res[0].(string)
	data, ok2 := res[1].(string)
	v, err := strconv.ParseInt(vs, 10, 64)
	if !ok1 || !ok2 || err != nil || v < 1 {
		return roster.Record{}, errors.New("redisstore: load: the stored state is not one of this store's")
	}
	return roster.Record{Version: v, Data: []byte(data)}, nil
}

// Swap implements roster.Store.
func (s *Store) Swap(ctx context.Context, callConnectionID string, prev int64, data []byte, expires time.Time, changes [][]byte) (bool, error) {
	ms := expires.UnixMilli()
	if expires.IsZero() {
		ms = time.Now().Add(100 * 365 * 24 * time.Hour).UnixMilli() // no expiry asked: a long one
	}
	args := make([]any, 0, 5+len(changes))
	args = append(args, s.currentEpoch(), prev, data, ms, s.maxLen)
	for _, c := range changes {
		args = append(args, c)
	}
	keys := []string{s.key("epoch"), s.key("call:" + callConnectionID), s.key("changes"), s.key("changes:n")}
	n, err := swapScript.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return false, s.failed(ctx, "swap", err)
	}
	return n == 1, nil
}

// Subscribe implements roster.Store: it reads the stream of changes from
// its end when called.
func (s *Store) Subscribe(ctx context.Context) (iter.Seq2[[]byte, error], error) {
	res, err := startScript.Run(ctx, s.rdb, []string{s.key("epoch"), s.key("changes"), s.key("changes:n")}, s.currentEpoch()).Slice()
	if err != nil {
		return nil, s.failed(ctx, "subscribe", err)
	}
	if len(res) != 2 {
		return nil, errors.New("redisstore: subscribe: the stream's position cannot be read")
	}
	ns, ok1 := res[0].(string)
	last, ok2 := res[1].(string)
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok1 || !ok2 || err != nil {
		return nil, errors.New("redisstore: subscribe: the stream's position cannot be read")
	}
	return func(yield func([]byte, error) bool) {
		for {
			streams, err := s.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{s.key("changes"), last}, Count: 100, Block: pollBlock}).Result()
			switch {
			case ctx.Err() != nil:
				return
			case errors.Is(err, redis.Nil):
				continue // nothing new within pollBlock
			case err != nil:
				yield(nil, fmt.Errorf("redisstore: reading changes: %w", err))
				return
			}
			for _, st := range streams {
				for _, m := range st.Messages {
					got, err := strconv.ParseInt(fmt.Sprint(m.Values["n"]), 10, 64)
					switch {
					case err != nil:
						yield(nil, errors.New("redisstore: reading changes: an entry is not one of this store's"))
						return
					case got <= n:
						// The counter went back: Redis lost its data.
						yield(nil, fmt.Errorf("redisstore: reading changes: %w", roster.ErrStateLost))
						return
					case got > n+1:
						yield(nil, fmt.Errorf("redisstore: reading changes: %w (%d changes trimmed before they were read)", roster.ErrLagged, got-n-1))
						return
					}
					n, last = got, m.ID
					c, _ := m.Values["c"].(string)
					if !yield([]byte(c), nil) {
						return
					}
				}
			}
		}
	}, nil
}
