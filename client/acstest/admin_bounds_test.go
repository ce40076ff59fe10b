package acstest_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// The admin API's bounds, each held at its value.
func TestAdminBoundsExactly(t *testing.T) {
	srv := startAdmin(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
	// GET /admin/v1/ names the callback URL once set, null before.
	if _, _, v := adminDo(t, srv, adminToken, "GET", "/admin/v1/", ""); v["callbackUrl"] != nil {
		t.Errorf("no callback URL: %v", v["callbackUrl"])
	}
	if err := srv.SetCallbackURL("http://127.0.0.1:9/cb"); err != nil {
		t.Fatal(err)
	}
	if _, _, v := adminDo(t, srv, adminToken, "GET", "/admin/v1/", ""); v["callbackUrl"] != "http://127.0.0.1:9/cb" {
		t.Errorf("callback URL: %v", v["callbackUrl"])
	}
	_ = srv.SetCallbackURL("")
	// Exactly MaxParticipantsPerCall participants.
	many := make([]string, acstest.MaxParticipantsPerCall)
	for i := range many {
		many[i] = fmt.Sprintf(`"8:acs:r_%d"`, i)
	}
	if code, _, v := adminDo(t, srv, adminToken, "PUT", "/admin/v1/calls/big", `{"participants":[`+strings.Join(many, ",")+`]}`); code != 201 {
		t.Errorf("%d participants: %d %v", len(many), code, v["error"])
	}
	// Counts, latencies and delays at their bounds.
	for _, tt := range []struct {
		body string
		code int
	}{
		{`{"status":503,"count":1}`, 201},
		{`{"status":503,"count":100000}`, 201},
		{`{"status":503,"count":100001}`, 400},
		{`{"latencyMs":600000}`, 201},
		{`{"latencyMs":600000.5}`, 400},
		{`{"status":503,"retryAfterMs":0}`, 201},
		{`{"status":503,"retryAfterMs":-1}`, 400},
	} {
		code, _, v := adminDo(t, srv, adminToken, "POST", "/admin/v1/faults", tt.body)
		if code != tt.code {
			t.Errorf("%s: %d %v, want %d", tt.body, code, v, tt.code)
		}
		if tt.body == `{"latencyMs":600000.5}` && !regexp.MustCompile(`between 0 and 600000\b`).MatchString(fmt.Sprint(v)) {
			t.Errorf("%s: %v", tt.body, v)
		}
	}
	adminDo(t, srv, adminToken, "DELETE", "/admin/v1/faults", "")
	// The queue holds exactly a million.
	for range 9 {
		if code, _, _ := adminDo(t, srv, adminToken, "POST", "/admin/v1/faults", `{"status":503,"count":100000}`); code != 201 {
			t.Fatal(code)
		}
	}
	if code, _, v := adminDo(t, srv, adminToken, "POST", "/admin/v1/faults", `{"status":503,"count":100000}`); code != 201 {
		t.Errorf("the millionth fault: %d %v", code, v)
	}
	if code, _, _ := adminDo(t, srv, adminToken, "POST", "/admin/v1/faults", `{"status":503}`); code != 409 {
		t.Errorf("one past a million: %d", code)
	}
	adminDo(t, srv, adminToken, "DELETE", "/admin/v1/faults", "")
	// A latency set through the admin API delays the answer by as much.
	adminDo(t, srv, adminToken, "POST", "/admin/v1/faults", `{"latencyMs":150}`)
	start := time.Now()
	if _, err := srv.Client().MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answered after %v, want at least 150ms", d)
	}
}

// LoadState counts only the calls it adds against MaxCalls: a state that
// fills the server exactly loads, one call more is refused, and replacing
// calls that exist at the limit is allowed. Every call of a state loads.
func TestLoadStateAtMaxCalls(t *testing.T) {
	srv := startAdmin(t, nil)
	if err := srv.AddCall("c0", alice); err != nil {
		t.Fatal(err)
	}
	state := func(from, to int) []byte {
		calls := make([]string, 0, to-from)
		for i := from; i < to; i++ {
			calls = append(calls, fmt.Sprintf(`{"callConnectionId":"c%d","participants":["8:acs:r_%d"]}`, i, i))
		}
		return []byte(`{"calls":[` + strings.Join(calls, ",") + `]}`)
	}
	// c0 exists: c0..c(MaxCalls-1) adds MaxCalls-1 calls, exactly the room left.
	if err := srv.LoadState(state(0, acstest.MaxCalls)); err != nil {
		t.Fatalf("a state filling the server exactly: %v", err)
	}
	if n := len(srv.CallIDs()); n != acstest.MaxCalls {
		t.Fatalf("%d calls, want %d", n, acstest.MaxCalls)
	}
	if ps, _ := srv.Participants(fmt.Sprint("c", acstest.MaxCalls-1)); len(ps) != 1 || ps[0].RawID != fmt.Sprint("8:acs:r_", acstest.MaxCalls-1) {
		t.Errorf("the last call loaded: %+v", ps)
	}
	if ps, _ := srv.Participants("c0"); len(ps) != 1 || ps[0].RawID != "8:acs:r_0" {
		t.Errorf("c0 was not replaced: %+v", ps)
	}
	if err := srv.LoadState(state(0, 2)); err != nil {
		t.Errorf("replacing two calls at the limit: %v", err)
	}
	err := srv.LoadState(state(acstest.MaxCalls-1, acstest.MaxCalls+1))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprint("more than ", acstest.MaxCalls, " calls")) {
		t.Errorf("one call past the limit: %v", err)
	}
	if _, ok := srv.Participants(fmt.Sprint("c", acstest.MaxCalls)); ok {
		t.Error("a refused state loaded a call")
	}
}

// The queued faults, the calls and their participants are bounded.
func TestAdminBounds(t *testing.T) {
	srv := startAdmin(t, nil)
	for range 10 {
		if err := srv.InjectFaults(100_000, acstest.Fault{Status: 503}); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.InjectFaults(1, acstest.Fault{Status: 503}); err == nil {
		t.Error("more than a million faults queued")
	}
	if code, _, v := adminDo(t, srv, adminToken, "POST", "/admin/v1/faults", `{"status":503}`); code != 409 {
		t.Errorf("admin: %d %v", code, v)
	}
	srv.ClearFaults()
	many := make([]string, acstest.MaxParticipantsPerCall+1)
	for i := range many {
		many[i] = fmt.Sprintf(`"8:acs:r_%d"`, i)
	}
	if code, _, v := adminDo(t, srv, adminToken, "PUT", "/admin/v1/calls/big", `{"participants":[`+strings.Join(many, ",")+`]}`); code != 400 || adminField(v) != "participants" {
		t.Errorf("too many participants: %d %v", code, v)
	}
	for i := range acstest.MaxCalls {
		if err := srv.AddCall(fmt.Sprint("c", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.AddCall("one-more"); err == nil {
		t.Error("more than MaxCalls calls")
	}
	if err := srv.AddCall("c0", alice); err != nil {
		t.Errorf("replacing a call at the limit: %v", err)
	}
}
