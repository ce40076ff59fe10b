package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// CanMute says yes exactly for the participants the emulator (which answers
// as the service does) mutes, on every API version, and says why not for
// the others.
func TestCanMuteAgreesWithTheService(t *testing.T) {
	raws := []string{
		"8:acs:r_alice",
		"8:spool:r_bob",
		"8:acs:res_tenant_user",
		"4:+15551234567",
		"8:orgid:teams-user",
		"28:orgid:teams-app",
		"9:unknown-kind",
	}
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) {
			srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": raws}})
			c, err := srv.NewClient(&client.ClientOptions{APIVersion: v})
			if err != nil {
				t.Fatal(err)
			}
			for _, raw := range raws {
				who, err := client.ParseRawID(raw)
				if err != nil {
					t.Fatal(err)
				}
				ok, reason := c.CanMute(who)
				_, muteErr := c.MuteParticipant(context.Background(), "call-1", who, nil)
				var re *client.ResponseError
				switch {
				case ok && muteErr != nil:
					t.Errorf("%s: CanMute says yes, the service says %v", raw, muteErr)
				case !ok && (!errors.As(muteErr, &re) || re.StatusCode != 400):
					t.Errorf("%s: CanMute says no (%s), the service says %v", raw, reason, muteErr)
				case !ok && !strings.Contains(reason, string(who.Kind())):
					t.Errorf("%s: reason %q does not name the kind", raw, reason)
				case ok && reason != "":
					t.Errorf("%s: a reason for yes: %q", raw, reason)
				}
			}
		})
	}
	var nilClient *client.Client
	if ok, reason := nilClient.CanMute(acsUser); ok || reason == "" {
		t.Errorf("nil client: %v %q", ok, reason)
	}
	c := newKeyClient(t, "https://r.communication.azure.com", nil)
	if ok, reason := c.CanMute(nil); ok || !strings.Contains(reason, "nil") {
		t.Errorf("nil participant: %v %q", ok, reason)
	}
}

func ExampleClient_CanMute() {
	c, err := client.NewClientFromConnectionString("endpoint=https://my-resource.communication.azure.com/;accesskey=ZmFrZS1rZXk=", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, raw := range []string{"8:acs:r_alice", "4:+15551234567"} {
		who, _ := client.ParseRawID(raw)
		if ok, reason := c.CanMute(who); ok {
			fmt.Println(raw, "can be muted")
		} else {
			fmt.Println(raw, "cannot be muted:", reason)
		}
	}
	// Output:
	// 8:acs:r_alice can be muted
	// 4:+15551234567 cannot be muted: the service mutes Communication Services users and Teams Phone extension users only, not phoneNumber participants (API version 2024-09-15)
}
