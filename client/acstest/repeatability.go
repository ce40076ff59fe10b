package acstest

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/gen"
)

// repeatHeaders are a request's parsed repeatability headers.
type repeatHeaders struct {
	id        string
	firstSent time.Time
}

// parseRepeatability checks the Repeatability-* headers. It returns nil,
// nil when the request carries none.
func (s *Server) parseRepeatability(r *http.Request) (*repeatHeaders, *answer) {
	id := r.Header.Get("Repeatability-Request-ID")
	sent := r.Header.Get("Repeatability-First-Sent")
	bad := func(code, format string, args ...any) (*repeatHeaders, *answer) {
		a := errorAnswer(http.StatusBadRequest, code, format, args...)
		a.header.Set("Repeatability-Result", "rejected")
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
		a.header.Set("Repeatability-Result", "rejected")
		return nil, &a
	}
	return &repeatHeaders{id: strings.ToLower(u.String()), firstSent: t}, nil
}

// repeatEntry remembers a repeatable request and, once done, its answer.
type repeatEntry struct {
	fingerprint [sha256.Size]byte
	firstSent   time.Time
	done        chan struct{}
	answer      answer
}

func (s *Server) executeRepeatable(r *http.Request, rep *repeatHeaders, callID string, req *gen.MuteParticipantsRequest, body []byte, delay time.Duration) handled {
	fp := sha256.Sum256([]byte(r.Method + "\n" + r.URL.EscapedPath() + "?" + r.URL.RawQuery + "\n" + rep.firstSent.Format(http.TimeFormat) + "\n" + string(body)))
	now := s.now()
	s.mu.Lock()
	for id, e := range s.repeats { // forget requests older than the window
		if now.Sub(e.firstSent) > s.window {
			delete(s.repeats, id)
		}
	}
	e, seen := s.repeats[rep.id]
	if !seen {
		e = &repeatEntry{fingerprint: fp, firstSent: rep.firstSent, done: make(chan struct{})}
		s.repeats[rep.id] = e
	}
	s.mu.Unlock()

	if seen {
		if e.fingerprint != fp {
			a := errorAnswer(http.StatusBadRequest, "RepeatabilityRequestIdReused",
				"Repeatability-Request-ID %s was already used for a different request", rep.id)
			a.header.Set("Repeatability-Result", "rejected")
			return handled{answer: a}
		}
		select {
		case <-e.done:
			a := e.answer
			a.header = a.header.Clone()
			a.header.Set("Repeatability-Result", "accepted")
			return handled{answer: a, replayed: true}
		default:
			a := errorAnswer(http.StatusConflict, "RepeatabilityRequestInProgress",
				"the first request with Repeatability-Request-ID %s is still in progress", rep.id)
			a.header.Set("Repeatability-Result", "accepted")
			return handled{answer: a}
		}
	}

	a := s.execute(rep, callID, req)
	pause(delay)
	a.header.Set("Repeatability-Result", "accepted")
	e.answer = a
	close(e.done)
	return handled{answer: a, executed: true}
}
