package acstest

import (
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

type logEntry struct {
	name string
	body []byte
	gone bool
}

func newTestLog(maxEntries, maxBytes int) *boundedLog[logEntry] {
	return &boundedLog[logEntry]{max: maxEntries, maxBytes: maxBytes,
		body: func(e *logEntry) *[]byte { return &e.body }, letGo: func(e *logEntry) { e.gone = true }}
}

// state renders the entries recent returns: name, then "-" when the body
// was let go.
func (l *boundedLog[T]) state(render func(*T) string) string {
	var out []string
	for i := range l.recent() {
		out = append(out, render(&l.recent()[i]))
	}
	return strings.Join(out, " ")
}

func renderEntry(e *logEntry) string {
	if e.gone {
		return e.name + "-"
	}
	return e.name
}

// The log keeps its last max entries and at most maxBytes of bodies, the
// newest bodies first, before and after it compacts; a log holding exactly
// maxBytes lets nothing go.
func TestBoundedLogLetsTheOldestBodiesGo(t *testing.T) {
	l := newTestLog(3, 10)
	for _, name := range []string{"a", "b"} {
		l.add(logEntry{name: name, body: []byte("12345")})
	}
	if got := l.state(renderEntry); got != "a b" || l.bytes != 10 {
		t.Errorf("at exactly maxBytes: %q, %d bytes", got, l.bytes)
	}
	for _, name := range []string{"c", "d", "e", "f", "g"} {
		l.add(logEntry{name: name, body: []byte("12345")})
	}
	// g's add compacted the log (a, b, c let go) and then let e's body go.
	if got := l.state(renderEntry); got != "e- f g" || l.bytes != 10 || l.lost() != 4 {
		t.Errorf("after compacting: %q, %d bytes, %d lost", got, l.bytes, l.lost())
	}

	// Nothing let go before the log compacts: the first body let go after
	// it is the oldest kept.
	l = newTestLog(3, 100)
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		l.add(logEntry{name: name, body: []byte("1")})
	}
	l.add(logEntry{name: "g", body: []byte(strings.Repeat("x", 98))})
	if got := l.state(renderEntry); got != "e f g" || l.bytes != 100 || !l.entries[0].gone || l.lost() != 4 {
		t.Errorf("a large body after compacting: %q, %d bytes, d let go %v, %d lost", got, l.bytes, l.entries[0].gone, l.lost())
	}
}

// A call's sequence numbers run up to the largest int32 (their wire form)
// and start again at 1 after it.
func TestSequenceNumberWrapsAfterMaxInt32(t *testing.T) {
	rc := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer rc.Close()
	const alice = "8:acs:r_alice"
	srv := Start(t, &Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	srv.mu.Lock()
	srv.calls["call-1"].sequence = math.MaxInt32 - 2
	srv.mu.Unlock()
	for _, muted := range []bool{true, false, true} {
		if err := srv.SetMuted("call-1", alice, muted); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.WaitForDeliveries(t.Context()); err != nil {
		t.Fatal(err)
	}
	var seqs []int
	for _, d := range srv.Deliveries() {
		seqs = append(seqs, d.SequenceNumber)
	}
	if want := []int{math.MaxInt32 - 1, math.MaxInt32, 1}; !slices.Equal(seqs, want) {
		t.Errorf("sequence numbers %v, want %v", seqs, want)
	}
}
