package client

import (
	"context"
	"time"
)

// clock is the time source of a Client: the x-ms-date it signs, the
// repeatability window it keeps to and the waits between attempts. Tests
// replace it so that window and backoff checks are exact and instant.
type clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d or until ctx ends, returning ctx.Err() in that case.
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := time.NewTimer(d) // fires at once for d <= 0
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
