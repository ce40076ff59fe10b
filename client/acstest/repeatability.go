package acstest

import (
	"container/heap"
	"crypto/sha256"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/openapi/wire"
)

// repeatHeaders are a request's parsed repeatability headers.
type repeatHeaders struct {
	id        string
	firstSent time.Time
}

// parseRepeatability checks the Repeatability-* headers. It returns nil,
// nil when the request carries none.
func (s *Server) parseRepeatability(r *http.Request) (*repeatHeaders, *answer) {
	id := r.Header.Get(wire.HeaderRepeatabilityRequestID)
	sent := r.Header.Get(wire.HeaderRepeatabilityFirstSent)
	bad := func(code, format string, args ...any) (*repeatHeaders, *answer) {
		a := errorAnswer(http.StatusBadRequest, code, format, args...)
		a.header.Set(wire.HeaderRepeatabilityResult, "rejected")
		return nil, &a
	}
	switch {
	case id == "" && sent == "":
		return nil, nil
	case id == "":
		return bad("MissingRepeatabilityRequestId", "Repeatability-First-Sent was sent without Repeatability-Request-ID")
	case sent == "":
		return bad("MissingRepeatabilityFirstSent", "Repeatability-Request-ID was sent without Repeatability-First-Sent")
	}
	u, err := uuid.Parse(id)
	if err != nil || len(id) != 36 {
		return bad("InvalidRepeatabilityRequestId", "Repeatability-Request-ID must be a UUID")
	}
	t, err := time.Parse(http.TimeFormat, sent)
	if err != nil || t.Format(http.TimeFormat) != sent {
		return bad("InvalidRepeatabilityFirstSent", "Repeatability-First-Sent must be an IMF-fixdate such as %q", http.TimeFormat)
	}
	now := s.now()
	if t.After(now.Add(s.skew)) {
		return bad("InvalidRepeatabilityFirstSent", "Repeatability-First-Sent is in the future")
	}
	if now.Sub(t) > s.window {
		a := errorAnswer(http.StatusPreconditionFailed, "RepeatabilityWindowExpired",
			"Repeatability-First-Sent is more than %v ago; the request is no longer tracked", s.window)
		a.header.Set(wire.HeaderRepeatabilityResult, "rejected")
		return nil, &a
	}
	return &repeatHeaders{id: strings.ToLower(u.String()), firstSent: t}, nil
}

// repeatEntry remembers a repeatable request and, once done, its answer.
type repeatEntry struct {
	id          string
	fingerprint [sha256.Size]byte
	firstSent   time.Time
	done        chan struct{}
	answer      answer
	executed    bool // the first request ran the mute
	index       int  // in the expiry heap
}

// repeatStore remembers repeatability IDs until their window passes. A
// min-heap ordered by First-Sent finds the next ID to forget, so remembering
// and forgetting cost O(log n) per ID however many are remembered, instead
// of a scan of them all on every request.
type repeatStore struct {
	byID map[string]*repeatEntry
	heap expiryHeap
}

func newRepeatStore() repeatStore { return repeatStore{byID: map[string]*repeatEntry{}} }

func (st *repeatStore) add(e *repeatEntry) {
	st.byID[e.id] = e
	heap.Push(&st.heap, e)
}

// expire forgets the IDs first sent more than window before now, calling
// forget for each.
func (st *repeatStore) expire(now time.Time, window time.Duration, forget func(id string)) {
	for len(st.heap) > 0 && now.Sub(st.heap[0].firstSent) > window {
		e := heap.Pop(&st.heap).(*repeatEntry)
		delete(st.byID, e.id)
		forget(e.id)
	}
}

// expiryHeap orders entries by First-Sent, oldest first (container/heap).
type expiryHeap []*repeatEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].firstSent.Before(h[j].firstSent) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*repeatEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// executeRepeatable runs exec once per repeatability ID: a resent request
// (the same ID, method, URL, first-sent time and body) gets the first
// answer again, or 409 while the first is still running; another request
// with the same ID is refused.
func (s *Server) executeRepeatable(r *http.Request, rep *repeatHeaders, body []byte, delay time.Duration, exec func() (answer, bool)) handled {
	fp := sha256.Sum256([]byte(r.Method + "\n" + r.URL.EscapedPath() + "?" + r.URL.RawQuery + "\n" + rep.firstSent.Format(http.TimeFormat) + "\n" + string(body)))
	now := s.now()
	s.mu.Lock()
	s.repeats.expire(now, s.window, func(id string) { delete(s.executions, id) })
	e, seen := s.repeats.byID[rep.id]
	if !seen {
		e = &repeatEntry{id: rep.id, fingerprint: fp, firstSent: rep.firstSent, done: make(chan struct{})}
		s.repeats.add(e)
	}
	s.mu.Unlock()

	if seen {
		if e.fingerprint != fp {
			a := errorAnswer(http.StatusBadRequest, "RepeatabilityRequestIdReused",
				"Repeatability-Request-ID %s was already used for a different request", rep.id)
			a.header.Set(wire.HeaderRepeatabilityResult, "rejected")
			return handled{answer: a}
		}
		select {
		case <-e.done:
			a := e.answer
			a.header = a.header.Clone()
			a.header.Set(wire.HeaderRepeatabilityResult, "accepted")
			return handled{answer: a, replayed: true}
		default:
			a := errorAnswer(http.StatusConflict, "RepeatabilityRequestInProgress",
				"the first request with Repeatability-Request-ID %s is still in progress", rep.id)
			a.header.Set(wire.HeaderRepeatabilityResult, "accepted")
			return handled{answer: a}
		}
	}

	a, executed := exec()
	s.pause(delay)
	a.header.Set(wire.HeaderRepeatabilityResult, "accepted")
	e.answer, e.executed = a, executed
	close(e.done)
	return handled{answer: a, executed: executed}
}
