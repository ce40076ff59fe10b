package callback_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// A service removes a participant and waits for the verified callback that
// says it is done. The emulator plays the service; in production the
// verifier takes the resource's ID and nothing else.
func ExampleWaiter() {
	waiter, err := callback.NewWaiter(nil)
	if err != nil {
		panic(err)
	}
	// The service's callback endpoint: verify, parse, deliver.
	mux := http.NewServeMux()
	endpoint := httptest.NewServer(mux)
	defer endpoint.Close()

	srv, err := acstest.NewServer(&acstest.Options{
		CallbackURL: endpoint.URL + "/callbacks",
		Calls:       map[string][]string{"call-1": {"8:acs:r_alice", "8:acs:r_bob"}},
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	verifier, err := callback.NewVerifier(srv.ResourceID(), &callback.VerifierOptions{
		Issuer: srv.URL, KeysURL: srv.URL + acstest.PathCallbackKeys, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	mux.Handle("POST /callbacks", verifier.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		events, err := callback.Parse(body)
		if err != nil {
			http.Error(w, "not CloudEvents", http.StatusBadRequest)
			return
		}
		waiter.Deliver(events...)
	})))

	c := srv.Client()
	ctx := context.Background()
	res, err := c.RemoveParticipant(ctx, "call-1", client.CommunicationUserIdentifier{ID: "8:acs:r_bob"},
		&client.RemoveParticipantOptions{OperationContext: "remove-bob"})
	if err != nil {
		panic(err)
	}
	fmt.Println("answered", res.StatusCode, "for", res.OperationContext)

	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	e, err := waiter.Wait(ctx, "call-1", res.OperationContext)
	if err != nil {
		fmt.Println("no outcome yet:", err)
		return
	}
	switch e.Type {
	case callback.TypeRemoveParticipantSucceeded:
		s, _ := e.RemoveParticipantSucceeded()
		fmt.Println("removed", s.Participant.RawID())
	case callback.TypeRemoveParticipantFailed:
		f, _ := e.RemoveParticipantFailed()
		fmt.Println("not removed:", f.ResultInformation.Message)
	case callback.TypeCallDisconnected:
		fmt.Println("the call ended first")
	}
	// Output:
	// answered 202 for remove-bob
	// removed 8:acs:r_bob
}
