package acstest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

const (
	extUser   = "8:acs:res_tenant_user" // a Teams Phone extension user
	assertedP = "4:+15551234567_+15559876543"
	anonP     = "4:anonymous"
)

// mutePath is the mute path of call-1 in an API version.
func mutePath(version string) string {
	return "/calling/callConnections/call-1/participants:mute?api-version=" + version
}

// A client of each supported version mutes and reads back on the emulator,
// every request carrying its version; the Teams Phone extension user is
// muted on every version, in that version's wire form.
func TestEveryVersionMutesAndReadsBack(t *testing.T) {
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) {
			srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice, extUser, phone, assertedP, anonP}}})
			c, err := srv.NewClient(&client.ClientOptions{APIVersion: v})
			if err != nil {
				t.Fatal(err)
			}
			if c.APIVersion() != v {
				t.Errorf("APIVersion() = %q", c.APIVersion())
			}
			ctx := context.Background()
			for _, raw := range []string{alice, extUser} {
				who, _ := client.ParseRawID(raw)
				if _, err := c.MuteParticipant(ctx, "call-1", who, nil); err != nil {
					t.Fatalf("mute %s: %v", raw, err)
				}
				got, err := c.GetParticipant(ctx, "call-1", who, nil)
				if err != nil || !got.IsMuted || got.Identifier != who {
					t.Errorf("read back %s: %#v, %v", raw, got, err)
				}
			}
			for _, raw := range []string{phone, assertedP, anonP} {
				who, _ := client.ParseRawID(raw)
				_, err := c.MuteParticipant(ctx, "call-1", who, nil)
				var re *client.ResponseError
				if !errors.As(err, &re) || re.ErrorCode != "UnsupportedParticipantKind" {
					t.Errorf("mute %s: %v, want 400 UnsupportedParticipantKind", raw, err)
				}
				got, err := c.GetParticipant(ctx, "call-1", who, nil)
				if err != nil || got.IsMuted || got.Identifier != who {
					t.Errorf("read back %s: %#v, %v", raw, got, err)
				}
			}
			for _, r := range srv.Requests() {
				if !strings.HasSuffix(r.RequestURI, "?api-version="+v) {
					t.Errorf("request %s does not carry api-version %s", r.RequestURI, v)
				}
			}
		})
	}
}

// The bodies the official JavaScript SDK 1.6.0 sends with its default
// version (2026-03-12), as recorded from it, are accepted on both newer
// versions: the extension user is muted; phone numbers pass validation and
// are refused only because they cannot be muted.
func TestOfficialSDKBodiesOnNewerVersions(t *testing.T) {
	tests := []struct {
		name, body, code string
		status           int
	}{
		{"teams extension user",
			`{"targetParticipants":[{"kind":"teamsExtensionUser","rawId":"8:acs:res_tenant_user","teamsExtensionUser":{"userId":"user","tenantId":"tenant","resourceId":"res","cloud":"public"}}]}`,
			"", 200},
		{"asserted phone number",
			`{"targetParticipants":[{"kind":"phoneNumber","rawId":"4:+15551234567_+15559876543","phoneNumber":{"value":"+15551234567_+15559876543","isAnonymous":false,"assertedId":"+15559876543"}}]}`,
			"UnsupportedParticipantKind", 400},
		{"anonymous phone number",
			`{"targetParticipants":[{"kind":"phoneNumber","rawId":"4:anonymous","phoneNumber":{"value":"anonymous","isAnonymous":true}}]}`,
			"UnsupportedParticipantKind", 400},
		{"communication user",
			`{"targetParticipants":[{"kind":"communicationUser","rawId":"8:acs:res_alice","communicationUser":{"id":"8:acs:res_alice"}}]}`,
			"", 200},
		{"teams extension user without rawId",
			`{"targetParticipants":[{"kind":"teamsExtensionUser","teamsExtensionUser":{"userId":"user","tenantId":"tenant","resourceId":"res"}}]}`,
			"", 200},
		// What the JS SDK sends for {communicationUserId: "8:acs:res_tenant_user"}.
		{"teams extension user sent as a communication user",
			`{"targetParticipants":[{"kind":"communicationUser","rawId":"8:acs:res_tenant_user","communicationUser":{"id":"8:acs:res_tenant_user"}}]}`,
			"", 200},
		{"teams extension user sent as a phone number",
			`{"targetParticipants":[{"kind":"phoneNumber","rawId":"8:acs:res_tenant_user"}]}`,
			"UnsupportedParticipantKind", 400},
		{"two nested identifiers",
			`{"targetParticipants":[{"kind":"teamsExtensionUser","rawId":"8:acs:res_tenant_user","communicationUser":{"id":"8:acs:res_tenant_user"},"teamsExtensionUser":{"userId":"other","tenantId":"x","resourceId":"y"}}]}`,
			"InvalidTargetParticipants", 400},
		{"communication user and phone number",
			`{"targetParticipants":[{"kind":"communicationUser","rawId":"8:acs:res_alice","communicationUser":{"id":"8:acs:res_alice"},"phoneNumber":{"value":"+15551234567"}}]}`,
			"InvalidTargetParticipants", 400},
		{"kind and nested identifier disagree",
			`{"targetParticipants":[{"kind":"teamsExtensionUser","rawId":"8:acs:res_tenant_user","communicationUser":{"id":"8:acs:res_tenant_user"}}]}`,
			"InvalidTargetParticipants", 400},
		{"teams user nested, ACS rawId, no kind",
			`{"targetParticipants":[{"rawId":"8:acs:res_alice","microsoftTeamsUser":{"userId":"x"}}]}`,
			"InvalidTargetParticipants", 400},
		{"teams extension model of another user",
			`{"targetParticipants":[{"kind":"teamsExtensionUser","rawId":"8:acs:res_tenant_user","teamsExtensionUser":{"userId":"other","tenantId":"tenant","resourceId":"res"}}]}`,
			"InvalidTargetParticipants", 400},
	}
	for _, v := range []string{"2025-06-15", "2026-03-12"} {
		for _, tt := range tests {
			t.Run(v+"/"+tt.name, func(t *testing.T) {
				srv := newServer(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice, extUser, assertedP, anonP}}})
				resp, b := rawRequest{path: mutePath(v), body: tt.body}.do(t, srv)
				if resp.StatusCode != tt.status || (tt.code != "" && errorCode(t, resp, b) != tt.code) {
					t.Fatalf("status %d, body %v; want %d %s", resp.StatusCode, b, tt.status, tt.code)
				}
			})
		}
	}
}

// On 2024-09-15 the newer shapes are not part of the contract: the
// teamsExtensionUser kind fails validation, the nested model is ignored
// like any unknown property, and the extension user is a communication
// user, muted as one and read back as one.
func TestOldestVersionShape(t *testing.T) {
	const v = "2024-09-15"
	srv := newServer(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice, extUser}}})
	resp, b := rawRequest{path: mutePath(v), body: `{"targetParticipants":[{"kind":"teamsExtensionUser","rawId":"8:acs:res_tenant_user"}]}`}.do(t, srv)
	if resp.StatusCode != 400 || errorCode(t, resp, b) != "BadRequest" || !strings.Contains(b["error"].(map[string]any)["message"].(string), "kind") {
		t.Errorf("teamsExtensionUser kind on %s: %d %v", v, resp.StatusCode, b)
	}
	resp, b = rawRequest{path: mutePath(v), body: `{"targetParticipants":[{"teamsExtensionUser":{"userId":"user","tenantId":"tenant","resourceId":"res"}}]}`}.do(t, srv)
	if resp.StatusCode != 400 || errorCode(t, resp, b) != "InvalidTargetParticipants" {
		t.Errorf("nested teamsExtensionUser only on %s: %d %v", v, resp.StatusCode, b)
	}
	if m, _ := srv.IsMuted("call-1", extUser); m {
		t.Fatal("a refused request muted the extension user")
	}
	resp, b = rawRequest{path: mutePath(v), body: muteBody(extUser, "")}.do(t, srv)
	if resp.StatusCode != 200 {
		t.Fatalf("extension user as a communication user on %s: %d %v", v, resp.StatusCode, b)
	}
	resp, b = rawRequest{method: http.MethodGet, path: "/calling/callConnections/call-1/participants/" + extUser + "?api-version=" + v}.do(t, srv)
	id, _ := b["identifier"].(map[string]any)
	if resp.StatusCode != 200 || id["kind"] != "communicationUser" || id["teamsExtensionUser"] != nil || b["isMuted"] != true {
		t.Errorf("read back on %s: %d %v", v, resp.StatusCode, b)
	}
}

// Reads answer in the form of the version asked for.
func TestReadsAnswerInTheVersionsForm(t *testing.T) {
	srv := newServer(t, &acstest.Options{Calls: map[string][]string{"call-1": {extUser, assertedP, anonP, "4:+15551234567_"}}})
	get := func(v, raw string) map[string]any {
		t.Helper()
		resp, b := rawRequest{method: http.MethodGet, path: "/calling/callConnections/call-1/participants/" + raw + "?api-version=" + v}.do(t, srv)
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %v", v, raw, resp.StatusCode, b)
		}
		return b["identifier"].(map[string]any)
	}
	for _, v := range []string{"2025-06-15", "2026-03-12"} {
		if id := get(v, extUser); id["kind"] != "teamsExtensionUser" ||
			id["teamsExtensionUser"].(map[string]any)["tenantId"] != "tenant" || id["teamsExtensionUser"].(map[string]any)["cloud"] != "public" {
			t.Errorf("%s extension user: %v", v, id)
		}
		if p := get(v, assertedP)["phoneNumber"].(map[string]any); p["value"] != "+15551234567_+15559876543" || p["isAnonymous"] != false || p["assertedId"] != "+15559876543" {
			t.Errorf("%s asserted phone: %v", v, p)
		}
		if p := get(v, anonP)["phoneNumber"].(map[string]any); p["value"] != "anonymous" || p["isAnonymous"] != true || p["assertedId"] != nil {
			t.Errorf("%s anonymous phone: %v", v, p)
		}
	}
	for _, v := range client.SupportedAPIVersions() {
		if p := get(v, "4:+15551234567_")["phoneNumber"].(map[string]any); p["assertedId"] != nil {
			t.Errorf("%s: a trailing underscore gives assertedId %v", v, p["assertedId"])
		}
	}
	if p := get("2024-09-15", assertedP)["phoneNumber"].(map[string]any); len(p) != 1 {
		t.Errorf("2024-09-15 phone carries newer fields: %v", p)
	}
}

// Any other version is answered as the service does, naming the ones it
// speaks.
func TestUnsupportedAPIVersion(t *testing.T) {
	srv := newServer(t, nil)
	for _, v := range []string{"2023-10-15", "2025-08-15-preview", "2026-03-12&api-version=2024-09-15", ""} {
		resp, b := rawRequest{path: mutePath(v), body: muteBody(alice, "")}.do(t, srv)
		msg, _ := b["error"].(map[string]any)["message"].(string)
		if resp.StatusCode != 400 || errorCode(t, resp, b) != "UnsupportedApiVersion" || !strings.Contains(msg, "2024-09-15, 2025-06-15, 2026-03-12") {
			t.Errorf("api-version %q: %d %v", v, resp.StatusCode, b)
		}
	}
}

func TestNewClientOptions(t *testing.T) {
	srv := newServer(t, nil)
	if _, err := srv.NewClient(&client.ClientOptions{APIVersion: "2099-01-01"}); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("unsupported version: %v", err)
	}
	c, err := srv.NewClient(&client.ClientOptions{APIVersion: "2025-06-15"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
		t.Fatal(err)
	}
	if got := srv.Client().APIVersion(); got != client.APIVersion {
		t.Errorf("Client speaks %s", got)
	}
}
