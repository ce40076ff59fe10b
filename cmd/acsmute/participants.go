package main

import "context"

const participantsUsage = `Usage: acsmute participants --call ID [flags]

Lists the participants of a call connection, one JSON object per line:
{"rawId": ..., "kind": ..., "isMuted": ..., "isOnHold": ...}
Lines are printed as pages arrive; the raw IDs are what --participant and
--except take.

Flags:
`

var participantsExamples = `
` + credentialHelp("participants") + `
Examples:
  acsmute participants --call 421f0b00-...
  acsmute participants --call abc | jq -r 'select(.isMuted | not) | .rawId'

Exit status: 0 listed; 1 the service or the network failed (404 when the call
is not known; the lines printed before stay valid); 2 bad input, nothing sent.
`

func runParticipants(ctx context.Context, args []string, e env) int {
	const cmd = "acsmute participants"
	fs := newFlagSet(cmd, participantsUsage, participantsExamples, e)
	cf := addCallFlags(fs, "")
	if ok, code := parseFlags(fs, args, e); !ok {
		return code
	}
	c, _, ok, code := cf.resolve(cmd, e, false)
	if !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, *cf.timeout)
	defer cancel()
	for p, err := range c.ListParticipants(ctx, *cf.call, nil) {
		if err != nil {
			return callFailed(e, cmd, err)
		}
		printParticipant(e, p)
	}
	return exitOK
}
