package acstest_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// x-ms-date may be exactly MaxClockSkew away from the server's clock, on
// either side, and no further.
func TestDateSkewBoundaries(t *testing.T) {
	const skew = 3 * time.Minute
	clk := newFakeClock(time.Date(2025, time.March, 9, 12, 0, 0, 0, time.UTC))
	srv := newServer(t, &acstest.Options{Now: clk.Now, MaxClockSkew: skew})
	for _, tt := range []struct {
		offset time.Duration
		status int
	}{{skew, 200}, {-skew, 200}, {skew + time.Second, 401}, {-skew - time.Second, 401}} {
		resp, b := rawRequest{body: muteBody(bob, ""), date: clk.Now().Add(tt.offset)}.do(t, srv)
		if resp.StatusCode != tt.status {
			t.Errorf("x-ms-date %v from the clock: status %d %v, want %d", tt.offset, resp.StatusCode, b, tt.status)
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

// Requests are numbered 1, 2, 3 in arrival order, and the fault function
// sees the same numbers.
func TestRequestSequenceNumbers(t *testing.T) {
	srv := newServer(t, nil)
	var mu sync.Mutex
	var seen []int
	srv.SetFaultFunc(func(seq int) *acstest.Fault { mu.Lock(); seen = append(seen, seq); mu.Unlock(); return nil })
	for range 3 {
		rawRequest{body: muteBody(bob, "")}.do(t, srv)
	}
	reqs := srv.Requests()
	for i, r := range reqs {
		if r.Seq != i+1 {
			t.Errorf("request %d has Seq %d", i, r.Seq)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 || seen[0] != 1 || seen[2] != 3 {
		t.Errorf("fault function saw %v, want [1 2 3]", seen)
	}
}

// A body one byte over the limit is refused as too large; one at the limit
// is read whole (and then refused for what it says).
func TestBodyLimit(t *testing.T) {
	srv := newServer(t, nil)
	resp, _ := rawRequest{body: strings.Repeat(" ", 1<<20+1)}.do(t, srv)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB + 1 byte: status %d, want 413", resp.StatusCode)
	}
	resp, _ = rawRequest{body: strings.Repeat(" ", 1<<20)}.do(t, srv)
	if resp.StatusCode == http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB: status 413, want the body read and judged")
	}
}

// Paths that have the operation's prefix and suffix but no call ID between
// them, or that overlap, are answered 404 NotFound, never a dropped
// connection.
func TestPathsWithoutCallID(t *testing.T) {
	srv := newServer(t, nil)
	for _, p := range []string{
		"/calling/callConnections/participants:mute?api-version=" + client.APIVersion,
		"/calling/callConnections//participants:mute?api-version=" + client.APIVersion,
	} {
		resp, b, err := rawRequest{path: p, body: muteBody(bob, "")}.send(t, srv)
		if err != nil {
			t.Errorf("%s: no answer: %v", p, err)
			continue
		}
		if resp.StatusCode != 404 || errorCode(t, resp, b) != "NotFound" {
			t.Errorf("%s: status %d %v, want 404 NotFound", p, resp.StatusCode, b)
		}
	}
}

// Teams extension users are Communication Services users on this API
// version and can be muted.
func TestTeamsExtensionUserCanBeMuted(t *testing.T) {
	const ext = "8:acs:res_tenant_user"
	srv := newServer(t, &acstest.Options{Calls: map[string][]string{"call-1": {ext}}})
	resp, b := rawRequest{body: muteBody(ext, "")}.do(t, srv)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d %v", resp.StatusCode, b)
	}
	if m, _ := srv.IsMuted("call-1", ext); !m {
		t.Error("not muted")
	}
}

// A fault's retry headers are sent only when set; its latency adds to the
// server's.
func TestFaultHeadersAndLatency(t *testing.T) {
	srv := newServer(t, nil)
	srv.InjectFaults(1, acstest.Fault{Status: 503, RetryAfterMs: "25", RetryAfter: "2"})
	srv.InjectFaults(1, acstest.Fault{Status: 503})
	resp, _ := rawRequest{body: muteBody(bob, "")}.do(t, srv)
	if resp.Header.Get("Retry-After-Ms") != "25" || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("headers %v", resp.Header)
	}
	resp, _ = rawRequest{body: muteBody(bob, "")}.do(t, srv)
	if _, ok := resp.Header["Retry-After-Ms"]; ok {
		t.Errorf("retry-after-ms sent for a fault without it: %v", resp.Header)
	}
	if _, ok := resp.Header["Retry-After"]; ok {
		t.Errorf("Retry-After sent for a fault without it: %v", resp.Header)
	}

	srv.SetLatency(60 * time.Millisecond)
	srv.InjectFaults(1, acstest.Fault{Status: 503, Latency: 60 * time.Millisecond})
	start := time.Now()
	rawRequest{body: muteBody(bob, "")}.do(t, srv)
	if d := time.Since(start); d < 120*time.Millisecond {
		t.Errorf("answered after %v; want the fault's and the server's latency added (120ms)", d)
	}
}

// Options print their key as REDACTED only when there is one.
func TestOptionsString(t *testing.T) {
	if s := (acstest.Options{}).String(); !strings.Contains(s, `AccessKey: ""`) {
		t.Errorf("empty key: %s", s)
	}
	if s := (acstest.Options{Credentials: acstest.NewCredentials(fakeKey)}).String(); !strings.Contains(s, "AccessKey: REDACTED") {
		t.Errorf("with a key: %s", s)
	}
}

// A request refused before it is handled (its body too large) still gets
// the next sequence number.
func TestRefusedRequestsAreNumbered(t *testing.T) {
	srv := newServer(t, nil)
	rawRequest{body: muteBody(bob, "")}.do(t, srv)
	rawRequest{body: strings.Repeat(" ", 1<<20+1)}.do(t, srv)
	rawRequest{body: muteBody(bob, "")}.do(t, srv)
	reqs := srv.Requests()
	for i, r := range reqs {
		if r.Seq != i+1 {
			t.Errorf("request %d (status %d) has Seq %d", i, r.Status, r.Seq)
		}
	}
}
