package acstest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

const adminToken = "fake-admin-token-for-tests"

// adminDo sends an admin request with token ("" for none) and returns the
// status, the headers and the decoded JSON answer (nil when none).
func adminDo(t *testing.T, srv *acstest.Server, token, method, path, body string) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s %s: answer %q is not a JSON object: %v", method, path, b, err)
		}
	}
	return resp.StatusCode, resp.Header, v
}

// adminField returns the field an admin error names.
func adminField(v map[string]any) string {
	e, _ := v["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

func startAdmin(t *testing.T, opts *acstest.Options) *acstest.Server {
	t.Helper()
	if opts == nil {
		opts = &acstest.Options{}
	}
	opts.AdminToken = adminToken
	return acstest.Start(t, opts)
}

// Without the admin token, or with another, every admin route answers 401
// and changes nothing; without Options.AdminToken there is no admin API.
func TestAdminNeedsItsToken(t *testing.T) {
	srv := startAdmin(t, nil)
	for _, token := range []string{"", "wrong-token-of-some-length", adminToken + "x"} {
		for _, r := range []struct{ method, path, body string }{
			{"PUT", "/admin/v1/calls/c1", `{"participants":["8:acs:r_a"]}`},
			{"POST", "/admin/v1/faults", `{"status":503}`},
			{"PUT", "/admin/v1/callback", `{"url":"http://127.0.0.1:9/x"}`},
			{"GET", "/admin/v1/requests", ""},
		} {
			status, h, v := adminDo(t, srv, token, r.method, r.path, r.body)
			if status != 401 || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") || v["error"] == nil {
				t.Errorf("token %q, %s %s: %d %v", token, r.method, r.path, status, v)
			}
		}
	}
	if _, ok := srv.Call("c1"); ok || srv.CallbackURL() != "" {
		t.Error("a refused request changed the server")
	}
	if _, err := srv.Client().MuteParticipant(context.Background(), "c1", client.CommunicationUserIdentifier{ID: "8:acs:r_a"}, nil); err == nil {
		t.Error("a call exists")
	}
	plain := acstest.Start(t, nil)
	if status, _, _ := adminDo(t, plain, adminToken, "GET", "/admin/v1/calls", ""); status != 404 {
		t.Errorf("without AdminToken: %d, want 404", status)
	}
	for _, bad := range []string{"short", "has a space in it somewhere", "non-ascii-é-token-0123456789"} {
		if _, err := acstest.NewServer(&acstest.Options{AdminToken: bad}); err == nil {
			t.Errorf("AdminToken %q accepted", bad)
		}
	}
}

// Calls are created, replaced, read, listed and ended through the admin
// API, with the service's operations seeing the same state, and
// CallDisconnected posted when one ends.
func TestAdminCalls(t *testing.T) {
	rc := newReceiver(t)
	srv := startAdmin(t, nil)
	rc.verifyWith(t, srv, nil)
	status, _, v := adminDo(t, srv, adminToken, "PUT", "/admin/v1/calls/call-1", `{"participants":["8:acs:r_alice",{"rawId":"4:+15551234567","isMuted":true}]}`)
	if status != 201 || v["callConnectionId"] != "call-1" {
		t.Fatalf("create: %d %v", status, v)
	}
	parts := v["participants"].([]any)
	if len(parts) != 2 || parts[1].(map[string]any)["kind"] != "phoneNumber" || parts[1].(map[string]any)["isMuted"] != true {
		t.Errorf("participants %v", parts)
	}
	c := srv.Client()
	if _, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: "8:acs:r_alice"}, nil); err != nil {
		t.Fatal(err)
	}
	_, _, v = adminDo(t, srv, adminToken, "GET", "/admin/v1/calls/call-1", "")
	if p := v["participants"].([]any)[0].(map[string]any); p["rawId"] != "8:acs:r_alice" || p["isMuted"] != true {
		t.Errorf("after the mute: %v", v)
	}
	if status, _, _ := adminDo(t, srv, adminToken, "PUT", "/admin/v1/calls/call-1", `{"participants":["8:acs:r_bob"]}`); status != 200 {
		t.Errorf("replace: %d", status)
	}
	if status, _, _ := adminDo(t, srv, adminToken, "PUT", "/admin/v1/calls/call%202", `{"participants":[]}`); status != 400 {
		t.Errorf("a call ID with a space: %d", status)
	}
	_, _, v = adminDo(t, srv, adminToken, "GET", "/admin/v1/calls", "")
	if calls := v["calls"].([]any); len(calls) != 1 || len(calls[0].(map[string]any)["participants"].([]any)) != 1 {
		t.Errorf("list: %v", v)
	}
	if err := srv.SetCallbackURL(rc.URL); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := adminDo(t, srv, adminToken, "DELETE", "/admin/v1/calls/call-1", ""); status != 204 {
		t.Errorf("delete: %d", status)
	}
	for _, r := range []struct{ method, path string }{{"GET", "/admin/v1/calls/call-1"}, {"DELETE", "/admin/v1/calls/call-1"}, {"GET", "/admin/v1/calls/none/participants"}} {
		if status, _, v := adminDo(t, srv, adminToken, r.method, r.path, ""); status != 404 || v["error"].(map[string]any)["code"] != "CallNotFound" {
			t.Errorf("%s %s: %d %v", r.method, r.path, status, v)
		}
	}
	waitDeliveries(t, srv)
	if events, _, _ := rc.got(); len(events) != 1 || events[0].Type != "Microsoft.Communication.CallDisconnected" {
		t.Errorf("events %v", events)
	}
}

// Bad input gets 400 naming the field, and changes nothing.
func TestAdminBadInputChangesNothing(t *testing.T) {
	srv := startAdmin(t, &acstest.Options{Calls: map[string][]string{"call-1": {"8:acs:r_alice"}}})
	for _, tt := range []struct{ method, path, body, field string }{
		{"PUT", "/admin/v1/calls/call-2", `{"participants":["8:acs:r_a","8:asc:typo"]}`, "participants[1]"},
		{"PUT", "/admin/v1/calls/call-2", `{"participants":["8:acs:r_a",{"rawId":"8:acs:r_b","isMuted":"yes"}]}`, "participants[1].isMuted"},
		{"PUT", "/admin/v1/calls/call-2", `{"participants":[{"isMuted":true}]}`, "participants[0].rawId"},
		{"PUT", "/admin/v1/calls/call-2", `{"participants":[7]}`, "participants[0]"},
		{"PUT", "/admin/v1/calls/call-2", `{"participant":["8:acs:r_a"]}`, "participant"},
		{"PUT", "/admin/v1/calls/call-2", `{}`, "participants"},
		{"PUT", "/admin/v1/calls/call-1", `{"participants":"8:acs:r_a"}`, "participants"},
		{"POST", "/admin/v1/calls/call-1/participants", `{"rawId":"alice"}`, "rawId"},
		{"POST", "/admin/v1/calls/call-1/participants", `{}`, "rawId"},
		{"PATCH", "/admin/v1/calls/call-1/participants/8:acs:r_alice", `{}`, "isMuted"},
		{"PATCH", "/admin/v1/calls/call-1/participants/8:acs:r_alice", `{"isMuted":1}`, "isMuted"},
		{"PUT", "/admin/v1/callback", `{"url":"ftp://x"}`, "url"},
		{"PUT", "/admin/v1/callback", `{}`, "url"},
		{"POST", "/admin/v1/faults", `{"status":102}`, "status"},
		{"POST", "/admin/v1/faults", `{"status":600}`, "status"},
		{"POST", "/admin/v1/faults", `{"status":503,"drop":"sideways"}`, "drop"},
		{"POST", "/admin/v1/faults", `{"status":503,"count":0}`, "count"},
		{"POST", "/admin/v1/faults", `{"status":503,"latencyMs":-1}`, "latencyMs"},
		{"POST", "/admin/v1/faults", `{"status":503,"requests":"all"}`, "requests"},
		{"POST", "/admin/v1/faults", `{"status":503,"retryAfter":"1\r\nX: y"}`, "retryAfter"},
		{"POST", "/admin/v1/faults", `{}`, "status"},
	} {
		status, _, v := adminDo(t, srv, adminToken, tt.method, tt.path, tt.body)
		if status != 400 || adminField(v) != tt.field {
			t.Errorf("%s %s %s: %d %v, want 400 naming %s", tt.method, tt.path, tt.body, status, v, tt.field)
		}
	}
	if ids := srv.CallIDs(); len(ids) != 1 {
		t.Errorf("calls %v", ids)
	}
	if ps, _ := srv.Participants("call-1"); len(ps) != 1 || ps[0].Muted {
		t.Errorf("call-1: %+v", ps)
	}
	if srv.CallbackURL() != "" {
		t.Error("callback URL set")
	}
	// No fault was queued: a mute runs.
	if _, err := srv.Client().MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: "8:acs:r_alice"}, nil); err != nil {
		t.Errorf("mute after refused faults: %v", err)
	}
	status, h, _ := adminDo(t, srv, adminToken, "PATCH", "/admin/v1/calls", `{}`)
	if status != 405 || h.Get("Allow") != "GET" {
		t.Errorf("PATCH calls: %d, Allow %q", status, h.Get("Allow"))
	}
	if status, _, _ := adminDo(t, srv, adminToken, "GET", "/admin/v1/nothing", ""); status != 404 {
		t.Errorf("unknown route: %d", status)
	}
	if status, _, _ := adminDo(t, srv, adminToken, "PUT", "/admin/v1/calls/call-3", strings.Repeat(" ", 2<<20)); status != 413 {
		t.Errorf("a large body: %d", status)
	}
}

// Participants join, unmute themselves, are held and leave through the
// admin API, each change posting ParticipantsUpdated with the next
// sequence number; the callback URL is set at run time.
func TestAdminParticipantsAndCallbacks(t *testing.T) {
	rc := newReceiver(t)
	srv := startAdmin(t, &acstest.Options{Calls: map[string][]string{"call-1": {"8:acs:r_alice"}}})
	rc.verifyWith(t, srv, nil)
	status, _, v := adminDo(t, srv, adminToken, "PUT", "/admin/v1/callback", `{"url":"`+rc.URL+`/cb"}`)
	if status != 200 || v["url"] != rc.URL+"/cb" {
		t.Fatalf("set callback: %d %v", status, v)
	}
	steps := []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/admin/v1/calls/call-1/participants", `{"rawId":"8:acs:r_bob"}`, 201},
		{"POST", "/admin/v1/calls/call-1/participants", `{"rawId":"8:acs:r_bob"}`, 409},
		{"POST", "/admin/v1/calls/none/participants", `{"rawId":"8:acs:r_bob"}`, 404},
		{"PATCH", "/admin/v1/calls/call-1/participants/8:acs:r_bob", `{"isMuted":true,"isOnHold":true}`, 200},
		{"PATCH", "/admin/v1/calls/call-1/participants/8%3Aacs%3Ar_bob", `{"isMuted":false}`, 200},
		{"PATCH", "/admin/v1/calls/call-1/participants/8:acs:r_nobody", `{"isMuted":false}`, 404},
		{"DELETE", "/admin/v1/calls/call-1/participants/8:acs:r_alice", "", 204},
		{"DELETE", "/admin/v1/calls/call-1/participants/8:acs:r_alice", "", 404},
	}
	for _, st := range steps {
		if status, _, v := adminDo(t, srv, adminToken, st.method, st.path, st.body); status != st.status {
			t.Errorf("%s %s %s: %d %v, want %d", st.method, st.path, st.body, status, v, st.status)
		}
	}
	_, _, v = adminDo(t, srv, adminToken, "GET", "/admin/v1/calls/call-1/participants/8:acs:r_bob", "")
	if v["isMuted"] != false || v["isOnHold"] != true {
		t.Errorf("bob: %v", v)
	}
	waitDeliveries(t, srv)
	events, _, _ := rc.got()
	if len(events) != 4 {
		t.Fatalf("%d events, want 4 (join, mute and hold, unmute, leave)", len(events))
	}
	for i, e := range events {
		if pu, err := e.ParticipantsUpdated(); err != nil || pu.SequenceNumber != i+1 {
			t.Errorf("event %d: %+v %v", i, pu, err)
		}
	}
	_, _, v = adminDo(t, srv, adminToken, "GET", "/admin/v1/deliveries", "")
	ds := v["deliveries"].([]any)
	if len(ds) != 4 || ds[0].(map[string]any)["delivered"] != true || ds[0].(map[string]any)["body"] == nil {
		t.Errorf("deliveries %v", v)
	}
	if status, _, v := adminDo(t, srv, adminToken, "PUT", "/admin/v1/callback", `{"url":null}`); status != 200 || v["url"] != nil || srv.CallbackURL() != "" {
		t.Errorf("stop callbacks: %d %v", status, v)
	}
	_, _, v = adminDo(t, srv, adminToken, "GET", "/admin/v1/", "")
	if v["resourceId"] != srv.ResourceID() || v["callbackIssuer"] != srv.URL || v["callbackKeysUrl"] != srv.URL+acstest.PathCallbackKeys {
		t.Errorf("info %v", v)
	}
}

// Faults queued through the admin API reach the service's operations as
// InjectFaults's do: a resend with the same repeatability ID after a drop
// executes once. The request log shows the requests, credentials redacted,
// and no admin request.
func TestAdminFaultsAndRequests(t *testing.T) {
	srv := startAdmin(t, &acstest.Options{Calls: map[string][]string{"call-1": {"8:acs:r_alice", "8:acs:r_bob"}}})
	c, _ := srv.NewClient(&client.ClientOptions{Retry: client.RetryOptions{RetryDelay: time.Millisecond}})
	if status, _, v := adminDo(t, srv, adminToken, "POST", "/admin/v1/faults", `{"count":2,"status":503,"errorCode":"Busy","retryAfterMs":1}`); status != 201 || v["queued"] != float64(2) {
		t.Fatalf("faults: %d %v", status, v)
	}
	res, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: "8:acs:r_alice"}, nil)
	if err != nil || res.Attempts != 3 {
		t.Errorf("mute through two 503s: %+v %v", res, err)
	}
	adminDo(t, srv, adminToken, "POST", "/admin/v1/faults", `{"drop":"after"}`)
	res, err = c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: "8:acs:r_bob"}, nil)
	if err != nil || res.Attempts != 2 || srv.Executions(res.RepeatabilityRequestID) != 1 {
		t.Errorf("mute through a dropped answer: %+v %v, executed %d times", res, err, srv.Executions(res.RepeatabilityRequestID))
	}
	adminDo(t, srv, adminToken, "POST", "/admin/v1/faults", `{"status":500,"requests":"reads","count":5}`)
	if status, _, _ := adminDo(t, srv, adminToken, "DELETE", "/admin/v1/faults", ""); status != 204 {
		t.Errorf("clear: %d", status)
	}
	if _, err := c.GetParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: "8:acs:r_bob"}, nil); err != nil {
		t.Errorf("read after clearing: %v", err)
	}
	_, _, v := adminDo(t, srv, adminToken, "GET", "/admin/v1/requests", "")
	reqs := v["requests"].([]any)
	if len(reqs) != 6 {
		t.Fatalf("%d requests logged, want 6 (3 + 2 mutes, 1 read; no admin request): %v", len(reqs), v)
	}
	first := reqs[0].(map[string]any)
	if first["method"] != "POST" || first["path"] != "/calling/callConnections/call-1/participants:mute" || !strings.HasPrefix(first["query"].(string), "api-version=") ||
		first["status"] != float64(503) || !strings.Contains(first["body"].(string), "8:acs:r_alice") {
		t.Errorf("first request %v", first)
	}
	auth := first["headers"].(map[string]any)["Authorization"].([]any)[0].(string)
	if !strings.HasSuffix(auth, "REDACTED") {
		t.Errorf("Authorization %q", auth)
	}
	if reqs[3].(map[string]any)["dropped"] != true || reqs[3].(map[string]any)["executed"] != true || reqs[4].(map[string]any)["replayed"] != true {
		t.Errorf("the dropped request and its resend: %v, %v", reqs[3], reqs[4])
	}
}

// LoadState loads what GET /admin/v1/calls answers, all or nothing.
func TestLoadState(t *testing.T) {
	srv := startAdmin(t, nil)
	state := `{"calls":[{"callConnectionId":"c1","participants":["8:acs:r_a",{"rawId":"8:acs:r_b","kind":"communicationUser","isMuted":true,"isOnHold":true}],"sequenceNumber":4}]}`
	if err := srv.LoadState([]byte(state)); err != nil {
		t.Fatal(err)
	}
	_, _, v := adminDo(t, srv, adminToken, "GET", "/admin/v1/calls", "")
	saved, _ := json.Marshal(v)
	other := startAdmin(t, nil)
	if err := other.LoadState(saved); err != nil {
		t.Fatalf("loading a saved state: %v", err)
	}
	if ps, _ := other.Participants("c1"); len(ps) != 2 || !ps[1].Muted || !ps[1].OnHold || ps[0].Muted {
		t.Errorf("loaded %+v", ps)
	}
	for bad, mention := range map[string]string{
		`{"calls":[{"callConnectionId":"c2","participants":["8:acs:r_a"]},{"callConnectionId":"c3","participants":["x"]}]}`: "calls[1].participants[0]",
		`{"calls":[{"participants":[]}]}`: "calls[0].callConnectionId",
		`{"call":[]}`:                     "call",
		`[]`:                              "state",
	} {
		err := srv.LoadState([]byte(bad))
		if err == nil || !strings.Contains(err.Error(), mention) {
			t.Errorf("LoadState(%s) = %v, want an error naming %s", bad, err, mention)
		}
	}
	if ids := srv.CallIDs(); len(ids) != 1 {
		t.Errorf("calls after refused states: %v", ids)
	}
}

// jsonText marshals v.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
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
