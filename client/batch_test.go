package client_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

func identifiers(raws []string) []client.Identifier {
	out := make([]client.Identifier, len(raws))
	for i, r := range raws {
		out[i] = client.CommunicationUserIdentifier{ID: r}
	}
	return out
}

// 40 mutes with Concurrency 4: never more than 4 requests in flight, every
// participant muted through injected 503s, each executed exactly once, one
// outcome per participant in input order with its own repeatability ID.
func TestMuteParticipantsConcurrencyAndRetries(t *testing.T) {
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) {
			raws := callOf(40)
			srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": raws}})
			srv.SetLatency(5 * time.Millisecond) // so that requests overlap
			srv.SetFaultFunc(func(seq int) *acstest.Fault {
				if seq%3 == 0 {
					return &acstest.Fault{Status: 503}
				}
				return nil
			})
			// Enough retries that no participant runs out of them on the
			// faults, whichever requests they land on.
			c, _ := srv.NewClient(&client.ClientOptions{APIVersion: v,
				Retry: client.RetryOptions{MaxRetries: 20, RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond}})
			out := c.MuteParticipants(context.Background(), "call-1", identifiers(raws), &client.MuteParticipantsOptions{Concurrency: 4, OperationContext: "batch"})
			if len(out) != 40 {
				t.Fatalf("%d outcomes", len(out))
			}
			ids := map[string]bool{}
			for i, o := range out {
				if o.Err != nil || o.Participant.RawID() != raws[i] || o.Result.StatusCode != 200 || o.Result.OperationContext != "batch" {
					t.Errorf("outcome %d: %+v", i, o)
				}
				ids[o.Result.RepeatabilityRequestID] = true
				if m, _ := srv.IsMuted("call-1", raws[i]); !m {
					t.Errorf("%s is not muted", raws[i])
				}
			}
			if len(ids) != 40 {
				t.Errorf("%d distinct repeatability IDs, want 40", len(ids))
			}
			if n := srv.TotalExecutions(); n != 40 {
				t.Errorf("%d executions, want 40", n)
			}
			if p := srv.PeakInFlight(); p > 4 || p < 2 {
				t.Errorf("peak in flight %d, want at most 4 (and some overlap)", p)
			}
			if n := len(srv.Requests()); n <= 40 {
				t.Errorf("%d requests: the injected 503s were not retried", n)
			}
		})
	}
}

// The default concurrency is 4.
func TestMuteParticipantsDefaultConcurrency(t *testing.T) {
	raws := callOf(24)
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": raws}})
	srv.SetLatency(10 * time.Millisecond)
	for _, o := range srv.Client().MuteParticipants(context.Background(), "call-1", identifiers(raws), nil) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
	}
	if p := srv.PeakInFlight(); p != client.DefaultMuteConcurrency {
		t.Errorf("peak in flight %d, want %d", p, client.DefaultMuteConcurrency)
	}
}

// When the service throttles one request (429 with Retry-After), no request
// of the batch starts before the time it asked for.
func TestMuteParticipantsThrottleSlowsTheBatch(t *testing.T) {
	raws := callOf(12)
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": raws}})
	srv.SetLatency(2 * time.Millisecond)
	srv.SetFaultFunc(func(seq int) *acstest.Fault {
		if seq == 3 {
			return &acstest.Fault{Status: 429, RetryAfter: "1"}
		}
		return nil
	})
	c, _ := srv.NewClient(&client.ClientOptions{Retry: client.RetryOptions{RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Second}})
	out := c.MuteParticipants(context.Background(), "call-1", identifiers(raws), &client.MuteParticipantsOptions{Concurrency: 3})
	for i, o := range out {
		if o.Err != nil {
			t.Fatalf("outcome %d: %v", i, o.Err)
		}
	}
	reqs := srv.Requests()
	var throttled time.Time
	for _, r := range reqs {
		if r.Status == 429 {
			throttled = r.Time
			continue
		}
		// Requests that started before the 429 was answered may arrive
		// just after it; allow them the latency of one answer.
		if !throttled.IsZero() && r.Time.After(throttled.Add(50*time.Millisecond)) && r.Time.Before(throttled.Add(900*time.Millisecond)) {
			t.Errorf("request %d arrived %v after the 429 that asked for 1s", r.Seq, r.Time.Sub(throttled))
		}
	}
	if throttled.IsZero() || srv.TotalExecutions() != 12 {
		t.Errorf("throttled at %v; %d executions", throttled, srv.TotalExecutions())
	}
}

// When ctx ends, the participants not yet sent are reported with ctx's
// error, nothing more is sent, and MuteParticipants returns.
func TestMuteParticipantsContextEnds(t *testing.T) {
	raws := callOf(50)
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": raws}})
	srv.SetLatency(40 * time.Millisecond)
	// End ctx once a third mute has executed: with two workers, the third
	// starts only after a first answer came back, so some are muted
	// however slow the machine, and most (50 at 40 ms each, two at a
	// time, take a second) are not yet sent.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for srv.TotalExecutions() < 3 && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	out := srv.Client().MuteParticipants(ctx, "call-1", identifiers(raws), &client.MuteParticipantsOptions{Concurrency: 2})
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %v", d)
	}
	muted, ended := 0, 0
	for i, o := range out {
		switch {
		case o.Err == nil:
			muted++
			if m, _ := srv.IsMuted("call-1", raws[i]); !m {
				t.Errorf("%s reported muted, is not", raws[i])
			}
		case errors.Is(o.Err, context.Canceled):
			ended++
		default:
			t.Errorf("outcome %d: %v", i, o.Err)
		}
	}
	if muted == 0 || ended < 25 || muted+ended != 50 {
		t.Errorf("%d muted, %d ended by the context", muted, ended)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(srv.Requests()); n > muted+2 {
		t.Errorf("%d requests for %d mutes: requests were sent after the context ended", n, muted)
	}
}

// Bad input is reported per participant; what concerns the whole batch is
// reported for every participant; nothing panics.
func TestMuteParticipantsBadInput(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice, bob, "4:+15551234567"}}})
	c := srv.Client()
	var nilPtr *client.CommunicationUserIdentifier
	in := []client.Identifier{
		client.CommunicationUserIdentifier{ID: alice},
		nil,
		client.PhoneNumberIdentifier{PhoneNumber: "+15551234567"},
		nilPtr,
		client.CommunicationUserIdentifier{ID: ""},
		client.CommunicationUserIdentifier{ID: bob},
		client.CommunicationUserIdentifier{ID: alice}, // listed twice: muted once
	}
	out := c.MuteParticipants(context.Background(), "call-1", in, nil)
	if len(out) != len(in) {
		t.Fatalf("%d outcomes", len(out))
	}
	var re *client.ResponseError
	if out[0].Err != nil || out[5].Err != nil || out[6].Err != nil || out[6].Result != out[0].Result {
		t.Errorf("good ones: %+v / %+v / %+v", out[0], out[5], out[6])
	}
	for _, i := range []int{1, 3, 4} {
		if !errors.Is(out[i].Err, client.ErrInvalidInput) {
			t.Errorf("outcome %d: %v, want an input error", i, out[i].Err)
		}
	}
	if !errors.As(out[2].Err, &re) || re.StatusCode != 400 {
		t.Errorf("phone: %v", out[2].Err)
	}
	if n := srv.TotalExecutions(); n != 2 {
		t.Errorf("%d executions, want 2 (alice once, bob)", n)
	}
	for name, tt := range map[string]struct {
		c    *client.Client
		ctx  context.Context
		call string
		opts *client.MuteParticipantsOptions
	}{
		"nil client":           {nil, context.Background(), "call-1", nil},
		"nil context":          {c, nil, "call-1", nil},
		"empty call":           {c, context.Background(), "", nil},
		"negative concurrency": {c, context.Background(), "call-1", &client.MuteParticipantsOptions{Concurrency: -1}},
		"long context":         {c, context.Background(), "call-1", &client.MuteParticipantsOptions{OperationContext: string(make([]byte, 5001))}},
	} {
		out := tt.c.MuteParticipants(tt.ctx, tt.call, in, tt.opts)
		if len(out) != len(in) {
			t.Fatalf("%s: %d outcomes", name, len(out))
		}
		for i, o := range out {
			if !errors.Is(o.Err, client.ErrInvalidInput) || o.Participant != in[i] {
				t.Errorf("%s: outcome %d: %+v", name, i, o)
			}
		}
	}
	if out := c.MuteParticipants(context.Background(), "call-1", nil, nil); out == nil || len(out) != 0 {
		t.Errorf("no participants: %#v", out)
	}
}

// Concurrent batches on one client are independent and race-free.
func TestMuteParticipantsConcurrentBatches(t *testing.T) {
	raws := callOf(30)
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": raws}})
	c := srv.Client()
	var wg sync.WaitGroup
	for b := range 3 {
		wg.Go(func() {
			for _, o := range c.MuteParticipants(context.Background(), "call-1", identifiers(raws[b*10:(b+1)*10]), nil) {
				if o.Err != nil {
					t.Error(o.Err)
				}
			}
		})
	}
	wg.Wait()
	if n := srv.TotalExecutions(); n != 30 {
		t.Errorf("%d executions", n)
	}
}

// A longer hold asked for while the batch already waits is waited for too.
func TestMuteParticipantsThrottleGrows(t *testing.T) {
	raws := callOf(6)
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": raws}})
	srv.SetLatency(300 * time.Millisecond)
	srv.SetFaultFunc(func(seq int) *acstest.Fault {
		switch seq {
		case 1:
			return &acstest.Fault{Status: 429, RetryAfter: "1"}
		case 2:
			return &acstest.Fault{Status: 429, RetryAfter: "2"}
		}
		return nil
	})
	c, _ := srv.NewClient(&client.ClientOptions{Retry: client.RetryOptions{RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Second}})
	for i, o := range c.MuteParticipants(context.Background(), "call-1", identifiers(raws), &client.MuteParticipantsOptions{Concurrency: 2}) {
		if o.Err != nil {
			t.Fatalf("outcome %d: %v", i, o.Err)
		}
	}
	var second time.Time
	for _, r := range srv.Requests() {
		if r.Seq == 2 {
			second = r.Time
		}
		// The second 429 was answered 300ms after its request arrived and
		// asked for 2s: nothing else arrives before then.
		if r.Seq > 2 && !second.IsZero() && r.Time.Before(second.Add(300*time.Millisecond+1900*time.Millisecond)) {
			t.Errorf("request %d arrived %v after the second 429's request", r.Seq, r.Time.Sub(second))
		}
	}
}

// shifty is a caller's Identifier whose raw ID is the next of a sequence
// each time it is read: the embedded identifier changes with it, so that
// each read is consistent on its own.
type shifty struct {
	*client.CommunicationUserIdentifier
	next []string
}

func (s *shifty) RawID() string {
	if len(s.next) > 0 {
		s.ID, s.next = s.next[0], s.next[1:]
	}
	return s.ID
}

// MuteParticipants reads each participant once: one whose raw ID changes
// between reads is muted as it was read when the batch de-duplicated, so
// that two participants are muted once each, not one of them twice.
func TestMuteParticipantsReadsEachParticipantOnce(t *testing.T) {
	a, b := "8:acs:r_a", "8:acs:r_b"
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {a, b}}})
	c, _ := srv.NewClient(nil)
	// Read once: a then b. Read again, each would say b.
	p1 := &shifty{CommunicationUserIdentifier: &client.CommunicationUserIdentifier{}, next: []string{a, b}}
	p2 := &shifty{CommunicationUserIdentifier: &client.CommunicationUserIdentifier{}, next: []string{b, b}}
	outcomes := c.MuteParticipants(context.Background(), "call-1", []client.Identifier{p1, p2}, &client.MuteParticipantsOptions{Concurrency: 1})
	for i, o := range outcomes {
		if o.Err != nil {
			t.Fatalf("outcome %d: %v", i, o.Err)
		}
	}
	sent := map[string]int{}
	for _, r := range srv.Requests() {
		for _, raw := range []string{a, b} {
			if strings.Contains(string(r.Body), `"`+raw+`"`) {
				sent[raw]++
			}
		}
	}
	if sent[a] != 1 || sent[b] != 1 {
		t.Errorf("mute requests per participant = %v, want one for each of %s and %s", sent, a, b)
	}
	for _, raw := range []string{a, b} {
		if muted, ok := srv.IsMuted("call-1", raw); !ok || !muted {
			t.Errorf("%s: muted %v, %v; want muted", raw, muted, ok)
		}
	}
}

// MuteParticipants reports input that concerns the whole batch (the call
// connection ID, the operation context) for every participant, a bad one
// among them too, and sends nothing.
func TestMuteParticipantsBatchInputFirst(t *testing.T) {
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, nil)
	bad := client.CommunicationUserIdentifier{ID: "not a raw ID"}
	for _, tt := range []struct {
		call, opContext, mention string
	}{
		{"", "", "call connection ID"},
		{"call-1", strings.Repeat("x", 5001), "OperationContext"},
	} {
		outs := c.MuteParticipants(context.Background(), tt.call, []client.Identifier{acsUser, bad}, &client.MuteParticipantsOptions{OperationContext: tt.opContext})
		for i, o := range outs {
			if !errors.Is(o.Err, client.ErrInvalidInput) || !strings.Contains(o.Err.Error(), tt.mention) {
				t.Errorf("%q, %d-byte context: outcome %d: %v, want an error naming the %s", tt.call, len(tt.opContext), i, o.Err, tt.mention)
			}
		}
	}
	if n := len(srv.seen()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
