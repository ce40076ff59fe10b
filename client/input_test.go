package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
)

// Limits are inclusive: exactly at the limit is accepted, one more is not.
func TestInputLimits(t *testing.T) {
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, nil)
	mute := func(callID string, id client.Identifier, opts *client.MuteParticipantOptions) error {
		_, err := c.MuteParticipant(context.Background(), callID, id, opts)
		return err
	}
	if err := mute(strings.Repeat("c", 1024), acsUser, nil); err != nil {
		t.Errorf("1024-byte call ID: %v", err)
	}
	if err := mute(strings.Repeat("c", 1025), acsUser, nil); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("1025-byte call ID: %v", err)
	}
	raw := "8:acs:" + strings.Repeat("u", 1024-len("8:acs:"))
	if err := mute("call", client.CommunicationUserIdentifier{ID: raw}, nil); err != nil {
		t.Errorf("1024-byte raw ID: %v", err)
	}
	if err := mute("call", client.CommunicationUserIdentifier{ID: raw + "u"}, nil); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("1025-byte raw ID: %v", err)
	}
	// U+10000 is the first rune that takes two UTF-16 code units.
	astral := strings.Repeat("\U00010000", 2500)
	if err := mute("call", acsUser, &client.MuteParticipantOptions{OperationContext: astral}); err != nil {
		t.Errorf("5000 code units: %v", err)
	}
	if err := mute("call", acsUser, &client.MuteParticipantOptions{OperationContext: astral + "x"}); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("5001 code units: %v", err)
	}
	for _, id := range []client.Identifier{
		client.MicrosoftTeamsUserIdentifier{UserID: "u", Cloud: "mars"},
		client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u", Cloud: "mars"},
	} {
		if err := mute("call", id, nil); !errors.Is(err, client.ErrInvalidInput) || !strings.Contains(err.Error(), `"mars"`) {
			t.Errorf("%#v: %v", id, err)
		}
	}
	cloud := client.Cloud(strings.Repeat("m", 32))
	err := mute("call", client.MicrosoftTeamsAppIdentifier{AppID: "a", Cloud: cloud}, nil)
	if err == nil || !strings.Contains(err.Error(), `"`+string(cloud)+`"`) {
		t.Errorf("32-character cloud quoted whole: %v", err)
	}
	err = mute("call", client.MicrosoftTeamsAppIdentifier{AppID: "a", Cloud: cloud + "m"}, nil)
	if err == nil || !strings.Contains(err.Error(), `"`+string(cloud)+`..."`) {
		t.Errorf("33-character cloud shortened: %v", err)
	}
	if _, err := client.NewClient("https://r.example", mustKey(t), &client.ClientOptions{ApplicationID: "del\x7f"}); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("ApplicationID with DEL: %v", err)
	}
}

// Years 1 and 9999 are valid First-Sent years (a resend that old is refused
// for the window, not as bad input).
func TestFirstSentYearBounds(t *testing.T) {
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, nil)
	for _, year := range []int{1, 9999} {
		_, err := c.MuteParticipant(context.Background(), "call", acsUser, &client.MuteParticipantOptions{
			RepeatabilityFirstSent: time.Date(year, 6, 1, 0, 0, 0, 0, time.UTC)})
		if errors.Is(err, client.ErrInvalidInput) {
			t.Errorf("year %d: %v", year, err)
		}
	}
}

// Ports 1 and 65535 are valid endpoint ports.
func TestEndpointPortBounds(t *testing.T) {
	for _, ep := range []string{"https://r.example:1", "https://r.example:65535"} {
		if _, err := client.NewClient(ep, mustKey(t), nil); err != nil {
			t.Errorf("%s: %v", ep, err)
		}
	}
}

func mustKey(t *testing.T) *client.KeyCredential {
	t.Helper()
	k, err := client.NewKeyCredential(fakeKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
