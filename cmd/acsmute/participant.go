package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/acsmute/acsmute/client"
)

const participantUsage = `Usage: acsmute participant --call ID --participant RAWID [flags]

Reads one participant of a call connection and prints it as one JSON object:
{"rawId": ..., "kind": ..., "isMuted": ..., "isOnHold": ...}

Flags:
`

var participantExamples = `
` + credentialHelp("participant") + `
Examples:
  acsmute participant --call 421f0b00-... --participant 8:acs:1b2c..._0000001a-...
  acsmute participant --call abc --participant 4:+15551234567 | jq .isMuted

Exit status: 0 read; 1 the service or the network failed (404 when the call
or the participant is not known); 2 bad input, nothing sent.
`

// participantOutput is what a read prints.
type participantOutput struct {
	RawID    string `json:"rawId"`
	Kind     string `json:"kind"`
	IsMuted  bool   `json:"isMuted"`
	IsOnHold bool   `json:"isOnHold"`
}

func runParticipant(ctx context.Context, args []string, e env) int {
	const cmd = "acsmute participant"
	fs := newFlagSet(cmd, participantUsage, participantExamples, e)
	cf := addCallFlags(fs, "to read")
	if ok, code := parseFlags(fs, args, e); !ok {
		return code
	}
	c, who, ok, code := cf.resolve(cmd, e, true)
	if !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, *cf.timeout)
	defer cancel()
	p, err := c.GetParticipant(ctx, *cf.call, who, nil)
	if err != nil {
		return callFailed(e, cmd, err)
	}
	printParticipant(e, p)
	return exitOK
}

// printParticipant writes a participant as one JSON line on stdout.
func printParticipant(e env, p client.CallParticipant) {
	b, _ := json.Marshal(participantOutput{RawID: p.Identifier.RawID(), Kind: string(p.Identifier.Kind()), IsMuted: p.IsMuted, IsOnHold: p.IsOnHold})
	fmt.Fprintf(e.stdout, "%s\n", b)
}
