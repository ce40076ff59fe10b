package acstest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

const teamsUser = "8:orgid:11111111-2222-3333-4444-555555555555"

func actionPath(version, call, action string) string {
	switch action {
	case "remove":
		return "/calling/callConnections/" + call + "/participants:remove?api-version=" + version
	default:
		return "/calling/callConnections/" + call + ":" + action + "?api-version=" + version
	}
}

// identifierJSON is the communicationUser wire form of a raw ID.
func identifierJSON(rawID string) string {
	return `{"kind":"communicationUser","rawId":"` + rawID + `","communicationUser":{"id":"` + rawID + `"}}`
}

// Hold and unhold set isOnHold, which reads back through get and list in
// every API version; each change posts ParticipantsUpdated with it, and a
// hold of a participant on hold changes nothing.
func TestHoldAndUnhold(t *testing.T) {
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) {
			rc := newReceiver(t)
			srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice, extUser, phone, teamsUser}}})
			rc.verifyWith(t, srv, nil)
			c, _ := srv.NewClient(&client.ClientOptions{APIVersion: v})
			ctx := context.Background()
			for _, raw := range []string{alice, extUser, phone} {
				who, _ := client.ParseRawID(raw)
				res, err := c.HoldParticipant(ctx, "call-1", who, &client.HoldParticipantOptions{OperationContext: "hold", PlayFileURL: "https://media.example/hold.wav?sig=abc"})
				if err != nil || res.StatusCode != 200 || res.Attempts != 1 {
					t.Fatalf("hold %s: %+v, %v", raw, res, err)
				}
				if on, ok := srv.IsOnHold("call-1", raw); !on || !ok {
					t.Errorf("%s not on hold", raw)
				}
				p, err := c.GetParticipant(ctx, "call-1", who, nil)
				if err != nil || !p.IsOnHold || p.IsMuted {
					t.Errorf("read back %s: %+v, %v", raw, p, err)
				}
			}
			// Again: still on hold, no new event.
			if _, err := c.HoldParticipant(ctx, "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := c.UnholdParticipant(ctx, "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
				t.Fatal(err)
			}
			held := map[string]bool{}
			for p, err := range c.ListParticipants(ctx, "call-1", nil) {
				if err != nil {
					t.Fatal(err)
				}
				held[p.Identifier.RawID()] = p.IsOnHold
			}
			if want := map[string]bool{alice: false, extUser: true, phone: true, teamsUser: false}; !equalMaps(held, want) {
				t.Errorf("listed hold states %v, want %v", held, want)
			}
			ps, _ := srv.Participants("call-1")
			if !ps[1].OnHold || ps[0].OnHold {
				t.Errorf("Participants = %+v", ps)
			}
			// A Teams user cannot be held.
			var re *client.ResponseError
			if _, err := c.HoldParticipant(ctx, "call-1", client.MicrosoftTeamsUserIdentifier{UserID: "11111111-2222-3333-4444-555555555555"}, nil); !errors.As(err, &re) ||
				re.StatusCode != 400 || re.ErrorCode != "UnsupportedParticipantKind" {
				t.Errorf("holding a Teams user: %v", err)
			}
			waitDeliveries(t, srv)
			events, _, _ := rc.got()
			// Three holds and one unhold changed something.
			if len(events) != 4 {
				t.Fatalf("%d events, want 4", len(events))
			}
			last, err := events[3].ParticipantsUpdated()
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range last.Participants {
				if p.IsOnHold != held[p.Identifier.RawID()] {
					t.Errorf("the last event has %s on hold %v", p.Identifier.RawID(), p.IsOnHold)
				}
			}
			if n := srv.TotalExecutions(); n != 5 {
				t.Errorf("TotalExecutions = %d, want 5", n)
			}
		})
	}
}

func equalMaps(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// The service's refusals of hold, unhold and remove, checked with requests
// built by hand.
func TestActionRefusals(t *testing.T) {
	srv := newServer(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice, bob, phone, teamsUser}}})
	v := client.APIVersion
	tests := []struct {
		name, path, body, code string
		status                 int
	}{
		{"hold without target", actionPath(v, "call-1", "hold"), `{"operationContext":"x"}`, "BadRequest", 400},
		{"hold of a participant not in the call", actionPath(v, "call-1", "hold"), `{"targetParticipant":` + identifierJSON("8:acs:res_nobody") + `}`, "ParticipantNotInCall", 400},
		{"hold in an unknown call", actionPath(v, "call-9", "hold"), `{"targetParticipant":` + identifierJSON(alice) + `}`, "CallNotFound", 404},
		{"hold with a file source of no file", actionPath(v, "call-1", "hold"),
			`{"targetParticipant":` + identifierJSON(alice) + `,"playSourceInfo":{"kind":"file"}}`, "InvalidPlaySource", 400},
		{"hold with two sources", actionPath(v, "call-1", "hold"),
			`{"targetParticipant":` + identifierJSON(alice) + `,"playSourceInfo":{"kind":"file","file":{"uri":"https://m.example/a.wav"},"text":{"text":"hi"}}}`, "InvalidPlaySource", 400},
		{"hold with a relative file", actionPath(v, "call-1", "hold"),
			`{"targetParticipant":` + identifierJSON(alice) + `,"playSourceInfo":{"kind":"file","file":{"uri":"/a.wav"}}}`, "InvalidPlaySource", 400},
		{"hold with an unknown source kind", actionPath(v, "call-1", "hold"),
			`{"targetParticipant":` + identifierJSON(alice) + `,"playSourceInfo":{"kind":"video"}}`, "BadRequest", 400},
		{"hold with a bad callback URI", actionPath(v, "call-1", "hold"),
			`{"targetParticipant":` + identifierJSON(alice) + `,"operationCallbackUri":"ftp://x"}`, "InvalidOperationCallbackUri", 400},
		{"hold of a Teams user", actionPath(v, "call-1", "hold"),
			`{"targetParticipant":{"kind":"microsoftTeamsUser","rawId":"` + teamsUser + `","microsoftTeamsUser":{"userId":"11111111-2222-3333-4444-555555555555"}}}`, "UnsupportedParticipantKind", 400},
		{"hold claiming the wrong kind", actionPath(v, "call-1", "hold"), `{"targetParticipant":{"kind":"phoneNumber","rawId":"` + alice + `"}}`, "UnsupportedParticipantKind", 400},
		{"unhold without target", actionPath(v, "call-1", "unhold"), `{}`, "BadRequest", 400},
		{"remove without participant", actionPath(v, "call-1", "remove"), `{"participantToRemove":null}`, "BadRequest", 400},
		{"remove of a participant not in the call", actionPath(v, "call-1", "remove"), `{"participantToRemove":` + identifierJSON("8:acs:res_nobody") + `}`, "ParticipantNotInCall", 400},
		{"remove in an unknown call", actionPath(v, "call-9", "remove"), `{"participantToRemove":` + identifierJSON(alice) + `}`, "CallNotFound", 404},
		{"GET on hold", actionPath(v, "call-1", "hold"), ``, "MethodNotAllowed", 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := rawRequest{path: tt.path, body: tt.body}
			if tt.status == 405 {
				rr.method = http.MethodGet
			}
			resp, b := rr.do(t, srv)
			if resp.StatusCode != tt.status || errorCode(t, resp, b) != tt.code {
				t.Fatalf("%d %v, want %d %s", resp.StatusCode, b, tt.status, tt.code)
			}
		})
	}
	if ps, _ := srv.Participants("call-1"); len(ps) != 4 || ps[0].OnHold || srv.TotalExecutions() != 0 {
		t.Errorf("a refused request changed the call: %+v, %d executions", ps, srv.TotalExecutions())
	}
	// Unsigned requests are refused before anything else.
	resp, b := rawRequest{path: actionPath(v, "call-1", "remove"), body: `{"participantToRemove":` + identifierJSON(alice) + `}`, noAuth: true}.do(t, srv)
	if resp.StatusCode != 401 || errorCode(t, resp, b) != "Unauthorized" {
		t.Errorf("unsigned remove: %d %v", resp.StatusCode, b)
	}
	// Text and SSML sources are valid too, and a phone number can be held.
	for _, play := range []string{`{"kind":"text","text":{"text":"please hold","voiceKind":"female"}}`, `{"kind":"ssml","ssml":{"ssmlText":"<speak/>"}}`} {
		resp, b := rawRequest{path: actionPath(v, "call-1", "hold"), body: `{"targetParticipant":{"kind":"phoneNumber","rawId":"` + phone + `","phoneNumber":{"value":"+15551234567"}},"playSourceInfo":` + play + `}`}.do(t, srv)
		if resp.StatusCode != 200 || len(b) != 0 {
			t.Errorf("hold with %s: %d %v", play, resp.StatusCode, b)
		}
	}
	if on, _ := srv.IsOnHold("call-1", phone); !on {
		t.Error("the phone number is not on hold")
	}
}

// Unhold's operationCallbackUri exists from 2025-06-15 on: 2024-09-15
// ignores it like any unknown property, later versions check it.
func TestUnholdCallbackURIByVersion(t *testing.T) {
	srv := newServer(t, nil)
	body := `{"targetParticipant":` + identifierJSON(alice) + `,"operationCallbackUri":"not a URL"}`
	if resp, b := (rawRequest{path: actionPath("2024-09-15", "call-1", "unhold"), body: body}).do(t, srv); resp.StatusCode != 200 {
		t.Errorf("2024-09-15: %d %v", resp.StatusCode, b)
	}
	for _, v := range []string{"2025-06-15", "2026-03-12"} {
		resp, b := rawRequest{path: actionPath(v, "call-1", "unhold"), body: body}.do(t, srv)
		if resp.StatusCode != 400 || errorCode(t, resp, b) != "InvalidOperationCallbackUri" {
			t.Errorf("%s: %d %v", v, resp.StatusCode, b)
		}
	}
}

// A call ID may itself end in what the action paths end in.
func TestActionRoutesWithTrickyCallIDs(t *testing.T) {
	calls := map[string][]string{"a:hold": {alice}, "b:unhold": {alice}, "c:hold:unhold": {alice}, "participants:remove": {alice}}
	srv := newServer(t, &acstest.Options{Calls: calls})
	c := srv.Client()
	ctx := context.Background()
	who := client.CommunicationUserIdentifier{ID: alice}
	for call := range calls {
		if _, err := c.HoldParticipant(ctx, call, who, nil); err != nil {
			t.Errorf("hold in %q: %v", call, err)
		}
		if on, _ := srv.IsOnHold(call, alice); !on {
			t.Errorf("hold in %q did not reach it", call)
		}
		if _, err := c.UnholdParticipant(ctx, call, who, nil); err != nil {
			t.Errorf("unhold in %q: %v", call, err)
		}
		if on, _ := srv.IsOnHold(call, alice); on {
			t.Errorf("unhold in %q did not reach it", call)
		}
	}
	if _, err := c.RemoveParticipant(ctx, "participants:remove", who, nil); err != nil {
		t.Fatal(err)
	}
	if ps, _ := srv.Participants("participants:remove"); len(ps) != 0 {
		t.Errorf("remove in call %q left %+v", "participants:remove", ps)
	}
}

// A remove is answered 202 with the operation context, takes the
// participant out, and posts ParticipantsUpdated and then
// RemoveParticipantSucceeded (with the context and the participant in the
// API version's form), both verified; with an operationCallbackUri the
// outcome goes there instead, ParticipantsUpdated still to the call's URL.
func TestRemove(t *testing.T) {
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) {
			rc, op := newReceiver(t), newReceiver(t)
			srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice, extUser, bob, phone}}})
			rc.verifyWith(t, srv, nil)
			op.verifyWith(t, srv, nil)
			c, _ := srv.NewClient(&client.ClientOptions{APIVersion: v})
			ctx := context.Background()
			ext, _ := client.ParseRawID(extUser)
			res, err := c.RemoveParticipant(ctx, "call-1", ext, &client.RemoveParticipantOptions{OperationContext: "remove-ext"})
			if err != nil || res.StatusCode != 202 || res.OperationContext != "remove-ext" || res.Attempts != 1 {
				t.Fatalf("remove: %+v, %v", res, err)
			}
			if srv.Executions(res.RepeatabilityRequestID) != 1 {
				t.Errorf("Executions = %d", srv.Executions(res.RepeatabilityRequestID))
			}
			var re *client.ResponseError
			if _, err := c.GetParticipant(ctx, "call-1", ext, nil); !errors.As(err, &re) || re.StatusCode != 404 {
				t.Errorf("read after the remove: %v", err)
			}
			// The phone number, with the outcome to its own URL and no
			// operation context of the caller's: the request's ID is sent.
			who, _ := client.ParseRawID(phone)
			res2, err := c.RemoveParticipant(ctx, "call-1", who, &client.RemoveParticipantOptions{OperationCallbackURL: op.URL + "/ops?id=1"})
			if err != nil || res2.OperationContext != res2.RepeatabilityRequestID {
				t.Fatalf("remove with a callback URL: %+v, %v", res2, err)
			}
			if ps, _ := srv.Participants("call-1"); len(ps) != 2 || ps[0].RawID != alice || ps[1].RawID != bob {
				t.Errorf("left in the call: %+v", ps)
			}
			waitDeliveries(t, srv)
			events, _, _ := rc.got()
			types := []string{}
			for _, e := range events {
				types = append(types, strings.TrimPrefix(e.Type, "Microsoft.Communication."))
			}
			if strings.Join(types, ",") != "ParticipantsUpdated,RemoveParticipantSucceeded,ParticipantsUpdated" {
				t.Fatalf("the call's URL got %v", types)
			}
			pu, _ := events[0].ParticipantsUpdated()
			if len(pu.Participants) != 3 || pu.SequenceNumber != 1 {
				t.Errorf("ParticipantsUpdated = %+v", pu)
			}
			rs, err := events[1].RemoveParticipantSucceeded()
			if err != nil || rs.OperationContext != "remove-ext" || rs.CallConnectionID != "call-1" || rs.Participant == nil ||
				rs.Participant.RawID() != extUser || rs.ResultInformation.Code != 200 || rs.ServerCallID == "" || rs.CorrelationID == "" {
				t.Errorf("RemoveParticipantSucceeded = %+v, %v", rs, err)
			}
			// The participant in the version's form.
			wantKind := client.KindTeamsExtensionUser
			if v == client.APIVersion {
				wantKind = client.KindCommunicationUser
			}
			var data struct {
				Participant struct {
					Kind string `json:"kind"`
				} `json:"participant"`
			}
			_ = json.Unmarshal(events[1].Data, &data)
			if data.Participant.Kind != string(wantKind) {
				t.Errorf("%s: the removed participant has kind %q, want %s", v, data.Participant.Kind, wantKind)
			}
			opEvents, _, _ := op.got()
			if len(opEvents) != 1 {
				t.Fatalf("the operation's URL got %d events", len(opEvents))
			}
			rs2, err := opEvents[0].RemoveParticipantSucceeded()
			if err != nil || rs2.OperationContext != res2.OperationContext || rs2.Participant.RawID() != phone {
				t.Errorf("the operation's event = %+v, %v", rs2, err)
			}
			ds := srv.Deliveries()
			if len(ds) != 4 || ds[1].Type != callback.TypeRemoveParticipantSucceeded || ds[1].OperationContext != "remove-ext" ||
				ds[1].URL != rc.URL || ds[3].URL != op.URL+"/ops?id=1" || ds[0].SequenceNumber != 1 || ds[1].SequenceNumber != 0 {
				t.Errorf("deliveries = %+v", ds)
			}
		})
	}
}

// A remove whose answer is lost is resent with the same repeatability
// headers and answered from the first: the participant is removed once, and
// one outcome event is posted.
func TestRemoveIsRepeatable(t *testing.T) {
	rc := newReceiver(t)
	srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice, bob}}})
	rc.verifyWith(t, srv, nil)
	srv.InjectFaults(1, acstest.Fault{Drop: acstest.DropAfterExecute})
	c := srv.Client()
	res, err := c.RemoveParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: bob}, nil)
	if err != nil || res.Attempts != 2 || res.StatusCode != 202 {
		t.Fatalf("remove: %+v, %v", res, err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || !reqs[0].Dropped || !reqs[0].Executed || !reqs[1].Replayed || reqs[1].Status != 202 {
		t.Errorf("requests = %+v", reqs)
	}
	if srv.Executions(res.RepeatabilityRequestID) != 1 {
		t.Errorf("Executions = %d", srv.Executions(res.RepeatabilityRequestID))
	}
	// Resent by hand, later: replayed, not refused as "not in the call".
	again, err := c.RemoveParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: bob}, &client.RemoveParticipantOptions{
		RepeatabilityRequestID: res.RepeatabilityRequestID, RepeatabilityFirstSent: res.RepeatabilityFirstSent})
	if err != nil || again.OperationContext != res.OperationContext {
		t.Fatalf("resend: %+v, %v", again, err)
	}
	// The same ID with another body is refused.
	_, err = c.RemoveParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, &client.RemoveParticipantOptions{
		RepeatabilityRequestID: res.RepeatabilityRequestID, RepeatabilityFirstSent: res.RepeatabilityFirstSent})
	var re *client.ResponseError
	if !errors.As(err, &re) || re.ErrorCode != "RepeatabilityRequestIdReused" {
		t.Errorf("another remove with the same ID: %v", err)
	}
	waitDeliveries(t, srv)
	events, _, _ := rc.got()
	succeeded := 0
	for _, e := range events {
		if e.Type == callback.TypeRemoveParticipantSucceeded {
			succeeded++
		}
	}
	if succeeded != 1 || srv.TotalExecutions() != 1 {
		t.Errorf("%d RemoveParticipantSucceeded events, %d executions", succeeded, srv.TotalExecutions())
	}
}

// FailRemove and FailHold make the next remove or hold of a participant
// fail after it was answered: the state stays, and the failure event is
// posted with the request's context and the result.
func TestArrangedFailures(t *testing.T) {
	rc := newReceiver(t)
	srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice, bob}}})
	rc.verifyWith(t, srv, nil)
	c := srv.Client()
	ctx := context.Background()
	if err := srv.FailRemove("call-1", bob, acstest.ResultInformation{Code: 403, SubCode: 8523, Message: "not allowed"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.FailHold("call-1", alice, acstest.ResultInformation{}); err != nil {
		t.Fatal(err)
	}
	bobID, aliceID := client.CommunicationUserIdentifier{ID: bob}, client.CommunicationUserIdentifier{ID: alice}
	res, err := c.RemoveParticipant(ctx, "call-1", bobID, &client.RemoveParticipantOptions{OperationContext: "rm"})
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("remove: %+v, %v", res, err)
	}
	if _, err := c.HoldParticipant(ctx, "call-1", aliceID, &client.HoldParticipantOptions{OperationContext: "hd"}); err != nil {
		t.Fatal(err)
	}
	if ps, _ := srv.Participants("call-1"); len(ps) != 2 || ps[0].OnHold {
		t.Errorf("after failed remove and hold: %+v", ps)
	}
	// Only the next one fails.
	if _, err := c.HoldParticipant(ctx, "call-1", aliceID, nil); err != nil {
		t.Fatal(err)
	}
	if on, _ := srv.IsOnHold("call-1", alice); !on {
		t.Error("the second hold failed too")
	}
	waitDeliveries(t, srv)
	events, _, _ := rc.got()
	if len(events) < 3 {
		t.Fatalf("%d events: %+v", len(events), events)
	}
	rf, err := events[0].RemoveParticipantFailed()
	if err != nil || rf.OperationContext != "rm" || rf.Participant.RawID() != bob ||
		rf.ResultInformation != (callback.ResultInformation{Code: 403, SubCode: 8523, Message: "not allowed"}) {
		t.Errorf("RemoveParticipantFailed = %+v, %v", rf, err)
	}
	hf, err := events[1].HoldFailed()
	if err != nil || hf.OperationContext != "hd" || hf.ResultInformation.Code != 500 || hf.ResultInformation.Message == "" {
		t.Errorf("HoldFailed = %+v, %v", hf, err)
	}
	if events[2].Type != callback.TypeParticipantsUpdated {
		t.Errorf("third event: %s", events[2].Type)
	}
	// A failure arranged in a call that ends does not outlive it.
	if err := srv.FailRemove("call-1", alice, acstest.ResultInformation{}); err != nil {
		t.Fatal(err)
	}
	srv.RemoveCall("call-1")
	_ = srv.AddCall("call-1", alice, bob)
	if _, err := c.RemoveParticipant(ctx, "call-1", aliceID, nil); err != nil {
		t.Fatal(err)
	}
	if ps, _ := srv.Participants("call-1"); len(ps) != 1 {
		t.Errorf("a failure arranged in the ended call struck its successor: %+v", ps)
	}
	for _, err := range []error{
		srv.FailRemove("call-1", "8:acs:res_nobody", acstest.ResultInformation{}),
		srv.FailHold("call-9", alice, acstest.ResultInformation{}),
		srv.FailRemove("call-1", bob, acstest.ResultInformation{Code: 1 << 40}),
	} {
		if err == nil {
			t.Error("an impossible failure was arranged")
		}
	}
}

// Ending a call posts CallDisconnected.
func TestRemoveCallPostsCallDisconnected(t *testing.T) {
	rc := newReceiver(t)
	srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	rc.verifyWith(t, srv, nil)
	srv.RemoveCall("call-1")
	srv.RemoveCall("call-1") // gone already: nothing
	waitDeliveries(t, srv)
	events, _, _ := rc.got()
	if len(events) != 1 {
		t.Fatalf("%d events", len(events))
	}
	cd, err := events[0].CallDisconnected()
	if err != nil || cd.CallConnectionID != "call-1" || cd.ServerCallID == "" {
		t.Errorf("CallDisconnected = %+v, %v", cd, err)
	}
}

// Without Options.CallbackURL, a request's operationCallbackUri still gets
// its outcome event, and nothing else is posted.
func TestOperationCallbackWithoutCallURL(t *testing.T) {
	op := newReceiver(t)
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice, bob}}})
	op.verifyWith(t, srv, nil)
	c := srv.Client()
	if _, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
		t.Fatal(err)
	}
	res, err := c.RemoveParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: bob}, &client.RemoveParticipantOptions{OperationCallbackURL: op.URL})
	if err != nil {
		t.Fatal(err)
	}
	waitDeliveries(t, srv)
	events, _, _ := op.got()
	if len(events) != 1 || events[0].Type != callback.TypeRemoveParticipantSucceeded {
		t.Fatalf("events = %+v", events)
	}
	if rs, _ := events[0].RemoveParticipantSucceeded(); rs.OperationContext != res.OperationContext {
		t.Errorf("operation context %q, want %q", rs.OperationContext, res.OperationContext)
	}
}

// Injected faults apply to hold, unhold and remove as to mute, and are
// counted by SetFaultFunc's write sequence.
func TestFaultsApplyToEveryWrite(t *testing.T) {
	srv := newServer(t, nil)
	c, _ := srv.NewClient(nil)
	ctx := context.Background()
	var seqs []int
	srv.SetFaultFunc(func(seq int) *acstest.Fault {
		seqs = append(seqs, seq)
		if seq%2 == 1 {
			return &acstest.Fault{Status: 503}
		}
		return nil
	})
	who := client.CommunicationUserIdentifier{ID: alice}
	if res, err := c.HoldParticipant(ctx, "call-1", who, nil); err != nil || res.Attempts != 2 {
		t.Errorf("hold: %+v, %v", res, err)
	}
	if res, err := c.UnholdParticipant(ctx, "call-1", who, nil); err != nil || res.Attempts != 2 {
		t.Errorf("unhold: %+v, %v", res, err)
	}
	if _, err := c.GetParticipant(ctx, "call-1", who, nil); err != nil {
		t.Error(err)
	}
	if res, err := c.RemoveParticipant(ctx, "call-1", who, nil); err != nil || res.Attempts != 2 {
		t.Errorf("remove: %+v, %v", res, err)
	}
	if len(seqs) != 6 || seqs[5] != 6 {
		t.Errorf("the fault function saw %v", seqs)
	}
	srv.ClearFaults()
	srv.InjectFaults(1, acstest.Fault{Drop: acstest.DropAfterExecute})
	// A hold whose answer is lost is sent again and succeeds: holding twice
	// leaves the participant on hold.
	res, err := c.HoldParticipant(ctx, "call-1", client.CommunicationUserIdentifier{ID: bob}, nil)
	if err != nil || res.Attempts != 2 {
		t.Errorf("hold after a lost answer: %+v, %v", res, err)
	}
	if on, _ := srv.IsOnHold("call-1", bob); !on {
		t.Error("not on hold")
	}
}

// Hold and unhold carry no repeatability headers; the emulator ignores any
// that come, even malformed ones.
func TestHoldIgnoresRepeatabilityHeaders(t *testing.T) {
	srv := newServer(t, nil)
	resp, b := rawRequest{path: actionPath(client.APIVersion, "call-1", "hold"), body: `{"targetParticipant":` + identifierJSON(alice) + `}`,
		repeatID: "not-a-uuid", firstSent: "yesterday"}.do(t, srv)
	if resp.StatusCode != 200 {
		t.Errorf("%d %v", resp.StatusCode, b)
	}
	// While a remove with them malformed is refused.
	resp, b = rawRequest{path: actionPath(client.APIVersion, "call-1", "remove"), body: `{"participantToRemove":` + identifierJSON(alice) + `}`,
		repeatID: uuid.NewString(), firstSent: "yesterday"}.do(t, srv)
	if resp.StatusCode != 400 || errorCode(t, resp, b) != "InvalidRepeatabilityFirstSent" {
		t.Errorf("remove: %d %v", resp.StatusCode, b)
	}
}

// Teams extension users are Communication Services users on this API
// version and can be muted.
func TestTeamsExtensionUserCanBeMuted(t *testing.T) {
	const ext = "8:acs:res_tenant_user"
	srv := newServer(t, &acstest.Options{Calls: map[string][]string{"call-1": {ext}}})
	resp, b := rawRequest{body: muteBody(ext, "")}.do(t, srv)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d %v", resp.StatusCode, b)
	}
	if m, _ := srv.IsMuted("call-1", ext); !m {
		t.Error("not muted")
	}
}
