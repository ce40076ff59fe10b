// TestOfficialJavaScriptSDKInterop checks this client against Microsoft's
// official JavaScript SDK, @azure/communication-call-automation 1.6.0: for the
// same input, in every API version the client supports, mute, hold, unhold
// and remove must send what the SDK sends. It runs the SDK once, with Node.js
// (testdata/jssdk/send.mjs, the whole plan in one process), against one
// recording server, sends the same requests through this client to another,
// and compares them request by request: method, path and query (the
// RequestURI), body (as JSON, key order aside), the headers of substance, the
// repeatability headers, and HMAC signatures recomputed with the test key.
//
// It needs Node.js 20 or later on PATH and the SDK installed, at the version
// package-lock.json pins:
//
//	cd client/testdata/jssdk && npm ci
//	go test -race -run TestOfficialJavaScriptSDKInterop -v ./client/
//
// Without node or testdata/jssdk/node_modules the test skips, unless the
// environment variable ACSMUTE_INTEROP=1 is set (as CI sets it): then it
// fails instead, so CI cannot pass without running it.
//
// What it normalizes before comparing, and why:
//
//   - Bodies are compared as JSON values, so key order and string escaping
//     do not count (this client writes keys in alphabetical order and, as
//     Go's encoding/json does, escapes "<", ">" and "&" as \u003c and the
//     like; the SDK does neither). Each side's x-ms-content-sha256 and
//     signature are checked against its own bytes.
//   - Hold and unhold: the SDK sends the target participant without "kind"
//     (it serializes it with serializeCommunicationIdentifier, where mute and
//     remove add kind); this client always sends kind, as its mute does and as
//     Microsoft's CallMedia_Hold example does. The test removes kind from this
//     client's target and asserts the SDK's has none, so that a change in the
//     SDK is noticed.
//   - Remove without an operation context: both send a fresh UUID; the test
//     checks both are version 4 UUIDs (this client's is also its
//     Repeatability-Request-ID) and then compares the rest.
//   - API version 2024-09-15: the SDK sends the same identifiers whatever the
//     version, including properties that version does not define. The test
//     drops from the SDK's body, generically, every property the OpenAPI
//     document (package openapi) defines but not for that version
//     (openapi.LoadVersion): phone numbers' isAnonymous and assertedId, and
//     the teamsExtensionUser identifier. This client sends a Teams Phone
//     extension user on that version as the Communication Services user it is
//     there, so the SDK is given it as {communicationUserId: rawID}, which is
//     what the SDK itself sends for it on that version. (The SDK is also given
//     the raw ID, to check it sends the same as in later versions.) This
//     client refuses unhold's operationCallbackUrl on that version, so neither
//     side sends one there.
//   - Path escaping of call connection IDs: the SDK escapes the ID with
//     encodeURIComponent, this client with url.PathEscape. They agree on real
//     IDs (letters, digits, "-", "_", ".", "~"), which the comparison uses.
//     For an ID with other characters the escaped forms differ (":" against
//     "%3A", "%21" against "!", and so on) though both decode to the same
//     path; one case per op and version asserts exactly that.
//   - Headers not compared: User-Agent (names each client; the SDK's must name
//     1.6.0), and Accept-Encoding and Connection, which each HTTP stack sets.
//     Every other header must be sent by both, with equal values for
//     Content-Type and Accept, and values of the same form for the rest (the
//     dates, UUIDs and signatures differ by nature).
package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/openapi"
)

const (
	// interopSDKVersion is the SDK version package.json pins.
	interopSDKVersion = "1.6.0"
	interopDir        = "testdata/jssdk"
	// interopCallID is shaped like the call connection IDs the service issues.
	interopCallID = "421f0b00-5a6e-4b7e-9b5d-2f1c3e4d5a6b"
	// interopOddCallID has every character the two escapers treat differently.
	interopOddCallID = "call 1/x:y!*()'$&+,;=@é~"
	interopContext   = `ctx <&> "quoted" é 🎧`
	interopCallback  = "https://app.example/callbacks?op=1&x=a%2Fb"
	// interopPlayFile carries a SAS-like query, which must be sent as it is.
	interopPlayFile = "https://media.example/hold.wav?sv=2026-02-06&se=2026-12-31T00%3A00%3A00Z&sr=b&sp=r&sig=c2VjcmV0K3NpZw%3D%3D"
)

// interopIdentifiers are the participants sent: a raw ID (which this client
// reads with ParseRawID and the SDK with createIdentifierFromRawId) and the
// same identifier as a JavaScript object.
var interopIdentifiers = []struct {
	name string
	raw  string
	kind client.IdentifierKind
	js   map[string]any
}{
	{"communication user", "8:acs:b6aada1f-0b1d-47ac-866f-91aae00a1d01_00000028-8c2a-d4ed-0c4e-a43a0d000e6f", client.KindCommunicationUser,
		map[string]any{"communicationUserId": "8:acs:b6aada1f-0b1d-47ac-866f-91aae00a1d01_00000028-8c2a-d4ed-0c4e-a43a0d000e6f"}},
	{"phone number", "4:+15551234567", client.KindPhoneNumber,
		map[string]any{"phoneNumber": "+15551234567"}},
	{"phone number with asserted ID", "4:+15551234567_+15559876543", client.KindPhoneNumber,
		map[string]any{"phoneNumber": "+15551234567_+15559876543", "assertedId": "+15559876543"}},
	{"anonymous phone number", "4:anonymous", client.KindPhoneNumber,
		map[string]any{"phoneNumber": "anonymous", "isAnonymous": true}},
	{"Teams user in gcch", "8:gcch:7e1f1a24-7c1b-4c7e-8a0e-0c1a2b3c4d5e", client.KindMicrosoftTeamsUser,
		map[string]any{"microsoftTeamsUserId": "7e1f1a24-7c1b-4c7e-8a0e-0c1a2b3c4d5e", "cloud": "gcch"}},
	{"anonymous Teams user", "8:teamsvisitor:v1", client.KindMicrosoftTeamsUser,
		map[string]any{"microsoftTeamsUserId": "v1", "isAnonymous": true}},
	{"Teams app in dod", "28:dod:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", client.KindMicrosoftTeamsApp,
		map[string]any{"teamsAppId": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "cloud": "dod"}},
	{"Teams extension user in public", "8:acs:res1_ten1_usr1", client.KindTeamsExtensionUser,
		map[string]any{"resourceId": "res1", "tenantId": "ten1", "userId": "usr1"}},
	{"Teams extension user in dod", "8:dod-acs:res2_ten2_usr2", client.KindTeamsExtensionUser,
		map[string]any{"resourceId": "res2", "tenantId": "ten2", "userId": "usr2", "cloud": "dod"}},
	{"unknown raw ID", "99:future:x", client.KindUnknown,
		map[string]any{"id": "99:future:x"}},
}

// interopCase is one request, sent through both clients (or, jsOnly, through
// the SDK only).
type interopCase struct {
	version, op, callID string
	idName, rawID       string
	// js is the participant given to the SDK: a raw ID or an object; form
	// says which, for messages.
	js   any
	form string
	// all: every option set; otherwise none.
	all    bool
	jsOnly bool
}

func (c interopCase) String() string {
	opts := "no options"
	if c.all {
		opts = "all options"
	}
	s := fmt.Sprintf("%s %s, %s given to the SDK as %s, %s", c.version, c.op, c.idName, c.form, opts)
	if c.callID != interopCallID {
		s += fmt.Sprintf(", call ID %q", c.callID)
	}
	return s
}

// name is the case's subtest name.
func (c interopCase) name() string {
	opts := "none"
	if c.all {
		opts = "all_options"
	}
	parts := []string{c.version, c.op, c.idName, c.form, opts}
	if c.callID != interopCallID {
		parts = append(parts, "odd_call_ID")
	}
	if c.jsOnly {
		parts = append(parts, "SDK_only")
	}
	return strings.Join(parts, "/")
}

// jsOptions are the SDK's options for the case.
func (c interopCase) jsOptions() map[string]any {
	o := map[string]any{}
	if !c.all {
		return o
	}
	o["operationContext"] = interopContext
	switch c.op {
	case "hold":
		o["operationCallbackUrl"] = interopCallback
		o["playSource"] = map[string]any{"kind": "fileSource", "url": interopPlayFile}
	case "unhold":
		if c.version != client.APIVersion { // 2024-09-15 has no unhold callback
			o["operationCallbackUrl"] = interopCallback
		}
	case "remove":
		o["operationCallbackUrl"] = interopCallback
	}
	return o
}

// sendOurs sends the case through this client.
func (c interopCase) sendOurs(ctx context.Context, cl *client.Client) error {
	id, err := client.ParseRawID(c.rawID)
	if err != nil {
		return err
	}
	var ctxOpt, cb, file string
	if c.all {
		ctxOpt, cb, file = interopContext, interopCallback, interopPlayFile
	}
	switch c.op {
	case "mute":
		_, err = cl.MuteParticipant(ctx, c.callID, id, &client.MuteParticipantOptions{OperationContext: ctxOpt})
	case "hold":
		_, err = cl.HoldParticipant(ctx, c.callID, id, &client.HoldParticipantOptions{OperationContext: ctxOpt, OperationCallbackURL: cb, PlayFileURL: file})
	case "unhold":
		if c.version == client.APIVersion {
			cb = ""
		}
		_, err = cl.UnholdParticipant(ctx, c.callID, id, &client.UnholdParticipantOptions{OperationContext: ctxOpt, OperationCallbackURL: cb})
	case "remove":
		_, err = cl.RemoveParticipant(ctx, c.callID, id, &client.RemoveParticipantOptions{OperationContext: ctxOpt, OperationCallbackURL: cb})
	default:
		err = fmt.Errorf("unknown op %q", c.op)
	}
	return err
}

// interopCases is the plan: for every version, op and identifier, the raw
// ID with no options and with all of them, the JavaScript object with no
// options, and the odd call ID.
func interopCases() []interopCase {
	var cases []interopCase
	for _, v := range client.SupportedAPIVersions() {
		for _, op := range []string{"mute", "hold", "unhold", "remove"} {
			for _, id := range interopIdentifiers {
				c := interopCase{version: v, op: op, callID: interopCallID, idName: id.name, rawID: id.raw}
				raw, object := c, c
				raw.js, raw.form = id.raw, "raw ID"
				object.js, object.form = id.js, "object"
				if v == client.APIVersion && id.kind == client.KindTeamsExtensionUser {
					// On 2024-09-15 the SDK itself sends an extension user as
					// a communication user, given as one.
					jsOnly := raw
					jsOnly.jsOnly = true
					cases = append(cases, jsOnly)
					raw.js, raw.form = map[string]any{"communicationUserId": id.raw}, "communication user object"
					object = interopCase{} // the same as raw here
				}
				all := raw
				all.all = true
				cases = append(cases, raw, all)
				if object.op != "" {
					cases = append(cases, object)
				}
			}
			odd := interopCase{version: v, op: op, callID: interopOddCallID, idName: interopIdentifiers[0].name,
				rawID: interopIdentifiers[0].raw, js: interopIdentifiers[0].raw, form: "raw ID"}
			cases = append(cases, odd)
		}
	}
	return cases
}

// interopAnswer answers as the service does: 202 with the operation
// context for remove, 200 with a body for mute, 200 without one for hold
// and unhold. (The recorder has read the request body already, so the
// echoed context is a constant.)
func interopAnswer(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, ":remove"):
		answer(http.StatusAccepted, `{"operationContext":"echo"}`)(w, r)
	case strings.HasSuffix(r.URL.Path, ":mute"):
		answer(http.StatusOK, `{"operationContext":"echo"}`)(w, r)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// interopSDK finds node and the installed SDK, skipping the test (or, with
// ACSMUTE_INTEROP=1, failing it) when either is missing.
func interopSDK(t *testing.T) string {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...) + "; to run this test, install Node.js 20 or later, then: cd client/testdata/jssdk && npm ci"
		if os.Getenv("ACSMUTE_INTEROP") == "1" {
			t.Fatal(msg + " (ACSMUTE_INTEROP=1: not skipping)")
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(interopDir, "node_modules")); err != nil {
		unavailable("the official JavaScript SDK is not installed in %s/node_modules", interopDir)
	}
	// A stale install is an error, not a reason to skip.
	pkg, err := os.ReadFile(filepath.Join(interopDir, "node_modules", "@azure", "communication-call-automation", "package.json"))
	if err != nil {
		t.Fatalf("%v: run npm ci in client/%s", err, interopDir)
	}
	var meta struct{ Version string }
	if err := json.Unmarshal(pkg, &meta); err != nil || meta.Version != interopSDKVersion {
		t.Fatalf("the installed @azure/communication-call-automation is %q (%v), want %s: run npm ci in client/%s", meta.Version, err, interopSDKVersion, interopDir)
	}
	return node
}

func TestOfficialJavaScriptSDKInterop(t *testing.T) {
	node := interopSDK(t)
	cases := interopCases()
	for _, id := range interopIdentifiers {
		parsed, err := client.ParseRawID(id.raw)
		if err != nil || parsed.Kind() != id.kind {
			t.Fatalf("ParseRawID(%q) = %v, %v; want kind %s", id.raw, parsed, err, id.kind)
		}
	}

	// The SDK's requests, all in one node process.
	start := time.Now()
	jsSrv := newRecorder(t, interopAnswer)
	type jsRequest struct {
		APIVersion  string         `json:"apiVersion"`
		Op          string         `json:"op"`
		CallID      string         `json:"callId"`
		Participant any            `json:"participant"`
		Options     map[string]any `json:"options"`
	}
	plan := struct {
		ConnectionString string      `json:"connectionString"`
		Requests         []jsRequest `json:"requests"`
	}{ConnectionString: "endpoint=" + jsSrv.URL + "/;accesskey=" + fakeKey}
	for _, c := range cases {
		plan.Requests = append(plan.Requests, jsRequest{c.version, c.op, c.callID, c.js, c.jsOptions()})
	}
	planJSON, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "send.mjs")
	cmd.Dir = interopDir
	cmd.Stdin = bytes.NewReader(planJSON)
	// The SDK honours HTTP_PROXY and the like even for the loopback
	// interface, which Go's transport never proxies: leave them out.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return strings.HasSuffix(strings.ToUpper(name), "_PROXY")
	})
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("node send.mjs: %v (after %d of %d requests)\n%s", err, len(jsSrv.seen()), len(cases), out.String())
	}
	jsTime := time.Since(start)

	// The same through this client.
	goStart := time.Now()
	goSrv := newRecorder(t, interopAnswer)
	clients := map[string]*client.Client{}
	for _, v := range client.SupportedAPIVersions() {
		clients[v] = newKeyClient(t, goSrv.URL, &client.ClientOptions{APIVersion: v})
	}
	for _, c := range cases {
		if c.jsOnly {
			continue
		}
		if err := c.sendOurs(context.Background(), clients[c.version]); err != nil {
			t.Fatalf("%s: this client: %v", c, err)
		}
	}
	end := time.Now()
	t.Logf("%d requests through the SDK in %v, %d through this client in %v",
		len(jsSrv.seen()), jsTime.Round(time.Millisecond), len(goSrv.seen()), end.Sub(goStart).Round(time.Millisecond))

	jsSeen, goSeen := jsSrv.seen(), goSrv.seen()
	if len(jsSeen) != len(cases) {
		t.Fatalf("the SDK sent %d requests for %d in the plan", len(jsSeen), len(cases))
	}
	cmp := &interopComparison{schemas: newInteropSchemas(t), start: start, end: end,
		jsByInput: map[string][]string{}, pruned: map[string]map[string]bool{}}
	g := 0
	for i, c := range cases {
		js := jsSeen[i]
		var ours *recorded
		if !c.jsOnly {
			if g >= len(goSeen) {
				t.Fatalf("this client sent %d requests, fewer than planned", len(goSeen))
			}
			ours = &goSeen[g]
			g++
		}
		t.Run(c.name(), func(t *testing.T) { cmp.compare(t, c, js, ours) })
	}
	if g != len(goSeen) {
		t.Errorf("this client sent %d requests, %d compared", len(goSeen), g)
	}
	for _, v := range slices.Sorted(maps.Keys(cmp.pruned)) {
		t.Logf("%s: dropped from the SDK's bodies, as that version lacks them: %v", v, slices.Sorted(maps.Keys(cmp.pruned[v])))
	}

	// The SDK sends the same body for the same input whatever the version.
	for _, input := range slices.Sorted(maps.Keys(cmp.jsByInput)) {
		bodies := cmp.jsByInput[input]
		for _, b := range bodies[1:] {
			_, x, _ := strings.Cut(bodies[0], ": ")
			_, y, _ := strings.Cut(b, ": ")
			if x != y {
				t.Errorf("the SDK's body for %s depends on the API version:\n%s\n%s", input, bodies[0], b)
			}
		}
	}
}

// interopComparison compares the requests of one case, and collects what
// the test checks across cases.
type interopComparison struct {
	schemas    interopSchemas
	start, end time.Time
	// jsByInput holds the SDK's normalized bodies ("version: body") by
	// input, to compare across versions.
	jsByInput map[string][]string
	// pruned holds, by version, the paths dropped from the SDK's bodies.
	pruned map[string]map[string]bool
}

// compare checks the SDK's request js and this client's, ours (nil for a
// case sent through the SDK only), each on its own and against each other.
func (cmp *interopComparison) compare(t *testing.T, c interopCase, js recorded, ours *recorded) {
	checkInteropHeaders(t, c, "the SDK", js, cmp.start, cmp.end)
	jsBody := decodeInteropBody(t, c, "the SDK", js.Body)
	if c.op == "remove" && !c.all {
		// The SDK's own UUID (it is not its Repeatability-Request-ID).
		checkUUIDContext(t, c, "the SDK", jsBody)
	}
	input := fmt.Sprintf("%s on call %s of %s with options %s", c.op, c.callID, mustJSON(t, c.js), mustJSON(t, c.jsOptions()))
	cmp.jsByInput[input] = append(cmp.jsByInput[input], c.version+": "+mustJSON(t, jsBody))
	if ours == nil {
		return
	}
	checkInteropHeaders(t, c, "this client", *ours, cmp.start, cmp.end)
	ourBody := decodeInteropBody(t, c, "this client", ours.Body)

	// Method, path and query.
	if js.Method != http.MethodPost || ours.Method != http.MethodPost {
		t.Errorf("%s: methods: the SDK %s, this client %s", c, js.Method, ours.Method)
	}
	checkInteropRequestURI(t, c, js.RequestURI, ours.RequestURI)

	// Headers: the same names, and equal values where they can be.
	if a, b := interopHeaderNames(js.Header), interopHeaderNames(ours.Header); !slices.Equal(a, b) {
		t.Errorf("%s: header names differ:\nthe SDK:     %v\nthis client: %v", c, a, b)
	}
	for _, h := range []string{"Content-Type", "Accept"} {
		if a, b := js.Header.Get(h), ours.Header.Get(h); a != b {
			t.Errorf("%s: %s: the SDK %q, this client %q", c, h, a, b)
		}
	}

	// Bodies.
	if c.op == "remove" && !c.all {
		if got, want := ourBody["operationContext"], ours.Header.Get("Repeatability-Request-ID"); got != want {
			t.Errorf("%s: this client's operationContext %v is not its Repeatability-Request-ID %s", c, got, want)
		}
		checkUUIDContext(t, c, "this client", ourBody)
	}
	if c.op == "hold" || c.op == "unhold" {
		target, _ := jsBody["targetParticipant"].(map[string]any)
		if kind, ok := target["kind"]; ok {
			t.Errorf("%s: the SDK now sends the target's kind (%v): review the hold and unhold kind normalization\nthe SDK: %s", c, kind, js.Body)
		}
		target, _ = ourBody["targetParticipant"].(map[string]any)
		if kind, _ := target["kind"].(string); kind == "" {
			t.Errorf("%s: this client sent no kind on the target\nthis client: %s", c, ours.Body)
		}
		delete(target, "kind")
	}
	jsPruned := cmp.schemas.prune(t, c, jsBody)
	if p := cmp.schemas.prune(t, c, ourBody); len(p) > 0 {
		t.Errorf("%s: this client sent %v, which API version %s does not define\nthis client: %s", c, p, c.version, ours.Body)
	}
	for _, p := range jsPruned {
		if cmp.pruned[c.version] == nil {
			cmp.pruned[c.version] = map[string]bool{}
		}
		cmp.pruned[c.version][p] = true
	}
	if a, b := mustJSON(t, jsBody), mustJSON(t, ourBody); a != b {
		t.Errorf("%s: bodies differ\nthe SDK sent:     %s\nthis client sent: %s\nthe SDK's, normalized:     %s\nthis client's, normalized: %s\n(dropped from the SDK's as not in %s: %v)",
			c, js.Body, ours.Body, a, b, c.version, jsPruned)
	}
}

// checkInteropRequestURI compares the RequestURIs: equal, except for the
// odd call ID, where each side must escape it as its escaper does and both
// must decode to the same path and query.
func checkInteropRequestURI(t *testing.T, c interopCase, js, ours string) {
	t.Helper()
	if c.callID == interopCallID {
		if js != ours {
			t.Errorf("%s: RequestURI:\nthe SDK:     %s\nthis client: %s", c, js, ours)
		}
		return
	}
	suffix := map[string]string{"mute": "/participants:mute", "hold": ":hold", "unhold": ":unhold", "remove": "/participants:remove"}[c.op] +
		"?api-version=" + c.version
	if want := "/calling/callConnections/" + encodeURIComponent(c.callID) + suffix; js != want {
		t.Errorf("%s: the SDK's RequestURI\n%s\nwant (encodeURIComponent)\n%s", c, js, want)
	}
	if want := "/calling/callConnections/" + url.PathEscape(c.callID) + suffix; ours != want {
		t.Errorf("%s: this client's RequestURI\n%s\nwant (url.PathEscape)\n%s", c, ours, want)
	}
	a, errA := url.ParseRequestURI(js)
	b, errB := url.ParseRequestURI(ours)
	if errA != nil || errB != nil || a.Path != b.Path || a.RawQuery != b.RawQuery {
		t.Errorf("%s: RequestURIs do not decode to the same path and query:\nthe SDK:     %s\nthis client: %s", c, js, ours)
	}
}

// encodeURIComponent is JavaScript's: every byte of the UTF-8 form escaped
// but letters, digits and - _ . ! ~ * ' ( ).
func encodeURIComponent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

var interopUUIDv4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkInteropHeaders checks one side's request on its own: the signature,
// the date, the client request ID, the User-Agent, and the repeatability
// headers, present (a version 4 UUID and an IMF-fixdate) for mute and
// remove and absent for hold and unhold.
func checkInteropHeaders(t *testing.T, c interopCase, who string, r recorded, start, end time.Time) {
	t.Helper()
	h := r.Header
	checkSignature(t, r)
	inWindow := func(name, v string) {
		t.Helper()
		d, err := time.Parse(http.TimeFormat, v)
		if err != nil || d.Before(start.Truncate(time.Second)) || d.After(end) {
			t.Errorf("%s: %s's %s = %q (%v), want an IMF-fixdate between %v and %v", c, who, name, v, err, start, end)
		}
	}
	inWindow("x-ms-date", h.Get("x-ms-date"))
	if id := h.Get("x-ms-client-request-id"); !interopUUIDv4.MatchString(id) {
		t.Errorf("%s: %s's x-ms-client-request-id = %q", c, who, id)
	}
	// The User-Agent names the client, and so the SDK version that ran.
	want := "acsmute/"
	if who == "the SDK" {
		want = "azsdk-js-communication-call-automation/" + interopSDKVersion + " "
	}
	if ua := h.Get("User-Agent"); !strings.HasPrefix(ua, want) {
		t.Errorf("%s: %s's User-Agent = %q, want it to start with %q", c, who, ua, want)
	}
	id, sent := h.Get("Repeatability-Request-ID"), h.Get("Repeatability-First-Sent")
	if c.op == "mute" || c.op == "remove" {
		if !interopUUIDv4.MatchString(id) {
			t.Errorf("%s: %s's Repeatability-Request-ID = %q, want a version 4 UUID", c, who, id)
		}
		inWindow("Repeatability-First-Sent", sent)
	} else if id != "" || sent != "" {
		t.Errorf("%s: %s sent repeatability headers %q %q on %s", c, who, id, sent, c.op)
	}
}

// interopHeaderNames are the header names a request carries, but those
// the comparison leaves out.
func interopHeaderNames(h http.Header) []string {
	var names []string
	for name := range h {
		switch name {
		case "User-Agent", "Accept-Encoding", "Connection":
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func decodeInteropBody(t *testing.T, c interopCase, who string, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: %s's body is not a JSON object: %v\n%s", c, who, err, body)
	}
	return m
}

// checkUUIDContext checks that a remove body's operationContext is a
// version 4 UUID, and replaces it with a placeholder for the comparison.
func checkUUIDContext(t *testing.T, c interopCase, who string, body map[string]any) {
	t.Helper()
	if s, _ := body["operationContext"].(string); !interopUUIDv4.MatchString(s) {
		t.Errorf("%s: %s's operationContext = %v, want a version 4 UUID", c, who, body["operationContext"])
		return
	}
	body["operationContext"] = "<a UUID>"
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v) // maps are written with sorted keys
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// interopSchemas are the request body schemas of the whole OpenAPI
// document and of each API version's.
type interopSchemas struct {
	full     *openapi3.T
	versions map[string]*openapi3.T
}

func newInteropSchemas(t *testing.T) interopSchemas {
	t.Helper()
	ctx := context.Background()
	full, err := openapi.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := interopSchemas{full: full, versions: map[string]*openapi3.T{}}
	for _, v := range client.SupportedAPIVersions() {
		if s.versions[v], err = openapi.LoadVersion(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// interopBodySchemas names each op's request body schema.
var interopBodySchemas = map[string]string{
	"mute": "MuteParticipantsRequest", "hold": "HoldRequest", "unhold": "UnholdRequest", "remove": "RemoveParticipantRequest",
}

// prune drops from body, in place, every property the whole document
// defines but the case's API version does not, and returns their paths.
// Properties the document does not define at all are kept, for the
// comparison to catch.
func (s interopSchemas) prune(t *testing.T, c interopCase, body map[string]any) []string {
	t.Helper()
	name := interopBodySchemas[c.op]
	full, ver := s.full.Components.Schemas[name], s.versions[c.version].Components.Schemas[name]
	if full == nil || ver == nil {
		t.Fatalf("no schema %s in the OpenAPI document", name)
	}
	var dropped []string
	var walk func(v any, full, ver *openapi3.Schema, path string)
	walk = func(v any, full, ver *openapi3.Schema, path string) {
		if full == nil || ver == nil {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				fp, vp := full.Properties[k], ver.Properties[k]
				switch {
				case fp == nil:
					// Unknown to the document: left for the comparison.
				case vp == nil:
					delete(x, k)
					dropped = append(dropped, path+k)
				default:
					walk(val, fp.Value, vp.Value, path+k+".")
				}
			}
		case []any:
			if full.Items == nil || ver.Items == nil {
				return
			}
			for _, e := range x {
				walk(e, full.Items.Value, ver.Items.Value, strings.TrimSuffix(path, ".")+"[].")
			}
		}
	}
	walk(body, full.Value, ver.Value, "")
	slices.Sort(dropped)
	return dropped
}
