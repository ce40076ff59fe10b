package callback_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acsmute/acsmute/callback"
)

// readers reads an event as each typed event of the package, by type.
var readers = map[string]func(callback.Event) (string, error){
	callback.TypeParticipantsUpdated: func(e callback.Event) (string, error) {
		d, err := e.ParticipantsUpdated()
		return d.CallConnectionID, err
	},
	callback.TypeRemoveParticipantSucceeded: func(e callback.Event) (string, error) {
		d, err := e.RemoveParticipantSucceeded()
		return d.CallConnectionID, err
	},
	callback.TypeRemoveParticipantFailed: func(e callback.Event) (string, error) {
		d, err := e.RemoveParticipantFailed()
		return d.CallConnectionID, err
	},
	callback.TypeHoldFailed: func(e callback.Event) (string, error) {
		d, err := e.HoldFailed()
		return d.CallConnectionID, err
	},
	callback.TypeCallDisconnected: func(e callback.Event) (string, error) {
		d, err := e.CallDisconnected()
		return d.CallConnectionID, err
	},
}

// eventAbout is an event of type typ from source whose data names the call
// connection call.
func eventAbout(typ, source, call string) callback.Event {
	return callback.Event{ID: "x", Source: source, Type: typ,
		Data: []byte(fmt.Sprintf(`{"callConnectionId":%q,"sequenceNumber":1,"participants":[]}`, call))}
}

// The call connection of the source is recognised whatever the case of its
// fixed words and with or without a leading slash, and a typed event whose
// data names another call is refused; a source that names a call connection
// in another form is refused too; one that names something else entirely is
// not compared.
func TestTypedEventsCompareTheSourceWhateverItsSpelling(t *testing.T) {
	for typ, read := range readers {
		name := strings.TrimPrefix(typ, "Microsoft.Communication.")
		for _, source := range []string{
			"calling/callConnections/call-1",
			"/calling/callConnections/call-1",
			"Calling/CallConnections/call-1",
			"/CALLING/callconnections/call-1",
		} {
			if id, err := read(eventAbout(typ, source, "call-1")); err != nil || id != "call-1" {
				t.Errorf("%s from %q about its call: %q, %v", name, source, id, err)
			}
			if _, err := read(eventAbout(typ, source, "call-2")); err == nil || !strings.Contains(err.Error(), "another call connection than its source") {
				t.Errorf("%s from %q about another call: %v", name, source, err)
			}
			// Call connection IDs are compared exactly.
			if _, err := read(eventAbout(typ, source, "CALL-1")); err == nil {
				t.Errorf("%s from %q about the call in capitals: accepted", name, source)
			}
		}
		for _, source := range []string{
			"calling/callConnections",
			"calling/callConnections/",
			"calling/callConnections/call-1/participants",
			"//calling/callConnections/call-1",
			" calling/callConnections/call-1",
			"calling/callConnection/call-1",
			"https://acs.example/calling/callConnections/call-1",
			"callConnections/call-1",
			"calling/CALLCONNECTIONS",
		} {
			if _, err := read(eventAbout(typ, source, "call-1")); err == nil || !strings.Contains(err.Error(), "source") {
				t.Errorf("%s from %q: %v", name, source, err)
			}
		}
		for _, source := range []string{"elsewhere", "/subscriptions/s/resourceGroups/g", "urn:example:calls"} {
			if id, err := read(eventAbout(typ, source, "call-7")); err != nil || id != "call-7" {
				t.Errorf("%s from %q (about no call connection): %q, %v", name, source, id, err)
			}
		}
	}
}

// The Waiter recognises the source's call connection the same way.
func TestWaiterReadsTheSourceWhateverItsSpelling(t *testing.T) {
	w := newWaiter(t, nil)
	w.Deliver(
		callback.Event{ID: "a", Source: "/Calling/CallConnections/call-1", Type: callback.TypeRemoveParticipantSucceeded,
			Data: []byte(`{"callConnectionId":"call-1","operationContext":"op-1"}`)},
		callback.Event{ID: "b", Source: "/calling/callConnections/call-9", Type: callback.TypeRemoveParticipantSucceeded,
			Data: []byte(`{"callConnectionId":"call-1","operationContext":"op-2"}`)},
		callback.Event{ID: "c", Source: "elsewhere", Type: callback.TypeRemoveParticipantSucceeded,
			Data: []byte(`{"callConnectionId":"call-1","operationContext":"op-3"}`)},
	)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if e, err := w.Wait(ctx, "call-1", "op-1"); err != nil || e.ID != "a" {
		t.Errorf("an event from /Calling/CallConnections/call-1: %+v, %v", e, err)
	}
	for _, op := range []string{"op-2", "op-3"} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		if e, err := w.Wait(ctx, "call-1", op); err == nil {
			t.Errorf("%s: an event from another source was believed: %+v", op, e)
		}
		cancel()
	}
}

// A negative sequenceNumber, or a participant listed twice (however its
// identifier is spelled), is malformed; 0 is a sequence number.
func TestParticipantsUpdatedRefusesNegativeSequenceAndDuplicates(t *testing.T) {
	const alice = `{"identifier":{"kind":"communicationUser","rawId":"8:acs:r_alice","communicationUser":{"id":"8:acs:r_alice"}},"isMuted":true}`
	const aliceNested = `{"identifier":{"kind":"communicationUser","communicationUser":{"id":"8:acs:r_alice"}},"isMuted":false}`
	const bob = `{"identifier":{"rawId":"8:acs:r_bob"},"isMuted":false}`
	event := func(seq, participants string) callback.Event {
		return callback.Event{ID: "x", Source: "calling/callConnections/c", Type: callback.TypeParticipantsUpdated,
			Data: []byte(`{"callConnectionId":"c","sequenceNumber":` + seq + `,"participants":[` + participants + `]}`)}
	}
	for name, e := range map[string]callback.Event{
		"sequence 0":         event("0", alice+","+bob),
		"sequence 1":         event("1", alice),
		"largest sequence":   event("2147483647", bob),
		"no one":             event("3", ""),
		"two of one account": event("4", alice+`,{"identifier":{"rawId":"8:acs:r_alice2"},"isMuted":false}`),
	} {
		if _, err := e.ParticipantsUpdated(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, tt := range map[string]struct {
		e    callback.Event
		want string
	}{
		"sequence -1":                  {event("-1", alice), "sequenceNumber is negative"},
		"smallest sequence":            {event("-2147483648", alice), "sequenceNumber is negative"},
		"the same participant twice":   {event("1", alice+","+bob+","+alice), "participants 0 and 2 are the same"},
		"the same, spelled otherwise":  {event("1", alice+","+aliceNested), "participants 0 and 1 are the same"},
		"the same, by rawId only":      {event("1", bob+`,{"identifier":{"rawId":"8:acs:r_bob"},"isMuted":true}`), "are the same"},
		"a phone number twice":         {event("1", `{"identifier":{"rawId":"4:+15551234567"},"isMuted":true},{"identifier":{"kind":"phoneNumber","phoneNumber":{"value":"+15551234567"}},"isMuted":true}`), "are the same"},
		"negative and duplicated, too": {event("-5", alice+","+alice), "negative"},
	} {
		_, err := tt.e.ParticipantsUpdated()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), "r_alice") || strings.Contains(err.Error(), "r_bob") || strings.Contains(err.Error(), "5551234567")) {
			t.Errorf("%s: the error quotes a participant: %v", name, err)
		}
	}
}
