package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/acsmute/acsmute/client"
)

const muteUsage = `Usage: acsmute mute --call ID --participant RAWID [flags]
       acsmute mute --call ID --all [--except RAWID]... [flags]

Mutes one participant of a call connection and prints the result as JSON.
With --verify it then reads the participant back and succeeds only if the
service reports it muted.

With --all it lists the call's participants and mutes every one the
service can mute (Communication Services users and Teams Phone extension
users), except those named with --except (each must be in the call, or
nothing is muted) and those already muted, at most --concurrency at a time. It prints one JSON
line per participant: {"rawId","kind","result"} with result "muted",
"already muted", "skipped" (with the reason; nothing was sent), "failed"
(with the error) or "unknown" (with the repeatability values to resend).

Flags:
`

var muteExamples = `
` + credentialHelp("mute") + `
When the outcome is unknown (the network failed after the request may have
reached the service), acsmute says so and prints the repeatability flags to
resend the same request with: within 4m30s of the first send (the hint gives
the time), the
service then answers as it did the first time, or mutes once if the request
never arrived. 'acsmute participant' shows whether the participant is muted.

Examples:
  export ACS_CONNECTION_STRING='endpoint=https://my-resource.communication.azure.com/;accesskey=...'
  acsmute mute --call 421f0b00-... --participant 8:acs:1b2c..._0000001a-...
  acsmute mute --call abc --participant 8:acs:r_u --operation-context mute-42 --verify
  acsmute mute --call abc --participant 8:acs:r_u \
    --repeatability-request-id 0f8fad5b-d9cb-469f-a165-70867728950e \
    --repeatability-first-sent 'Sun, 29 Nov 2026 12:00:00 GMT'

  acsmute mute --call abc --all --except 8:acs:r_presenter --api-version 2026-03-12

Exit status: 0 muted (and, with --verify, read back muted; with --all, every
targeted participant ended muted); 1 the service or the network failed, or
--verify read the participant unmuted (on stderr), or with --all some
targeted participant is not known to be muted; 2 bad input, nothing sent.
`

// muteOutput is what a successful mute prints.
type muteOutput struct {
	OperationContext       string `json:"operationContext"`
	Status                 int    `json:"status"`
	RepeatabilityRequestID string `json:"repeatabilityRequestId"`
	RepeatabilityFirstSent string `json:"repeatabilityFirstSent"`
	Attempts               int    `json:"attempts"`
	Verified               *bool  `json:"verified,omitempty"`
}

func runMute(ctx context.Context, args []string, e env) int {
	const cmd = "acsmute mute"
	fs := newFlagSet(cmd, muteUsage, muteExamples, e)
	cf := addCallFlags(fs, "to mute")
	opCtx := fs.String("operation-context", "", "text echoed back by the service, to correlate events")
	verify := fs.Bool("verify", false, "read the participant back after muting; exit 1 unless it is muted")
	repID := fs.String("repeatability-request-id", "", "resend the request with this Repeatability-Request-ID (a UUID), to resolve an unknown outcome")
	repSent := fs.String("repeatability-first-sent", "", "with --repeatability-request-id: when the request was first sent, as printed (an HTTP date)")
	all := fs.Bool("all", false, "mute every participant the API version can mute (instead of --participant)")
	var except rawIDList
	fs.Var(&except, "except", "with --all: a raw ID not to mute (repeatable)")
	concurrency := fs.Int("concurrency", client.DefaultMuteConcurrency, "with --all: the most mute requests in flight at once")
	if ok, code := parseFlags(fs, args, e); !ok {
		return code
	}
	switch {
	case *all && *cf.participant != "":
		return usageError(e, cmd, "give --participant or --all, not both")
	case !*all && len(except) > 0:
		return usageError(e, cmd, "--except goes with --all")
	case *all && (*repID != "" || *repSent != "" || *verify):
		return usageError(e, cmd, "--repeatability-request-id, --repeatability-first-sent and --verify go with --participant, not --all")
	case *concurrency < 1:
		return usageError(e, cmd, "--concurrency must be at least 1")
	}
	c, who, ok, code := cf.resolve(cmd, e, !*all)
	if !ok {
		return code
	}
	excepted := map[string]bool{}
	for _, v := range except {
		who, err := rawIDFlag("--except", v)
		if err != nil {
			return usageError(e, cmd, "%s", err)
		}
		excepted[who.RawID()] = true
	}
	if *all {
		ctx, cancel := context.WithTimeout(ctx, *cf.timeout)
		defer cancel()
		return muteAll(ctx, c, *cf.call, excepted, &client.MuteParticipantsOptions{OperationContext: *opCtx, Concurrency: *concurrency}, e)
	}
	if (*repID == "") != (*repSent == "") {
		return usageError(e, cmd, "--repeatability-request-id and --repeatability-first-sent go together")
	}
	opts := &client.MuteParticipantOptions{OperationContext: *opCtx, RepeatabilityRequestID: *repID}
	if *repSent != "" {
		t, err := http.ParseTime(*repSent)
		if err != nil {
			return usageError(e, cmd, "--repeatability-first-sent must be an HTTP date such as %q", "Sun, 29 Nov 2026 12:00:00 GMT")
		}
		opts.RepeatabilityFirstSent = t
	}

	ctx, cancel := context.WithTimeout(ctx, *cf.timeout)
	defer cancel()
	res, err := c.MuteParticipant(ctx, *cf.call, who, opts)
	if err != nil {
		return callFailed(e, cmd, err)
	}
	out := muteOutput{
		OperationContext:       res.OperationContext,
		Status:                 res.StatusCode,
		RepeatabilityRequestID: res.RepeatabilityRequestID,
		RepeatabilityFirstSent: res.RepeatabilityFirstSent.Format(http.TimeFormat),
		Attempts:               res.Attempts,
	}
	code = exitOK
	if *verify {
		p, err := c.GetParticipant(ctx, *cf.call, who, nil)
		if err != nil {
			printFailure(e, cmd, fmt.Errorf("muted, but reading the participant back failed: %w", err))
			return exitFailure
		}
		if got := p.Identifier.RawID(); got != who.RawID() {
			printFailure(e, cmd, fmt.Errorf("muted, but reading the participant back returned another participant, %s", got))
			return exitFailure
		}
		out.Verified = &p.IsMuted
		if !p.IsMuted {
			fmt.Fprintf(e.stderr, "%s: the service answered the mute with %d, but reading the participant back says isMuted false (isOnHold %v)\n", cmd, res.StatusCode, p.IsOnHold)
			code = exitFailure
		}
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	fmt.Fprintf(e.stdout, "%s\n", b)
	return code
}
