package client

import (
	"context"
	"sync"
	"time"
)

// DefaultMuteConcurrency is how many mutes MuteParticipants keeps in flight
// when MuteParticipantsOptions.Concurrency is zero.
const DefaultMuteConcurrency = 4

// MuteParticipantsOptions are the optional parameters of MuteParticipants.
type MuteParticipantsOptions struct {
	// OperationContext is sent with every mute of the batch, as
	// MuteParticipantOptions.OperationContext.
	OperationContext string

	// Concurrency is the most mute requests in flight at once. Zero means
	// DefaultMuteConcurrency (4).
	Concurrency int
}

// MuteOutcome is what became of one participant of MuteParticipants.
type MuteOutcome struct {
	// Participant is the participant as it was passed.
	Participant Identifier
	// Result is MuteParticipant's result when Err is nil.
	Result MuteParticipantResult
	// Err is MuteParticipant's error, or nil when the participant was
	// muted. It is read exactly as MuteParticipant's: ErrInvalidInput for
	// bad input (nothing sent), a *ResponseError for the service's refusal,
	// ErrOutcomeUnknown (with a *MuteError holding the values to resend the
	// same request) when the client cannot tell, ctx's error when ctx ended.
	Err error
}

// MuteParticipants mutes each of participants in the call connection
// callConnectionID and returns one outcome per participant, in input order.
// opts may be nil.
//
// Each participant is its own logical request, with its own repeatability
// ID, retried as MuteParticipant retries, so each outcome is as honest as
// MuteParticipant's and a failure in the middle leaves a record of who was
// muted and who was not. A participant listed twice (the same raw ID) is
// muted once; both entries get that outcome. Each participant is read
// (its methods called) once, before anything is sent.
//
// At most opts.Concurrency requests are in flight at once. When the service
// throttles (an answer with Retry-After, such as 429), the whole batch waits
// as it asks, not only the request that was told: no request of the batch
// starts before then. When ctx ends, requests in flight end as
// MuteParticipant's do and the participants not yet sent are reported with
// an error matching ctx.Err(); MuteParticipants returns without waiting for
// anything else. Bad input is reported in the outcomes: for every
// participant when it concerns the whole batch (the client, ctx, the call
// connection ID, the options), else for the participant it concerns.
func (c *Client) MuteParticipants(ctx context.Context, callConnectionID string, participants []Identifier, opts *MuteParticipantsOptions) []MuteOutcome {
	out := make([]MuteOutcome, len(participants))
	for i, p := range participants {
		out[i].Participant = p
	}
	if opts == nil {
		opts = &MuteParticipantsOptions{}
	}
	if err := c.checkBatch(ctx, callConnectionID, opts); err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	concurrency := opts.Concurrency
	if concurrency == 0 {
		concurrency = DefaultMuteConcurrency
	}

	// Who to send, once per raw ID; duplicates take the first one's outcome.
	// Each participant is read once, here: what is sent is what was
	// de-duplicated, whatever a caller's Identifier would answer next time.
	first := make([]int, len(participants))
	resolved := make([]Identifier, len(participants))
	byRawID := map[string]int{}
	var todo []int
	for i, p := range participants {
		first[i] = i
		who, err := resolveIdentifier(p)
		if err != nil {
			out[i].Err = err
			continue
		}
		resolved[i] = who
		if j, dup := byRawID[who.RawID()]; dup {
			first[i] = j
			continue
		}
		byRawID[who.RawID()] = i
		todo = append(todo, i)
	}

	jobs := make(chan int, len(todo))
	for _, i := range todo {
		jobs <- i
	}
	close(jobs)
	th := &throttle{}
	bctx := withThrottle(ctx, th)
	one := &MuteParticipantOptions{OperationContext: opts.OperationContext}
	var wg sync.WaitGroup
	for range min(concurrency, len(todo)) {
		wg.Go(func() {
			for i := range jobs {
				// Wait out a throttle before the mute starts, so that the
				// wait does not count against its repeatability window
				// (which starts when MuteParticipant stamps its first send).
				// Once ctx has ended, MuteParticipant returns at once,
				// sending nothing, with ctx's error.
				_ = th.wait(bctx, c.clock)
				res, err := c.MuteParticipant(bctx, callConnectionID, resolved[i], one)
				out[i].Result, out[i].Err = res, err
			}
		})
	}
	wg.Wait()
	for i, j := range first {
		if j != i {
			out[i].Result, out[i].Err = out[j].Result, out[j].Err
		}
	}
	return out
}

// checkBatch checks the input that concerns the whole batch.
func (c *Client) checkBatch(ctx context.Context, callConnectionID string, opts *MuteParticipantsOptions) error {
	switch {
	case c == nil || c.api == nil:
		return invalid("the Client was not made by NewClient")
	case ctx == nil:
		return invalid("context is nil")
	case opts.Concurrency < 0:
		return invalid("MuteParticipantsOptions.Concurrency must not be negative")
	}
	if err := checkCallConnectionID(callConnectionID); err != nil {
		return err
	}
	return checkOperationContext(opts.OperationContext)
}

// throttle is shared by the requests of one batch: when the service asks
// one of them to wait (Retry-After), none of them starts before then.
type throttle struct {
	mu    sync.Mutex
	until time.Time
}

type throttleKey struct{}

func withThrottle(ctx context.Context, t *throttle) context.Context {
	return context.WithValue(ctx, throttleKey{}, t)
}

func throttleFrom(ctx context.Context) *throttle {
	t, _ := ctx.Value(throttleKey{}).(*throttle)
	return t
}

// hold makes the batch wait until at least until.
func (t *throttle) hold(until time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if until.After(t.until) {
		t.until = until
	}
}

// wait returns when the batch may send again, or ctx's error. A hold made
// while it waits, for longer, is waited for too.
func (t *throttle) wait(ctx context.Context, clk clock) error {
	for {
		t.mu.Lock()
		d := t.until.Sub(clk.Now())
		t.mu.Unlock()
		if d <= 0 {
			return nil
		}
		if err := clk.Sleep(ctx, d); err != nil {
			return err
		}
	}
}
