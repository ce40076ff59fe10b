package client

import (
	"context"
	"net/http"
	"sync/atomic"
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

// httpDates formats times as IMF-fixdates (http.TimeFormat), formatting
// each second once: every call of a busy client within a second signs and
// stamps the same date. The zero value is ready to use and safe for
// concurrent use.
type httpDates struct{ last atomic.Pointer[httpDate] }

// httpDate is one second's IMF-fixdate.
type httpDate struct {
	unix int64
	text string
}

// format returns t, in UTC and to the second, as an IMF-fixdate.
func (d *httpDates) format(t time.Time) string {
	unix := t.Unix()
	if last := d.last.Load(); last != nil && last.unix == unix {
		return last.text
	}
	text := t.UTC().Format(http.TimeFormat)
	d.last.Store(&httpDate{unix: unix, text: text})
	return text
}
