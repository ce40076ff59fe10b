package acstest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/client"
)

// Requests the service refuses execute nothing: they are not counted, and
// their replays are not executions either.
func TestRefusedMutesAreNotExecutions(t *testing.T) {
	srv := newServer(t, nil)
	for _, r := range []rawRequest{
		{path: "/calling/callConnections/no-call/participants:mute?api-version=" + client.APIVersion, body: muteBody(alice, "")},
		{body: muteBody("8:acs:res_nobody", "")},
		{body: muteBody(phone, "")},
	} {
		id := uuid.NewString()
		r.repeatID, r.firstSent = id, nowHTTP()
		resp, _ := r.do(t, srv)
		if resp.StatusCode/100 != 4 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		resp, _ = r.do(t, srv) // replayed refusal
		if resp.StatusCode/100 != 4 || srv.Executions(id) != 0 {
			t.Errorf("%s: replay %d, %d executions", r.path, resp.StatusCode, srv.Executions(id))
		}
	}
	for _, r := range srv.Requests() {
		if r.Executed {
			t.Errorf("request %d (%d %s) marked executed", r.Seq, r.Status, r.ErrorCode)
		}
	}
	if n := srv.TotalExecutions(); n != 0 {
		t.Errorf("%d executions", n)
	}
	rawRequest{body: muteBody(alice, "")}.do(t, srv)
	if n := srv.TotalExecutions(); n != 1 {
		t.Errorf("after a real mute: %d executions", n)
	}
}

func nowHTTP() string { return time.Now().UTC().Format(http.TimeFormat) }
