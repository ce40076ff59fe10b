package client

import (
	"context"
	"sync"
	"time"
)

// FakeClock is a clock for tests: Sleep returns at once (or with ctx's
// error) after moving the time forward, and records the waits.
type FakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

// NewFakeClock returns a FakeClock reading t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{t: t} }

// Now returns the fake time.
func (c *FakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the fake time forward.
func (c *FakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Sleep records d and moves the time forward by it.
func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return nil
}

// Sleeps returns the waits so far.
func (c *FakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// UseClock makes c read and wait on clk.
func UseClock(c *Client, clk clock) { c.clock = clk }

// SetTokenClock makes a TokenCredential read now.
func SetTokenClock(c *TokenCredential, now func() time.Time) { c.st.now = now }

// ProxyUnlessLoopback is proxyUnlessLoopback, for tests.
var ProxyUnlessLoopback = proxyUnlessLoopback
