//go:build !mutation

package client_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// TestSoakExactlyOnce mutes 1,024 participants from 32 goroutines through an
// emulator that injects random faults into a third of the requests, and
// checks that every call ends in a result or an error, that no mute executes
// twice, and that every success is visible in the emulator's state.
func TestSoakExactlyOnce(t *testing.T) {
	const (
		workers      = 32
		perWorker    = 32
		participants = workers * perWorker
	)
	ids := make([]string, participants)
	for i := range ids {
		ids[i] = fmt.Sprintf("8:acs:soak_user%04d", i)
	}
	srv, err := acstest.NewServer(&acstest.Options{Credentials: acstest.NewCredentials(fakeKey), Calls: map[string][]string{"soak": ids}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	faults := []acstest.Fault{
		{Status: 503}, {Status: 500}, {Status: 429, RetryAfterMs: "1"}, {Status: 408}, {Status: 502}, {Status: 504},
		{Drop: acstest.DropBeforeExecute}, {Drop: acstest.DropAfterExecute},
		{Latency: 130 * time.Millisecond}, // past the per-attempt timeout: the retry meets 409, then the replay
	}
	srv.SetFaultFunc(func(int) *acstest.Fault {
		mu.Lock()
		defer mu.Unlock()
		if rng.IntN(3) != 0 {
			return nil
		}
		f := faults[rng.IntN(len(faults))]
		return &f
	})

	c, err := client.NewClientFromConnectionString(srv.ConnectionString(), &client.ClientOptions{Retry: client.RetryOptions{
		MaxRetries: 8, RetryDelay: time.Millisecond, MaxRetryDelay: 20 * time.Millisecond, TryTimeout: 100 * time.Millisecond,
	}})
	if err != nil {
		t.Fatal(err)
	}

	type outcome struct {
		rawID, requestID string
		err              error
	}
	results := make(chan outcome, participants)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				raw := ids[w*perWorker+i]
				res, err := c.MuteParticipant(ctx, "soak", client.CommunicationUserIdentifier{ID: raw}, nil)
				results <- outcome{raw, res.RepeatabilityRequestID, err}
			}
		}()
	}
	wg.Wait()
	close(results)

	succeeded, failed := 0, 0
	for r := range results {
		if r.err != nil {
			// Every participant is in the call, so the only honest failure
			// is running out of retries without a definite answer.
			failed++
			var me *client.MuteError
			if !errors.As(r.err, &me) || !errors.Is(r.err, client.ErrOutcomeUnknown) {
				t.Errorf("%s: a failure that is not an unknown outcome: %v", r.rawID, r.err)
			}
			if failed <= 3 {
				t.Logf("failure: %v", r.err)
			}
			continue
		}
		succeeded++
		if muted, ok := srv.IsMuted("soak", r.rawID); !muted || !ok {
			t.Errorf("%s: mute succeeded but the emulator has it unmuted", r.rawID)
		}
		if n := srv.Executions(r.requestID); n != 1 {
			t.Errorf("%s: executed %d times", r.rawID, n)
		}
	}
	if succeeded+failed != participants {
		t.Fatalf("%d outcomes for %d calls", succeeded+failed, participants)
	}
	// A third of the requests fail and each call has nine attempts: nearly
	// every call must get through, even on a loaded machine.
	if floor := participants * 98 / 100; succeeded < floor {
		t.Errorf("%d of %d mutes succeeded, want at least %d", succeeded, participants, floor)
	}
	if total := srv.TotalExecutions(); total > participants {
		t.Errorf("%d executions for %d logical mutes", total, participants)
	}
	reqs := srv.Requests()
	seen := map[string]int{}
	for _, r := range reqs {
		if r.Executed {
			seen[r.Header.Get("Repeatability-Request-ID")]++
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("request %s executed %d times", id, n)
		}
	}
	if len(reqs) <= participants {
		t.Errorf("only %d requests for %d mutes: no faults were injected", len(reqs), participants)
	}
	t.Logf("%d mutes: %d succeeded, %d failed, %d requests, %d executions", participants, succeeded, failed, len(reqs), srv.TotalExecutions())
}
