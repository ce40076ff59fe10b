package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

Exit status: 0 muted; 1 the service or the network failed (status, error
code and message on stderr); 2 bad input, nothing sent.
`

// muteOutput is what a successful mute prints.
type muteOutput struct {
	OperationContext       string `json:"operationContext"`
	Status                 int    `json:"status"`
	RepeatabilityRequestID string `json:"repeatabilityRequestId"`
	Attempts               int    `json:"attempts"`
}

func runMute(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("acsmute mute", muteUsage, muteExamples, e)
	cs := fs.String("connection-string", "", "resource connection string (default $ACS_CONNECTION_STRING)")
	callID := fs.String("call", "", "call connection ID (required)")
	participant := fs.String("participant", "", "raw ID of the participant to mute, such as 8:acs:... (required)")
	opCtx := fs.String("operation-context", "", "text echoed back by the service, to correlate events")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long, retries included")
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
	res, err := c.MuteParticipant(ctx, *callID, who, &client.MuteParticipantOptions{OperationContext: *opCtx})
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
		Attempts:               res.Attempts,
	}, "", "  ")
	fmt.Fprintf(e.stdout, "%s\n", out)
	return exitOK
}

// printFailure writes a failed mute to stderr: status, code and message
// when the service answered, the error otherwise.
func printFailure(e env, err error) {
	var re *client.ResponseError
	if errors.As(err, &re) {
		fmt.Fprintf(e.stderr, "acsmute mute: failed: status %d, code %s: %s\n", re.StatusCode, orDash(re.ErrorCode), orDash(re.Message))
	}
	if errors.Is(err, client.ErrOutcomeUnknown) {
		fmt.Fprintln(e.stderr, "acsmute mute: the outcome is unknown: check the participant's state before muting again")
	}
	fmt.Fprintf(e.stderr, "acsmute mute: %v\n", err)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
