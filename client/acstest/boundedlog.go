package acstest

// boundedLog is a log bounded in entries and in the bytes of their bodies,
// for the request log and the callback delivery log. It keeps the most
// recent max entries (holding up to twice that before letting the older
// half go, so that adding costs amortised O(1)) and at most maxBytes of
// bodies in all: past it, the oldest bodies are let go first. Its owner
// locks it.
type boundedLog[T any] struct {
	entries       []T
	max, maxBytes int
	bytes         int // of the bodies held
	bodyFrom      int // entries before it have had their bodies let go
	dropped       int // entries let go
	// body returns an entry's body; letGo, when set, marks an entry whose
	// body was let go.
	body  func(*T) *[]byte
	letGo func(*T)
}

// add appends e.
func (l *boundedLog[T]) add(e T) {
	if len(l.entries) >= 2*l.max {
		n := len(l.entries) - l.max
		for i := range l.entries[:n] {
			l.bytes -= len(*l.body(&l.entries[i]))
		}
		l.dropped += n
		l.bodyFrom = max(0, l.bodyFrom-n)
		l.entries = append([]T(nil), l.entries[n:]...)
	}
	l.entries = append(l.entries, e)
	l.bytes += len(*l.body(&e))
	for l.bytes > l.maxBytes && l.bodyFrom < len(l.entries) {
		old := &l.entries[l.bodyFrom]
		if b := l.body(old); *b != nil {
			l.bytes -= len(*b)
			*b = nil
			if l.letGo != nil {
				l.letGo(old)
			}
		}
		l.bodyFrom++
	}
}

// recent returns the entries kept, oldest first (not a copy).
func (l *boundedLog[T]) recent() []T { return l.entries[max(0, len(l.entries)-l.max):] }

// lost returns how many entries recent no longer returns.
func (l *boundedLog[T]) lost() int { return l.dropped + max(0, len(l.entries)-l.max) }
