package callback_test

import (
	"strings"
	"testing"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client"
)

// Outcome events as the service posts them (written for these tests from
// Microsoft's published schemas), in one callback with events of other
// types.
const outcomes = `[
 {"id":"o1","source":"calling/callConnections/call-1","type":"Microsoft.Communication.RemoveParticipantSucceeded","specversion":"1.0",
  "time":"2026-12-04T10:00:00Z","datacontenttype":"application/json",
  "data":{"callConnectionId":"call-1","serverCallId":"srv-1","correlationId":"corr-1","operationContext":"remove-bob",
   "resultInformation":{"code":200,"subCode":0,"message":"removed","sipDetails":{"code":200,"message":"OK"}},
   "participant":{"kind":"communicationUser","rawId":"8:acs:r_bob","communicationUser":{"id":"8:acs:r_bob"}},
   "somethingNew":{"nested":[1,2,3]}}},
 {"id":"o2","source":"calling/callConnections/call-1","type":"Microsoft.Communication.RemoveParticipantFailed","specversion":"1.0",
  "data":{"callConnectionId":"call-1","operationContext":"remove-carol",
   "resultInformation":{"code":400,"subCode":8523,"message":"not removed"},
   "participant":{"kind":"phoneNumber","phoneNumber":{"value":"+15551234567","isAnonymous":false}}}},
 {"id":"o3","source":"calling/callConnections/call-1","type":"Microsoft.Communication.HoldFailed","specversion":"1.0",
  "data":{"callConnectionId":"call-1","serverCallId":"srv-1","correlationId":"corr-1","operationContext":"hold-alice",
   "resultInformation":{"code":500,"subCode":8536,"message":"could not play the prompt"}}},
 {"id":"o4","source":"calling/callConnections/call-1","type":"Microsoft.Communication.CallDisconnected","specversion":"1.0",
  "data":{"callConnectionId":"call-1","serverCallId":"srv-1","correlationId":"corr-1"}},
 {"id":"o5","source":"calling/callConnections/call-1","type":"Microsoft.Communication.PlayCompleted","specversion":"1.0",
  "data":{"callConnectionId":"call-1","operationContext":"play"}}
]`

// Each outcome type reads into its own struct; unknown fields (sipDetails,
// a new object) are ignored; other types stay raw events.
func TestOutcomeEvents(t *testing.T) {
	events, err := callback.Parse([]byte(outcomes))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 5 || events[4].Type != "Microsoft.Communication.PlayCompleted" {
		t.Fatalf("events = %+v", events)
	}
	rs, err := events[0].RemoveParticipantSucceeded()
	if err != nil {
		t.Fatal(err)
	}
	if rs.CallConnectionID != "call-1" || rs.ServerCallID != "srv-1" || rs.CorrelationID != "corr-1" || rs.OperationContext != "remove-bob" ||
		rs.Participant != (client.CommunicationUserIdentifier{ID: "8:acs:r_bob"}) ||
		rs.ResultInformation != (callback.ResultInformation{Code: 200, Message: "removed"}) {
		t.Errorf("RemoveParticipantSucceeded = %+v", rs)
	}
	rf, err := events[1].RemoveParticipantFailed()
	if err != nil {
		t.Fatal(err)
	}
	if rf.OperationContext != "remove-carol" || rf.ServerCallID != "" || rf.Participant != (client.PhoneNumberIdentifier{PhoneNumber: "+15551234567"}) ||
		rf.ResultInformation != (callback.ResultInformation{Code: 400, SubCode: 8523, Message: "not removed"}) {
		t.Errorf("RemoveParticipantFailed = %+v", rf)
	}
	hf, err := events[2].HoldFailed()
	if err != nil {
		t.Fatal(err)
	}
	if hf != (callback.HoldFailed{CallConnectionID: "call-1", ServerCallID: "srv-1", CorrelationID: "corr-1", OperationContext: "hold-alice",
		ResultInformation: callback.ResultInformation{Code: 500, SubCode: 8536, Message: "could not play the prompt"}}) {
		t.Errorf("HoldFailed = %+v", hf)
	}
	cd, err := events[3].CallDisconnected()
	if err != nil {
		t.Fatal(err)
	}
	if cd != (callback.CallDisconnected{CallConnectionID: "call-1", ServerCallID: "srv-1", CorrelationID: "corr-1"}) {
		t.Errorf("CallDisconnected = %+v", cd)
	}
	// Each method refuses the others' events.
	for i, read := range []func(callback.Event) error{
		func(e callback.Event) error { _, err := e.RemoveParticipantSucceeded(); return err },
		func(e callback.Event) error { _, err := e.RemoveParticipantFailed(); return err },
		func(e callback.Event) error { _, err := e.HoldFailed(); return err },
		func(e callback.Event) error { _, err := e.CallDisconnected(); return err },
	} {
		for j, e := range events {
			if err := read(e); (err == nil) != (i == j) {
				t.Errorf("method %d on event %d (%s): %v", i, j, e.Type, err)
			}
		}
	}
	if _, err := events[4].RemoveParticipantSucceeded(); err == nil || !strings.Contains(err.Error(), "PlayCompleted") {
		t.Errorf("PlayCompleted read as RemoveParticipantSucceeded: %v", err)
	}
}

// What a service acts on must be there and agree; the error names the
// problem without quoting the data.
func TestOutcomeEventsMalformed(t *testing.T) {
	const secret = "s3cr3t-value-never-quoted"
	tests := []struct {
		name, typ, data, want string
	}{
		{"no data", callback.TypeRemoveParticipantSucceeded, ``, "no data"},
		{"null data", callback.TypeHoldFailed, `null`, "no data"},
		{"not an object", callback.TypeCallDisconnected, `["` + secret + `"]`, "not the documented form"},
		{"no callConnectionId", callback.TypeRemoveParticipantFailed, `{"operationContext":"` + secret + `"}`, "no callConnectionId"},
		{"another call than the source", callback.TypeRemoveParticipantSucceeded, `{"callConnectionId":"call-2"}`, "another call connection"},
		{"code of another type", callback.TypeHoldFailed, `{"callConnectionId":"call-1","resultInformation":{"code":"` + secret + `"}}`, "resultInformation.code has JSON type string"},
		{"participant that contradicts itself", callback.TypeRemoveParticipantSucceeded,
			`{"callConnectionId":"call-1","participant":{"rawId":"8:acs:r_a","communicationUser":{"id":"8:acs:r_` + secret + `"}}}`, "participant"},
		{"participant of no form", callback.TypeRemoveParticipantFailed, `{"callConnectionId":"call-1","participant":{}}`, "neither a rawId nor a nested identifier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := callback.Event{ID: "x", Source: "calling/callConnections/call-1", Type: tt.typ, Data: []byte(tt.data)}
			var err error
			switch tt.typ {
			case callback.TypeRemoveParticipantSucceeded:
				_, err = e.RemoveParticipantSucceeded()
			case callback.TypeRemoveParticipantFailed:
				_, err = e.RemoveParticipantFailed()
			case callback.TypeHoldFailed:
				_, err = e.HoldFailed()
			default:
				_, err = e.CallDisconnected()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") && !strings.Contains(tt.name, "contradicts") {
				t.Errorf("the error quotes the data: %v", err)
			}
		})
	}
	// No participant, no result: zero values, not errors.
	e := callback.Event{Type: callback.TypeRemoveParticipantSucceeded, Source: "elsewhere", Data: []byte(`{"callConnectionId":"c","participant":null}`)}
	rs, err := e.RemoveParticipantSucceeded()
	if err != nil || rs.Participant != nil || rs.ResultInformation != (callback.ResultInformation{}) || rs.CallConnectionID != "c" {
		t.Errorf("sparse event = %+v, %v", rs, err)
	}
}
