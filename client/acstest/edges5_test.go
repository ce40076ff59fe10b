package acstest_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// What a hostile review of the emulator found (issue 27), each held here.

// A 1xx fault is refused (net/http would follow it with 200, nothing
// done), from Go, from a fault function and from the admin API; a 2xx is a
// lie on purpose (for tests of how a client reads one), and says so.
func TestFaultStatusRange(t *testing.T) {
	srv := startAdmin(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
	for _, status := range []int{100, 103, 199} {
		if err := srv.InjectFaults(1, acstest.Fault{Status: status}); err == nil {
			t.Errorf("InjectFaults status %d accepted", status)
		}
		if code, _, v := adminDo(t, srv, adminToken, "POST", "/admin/v1/faults", fmt.Sprintf(`{"status":%d}`, status)); code != 400 || adminField(v) != "status" {
			t.Errorf("admin status %d: %d %v", status, code, v)
		}
	}
	srv.SetFaultFunc(func(int) *acstest.Fault { return &acstest.Fault{Status: 102} })
	c, _ := srv.NewClient(&client.ClientOptions{Retry: client.RetryOptions{MaxRetries: -1}})
	_, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
	var re *client.ResponseError
	if !errors.As(err, &re) || re.ErrorCode != "InvalidFault" {
		t.Errorf("a fault function's 102: %v", err)
	}
	if muted, _ := srv.IsMuted("call-1", alice); muted {
		t.Error("muted")
	}
	srv.SetFaultFunc(nil)
	if err := srv.InjectFaults(1, acstest.Fault{Status: 202}); err != nil {
		t.Errorf("a 2xx fault: %v", err)
	}
	if _, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); !errors.Is(err, client.ErrOutcomeUnknown) {
		t.Errorf("a 202 to a mute: %v, want an unknown outcome", err)
	}
}

// Call IDs the service's paths cannot carry, or that the admin API could
// not name, are refused wherever a call is made.
func TestCallIDsEverywhereAlike(t *testing.T) {
	srv := startAdmin(t, nil)
	for _, id := range []string{"", "c 1", "tab\tid", "nl\nid", ".", "..", strings.Repeat("x", 257), "bad\xffutf8", "zw\u200bid"} {
		if err := srv.AddCall(id, alice); err == nil {
			t.Errorf("AddCall(%q) accepted", id)
		}
		if _, err := acstest.NewServer(&acstest.Options{Calls: map[string][]string{id: {alice}}}); err == nil {
			t.Errorf("Options.Calls %q accepted", id)
		}
	}
	if code, _, _ := adminDo(t, srv, adminToken, "PUT", "/admin/v1/calls/%2E%2E", `{"participants":[]}`); code != 400 {
		t.Errorf("PUT .. : %d", code)
	}
	// What GET answers can be put back, and loaded.
	if err := srv.AddCall("c/1?#%é", alice); err != nil {
		t.Fatal(err)
	}
	_, _, v := adminDo(t, srv, adminToken, "GET", "/admin/v1/calls/c%2F1%3F%23%25%C3%A9", "")
	body, _ := jsonText(v)
	if code, _, got := adminDo(t, srv, adminToken, "PUT", "/admin/v1/calls/c%2F1%3F%23%25%C3%A9", body); code != 200 {
		t.Errorf("putting back what GET answered: %d %v", code, got)
	}
	_, _, all := adminDo(t, srv, adminToken, "GET", "/admin/v1/calls", "")
	saved, _ := jsonText(all)
	if err := acstest.Start(t, nil).LoadState([]byte(saved)); err != nil {
		t.Errorf("loading a saved state: %v", err)
	}
}

// The admin API reads JSON strictly: names spelled exactly, each once, UTF-8,
// one object.
func TestAdminJSONIsStrict(t *testing.T) {
	srv := startAdmin(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
	for _, tt := range []struct{ method, path, body, field string }{
		{"PUT", "/admin/v1/calls/c2", `{"Participants":["8:acs:r_a"]}`, "Participants"},
		{"PUT", "/admin/v1/calls/c2", `{"participants":["8:acs:r_a"],"participants":[]}`, "participants"},
		{"PUT", "/admin/v1/calls/c2", `{"participants":[{"RAWID":"8:acs:r_a"}]}`, "participants[0].RAWID"},
		{"PUT", "/admin/v1/calls/c2", "{\"participants\":[\"8:acs:r_a\xff\"]}", ""},
		{"PUT", "/admin/v1/calls/c2", `{"participants":[]} {"participants":[]}`, ""},
		{"PUT", "/admin/v1/calls/c2", `{"callConnectionId":"other","participants":[]}`, "callConnectionId"},
		{"PUT", "/admin/v1/callback", `{"URL":"http://127.0.0.1:9/x"}`, "URL"},
		{"PUT", "/admin/v1/callback", `{"url":"http://127.0.0.1:99999/x"}`, "url"},
		{"PUT", "/admin/v1/callback", `{"url":"http://h/ x"}`, "url"},
		{"POST", "/admin/v1/faults", `{"status":503,"count":1.5}`, "count"},
	} {
		code, _, v := adminDo(t, srv, adminToken, tt.method, tt.path, tt.body)
		if code != 400 || adminField(v) != tt.field {
			t.Errorf("%s %s %q: %d %v, want 400 naming %q", tt.method, tt.path, tt.body, code, v, tt.field)
		}
	}
	code, _, v := adminDo(t, srv, adminToken, "PUT", "/admin/v1/calls/c2", `[]`)
	if e, _ := v["error"].(map[string]any); code != 400 || !strings.HasPrefix(fmt.Sprint(e["message"]), "the body must be a JSON object") {
		t.Errorf("[]: %d %v", code, v)
	}
	if _, ok := srv.Call("c2"); ok || srv.CallbackURL() != "" {
		t.Error("a refused request changed the server")
	}
	if code, _, v := adminDo(t, srv, adminToken, "POST", "/admin/v1/faults", `{"latencyMs":0.0000001}`); code != 201 {
		t.Errorf("a tiny latency: %d %v", code, v)
	}
	for _, bad := range []string{`{"calls":[]} {"calls":[{"callConnectionId":"x","participants":[]}]}`, `{"calls":[{"callConnectionId":"x","participants":[],"sequenceNumber":"4"}]}`} {
		if err := srv.LoadState([]byte(bad)); err == nil || (strings.Contains(bad, `"4"`) && !strings.Contains(err.Error(), "calls[0].sequenceNumber")) {
			t.Errorf("LoadState(%s) = %v", bad, err)
		}
	}
}

// The admin token's scheme is read in any case; two Authorization headers
// are refused; HEAD answers as GET without a body.
func TestAdminAuthorizationForms(t *testing.T) {
	srv := startAdmin(t, nil)
	do := func(method string, auth ...string) int {
		req, _ := http.NewRequest(method, srv.URL+"/admin/v1/calls", nil)
		for _, a := range auth {
			req.Header.Add("Authorization", a)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tt := range []struct {
		method string
		auth   []string
		status int
	}{
		{"GET", []string{"bearer " + adminToken}, 200},
		{"GET", []string{"BEARER " + adminToken}, 200},
		{"HEAD", []string{"Bearer " + adminToken}, 200},
		{"GET", []string{"Bearer " + adminToken, "Bearer wrong-token-0123456789"}, 401},
		{"GET", []string{"Bearer wrong-token-0123456789", "Bearer " + adminToken}, 401},
	} {
		if got := do(tt.method, tt.auth...); got != tt.status {
			t.Errorf("%s %q: %d, want %d", tt.method, tt.auth, got, tt.status)
		}
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

// A resource ID that is not UTF-8 is refused: its tokens would carry
// another audience than the one the caller verifies with.
func TestResourceIDMustBeUTF8(t *testing.T) {
	if _, err := acstest.NewServer(&acstest.Options{ResourceID: "res\xff"}); err == nil {
		t.Error("accepted")
	}
}

// A fault function that ends its goroutine (t.FailNow does) answers 500
// InvalidFault and the request is logged; a delivery fault function that
// does so costs its event only, and one that closes the server returns.
func TestFaultFunctionsThatEndOrClose(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
	srv.SetFaultFunc(func(int) *acstest.Fault { runtime.Goexit(); return nil })
	c, _ := srv.NewClient(&client.ClientOptions{Retry: client.RetryOptions{MaxRetries: -1}})
	_, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
	var re *client.ResponseError
	if !errors.As(err, &re) || re.ErrorCode != "InvalidFault" || len(srv.Requests()) != 1 {
		t.Errorf("Goexit in a fault function: %v, %d requests logged", err, len(srv.Requests()))
	}
	srv.SetFaultFunc(nil)

	rc := newReceiver(t)
	srv2 := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	rc.verifyWith(t, srv2, nil)
	srv2.SetDeliveryFaultFunc(func(seq int, _ acstest.Delivery) *acstest.DeliveryFault {
		if seq == 1 {
			runtime.Goexit()
		}
		return nil
	})
	for _, m := range []bool{true, false} {
		if err := srv2.SetMuted("call-1", alice, m); err != nil {
			t.Fatal(err)
		}
	}
	waitDeliveries(t, srv2)
	ds := srv2.Deliveries()
	if len(ds) != 2 || ds[0].Delivered || !strings.Contains(ds[0].Err, "Goexit") || !ds[1].Delivered {
		t.Errorf("deliveries %+v", ds)
	}

	srv3, err := acstest.NewServer(&acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	srv3.SetDeliveryFaultFunc(func(int, acstest.Delivery) *acstest.DeliveryFault {
		srv3.Close()
		close(closed)
		return nil
	})
	_ = srv3.SetMuted("call-1", alice, true)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close from a delivery fault function did not return")
	}
}

// Close ends the latency a request is pausing for: nothing is left behind.
func TestCloseEndsLatencies(t *testing.T) {
	srv, err := acstest.NewServer(&acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetLatency(time.Hour)
	before := runtime.NumGoroutine()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, _ := srv.NewClient(&client.ClientOptions{Retry: client.RetryOptions{MaxRetries: -1, TryTimeout: time.Hour}})
		_, _ = c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
	}()
	for srv.PeakInFlight() == 0 {
		time.Sleep(time.Millisecond)
	}
	srv.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the request still pauses after Close")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	if stacks := string(buf[:runtime.Stack(buf, true)]); strings.Contains(stacks, "acstest.(*Server).pause") {
		t.Errorf("a request still pauses:\n%s", stacks)
	}
}

// A delivery's error does not quote the URL (its query may be a secret);
// a user name alone is redacted too; events dropped are logged.
func TestDeliveryErrorsAndRedaction(t *testing.T) {
	var logs syncBuffer
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}},
		CallbackURL: "http://tok3n-user-name@127.0.0.1:1/cb?sig=c2VjcmV0LXNpZw#fr%20ag",
		Logger:      slog.New(slog.NewTextHandler(&logs, nil))})
	srv.SetDeliveryFaultFunc(func(seq int, _ acstest.Delivery) *acstest.DeliveryFault {
		return &acstest.DeliveryFault{Drop: seq == 2}
	})
	for _, m := range []bool{true, false} {
		if err := srv.SetMuted("call-1", alice, m); err != nil {
			t.Fatal(err)
		}
	}
	waitDeliveries(t, srv)
	ds := srv.Deliveries()
	if len(ds) != 2 || ds[0].Err == "" || strings.Contains(ds[0].Err, "c2VjcmV0") || strings.Contains(ds[0].Err, "127.0.0.1:1/cb") {
		t.Errorf("deliveries %+v", ds)
	}
	out := logs.String()
	for _, secret := range []string{"tok3n-user-name", "c2VjcmV0", "fr%20ag", "fr ag"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q: %s", secret, out)
		}
	}
	if strings.Count(out, "acstest: callback") != 2 {
		t.Errorf("the dropped delivery is not logged: %s", out)
	}
}
