package acstest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
)

// BenchmarkRepeatableMute shows that a request's cost does not grow with the
// number of repeatability IDs the server remembers: run it with
// -bench RepeatableMute -benchmem and compare the sub-benchmarks.
func BenchmarkRepeatableMute(b *testing.B) {
	for _, remembered := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("remembered=%d", remembered), func(b *testing.B) {
			s, err := NewServer(&Options{Credentials: NewCredentials("", "fake-bench-token"), Calls: map[string][]string{"call": {"8:acs:r_u"}}})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			now := s.now()
			done := make(chan struct{})
			close(done)
			s.mu.Lock()
			for i := range remembered {
				s.repeats.add(&repeatEntry{id: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), firstSent: now, done: done})
			}
			s.mu.Unlock()
			body := []byte(`{"targetParticipants":[{"kind":"communicationUser","rawId":"8:acs:r_u","communicationUser":{"id":"8:acs:r_u"}}]}`)
			sent := now.UTC().Format(http.TimeFormat)
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/calling/callConnections/call/participants:mute?api-version=2024-09-15", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer fake-bench-token")
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Repeatability-Request-ID", uuid.NewString())
				req.Header.Set("Repeatability-First-Sent", sent)
				w := httptest.NewRecorder()
				s.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// Expired IDs are forgotten, and only those, with their execution counts.
func TestRepeatStoreExpiry(t *testing.T) {
	st := newRepeatStore()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, age := range []int{5, 1, 9, 3, 7} { // minutes before base, out of order
		st.add(&repeatEntry{id: fmt.Sprint(i), firstSent: base.Add(-time.Duration(age) * time.Minute)})
	}
	var forgotten []string
	st.expire(base, 4*time.Minute, func(id string) { forgotten = append(forgotten, id) })
	if fmt.Sprint(forgotten) != "[2 4 0]" || len(st.byID) != 2 || len(st.heap) != 2 {
		t.Errorf("forgot %v, kept %d/%d", forgotten, len(st.byID), len(st.heap))
	}
	if _, ok := st.byID["1"]; !ok {
		t.Error("a fresh ID was forgotten")
	}
}
