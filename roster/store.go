package roster

import (
	"container/heap"
	"context"
	"errors"
	"iter"
	"sync"
	"time"
)

// Store keeps the state Rosters apply, so that every Roster using one store
// (the replicas of a service, each with its own Roster) shares one state per
// call. The Roster writes a call's state as opaque bytes and reads it back;
// the store's part is to keep it, to replace it atomically only when nobody
// else replaced it in between (so that "the newer sequence number wins" holds
// across replicas), and to publish the changes each replacement made, in
// order, to every subscriber.
//
// NewMemoryStore is the store of a single process. The Redis store of the
// nested module github.com/acsmute/acsmute/roster/redisstore is shared by
// processes. A Store must be safe for concurrent use.
type Store interface {
	// Load returns the stored state of a call, or a zero Record (Version
	// 0, nil Data) when there is none (never stored, or expired).
	Load(ctx context.Context, callConnectionID string) (Record, error)

	// Swap stores data as the state of a call, if the stored version is
	// still prev (0: nothing stored), under a new version greater than
	// every version the store gave before, keeping it for ttl (by the
	// store's own clock; zero or less: until it is replaced); and, in the
	// same atomic step, publishes changes,
	// in order, to every subscriber. It returns false, nil, storing and
	// publishing nothing, when the stored version is no longer prev:
	// another writer got there first, and the Roster reads again.
	Swap(ctx context.Context, callConnectionID string, prev int64, data []byte, ttl time.Duration, changes [][]byte) (bool, error)

	// Subscribe starts delivering the changes every Swap publishes from
	// now on, whichever process made it. It returns once subscribed; the
	// iterator yields each change once, in the order published, until ctx
	// ends (it then stops without an error). When the store fails, or the
	// subscriber fell so far behind that changes were let go, it yields
	// one error (ErrLagged for the latter) and stops: subscribe again, and
	// read the calls again, since changes may have been missed.
	Subscribe(ctx context.Context) (iter.Seq2[[]byte, error], error)
}

// Record is a call's state as a Store keeps it.
type Record struct {
	// Version identifies the stored state: the store gives every state a
	// version greater than all it gave before, for any call, so that a
	// version read before a state expired never matches its successor. 0
	// means no state.
	Version int64
	// Data is the state, as the Roster wrote it.
	Data []byte
}

// ErrLagged is the error a subscription yields when it fell behind by
// more than the store keeps, so that changes were let go.
var ErrLagged = errors.New("roster: changes were missed: the subscriber fell too far behind")

// ErrStateLost is matched by the errors of a store that lost its data, or
// went back to older data (a Redis server restarted without persistence, or
// from an older snapshot, say): a state built on it could be wrong. The
// store starts afresh after reporting it (each operation running at the
// time may report it); resync the calls that matter.
var ErrStateLost = errors.New("roster: the store lost its state")

// DefaultSubscriberBuffer is how many changes a MemoryStore holds for a
// subscriber that has not taken them yet, before it lets it go with
// ErrLagged.
const DefaultSubscriberBuffer = 4096

// MemoryStore is a Store in one process's memory: the default of New, for
// a service with one replica and for tests. Expired states are forgotten,
// so memory is bounded by the calls it tracks. Its zero value is ready to
// use, like NewMemoryStore's; it is safe for concurrent use.
type MemoryStore struct {
	mu       sync.Mutex
	calls    map[string]*memoryEntry
	expiry   expiryQueue
	subs     map[*memorySub]struct{}
	versions int64 // the last version given
}

type memoryEntry struct {
	callID  string
	rec     Record
	expires time.Time // zero: never
	index   int       // in expiry
}

type memorySub struct {
	ch     chan []byte
	lagged bool
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Load implements Store.
func (m *MemoryStore) Load(ctx context.Context, callConnectionID string) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expireLocked(time.Now())
	e, ok := m.calls[callConnectionID]
	if !ok {
		return Record{}, nil
	}
	return Record{Version: e.rec.Version, Data: append([]byte(nil), e.rec.Data...)}, nil
}

// Swap implements Store.
func (m *MemoryStore) Swap(ctx context.Context, callConnectionID string, prev int64, data []byte, ttl time.Duration, changes [][]byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	m.expireLocked(now)
	e, ok := m.calls[callConnectionID]
	var version int64
	if ok {
		version = e.rec.Version
	}
	if version != prev {
		return false, nil
	}
	var expires time.Time // zero: never
	if ttl > 0 {
		expires = now.Add(ttl)
	}
	if !ok {
		if m.calls == nil {
			m.calls = map[string]*memoryEntry{}
		}
		e = &memoryEntry{callID: callConnectionID, expires: expires}
		m.calls[callConnectionID] = e
		heap.Push(&m.expiry, e)
	} else {
		e.expires = expires
		heap.Fix(&m.expiry, e.index)
	}
	m.versions++
	e.rec = Record{Version: m.versions, Data: append([]byte(nil), data...)}
	for _, c := range changes {
		for s := range m.subs {
			if s.lagged {
				continue
			}
			select {
			case s.ch <- c:
			default:
				// Never block a writer on a slow reader: the reader is
				// told instead.
				s.lagged = true
				close(s.ch)
			}
		}
	}
	return true, nil
}

// Subscribe implements Store.
func (m *MemoryStore) Subscribe(ctx context.Context) (iter.Seq2[[]byte, error], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &memorySub{ch: make(chan []byte, DefaultSubscriberBuffer)}
	m.mu.Lock()
	if m.subs == nil {
		m.subs = map[*memorySub]struct{}{}
	}
	m.subs[s] = struct{}{}
	m.mu.Unlock()
	unsubscribe := func() {
		m.mu.Lock()
		delete(m.subs, s)
		m.mu.Unlock()
	}
	// Unsubscribe when ctx ends even if the iterator is never run.
	stop := context.AfterFunc(ctx, unsubscribe)
	return func(yield func([]byte, error) bool) {
		defer stop()
		defer unsubscribe()
		for {
			select {
			case <-ctx.Done():
				return
			case c, ok := <-s.ch:
				if !ok {
					yield(nil, ErrLagged)
					return
				}
				if !yield(c, nil) {
					return
				}
			}
		}
	}, nil
}

// Len returns how many calls the store holds, expired ones not counted.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expireLocked(time.Now())
	return len(m.calls)
}

// expireLocked forgets the calls whose state expired. m.mu must be held.
func (m *MemoryStore) expireLocked(now time.Time) {
	for len(m.expiry) > 0 && !m.expiry[0].expires.IsZero() && !now.Before(m.expiry[0].expires) {
		e := heap.Pop(&m.expiry).(*memoryEntry)
		delete(m.calls, e.callID)
	}
}

// expiryQueue orders entries by expiry, soonest first (container/heap); a
// zero expiry never expires and sorts last.
type expiryQueue []*memoryEntry

func (q expiryQueue) Len() int { return len(q) }
func (q expiryQueue) Less(i, j int) bool {
	a, b := q[i].expires, q[j].expires
	switch {
	case a.IsZero():
		return false
	case b.IsZero():
		return true
	}
	return a.Before(b)
}
func (q expiryQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *expiryQueue) Push(x any) {
	e := x.(*memoryEntry)
	e.index = len(*q)
	*q = append(*q, e)
}
func (q *expiryQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return e
}
