package roster_test

import (
	"context"
	"fmt"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/roster"
)

// Events applied out of order and twice: the roster holds the newest state,
// and reports each change once.
func ExampleRoster() {
	ctx := context.Background()
	r := roster.New(nil, nil)
	changes, err := r.Changes(ctx)
	if err != nil {
		panic(err)
	}
	event := func(seq int, participants string) callback.Event {
		events, err := callback.Parse(fmt.Appendf(nil, `[{"id":"e%d","source":"calling/callConnections/call-1","type":"Microsoft.Communication.ParticipantsUpdated",
			"specversion":"1.0","data":{"callConnectionId":"call-1","serverCallId":"srv-1","sequenceNumber":%d,"participants":[%s]}}]`, seq, seq, participants))
		if err != nil {
			panic(err)
		}
		return events[0]
	}
	alice := `{"identifier":{"rawId":"8:acs:r_alice"},"isMuted":%v}`
	bob := `{"identifier":{"rawId":"8:acs:r_bob"},"isMuted":false}`
	for _, e := range []callback.Event{
		event(1, fmt.Sprintf(alice, false)+","+bob),
		event(3, fmt.Sprintf(alice, true)),          // bob left, alice muted
		event(2, fmt.Sprintf(alice, false)+","+bob), // late: changes nothing
		event(3, fmt.Sprintf(alice, true)),          // twice: changes nothing
	} {
		if err := r.Apply(ctx, e); err != nil {
			panic(err)
		}
	}
	call, err := r.Call(ctx, "call-1")
	if err != nil {
		panic(err)
	}
	fmt.Println("sequence", call.SequenceNumber, "gap", call.Gap)
	for _, p := range call.Participants {
		fmt.Println(p.Identifier.RawID(), "muted", p.IsMuted)
	}
	n := 0
	for ch, err := range changes {
		if err != nil {
			panic(err)
		}
		fmt.Println(ch.SequenceNumber, ch.Participant.Identifier.RawID(), ch.Kind)
		if n++; n == 4 {
			break
		}
	}
	// Output:
	// sequence 3 gap true
	// 8:acs:r_alice muted true
	// 1 8:acs:r_alice joined
	// 1 8:acs:r_bob joined
	// 3 8:acs:r_alice muted
	// 3 8:acs:r_bob left
}
