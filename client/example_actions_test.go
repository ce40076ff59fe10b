package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// Hold a participant with a prompt to hear, read them back, and take them
// off hold again; the emulator plays the service.
func ExampleClient_HoldParticipant() {
	srv, err := acstest.NewServer(&acstest.Options{Calls: map[string][]string{"call-1": {"4:+15551234567"}}})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()
	caller := client.PhoneNumberIdentifier{PhoneNumber: "+15551234567"}

	res, err := c.HoldParticipant(ctx, "call-1", caller, &client.HoldParticipantOptions{PlayFileURL: "https://media.example/hold.wav"})
	var ae *client.ActionError
	switch {
	case errors.Is(err, client.ErrOutcomeUnknown):
		// Hold sets a state: read the participant back, or hold again.
		fmt.Println("unknown:", err)
		return
	case errors.As(err, &ae):
		fmt.Println("not held:", err)
		return
	case err != nil:
		fmt.Println(err) // bad input: nothing was sent
		return
	}
	fmt.Println("hold answered", res.StatusCode)
	p, _ := c.GetParticipant(ctx, "call-1", caller, nil)
	fmt.Println("on hold:", p.IsOnHold)
	if _, err := c.UnholdParticipant(ctx, "call-1", caller, nil); err != nil {
		fmt.Println(err)
		return
	}
	p, _ = c.GetParticipant(ctx, "call-1", caller, nil)
	fmt.Println("on hold:", p.IsOnHold)
	// Output:
	// hold answered 200
	// on hold: true
	// on hold: false
}

// A remove is accepted (202), not done: the outcome comes as a callback
// event carrying the result's operation context (see callback.Waiter).
func ExampleClient_RemoveParticipant() {
	srv := exampleServer(http.StatusAccepted, `{"operationContext":"remove-7"}`)
	defer srv.Close()
	c, _ := client.NewClientFromConnectionString("endpoint="+srv.URL+"/;accesskey=ZmFrZS1hY2Nlc3Mta2V5LWZvci10ZXN0cw==", nil)

	res, err := c.RemoveParticipant(context.Background(), "call-connection-id", client.CommunicationUserIdentifier{ID: "8:acs:r_u"},
		&client.RemoveParticipantOptions{OperationContext: "remove-7"})
	var ae *client.ActionError
	if errors.Is(err, client.ErrOutcomeUnknown) && errors.As(err, &ae) {
		// Resend the same request: the service removes at most once.
		res, err = c.RemoveParticipant(context.Background(), "call-connection-id", client.CommunicationUserIdentifier{ID: "8:acs:r_u"},
			&client.RemoveParticipantOptions{OperationContext: ae.OperationContext,
				RepeatabilityRequestID: ae.RepeatabilityRequestID, RepeatabilityFirstSent: ae.RepeatabilityFirstSent})
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.StatusCode, "accepted; wait for the event about", res.OperationContext)
	// Output: 202 accepted; wait for the event about remove-7
}
