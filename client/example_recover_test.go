package client_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// After an unknown outcome, resend the same logical request with the
// MuteError's repeatability values: the service answers as it did the first
// time, or mutes once if the request never arrived.
func ExampleMuteError() {
	// The emulator executes the mute, then drops the connection twice: the
	// answer is lost on the first attempt and on its retry.
	srv, _ := acstest.NewServer(&acstest.Options{Calls: map[string][]string{"call-1": {"8:acs:r_alice"}}})
	defer srv.Close()
	srv.InjectFaults(2, acstest.Fault{Drop: acstest.DropAfterExecute})
	c, _ := client.NewClientFromConnectionString(srv.ConnectionString(),
		&client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 1}})
	alice := client.CommunicationUserIdentifier{ID: "8:acs:r_alice"}

	_, err := c.MuteParticipant(context.Background(), "call-1", alice, nil)
	var me *client.MuteError
	if errors.Is(err, client.ErrOutcomeUnknown) && errors.As(err, &me) {
		fmt.Println("outcome unknown after", me.Attempts, "attempts")
		_, err = c.MuteParticipant(context.Background(), "call-1", alice, &client.MuteParticipantOptions{
			RepeatabilityRequestID: me.RepeatabilityRequestID,
			RepeatabilityFirstSent: me.RepeatabilityFirstSent,
		})
	}
	muted, _ := srv.IsMuted("call-1", "8:acs:r_alice")
	fmt.Println("error:", err, "muted:", muted, "executions:", srv.TotalExecutions())
	// Output:
	// outcome unknown after 2 attempts
	// error: <nil> muted: true executions: 1
}
