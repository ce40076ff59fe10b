package acstest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// The list operation, signed by hand: pages of Options.ParticipantsPageSize
// in the order participants joined, an absolute nextLink on the server's own
// URL with the request's api-version, the participants' state in the
// version's form, 404 for an unknown call, bearer tokens, validation,
// faults, and every request recorded without executing anything.
func TestListParticipantsAnswers(t *testing.T) {
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) {
			srv := newServer(t, &acstest.Options{ParticipantsPageSize: 2, Credentials: acstest.NewCredentials(fakeKey, "fake-token"),
				Calls: map[string][]string{"call-1": {alice, bob, extUser, anonP, phone}}})
			if err := srv.SetMuted("call-1", bob, true); err != nil {
				t.Fatal(err)
			}
			list := func(pathAndQuery string) rawRequest {
				return rawRequest{method: http.MethodGet, path: pathAndQuery}
			}
			path := "/calling/callConnections/call-1/participants?api-version=" + v
			var rawIDs []string
			var muted []bool
			for page := 0; path != ""; page++ {
				if page > 3 {
					t.Fatal("more pages than participants")
				}
				resp, b := list(path).do(t, srv)
				if resp.StatusCode != 200 {
					t.Fatalf("page %d: %d %v", page, resp.StatusCode, b)
				}
				values, _ := b["value"].([]any)
				if len(values) == 0 || len(values) > 2 {
					t.Fatalf("page %d holds %d participants", page, len(values))
				}
				for _, p := range values {
					m := p.(map[string]any)
					id := m["identifier"].(map[string]any)
					rawIDs = append(rawIDs, id["rawId"].(string))
					muted = append(muted, m["isMuted"].(bool))
					if id["rawId"] == extUser && (id["kind"] == "teamsExtensionUser") != (v != client.APIVersion) {
						t.Errorf("extension user listed as %v", id)
					}
				}
				next, _ := b["nextLink"].(string)
				if next == "" {
					break
				}
				if !strings.HasPrefix(next, srv.URL+"/calling/callConnections/call-1/participants?") || !strings.Contains(next, "api-version="+v) || !strings.Contains(next, "after=") {
					t.Fatalf("nextLink %q", next)
				}
				path = strings.TrimPrefix(next, srv.URL)
			}
			if strings.Join(rawIDs, " ") != strings.Join([]string{alice, bob, extUser, anonP, phone}, " ") || !muted[1] || muted[0] {
				t.Errorf("listed %v muted %v", rawIDs, muted)
			}
			if n := len(srv.Requests()); n != 3 {
				t.Errorf("%d requests recorded", n)
			}

			r := list("/calling/callConnections/call-1/participants?api-version=" + v)
			r.bearer = "fake-token"
			if resp, _ := r.do(t, srv); resp.StatusCode != 200 {
				t.Errorf("bearer token: %d", resp.StatusCode)
			}
			r.bearer = "wrong-token"
			if resp, _ := r.do(t, srv); resp.StatusCode != 401 {
				t.Errorf("wrong bearer token: %d", resp.StatusCode)
			}
			for pathAndQuery, want := range map[string]string{
				"/calling/callConnections/no-call/participants?api-version=" + v:                     "404 CallNotFound",
				"/calling/callConnections/call-1/participants":                                       "400 MissingApiVersionParameter",
				"/calling/callConnections/call-1/participants?api-version=2020-01-01":                "400 UnsupportedApiVersion",
				"/calling/callConnections/call-1/participants?api-version=" + v + "&after=x":         "400 BadRequest",
				"/calling/callConnections/call-1/participants?api-version=" + v + "&after=-1":        "400 BadRequest",
				"/calling/callConnections/call-1/participants?api-version=" + v + "&after=01":        "400 BadRequest",
				"/calling/callConnections/call-1/participants?api-version=" + v + "&after=1&after=2": "400 BadRequest",
			} {
				resp, b := list(pathAndQuery).do(t, srv)
				if got := http.StatusText(resp.StatusCode); resp.StatusCode == 0 || strings.Fields(want)[1] != errorCode(t, resp, b) || strings.Fields(want)[0] != itoa(resp.StatusCode) {
					t.Errorf("%s: %d %s %v, want %s", pathAndQuery, resp.StatusCode, got, b, want)
				}
			}
			// after=0 is the offset of the first page: the first two.
			if resp, b := list("/calling/callConnections/call-1/participants?api-version="+v+"&after=0").do(t, srv); resp.StatusCode != 200 || len(b["value"].([]any)) != 2 {
				t.Errorf("after=0: %d %v", resp.StatusCode, b)
			}
			// Past the end: an empty last page.
			resp, b := list("/calling/callConnections/call-1/participants?api-version="+v+"&after=9223372036854775807").do(t, srv)
			if vals, _ := b["value"].([]any); resp.StatusCode != 200 || len(vals) != 0 || b["nextLink"] != nil {
				t.Errorf("past the end: %d %v", resp.StatusCode, b)
			}
			r = list("/calling/callConnections/call-1/participants?api-version=" + v)
			r.method = http.MethodPost
			if resp, _ := r.do(t, srv); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET" {
				t.Errorf("POST to the list: %d", resp.StatusCode)
			}
			srv.InjectReadFaults(1, acstest.Fault{Status: 503})
			if resp, _ := list("/calling/callConnections/call-1/participants?api-version="+v).do(t, srv); resp.StatusCode != 503 {
				t.Errorf("fault not applied: %d", resp.StatusCode)
			}
			if n := srv.TotalExecutions(); n != 0 {
				t.Errorf("%d executions", n)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestDefaultPageSize(t *testing.T) {
	raws := make([]string, acstest.DefaultParticipantsPageSize+1)
	for i := range raws {
		raws[i] = "8:acs:res_u" + itoa(i)
	}
	srv := newServer(t, &acstest.Options{Calls: map[string][]string{"big": raws}})
	resp, b := rawRequest{method: http.MethodGet, path: "/calling/callConnections/big/participants?api-version=" + client.APIVersion}.do(t, srv)
	if vals, _ := b["value"].([]any); resp.StatusCode != 200 || len(vals) != 100 || b["nextLink"] == nil {
		t.Errorf("first page of %d: %d, %d participants, nextLink %v", len(raws), resp.StatusCode, len(vals), b["nextLink"])
	}
}

// A participant who leaves between pages moves no one else out of the list,
// and a nextLink follows the host the request came to (a mounted server).
func TestListParticipantsAcrossChanges(t *testing.T) {
	raws := []string{"8:acs:res_u0", "8:acs:res_u1", "8:acs:res_u2", "8:acs:res_u3", "8:acs:res_u4", "8:acs:res_u5"}
	srv := newServer(t, &acstest.Options{ParticipantsPageSize: 3, Calls: map[string][]string{"call-1": raws}})
	mounted := httptest.NewServer(srv)
	defer mounted.Close()
	c, err := client.NewClientFromConnectionString("endpoint="+mounted.URL+"/;accesskey="+srv.AccessKey(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for p, err := range c.ListParticipants(context.Background(), "call-1", nil) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Identifier.RawID())
		if len(got) == 2 {
			if err := srv.RemoveParticipant("call-1", raws[0]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if strings.Join(got, " ") != strings.Join(raws, " ") {
		t.Errorf("listed %v", got)
	}
}
