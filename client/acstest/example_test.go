package acstest_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// A test of code that mutes participants starts an emulator, points a client
// at it, and checks the call's state afterwards.
func ExampleNewServer() {
	srv, err := acstest.NewServer(&acstest.Options{
		Calls: map[string][]string{"call-1": {"8:acs:r_alice", "8:acs:r_bob"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	c, err := client.NewClientFromConnectionString(srv.ConnectionString(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: "8:acs:r_alice"}, nil); err != nil {
		fmt.Println(err)
		return
	}
	parts, _ := srv.Participants("call-1")
	for _, p := range parts {
		fmt.Println(p.RawID, p.Muted)
	}
	// Output:
	// 8:acs:r_alice true
	// 8:acs:r_bob false
}

// Faults make the emulator misbehave like a real network and service.
func ExampleServer_InjectFaults() {
	srv, _ := acstest.NewServer(&acstest.Options{Calls: map[string][]string{"call-1": {"8:acs:r_alice"}}})
	defer srv.Close()
	srv.InjectFaults(1, acstest.Fault{Status: http.StatusServiceUnavailable, RetryAfterMs: "10"})
	srv.InjectFaults(1, acstest.Fault{Drop: acstest.DropAfterExecute})

	c, _ := client.NewClientFromConnectionString(srv.ConnectionString(),
		&client.ClientOptions{Retry: client.RetryOptions{RetryDelay: 10 * time.Millisecond}})
	res, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: "8:acs:r_alice"}, nil)
	fmt.Println(err, res.Attempts, srv.Executions(res.RepeatabilityRequestID))
	for _, r := range srv.Requests() {
		fmt.Println(r.Status, r.Executed, r.Replayed, r.Dropped)
	}
	// Output:
	// <nil> 3 1
	// 503 false false false
	// 0 true false true
	// 200 false true false
}
