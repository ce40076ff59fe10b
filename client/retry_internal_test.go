package client

import (
	"net/http"
	"testing"
	"time"
)

// retryAfter reads every form of server-requested delay the issue names.
func TestRetryAfterHeaders(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
		ok     bool
	}{
		{"none", http.Header{}, 0, false},
		{"retry-after-ms", http.Header{"Retry-After-Ms": {"250"}}, 250 * time.Millisecond, true},
		{"x-ms-retry-after-ms", http.Header{"X-Ms-Retry-After-Ms": {"1500"}}, 1500 * time.Millisecond, true},
		{"Retry-After seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second, true},
		{"Retry-After HTTP date", http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second, true},
		{"Retry-After date in the past", http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, 0, true},
		{"milliseconds win over Retry-After", http.Header{"Retry-After-Ms": {"20"}, "Retry-After": {"9"}}, 20 * time.Millisecond, true},
		{"garbage ignored", http.Header{"Retry-After": {"soon"}, "X-Ms-Retry-After-Ms": {"-5"}}, 0, false},
		{"zero milliseconds", http.Header{"Retry-After-Ms": {"0"}}, 0, true},
		{"zero seconds", http.Header{"Retry-After": {"0"}}, 0, true},
		{"largest milliseconds", http.Header{"Retry-After-Ms": {"999999999999"}}, time.Duration(999999999999 * float64(time.Millisecond)), true},
		{"milliseconds too large", http.Header{"Retry-After-Ms": {"1e12"}}, 0, false},
		{"largest seconds", http.Header{"Retry-After": {"999999999"}}, 999999999 * time.Second, true},
		{"seconds too large", http.Header{"Retry-After": {"1e9"}}, 0, false},
	}
	for _, tt := range tests {
		got, ok := retryAfter(&http.Response{Header: tt.header}, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: retryAfter = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := retryAfter(nil, now); ok {
		t.Error("nil response asked for a delay")
	}
}

// backoff grows exponentially within the jitter band and never passes the cap.
func TestBackoff(t *testing.T) {
	o, err := RetryOptions{RetryDelay: 100 * time.Millisecond, MaxRetryDelay: time.Second}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for n, base := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond} {
		for range 50 {
			d := o.backoff(n)
			lo, hi := time.Duration(float64(base)*0.8), min(time.Duration(float64(base)*1.3), time.Second)
			if d < lo || d > hi {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, lo, hi)
			}
		}
	}
	for range 50 {
		if d := o.backoff(10); d > time.Second {
			t.Fatalf("backoff(10) = %v, past the 1s cap", d)
		}
	}
	// Jitter: waits differ, so that clients that failed together do not
	// retry together.
	seen := map[time.Duration]bool{}
	for range 50 {
		seen[o.backoff(2)] = true
	}
	if len(seen) < 10 {
		t.Errorf("50 waits took only %d values; want jitter", len(seen))
	}
}

// The defaults, and a negative TryTimeout turning the bound off.
func TestRetryDefaults(t *testing.T) {
	o, err := RetryOptions{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := RetryOptions{MaxRetries: 3, RetryDelay: 800 * time.Millisecond, MaxRetryDelay: 60 * time.Second, TryTimeout: DefaultTryTimeout}
	if o != want || DefaultTryTimeout != 30*time.Second {
		t.Errorf("defaults = %+v, want %+v", o, want)
	}
	o, _ = RetryOptions{TryTimeout: -1, MaxRetries: -1, RetryDelay: time.Hour}.withDefaults()
	if o.TryTimeout != 0 || o.MaxRetries != 0 || o.RetryDelay != o.MaxRetryDelay {
		t.Errorf("negative TryTimeout and MaxRetries, delay over the cap: %+v", o)
	}
}
