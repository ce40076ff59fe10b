package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/acsmute/acsmute/client/acstest"
)

const alice = "8:acs:res_alice"

func TestService(t *testing.T) {
	emu := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice, "4:+15551234567"}}})
	svc := httptest.NewServer(newHandler(emu.Client()))
	defer svc.Close()
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
