package acstest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// receiver is a service's callback endpoint: it verifies each post with a
// callback.Verifier for the emulator and keeps the events.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	events  []callback.Event
	bodies  [][]byte
	headers []http.Header
	refused atomic.Int64
	status  func(n int) int // the status for the n-th post (from 1); nil: 200
	posts   atomic.Int64
	delay   time.Duration
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(nil)
	t.Cleanup(rc.Close)
	return rc
}

// verifyWith sets the verifier of the emulator srv.
func (rc *receiver) verifyWith(t *testing.T, srv *acstest.Server, now func() time.Time) {
	v, err := callback.NewVerifier(srv.ResourceID(), &callback.VerifierOptions{
		Issuer: srv.URL, KeysURL: srv.URL + acstest.PathCallbackKeys, Now: now, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(rc.posts.Add(1))
		time.Sleep(rc.delay)
		body, _ := io.ReadAll(r.Body)
		if rc.status != nil {
			if code := rc.status(n); code != http.StatusOK {
				w.WriteHeader(code)
				return
			}
		}
		events, err := callback.Parse(body)
		if err != nil {
			t.Errorf("a verified post does not parse: %v", err)
		}
		rc.mu.Lock()
		rc.events = append(rc.events, events...)
		rc.bodies = append(rc.bodies, body)
		rc.headers = append(rc.headers, r.Header.Clone())
		rc.mu.Unlock()
	})
	rc.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := v.Verify(r); err != nil {
			rc.refused.Add(1)
			t.Errorf("the emulator's post was refused: %v", err)
		}
		v.Middleware(handler).ServeHTTP(w, r)
	})
}

func (rc *receiver) got() ([]callback.Event, [][]byte, []http.Header) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]callback.Event(nil), rc.events...), append([][]byte(nil), rc.bodies...), append([]http.Header(nil), rc.headers...)
}

func waitDeliveries(t *testing.T, srv *acstest.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitForDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
}

// A mute is followed by a verified ParticipantsUpdated showing the
// participant muted, in every API version's wire form; then SetMuted and
// RemoveParticipant post theirs, in order, with increasing sequence numbers.
func TestCallbacksAfterChanges(t *testing.T) {
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) {
			rc := newReceiver(t)
			srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL + "/callbacks",
				Calls: map[string][]string{"call-1": {alice, extUser, bob}, "call-2": {alice}}})
			rc.verifyWith(t, srv, nil)
			c, _ := srv.NewClient(&client.ClientOptions{APIVersion: v})
			if _, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
				t.Fatal(err)
			}
			if err := srv.SetMuted("call-1", alice, false); err != nil {
				t.Fatal(err)
			}
			if err := srv.RemoveParticipant("call-1", bob); err != nil {
				t.Fatal(err)
			}
			if err := srv.SetMuted("call-2", alice, true); err != nil {
				t.Fatal(err)
			}
			waitDeliveries(t, srv)
			events, bodies, headers := rc.got()
			if len(events) != 4 || rc.refused.Load() != 0 {
				t.Fatalf("%d events, %d refused", len(events), rc.refused.Load())
			}
			type want struct {
				call    string
				seq     int
				muted   map[string]bool
				extKind string
			}
			extKind := "teamsExtensionUser"
			if v == client.APIVersion {
				extKind = "communicationUser"
			}
			for i, w := range []want{
				{"call-1", 1, map[string]bool{alice: true, extUser: false, bob: false}, extKind},
				{"call-1", 2, map[string]bool{alice: false, extUser: false, bob: false}, extKind},
				{"call-1", 3, map[string]bool{alice: false, extUser: false}, extKind},
				{"call-2", 1, map[string]bool{alice: true}, ""},
			} {
				pu, err := events[i].ParticipantsUpdated()
				if err != nil {
					t.Fatal(err)
				}
				if pu.CallConnectionID != w.call || pu.SequenceNumber != w.seq || len(pu.Participants) != len(w.muted) || pu.ServerCallID == "" || pu.CorrelationID == "" {
					t.Errorf("event %d: %+v", i, pu)
				}
				for _, p := range pu.Participants {
					if m, ok := w.muted[p.Identifier.RawID()]; !ok || m != p.IsMuted {
						t.Errorf("event %d: %s isMuted %v", i, p.Identifier.RawID(), p.IsMuted)
					}
				}
				e := events[i]
				if e.Type != callback.TypeParticipantsUpdated || e.Source != "calling/callConnections/"+w.call || e.ID == "" || e.Time.IsZero() {
					t.Errorf("event %d: %+v", i, e)
				}
				// The CloudEvent and its data, field by field.
				var raw []map[string]json.RawMessage
				if err := json.Unmarshal(bodies[i], &raw); err != nil || len(raw) != 1 {
					t.Fatalf("body %d: %s", i, bodies[i])
				}
				var keys []string
				for k := range raw[0] {
					keys = append(keys, k)
				}
				if strings.Join(sortedKeys(raw[0]), ",") != "data,datacontenttype,id,source,specversion,time,type" {
					t.Errorf("event %d has fields %v", i, keys)
				}
				var data map[string]json.RawMessage
				_ = json.Unmarshal(raw[0]["data"], &data)
				if strings.Join(sortedKeys(data), ",") != "callConnectionId,correlationId,participants,sequenceNumber,serverCallId" {
					t.Errorf("event %d data has fields %v", i, sortedKeys(data))
				}
				if w.extKind != "" && !strings.Contains(string(raw[0]["data"]), `"kind":"`+w.extKind+`","rawId":"`+extUser+`"`) {
					t.Errorf("event %d: extension user not in %s form: %s", i, v, raw[0]["data"])
				}
				if headers[i].Get("Content-Type") != "application/json" {
					t.Errorf("Content-Type %q", headers[i].Get("Content-Type"))
				}
			}
			ds := srv.Deliveries()
			if len(ds) != 4 || !ds[0].Delivered || ds[0].Attempts != 1 || ds[0].Status != 200 || ds[3].CallID != "call-2" {
				t.Errorf("deliveries = %+v", ds)
			}
		})
	}
}

func sortedKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// The token: RS256 under the emulator's kid, issuer its URL, audience its
// resource ID, five minutes by its clock (Options.Now).
func TestCallbackToken(t *testing.T) {
	clk := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	rc := newReceiver(t)
	srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Now: func() time.Time { return clk },
		Calls: map[string][]string{"call-1": {alice}}})
	rc.verifyWith(t, srv, func() time.Time { return clk })
	if err := srv.SetMuted("call-1", alice, true); err != nil {
		t.Fatal(err)
	}
	waitDeliveries(t, srv)
	_, _, headers := rc.got()
	if len(headers) != 1 {
		t.Fatalf("%d posts verified", len(headers))
	}
	tok := strings.TrimPrefix(headers[0].Get("Authorization"), "Bearer ")
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	var head, claims map[string]any
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(hb, &head)
	_ = json.Unmarshal(cb, &claims)
	if head["alg"] != "RS256" || head["kid"] == nil || head["kid"] == "" {
		t.Errorf("header %v", head)
	}
	if claims["iss"] != srv.URL || claims["aud"] != srv.ResourceID() ||
		claims["iat"] != float64(clk.Unix()) || claims["exp"] != float64(clk.Add(5*time.Minute).Unix()) {
		t.Errorf("claims %v (resource %s)", claims, srv.ResourceID())
	}
	// The keys and the OpenID configuration need no credential.
	for path, want := range map[string]string{acstest.PathCallbackKeys: `"kid":"` + head["kid"].(string) + `"`, acstest.PathOpenIDConfiguration: `"jwks_uri":"` + srv.URL + acstest.PathCallbackKeys + `"`} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) || strings.Contains(string(b), `"d":`) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, b)
		}
	}
	// A token from another emulator (another key) is refused.
	other := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	v, _ := callback.NewVerifier(srv.ResourceID(), &callback.VerifierOptions{Issuer: srv.URL, KeysURL: other.URL + acstest.PathCallbackKeys, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return clk }})
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if err := v.Verify(req); err == nil {
		t.Error("a token verified with another emulator's keys")
	}
}

// Delivery never delays the mute's answer, retries failed posts, and is
// recorded.
func TestCallbackDelivery(t *testing.T) {
	rc := newReceiver(t)
	rc.delay = 2 * time.Second
	rc.status = func(n int) int {
		if n == 3 {
			rc.delay = 0 // the delivered post need not wait
		}
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	rc.verifyWith(t, srv, nil)
	start := time.Now()
	if _, err := srv.Client().MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("the mute took %v: its callback delayed it", d)
	}
	waitDeliveries(t, srv)
	ds := srv.Deliveries()
	if len(ds) != 1 || ds[0].Attempts != 3 || !ds[0].Delivered || ds[0].Status != 200 || ds[0].SequenceNumber != 1 {
		t.Errorf("deliveries = %+v", ds)
	}
	if events, _, _ := rc.got(); len(events) != 1 {
		t.Errorf("%d events received", len(events))
	}
	// A receiver that keeps failing: given up after three attempts.
	rc.status = func(int) int { return http.StatusInternalServerError }
	_ = srv.SetMuted("call-1", alice, false)
	waitDeliveries(t, srv)
	if ds := srv.Deliveries(); len(ds) != 2 || ds[1].Attempts != 3 || ds[1].Delivered || ds[1].Status != 500 {
		t.Errorf("deliveries = %+v", ds)
	}
}

// Close leaves no goroutine behind, even with a receiver that never
// answers; the keys are served without consuming injected faults.
func TestCallbacksCloseCleanly(t *testing.T) {
	silent := silentReceiver(t)
	before := runtime.NumGoroutine()
	srv, err := acstest.NewServer(&acstest.Options{CallbackURL: silent.URL, Calls: map[string][]string{"call-1": {alice}}})
	if err != nil {
		t.Fatal(err)
	}
	srv.InjectFaults(1, acstest.Fault{Status: 503})
	resp, err := http.Get(srv.URL + acstest.PathCallbackKeys)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("keys: %v %v", resp, err)
	}
	resp.Body.Close()
	for range 5 {
		_ = srv.SetMuted("call-1", alice, true)
	}
	start := time.Now()
	srv.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	// No goroutine of the server's is left: none running its code, and no
	// client connection of its callback transport. (Counting goroutines
	// would also count other tests' servers winding down.)
	leftover := func() string {
		buf := make([]byte, 1<<20)
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "acsmute/client/acstest.") || strings.Contains(g, "net/http.(*persistConn)") {
				return g
			}
		}
		return ""
	}
	deadline := time.Now().Add(5 * time.Second)
	for leftover() != "" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if g := leftover(); g != "" {
		t.Errorf("a goroutine is left after Close (%d goroutines, %d before):\n%s", runtime.NumGoroutine(), before, g)
	}
	// A receiver that answers, and stays up: the server's kept-alive
	// connection to it is closed with the server.
	answering := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer answering.Close()
	srv2, err := acstest.NewServer(&acstest.Options{CallbackURL: answering.URL, Calls: map[string][]string{"call-1": {alice}}})
	if err != nil {
		t.Fatal(err)
	}
	_ = srv2.SetMuted("call-1", alice, true)
	if err := srv2.WaitForDeliveries(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv2.Close()
	deadline = time.Now().Add(5 * time.Second)
	for leftover() != "" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if g := leftover(); g != "" {
		t.Errorf("a goroutine is left after Close with the receiver up:\n%s", g)
	}
	// After Close nothing waits for ever, and new events are recorded as
	// not delivered.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.WaitForDeliveries(ctx); err != nil {
		t.Errorf("WaitForDeliveries after Close: %v", err)
	}
	_ = srv.SetMuted("call-1", alice, false)
	ds := srv.Deliveries()
	if last := ds[len(ds)-1]; last.Delivered || !strings.Contains(last.Err, "closed") {
		t.Errorf("an event after Close: %+v", last)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown after Close: %v", err)
	}
	if _, err := acstest.NewServer(&acstest.Options{CallbackURL: "not a url"}); err == nil {
		t.Error("a bad CallbackURL was accepted")
	}
}

// Shutdown posts what is waiting while the keys are still served, so a
// receiver that has not fetched them yet verifies the last events.
func TestShutdownDeliversWithKeys(t *testing.T) {
	rc := newReceiver(t)
	srv, err := acstest.NewServer(&acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice, bob}}})
	if err != nil {
		t.Fatal(err)
	}
	rc.verifyWith(t, srv, nil)
	_ = srv.SetMuted("call-1", alice, true)
	_ = srv.SetMuted("call-1", bob, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	ds := srv.Deliveries()
	if len(ds) != 2 || !ds[0].Delivered || !ds[1].Delivered || rc.refused.Load() != 0 {
		t.Errorf("deliveries %+v, %d refused", ds, rc.refused.Load())
	}
}

// What waits to be posted is bounded: in a large call with a receiver that
// never answers, old events are dropped (and recorded as such) rather than
// piling up.
func TestCallbackEventsOfALargeCall(t *testing.T) {
	raws := make([]string, 2000)
	for i := range raws {
		raws[i] = "8:acs:res_u" + itoa(i)
	}
	silent := silentReceiver(t)
	srv := acstest.Start(t, &acstest.Options{CallbackURL: silent.URL, Calls: map[string][]string{"call-1": raws}})
	for _, raw := range raws {
		_ = srv.SetMuted("call-1", raw, true)
	}
	dropped := 0
	for _, d := range srv.Deliveries() {
		if strings.Contains(d.Err, "dropped") {
			dropped++
		}
	}
	// 2,000 events of 2,000 participants: at most a million participants
	// wait, so about half of the events are dropped.
	if dropped < 900 || dropped > 1600 {
		t.Errorf("%d events dropped", dropped)
	}
}

// BenchmarkSetMutedWithCallbacks is what a change costs in a call of 1,000
// participants when callbacks are on: a snapshot under the lock (the event
// itself is made by the delivery goroutine).
func BenchmarkSetMutedWithCallbacks(b *testing.B) {
	raws := make([]string, 1000)
	for i := range raws {
		raws[i] = "8:acs:res_u" + itoa(i)
	}
	srv, err := acstest.NewServer(&acstest.Options{CallbackURL: "http://127.0.0.1:1/dead", Calls: map[string][]string{"call-1": raws}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = srv.SetMuted("call-1", raws[i%len(raws)], i%2 == 0)
		i++
	}
}

// silentReceiver is a callback receiver that never answers; it lets go of
// its requests when the test ends.
func silentReceiver(t *testing.T) *httptest.Server {
	t.Helper()
	block := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(silent.Close)
	t.Cleanup(func() { close(block) })
	return silent
}

// Replacing a call with AddCall continues its sequence numbers and posts
// its new state, so that a receiver keeping the largest takes it; adding a
// new call posts nothing.
func TestReplacedCallContinuesItsSequence(t *testing.T) {
	rc := newReceiver(t)
	srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	rc.verifyWith(t, srv, nil)
	if err := srv.SetMuted("call-1", alice, true); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddCall("call-1", bob); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddCall("call-2", alice); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddCall("call-1", "not a raw ID"); err == nil {
		t.Error("a bad replacement accepted")
	}
	waitDeliveries(t, srv)
	events, _, _ := rc.got()
	if len(events) != 2 {
		t.Fatalf("%d events, want 2", len(events))
	}
	first, _ := events[0].ParticipantsUpdated()
	second, err := events[1].ParticipantsUpdated()
	if err != nil || second.SequenceNumber != first.SequenceNumber+1 || second.ServerCallID != first.ServerCallID ||
		len(second.Participants) != 1 || second.Participants[0].Identifier.RawID() != bob {
		t.Errorf("after the replacement: %+v (%v), before %+v", second, err, first)
	}
	if st, ok := srv.Call("call-1"); !ok || st.SequenceNumber != second.SequenceNumber || len(st.Participants) != 1 || st.Participants[0].RawID != bob {
		t.Errorf("Call = %+v, %v", st, ok)
	}
}

// Callbacks can be pointed at a receiver after the server started (the
// receiver needs the server's URL and resource ID to verify them), and
// VerifierOptions is all a receiver needs besides the resource ID, which
// can be fixed.
func TestCallbackURLAfterStartAndVerifierOptions(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}}, ResourceID: "fixed-resource-id"})
	if srv.ResourceID() != "fixed-resource-id" {
		t.Errorf("ResourceID() = %q", srv.ResourceID())
	}
	v, err := callback.NewVerifier(srv.ResourceID(), srv.VerifierOptions())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []callback.Event
	rc := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		events, err := callback.Parse(body)
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		got = append(got, events...)
		mu.Unlock()
	})))
	defer rc.Close()
	if err := srv.SetMuted("call-1", alice, true); err != nil { // no callback URL yet
		t.Fatal(err)
	}
	if err := srv.SetCallbackURL("not a URL"); err == nil {
		t.Error("a bad URL accepted")
	}
	if err := srv.SetCallbackURL(rc.URL); err != nil || srv.CallbackURL() != rc.URL {
		t.Fatalf("SetCallbackURL: %v, %q", err, srv.CallbackURL())
	}
	if err := srv.SetMuted("call-1", alice, false); err != nil {
		t.Fatal(err)
	}
	waitDeliveries(t, srv)
	if err := srv.SetCallbackURL(""); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetMuted("call-1", alice, true); err != nil {
		t.Fatal(err)
	}
	waitDeliveries(t, srv)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d verified events, want 1", len(got))
	}
	if pu, err := got[0].ParticipantsUpdated(); err != nil || pu.Participants[0].IsMuted {
		t.Errorf("event %+v, %v", pu, err)
	}
	for _, bad := range []string{"has space", strings.Repeat("x", 257), "tab\t"} {
		if _, err := acstest.NewServer(&acstest.Options{ResourceID: bad}); err == nil {
			t.Errorf("ResourceID %q accepted", bad)
		}
	}
}
