package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
	"github.com/acsmute/acsmute/roster"
)

const alice = "8:acs:res_alice"

// service starts the service against an emulator that posts its callbacks
// to the service's /callbacks.
func service(t *testing.T) (*acstest.Server, *httptest.Server) {
	t.Helper()
	var handler atomic.Value
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(svc.Close)
	emu := acstest.Start(t, &acstest.Options{CallbackURL: svc.URL + "/callbacks",
		Calls: map[string][]string{"call-1": {alice, "4:+15551234567"}}})
	v, err := callback.NewVerifier(emu.ResourceID(), &callback.VerifierOptions{
		Issuer: emu.URL, KeysURL: emu.URL + acstest.PathCallbackKeys, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	handler.Store(newHandler(emu.Client(), v, roster.New(nil, nil)))
	return emu, svc
}

func TestService(t *testing.T) {
	emu, svc := service(t)
	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(svc.URL+path, "application/json", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	if code, out := post("/calls/call-1/participants/"+alice+":mute", `{"operationContext":"svc-1"}`); code != 200 || out["OperationContext"] != "svc-1" {
		t.Errorf("mute: %d %v", code, out)
	}
	if m, _ := emu.IsMuted("call-1", alice); !m {
		t.Error("not muted")
	}
	for _, tt := range []struct {
		path, body string
		status     int
		code       string
	}{
		{"/calls/no-call/participants/" + alice + ":mute", "", 404, "CallNotFound"},
		{"/calls/call-1/participants/8:acs:res_nobody:mute", "", 400, "ParticipantNotInCall"},
		{"/calls/call-1/participants/4:+15551234567:mute", "", 400, "UnsupportedParticipantKind"},
		{"/calls/call-1/participants/8:acs::mute", "", 400, ""},
		{"/calls/call-1/participants/" + alice + ":mute", `{"operationContext":5}`, 400, ""},
		{"/calls/call-1/participants/" + alice, "", 404, ""},
		{"/calls/call-1/participants/alice:mute", "", 400, ""},
		{"/calls/call-1/participants/8:asc:res_alice:mute", "", 400, ""},
	} {
		code, out := post(tt.path, tt.body)
		if code != tt.status || (tt.code != "" && out["serviceErrorCode"] != tt.code) {
			t.Errorf("%s: %d %v, want %d %s", tt.path, code, out, tt.status, tt.code)
		}
	}

	// An unknown outcome: 503 with what the caller needs to resend, and the
	// resend resolves it with one execution.
	emu.InjectFaults(4, acstest.Fault{Drop: acstest.DropAfterExecute})
	code, out := post("/calls/call-1/participants/"+alice+":mute", "")
	if code != 503 || out["outcomeUnknown"] != true || out["repeatabilityRequestId"] == "" {
		t.Fatalf("unknown outcome: %d %v", code, out)
	}
	resend, _ := json.Marshal(map[string]any{"repeatabilityRequestId": out["repeatabilityRequestId"], "repeatabilityFirstSent": out["repeatabilityFirstSent"]})
	if code, out := post("/calls/call-1/participants/"+alice+":mute", string(resend)); code != 200 {
		t.Fatalf("resend: %d %v", code, out)
	}
	if n := emu.Executions(out["repeatabilityRequestId"].(string)); n != 1 {
		t.Errorf("%d executions, want 1", n)
	}
}

// A mute is followed by a verified ParticipantsUpdated, which the service
// keeps; a forged callback never reaches it.
func TestServiceCallbacks(t *testing.T) {
	emu, svc := service(t)
	resp, err := http.Post(svc.URL+"/calls/call-1/participants/"+alice+":mute", "application/json", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("mute: %v %v", resp, err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := emu.WaitForDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	read := func() (int, []participantState) {
		resp, err := http.Get(svc.URL + "/calls/call-1/participants")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out callState
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out.Participants
	}
	code, ps := read()
	if code != 200 || len(ps) != 2 || ps[0] != (participantState{RawID: alice, Kind: "communicationUser", IsMuted: true}) || ps[1].IsMuted {
		t.Fatalf("after the mute: %d %+v (deliveries %+v)", code, ps, emu.Deliveries())
	}
	// Forged: "alice is unmuted", with no token and with a made-up one.
	forged := `[{"id":"f","source":"calling/callConnections/call-1","type":"Microsoft.Communication.ParticipantsUpdated","specversion":"1.0",
		"data":{"callConnectionId":"call-1","sequenceNumber":99,"participants":[{"identifier":{"rawId":"` + alice + `"},"isMuted":false}]}}]`
	for _, auth := range []string{"", "Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0."} {
		req, _ := http.NewRequest(http.MethodPost, svc.URL+"/callbacks", strings.NewReader(forged))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("forged callback (%q): %d", auth, resp.StatusCode)
		}
	}
	if _, ps := read(); len(ps) != 2 || !ps[0].IsMuted {
		t.Errorf("a forged callback changed the view: %+v", ps)
	}
	// A later, verified event does.
	if err := emu.SetMuted("call-1", alice, false); err != nil {
		t.Fatal(err)
	}
	if err := emu.WaitForDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ps := read(); len(ps) != 2 || ps[0].IsMuted {
		t.Errorf("after SetMuted: %+v", ps)
	}
}

// ACS's failures come back in this service's own words: no ACS URL or
// message, and statuses that are this service's (502 for ACS's failures and
// other refusals, 500 for a credential ACS refuses).
func TestServiceMapsUpstreamFailures(t *testing.T) {
	emu, svc := service(t)
	for _, tt := range []struct {
		fault  acstest.Fault
		status int
	}{
		{acstest.Fault{Status: 413}, 502},
		{acstest.Fault{Status: 429, RetryAfter: "0"}, 502},
		{acstest.Fault{Status: 401}, 500},
		{acstest.Fault{Status: 403}, 500},
		// ACS's 5xx may have executed: unknown, for the caller to resend.
		{acstest.Fault{Status: 500}, 503},
	} {
		emu.SetFaultFunc(func(int) *acstest.Fault { f := tt.fault; return &f })
		resp, err := http.Post(svc.URL+"/calls/call-1/participants/"+alice+":mute", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		msg, _ := out["error"].(string)
		if resp.StatusCode != tt.status || strings.Contains(msg, emu.URL) || strings.Contains(msg, "injected fault") || msg == "" {
			t.Errorf("ACS %d: %d %v, want %d in our words", tt.fault.Status, resp.StatusCode, out, tt.status)
		}
	}
}

// A credential that gives no token is this service's misconfiguration: 500.
func TestServiceCredentialFailure(t *testing.T) {
	emu := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
	cred, _ := client.NewTokenCredential(client.TokenProviderFunc(func(context.Context) (client.AccessToken, error) {
		return client.AccessToken{}, errors.New("fake: no managed identity here")
	}), nil)
	c, err := client.NewClient(emu.URL, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := callback.NewVerifier(emu.ResourceID(), &callback.VerifierOptions{Issuer: emu.URL, KeysURL: emu.URL + acstest.PathCallbackKeys})
	svc := httptest.NewServer(newHandler(c, v, roster.New(nil, nil)))
	defer svc.Close()
	resp, err := http.Post(svc.URL+"/calls/call-1/participants/"+alice+":mute", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", resp.StatusCode)
	}
}
