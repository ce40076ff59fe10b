package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client/acstest"
	"github.com/acsmute/acsmute/roster"
	"github.com/acsmute/acsmute/roster/redisstore"
	"github.com/acsmute/acsmute/roster/redisstore/redistest"
)

// Two replicas of the service share one roster in one Redis (a real
// redis-server), and the emulator's callbacks alternate between them, some
// duplicated, some held back to be overtaken: both replicas answer with the
// emulator's state at its last event, whichever of them got which callback.
func TestReplicasShareOneRoster(t *testing.T) {
	rs := redistest.Start(t)
	var replicas []*httptest.Server
	var targets []*url.URL
	var next atomic.Int64
	// The load balancer in front of the replicas: each callback to the next.
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := targets[next.Add(1)%int64(len(targets))]
		httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
	}))
	defer front.Close()
	emu := acstest.Start(t, &acstest.Options{CallbackURL: front.URL + "/callbacks",
		Calls: map[string][]string{"call-1": {alice, "4:+15551234567"}}})
	v, err := callback.NewVerifier(emu.ResourceID(), &callback.VerifierOptions{
		Issuer: emu.URL, KeysURL: emu.URL + acstest.PathCallbackKeys, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		// Each replica: its own Redis client, store and roster.
		rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
		t.Cleanup(func() { rdb.Close() })
		store, err := redisstore.New(context.Background(), rdb, nil)
		if err != nil {
			t.Fatal(err)
		}
		svc := httptest.NewServer(newHandler(emu.Client(), v, roster.New(store, nil)))
		t.Cleanup(svc.Close)
		replicas = append(replicas, svc)
		u, _ := url.Parse(svc.URL)
		targets = append(targets, u)
	}
	faults := rand.New(rand.NewPCG(1, 2))
	emu.SetDeliveryFaultFunc(func(int, acstest.Delivery) *acstest.DeliveryFault {
		switch faults.IntN(6) {
		case 0:
			return &acstest.DeliveryFault{Duplicate: true}
		case 1:
			return &acstest.DeliveryFault{Hold: 2}
		}
		return nil
	})
	// Moderation through one replica, and participants who come and go.
	post := func(replica int, path string) int {
		resp, err := http.Post(replicas[replica].URL+path, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(0, "/calls/call-1/participants/"+alice+":mute"); code != 200 {
		t.Fatalf("mute: %d", code)
	}
	for i := range 12 {
		who := fmt.Sprintf("8:acs:res_guest%d", i)
		if err := emu.AddParticipant("call-1", who); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if code := post(i%2, "/calls/call-1/participants/"+who+":mute"); code != 200 {
				t.Fatalf("mute %s: %d", who, code)
			}
		}
		if i%4 == 1 {
			if err := emu.RemoveParticipant("call-1", fmt.Sprintf("8:acs:res_guest%d", i-1)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := emu.SetMuted("call-1", alice, false); err != nil { // alice unmutes herself
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := emu.WaitForDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	parts, _ := emu.Participants("call-1")
	var want []string
	for _, p := range parts {
		want = append(want, fmt.Sprintf("%s muted=%v", p.RawID, p.Muted))
	}
	slices.Sort(want)
	lastSeq := 0
	for _, d := range emu.Deliveries() {
		lastSeq = max(lastSeq, d.SequenceNumber)
	}
	for i, svc := range replicas {
		resp, err := http.Get(svc.URL + "/calls/call-1/participants")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var st callState
		if err := json.Unmarshal(body, &st); err != nil || resp.StatusCode != 200 {
			t.Fatalf("replica %d: %d %s", i, resp.StatusCode, body)
		}
		var got []string
		for _, p := range st.Participants {
			got = append(got, fmt.Sprintf("%s muted=%v", p.RawID, p.IsMuted))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) || st.SequenceNumber != lastSeq || st.Source != roster.SourceEvent {
			t.Errorf("replica %d reads sequence %d:\n%s\nwant sequence %d:\n%s", i, st.SequenceNumber, strings.Join(got, "\n"), lastSeq, strings.Join(want, "\n"))
		}
	}
	// A resync through either replica reads the same.
	if code := post(1, "/calls/call-1/resync"); code != http.StatusNoContent {
		t.Errorf("resync: %d", code)
	}
	if code := post(1, "/calls/no-call/resync"); code != http.StatusNotFound {
		t.Errorf("resync of an unknown call: %d", code)
	}
}
