package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/acsmute/acsmute/gen"
)

// muteCall is one logical MuteParticipant call and its attempts.
type muteCall struct {
	client   *Client
	url      string
	body     []byte
	bodyHash string
	rep      repeatability
	// fixed holds the values of the headers that every attempt sends
	// unchanged, in the order of fixedHeaders; attempts share the backing
	// array instead of allocating each value.
	fixed [len(fixedHeaders)]string
}

// fixedHeaders are the headers whose values stay the same on every attempt.
var fixedHeaders = [...]string{
	headerContentType, headerAccept, headerUserAgent,
	headerClientRequestID, headerRepeatabilityRequestID, headerRepeatabilityFirstSent,
}

// run makes attempts until one gives an answer to return, retries run out,
// the repeatability window is about to end or ctx ends.
//
// maybeExecuted records whether some attempt may have reached the service
// without a definite answer; it decides whether a failure is an unknown
// outcome. A verdict (see outcome) settles it either way, because every
// attempt carries the same repeatability headers.
func (m *muteCall) run(ctx context.Context) (MuteParticipantResult, error) {
	c := m.client
	if err := ctx.Err(); err != nil {
		return MuteParticipantResult{}, m.rep.fail(0, false, err)
	}
	deadline := m.rep.firstSent.Add(RepeatabilityWindow - repeatabilityMargin)
	maybeExecuted := false
	for attempt := 1; ; attempt++ {
		res := m.attempt(ctx)
		o := m.classify(res)
		maybeExecuted = maybeExecuted || o.maybeExecuted
		switch o.kind {
		case outcomeSuccess:
			c.logAttempt(ctx, attempt, res, 0)
			return m.success(attempt, res)
		case outcomeVerdict:
			c.logAttempt(ctx, attempt, res, 0)
			return MuteParticipantResult{}, m.rep.fail(attempt, false, o.err)
		case outcomeUnknown:
			c.logAttempt(ctx, attempt, res, 0)
			return MuteParticipantResult{}, m.rep.fail(attempt, true, o.err)
		case outcomeFinal:
			c.logAttempt(ctx, attempt, res, 0)
			return MuteParticipantResult{}, m.rep.fail(attempt, maybeExecuted, o.err)
		}
		// outcomeRetry
		if ctxErr := ctx.Err(); ctxErr != nil {
			c.logAttempt(ctx, attempt, res, 0)
			return MuteParticipantResult{}, m.rep.fail(attempt, maybeExecuted, fmt.Errorf("%w (last attempt: %w)", ctxErr, o.err))
		}
		if attempt > c.retry.MaxRetries {
			c.logAttempt(ctx, attempt, res, 0)
			return MuteParticipantResult{}, m.rep.fail(attempt, maybeExecuted, o.err)
		}
		now := c.clock.Now()
		delay, ok := retryAfter(res.resp, now)
		if ok {
			delay = min(delay, c.retry.MaxRetryDelay)
		} else {
			delay = c.retry.backoff(attempt)
		}
		if now.Add(delay).After(deadline) {
			c.logAttempt(ctx, attempt, res, 0)
			return MuteParticipantResult{}, m.rep.fail(attempt, maybeExecuted,
				fmt.Errorf("stopped retrying to stay inside the %v repeatability window: %w", RepeatabilityWindow, o.err))
		}
		c.logAttempt(ctx, attempt, res, delay)
		if err := c.clock.Sleep(ctx, delay); err != nil {
			return MuteParticipantResult{}, m.rep.fail(attempt, maybeExecuted, fmt.Errorf("%w (last attempt: %w)", err, o.err))
		}
	}
}

// success decodes a 200 answer. A body that is not a mute result means the
// answer did not come from the operation as documented: the outcome is
// unknown.
func (m *muteCall) success(attempts int, res attemptResult) (MuteParticipantResult, error) {
	out := MuteParticipantResult{
		StatusCode:             res.resp.StatusCode,
		RepeatabilityRequestID: m.rep.id,
		RepeatabilityFirstSent: m.rep.firstSent,
		Attempts:               attempts,
	}
	if len(bytes.TrimSpace(res.body)) == 0 {
		return out, nil
	}
	var cause error
	if len(res.body) > maxResponseBody {
		cause = fmt.Errorf("the service answered 200 with a body larger than %d bytes, which is not a mute result", maxResponseBody)
	} else if ct := res.resp.Header.Get(headerContentType); !isJSON(ct) {
		cause = fmt.Errorf("the service answered 200 with Content-Type %q instead of JSON", truncate(ct, 64))
	} else {
		var result gen.MuteParticipantsResult
		if err := json.Unmarshal(res.body, &result); err != nil {
			cause = fmt.Errorf("the service answered 200 with a body that is not a mute result: %w", err)
		} else if result.OperationContext != nil {
			out.OperationContext = *result.OperationContext
		}
	}
	if cause != nil {
		return MuteParticipantResult{}, m.rep.fail(attempts, true, cause)
	}
	return out, nil
}
