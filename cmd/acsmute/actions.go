package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"time"

	"github.com/acsmute/acsmute/client"
)

const holdUsage = `Usage: acsmute hold --call ID --participant RAWID [flags]

Puts one participant of a call connection on hold and prints the result as
JSON. With --play-file the participant hears that audio file meanwhile. With
--verify it then reads the participant back and succeeds only if the
service reports it on hold.

Hold carries no repeatability headers: it sets a state, so the client
retries an attempt whose answer was lost, and running the command again is
harmless. A hold that fails after the service answered it is reported by a
HoldFailed event to the call's (or --operation-callback-url's) callback URL.

Flags:
`

const unholdUsage = `Usage: acsmute unhold --call ID --participant RAWID [flags]

Takes one participant of a call connection off hold and prints the result
as JSON. With --verify it then reads the participant back and succeeds only
if the service reports it not on hold. Like hold, it sets a state: running
it again is harmless.

Flags:
`

const removeUsage = `Usage: acsmute remove --call ID --participant RAWID [flags]

Asks the service to remove one participant from a call connection and
prints the result as JSON. The service answers 202 Accepted: the request is
taken, the participant is not gone yet. The outcome is posted later, as a
RemoveParticipantSucceeded or RemoveParticipantFailed event carrying the
printed operationContext, to the call's (or --operation-callback-url's)
callback URL. With --verify the command reads the participant back until the
service no longer finds it (or --timeout ends), and succeeds only then.

Flags:
`

func actionExamples(cmd, extra string) string {
	return `
` + credentialHelp(cmd) + `
When the outcome is unknown (the network failed after the request may have
reached the service), acsmute says so and how to settle it` + extra + `.

Examples:
  export ACS_CONNECTION_STRING='endpoint=https://my-resource.communication.azure.com/;accesskey=...'
  acsmute ` + cmd + ` --call 421f0b00-... --participant 8:acs:1b2c..._0000001a-... --verify
` + map[string]string{
		"hold":   "  acsmute hold --call abc --participant 4:+15551234567 --play-file https://media.example/hold.wav --operation-context hold-42\n",
		"unhold": "  acsmute unhold --call abc --participant 4:+15551234567 --api-version 2026-03-12 --operation-callback-url https://app.example/ops\n",
		"remove": "  acsmute remove --call abc --participant 8:acs:r_u --operation-context remove-42\n",
	}[cmd] + `
Exit status: 0 done (and, with --verify, read back so); 1 the service or the
network failed, or the outcome is unknown, or --verify read something else
(on stderr); 2 bad input, nothing sent.
`
}

// actionOutput is what a successful hold, unhold or remove prints.
type actionOutput struct {
	OperationContext       string `json:"operationContext,omitempty"`
	Status                 int    `json:"status"`
	RepeatabilityRequestID string `json:"repeatabilityRequestId,omitempty"`
	RepeatabilityFirstSent string `json:"repeatabilityFirstSent,omitempty"`
	Attempts               int    `json:"attempts"`
	Verified               *bool  `json:"verified,omitempty"`
}

// actionFlags are the flags hold, unhold and remove share.
type actionFlags struct {
	callFlags
	opContext, callbackURL *string
	verify                 *bool
}

func addActionFlags(fs *flag.FlagSet, what string) actionFlags {
	return actionFlags{
		callFlags:   addCallFlags(fs, what),
		opContext:   fs.String("operation-context", "", "text the service echoes in the events about the request, to correlate them"),
		callbackURL: fs.String("operation-callback-url", "", "where the service posts the events about this request, instead of the call's callback URL"),
		verify:      fs.Bool("verify", false, "read the participant back afterwards; exit 1 unless it is as the command asked"),
	}
}

func runHold(ctx context.Context, args []string, e env) int {
	const cmd = "acsmute hold"
	fs := newFlagSet(cmd, holdUsage, actionExamples("hold", ": check with 'acsmute participant', or run the same command again"), e)
	af := addActionFlags(fs, "to hold")
	playFile := fs.String("play-file", "", "an audio file (https URL) the participant hears while on hold")
	if ok, code := parseFlags(fs, args, e); !ok {
		return code
	}
	c, who, ok, code := af.resolve(cmd, e, true)
	if !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, *af.timeout)
	defer cancel()
	res, err := c.HoldParticipant(ctx, *af.call, who, &client.HoldParticipantOptions{
		OperationContext: *af.opContext, OperationCallbackURL: *af.callbackURL, PlayFileURL: *playFile})
	if err != nil {
		return callFailed(e, cmd, err)
	}
	out := actionOutput{OperationContext: *af.opContext, Status: res.StatusCode, Attempts: res.Attempts}
	return finishAction(ctx, e, cmd, c, af, who, out, true)
}

func runUnhold(ctx context.Context, args []string, e env) int {
	const cmd = "acsmute unhold"
	fs := newFlagSet(cmd, unholdUsage, actionExamples("unhold", ": check with 'acsmute participant', or run the same command again"), e)
	af := addActionFlags(fs, "to take off hold")
	if ok, code := parseFlags(fs, args, e); !ok {
		return code
	}
	c, who, ok, code := af.resolve(cmd, e, true)
	if !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, *af.timeout)
	defer cancel()
	res, err := c.UnholdParticipant(ctx, *af.call, who, &client.UnholdParticipantOptions{
		OperationContext: *af.opContext, OperationCallbackURL: *af.callbackURL})
	if err != nil {
		return callFailed(e, cmd, err)
	}
	out := actionOutput{OperationContext: *af.opContext, Status: res.StatusCode, Attempts: res.Attempts}
	return finishAction(ctx, e, cmd, c, af, who, out, false)
}

func runRemove(ctx context.Context, args []string, e env) int {
	const cmd = "acsmute remove"
	fs := newFlagSet(cmd, removeUsage, actionExamples("remove", ": resend with the flags it prints, or check with 'acsmute participant'"), e)
	af := addActionFlags(fs, "to remove")
	repID := fs.String("repeatability-request-id", "", "resend the request with this Repeatability-Request-ID (a UUID), to resolve an unknown outcome")
	repSent := fs.String("repeatability-first-sent", "", "with --repeatability-request-id: when the request was first sent, as printed (an HTTP date)")
	if ok, code := parseFlags(fs, args, e); !ok {
		return code
	}
	if (*repID == "") != (*repSent == "") {
		return usageError(e, cmd, "--repeatability-request-id and --repeatability-first-sent go together")
	}
	opts := &client.RemoveParticipantOptions{OperationContext: *af.opContext, OperationCallbackURL: *af.callbackURL, RepeatabilityRequestID: *repID}
	if *repSent != "" {
		t, err := http.ParseTime(*repSent)
		if err != nil {
			return usageError(e, cmd, "--repeatability-first-sent must be an HTTP date such as %q", "Sun, 29 Nov 2026 12:00:00 GMT")
		}
		opts.RepeatabilityFirstSent = t
	}
	c, who, ok, code := af.resolve(cmd, e, true)
	if !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, *af.timeout)
	defer cancel()
	res, err := c.RemoveParticipant(ctx, *af.call, who, opts)
	if err != nil {
		return callFailed(e, cmd, err)
	}
	out := actionOutput{
		OperationContext:       res.OperationContext,
		Status:                 res.StatusCode,
		RepeatabilityRequestID: res.RepeatabilityRequestID,
		RepeatabilityFirstSent: res.RepeatabilityFirstSent.Format(http.TimeFormat),
		Attempts:               res.Attempts,
	}
	if !*af.verify {
		return printAction(e, out, exitOK)
	}
	gone, last := waitGone(ctx, c, *af.call, who)
	out.Verified = &gone
	code = exitOK
	switch {
	case gone:
	case last == nil:
		fmt.Fprintf(e.stderr, "%s: the service accepted the remove (%d), but the participant was still in the call when --timeout ended\n", cmd, res.StatusCode)
		code = exitFailure
	default:
		fmt.Fprintf(e.stderr, "%s: the service accepted the remove (%d), but it could not be confirmed before --timeout ended; the last read: %s\n",
			cmd, res.StatusCode, cliMessage(last))
		code = exitFailure
	}
	return printAction(e, out, code)
}

// finishAction reads a held or unheld participant back when --verify asks,
// prints the result and returns the exit code.
func finishAction(ctx context.Context, e env, cmd string, c *client.Client, af actionFlags, who client.Identifier, out actionOutput, wantHold bool) int {
	if !*af.verify {
		return printAction(e, out, exitOK)
	}
	p, err := c.GetParticipant(ctx, *af.call, who, nil)
	if err != nil {
		printFailure(e, cmd, fmt.Errorf("the service answered %d, but reading the participant back failed: %w", out.Status, err))
		return exitFailure
	}
	ok := p.IsOnHold == wantHold
	out.Verified = &ok
	code := exitOK
	if !ok {
		fmt.Fprintf(e.stderr, "%s: the service answered %d, but reading the participant back says isOnHold %v\n", cmd, out.Status, p.IsOnHold)
		code = exitFailure
	}
	return printAction(e, out, code)
}

func printAction(e env, out actionOutput, code int) int {
	b, _ := json.MarshalIndent(out, "", "  ")
	fmt.Fprintf(e.stdout, "%s\n", b)
	return code
}

// waitGone reads the participant until the service says it is not in the
// call (a 404 with the service's error code: a bare 404, a gateway's, says
// nothing of the call), or ctx ends. A remove is carried out after it is
// answered, so the first reads may still find the participant. When it
// returns false, last is the last finished read's error, or nil when that
// read found the participant still there.
func waitGone(ctx context.Context, c *client.Client, callID string, who client.Identifier) (gone bool, last error) {
	last = errors.New("no read finished")
	delay := 100 * time.Millisecond
	for {
		_, err := c.GetParticipant(ctx, callID, who, nil)
		var re *client.ResponseError
		switch {
		case errors.As(err, &re) && re.StatusCode == http.StatusNotFound && re.ErrorCode != "":
			return true, nil
		case err != nil && ctx.Err() != nil:
			return false, last // cut short: the read before says more
		}
		last = err
		select {
		case <-ctx.Done():
			return false, last
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}
