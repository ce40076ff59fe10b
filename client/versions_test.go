package client_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

const fakeBearer = "fake-bearer-token-for-tests-only"

// Signing, tokens, repeatability and fault handling do not depend on the API
// version, but the string to sign does (the api-version query), and so does
// the body: each supported version, with each kind of credential, is signed
// as the emulator expects, retried with the same repeatability headers and
// executed once.
func TestAuthRepeatabilityAndFaultsForEachVersion(t *testing.T) {
	for _, v := range client.SupportedAPIVersions() {
		for _, auth := range []string{"access key", "bearer token"} {
			t.Run(v+"/"+auth, func(t *testing.T) {
				srv := acstest.Start(t, &acstest.Options{
					Credentials: acstest.NewCredentials(fakeKey, fakeBearer),
					Calls:       map[string][]string{"call-1": {alice, bob}},
				})
				c := versionClient(t, srv, v, auth, fakeBearer)

				// A 503, then success: one execution, the same
				// repeatability headers on both attempts.
				srv.InjectFaults(1, acstest.Fault{Status: http.StatusServiceUnavailable})
				res, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
				if err != nil || res.Attempts != 2 || srv.Executions(res.RepeatabilityRequestID) != 1 {
					t.Fatalf("after a 503: %+v, %v, %d executions", res, err, srv.Executions(res.RepeatabilityRequestID))
				}
				// The connection dropped after the mute ran: the resend
				// is answered from the first execution.
				srv.InjectFaults(1, acstest.Fault{Drop: acstest.DropAfterExecute})
				res2, err := c.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: bob}, nil)
				if err != nil || res2.Attempts != 2 || srv.Executions(res2.RepeatabilityRequestID) != 1 {
					t.Fatalf("after a drop: %+v, %v, %d executions", res2, err, srv.Executions(res2.RepeatabilityRequestID))
				}
				reqs := srv.Requests()
				if len(reqs) != 4 {
					t.Fatalf("%d requests, want 4", len(reqs))
				}
				for i, r := range reqs {
					id := res.RepeatabilityRequestID
					if i >= 2 {
						id = res2.RepeatabilityRequestID
					}
					if !strings.HasSuffix(r.RequestURI, "?api-version="+v) || r.Header.Get("Repeatability-Request-Id") != id {
						t.Errorf("request %d: %s with Repeatability-Request-ID %q, want api-version %s and %s", i+1, r.RequestURI, r.Header.Get("Repeatability-Request-Id"), v, id)
					}
				}
				if !reqs[3].Replayed {
					t.Error("the resend after the drop was executed again, not answered from the first execution")
				}
				if p, err := c.GetParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: bob}, nil); err != nil || !p.IsMuted {
					t.Errorf("read back: %+v, %v", p, err)
				}

				// A credential the service does not accept: a 401, sent
				// once, and known not to have muted.
				bad := versionClient(t, srv, v, auth, "another-fake-bearer-token")
				_, err = bad.MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
				var re *client.ResponseError
				if !errors.As(err, &re) || re.StatusCode != http.StatusUnauthorized || errors.Is(err, client.ErrOutcomeUnknown) {
					t.Errorf("bad credential: %v", err)
				}
			})
		}
	}
}

// versionClient returns a client of srv speaking version, authorized by the
// server's access key (or, with bearer, by token); a token other than the
// server's makes the access key a wrong one too.
func versionClient(t *testing.T, srv *acstest.Server, version, auth, token string) *client.Client {
	t.Helper()
	opts := &client.ClientOptions{APIVersion: version, Retry: fastRetry}
	var cred client.Credential
	var err error
	switch {
	case auth == "bearer token":
		cred, err = client.NewStaticTokenCredential(token)
	case token == fakeBearer:
		cred, err = client.NewKeyCredential(srv.AccessKey())
	default:
		cred, err = client.NewKeyCredential("YW5vdGhlci1mYWtlLWtleQ==")
	}
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewClient(srv.URL, cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
