package client

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/acsmute/acsmute/openapi/wire"
)

// RetryOptions configures how failed attempts are retried. The zero value
// means the defaults: 3 retries, 800ms base delay, 60s maximum delay and a
// 30s per-attempt timeout.
//
// An attempt is retried when it fails in transport (a failed DNS lookup or
// connection, a reset, a response lost or cut short, a per-attempt timeout),
// or the service answers 408, 429, 500, 502, 503 or 504, or 409 with a
// Repeatability-Result header (an earlier attempt of the same request is
// still in progress). A certificate that does not verify, a credential that
// gives no token and every other status are final at once; redirects are
// never followed. Every attempt of one call carries the same body and
// repeatability headers, so the service executes the mute at most once
// however many attempts reach it.
type RetryOptions struct {
	// MaxRetries is the number of retries after the first attempt.
	// Zero means 3; a negative value disables retries.
	MaxRetries int
	// RetryDelay is the base of the exponential backoff: the n-th retry
	// waits about RetryDelay*2^(n-1), with jitter. Zero means 800ms.
	RetryDelay time.Duration
	// MaxRetryDelay caps any single wait, including one a Retry-After
	// header asks for. Zero means 60s.
	MaxRetryDelay time.Duration
	// TryTimeout bounds each attempt, from sending the request to reading
	// the whole response, so that a server that accepts a request and never
	// answers cannot hold a call for ever. Zero means DefaultTryTimeout; a
	// negative value means no bound beyond the call's context.
	TryTimeout time.Duration
}

// DefaultTryTimeout is the per-attempt timeout when RetryOptions.TryTimeout
// is zero. A mute is answered in well under a second; with the default
// retries, a silent server ends a call in about two minutes, inside the
// repeatability window.
const DefaultTryTimeout = 30 * time.Second

// RepeatabilityWindow is how long the service remembers a
// Repeatability-Request-ID, counted from Repeatability-First-Sent. The client
// starts no attempt later than ResendWindow after it.
const RepeatabilityWindow = 5 * time.Minute

// repeatabilityMargin keeps the last attempt clear of the window's end.
const repeatabilityMargin = 30 * time.Second

// ResendWindow is how long after its Repeatability-First-Sent the client
// still sends a repeatable request (a mute or a remove), its first attempt
// and every resend alike: RepeatabilityWindow less a 30-second margin, so
// that no attempt reaches the service after it has forgotten the request.
// Resend a request whose outcome is unknown within it (errors say by when);
// later, read the participant back instead.
const ResendWindow = RepeatabilityWindow - repeatabilityMargin

func (o RetryOptions) withDefaults() (RetryOptions, error) {
	if o.RetryDelay < 0 || o.MaxRetryDelay < 0 {
		return o, invalid("RetryOptions.RetryDelay and MaxRetryDelay must not be negative")
	}
	switch {
	case o.TryTimeout == 0:
		o.TryTimeout = DefaultTryTimeout
	case o.TryTimeout < 0:
		o.TryTimeout = 0
	}
	switch {
	case o.MaxRetries == 0:
		o.MaxRetries = 3
	case o.MaxRetries < 0:
		o.MaxRetries = 0
	}
	if o.RetryDelay == 0 {
		o.RetryDelay = 800 * time.Millisecond
	}
	if o.MaxRetryDelay == 0 {
		o.MaxRetryDelay = 60 * time.Second
	}
	o.RetryDelay = min(o.RetryDelay, o.MaxRetryDelay)
	return o, nil
}

// retryableStatus reports whether a status may be retried; 409 is retried
// too when it carries a Repeatability-Result header (see classify).
func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff returns the wait before retry n (1-based): exponential with a
// random factor in [0.8, 1.3), capped at MaxRetryDelay.
func (o RetryOptions) backoff(n int) time.Duration {
	d := o.RetryDelay
	for i := 1; i < n && d < o.MaxRetryDelay; i++ {
		d *= 2
	}
	d = time.Duration(float64(d) * (0.8 + 0.5*rand.Float64())) // #nosec G404 -- jitter needs no cryptographic randomness
	return min(d, o.MaxRetryDelay)
}

// retryAfter returns the wait a response asks for through retry-after-ms,
// x-ms-retry-after-ms or Retry-After (seconds or an HTTP date), and whether
// it asked for one.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	for _, h := range [...]string{wire.HeaderRetryAfterMs, wire.HeaderXMsRetryAfterMs} {
		if v := resp.Header.Get(h); v != "" {
			if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && ms < 1e12 {
				return time.Duration(ms * float64(time.Millisecond)), true
			}
		}
	}
	v := resp.Header.Get(wire.HeaderRetryAfter)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 && s < 1e9 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
