package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/acsmute/acsmute/client"
)

// A stand-in for the service, so that the examples run anywhere.
func exampleServer(status int, body string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
}

func Example() {
	srv := exampleServer(200, `{"operationContext":"mute-42"}`)
	defer srv.Close()

	// In production: os.Getenv("ACS_CONNECTION_STRING").
	connectionString := "endpoint=" + srv.URL + "/;accesskey=ZmFrZS1hY2Nlc3Mta2V5LWZvci10ZXN0cw=="
	c, err := client.NewClientFromConnectionString(connectionString, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	participant, err := client.ParseRawID("8:acs:resource_user")
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := c.MuteParticipant(context.Background(), "call-connection-id", participant,
		&client.MuteParticipantOptions{OperationContext: "mute-42"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.StatusCode, res.OperationContext)
	// Output: 200 mute-42
}

func ExampleResponseError() {
	srv := exampleServer(404, `{"error":{"code":"8522","message":"Call not found."}}`)
	defer srv.Close()

	cred, _ := client.NewKeyCredential("ZmFrZS1hY2Nlc3Mta2V5LWZvci10ZXN0cw==")
	c, _ := client.NewClient(srv.URL, cred, nil)
	_, err := c.MuteParticipant(context.Background(), "gone", client.CommunicationUserIdentifier{ID: "8:acs:r_u"}, nil)

	var re *client.ResponseError
	if errors.As(err, &re) {
		fmt.Println(re.StatusCode, re.ErrorCode, re.Message)
	}
	// Output: 404 8522 Call not found.
}

func ExampleParseRawID() {
	for _, raw := range []string{"8:acs:res_user", "8:acs:res_tenant_user", "4:+15551234567", "8:orgid:abc", "28:gcch:bot"} {
		id, _ := client.ParseRawID(raw)
		fmt.Printf("%-22s %-18s %s\n", raw, id.Kind(), id.RawID())
	}
	// Output:
	// 8:acs:res_user         communicationUser  8:acs:res_user
	// 8:acs:res_tenant_user  teamsExtensionUser 8:acs:res_tenant_user
	// 4:+15551234567         phoneNumber        4:+15551234567
	// 8:orgid:abc            microsoftTeamsUser 8:orgid:abc
	// 28:gcch:bot            microsoftTeamsApp  28:gcch:bot
}

func ExampleNewTokenCredential() {
	srv := exampleServer(200, `{}`)
	defer srv.Close()

	// A TokenProvider would normally ask Microsoft Entra ID; azidentity's
	// credentials fit in a few lines.
	provider := client.TokenProviderFunc(func(ctx context.Context) (client.AccessToken, error) {
		return client.NewAccessToken("fake-entra-token", time.Now().Add(time.Hour)), nil
	})
	cred, _ := client.NewTokenCredential(provider, nil)
	c, _ := client.NewClient(srv.URL, cred, nil)
	res, err := c.MuteParticipant(context.Background(), "call", client.CommunicationUserIdentifier{ID: "8:acs:r_u"}, nil)
	fmt.Println(res.StatusCode, err)
	// Output: 200 <nil>
}
