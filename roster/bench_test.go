package roster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/roster"
)

// BenchEvents makes n ParticipantsUpdated events of call, numbered from 1,
// each with size participants, one of them toggling its mute per event:
// what a busy call sends.
func benchEvents(call string, size, n int) []callback.Event {
	events := make([]callback.Event, n)
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for seq := 1; seq <= n; seq++ {
		parts := make([]map[string]any, size)
		for i := range parts {
			id := fmt.Sprintf("8:acs:b9614373-fd0b-480c-8fd2-cb58b70eab9f_%08d-8788-42a6-85c6-56b2cf784fce", i)
			parts[i] = map[string]any{"identifier": map[string]any{"kind": "communicationUser", "rawId": id, "communicationUser": map[string]any{"id": id}},
				"isMuted": i == seq%size && seq%2 == 0, "isOnHold": false}
		}
		data, _ := json.Marshal(map[string]any{"callConnectionId": call, "serverCallId": "srv", "correlationId": "corr", "sequenceNumber": seq, "participants": parts})
		events[seq-1] = callback.Event{ID: fmt.Sprint(seq), Source: "calling/callConnections/" + call, Type: callback.TypeParticipantsUpdated,
			Time: at.Add(time.Duration(seq) * time.Millisecond), Data: data}
	}
	return events
}

// BenchmarkApply applies events of one call, in order, to a roster in
// memory: events/s is what one replica can take for one call (events of
// different calls do not contend).
func BenchmarkApply(b *testing.B) {
	for _, size := range []int{10, 350} {
		b.Run(fmt.Sprint(size, "participants"), func(b *testing.B) {
			events := benchEvents("bench", size, 512)
			r := roster.New(nil, nil)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i == len(events) {
					// Start the numbering again, for a new call.
					b.StopTimer()
					r = roster.New(nil, nil)
					i = 0
					b.StartTimer()
				}
				if err := r.Apply(ctx, events[i]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkMemoryPerCall tracks calls of 350 participants (the service's
// limit per call) in a MemoryStore and reports the heap they take, per
// call.
func BenchmarkMemoryPerCall(b *testing.B) {
	const calls = 200
	var events []callback.Event
	for c := range calls {
		events = append(events, benchEvents(fmt.Sprint("call-", c), 350, 1)...)
	}
	ctx := context.Background()
	for b.Loop() {
		store := roster.NewMemoryStore()
		r := roster.New(store, nil)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, e := range events {
			if err := r.Apply(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if store.Len() != calls {
			b.Fatalf("%d calls tracked", store.Len())
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/calls, "bytes/call")
		runtime.KeepAlive(r)
	}
}
