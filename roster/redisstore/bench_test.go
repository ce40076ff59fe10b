package redisstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/roster"
)

// benchEvents makes n ParticipantsUpdated events of call, numbered from 1,
// each with size participants, one of them toggling its mute per event.
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

// BenchmarkApply applies events of one call, in order, to a roster on a
// loopback redis-server (one process, both on this machine's cores):
// events/s for one call and one replica.
func BenchmarkApply(b *testing.B) {
	rs := startRedis(b)
	for _, size := range []int{10, 350} {
		b.Run(fmt.Sprint(size, "participants"), func(b *testing.B) {
			events := benchEvents("bench", size, 512)
			ctx := context.Background()
			round := 0
			newRoster := func() *roster.Roster {
				round++
				return roster.New(rs.open(b, fmt.Sprintf("{bench-%d-%d}:", size, round)), nil)
			}
			r := newRoster()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i == len(events) {
					b.StopTimer()
					r, i = newRoster(), 0
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
// limit per call) in Redis and reports Redis's own memory they take
// (used_memory), per call, changes stream included.
func BenchmarkMemoryPerCall(b *testing.B) {
	rs := startRedis(b)
	rdb := redis.NewClient(&redis.Options{Addr: rs.addr()})
	defer rdb.Close()
	ctx := context.Background()
	const calls = 200
	var events []callback.Event
	for c := range calls {
		events = append(events, benchEvents(fmt.Sprint("call-", c), 350, 1)...)
	}
	round := 0
	for b.Loop() {
		round++
		if err := rdb.FlushAll(ctx).Err(); err != nil {
			b.Fatal(err)
		}
		r := roster.New(rs.open(b, fmt.Sprintf("{mem-%d}:", round)), nil)
		before := usedMemory(b, rdb)
		for _, e := range events {
			if err := r.Apply(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(usedMemory(b, rdb)-before)/calls, "redis-bytes/call")
	}
}

func usedMemory(b *testing.B, rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Fatal("no used_memory in INFO")
	return 0
}
