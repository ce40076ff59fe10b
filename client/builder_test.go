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
func referenceURL(t *testing.T, server, pathFormat string, pathParams []string, apiVersion string) (string, error) {
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
		return "", err
	}
	path := "." + strings.ReplaceAll(pathFormat, "%s", "\x00")
	for _, a := range args {
		path = strings.Replace(path, "\x00", a.(string), 1)
	}
	u, err := serverURL.Parse(path)
	if err != nil {
		return "", err
	}
	q, err := runtime.StyleParamWithOptions("form", true, "api-version", apiVersion, runtime.StyleParamOptions{ParamLocation: runtime.ParamLocationQuery, Type: "string"})
	if err != nil {
		t.Fatal(err)
	}
	u.RawQuery = q
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	return req.URL.String(), nil
}

// sameURL fails unless the fast path's request (or error) is what
// oapi-codegen's own construction gives.
func sameURL(t *testing.T, what string, got *http.Request, err error, want string, wantErr error) {
	t.Helper()
	switch {
	case (err != nil) != (wantErr != nil):
		t.Fatalf("%s: fast path error %v, oapi-codegen's %v", what, err, wantErr)
	case err == nil && got.URL.String() != want:
		t.Fatalf("%s:\n fast %s\n want %s", what, got.URL, want)
	}
}

const fastServer = "https://r.communication.azure.com/"

func checkFastPath(t *testing.T, callID, rawID, apiVersion string) {
	checkFastPathOn(t, fastServer, callID, rawID, apiVersion)
}

func checkFastPathOn(t *testing.T, server, callID, rawID, apiVersion string) {
	get, err := gen.NewCallConnectionGetParticipantRequest(server, callID, rawID, &gen.CallConnectionGetParticipantParams{ApiVersion: apiVersion})
	want, wantErr := referenceURL(t, server, "/calling/callConnections/%s/participants/%s", []string{callID, rawID}, apiVersion)
	sameURL(t, "get participant "+server+" "+callID+" "+rawID, get, err, want, wantErr)
	list, err := gen.NewCallConnectionGetParticipantsRequest(server, callID, &gen.CallConnectionGetParticipantsParams{ApiVersion: apiVersion})
	want, wantErr = referenceURL(t, server, "/calling/callConnections/%s/participants", []string{callID}, apiVersion)
	sameURL(t, "list "+server+" "+callID, list, err, want, wantErr)
	id := uuid.New()
	sent := time.Now().UTC().Format(http.TimeFormat)
	mute, err := gen.NewCallConnectionMuteRequestWithBody(server, callID, &gen.CallConnectionMuteParams{ApiVersion: apiVersion, RepeatabilityRequestID: &id, RepeatabilityFirstSent: &sent}, "application/json", nil)
	want, wantErr = referenceURL(t, server, "/calling/callConnections/%s/participants:mute", []string{callID}, apiVersion)
	sameURL(t, "mute "+server+" "+callID, mute, err, want, wantErr)
	if err != nil {
		return
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
	// Dot segments, which resolving the path removes, and servers the path
	// cannot simply be appended to.
	for _, s := range []string{".", "..", "", "./x", "%2e%2e"} {
		checkFastPath(t, s, s, "2024-09-15")
	}
	for _, server := range []string{"https://r.example/a/../", "https://r.example/./", "https://r.example/a?x=1/", "https://r.example/#f/", "https://r.example/a/.", "https://r.example", "https://r.example/x y/", "http://[::1]:8080/"} {
		checkFastPathOn(t, server, "call", "8:acs:r_u", "2024-09-15")
	}
}

func FuzzFastRequestBuilder(f *testing.F) {
	f.Add("call-1", "8:acs:r_u", "2024-09-15")
	f.Add("a b/c:d", "4:+1 555", "x&y=z")
	f.Add("..", ".", "2024-09-15")
	f.Fuzz(func(t *testing.T, callID, rawID, v string) {
		checkFastPath(t, callID, rawID, v)
	})
}

func FuzzFastRequestBuilderServer(f *testing.F) {
	for _, p := range []string{"", "a/", "a/../", "./", "a?b/", "#/", "x y/", "%2e%2e/", "a//b/", "a/..", "..;/"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		checkFastPathOn(t, "https://r.communication.azure.com/"+path, "call", "8:acs:r_u", "2024-09-15")
	})
}
