package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/acsmute/acsmute/client"
)

// rawIDList is a repeatable flag of raw IDs.
type rawIDList []string

func (l *rawIDList) String() string { return strings.Join(*l, ",") }

func (l *rawIDList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// The results mute --all reports.
const (
	resultMuted        = "muted"
	resultAlreadyMuted = "already muted"
	resultSkipped      = "skipped"
	resultFailed       = "failed"
	resultUnknown      = "unknown"
)

// allLine is one line of mute --all's output.
type allLine struct {
	RawID  string `json:"rawId"`
	Kind   string `json:"kind"`
	Result string `json:"result"`
	// Reason says why a participant was skipped.
	Reason string `json:"reason,omitempty"`
	// Error is why a mute failed or has an unknown outcome.
	Error string `json:"error,omitempty"`
	// The values to resend an unknown outcome's request with.
	RepeatabilityRequestID string `json:"repeatabilityRequestId,omitempty"`
	RepeatabilityFirstSent string `json:"repeatabilityFirstSent,omitempty"`
}

// muteAll lists the call's participants, mutes those it targets and prints
// a line per participant. It returns the exit code.
func muteAll(ctx context.Context, c *client.Client, callID string, excepted map[string]bool, opts *client.MuteParticipantsOptions, e env) int {
	const cmd = "acsmute mute"
	var listed []client.CallParticipant
	for p, err := range c.ListParticipants(ctx, callID, nil) {
		if err != nil {
			if errors.Is(err, client.ErrInvalidInput) {
				return usageError(e, cmd, "%s", cliMessage(err))
			}
			printFailure(e, cmd, fmt.Errorf("listing the participants: %w", err))
			return exitFailure
		}
		listed = append(listed, p)
	}
	lines := make([]allLine, len(listed))
	var targets []client.Identifier
	var at []int // index in lines of each target
	inCall := map[string]bool{}
	for i, p := range listed {
		raw := p.Identifier.RawID()
		inCall[raw] = true
		lines[i] = allLine{RawID: raw, Kind: string(p.Identifier.Kind())}
		ok, why := c.CanMute(p.Identifier)
		switch {
		case excepted[raw]:
			lines[i].Result, lines[i].Reason = resultSkipped, "named with --except"
		case p.IsMuted:
			lines[i].Result = resultAlreadyMuted
		case !ok:
			lines[i].Result, lines[i].Reason = resultSkipped, why
		default:
			targets = append(targets, p.Identifier)
			at = append(at, i)
		}
	}
	// A typo in --except would mute the one it was meant to spare, and a
	// mute cannot be undone: refuse before sending anything.
	var strangers []string
	for raw := range excepted {
		if !inCall[raw] {
			strangers = append(strangers, truncate(raw, 64))
		}
	}
	if len(strangers) > 0 {
		sort.Strings(strangers)
		return usageError(e, cmd, "--except %s: not a participant of the call; nothing was muted", strings.Join(strangers, ", "))
	}
	code := exitOK
	for k, o := range c.MuteParticipants(ctx, callID, targets, opts) {
		l := &lines[at[k]]
		var me *client.MuteError
		switch {
		case o.Err == nil:
			l.Result = resultMuted
		case errors.Is(o.Err, client.ErrOutcomeUnknown) && errors.As(o.Err, &me):
			l.Result, l.Error = resultUnknown, cliMessage(o.Err)
			l.RepeatabilityRequestID, l.RepeatabilityFirstSent = me.RepeatabilityRequestID, me.RepeatabilityFirstSent.Format(http.TimeFormat)
			code = exitFailure
		default:
			l.Result, l.Error = resultFailed, cliMessage(o.Err)
			code = exitFailure
		}
	}
	for _, l := range lines {
		b, _ := json.Marshal(l)
		fmt.Fprintf(e.stdout, "%s\n", b)
	}
	return code
}
