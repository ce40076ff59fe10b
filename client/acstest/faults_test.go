package acstest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// A dropped connection loses the answer either before the mute
// (DropBeforeExecute: nothing happens, so a resend executes) or after it
// (DropAfterExecute: the participant is muted, so a resend with the same
// Repeatability-Request-ID gets the remembered answer without executing).
func TestDroppedRequestsAndResends(t *testing.T) {
	tests := []struct {
		drop acstest.Drop
		// after the dropped request
		mutedAfterDrop    bool
		executedAfterDrop bool
		// the resend
		resendExecuted, resendReplayed bool
	}{
		{acstest.DropBeforeExecute, false, false, true, false},
		{acstest.DropAfterExecute, true, true, false, true},
	}
	for _, tt := range tests {
		name := map[acstest.Drop]string{acstest.DropBeforeExecute: "DropBeforeExecute", acstest.DropAfterExecute: "DropAfterExecute"}[tt.drop]
		t.Run(name, func(t *testing.T) {
			srv := newServer(t, nil)
			srv.InjectFaults(1, acstest.Fault{Drop: tt.drop})
			id := uuid.NewString()
			rr := rawRequest{body: muteBody(alice, "ctx-1"), repeatID: id, firstSent: time.Now().UTC().Format(http.TimeFormat)}

			if resp, _, err := rr.send(t, srv); err == nil {
				t.Fatalf("dropped request got an answer: %d", resp.StatusCode)
			}
			if m, _ := srv.IsMuted("call-1", alice); m != tt.mutedAfterDrop {
				t.Errorf("after the drop: muted = %v, want %v", m, tt.mutedAfterDrop)
			}
			wantExecs := 0
			if tt.executedAfterDrop {
				wantExecs = 1
			}
			if n := srv.Executions(id); n != wantExecs {
				t.Errorf("after the drop: executions = %d, want %d", n, wantExecs)
			}
			if n := srv.TotalExecutions(); n != wantExecs {
				t.Errorf("after the drop: total executions = %d, want %d", n, wantExecs)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests recorded, want 1", len(reqs))
			}
			if r := reqs[0]; !r.Dropped || r.Status != 0 || r.Executed != tt.executedAfterDrop || r.Replayed {
				t.Errorf("dropped request recorded as dropped=%v status=%d executed=%v replayed=%v, want executed=%v",
					r.Dropped, r.Status, r.Executed, r.Replayed, tt.executedAfterDrop)
			}

			resp, b := rr.do(t, srv)
			if resp.StatusCode != 200 || b["operationContext"] != "ctx-1" || resp.Header.Get("Repeatability-Result") != "accepted" {
				t.Errorf("resend: %d %v %v", resp.StatusCode, resp.Header, b)
			}
			if m, _ := srv.IsMuted("call-1", alice); !m {
				t.Error("after the resend: alice is not muted")
			}
			if n := srv.Executions(id); n != 1 {
				t.Errorf("after the resend: executions = %d, want 1", n)
			}
			reqs = srv.Requests()
			if last := reqs[len(reqs)-1]; len(reqs) != 2 || last.Dropped || last.Executed != tt.resendExecuted || last.Replayed != tt.resendReplayed {
				t.Errorf("resend recorded as dropped=%v executed=%v replayed=%v, want executed=%v replayed=%v",
					last.Dropped, last.Executed, last.Replayed, tt.resendExecuted, tt.resendReplayed)
			}
		})
	}
}

// Mute faults are the mutes': reads, the published keys and requests to no
// operation neither get nor consume them, and SetFaultFunc counts mutes.
func TestMuteFaultsAreForMutes(t *testing.T) {
	srv := newServer(t, nil)
	srv.InjectFaults(1, acstest.Fault{Status: 503})
	var seqs []int
	srv.SetFaultFunc(func(seq int) *acstest.Fault { seqs = append(seqs, seq); return nil })
	for _, rr := range []rawRequest{
		{method: http.MethodGet, path: "/favicon.ico"},
		{method: http.MethodGet, path: "/calling/callConnections/call-1/participants/" + alice + "?api-version=" + client.APIVersion},
		{method: http.MethodGet, path: "/calling/callConnections/call-1/participants?api-version=" + client.APIVersion},
		{method: http.MethodGet, path: acstest.PathCallbackKeys},
	} {
		if resp, _ := rr.do(t, srv); resp.StatusCode == 503 {
			t.Errorf("%s got the mute fault", rr.path)
		}
	}
	if resp, _ := (rawRequest{body: muteBody(alice, "")}).do(t, srv); resp.StatusCode != 503 {
		t.Errorf("the mute did not get its fault: %d", resp.StatusCode)
	}
	if resp, _ := (rawRequest{body: muteBody(bob, "")}).do(t, srv); resp.StatusCode != 200 {
		t.Errorf("second mute: %d", resp.StatusCode)
	}
	if len(seqs) != 1 || seqs[0] != 2 {
		t.Errorf("SetFaultFunc saw %v, want [2] (the second mute)", seqs)
	}
	// Read faults are the reads'.
	srv.InjectReadFaults(1, acstest.Fault{Status: 500})
	if resp, _ := (rawRequest{body: muteBody(bob, "")}).do(t, srv); resp.StatusCode != 200 {
		t.Errorf("a mute got the read fault: %d", resp.StatusCode)
	}
	if resp, _ := (rawRequest{method: http.MethodGet, path: "/calling/callConnections/call-1/participants?api-version=" + client.APIVersion}).do(t, srv); resp.StatusCode != 500 {
		t.Errorf("the read did not get its fault: %d", resp.StatusCode)
	}
}
