package acstest_test

import (
	"net/http"
	"testing"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// GET of a participant, signed by hand over the empty body: the state from
// the emulator, 404s for unknown calls and participants, the method checked,
// faults applied, recorded and never counted as an execution.
func TestGetParticipantAnswers(t *testing.T) {
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) {
			srv := newServer(t, &acstest.Options{Credentials: acstest.NewCredentials(fakeKey, "fake-token")})
			get := func(path string) rawRequest {
				return rawRequest{method: http.MethodGet, path: "/calling/callConnections/" + path + "?api-version=" + v}
			}
			resp, b := get("call-1/participants/"+bob).do(t, srv)
			id, _ := b["identifier"].(map[string]any)
			if resp.StatusCode != 200 || b["isMuted"] != false || b["isOnHold"] != false || id["rawId"] != bob || id["kind"] != "communicationUser" {
				t.Fatalf("status %d, body %v", resp.StatusCode, b)
			}
			rawRequest{path: mutePath(v), body: muteBody(bob, "")}.do(t, srv)
			if _, b = get("call-1/participants/"+bob).do(t, srv); b["isMuted"] != true {
				t.Errorf("after the mute: %v", b)
			}
			r := get("call-1/participants/" + phone)
			r.bearer = "fake-token"
			if resp, b = r.do(t, srv); resp.StatusCode != 200 || b["identifier"].(map[string]any)["phoneNumber"].(map[string]any)["value"] != "+15551234567" {
				t.Errorf("phone with a bearer token: %d %v", resp.StatusCode, b)
			}
			for path, code := range map[string]string{
				"call-1/participants/8:acs:res_nobody": "ParticipantNotFound",
				"no-call/participants/" + bob:          "CallNotFound",
				"call-1/participants/":                 "NotFound",
				"call-1/participants/a/b":              "NotFound",
			} {
				resp, b := get(path).do(t, srv)
				if resp.StatusCode != 404 || errorCode(t, resp, b) != code {
					t.Errorf("%s: %d %v, want 404 %s", path, resp.StatusCode, b, code)
				}
			}
			r = get("call-1/participants/" + bob)
			r.method = http.MethodPost
			if resp, _ := r.do(t, srv); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET" {
				t.Errorf("POST to a participant: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
			}
			r = rawRequest{method: http.MethodGet, path: mutePath(v)}
			if resp, _ := r.do(t, srv); resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
				t.Errorf("GET of the mute path: %d", resp.StatusCode)
			}
			r = get("call-1/participants/" + bob)
			r.key = "d3Jvbmcta2V5"
			if resp, _ := r.do(t, srv); resp.StatusCode != 401 {
				t.Errorf("wrong key: %d", resp.StatusCode)
			}
			srv.InjectReadFaults(1, acstest.Fault{Status: 503})
			if resp, _ := get("call-1/participants/"+bob).do(t, srv); resp.StatusCode != 503 {
				t.Errorf("fault not applied: %d", resp.StatusCode)
			}
			reqs := srv.Requests()
			if n := srv.TotalExecutions(); n != 1 {
				t.Errorf("%d executions, want only the mute", n)
			}
			if last := reqs[len(reqs)-1]; last.Method != http.MethodGet || last.Status != 503 || last.Executed {
				t.Errorf("last request recorded as %+v", last)
			}
		})
	}
}
