package client_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
)

// recorded is one request as a test server saw it.
type recorded struct {
	Method     string
	RequestURI string
	Host       string
	Header     http.Header
	Body       []byte
}

// recorder is an httptest server that records requests and answers each with
// the next handler in its script (the last one repeats).
type recorder struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
	script   []http.HandlerFunc
}

func newRecorder(t *testing.T, script ...http.HandlerFunc) *recorder {
	t.Helper()
	r := &recorder{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, recorded{req.Method, req.RequestURI, req.Host, req.Header.Clone(), body})
		n := len(r.requests)
		r.mu.Unlock()
		if len(r.script) == 0 {
			answer(http.StatusOK, `{"operationContext":"ctx"}`)(w, req)
			return
		}
		r.script[min(n, len(r.script))-1](w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) seen() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.requests...)
}

// answer answers with status and a JSON body, and headers as name, value
// pairs.
func answer(status int, body string, headers ...string) http.HandlerFunc {
	return rawAnswer(status, "application/json", body, headers...)
}

func newKeyClient(t *testing.T, endpoint string, opts *client.ClientOptions) *client.Client {
	t.Helper()
	c, err := client.NewClientFromConnectionString("endpoint="+endpoint+";accesskey="+fakeKey, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var acsUser = client.CommunicationUserIdentifier{ID: "8:acs:r_u"}

func TestMuteParticipantSendsExactRequest(t *testing.T) {
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) { testMuteParticipantSendsExactRequest(t, v) })
	}
}

func testMuteParticipantSendsExactRequest(t *testing.T, version string) {
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, &client.ClientOptions{APIVersion: version})
	start := time.Now().UTC().Truncate(time.Second)
	res, err := c.MuteParticipant(context.Background(), "a b/c:d", acsUser, &client.MuteParticipantOptions{OperationContext: "ctx"})
	if err != nil {
		t.Fatal(err)
	}
	if res.OperationContext != "ctx" || res.StatusCode != 200 || res.Attempts != 1 {
		t.Errorf("result = %+v", res)
	}
	reqs := srv.seen()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost {
		t.Errorf("method = %s", r.Method)
	}
	if want := "/calling/callConnections/a%20b%2Fc:d/participants:mute?api-version=" + version; r.RequestURI != want {
		t.Errorf("request URI = %s\nwant          %s", r.RequestURI, want)
	}
	if want := `{"operationContext":"ctx","targetParticipants":[{"communicationUser":{"id":"8:acs:r_u"},"kind":"communicationUser","rawId":"8:acs:r_u"}]}`; string(r.Body) != want {
		t.Errorf("body = %s\nwant   %s", r.Body, want)
	}
	h := r.Header
	if got := h.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := h.Get("Accept"); got != "application/json" {
		t.Errorf("Accept = %q", got)
	}
	if got := h.Get("User-Agent"); !regexp.MustCompile(`^acsmute/\d+\.\d+\.\d+ \(go[^;]+; \w+\)$`).MatchString(got) {
		t.Errorf("User-Agent = %q", got)
	}
	uuidV4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if got := h.Get("Repeatability-Request-ID"); !uuidV4.MatchString(got) || got != res.RepeatabilityRequestID {
		t.Errorf("Repeatability-Request-ID = %q (result says %q)", got, res.RepeatabilityRequestID)
	}
	if got := h.Get("x-ms-client-request-id"); !uuidV4.MatchString(got) {
		t.Errorf("x-ms-client-request-id = %q", got)
	}
	firstSent, err := http.ParseTime(h.Get("Repeatability-First-Sent"))
	if err != nil || !strings.HasSuffix(h.Get("Repeatability-First-Sent"), " GMT") {
		t.Errorf("Repeatability-First-Sent = %q: %v", h.Get("Repeatability-First-Sent"), err)
	}
	if firstSent.Before(start) || firstSent.After(time.Now()) || !firstSent.Equal(res.RepeatabilityFirstSent) {
		t.Errorf("Repeatability-First-Sent = %v, result %v, call started %v", firstSent, res.RepeatabilityFirstSent, start)
	}
	// The signature, recomputed here from the received request.
	sum := sha256.Sum256(r.Body)
	if got, want := h.Get("x-ms-content-sha256"), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("x-ms-content-sha256 = %q, want %q", got, want)
	}
	key, _ := base64.StdEncoding.DecodeString(fakeKey)
	mac := hmac.New(sha256.New, key)
	io.WriteString(mac, "POST\n"+r.RequestURI+"\n"+h.Get("x-ms-date")+";"+r.Host+";"+h.Get("x-ms-content-sha256"))
	want := "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if got := h.Get("Authorization"); got != want {
		t.Errorf("Authorization = %q\nwant            %q", got, want)
	}
	if _, err := http.ParseTime(h.Get("x-ms-date")); err != nil {
		t.Errorf("x-ms-date = %q: %v", h.Get("x-ms-date"), err)
	}
}

// Every identifier kind is sent as the official SDKs send it in each API
// version. From 2025-06-15 on, the bodies are those recorded from the
// official JavaScript SDK 1.6.0 (its default version is 2026-03-12).
func TestMuteParticipantBodyForEachIdentifierKind(t *testing.T) {
	tests := []struct {
		id client.Identifier
		// want is the 2024-09-15 form; newer, when not empty, the form of
		// 2025-06-15 and 2026-03-12.
		want, newer string
	}{
		{client.CommunicationUserIdentifier{ID: "8:acs:r_u"},
			`{"kind":"communicationUser","rawId":"8:acs:r_u","communicationUser":{"id":"8:acs:r_u"}}`, ""},
		{client.PhoneNumberIdentifier{PhoneNumber: "+15551234567"},
			`{"kind":"phoneNumber","rawId":"4:+15551234567","phoneNumber":{"value":"+15551234567"}}`,
			`{"kind":"phoneNumber","rawId":"4:+15551234567","phoneNumber":{"value":"+15551234567","isAnonymous":false}}`},
		{client.PhoneNumberIdentifier{PhoneNumber: "+15551234567_+15559876543"},
			`{"kind":"phoneNumber","rawId":"4:+15551234567_+15559876543","phoneNumber":{"value":"+15551234567_+15559876543"}}`,
			`{"kind":"phoneNumber","rawId":"4:+15551234567_+15559876543","phoneNumber":{"value":"+15551234567_+15559876543","isAnonymous":false,"assertedId":"+15559876543"}}`},
		{client.PhoneNumberIdentifier{PhoneNumber: "anonymous"},
			`{"kind":"phoneNumber","rawId":"4:anonymous","phoneNumber":{"value":"anonymous"}}`,
			`{"kind":"phoneNumber","rawId":"4:anonymous","phoneNumber":{"value":"anonymous","isAnonymous":true}}`},
		{client.MicrosoftTeamsUserIdentifier{UserID: "u1"},
			`{"kind":"microsoftTeamsUser","rawId":"8:orgid:u1","microsoftTeamsUser":{"userId":"u1","isAnonymous":false,"cloud":"public"}}`, ""},
		{client.MicrosoftTeamsUserIdentifier{UserID: "v1", IsAnonymous: true},
			`{"kind":"microsoftTeamsUser","rawId":"8:teamsvisitor:v1","microsoftTeamsUser":{"userId":"v1","isAnonymous":true,"cloud":"public"}}`, ""},
		{client.MicrosoftTeamsUserIdentifier{UserID: "u2", Cloud: client.CloudGCCH},
			`{"kind":"microsoftTeamsUser","rawId":"8:gcch:u2","microsoftTeamsUser":{"userId":"u2","isAnonymous":false,"cloud":"gcch"}}`, ""},
		{client.MicrosoftTeamsAppIdentifier{AppID: "a1", Cloud: client.CloudDoD},
			`{"kind":"microsoftTeamsApp","rawId":"28:dod:a1","microsoftTeamsApp":{"appId":"a1","cloud":"dod"}}`, ""},
		{client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u"},
			`{"kind":"communicationUser","rawId":"8:acs:r_t_u","communicationUser":{"id":"8:acs:r_t_u"}}`,
			`{"kind":"teamsExtensionUser","rawId":"8:acs:r_t_u","teamsExtensionUser":{"userId":"u","tenantId":"t","resourceId":"r","cloud":"public"}}`},
		{client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u", Cloud: client.CloudGCCH},
			`{"kind":"communicationUser","rawId":"8:gcch-acs:r_t_u","communicationUser":{"id":"8:gcch-acs:r_t_u"}}`,
			`{"kind":"teamsExtensionUser","rawId":"8:gcch-acs:r_t_u","teamsExtensionUser":{"userId":"u","tenantId":"t","resourceId":"r","cloud":"gcch"}}`},
		{client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u", Cloud: client.CloudDoD},
			`{"kind":"communicationUser","rawId":"8:dod-acs:r_t_u","communicationUser":{"id":"8:dod-acs:r_t_u"}}`,
			`{"kind":"teamsExtensionUser","rawId":"8:dod-acs:r_t_u","teamsExtensionUser":{"userId":"u","tenantId":"t","resourceId":"r","cloud":"dod"}}`},
		{client.UnknownIdentifier{ID: "99:future:x"},
			`{"kind":"unknown","rawId":"99:future:x"}`, ""},
		{&client.CommunicationUserIdentifier{ID: "8:acs:r_p"},
			`{"kind":"communicationUser","rawId":"8:acs:r_p","communicationUser":{"id":"8:acs:r_p"}}`, ""},
		// A type of the caller's that embeds one of ours is sent as what it embeds.
		{embedded{client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "e"}},
			`{"kind":"communicationUser","rawId":"8:acs:r_t_e","communicationUser":{"id":"8:acs:r_t_e"}}`,
			`{"kind":"teamsExtensionUser","rawId":"8:acs:r_t_e","teamsExtensionUser":{"userId":"e","tenantId":"t","resourceId":"r","cloud":"public"}}`},
	}
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) {
			srv := newRecorder(t)
			c := newKeyClient(t, srv.URL, &client.ClientOptions{APIVersion: v})
			for i, tt := range tests {
				want := tt.want
				if v != client.APIVersion && tt.newer != "" {
					want = tt.newer
				}
				if _, err := c.MuteParticipant(context.Background(), "call", tt.id, nil); err != nil {
					t.Fatalf("%#v: %v", tt.id, err)
				}
				var body struct {
					TargetParticipants []json.RawMessage `json:"targetParticipants"`
					OperationContext   *string           `json:"operationContext"`
				}
				if err := json.Unmarshal(srv.seen()[i].Body, &body); err != nil {
					t.Fatal(err)
				}
				if len(body.TargetParticipants) != 1 || body.OperationContext != nil {
					t.Fatalf("body = %s", srv.seen()[i].Body)
				}
				if !jsonEqual(t, body.TargetParticipants[0], []byte(want)) {
					t.Errorf("%#v sent as\n%s\nwant\n%s", tt.id, body.TargetParticipants[0], want)
				}
			}
		})
	}
}

// embedded is a caller's identifier type that embeds one of this package's.
type embedded struct {
	client.TeamsExtensionUserIdentifier
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return string(xs) == string(ys)
}

func TestMuteParticipantCallerRepeatability(t *testing.T) {
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, nil)
	first := time.Date(2026, 11, 28, 9, 30, 15, 123, time.FixedZone("CET", 3600))
	client.UseClock(c, client.NewFakeClock(first.Add(time.Minute))) // inside the window
	res, err := c.MuteParticipant(context.Background(), "call", acsUser, &client.MuteParticipantOptions{
		RepeatabilityRequestID: "0F8FAD5B-D9CB-469F-A165-70867728950E",
		RepeatabilityFirstSent: first,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.seen()[0].Header
	if got := h.Get("Repeatability-Request-ID"); got != "0f8fad5b-d9cb-469f-a165-70867728950e" {
		t.Errorf("Repeatability-Request-ID = %q", got)
	}
	if got := h.Get("Repeatability-First-Sent"); got != "Sat, 28 Nov 2026 08:30:15 GMT" {
		t.Errorf("Repeatability-First-Sent = %q", got)
	}
	if res.RepeatabilityRequestID != "0f8fad5b-d9cb-469f-a165-70867728950e" {
		t.Errorf("result ID = %q", res.RepeatabilityRequestID)
	}
}

func TestMuteParticipantRejectsBadInput(t *testing.T) {
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, nil)
	var nilUser *client.CommunicationUserIdentifier
	tests := []struct {
		name    string
		callID  string
		id      client.Identifier
		opts    *client.MuteParticipantOptions
		mention string
	}{
		{"empty call ID", "", acsUser, nil, "call connection ID is empty"},
		{"blank call ID", "   ", acsUser, nil, "blank"},
		{"control in call ID", "a\nb", acsUser, nil, "control character at byte 1"},
		{"huge call ID", strings.Repeat("x", 2000), acsUser, nil, "limit is 1024"},
		{"bad UTF-8 call ID", "\xff", acsUser, nil, "UTF-8"},
		{"dot call ID", ".", acsUser, nil, `cannot be "." or ".."`},
		{"dot-dot call ID", "..", acsUser, nil, `cannot be "." or ".."`},
		{"nil participant", "call", nil, nil, "participant is nil"},
		{"nil pointer participant", "call", nilUser, nil, "nil *client.CommunicationUserIdentifier"},
		{"empty user", "call", client.CommunicationUserIdentifier{}, nil, "empty ID"},
		{"empty phone", "call", client.PhoneNumberIdentifier{}, nil, "empty PhoneNumber"},
		{"empty teams user", "call", client.MicrosoftTeamsUserIdentifier{}, nil, "empty UserID"},
		{"bad cloud", "call", client.MicrosoftTeamsAppIdentifier{AppID: "a", Cloud: "mars"}, nil, `unknown cloud "mars"`},
		{"partial extension user", "call", client.TeamsExtensionUserIdentifier{UserID: "u"}, nil, "needs UserID, TenantID and ResourceID"},
		{"space in user", "call", client.CommunicationUserIdentifier{ID: "8:acs:a b"}, nil, "space or control"},
		{"huge operation context", "call", acsUser, &client.MuteParticipantOptions{OperationContext: strings.Repeat("x", 5001)}, "OperationContext is 5001 UTF-16 code units long; the limit is 5000"},
		{"operation context with astral runes", "call", acsUser, &client.MuteParticipantOptions{OperationContext: strings.Repeat("😀", 2501)}, "5002 UTF-16 code units"},
		{"operation context not UTF-8", "call", acsUser, &client.MuteParticipantOptions{OperationContext: "\xff"}, "OperationContext is not valid UTF-8"},
		{"URN repeatability ID", "call", acsUser, &client.MuteParticipantOptions{RepeatabilityRequestID: "urn:uuid:0f8fad5b-d9cb-469f-a165-7086772895"}, "36-character form"},
		{"bad repeatability ID", "call", acsUser, &client.MuteParticipantOptions{RepeatabilityRequestID: "not-a-uuid"}, "RepeatabilityRequestID must be a UUID"},
		{"braced repeatability ID", "call", acsUser, &client.MuteParticipantOptions{RepeatabilityRequestID: "{0f8fad5b-d9cb-469f-a165-70867728950e}"}, "RepeatabilityRequestID must be a UUID"},
		{"first sent before year 1", "call", acsUser, &client.MuteParticipantOptions{RepeatabilityFirstSent: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)}, "between years 1 and 9999"},
		{"first sent after 9999", "call", acsUser, &client.MuteParticipantOptions{RepeatabilityFirstSent: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "between years 1 and 9999"},
		{"non-hex repeatability ID", "call", acsUser, &client.MuteParticipantOptions{RepeatabilityRequestID: "0f8fad5b-d9cb-469f-a165-70867728950z"}, "not a UUID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.MuteParticipant(context.Background(), tt.callID, tt.id, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error = %v, want one mentioning %q", err, tt.mention)
			}
			if !errors.Is(err, client.ErrInvalidInput) {
				t.Errorf("error %v does not match ErrInvalidInput", err)
			}
		})
	}
	//lint:ignore SA1012 a nil context is bad input this test feeds on purpose
	if _, err := c.MuteParticipant(nil, "call", acsUser, nil); err == nil { //nolint:staticcheck
		t.Error("nil context accepted")
	}
	if n := len(srv.seen()); n != 0 {
		t.Errorf("%d requests reached the server; bad input must be refused before sending", n)
	}
}

func TestSuccessWithBadBody(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		mention string
	}{
		{"text", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "OK")
		}, `Content-Type "text/plain" instead of JSON`},
		{"invalid JSON", answer(200, `{"operationContext":`), "not the documented result"},
		{"wrong type", answer(200, `{"operationContext":5}`), "not the documented result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, tt.handler)
			c := newKeyClient(t, srv.URL, nil)
			res, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
			if err == nil || !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error = %v, want one mentioning %q", err, tt.mention)
			}
			// A 200 that is not the documented answer proves nothing.
			if !errors.Is(err, client.ErrOutcomeUnknown) {
				t.Errorf("error %v does not match ErrOutcomeUnknown", err)
			}
			var me *client.MuteError
			if !errors.As(err, &me) || me.Attempts != 1 || me.RepeatabilityRequestID == "" {
				t.Errorf("MuteError = %+v", me)
			}
			if res != (client.MuteParticipantResult{}) {
				t.Errorf("result = %+v, want zero", res)
			}
			if n := len(srv.seen()); n != 1 {
				t.Errorf("%d attempts, want 1", n)
			}
		})
	}
	// A +json media type is JSON.
	srv0 := newRecorder(t, answer(200, `{"operationContext":"vnd"}`, "Content-Type", "application/vnd.acs+json; charset=utf-8"))
	if res, err := newKeyClient(t, srv0.URL, nil).MuteParticipant(context.Background(), "call", acsUser, nil); err != nil || res.OperationContext != "vnd" {
		t.Errorf("+json 200: %+v, %v", res, err)
	}
	srv := newRecorder(t, answer(200, ``))
	c := newKeyClient(t, srv.URL, nil)
	if _, err := c.MuteParticipant(context.Background(), "call", acsUser, nil); err != nil {
		t.Errorf("empty 200 body: %v", err)
	}
}

func TestNewClientEndpoints(t *testing.T) {
	cred, err := client.NewKeyCredential(fakeKey)
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]string{
		"https://r.communication.azure.com":      "https://r.communication.azure.com/",
		"https://R.Communication.Azure.com/":     "https://r.communication.azure.com/",
		"https://r.communication.azure.com:443/": "https://r.communication.azure.com/",
		"https://r.communication.azure.com:8443": "https://r.communication.azure.com:8443/",
		"http://127.0.0.1:8080/":                 "http://127.0.0.1:8080/",
		"http://localhost:80":                    "http://localhost/",
		"http://[::1]:9000":                      "http://[::1]:9000/",
		"http://app.localhost:7000":              "http://app.localhost:7000/",
		"https://bücher.example":                 "https://xn--bcher-kva.example/",
		"https://BÜCHER.example:8443/":           "https://xn--bcher-kva.example:8443/",
	}
	for in, want := range good {
		c, err := client.NewClient(in, cred, nil)
		if err != nil {
			t.Errorf("NewClient(%q): %v", in, err)
			continue
		}
		if c.Endpoint() != want {
			t.Errorf("NewClient(%q).Endpoint() = %q, want %q", in, c.Endpoint(), want)
		}
	}
	bad := map[string]string{
		"":                                        "empty",
		"r.communication.azure.com":               "scheme must be https",
		"ftp://r.communication.azure.com":         "scheme must be https",
		"https://":                                "no host",
		"https://u:p@r.communication.azure.com":   "user information",
		"https://r.communication.azure.com/path":  "no path: use https://r.communication.azure.com (",
		"HTTPS://r.example:8443/calling":          "no path: use https://r.example:8443 (",
		"https://r.communication.azure.com/?x=1":  "no query: use https://r.communication.azure.com (",
		"https://r.communication.azure.com/#frag": "no fragment: use https://r.communication.azure.com",
		"http://r.communication.azure.com":        "InsecureAllowHTTP",
		"http://10.0.0.1:8080":                    "non-loopback",
		"https://r.communication.azure.com:port":  "not a valid URL",
		"http://localhost.example.com":            "non-loopback",
		"http://notlocalhost":                     "non-loopback",
		"https://exa mple.com":                    "not a valid URL",
		"https://xn--a.example":                   "not a valid host name",
		"https://[fe80::1%25eth0]":                "IPv6 zone",
		"http://[::1%25lo]:8080":                  "IPv6 zone",
		"https://r.example:0":                     "between 1 and 65535",
		"https://r.example:65536":                 "between 1 and 65535",
	}
	for in, mention := range bad {
		_, err := client.NewClient(in, cred, nil)
		if err == nil || !strings.Contains(err.Error(), mention) {
			t.Errorf("NewClient(%q) error = %v, want one mentioning %q", in, err, mention)
		}
		if !errors.Is(err, client.ErrInvalidInput) {
			t.Errorf("NewClient(%q) error %v does not match ErrInvalidInput", in, err)
		}
	}
	if _, err := client.NewClient("http://r.example", cred, &client.ClientOptions{InsecureAllowHTTP: true}); err != nil {
		t.Errorf("InsecureAllowHTTP: %v", err)
	}
	if _, err := client.NewClient("https://r.example", nil, nil); err == nil {
		t.Error("nil credential accepted")
	}
	for _, id := range []string{"has space", "abcdefghijklmnopqrstuvwxy", "tab\t", "caf\u00e9"} {
		if _, err := client.NewClient("https://r.example", cred, &client.ClientOptions{ApplicationID: id}); !errors.Is(err, client.ErrInvalidInput) {
			t.Errorf("ApplicationID %q: error = %v, want an input error", id, err)
		}
	}
	if _, err := client.NewClient("https://r.example", cred, &client.ClientOptions{ApplicationID: "abcdefghijklmnopqrstuvwx"}); err != nil {
		t.Errorf("24-character ApplicationID: %v", err)
	}
}

// Errors about an endpoint never repeat more of it than scheme and host: a
// connection string pasted as the endpoint, or a key in its path, query,
// fragment or user information, stays out of the message.
func TestNewClientEndpointErrorsHideSecrets(t *testing.T) {
	cred, err := client.NewKeyCredential(fakeKey)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "c2VjcmV0LWtleS1zaG91bGQtbm90LWxlYWs="
	for _, in := range []string{
		"endpoint=https://r.communication.azure.com/;accesskey=" + secret,
		"https://r.communication.azure.com/" + secret,
		"https://r.communication.azure.com/%zz" + secret,
		"https://r.communication.azure.com/?k=" + secret,
		"https://r.communication.azure.com/#" + secret,
		"https://user:" + secret + "@r.communication.azure.com/",
		"https://r.communication.azure.com:" + secret,
		"ht tp://" + secret,
		secret,
	} {
		_, err := client.NewClient(in, cred, nil)
		if err == nil || !errors.Is(err, client.ErrInvalidInput) {
			t.Errorf("NewClient(%q) error = %v, want an input error", in, err)
			continue
		}
		if strings.Contains(err.Error(), secret[:12]) {
			t.Errorf("NewClient error %q repeats the secret", err)
		}
	}
	_, err = client.NewClient("endpoint=https://r.example/;accesskey="+secret, cred, nil)
	if err == nil || !strings.Contains(err.Error(), "NewClientFromConnectionString") {
		t.Errorf("connection string as endpoint: error = %v, want a hint", err)
	}
}

func TestApplicationIDInUserAgent(t *testing.T) {
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, &client.ClientOptions{ApplicationID: "my-app/1.2"})
	if _, err := c.MuteParticipant(context.Background(), "call", acsUser, nil); err != nil {
		t.Fatal(err)
	}
	if ua := srv.seen()[0].Header.Get("User-Agent"); !strings.HasPrefix(ua, "my-app/1.2 acsmute/") {
		t.Errorf("User-Agent = %q", ua)
	}
}

func TestOperationContextAtTheLimit(t *testing.T) {
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, nil)
	if _, err := c.MuteParticipant(context.Background(), "call", acsUser, &client.MuteParticipantOptions{OperationContext: strings.Repeat("é", 5000)}); err != nil {
		t.Errorf("5000 characters: %v", err)
	}
}

func TestAPIVersionOption(t *testing.T) {
	cred, _ := client.NewKeyCredential(fakeKey)
	for _, v := range []string{"", "2024-09-15", "2025-06-15", "2026-03-12"} {
		c, err := client.NewClient("https://r.communication.azure.com", cred, &client.ClientOptions{APIVersion: v})
		want := v
		if v == "" {
			want = client.APIVersion
		}
		if err != nil || c.APIVersion() != want {
			t.Errorf("APIVersion %q: %v, speaks %q", v, err, c.APIVersion())
		}
	}
	for _, v := range []string{"2023-10-15", "2025-08-15-preview", "latest", " 2024-09-15", "2026-03-12\n", strings.Repeat("9", 100)} {
		_, err := client.NewClient("https://r.communication.azure.com", cred, &client.ClientOptions{APIVersion: v})
		if !errors.Is(err, client.ErrInvalidInput) || !strings.Contains(err.Error(), "2024-09-15, 2025-06-15, 2026-03-12") || strings.Contains(err.Error(), strings.Repeat("9", 40)) {
			t.Errorf("APIVersion %q: %v", v, err)
		}
	}
	// A value that looks like a version is quoted; anything else (it may be a
	// secret pasted in the wrong place) is not.
	for v, quoted := range map[string]bool{
		"2099-01-01":                true,
		strings.Repeat("1", 32):     true,
		strings.Repeat("1", 33):     false,
		"Endpoint=x;AccessKey=c2Vj": false,
		"2025-06-15-Preview":        false,
	} {
		_, err := client.NewClient("https://r.communication.azure.com", cred, &client.ClientOptions{APIVersion: v})
		if err == nil || strings.Contains(err.Error(), fmt.Sprintf("%q", v)) != quoted {
			t.Errorf("APIVersion %q: %v (quoted: want %v)", v, err, quoted)
		}
	}
	if got := client.SupportedAPIVersions(); !slices.Equal(got, []string{"2024-09-15", "2025-06-15", "2026-03-12"}) || got[0] != client.APIVersion {
		t.Errorf("SupportedAPIVersions() = %q", got)
	}
	got := client.SupportedAPIVersions()
	got[0] = "changed"
	if client.SupportedAPIVersions()[0] != client.APIVersion {
		t.Error("SupportedAPIVersions shares its slice")
	}
	var nilClient *client.Client
	if nilClient.APIVersion() != "" {
		t.Error("a nil Client speaks a version")
	}
}

// A caller's type that embeds one of ours passes the same checks as what it
// embeds, on every version; Teams Phone extension users' parts cannot hold
// the separators of their raw ID.
func TestEmbeddedAndExtensionUserChecks(t *testing.T) {
	srv := newRecorder(t)
	for _, v := range client.SupportedAPIVersions() {
		c := newKeyClient(t, srv.URL, &client.ClientOptions{APIVersion: v})
		for _, id := range []client.Identifier{
			embedded{client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t"}},
			embedded{client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u", Cloud: "mars"}},
			embedded{client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u_x"}},
			client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u_x"},
			client.TeamsExtensionUserIdentifier{ResourceID: "r:s", TenantID: "t", UserID: "u"},
			client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t_2", UserID: "u"},
		} {
			if _, err := c.MuteParticipant(context.Background(), "call", id, nil); !errors.Is(err, client.ErrInvalidInput) {
				t.Errorf("%s: %#v: %v, want an input error", v, id, err)
			}
		}
	}
	if n := len(srv.seen()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
