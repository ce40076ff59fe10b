package acstest_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// fakeKey is an obviously fake access key ("fake-access-key-for-tests").
const fakeKey = "ZmFrZS1hY2Nlc3Mta2V5LWZvci10ZXN0cw=="

const (
	alice = "8:acs:res_alice"
	bob   = "8:acs:res_bob"
	phone = "4:+15551234567"
)

func newServer(t *testing.T, opts *acstest.Options) *acstest.Server {
	t.Helper()
	if opts == nil {
		opts = &acstest.Options{}
	}
	if opts.Credentials == nil {
		opts.Credentials = acstest.NewCredentials(fakeKey)
	}
	if opts.Calls == nil {
		opts.Calls = map[string][]string{"call-1": {alice, bob, phone}}
	}
	srv, err := acstest.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// rawRequest is a mute request built and signed by hand, following the
// service's published HMAC-SHA256 scheme, independently of package client.
type rawRequest struct {
	method    string
	path      string // path and query as sent
	body      string
	key       string
	date      time.Time
	repeatID  string
	firstSent string
	noAuth    bool
	bearer    string
	host      string       // Host header; empty means the URL's host
	signHost  string       // host signed; empty means the Host header
	base      string       // base URL; empty means the server's
	client    *http.Client // nil means http.DefaultClient
	tamper    func(*http.Request)
}

func muteBody(rawID, opCtx string) string {
	b, _ := json.Marshal(map[string]any{
		"targetParticipants": []map[string]any{{"kind": "communicationUser", "rawId": rawID, "communicationUser": map[string]string{"id": rawID}}},
		"operationContext":   opCtx,
	})
	return string(b)
}

const callPath = "/calling/callConnections/call-1/participants:mute?api-version=" + client.APIVersion

func (rr rawRequest) do(t *testing.T, srv *acstest.Server) (*http.Response, map[string]any) {
	t.Helper()
	resp, out, err := rr.send(t, srv)
	if err != nil {
		t.Fatal(err)
	}
	return resp, out
}

// send is do for requests that may get no answer: it returns the client's
// error instead of failing the test.
func (rr rawRequest) send(t *testing.T, srv *acstest.Server) (*http.Response, map[string]any, error) {
	t.Helper()
	if rr.method == "" {
		rr.method = http.MethodPost
	}
	if rr.path == "" {
		rr.path = callPath
	}
	if rr.key == "" {
		rr.key = fakeKey
	}
	if rr.date.IsZero() {
		rr.date = time.Now()
	}
	if rr.base == "" {
		rr.base = srv.URL
	}
	req, err := http.NewRequest(rr.method, rr.base+rr.path, strings.NewReader(rr.body))
	if err != nil {
		t.Fatal(err)
	}
	if rr.host != "" {
		req.Host = rr.host
	}
	if rr.signHost == "" {
		rr.signHost = req.Host
		if rr.signHost == "" {
			rr.signHost = req.URL.Host
		}
	}
	req.Header.Set("Content-Type", "application/json")
	if rr.repeatID != "" {
		req.Header.Set("Repeatability-Request-ID", rr.repeatID)
		req.Header.Set("Repeatability-First-Sent", rr.firstSent)
	}
	switch {
	case rr.bearer != "":
		req.Header.Set("Authorization", "Bearer "+rr.bearer)
	case !rr.noAuth:
		date := rr.date.UTC().Format(http.TimeFormat)
		sum := sha256.Sum256([]byte(rr.body))
		hash := base64.StdEncoding.EncodeToString(sum[:])
		key, _ := base64.StdEncoding.DecodeString(rr.key)
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(rr.method + "\n" + req.URL.RequestURI() + "\n" + date + ";" + rr.signHost + ";" + hash))
		req.Header.Set("x-ms-date", date)
		req.Header.Set("x-ms-content-sha256", hash)
		req.Header.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	if rr.tamper != nil {
		rr.tamper(req)
	}
	if rr.client == nil {
		rr.client = http.DefaultClient
	}
	resp, err := rr.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("answer is not JSON: %s", b)
		}
	}
	return resp, out, nil
}

func errorCode(t *testing.T, resp *http.Response, body map[string]any) string {
	t.Helper()
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	if code == "" || msg == "" {
		t.Errorf("error body %v lacks code or message", body)
	}
	if h := resp.Header.Get("x-ms-error-code"); h != code {
		t.Errorf("x-ms-error-code = %q, body code %q", h, code)
	}
	return code
}

func TestMuteThroughClient(t *testing.T) {
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) {
			srv := newServer(t, nil)
			c, err := client.NewClientFromConnectionString(srv.ConnectionString(), &client.ClientOptions{APIVersion: v})
			if err != nil {
				t.Fatal(err)
			}
			if muted, ok := srv.IsMuted("call-1", alice); muted || !ok {
				t.Fatalf("before: muted=%v ok=%v", muted, ok)
			}
			res, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, &client.MuteParticipantOptions{OperationContext: "op-1"})
			if err != nil {
				t.Fatal(err)
			}
			if res.OperationContext != "op-1" || res.StatusCode != 200 {
				t.Errorf("result = %+v", res)
			}
			if muted, _ := srv.IsMuted("call-1", alice); !muted {
				t.Error("alice is not muted")
			}
			if muted, _ := srv.IsMuted("call-1", bob); muted {
				t.Error("bob is muted")
			}
			if n := srv.Executions(res.RepeatabilityRequestID); n != 1 {
				t.Errorf("executions = %d", n)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 || !reqs[0].Executed || reqs[0].Status != 200 {
				t.Fatalf("requests = %+v", reqs)
			}
			if got := reqs[0].Header.Get("Authorization"); got != "HMAC-SHA256 REDACTED" {
				t.Errorf("recorded Authorization = %q", got)
			}
			parts, ok := srv.Participants("call-1")
			if !ok || len(parts) != 3 || parts[0] != (acstest.Participant{RawID: alice, Muted: true}) || parts[1].Muted {
				t.Errorf("participants = %+v", parts)
			}
		})
	}
}

// Every answer of the mute operation, in every supported API version.
func TestMuteAnswers(t *testing.T) {
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) {
			srv := newServer(t, nil)
			twoTargets := `{"targetParticipants":[{"rawId":"` + alice + `"},{"rawId":"` + bob + `"}]}`
			tests := []struct {
				name   string
				rr     rawRequest
				status int
				code   string
			}{
				{"unknown call", rawRequest{path: "/calling/callConnections/nope/participants:mute?api-version=" + v, body: muteBody(alice, "")}, 404, "CallNotFound"},
				{"participant not in call", rawRequest{path: mutePath(v), body: muteBody("8:acs:res_carol", "")}, 400, "ParticipantNotInCall"},
				{"phone number participant", rawRequest{path: mutePath(v), body: `{"targetParticipants":[{"kind":"phoneNumber","rawId":"` + phone + `","phoneNumber":{"value":"+15551234567"}}]}`}, 400, "UnsupportedParticipantKind"},
				{"teams user", rawRequest{path: mutePath(v), body: `{"targetParticipants":[{"kind":"microsoftTeamsUser","rawId":"8:orgid:x","microsoftTeamsUser":{"userId":"x"}}]}`}, 400, "UnsupportedParticipantKind"},
				{"two targets", rawRequest{path: mutePath(v), body: twoTargets}, 400, "InvalidTargetParticipants"},
				{"no targets", rawRequest{path: mutePath(v), body: `{"targetParticipants":[]}`}, 400, "InvalidTargetParticipants"},
				{"rawId and nested disagree", rawRequest{path: mutePath(v), body: `{"targetParticipants":[{"rawId":"` + alice + `","communicationUser":{"id":"` + bob + `"}}]}`}, 400, "InvalidTargetParticipants"},
				{"missing targetParticipants", rawRequest{path: mutePath(v), body: `{"operationContext":"x"}`}, 400, "BadRequest"},
				{"wrong type", rawRequest{path: mutePath(v), body: `{"targetParticipants":"` + alice + `"}`}, 400, "BadRequest"},
				{"bad kind enum", rawRequest{path: mutePath(v), body: `{"targetParticipants":[{"kind":"robot","rawId":"` + alice + `"}]}`}, 400, "BadRequest"},
				{"nested without id", rawRequest{path: mutePath(v), body: `{"targetParticipants":[{"communicationUser":{}}]}`}, 400, "BadRequest"},
				{"not JSON", rawRequest{path: mutePath(v), body: `targetParticipants=` + alice}, 400, "BadRequest"},
				{"no api-version", rawRequest{path: "/calling/callConnections/call-1/participants:mute", body: muteBody(alice, "")}, 400, "MissingApiVersionParameter"},
				{"other api-version", rawRequest{path: "/calling/callConnections/call-1/participants:mute?api-version=2023-10-15", body: muteBody(alice, "")}, 400, "UnsupportedApiVersion"},
				{"unknown path", rawRequest{path: "/calling/callConnections/call-1/participants:unmute?api-version=" + v, body: muteBody(alice, "")}, 404, "NotFound"},
				{"GET", rawRequest{method: http.MethodGet, path: mutePath(v), body: ""}, 405, "MethodNotAllowed"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					resp, body := tt.rr.do(t, srv)
					if resp.StatusCode != tt.status {
						t.Fatalf("status = %d, want %d (%v)", resp.StatusCode, tt.status, body)
					}
					if code := errorCode(t, resp, body); code != tt.code {
						t.Errorf("code = %q, want %q (%v)", code, tt.code, body)
					}
					if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
						t.Errorf("Content-Type = %q", ct)
					}
				})
			}
			if m, _ := srv.IsMuted("call-1", alice); m {
				t.Error("a failed request muted alice")
			}
			if m, _ := srv.IsMuted("call-1", bob); m {
				t.Error("a failed request muted bob")
			}
			// The validation message names the problem.
			_, body := rawRequest{path: mutePath(v), body: `{"operationContext":"x"}`}.do(t, srv)
			if msg := body["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "targetParticipants") {
				t.Errorf("message %q does not name targetParticipants", msg)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	srv := newServer(t, &acstest.Options{Credentials: acstest.NewCredentials(fakeKey, "fake-bearer-token")})
	body := muteBody(alice, "")
	ok := []struct {
		name string
		rr   rawRequest
	}{
		{"published HMAC algorithm", rawRequest{body: body}},
		{"date 14 minutes old", rawRequest{body: body, date: time.Now().Add(-14 * time.Minute)}},
		{"bearer token", rawRequest{body: body, bearer: "fake-bearer-token"}},
	}
	for _, tt := range ok {
		if resp, b := tt.rr.do(t, srv); resp.StatusCode != 200 {
			t.Errorf("%s: status %d %v", tt.name, resp.StatusCode, b)
		}
	}
	denied := []struct {
		name    string
		rr      rawRequest
		mention string
	}{
		{"wrong key", rawRequest{body: body, key: "d3Jvbmcta2V5"}, "signature does not match"},
		{"tampered body", rawRequest{body: body, tamper: func(r *http.Request) {
			b := strings.Replace(body, "res_alice", "res_bob", 1)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(b)), int64(len(b))
		}}, "x-ms-content-sha256 does not match"},
		{"tampered body and hash", rawRequest{body: body, tamper: func(r *http.Request) {
			b := strings.Replace(body, "res_alice", "res_bob", 1)
			sum := sha256.Sum256([]byte(b))
			r.Header.Set("x-ms-content-sha256", base64.StdEncoding.EncodeToString(sum[:]))
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(b)), int64(len(b))
		}}, "signature does not match"},
		{"tampered date", rawRequest{body: body, tamper: func(r *http.Request) {
			r.Header.Set("x-ms-date", time.Now().Add(time.Minute).UTC().Format(http.TimeFormat))
		}}, "signature does not match"},
		{"tampered path", rawRequest{body: body, tamper: func(r *http.Request) {
			r.URL.Path = "/calling/callConnections/call-2/participants:mute"
		}}, "signature does not match"},
		{"tampered query", rawRequest{body: body, tamper: func(r *http.Request) {
			r.URL.RawQuery = "api-version=" + client.APIVersion + "&x=1"
		}}, "signature does not match"},
		{"date too old", rawRequest{body: body, date: time.Now().Add(-16 * time.Minute)}, "away from the server's clock"},
		{"date in the future", rawRequest{body: body, date: time.Now().Add(16 * time.Minute)}, "away from the server's clock"},
		{"no x-ms-date", rawRequest{body: body, tamper: func(r *http.Request) { r.Header.Del("x-ms-date") }}, "x-ms-date header is missing"},
		{"no content hash", rawRequest{body: body, tamper: func(r *http.Request) { r.Header.Del("x-ms-content-sha256") }}, "x-ms-content-sha256 header is missing"},
		{"no Authorization", rawRequest{body: body, noAuth: true}, "Authorization header is missing"},
		{"other signed headers", rawRequest{body: body, tamper: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "x-ms-date;host;", "host;", 1))
		}}, "SignedHeaders"},
		{"unknown scheme", rawRequest{body: body, tamper: func(r *http.Request) { r.Header.Set("Authorization", "Basic Zm9v") }}, "neither"},
		{"wrong bearer token", rawRequest{body: body, bearer: "fake-other-token"}, "bearer token is not valid"},
	}
	for _, tt := range denied {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := tt.rr.do(t, srv)
			if resp.StatusCode != 401 {
				t.Fatalf("status = %d, want 401 (%v)", resp.StatusCode, b)
			}
			if code := errorCode(t, resp, b); code != "Unauthorized" {
				t.Errorf("code = %q", code)
			}
			if msg := b["error"].(map[string]any)["message"].(string); !strings.Contains(msg, tt.mention) {
				t.Errorf("message %q does not mention %q", msg, tt.mention)
			}
		})
	}
	if n := srv.TotalExecutions(); n != len(ok) {
		t.Errorf("%d executions, want %d: a refused request executed", n, len(ok))
	}
}

func TestRepeatability(t *testing.T) {
	srv := newServer(t, nil)
	now := time.Now().UTC()
	fresh := now.Format(http.TimeFormat)
	id := uuid.NewString()
	body := muteBody(alice, "first")

	resp, b := rawRequest{body: body, repeatID: id, firstSent: fresh}.do(t, srv)
	if resp.StatusCode != 200 || resp.Header.Get("Repeatability-Result") != "accepted" || b["operationContext"] != "first" {
		t.Fatalf("first: %d %v %v", resp.StatusCode, resp.Header, b)
	}
	// The same request again: the first answer, replayed without executing.
	srv.RemoveCall("call-1") // executing again would now answer 404
	resp, b = rawRequest{body: body, repeatID: id, firstSent: fresh}.do(t, srv)
	if resp.StatusCode != 200 || resp.Header.Get("Repeatability-Result") != "accepted" || b["operationContext"] != "first" {
		t.Fatalf("replay: %d %v %v", resp.StatusCode, resp.Header, b)
	}
	if n := srv.Executions(id); n != 1 {
		t.Errorf("executions = %d, want 1", n)
	}
	if reqs := srv.Requests(); !reqs[1].Replayed || reqs[1].Executed {
		t.Errorf("second request: replayed=%v executed=%v", reqs[1].Replayed, reqs[1].Executed)
	}
	// Same ID, different request.
	resp, b = rawRequest{body: muteBody(bob, "first"), repeatID: id, firstSent: fresh}.do(t, srv)
	if resp.StatusCode != 400 || errorCode(t, resp, b) != "RepeatabilityRequestIdReused" {
		t.Errorf("reused ID: %d %v", resp.StatusCode, b)
	}

	tests := []struct {
		name      string
		id, sent  string
		status    int
		code      string
		repResult string
	}{
		{"not a UUID", "not-a-uuid", fresh, 400, "InvalidRepeatabilityRequestId", "rejected"},
		{"braced UUID", "{" + uuid.NewString() + "}", fresh, 400, "InvalidRepeatabilityRequestId", "rejected"},
		{"RFC 3339 date", uuid.NewString(), now.Format(time.RFC3339), 400, "InvalidRepeatabilityFirstSent", "rejected"},
		{"RFC 850 date", uuid.NewString(), now.Format(time.RFC850), 400, "InvalidRepeatabilityFirstSent", "rejected"},
		{"non-GMT zone", uuid.NewString(), now.Format(time.RFC1123Z), 400, "InvalidRepeatabilityFirstSent", "rejected"},
		{"ID without date", uuid.NewString(), "", 400, "MissingRepeatabilityFirstSent", "rejected"},
		{"older than the window", uuid.NewString(), now.Add(-5*time.Minute - 2*time.Second).Format(http.TimeFormat), 412, "RepeatabilityWindowExpired", "rejected"},
	}
	srv.AddCall("call-1", alice, bob)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := rawRequest{body: body, repeatID: tt.id, firstSent: tt.sent}
			if tt.sent == "" {
				rr.tamper = func(r *http.Request) { r.Header.Del("Repeatability-First-Sent") }
			}
			resp, b := rr.do(t, srv)
			if resp.StatusCode != tt.status || errorCode(t, resp, b) != tt.code {
				t.Errorf("status %d code %v, want %d %s", resp.StatusCode, b, tt.status, tt.code)
			}
			if got := resp.Header.Get("Repeatability-Result"); got != tt.repResult {
				t.Errorf("Repeatability-Result = %q", got)
			}
		})
	}
	if m, _ := srv.IsMuted("call-1", alice); m {
		t.Error("a refused request muted alice")
	}
	// A First-Sent just inside the window is still accepted.
	resp, b = rawRequest{body: body, repeatID: uuid.NewString(), firstSent: now.Add(-4 * time.Minute).Format(http.TimeFormat)}.do(t, srv)
	if resp.StatusCode != 200 {
		t.Errorf("4-minute-old First-Sent: %d %v", resp.StatusCode, b)
	}
}

func TestFaultInjection(t *testing.T) {
	srv := newServer(t, nil)
	body := muteBody(alice, "")

	srv.InjectFaults(2, acstest.Fault{Status: 503, RetryAfter: "7"})
	for i := range 2 {
		resp, b := rawRequest{body: body}.do(t, srv)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "7" || errorCode(t, resp, b) != "ServiceUnavailable" {
			t.Errorf("fault %d: %d %v", i, resp.StatusCode, resp.Header)
		}
	}
	if m, _ := srv.IsMuted("call-1", alice); m {
		t.Fatal("a status fault executed the mute")
	}
	if resp, _ := (rawRequest{body: body}).do(t, srv); resp.StatusCode != 200 {
		t.Errorf("after the faults: %d", resp.StatusCode)
	}

	send := func(rawID string) error {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+callPath, strings.NewReader(muteBody(rawID, "")))
		req.Header.Set("Authorization", "Bearer none")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	srv.InjectFaults(1, acstest.Fault{Drop: acstest.DropBeforeExecute})
	if err := send(bob); err == nil {
		t.Error("DropBeforeExecute: got an answer")
	}

	// DropAfterExecute executes, then loses the answer.
	srv.InjectFaults(1, acstest.Fault{Drop: acstest.DropAfterExecute})
	id := uuid.NewString()
	c, _ := client.NewClientFromConnectionString(srv.ConnectionString(), &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: -1}})
	_, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: bob}, &client.MuteParticipantOptions{RepeatabilityRequestID: id})
	if err == nil {
		t.Fatal("DropAfterExecute: got an answer")
	}
	if m, _ := srv.IsMuted("call-1", bob); !m || srv.Executions(id) != 1 {
		t.Errorf("DropAfterExecute: muted=%v executions=%d", m, srv.Executions(id))
	}
	reqs := srv.Requests()
	last := reqs[len(reqs)-1]
	if !last.Dropped || !last.Executed || last.Status != 0 {
		t.Errorf("last request record = %+v", last)
	}

	// Latency and a fault function.
	srv.SetLatency(50 * time.Millisecond)
	start := time.Now()
	if resp, _ := (rawRequest{body: body}).do(t, srv); resp.StatusCode != 200 || time.Since(start) < 50*time.Millisecond {
		t.Errorf("latency: %d after %v", resp.StatusCode, time.Since(start))
	}
	srv.ClearFaults()
	srv.SetFaultFunc(func(seq int) *acstest.Fault {
		if seq%2 == 0 {
			return &acstest.Fault{Status: 429, RetryAfterMs: "5"}
		}
		return nil
	})
	var statuses []int
	for range 4 {
		resp, _ := rawRequest{body: body}.do(t, srv)
		statuses = append(statuses, resp.StatusCode)
	}
	n429 := 0
	for _, st := range statuses {
		if st == 429 {
			n429++
		}
	}
	if n429 != 2 {
		t.Errorf("statuses = %v, want every other one 429", statuses)
	}
}

func TestNewServerRejectsBadOptions(t *testing.T) {
	bad := []acstest.Options{
		{Credentials: acstest.NewCredentials("not base64!")},
		{Calls: map[string][]string{"c": {""}}},
		{Calls: map[string][]string{"": {alice}}},
		{Credentials: acstest.NewCredentials(fakeKey, "")},
		{Addr: "256.0.0.1:0"},
		{ParticipantsPageSize: -1},
	}
	for _, o := range bad {
		if srv, err := acstest.NewServer(&o); err == nil {
			srv.Close()
			t.Errorf("NewServer(%+v) succeeded", o)
		}
	}
	srv, err := acstest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") || !strings.Contains(srv.ConnectionString(), srv.AccessKey()) {
		t.Errorf("URL %q, connection string %q", srv.URL, srv.ConnectionString())
	}
	if strings.Contains(srv.String(), srv.AccessKey()) {
		t.Error("String shows the key")
	}
	if _, err := base64.StdEncoding.DecodeString(srv.AccessKey()); err != nil {
		t.Error(err)
	}
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

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

// Options print their key as REDACTED only when there is one.
func TestOptionsString(t *testing.T) {
	if s := (acstest.Options{}).String(); !strings.Contains(s, `AccessKey: ""`) {
		t.Errorf("empty key: %s", s)
	}
	if s := (acstest.Options{Credentials: acstest.NewCredentials(fakeKey)}).String(); !strings.Contains(s, "AccessKey: REDACTED") {
		t.Errorf("with a key: %s", s)
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

// A resource ID that is not UTF-8 is refused: its tokens would carry
// another audience than the one the caller verifies with.
func TestResourceIDMustBeUTF8(t *testing.T) {
	if _, err := acstest.NewServer(&acstest.Options{ResourceID: "res\xff"}); err == nil {
		t.Error("accepted")
	}
}
