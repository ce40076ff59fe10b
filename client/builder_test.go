package client

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/runtime"

	"github.com/acsmute/acsmute/gen"
)

// referenceURL builds an operation's URL as oapi-codegen's own template
// does (runtime.StyleParamWithOptions for each parameter, the operation
// path resolved against the server URL, then parsed again by
// http.NewRequest), for comparison with the fast path of
// openapi/templates/client.tmpl.
func referenceURL(t *testing.T, server, pathFormat string, pathParams []string, apiVersion string) string {
	t.Helper()
	args := make([]any, len(pathParams))
	for i, p := range pathParams {
		s, err := runtime.StyleParamWithOptions("simple", false, "p", p, runtime.StyleParamOptions{ParamLocation: runtime.ParamLocationPath, Type: "string"})
		if err != nil {
			t.Fatal(err)
		}
		args[i] = s
	}
	serverURL, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	path := "." + strings.ReplaceAll(pathFormat, "%s", "\x00")
	for _, a := range args {
		path = strings.Replace(path, "\x00", a.(string), 1)
	}
	u, err := serverURL.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	q, err := runtime.StyleParamWithOptions("form", true, "api-version", apiVersion, runtime.StyleParamOptions{ParamLocation: runtime.ParamLocationQuery, Type: "string"})
	if err != nil {
		t.Fatal(err)
	}
	u.RawQuery = q
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return req.URL.String()
}

func checkFastPath(t *testing.T, callID, rawID, apiVersion string) {
	const server = "https://r.communication.azure.com/"
	get, err := gen.NewCallConnectionGetParticipantRequest(server, callID, rawID, &gen.CallConnectionGetParticipantParams{ApiVersion: apiVersion})
	if err != nil {
		t.Fatalf("%q %q: %v", callID, rawID, err)
	}
	if want := referenceURL(t, server, "/calling/callConnections/%s/participants/%s", []string{callID, rawID}, apiVersion); get.URL.String() != want {
		t.Fatalf("get participant %q %q:\n fast %s\n want %s", callID, rawID, get.URL, want)
	}
	list, err := gen.NewCallConnectionGetParticipantsRequest(server, callID, &gen.CallConnectionGetParticipantsParams{ApiVersion: apiVersion})
	if err != nil {
		t.Fatal(err)
	}
	if want := referenceURL(t, server, "/calling/callConnections/%s/participants", []string{callID}, apiVersion); list.URL.String() != want {
		t.Fatalf("list %q:\n fast %s\n want %s", callID, list.URL, want)
	}
	id := uuid.New()
	sent := time.Now().UTC().Format(http.TimeFormat)
	mute, err := gen.NewCallConnectionMuteRequestWithBody(server, callID, &gen.CallConnectionMuteParams{ApiVersion: apiVersion, RepeatabilityRequestID: &id, RepeatabilityFirstSent: &sent}, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := referenceURL(t, server, "/calling/callConnections/%s/participants:mute", []string{callID}, apiVersion); mute.URL.String() != want {
		t.Fatalf("mute %q:\n fast %s\n want %s", callID, mute.URL, want)
	}
	wantID, _ := runtime.StyleParamWithOptions("simple", false, "Repeatability-Request-ID", id, runtime.StyleParamOptions{ParamLocation: runtime.ParamLocationHeader, Type: "string", Format: "uuid"})
	if mute.Header.Get("Repeatability-Request-ID") != wantID || mute.Header.Get("Repeatability-First-Sent") != sent || mute.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("mute headers %v, want id %s", mute.Header, wantID)
	}
}

// The fast path of the overridden request builder gives what oapi-codegen's
// own builder gives, for any identifier.
func TestFastRequestBuilder(t *testing.T) {
	for _, s := range []string{"call-1", "a b/c:d", "18dea47f-b081-4107-9a5c-4300819d2c6c", "x?y#z%2F&=+", "ünïcode", "8:acs:r_u", "4:+15551234567", ";,@!$'()*"} {
		checkFastPath(t, s, s, "2024-09-15")
	}
	checkFastPath(t, "call", "8:acs:r_u", "2026-03-12&x=1 ")
}

func FuzzFastRequestBuilder(f *testing.F) {
	f.Add("call-1", "8:acs:r_u", "2024-09-15")
	f.Add("a b/c:d", "4:+1 555", "x&y=z")
	f.Fuzz(func(t *testing.T, callID, rawID, v string) {
		if callID == "" || rawID == "" || callID == "." || callID == ".." || rawID == "." || rawID == ".." {
			return // refused before any request is built
		}
		checkFastPath(t, callID, rawID, v)
	})
}
