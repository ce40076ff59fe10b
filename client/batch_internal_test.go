package client

import (
	"context"
	"errors"
	"testing"
	"time"
)

// extendingClock is a FakeClock whose first Sleep makes the throttle hold
// for a second more, as another request of the batch told to wait would.
type extendingClock struct {
	*FakeClock
	th       *throttle
	extended bool
}

func (c *extendingClock) Sleep(ctx context.Context, d time.Duration) error {
	err := c.FakeClock.Sleep(ctx, d)
	if !c.extended {
		c.extended = true
		c.th.hold(c.Now().Add(time.Second))
	}
	return err
}

// A hold made while the batch waits, for longer, is waited for too; an
// ended context ends the wait.
func TestThrottleWaitsForAHoldMadeWhileWaiting(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	th := &throttle{}
	clk := &extendingClock{FakeClock: NewFakeClock(t0), th: th}
	th.hold(t0.Add(time.Second))
	if err := th.wait(context.Background(), clk); err != nil {
		t.Fatal(err)
	}
	if got := clk.Now().Sub(t0); got != 2*time.Second {
		t.Errorf("waited %v, want 2s", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	th.hold(clk.Now().Add(time.Second))
	if err := th.wait(ctx, clk); !errors.Is(err, context.Canceled) {
		t.Errorf("an ended context: %v", err)
	}
}
