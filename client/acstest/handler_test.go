package acstest_test

import (
	"testing"
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
