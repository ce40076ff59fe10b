package callback_test

import (
	"strings"
	"testing"
	"time"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client"
)

const participantsUpdated = `[
 {"id":"e1","source":"calling/callConnections/call-1","type":"Microsoft.Communication.ParticipantsUpdated","specversion":"1.0",
  "time":"2026-11-30T12:00:00.123Z","datacontenttype":"application/json","subject":"calling/callConnections/call-1",
  "data":{"callConnectionId":"call-1","serverCallId":"srv-1","correlationId":"corr-1","sequenceNumber":7,
   "participants":[
    {"identifier":{"kind":"communicationUser","rawId":"8:acs:r_alice","communicationUser":{"id":"8:acs:r_alice"}},"isMuted":true,"isOnHold":false},
    {"identifier":{"kind":"teamsExtensionUser","teamsExtensionUser":{"userId":"u","tenantId":"t","resourceId":"r"}},"isMuted":false},
    {"identifier":{"kind":"phoneNumber","rawId":"4:anonymous","phoneNumber":{"value":"anonymous","isAnonymous":true}},"isMuted":false,"isOnHold":true}]}},
 {"id":"e2","source":"calling/callConnections/call-1","type":"Microsoft.Communication.CallConnected","specversion":"1.0","data":{"callConnectionId":"call-1"}},
 {"id":"e3","source":"calling/callConnections/call-1","type":"Microsoft.Communication.SomethingNew","specversion":"1.0"}
]`

// Parse reads every element of the array, unknown types included, and a
// ParticipantsUpdated event reads as the service's participants.
func TestParseEveryElement(t *testing.T) {
	events, err := callback.Parse([]byte(participantsUpdated))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || events[0].ID != "e1" || events[1].Type != "Microsoft.Communication.CallConnected" || events[2].Type != "Microsoft.Communication.SomethingNew" {
		t.Fatalf("events = %+v", events)
	}
	e := events[0]
	if e.Source != "calling/callConnections/call-1" || e.Subject != "calling/callConnections/call-1" ||
		!e.Time.Equal(time.Date(2026, 11, 30, 12, 0, 0, 123e6, time.UTC)) || !strings.Contains(string(e.Data), `"sequenceNumber":7`) {
		t.Errorf("event = %+v", e)
	}
	pu, err := e.ParticipantsUpdated()
	if err != nil {
		t.Fatal(err)
	}
	want := []client.CallParticipant{
		{Identifier: client.CommunicationUserIdentifier{ID: "8:acs:r_alice"}, IsMuted: true},
		{Identifier: client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u", Cloud: client.CloudPublic}},
		{Identifier: client.PhoneNumberIdentifier{PhoneNumber: "anonymous"}, IsOnHold: true},
	}
	if pu.CallConnectionID != "call-1" || pu.ServerCallID != "srv-1" || pu.CorrelationID != "corr-1" || pu.SequenceNumber != 7 || len(pu.Participants) != 3 {
		t.Fatalf("ParticipantsUpdated = %+v", pu)
	}
	for i := range want {
		if pu.Participants[i] != want[i] {
			t.Errorf("participant %d = %#v, want %#v", i, pu.Participants[i], want[i])
		}
	}
	if _, err := events[1].ParticipantsUpdated(); err == nil || !strings.Contains(err.Error(), "CallConnected") {
		t.Errorf("another type: %v", err)
	}
	// A single object is one event.
	one, err := callback.Parse([]byte(` {"id":"x","source":"s","type":"t","specversion":"1.0"} `))
	if err != nil || len(one) != 1 || one[0].ID != "x" || !one[0].Time.IsZero() {
		t.Errorf("single object: %+v, %v", one, err)
	}
	if none, err := callback.Parse([]byte(`[]`)); err != nil || len(none) != 0 {
		t.Errorf("empty array: %v, %v", none, err)
	}
}

// Malformed input is an error naming the problem, never echoing the body.
func TestParseRefusesMalformedInput(t *testing.T) {
	const secret = "SECRETSECRET"
	for name, body := range map[string]string{
		"empty":          "",
		"not JSON":       "SECRETSECRET=1",
		"string":         `"SECRETSECRET"`,
		"broken array":   `[{"id":"SECRETSECRET"`,
		"array of junk":  `["SECRETSECRET"]`,
		"no id":          `[{"source":"s","type":"t","specversion":"1.0","data":"SECRETSECRET"}]`,
		"no type":        `{"id":"i","source":"s","specversion":"1.0"}`,
		"no source":      `{"id":"i","type":"t","specversion":"1.0"}`,
		"no specversion": `{"id":"i","source":"s","type":"t"}`,
		"specversion 2":  `{"id":"i","source":"s","type":"t","specversion":"SECRETSECRET"}`,
		"bad time":       `{"id":"i","source":"s","type":"t","specversion":"1.0","time":"SECRETSECRET"}`,
		"id not string":  `{"id":{"x":"SECRETSECRET"},"source":"s","type":"t","specversion":"1.0"}`,
	} {
		if _, err := callback.Parse([]byte(body)); err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, data := range map[string]string{
		"no data":             ``,
		"null data":           `,"data":null`,
		"participants string": `,"data":{"participants":"SECRETSECRET"}`,
		"no isMuted":          `,"data":{"participants":[{"identifier":{"rawId":"8:acs:r_SECRETSECRET"}}]}`,
		"parts disagree":      `,"data":{"participants":[{"identifier":{"kind":"phoneNumber","communicationUser":{"id":"8:acs:r_a"}},"isMuted":true}]}`,
		"bad sequence":        `,"data":{"sequenceNumber":"SECRETSECRET"}`,
		"huge sequence":       `,"data":{"callConnectionId":"c","participants":[],"sequenceNumber":` + strings.Repeat("9", 4096) + `}`,
		"participants null":   `,"data":{"callConnectionId":"c","sequenceNumber":1,"participants":null}`,
		"no participants":     `,"data":{"callConnectionId":"c","sequenceNumber":1}`,
		"no call":             `,"data":{"sequenceNumber":1,"participants":[]}`,
		"no sequence":         `,"data":{"callConnectionId":"c","participants":[]}`,
		"another call":        `,"data":{"callConnectionId":"other","sequenceNumber":1,"participants":[]}`,
	} {
		events, err := callback.Parse([]byte(`{"id":"i","source":"calling/callConnections/c","type":"Microsoft.Communication.ParticipantsUpdated","specversion":"1.0"` + data + `}`))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := events[0].ParticipantsUpdated(); err == nil || (strings.Contains(err.Error(), secret) && name != "no isMuted") || len(err.Error()) > 300 {
			t.Errorf("%s: %.300v", name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(participantsUpdated))
	f.Add([]byte(`{"id":"x","source":"s","type":"Microsoft.Communication.ParticipantsUpdated","specversion":"1.0","data":{"callConnectionId":"c","sequenceNumber":1,"participants":[]}}`))
	f.Add([]byte(`[{"id":"x"}]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := callback.Parse(body)
		if err != nil {
			if len(body) >= 12 && strings.Contains(err.Error(), string(body)) {
				t.Fatalf("the error quotes the body: %v", err)
			}
			return
		}
		for _, e := range events {
			if e.ID == "" || e.Source == "" || e.Type == "" {
				t.Fatalf("an event without id, source or type: %+v", e)
			}
			if pu, err := e.ParticipantsUpdated(); err == nil {
				for _, p := range pu.Participants {
					if p.Identifier == nil {
						t.Fatalf("a participant without identifier: %+v", pu)
					}
					_ = p.Identifier.RawID()
				}
			}
		}
	})
}
