package client_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// action is one of the operations that change a call, called the same way
// for tests that hold for all of them.
type action struct {
	name    string
	success int
	// repeatable: the request carries the repeatability headers.
	repeatable bool
	call       func(ctx context.Context, c *client.Client, callID string, who client.Identifier) (attempts int, err error)
}

var actions = []action{
	{"mute", 200, true, func(ctx context.Context, c *client.Client, callID string, who client.Identifier) (int, error) {
		res, err := c.MuteParticipant(ctx, callID, who, nil)
		return res.Attempts, err
	}},
	{"hold", 200, false, func(ctx context.Context, c *client.Client, callID string, who client.Identifier) (int, error) {
		res, err := c.HoldParticipant(ctx, callID, who, nil)
		return res.Attempts, err
	}},
	{"unhold", 200, false, func(ctx context.Context, c *client.Client, callID string, who client.Identifier) (int, error) {
		res, err := c.UnholdParticipant(ctx, callID, who, nil)
		return res.Attempts, err
	}},
	{"remove", 202, true, func(ctx context.Context, c *client.Client, callID string, who client.Identifier) (int, error) {
		res, err := c.RemoveParticipant(ctx, callID, who, nil)
		return res.Attempts, err
	}},
}

// checkSignature recomputes the HMAC signature of a recorded request.
func checkSignature(t *testing.T, r recorded) {
	t.Helper()
	h := r.Header
	sum := sha256.Sum256(r.Body)
	if got, want := h.Get("x-ms-content-sha256"), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("x-ms-content-sha256 = %q, want %q", got, want)
	}
	key, _ := base64.StdEncoding.DecodeString(fakeKey)
	mac := hmac.New(sha256.New, key)
	io.WriteString(mac, r.Method+"\n"+r.RequestURI+"\n"+h.Get("x-ms-date")+";"+r.Host+";"+h.Get("x-ms-content-sha256"))
	if got, want := h.Get("Authorization"), "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="+base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("Authorization = %q\nwant            %q", got, want)
	}
}

// Hold, unhold and remove send exactly the documented request in every API
// version: the path, the api-version, the body (with optional fields only
// when set), the signature, and the repeatability headers for remove only.
func TestActionsSendExactRequests(t *testing.T) {
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) {
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				status := 200
				if strings.HasSuffix(r.URL.Path, ":remove") {
					status = 202
				}
				answer(status, `{"operationContext":"echo"}`)(w, r)
			})
			c := newKeyClient(t, srv.URL, &client.ClientOptions{APIVersion: v})
			ctx := context.Background()
			target := `{"kind":"communicationUser","rawId":"8:acs:r_u","communicationUser":{"id":"8:acs:r_u"}}`
			const file = "https://media.example/hold.wav?sv=2026&sig=c2VjcmV0"
			const cb = "https://app.example/callbacks?op=1"
			if _, err := c.HoldParticipant(ctx, "call-1", acsUser, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := c.HoldParticipant(ctx, "call-1", acsUser, &client.HoldParticipantOptions{OperationContext: "h", OperationCallbackURL: cb, PlayFileURL: file}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.UnholdParticipant(ctx, "call-1", acsUser, nil); err != nil {
				t.Fatal(err)
			}
			unholdOpts := &client.UnholdParticipantOptions{OperationContext: "u"}
			unholdBody := `{"targetParticipant":` + target + `,"operationContext":"u"}`
			if v != client.APIVersion {
				unholdOpts.OperationCallbackURL = cb
				unholdBody = `{"targetParticipant":` + target + `,"operationContext":"u","operationCallbackUri":"` + cb + `"}`
			}
			if _, err := c.UnholdParticipant(ctx, "call-1", acsUser, unholdOpts); err != nil {
				t.Fatal(err)
			}
			start := time.Now().Add(-time.Second)
			removed, err := c.RemoveParticipant(ctx, "call-1", acsUser, &client.RemoveParticipantOptions{OperationContext: "r", OperationCallbackURL: cb})
			if err != nil || removed.OperationContext != "r" || removed.StatusCode != 202 {
				t.Fatalf("remove: %+v, %v", removed, err)
			}
			plain, err := c.RemoveParticipant(ctx, "call-1", acsUser, nil)
			if err != nil || plain.OperationContext != plain.RepeatabilityRequestID {
				t.Fatalf("remove without a context: %+v, %v", plain, err)
			}
			want := []struct{ path, body string }{
				{"/calling/callConnections/call-1:hold", `{"targetParticipant":` + target + `}`},
				{"/calling/callConnections/call-1:hold", `{"targetParticipant":` + target + `,"playSourceInfo":{"kind":"file","file":{"uri":"` + file + `"}},"operationContext":"h","operationCallbackUri":"` + cb + `"}`},
				{"/calling/callConnections/call-1:unhold", `{"targetParticipant":` + target + `}`},
				{"/calling/callConnections/call-1:unhold", unholdBody},
				{"/calling/callConnections/call-1/participants:remove", `{"participantToRemove":` + target + `,"operationContext":"r","operationCallbackUri":"` + cb + `"}`},
				{"/calling/callConnections/call-1/participants:remove", `{"participantToRemove":` + target + `,"operationContext":"` + plain.RepeatabilityRequestID + `"}`},
			}
			seen := srv.seen()
			if len(seen) != len(want) {
				t.Fatalf("%d requests, want %d", len(seen), len(want))
			}
			for i, w := range want {
				r := seen[i]
				if r.Method != http.MethodPost || r.RequestURI != w.path+"?api-version="+v {
					t.Errorf("request %d: %s %s", i, r.Method, r.RequestURI)
				}
				if !jsonEqual(t, r.Body, []byte(w.body)) {
					t.Errorf("request %d body\n%s\nwant\n%s", i, r.Body, w.body)
				}
				if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Accept") != "application/json" ||
					!strings.HasPrefix(r.Header.Get("User-Agent"), "acsmute/") || uuid.Validate(r.Header.Get("x-ms-client-request-id")) != nil {
					t.Errorf("request %d headers: %v", i, r.Header)
				}
				checkSignature(t, r)
				repeatable := strings.HasSuffix(w.path, ":remove")
				id, sent := r.Header.Get("Repeatability-Request-ID"), r.Header.Get("Repeatability-First-Sent")
				if repeatable != (id != "") || repeatable != (sent != "") {
					t.Errorf("request %d: repeatability headers %q %q", i, id, sent)
				}
				if repeatable {
					first, err := http.ParseTime(sent)
					if uuid.Validate(id) != nil || err != nil || first.Before(start.Truncate(time.Second)) {
						t.Errorf("request %d: repeatability headers %q %q", i, id, sent)
					}
				}
			}
			if seen[4].Header.Get("Repeatability-Request-ID") != removed.RepeatabilityRequestID ||
				seen[4].Header.Get("Repeatability-First-Sent") != removed.RepeatabilityFirstSent.Format(http.TimeFormat) {
				t.Errorf("the result's repeatability values are not those sent: %+v", removed)
			}
		})
	}
}

// Every identifier is sent by hold, unhold and remove exactly as mute sends
// it, in each API version (mute's forms are checked one by one in
// TestMuteParticipantBodyForEachIdentifierKind).
func TestActionIdentifiersAreMutes(t *testing.T) {
	ids := []client.Identifier{
		client.CommunicationUserIdentifier{ID: "8:acs:r_u"},
		client.PhoneNumberIdentifier{PhoneNumber: "+15551234567"},
		client.PhoneNumberIdentifier{PhoneNumber: "+15551234567_+15559876543"},
		client.PhoneNumberIdentifier{PhoneNumber: "anonymous"},
		client.MicrosoftTeamsUserIdentifier{UserID: "u1", Cloud: client.CloudGCCH},
		client.MicrosoftTeamsAppIdentifier{AppID: "a1", Cloud: client.CloudDoD},
		client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u", Cloud: client.CloudDoD},
		client.UnknownIdentifier{ID: "99:future:x"},
	}
	for _, v := range client.SupportedAPIVersions() {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, ":remove") {
				answer(202, `{}`)(w, r)
				return
			}
			answer(200, `{}`)(w, r)
		})
		c := newKeyClient(t, srv.URL, &client.ClientOptions{APIVersion: v})
		for _, id := range ids {
			for _, a := range actions {
				if _, err := a.call(context.Background(), c, "call", id); err != nil {
					t.Fatalf("%s %s: %v", a.name, id.RawID(), err)
				}
			}
		}
		seen := srv.seen()
		for i := 0; i < len(seen); i += len(actions) {
			var mute struct {
				TargetParticipants []json.RawMessage `json:"targetParticipants"`
			}
			_ = json.Unmarshal(seen[i].Body, &mute)
			for j, field := range []string{"targetParticipant", "targetParticipant", "participantToRemove"} {
				var body map[string]json.RawMessage
				_ = json.Unmarshal(seen[i+1+j].Body, &body)
				if !jsonEqual(t, body[field], mute.TargetParticipants[0]) {
					t.Errorf("%s, %s: %s sends %s, mute %s", v, ids[i/len(actions)].RawID(), actions[1+j].name, body[field], mute.TargetParticipants[0])
				}
			}
		}
	}
}

// Bad input is refused before anything is sent, naming the problem and
// never quoting a URL (whose query may hold a signature).
func TestActionInputErrors(t *testing.T) {
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, nil)
	newer := newKeyClient(t, srv.URL, &client.ClientOptions{APIVersion: "2026-03-12"})
	ctx := context.Background()
	const sig = "sig=c2VjcmV0LXNhcw"
	long := "https://a.example/" + strings.Repeat("x", 2048)
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"nil client hold", func() error {
			var nc *client.Client
			_, err := nc.HoldParticipant(ctx, "c", acsUser, nil)
			return err
		}, "not made by NewClient"},
		{"zero client remove", func() error { _, err := (&client.Client{}).RemoveParticipant(ctx, "c", acsUser, nil); return err }, "not made by NewClient"},
		{"nil context", func() error { _, err := c.UnholdParticipant(nil, "c", acsUser, nil); return err }, "context is nil"}, //nolint:staticcheck // the point of the test
		{"empty call", func() error { _, err := c.HoldParticipant(ctx, "", acsUser, nil); return err }, "call connection ID is empty"},
		{"nil participant", func() error { _, err := c.RemoveParticipant(ctx, "c", nil, nil); return err }, "participant"},
		{"long context", func() error {
			_, err := c.HoldParticipant(ctx, "c", acsUser, &client.HoldParticipantOptions{OperationContext: strings.Repeat("x", 5001)})
			return err
		}, "OperationContext is 5001"},
		{"relative callback", func() error {
			_, err := c.RemoveParticipant(ctx, "c", acsUser, &client.RemoveParticipantOptions{OperationCallbackURL: "/callbacks?" + sig})
			return err
		}, "OperationCallbackURL must be an absolute https (or http) URL"},
		{"ftp file", func() error {
			_, err := c.HoldParticipant(ctx, "c", acsUser, &client.HoldParticipantOptions{PlayFileURL: "ftp://files.example/a.wav?" + sig})
			return err
		}, "PlayFileURL must be an absolute"},
		{"file with user information", func() error {
			_, err := c.HoldParticipant(ctx, "c", acsUser, &client.HoldParticipantOptions{PlayFileURL: "https://user:" + sig + "@files.example/a.wav"})
			return err
		}, "PlayFileURL must not carry user information"},
		{"callback with a blank", func() error {
			_, err := c.HoldParticipant(ctx, "c", acsUser, &client.HoldParticipantOptions{OperationCallbackURL: "https://app.example/a b?" + sig})
			return err
		}, "OperationCallbackURL has a blank, control or formatting character at byte 21"},
		{"callback with a bidi mark", func() error {
			_, err := c.HoldParticipant(ctx, "c", acsUser, &client.HoldParticipantOptions{OperationCallbackURL: "https://app.example/\u202e?" + sig})
			return err
		}, "OperationCallbackURL has a blank, control or formatting character at byte 20"},
		{"callback with a port out of range", func() error {
			_, err := c.HoldParticipant(ctx, "c", acsUser, &client.HoldParticipantOptions{OperationCallbackURL: "https://app.example:99999/?" + sig})
			return err
		}, "OperationCallbackURL has a port that is not between 1 and 65535"},
		{"file with a zone", func() error {
			_, err := c.HoldParticipant(ctx, "c", acsUser, &client.HoldParticipantOptions{PlayFileURL: "https://[fe80::1%25eth0]/a.wav?" + sig})
			return err
		}, "PlayFileURL must not carry an IPv6 zone"},
		{"callback without host", func() error {
			_, err := c.RemoveParticipant(ctx, "c", acsUser, &client.RemoveParticipantOptions{OperationCallbackURL: "https:///x?" + sig})
			return err
		}, "OperationCallbackURL has no host"},
		{"callback that is not a URL", func() error {
			_, err := c.RemoveParticipant(ctx, "c", acsUser, &client.RemoveParticipantOptions{OperationCallbackURL: "https://[::1?" + sig})
			return err
		}, "OperationCallbackURL is not a valid URL"},
		{"callback not UTF-8", func() error {
			_, err := c.RemoveParticipant(ctx, "c", acsUser, &client.RemoveParticipantOptions{OperationCallbackURL: "https://a.example/\xff?" + sig})
			return err
		}, "OperationCallbackURL is not valid UTF-8"},
		{"long file", func() error {
			_, err := c.HoldParticipant(ctx, "c", acsUser, &client.HoldParticipantOptions{PlayFileURL: long})
			return err
		}, "PlayFileURL is 2066 bytes long; the limit is 2048"},
		{"unhold callback on 2024-09-15", func() error {
			_, err := c.UnholdParticipant(ctx, "c", acsUser, &client.UnholdParticipantOptions{OperationCallbackURL: "https://app.example/cb"})
			return err
		}, "UnholdParticipantOptions.OperationCallbackURL needs API version 2025-06-15 or later; the client speaks 2024-09-15"},
		{"bad repeatability ID", func() error {
			_, err := newer.RemoveParticipant(ctx, "c", acsUser, &client.RemoveParticipantOptions{RepeatabilityRequestID: "not-a-uuid"})
			return err
		}, "RepeatabilityRequestID must be a UUID"},
		{"first sent out of range", func() error {
			_, err := c.RemoveParticipant(ctx, "c", acsUser, &client.RemoveParticipantOptions{RepeatabilityFirstSent: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
			return err
		}, "RepeatabilityFirstSent must be between years 1 and 9999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, client.ErrInvalidInput) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want ErrInvalidInput saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), sig) || strings.Contains(err.Error(), "xxxxxxxx") {
				t.Errorf("the error quotes the URL: %v", err)
			}
		})
	}
	if n := len(srv.seen()); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
	// The newer version takes unhold's callback URL.
	if _, err := newer.UnholdParticipant(ctx, "c", acsUser, &client.UnholdParticipantOptions{OperationCallbackURL: "http://127.0.0.1:9/cb"}); err != nil {
		t.Errorf("unhold with a callback URL on 2026-03-12: %v", err)
	}
}

// actionErr asserts that err is an *ActionError for action with the given
// attempts and outcome, and returns it.
func actionErr(t *testing.T, err error, name string, attempts int, unknown bool) *client.ActionError {
	t.Helper()
	var ae *client.ActionError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *ActionError", err, err)
	}
	if ae.Action != name || ae.Attempts != attempts {
		t.Errorf("ActionError = %+v, want action %s after %d attempts", ae, name, attempts)
	}
	if errors.Is(err, client.ErrOutcomeUnknown) != unknown {
		t.Errorf("errors.Is(err, ErrOutcomeUnknown) = %v, want %v (%v)", !unknown, unknown, err)
	}
	if (ae.RepeatabilityRequestID != "") != (name == "remove") || (ae.RepeatabilityFirstSent.IsZero()) != (name != "remove") {
		t.Errorf("ActionError's repeatability values: %+v", ae)
	}
	return ae
}

// The outcomes of hold, unhold and remove: remove reads like mute (its
// attempts carry the same repeatability headers, so the service's refusal of
// a resend is its verdict on the request); hold and unhold carry none, so
// after an attempt that may have executed only their success settles the
// outcome.
func TestActionOutcomes(t *testing.T) {
	serviceError := answer(400, `{"error":{"code":"ParticipantNotInCall","message":"not in the call"}}`, "x-ms-error-code", "ParticipantNotInCall")
	unavailable := answer(503, `{"error":{"code":"ServiceUnavailable","message":"busy"}}`)
	success := func(status int) http.HandlerFunc { return answer(status, `{"operationContext":"x"}`) }
	for _, a := range actions[1:] {
		t.Run(a.name, func(t *testing.T) {
			type scenario struct {
				name     string
				script   []http.HandlerFunc
				attempts int
				unknown  bool
				failed   bool // an error, not a success
			}
			scenarios := []scenario{
				{"success", []http.HandlerFunc{success(a.success)}, 1, false, false},
				{"refused", []http.HandlerFunc{serviceError}, 1, false, true},
				{"503 then success", []http.HandlerFunc{unavailable, success(a.success)}, 2, false, false},
				{"503 until retries run out", []http.HandlerFunc{unavailable}, 4, true, true},
				// The resend's refusal: remove's is the service's verdict on
				// the request; hold's says nothing of the first attempt.
				{"503 then refused", []http.HandlerFunc{unavailable, serviceError}, 2, !a.repeatable, true},
				{"undocumented success", []http.HandlerFunc{success(map[int]int{200: 202, 202: 200}[a.success])}, 1, true, true},
				{"success that is not JSON", []http.HandlerFunc{func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(a.success)
					io.WriteString(w, "<html>captive portal</html>")
				}}, 1, true, true},
				{"gateway 404", []http.HandlerFunc{func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no route", 404) }}, 1, false, true},
				{"503 then gateway 404", []http.HandlerFunc{unavailable, func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no route", 404) }}, 2, true, true},
			}
			for _, sc := range scenarios {
				t.Run(sc.name, func(t *testing.T) {
					srv := newRecorder(t, sc.script...)
					c := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: fastRetry})
					attempts, err := a.call(context.Background(), c, "call-1", acsUser)
					if !sc.failed {
						if err != nil || attempts != sc.attempts {
							t.Fatalf("%d attempts, %v", attempts, err)
						}
						return
					}
					ae := actionErr(t, err, a.name, sc.attempts, sc.unknown)
					if len(srv.seen()) != sc.attempts {
						t.Errorf("%d requests for %d attempts", len(srv.seen()), sc.attempts)
					}
					if ae.Err == nil || !strings.Contains(err.Error(), "acsmute: "+a.name) {
						t.Errorf("error = %v", err)
					}
					var re *client.ResponseError
					if strings.Contains(sc.name, "refused") && (!errors.As(err, &re) || re.ErrorCode != "ParticipantNotInCall") {
						t.Errorf("the service's refusal is not in the error: %v", err)
					}
				})
			}
		})
	}
}

// A context that ends before anything was sent is not an unknown outcome;
// one that ends while an attempt waits is, and says so.
func TestActionContexts(t *testing.T) {
	for _, a := range actions[1:] {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		})
		c := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: fastRetry})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := a.call(ctx, c, "call-1", acsUser)
		ae := actionErr(t, err, a.name, 0, false)
		if !errors.Is(err, context.Canceled) || !strings.Contains(ae.Error(), a.name+" not sent") {
			t.Errorf("%s: %v", a.name, err)
		}
		ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
		_, err = a.call(ctx, c, "call-1", acsUser)
		cancel()
		actionErr(t, err, a.name, 1, true)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v", a.name, err)
		}
	}
}

// ActionError says how to settle an unknown outcome: resend a remove with
// its values, read back or send again a hold.
func TestActionErrorText(t *testing.T) {
	first := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	cause := errors.New("connection reset")
	tests := []struct {
		err  *client.ActionError
		want string
	}{
		{&client.ActionError{Action: "remove", OperationContext: "r", RepeatabilityRequestID: "0f8fad5b-d9cb-469f-a165-70867728950e", RepeatabilityFirstSent: first, Attempts: 4, Err: cause},
			"acsmute: remove failed after 4 attempts: connection reset"},
		{&client.ActionError{Action: "hold", Attempts: 1, Err: cause}, "acsmute: hold failed after 1 attempt: connection reset"},
		{&client.ActionError{Action: "unhold", Err: cause}, "acsmute: unhold not sent: connection reset"},
		{&client.ActionError{Action: "unhold"}, "acsmute: unhold not sent"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if errors.Is(tt.err, client.ErrOutcomeUnknown) || !errors.Is(tt.err, tt.err.Err) && tt.err.Err != nil {
			t.Errorf("%v unwraps wrongly", tt.err)
		}
	}
	// The unknown forms come from the client itself.
	srv := newRecorder(t, answer(503, `{"error":{"code":"ServiceUnavailable","message":"busy"}}`))
	c := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: -1}})
	_, err := c.RemoveParticipant(context.Background(), "c", acsUser, &client.RemoveParticipantOptions{OperationContext: "r",
		RepeatabilityRequestID: "0f8fad5b-d9cb-469f-a165-70867728950e", RepeatabilityFirstSent: time.Now()})
	ae := actionErr(t, err, "remove", 1, true)
	if ae.OperationContext != "r" || !strings.Contains(err.Error(), "remove outcome unknown after 1 attempt (resend with the same operation context, Repeatability-Request-ID 0f8fad5b-d9cb-469f-a165-70867728950e and Repeatability-First-Sent ") {
		t.Errorf("remove: %v", err)
	}
	_, err = c.HoldParticipant(context.Background(), "c", acsUser, &client.HoldParticipantOptions{OperationContext: "h"})
	ae = actionErr(t, err, "hold", 1, true)
	if ae.OperationContext != "h" || !strings.Contains(err.Error(), "hold outcome unknown after 1 attempt (read the participant back, or send it again: it sets a state") {
		t.Errorf("hold: %v", err)
	}
}

// A resend that is not the same request (here, without the operation
// context the first carried) is refused by the repeatability layer: that
// says nothing of whether the first ran, so it is an unknown outcome, never
// a "not done"; the same resend done right settles it.
func TestResendThatDiffersIsUnknown(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice, bob}}})
	c := srv.Client()
	ctx := context.Background()
	srv.InjectFaults(4, acstest.Fault{Drop: acstest.DropAfterExecute})
	bobID := client.CommunicationUserIdentifier{ID: bob}
	_, err := c.RemoveParticipant(ctx, "call-1", bobID, &client.RemoveParticipantOptions{OperationContext: "ctx-A"})
	ae := actionErr(t, err, "remove", 4, true)
	srv.ClearFaults()
	_, err = c.RemoveParticipant(ctx, "call-1", bobID, &client.RemoveParticipantOptions{
		RepeatabilityRequestID: ae.RepeatabilityRequestID, RepeatabilityFirstSent: ae.RepeatabilityFirstSent})
	actionErr(t, err, "remove", 1, true)
	var re *client.ResponseError
	if !errors.As(err, &re) || re.ErrorCode != "RepeatabilityRequestIdReused" || !strings.Contains(err.Error(), "resend exactly the same request") {
		t.Errorf("the differing resend: %v", err)
	}
	res, err := c.RemoveParticipant(ctx, "call-1", bobID, &client.RemoveParticipantOptions{OperationContext: ae.OperationContext,
		RepeatabilityRequestID: ae.RepeatabilityRequestID, RepeatabilityFirstSent: ae.RepeatabilityFirstSent})
	if err != nil || res.StatusCode != 202 || srv.Executions(ae.RepeatabilityRequestID) != 1 {
		t.Errorf("the same resend: %+v, %v, %d executions", res, err, srv.Executions(ae.RepeatabilityRequestID))
	}
	// Mute alike.
	srv.InjectFaults(4, acstest.Fault{Drop: acstest.DropAfterExecute})
	_, err = c.MuteParticipant(ctx, "call-1", client.CommunicationUserIdentifier{ID: alice}, &client.MuteParticipantOptions{OperationContext: "m"})
	me := muteErr(t, err, 4, true)
	srv.ClearFaults()
	_, err = c.MuteParticipant(ctx, "call-1", client.CommunicationUserIdentifier{ID: alice}, &client.MuteParticipantOptions{
		RepeatabilityRequestID: me.RepeatabilityRequestID, RepeatabilityFirstSent: me.RepeatabilityFirstSent})
	muteErr(t, err, 1, true)
	// A fresh request told "reused" (never executed anywhere) is the
	// service's verdict.
	srv2 := newRecorder(t, answer(400, `{"error":{"code":"RepeatabilityRequestIdReused","message":"seen"}}`, "Repeatability-Result", "rejected"))
	_, err = newKeyClient(t, srv2.URL, nil).RemoveParticipant(ctx, "call-1", bobID, nil)
	actionErr(t, err, "remove", 1, false)
}

// Hold and unhold carry no repeatability ID, so a 409 that says "in
// progress" cannot be about an earlier attempt of theirs: it is the answer.
func TestHoldConflictIsNotInProgress(t *testing.T) {
	for _, a := range actions[1:3] {
		srv := newRecorder(t, answer(409, `{"error":{"code":"RepeatabilityRequestInProgress","message":"busy"}}`, "Repeatability-Result", "accepted"))
		c := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: fastRetry})
		_, err := a.call(context.Background(), c, "call-1", acsUser)
		actionErr(t, err, a.name, 1, false)
	}
}

// A service that echoes the request (its URLs' queries, a SAS signature
// among them) gets them scrubbed from what the client returns, as the
// credential is.
func TestEchoedURLQueriesAreScrubbed(t *testing.T) {
	const sig = "c2VjcmV0LXNhcy1zaWduYXR1cmU"
	echo := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-ms-echo", string(body))
		w.WriteHeader(400)
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": "Bad", "message": "you sent " + string(body)}})
		w.Write(b)
	}
	srv := httptest.NewServer(http.HandlerFunc(echo))
	defer srv.Close()
	c := newKeyClient(t, srv.URL, nil)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"hold": func() error {
			_, err := c.HoldParticipant(ctx, "c", acsUser, &client.HoldParticipantOptions{PlayFileURL: "https://media.example/a.wav?sv=2026&sig=" + sig})
			return err
		},
		"remove": func() error {
			_, err := c.RemoveParticipant(ctx, "c", acsUser, &client.RemoveParticipantOptions{OperationCallbackURL: "https://app.example/cb?token=" + sig})
			return err
		},
	} {
		err := call()
		var re *client.ResponseError
		if !errors.As(err, &re) {
			t.Fatalf("%s: %v", name, err)
		}
		for _, out := range []string{err.Error(), fmt.Sprintf("%+v", re), string(re.RawBody), re.Message, fmt.Sprint(re.RawResponse.Header)} {
			if strings.Contains(out, sig) {
				t.Errorf("%s: the URL's signature shows in %q", name, out)
			}
		}
		if !strings.Contains(re.Message, "REDACTED") {
			t.Errorf("%s: message %q, body %s", name, re.Message, re.RawBody)
		}
	}
}

// URL options at their bounds: 2,048 bytes, ports 1 and 65535.
func TestURLOptionBoundsExactly(t *testing.T) {
	srv := newRecorder(t, answer(200, `{}`))
	c := newKeyClient(t, srv.URL, nil)
	base := "https://files.test/hold.wav?pad="
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{base + strings.Repeat("p", 2048-len(base)), true},
		{base + strings.Repeat("p", 2049-len(base)), false},
		{"https://files.test:1/hold.wav", true},
		{"https://files.test:65535/hold.wav", true},
		{"https://files.test:0/hold.wav", false},
		{"https://files.test:65536/hold.wav", false},
	} {
		_, err := c.HoldParticipant(context.Background(), "call-1", acsUser, &client.HoldParticipantOptions{PlayFileURL: tt.url})
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, client.ErrInvalidInput)) {
			t.Errorf("PlayFileURL of %d bytes (%.40s): %v", len(tt.url), tt.url, err)
		}
	}
}
