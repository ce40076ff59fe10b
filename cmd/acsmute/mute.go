package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/acsmute/acsmute/client"
)

const muteUsage = `Usage: acsmute mute --call ID --participant RAWID [flags]

Mutes one participant of a call connection and prints the result as JSON.

Flags:
`

const muteExamples = `
The connection string comes from --connection-string or, when the flag is
absent, from the ACS_CONNECTION_STRING environment variable. It is never
printed.

Examples:
  export ACS_CONNECTION_STRING='endpoint=https://my-resource.communication.azure.com/;accesskey=...'
  acsmute mute --call 421f0b00-... --participant 8:acs:1b2c..._0000001a-...
  acsmute mute --connection-string "$CS" --call abc --participant 8:acs:r_u --operation-context mute-42

When the outcome is unknown (the network failed after the request may have
reached the service), acsmute prints the repeatability flags to resend the
same request with: within five minutes of the first send, the service then
answers as it did the first time, or mutes once if the request never arrived.

  acsmute mute --call abc --participant 8:acs:r_u \
    --repeatability-request-id 0f8fad5b-d9cb-469f-a165-70867728950e \
    --repeatability-first-sent 'Sun, 29 Nov 2026 12:00:00 GMT'

Exit status: 0 muted; 1 the service or the network failed (status, error
code and message on stderr); 2 bad input, nothing sent.
`

// muteOutput is what a successful mute prints.
type muteOutput struct {
	OperationContext       string `json:"operationContext"`
	Status                 int    `json:"status"`
	RepeatabilityRequestID string `json:"repeatabilityRequestId"`
	RepeatabilityFirstSent string `json:"repeatabilityFirstSent"`
	Attempts               int    `json:"attempts"`
}

func runMute(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("acsmute mute", muteUsage, muteExamples, e)
	cs := fs.String("connection-string", "", "resource connection string (default $ACS_CONNECTION_STRING)")
	callID := fs.String("call", "", "call connection ID (required)")
	participant := fs.String("participant", "", "raw ID of the participant to mute, such as 8:acs:... (required)")
	opCtx := fs.String("operation-context", "", "text echoed back by the service, to correlate events")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long, retries included")
	repID := fs.String("repeatability-request-id", "", "resend the request with this Repeatability-Request-ID (a UUID), to resolve an unknown outcome")
	repSent := fs.String("repeatability-first-sent", "", "with --repeatability-request-id: when the request was first sent, as printed (an HTTP date)")
	if ok, code := parseFlags(fs, args, e); !ok {
		return code
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "acsmute mute: "+format+"\nRun 'acsmute mute --help' for usage.\n", a...)
		return exitUsage
	}
	if *cs == "" {
		*cs = e.getenv("ACS_CONNECTION_STRING")
	}
	switch {
	case *cs == "":
		return bad("--connection-string is required (or set ACS_CONNECTION_STRING)")
	case *callID == "":
		return bad("--call is required")
	case *participant == "":
		return bad("--participant is required")
	case *timeout <= 0:
		return bad("--timeout must be positive")
	case (*repID == "") != (*repSent == ""):
		return bad("--repeatability-request-id and --repeatability-first-sent go together")
	}
	opts := &client.MuteParticipantOptions{OperationContext: *opCtx, RepeatabilityRequestID: *repID}
	if *repSent != "" {
		t, err := http.ParseTime(*repSent)
		if err != nil {
			return bad("--repeatability-first-sent must be an HTTP date such as %q", "Sun, 29 Nov 2026 12:00:00 GMT")
		}
		opts.RepeatabilityFirstSent = t
	}
	who, err := client.ParseRawID(*participant)
	if err != nil {
		return bad("%s", strings.TrimPrefix(err.Error(), "acsmute: "))
	}
	c, err := client.NewClientFromConnectionString(*cs, nil)
	if err != nil {
		return bad("%s", strings.TrimPrefix(err.Error(), "acsmute: "))
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	res, err := c.MuteParticipant(ctx, *callID, who, opts)
	if err != nil {
		if errors.Is(err, client.ErrInvalidInput) {
			return bad("%s", strings.TrimPrefix(err.Error(), "acsmute: "))
		}
		printFailure(e, err)
		return exitFailure
	}
	out, _ := json.MarshalIndent(muteOutput{
		OperationContext:       res.OperationContext,
		Status:                 res.StatusCode,
		RepeatabilityRequestID: res.RepeatabilityRequestID,
		RepeatabilityFirstSent: res.RepeatabilityFirstSent.Format(http.TimeFormat),
		Attempts:               res.Attempts,
	}, "", "  ")
	fmt.Fprintf(e.stdout, "%s\n", out)
	return exitOK
}

// printFailure writes a failed mute to stderr: status, code and message
// when the service answered, the error, and for an unknown outcome the flags
// that resend the same request.
func printFailure(e env, err error) {
	var re *client.ResponseError
	if errors.As(err, &re) {
		fmt.Fprintf(e.stderr, "acsmute mute: failed: status %d, code %s: %s\n", re.StatusCode, orDash(re.ErrorCode), orDash(re.Message))
	}
	fmt.Fprintf(e.stderr, "acsmute mute: %s\n", strings.TrimPrefix(err.Error(), "acsmute: "))
	var me *client.MuteError
	if errors.Is(err, client.ErrOutcomeUnknown) && errors.As(err, &me) {
		fmt.Fprintf(e.stderr, "acsmute mute: the outcome is unknown; to resolve it, resend within %v of the first send with the same flags plus:\n  --repeatability-request-id %s --repeatability-first-sent '%s'\n",
			client.RepeatabilityWindow, me.RepeatabilityRequestID, me.RepeatabilityFirstSent.Format(http.TimeFormat))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
