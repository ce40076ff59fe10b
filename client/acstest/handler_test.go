package acstest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/acsmute/acsmute/client"
)

// The wire kind must agree that the target is a Communication Services
// user: a rawId (or nested communicationUser) of an ACS user does not make
// a participant of another kind mutable.
func TestWireKindMustBeCommunicationUser(t *testing.T) {
	srv := newServer(t, nil)
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"phoneNumber kind", `{"targetParticipants":[{"kind":"phoneNumber","rawId":"` + alice + `"}]}`, 400, "UnsupportedParticipantKind"},
		{"microsoftTeamsUser kind", `{"targetParticipants":[{"kind":"microsoftTeamsUser","rawId":"` + alice + `"}]}`, 400, "UnsupportedParticipantKind"},
		{"microsoftTeamsApp kind", `{"targetParticipants":[{"kind":"microsoftTeamsApp","rawId":"` + alice + `"}]}`, 400, "UnsupportedParticipantKind"},
		{"unknown kind", `{"targetParticipants":[{"kind":"unknown","rawId":"` + alice + `"}]}`, 400, "UnsupportedParticipantKind"},
		{"phoneNumber kind, nested communicationUser", `{"targetParticipants":[{"kind":"phoneNumber","rawId":"` + alice + `","communicationUser":{"id":"` + alice + `"}}]}`, 400, "InvalidTargetParticipants"},
		{"microsoftTeamsUser kind, nested communicationUser only", `{"targetParticipants":[{"kind":"microsoftTeamsUser","communicationUser":{"id":"` + alice + `"}}]}`, 400, "InvalidTargetParticipants"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := rawRequest{body: tt.body}.do(t, srv)
			if resp.StatusCode != tt.status || errorCode(t, resp, b) != tt.code {
				t.Errorf("status %d %v, want %d %s", resp.StatusCode, b, tt.status, tt.code)
			}
		})
	}
	if m, _ := srv.IsMuted("call-1", alice); m {
		t.Fatal("a participant sent with a kind other than communicationUser was muted")
	}
	// The same participant with kind communicationUser, or with no kind, is muted.
	for _, body := range []string{
		`{"targetParticipants":[{"kind":"communicationUser","rawId":"` + alice + `"}]}`,
		`{"targetParticipants":[{"rawId":"` + bob + `"}]}`,
	} {
		if resp, b := (rawRequest{body: body}).do(t, srv); resp.StatusCode != 200 {
			t.Errorf("%s: %d %v", body, resp.StatusCode, b)
		}
	}
	for _, who := range []string{alice, bob} {
		if m, _ := srv.IsMuted("call-1", who); !m {
			t.Errorf("%s is not muted", who)
		}
	}
}

// A body one byte over the limit is refused as too large; one at the limit
// is read whole (and then refused for what it says).
func TestBodyLimit(t *testing.T) {
	srv := newServer(t, nil)
	resp, _ := rawRequest{body: strings.Repeat(" ", 1<<20+1)}.do(t, srv)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB + 1 byte: status %d, want 413", resp.StatusCode)
	}
	resp, _ = rawRequest{body: strings.Repeat(" ", 1<<20)}.do(t, srv)
	if resp.StatusCode == http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB: status 413, want the body read and judged")
	}
}

// Paths that have the operation's prefix and suffix but no call ID between
// them, or that overlap, are answered 404 NotFound, never a dropped
// connection.
func TestPathsWithoutCallID(t *testing.T) {
	srv := newServer(t, nil)
	for _, p := range []string{
		"/calling/callConnections/participants:mute?api-version=" + client.APIVersion,
		"/calling/callConnections//participants:mute?api-version=" + client.APIVersion,
	} {
		resp, b, err := rawRequest{path: p, body: muteBody(bob, "")}.send(t, srv)
		if err != nil {
			t.Errorf("%s: no answer: %v", p, err)
			continue
		}
		if resp.StatusCode != 404 || errorCode(t, resp, b) != "NotFound" {
			t.Errorf("%s: status %d %v, want 404 NotFound", p, resp.StatusCode, b)
		}
	}
}
