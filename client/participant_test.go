package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// Every identifier kind reaches the emulator intact in the path, under a
// signature the emulator verifies, and comes back as the same identifier.
func TestGetParticipantEveryKind(t *testing.T) {
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) { testGetParticipantEveryKind(t, v) })
	}
}

func testGetParticipantEveryKind(t *testing.T, version string) {
	raws := []string{
		"8:acs:res_alice",
		"8:acs:res_tenant_user",
		"8:spool:old_user",
		"8:gcch-acs:res_user",
		"4:+15551234567",
		"4:anonymous",
		"4:+15551234567_asserted",
		"4:+15551234567_+15559876543",
		"8:dod-acs:res_tenant_user",
		"8:orgid:00000000-0000-0000-0000-000000000001",
		"8:dod:teams-user",
		"8:teamsvisitor:guest",
		"28:orgid:bot-app",
		"28:gcch:bot-app",
		"99:future:x?#%/",
	}
	srv, err := acstest.NewServer(&acstest.Options{Credentials: acstest.NewCredentials(fakeKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, raw := range raws[:len(raws)-1] {
		if err := srv.AddCall("call-1", append(participantsOf(srv, "call-1"), raw)...); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.NewClientFromConnectionString(srv.ConnectionString(), &client.ClientOptions{Retry: fastRetry, APIVersion: version})
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range raws[:len(raws)-1] {
		who, err := client.ParseRawID(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.GetParticipant(context.Background(), "call-1", who, nil)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if got.Identifier.RawID() != raw || got.Identifier.Kind() != who.Kind() || got.IsMuted || got.IsOnHold {
			t.Errorf("%s: read back %#v", raw, got)
		}
	}
	for i, r := range srv.Requests() {
		rawID, err := url.PathUnescape(strings.TrimPrefix(strings.Split(r.RequestURI, "?")[0], "/calling/callConnections/call-1/participants/"))
		if err != nil || rawID != raws[i] || r.Method != http.MethodGet || r.Status != 200 || !strings.HasSuffix(r.RequestURI, "?api-version="+version) {
			t.Errorf("request %d: %s %s -> %d", i, r.Method, r.RequestURI, r.Status)
		}
		if r.Header.Get("Repeatability-Request-ID") != "" || r.Header.Get("Repeatability-First-Sent") != "" {
			t.Errorf("request %d carries repeatability headers", i)
		}
		if len(r.Body) != 0 {
			t.Errorf("request %d has a body", i)
		}
	}
	// An ID the emulator does not hold: 404 as a ResponseError, never unknown.
	_, err = c.GetParticipant(context.Background(), "call-1", client.UnknownIdentifier{ID: raws[len(raws)-1]}, nil)
	var re *client.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 404 || re.ErrorCode != "ParticipantNotFound" || errors.Is(err, client.ErrOutcomeUnknown) {
		t.Errorf("unknown participant: %v", err)
	}
	if got := srv.Requests(); !strings.Contains(got[len(got)-1].RequestURI, "/99:future:x%3F%23%25%2F?") {
		t.Errorf("escaped raw ID sent as %s", got[len(got)-1].RequestURI)
	}
	_, err = c.GetParticipant(context.Background(), "no-such-call", client.CommunicationUserIdentifier{ID: raws[0]}, nil)
	if !errors.As(err, &re) || re.StatusCode != 404 || re.ErrorCode != "CallNotFound" {
		t.Errorf("unknown call: %v", err)
	}
}

func participantsOf(srv *acstest.Server, callID string) []string {
	ps, _ := srv.Participants(callID)
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.RawID)
	}
	return out
}

// A mute is visible in the read-back.
func TestGetParticipantAfterMute(t *testing.T) {
	srv := newEmulator(t)
	c := emulatorClient(t, srv, fastRetry, nil)
	who := client.CommunicationUserIdentifier{ID: alice}
	if _, err := c.MuteParticipant(context.Background(), "call-1", who, nil); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetParticipant(context.Background(), "call-1", who, nil)
	if err != nil || !got.IsMuted {
		t.Fatalf("after mute: %+v, %v", got, err)
	}
	got, err = c.GetParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: bob}, nil)
	if err != nil || got.IsMuted {
		t.Fatalf("bob: %+v, %v", got, err)
	}
}

// The published example answer has no rawId: the identifier is read from
// its kind and nested model, for every kind.
func TestGetParticipantWithoutRawID(t *testing.T) {
	tests := []struct {
		identifier string
		want       client.Identifier
	}{
		{`{"kind":"communicationUser","communicationUser":{"id":"8:acs:b9614373-fd0b-480c-8fd2-cb58b70eab9f_da7be3a9-8788-42a6-85c6-56b2cf784fce"}}`,
			client.CommunicationUserIdentifier{ID: "8:acs:b9614373-fd0b-480c-8fd2-cb58b70eab9f_da7be3a9-8788-42a6-85c6-56b2cf784fce"}},
		{`{"kind":"communicationUser","communicationUser":{"id":"8:acs:r_t_u"}}`,
			client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u", Cloud: client.CloudPublic}},
		{`{"kind":"phoneNumber","phoneNumber":{"value":"+15551234567"}}`, client.PhoneNumberIdentifier{PhoneNumber: "+15551234567"}},
		{`{"kind":"microsoftTeamsUser","microsoftTeamsUser":{"userId":"u1","isAnonymous":true,"cloud":"public"}}`,
			client.MicrosoftTeamsUserIdentifier{UserID: "u1", IsAnonymous: true, Cloud: client.CloudPublic}},
		{`{"kind":"microsoftTeamsUser","microsoftTeamsUser":{"userId":"u2","cloud":"gcch"}}`,
			client.MicrosoftTeamsUserIdentifier{UserID: "u2", Cloud: client.CloudGCCH}},
		{`{"kind":"microsoftTeamsApp","microsoftTeamsApp":{"appId":"a1","cloud":"dod"}}`,
			client.MicrosoftTeamsAppIdentifier{AppID: "a1", Cloud: client.CloudDoD}},
		{`{"microsoftTeamsApp":{"appId":"a2"}}`, client.MicrosoftTeamsAppIdentifier{AppID: "a2", Cloud: client.CloudPublic}},
		{`{"kind":"phoneNumber","rawId":"4:+15550000000","phoneNumber":{"value":"+15550000000"}}`, client.PhoneNumberIdentifier{PhoneNumber: "+15550000000"}},
		// The forms of 2025-06-15 and later, nested only.
		{`{"kind":"teamsExtensionUser","teamsExtensionUser":{"userId":"u","tenantId":"t","resourceId":"r","cloud":"gcch"}}`,
			client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u", Cloud: client.CloudGCCH}},
		{`{"teamsExtensionUser":{"userId":"u","tenantId":"t","resourceId":"r"}}`,
			client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u", Cloud: client.CloudPublic}},
		{`{"kind":"phoneNumber","phoneNumber":{"value":"anonymous","isAnonymous":true}}`, client.PhoneNumberIdentifier{PhoneNumber: "anonymous"}},
		{`{"kind":"phoneNumber","phoneNumber":{"value":"","isAnonymous":true}}`, client.PhoneNumberIdentifier{PhoneNumber: "anonymous"}},
		{`{"kind":"phoneNumber","phoneNumber":{"value":"+15551234567_+15559876543","isAnonymous":false,"assertedId":"+15559876543"}}`,
			client.PhoneNumberIdentifier{PhoneNumber: "+15551234567_+15559876543"}},
		{`{"kind":"phoneNumber","phoneNumber":{"value":"+15551234567","assertedId":"+15559876543"}}`,
			client.PhoneNumberIdentifier{PhoneNumber: "+15551234567_+15559876543"}},
		{`{"kind":"teamsExtensionUser","rawId":"8:dod-acs:r_t_u","teamsExtensionUser":{"userId":"u","tenantId":"t","resourceId":"r","cloud":"dod"}}`,
			client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u", Cloud: client.CloudDoD}},
		// The 2024-09-15 form of an extension user, in a newer answer.
		{`{"kind":"teamsExtensionUser","rawId":"8:acs:r_t_u","communicationUser":{"id":"8:acs:r_t_u"}}`,
			client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u", Cloud: client.CloudPublic}},
		{`{"kind":"phoneNumber","phoneNumber":{"value":"anonymous","isAnonymous":false}}`, client.PhoneNumberIdentifier{PhoneNumber: "anonymous"}},
	}
	for _, tt := range tests {
		srv := newRecorder(t, answer(200, `{"identifier":`+tt.identifier+`,"isMuted":true,"isOnHold":true}`))
		got, err := newKeyClient(t, srv.URL, nil).GetParticipant(context.Background(), "call", tt.want, nil)
		if err != nil {
			t.Errorf("%s: %v", tt.identifier, err)
			continue
		}
		if got.Identifier != tt.want || !got.IsMuted || !got.IsOnHold {
			t.Errorf("%s: read %#v, want %#v", tt.identifier, got.Identifier, tt.want)
		}
	}
	for _, bad := range []string{`{}`, `{"kind":"communicationUser"}`, `{"kind":"phoneNumber","phoneNumber":{"value":""}}`,
		`{"kind":"teamsExtensionUser","teamsExtensionUser":{"userId":"u","tenantId":"","resourceId":"r"}}`,
		`{"teamsExtensionUser":{"userId":"u","tenantId":"t","resourceId":"r","cloud":"mars"}}`,
		`{"teamsExtensionUser":{"userId":"u_x","tenantId":"t","resourceId":"r"}}`,
		`{"teamsExtensionUser":{"userId":"u:x","tenantId":"t","resourceId":"r"}}`,
		// Parts that contradict each other.
		`{"kind":"phoneNumber","phoneNumber":{"value":"+15551234567","isAnonymous":true}}`,
		`{"kind":"phoneNumber","phoneNumber":{"value":"anonymous","assertedId":"x"}}`,
		`{"kind":"microsoftTeamsUser","phoneNumber":{"value":"+15551234567"}}`,
		`{"kind":"communicationUser","communicationUser":{"id":"4:+15551234567"}}`,
		`{"kind":"communicationUser","communicationUser":{"id":"8:acs:r_a"},"phoneNumber":{"value":"+15551234567"}}`,
		`{"kind":"communicationUser","rawId":"8:acs:r_u","communicationUser":{"id":"8:acs:r_other"}}`,
		`{"kind":"microsoftTeamsUser","rawId":"8:orgid:u1","microsoftTeamsUser":{"userId":"u1","cloud":"mars"}}`,
		`{"kind":"phoneNumber","rawId":"4:+15550000000","phoneNumber":{"value":"+15559999999"}}`} {
		srv := newRecorder(t, answer(200, `{"identifier":`+bad+`,"isMuted":true}`))
		_, err := newKeyClient(t, srv.URL, nil).GetParticipant(context.Background(), "call", acsUser, nil)
		if err == nil || errors.Is(err, client.ErrOutcomeUnknown) {
			t.Errorf("identifier %s: error = %v, want a plain failure", bad, err)
		}
	}
	for _, body := range []string{`{"isMuted":true}`, `not json`, `{"identifier":5}`, `{"identifier":{"rawId":"8:acs:r_u"}}`} {
		srv := newRecorder(t, answer(200, body))
		if _, err := newKeyClient(t, srv.URL, nil).GetParticipant(context.Background(), "call", acsUser, nil); err == nil {
			t.Errorf("body %s accepted", body)
		}
	}
}

// Reading is retried like any safe request, and never reports an unknown
// outcome; the context bounds it.
func TestGetParticipantRetries(t *testing.T) {
	srv := newEmulator(t)
	srv.InjectReadFaults(1, acstest.Fault{Status: 503})
	srv.InjectReadFaults(1, acstest.Fault{Drop: acstest.DropAfterExecute})
	c := emulatorClient(t, srv, fastRetry, nil)
	who := client.CommunicationUserIdentifier{ID: alice}
	if _, err := c.GetParticipant(context.Background(), "call-1", who, nil); err != nil || len(srv.Requests()) != 3 {
		t.Fatalf("after a 503 and a drop: %v, %d requests", err, len(srv.Requests()))
	}
	srv.InjectReadFaults(10, acstest.Fault{Status: 503})
	_, err := c.GetParticipant(context.Background(), "call-1", who, nil)
	var re *client.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 503 || errors.Is(err, client.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "after 4 attempts") {
		t.Errorf("503s: %v", err)
	}
	srv.ClearFaults()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.GetParticipant(ctx, "call-1", who, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := c.GetParticipant(context.Background(), "call-1", client.UnknownIdentifier{ID: ".."}, nil); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf(`raw ID "..": %v`, err)
	}
	if _, err := c.GetParticipant(context.Background(), "", who, nil); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("empty call ID: %v", err)
	}
	if _, err := c.GetParticipant(context.Background(), "call-1", nil, nil); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("nil participant: %v", err)
	}
}

// GetParticipant refuses an answer about another participant.
func TestGetParticipantAnswerAboutAnother(t *testing.T) {
	for _, id := range []string{
		`{"rawId":"8:acs:r_other"}`,
		`{"kind":"communicationUser","communicationUser":{"id":"8:acs:r_other"}}`,
		`{"kind":"phoneNumber","phoneNumber":{"value":"+15551234567"}}`,
	} {
		srv := newRecorder(t, answer(200, `{"identifier":`+id+`,"isMuted":true}`))
		_, err := newKeyClient(t, srv.URL, nil).GetParticipant(context.Background(), "call", acsUser, nil)
		if err == nil || !strings.Contains(err.Error(), `not "8:acs:r_u"`) {
			t.Errorf("%s: %v", id, err)
		}
	}
}
