package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
	"github.com/acsmute/acsmute/openapi/wire"
)

const demoUsage = `Usage: acsmute demo [--api-version V]

Starts the emulator in-process on a loopback port with one call and three
participants, mutes one of them through the client, and shows the request
sent, the answer, and the participant read back to confirm it. Then it
mutes a second one while the emulator fails the first attempt with 503, to
show a safe retry (same repeatability headers, one execution), and tries a
phone participant, which the service refuses. The participants are shown
before and after. The client speaks --api-version (the default is the
client's default version), and the demo says which.

Flags:
`

const demoExamples = `
Examples:
  acsmute demo
  acsmute demo --api-version 2026-03-12
`

func runDemo(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("acsmute demo", demoUsage, demoExamples, e)
	version := addAPIVersionFlag(fs)
	if ok, code := parseFlags(fs, args, e); !ok {
		return code
	}
	if err := checkAPIVersion(*version); err != nil {
		return usageError(e, "acsmute demo", "%s", err)
	}
	if err := demo(ctx, e, *version); err != nil {
		fmt.Fprintf(e.stderr, "acsmute demo: %v\n", err)
		return exitFailure
	}
	return exitOK
}

const (
	demoCall = "demo-call"
	alice    = "8:acs:demo-resource_alice"
	bob      = "8:acs:demo-resource_bob"
	carol    = "4:+15550100"
)

func demo(ctx context.Context, e env, version string) error {
	w := e.stdout
	srv, err := acstest.NewServer(&acstest.Options{Calls: map[string][]string{demoCall: {alice, bob, carol}}})
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(w, "Emulator listening on %s (in-process, loopback only)\n", srv.URL)

	c, err := client.NewClientFromConnectionString(srv.ConnectionString(), &client.ClientOptions{
		APIVersion: version,
		Retry:      client.RetryOptions{RetryDelay: 100 * time.Millisecond}, // keeps the demo quick
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Client speaks Call Automation API version %s (supported: %s)\n\n", c.APIVersion(), strings.Join(client.SupportedAPIVersions(), ", "))
	showCall(w, srv, "before")

	fmt.Fprintf(w, "\n== 1. Mute %s\n", alice)
	res, err := c.MuteParticipant(ctx, demoCall, client.CommunicationUserIdentifier{ID: alice},
		&client.MuteParticipantOptions{OperationContext: "demo-mute-alice"})
	if err != nil {
		return err
	}
	reqs := srv.Requests()
	showRequest(w, reqs[len(reqs)-1])
	fmt.Fprintf(w, "\nAnswer: %d %s, operationContext %q, after %d attempt(s)\n", res.StatusCode, http.StatusText(res.StatusCode), res.OperationContext, res.Attempts)

	fmt.Fprintf(w, "\n== Read %s back to confirm\n", alice)
	p, err := c.GetParticipant(ctx, demoCall, client.CommunicationUserIdentifier{ID: alice}, nil)
	if err != nil {
		return err
	}
	reqs = srv.Requests()
	fmt.Fprintf(w, "Request sent:\n  %s %s\n", reqs[len(reqs)-1].Method, reqs[len(reqs)-1].RequestURI)
	fmt.Fprintf(w, "Answer: %s (%s) isMuted %v, isOnHold %v\n", p.Identifier.RawID(), p.Identifier.Kind(), p.IsMuted, p.IsOnHold)
	if !p.IsMuted {
		return fmt.Errorf("%s reads back unmuted", alice)
	}

	fmt.Fprintf(w, "\n== 2. Mute %s while the emulator answers the first attempt with 503\n", bob)
	if err := srv.InjectFaults(1, acstest.Fault{Status: http.StatusServiceUnavailable, RetryAfterMs: "50"}); err != nil {
		return err
	}
	before := len(srv.Requests())
	res, err = c.MuteParticipant(ctx, demoCall, client.CommunicationUserIdentifier{ID: bob}, nil)
	if err != nil {
		return err
	}
	for _, r := range srv.Requests()[before:] {
		fmt.Fprintf(w, "  attempt: %s %s -> %s (Repeatability-Request-ID %s, executed %v)\n",
			r.Method, r.RequestURI, statusText(r.Status), r.Header.Get(wire.HeaderRepeatabilityRequestID), r.Executed)
	}
	fmt.Fprintf(w, "Answer: %d after %d attempts; the emulator executed the mute %d time(s)\n",
		res.StatusCode, res.Attempts, srv.Executions(res.RepeatabilityRequestID))

	fmt.Fprintf(w, "\n== 3. Mute %s, a phone participant: the service mutes Communication Services and Teams Phone extension users only\n", carol)
	who, _ := client.ParseRawID(carol)
	_, err = c.MuteParticipant(ctx, demoCall, who, nil)
	var re *client.ResponseError
	if !errors.As(err, &re) {
		return fmt.Errorf("expected a service error, got: %w", err)
	}
	fmt.Fprintf(w, "Answer: %d, code %s: %s\n\n", re.StatusCode, re.ErrorCode, re.Message)

	showCall(w, srv, "after")
	return nil
}

func statusText(code int) string {
	if code == 0 {
		return "connection dropped"
	}
	return fmt.Sprintf("%d %s", code, http.StatusText(code))
}

func showCall(w io.Writer, srv *acstest.Server, when string) {
	parts, _ := srv.Participants(demoCall)
	fmt.Fprintf(w, "Participants of %s, %s:\n", demoCall, when)
	for _, p := range parts {
		state := "unmuted"
		if p.Muted {
			state = "MUTED"
		}
		fmt.Fprintf(w, "  %-28s %s\n", p.RawID, state)
	}
}

func showRequest(w io.Writer, r acstest.Request) {
	fmt.Fprintf(w, "Request sent:\n  %s %s\n  Host: %s\n", r.Method, r.RequestURI, r.Host)
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if k == "Accept-Encoding" || k == "Content-Length" {
			continue
		}
		fmt.Fprintf(w, "  %s: %s\n", k, strings.Join(r.Header[k], ", "))
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, r.Body, "  ", "  ") == nil {
		fmt.Fprintf(w, "\n  %s\n", pretty.String())
	}
}
