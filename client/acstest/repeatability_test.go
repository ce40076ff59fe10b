package acstest_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/client/acstest"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// RFC 9110's example IMF-fixdate, a Sunday.
const imfExample = "Sun, 06 Nov 1994 08:49:37 GMT"

// A Repeatability-First-Sent that time.Parse reads but that is not the
// canonical IMF-fixdate is refused, like one it cannot read at all.
func TestFirstSentMustBeCanonicalIMFFixdate(t *testing.T) {
	sent, err := time.Parse(http.TimeFormat, imfExample)
	if err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock(sent.Add(23 * time.Second))
	srv := newServer(t, &acstest.Options{Now: clk.Now})
	tests := []struct {
		name, firstSent string
		parses          bool // time.Parse(http.TimeFormat) reads it
	}{
		{"wrong weekday", "Mon, 06 Nov 1994 08:49:37 GMT", true},
		{"lower-case names", "sun, 06 nov 1994 08:49:37 GMT", true},
		{"upper-case names", "SUN, 06 NOV 1994 08:49:37 GMT", true},
		{"one-digit hour", "Sun, 06 Nov 1994 8:49:37 GMT", true},
		{"fractional seconds", "Sun, 06 Nov 1994 08:49:37.5 GMT", true},
		{"two spaces after the comma", "Sun,  06 Nov 1994 08:49:37 GMT", true},
		{"two spaces before the month", "Sun, 06  Nov 1994 08:49:37 GMT", true},
		{"one-digit day", "Sun, 6 Nov 1994 08:49:37 GMT", false},
		{"lower-case zone", "Sun, 06 Nov 1994 08:49:37 gmt", false},
		{"UTC zone", "Sun, 06 Nov 1994 08:49:37 UTC", false},
		{"numeric zone", "Sun, 06 Nov 1994 08:49:37 +0000", false},
		{"full weekday", "Sunday, 06 Nov 1994 08:49:37 GMT", false},
		{"ANSI C asctime", "Sun Nov  6 08:49:37 1994", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := time.Parse(http.TimeFormat, tt.firstSent); (err == nil) != tt.parses {
				t.Fatalf("time.Parse error %v: the case does not test what it says", err)
			}
			resp, b := rawRequest{body: muteBody(alice, ""), date: clk.Now(), repeatID: uuid.NewString(), firstSent: tt.firstSent}.do(t, srv)
			if resp.StatusCode != 400 || errorCode(t, resp, b) != "InvalidRepeatabilityFirstSent" {
				t.Errorf("status %d %v, want 400 InvalidRepeatabilityFirstSent", resp.StatusCode, b)
			}
			if got := resp.Header.Get("Repeatability-Result"); got != "rejected" {
				t.Errorf("Repeatability-Result = %q", got)
			}
		})
	}
	if n := srv.TotalExecutions(); n != 0 {
		t.Errorf("%d executions for refused requests", n)
	}
	if m, _ := srv.IsMuted("call-1", alice); m {
		t.Error("a refused request muted alice")
	}
	// The canonical form of the same instant is accepted.
	resp, b := rawRequest{body: muteBody(alice, ""), date: clk.Now(), repeatID: uuid.NewString(), firstSent: imfExample}.do(t, srv)
	if resp.StatusCode != 200 {
		t.Errorf("canonical %q: %d %v", imfExample, resp.StatusCode, b)
	}
}

// A Repeatability-First-Sent later than the server's clock plus the allowed
// skew is refused; up to the skew is accepted.
func TestFirstSentInTheFuture(t *testing.T) {
	const skew = 2 * time.Minute
	clk := newFakeClock(time.Date(2025, time.March, 9, 12, 0, 0, 0, time.UTC))
	srv := newServer(t, &acstest.Options{Now: clk.Now, MaxClockSkew: skew})
	tests := []struct {
		name   string
		ahead  time.Duration
		status int
		code   string
	}{
		{"an hour ahead", time.Hour, 400, "InvalidRepeatabilityFirstSent"},
		{"just beyond the skew", skew + time.Second, 400, "InvalidRepeatabilityFirstSent"},
		{"at the skew", skew, 200, ""},
		{"within the skew", time.Second, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent := clk.Now().Add(tt.ahead).Format(http.TimeFormat)
			resp, b := rawRequest{body: muteBody(bob, ""), date: clk.Now(), repeatID: uuid.NewString(), firstSent: sent}.do(t, srv)
			if resp.StatusCode != tt.status {
				t.Fatalf("First-Sent %s with the clock at %s: status %d %v, want %d",
					sent, clk.Now().Format(http.TimeFormat), resp.StatusCode, b, tt.status)
			}
			if tt.code != "" {
				if code := errorCode(t, resp, b); code != tt.code {
					t.Errorf("code = %q, want %q", code, tt.code)
				}
				if msg, _ := b["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "future") {
					t.Errorf("message %q does not say the date is in the future", msg)
				}
			}
		})
	}
}

// A Repeatability-Request-ID is remembered for the repeatability window
// after its First-Sent, then forgotten with its execution count: reusing it
// with a fresh First-Sent executes again (counted afresh) instead of being
// refused as a reused ID.
func TestExpiredRepeatabilityIDsAreForgotten(t *testing.T) {
	const window = time.Minute
	clk := newFakeClock(time.Date(2025, time.March, 9, 12, 0, 0, 0, time.UTC))
	srv := newServer(t, &acstest.Options{Now: clk.Now, RepeatabilityWindow: window})
	id := uuid.NewString()
	body := muteBody(alice, "op")
	send := func() (*http.Response, map[string]any) {
		return rawRequest{body: body, date: clk.Now(), repeatID: id, firstSent: clk.Now().Format(http.TimeFormat)}.do(t, srv)
	}
	steps := []struct {
		name     string
		advance  time.Duration
		status   int
		code     string
		execs    int
		executed bool
	}{
		{"first use", 0, 200, "", 1, true},
		{"inside the window, another First-Sent", window / 2, 400, "RepeatabilityRequestIdReused", 1, false},
		{"at the end of the window, another First-Sent", window / 2, 400, "RepeatabilityRequestIdReused", 1, false},
		{"after the window, a fresh First-Sent", time.Second, 200, "", 1, true},
		{"and again inside the new window", window / 2, 400, "RepeatabilityRequestIdReused", 1, false},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		resp, b := send()
		if resp.StatusCode != st.status {
			t.Fatalf("step %d (%s): status %d %v, want %d", i, st.name, resp.StatusCode, b, st.status)
		}
		if st.code != "" && errorCode(t, resp, b) != st.code {
			t.Errorf("step %d (%s): %v, want %s", i, st.name, b, st.code)
		}
		if n := srv.Executions(id); n != st.execs {
			t.Errorf("step %d (%s): executions = %d, want %d", i, st.name, n, st.execs)
		}
		if i >= 3 && srv.TotalExecutions() != 2 {
			t.Errorf("step %d (%s): %d executions in all, want 2", i, st.name, srv.TotalExecutions())
		}
		reqs := srv.Requests()
		if last := reqs[len(reqs)-1]; last.Executed != st.executed || last.Replayed {
			t.Errorf("step %d (%s): executed=%v replayed=%v", i, st.name, last.Executed, last.Replayed)
		}
	}
}

// Repeatability-First-Sent exactly one window old is still tracked; a second
// older is not.
func TestFirstSentWindowBoundary(t *testing.T) {
	const window = 2 * time.Minute
	clk := newFakeClock(time.Date(2025, time.March, 9, 12, 0, 0, 0, time.UTC))
	srv := newServer(t, &acstest.Options{Now: clk.Now, RepeatabilityWindow: window, MaxClockSkew: time.Hour})
	for _, tt := range []struct {
		age    time.Duration
		status int
	}{{window, 200}, {window + time.Second, 412}} {
		sent := clk.Now().Add(-tt.age).Format(http.TimeFormat)
		resp, b := rawRequest{body: muteBody(bob, ""), date: clk.Now(), repeatID: uuid.NewString(), firstSent: sent}.do(t, srv)
		if resp.StatusCode != tt.status {
			t.Errorf("First-Sent %v old: status %d %v, want %d", tt.age, resp.StatusCode, b, tt.status)
		}
	}
}
