package roster

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/acsmute/acsmute/client"
)

// ChangeKind is what changed for a participant.
type ChangeKind string

// The kinds of change.
const (
	Joined  ChangeKind = "joined"
	Left    ChangeKind = "left"
	Muted   ChangeKind = "muted"
	Unmuted ChangeKind = "unmuted"
	Held    ChangeKind = "held"
	Unheld  ChangeKind = "unheld"
)

// Change is one participant's change, as a Roster applied it.
type Change struct {
	// CallConnectionID is the call.
	CallConnectionID string
	// Kind is what changed.
	Kind ChangeKind
	// Participant is the participant, with its state after the change (for
	// Left, its last known state). A participant who joins muted is one
	// Joined change with IsMuted set.
	Participant client.CallParticipant
	// SequenceNumber is the sequence number of the event whose state made
	// the change; 0 for a listing.
	SequenceNumber int
	// Source is where the state that made the change came from.
	Source Source
	// At is when it was applied, by the applying roster's clock.
	At time.Time
}

// wireChange is a change as the roster publishes it through its store.
type wireChange struct {
	Call   string     `json:"call"`
	Kind   ChangeKind `json:"kind"`
	RawID  string     `json:"id"`
	Muted  bool       `json:"mu,omitempty"`
	OnHold bool       `json:"h,omitempty"`
	Seq    int        `json:"seq,omitempty"`
	Source Source     `json:"src"`
	At     time.Time  `json:"at"`
}

// diff lists the changes from old to new: for each participant of new, in
// its order, joined, or muted/unmuted then held/unheld; then left, in old's
// order, for each participant of old that new lacks.
func diff(callID string, old, new []member, seq int, src Source, at time.Time) []wireChange {
	before := make(map[string]member, len(old))
	for _, m := range old {
		before[m.RawID] = m
	}
	var out []wireChange
	add := func(k ChangeKind, m member) {
		out = append(out, wireChange{Call: callID, Kind: k, RawID: m.RawID, Muted: m.Muted, OnHold: m.OnHold, Seq: seq, Source: src, At: at})
	}
	now := make(map[string]bool, len(new))
	for _, m := range new {
		now[m.RawID] = true
		b, ok := before[m.RawID]
		switch {
		case !ok:
			add(Joined, m)
			continue
		case m.Muted && !b.Muted:
			add(Muted, m)
		case !m.Muted && b.Muted:
			add(Unmuted, m)
		}
		switch {
		case m.OnHold && !b.OnHold:
			add(Held, m)
		case !m.OnHold && b.OnHold:
			add(Unheld, m)
		}
	}
	for _, m := range old {
		if !now[m.RawID] {
			add(Left, m)
		}
	}
	return out
}

// decodeChange reads a published change.
func decodeChange(b []byte) (Change, error) {
	var w wireChange
	if err := json.Unmarshal(b, &w); err != nil || w.Call == "" || w.Kind == "" {
		return Change{}, fmt.Errorf("roster: a published change cannot be read")
	}
	p, err := member{RawID: w.RawID, Muted: w.Muted, OnHold: w.OnHold}.participant()
	if err != nil {
		return Change{}, fmt.Errorf("roster: a published change's participant cannot be read: %w", err)
	}
	return Change{CallConnectionID: w.Call, Kind: w.Kind, Participant: p, SequenceNumber: w.Seq, Source: w.Source, At: w.At}, nil
}
