package client_test

import (
	"bytes"
	"context"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// TestNoSecretsInFailures drives failure scenarios with an access key and
// with bearer tokens and scans every error (in each fmt form), every
// ResponseError field and every log line for the secrets.
func TestNoSecretsInFailures(t *testing.T) {
	const token = "fake-bearer-secret-token"
	secrets := []string{fakeKey, strings.TrimRight(fakeKey, "="), "fake-access-key-for-tests", token}

	srv, err := acstest.NewServer(&acstest.Options{Credentials: acstest.NewCredentials(fakeKey, token), Calls: map[string][]string{"call-1": {alice}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var logs bytes.Buffer
	opts := &client.ClientOptions{
		Retry:  client.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond, TryTimeout: 50 * time.Millisecond},
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	keyClient, err := client.NewClientFromConnectionString(srv.ConnectionString(), opts)
	if err != nil {
		t.Fatal(err)
	}
	static, _ := client.NewStaticTokenCredential(token)
	staticClient, _ := client.NewClient(srv.URL, static, opts)
	failing, _ := client.NewTokenCredential(client.TokenProviderFunc(func(context.Context) (client.AccessToken, error) {
		return client.AccessToken{}, errors.New("identity service down")
	}), nil)
	failingClient, _ := client.NewClient(srv.URL, failing, opts)
	wrongKey, _ := client.NewClientFromConnectionString("endpoint="+srv.URL+";accesskey=d3Jvbmcta2V5", opts)

	var outputs []string
	collect := func(err error) {
		if err == nil {
			t.Error("scenario did not fail")
			return
		}
		outputs = append(outputs, fmt.Sprintf("%v %+v %#v %s %q", err, err, err, err, err))
		var re *client.ResponseError
		if errors.As(err, &re) {
			outputs = append(outputs, fmt.Sprintf("%+v %#v %s", *re, re.RawResponse.Request.Header, re.RawBody))
		}
	}
	scenarios := []struct {
		c     *client.Client
		fault *acstest.Fault
		call  string
	}{
		{keyClient, &acstest.Fault{Status: 503}, "call-1"},
		{keyClient, &acstest.Fault{Drop: acstest.DropBeforeExecute}, "call-1"},
		{keyClient, &acstest.Fault{Latency: 200 * time.Millisecond}, "call-1"},
		{keyClient, nil, "no-such-call"},
		{staticClient, &acstest.Fault{Status: 500}, "call-1"},
		{staticClient, nil, "no-such-call"},
		{failingClient, nil, "call-1"},
		{wrongKey, nil, "call-1"},
	}
	who := client.CommunicationUserIdentifier{ID: alice}
	for _, s := range scenarios {
		// Every operation that changes the call, each with its own error
		// type.
		for _, op := range []func() error{
			func() error { _, err := s.c.MuteParticipant(context.Background(), s.call, who, nil); return err },
			func() error { _, err := s.c.HoldParticipant(context.Background(), s.call, who, nil); return err },
			func() error { _, err := s.c.UnholdParticipant(context.Background(), s.call, who, nil); return err },
			func() error { _, err := s.c.RemoveParticipant(context.Background(), s.call, who, nil); return err },
		} {
			if s.fault != nil {
				srv.InjectFaults(3, *s.fault)
			}
			collect(op())
			srv.ClearFaults()
		}
	}
	for _, cs := range []string{
		"endpoint=https://r.example/;accesskey=" + fakeKey + "!",
		"endpoint=https://r.example/;" + fakeKey,
		"endpoint=https://r.example/;accesskey=" + fakeKey + ";accesskey=" + fakeKey,
		"endpoint=http://r.example/;accesskey=" + fakeKey,
	} {
		_, err := client.NewClientFromConnectionString(cs, nil)
		collect(err)
	}
	_, err = client.NewStaticTokenCredential(token + " with space")
	collect(err)
	outputs = append(outputs, logs.String(), fmt.Sprintf("%v %+v %#v", keyClient, staticClient, failing))

	for _, out := range outputs {
		for _, secret := range secrets {
			if strings.Contains(out, secret) {
				t.Errorf("secret %q appears in:\n%s", secret, out)
			}
		}
	}
	if !strings.Contains(logs.String(), `"status":503`) || !strings.Contains(logs.String(), `"attempt":3`) || !strings.Contains(logs.String(), `"retry_in"`) {
		t.Errorf("logs lack attempts, statuses or delays:\n%s", logs.String())
	}
}

func TestSlogRedactsSecretValues(t *testing.T) {
	cs, err := client.ParseConnectionString("endpoint=https://r.example/;accesskey=" + fakeKey)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		slog.New(h).Info("config", "cs", cs, "token", client.NewAccessToken("fake-bearer-secret-token", time.Time{}))
	}
	for _, secret := range []string{fakeKey, "fake-bearer-secret-token"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("slog output shows %q:\n%s", secret, buf.String())
		}
	}
	if !strings.Contains(buf.String(), "https://r.example/") {
		t.Errorf("slog output lacks the endpoint:\n%s", buf.String())
	}
}

// Every exported type that holds a key or token keeps it out of every fmt
// verb (value and pointer), JSON, XML and text marshalling, and slog (also
// inside slices, which slog hands to the encoder without LogValue).
func TestSecretHoldersRedactEverywhere(t *testing.T) {
	const token = "fake-bearer-secret-token"
	secrets := []string{fakeKey, strings.TrimRight(fakeKey, "="), "ZmFrZS1hY2Nlc3Mta2V5", token}

	cs, err := client.ParseConnectionString("endpoint=https://r.example/;accesskey=" + fakeKey)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := client.NewKeyCredential(fakeKey)
	static, _ := client.NewStaticTokenCredential(token)
	tc, _ := client.NewTokenCredential(client.TokenProviderFunc(func(context.Context) (client.AccessToken, error) {
		return client.NewAccessToken(token, time.Now().Add(time.Hour)), nil
	}), nil)
	srv := newRecorder(t)
	tokClient, _ := client.NewClient(srv.URL, tc, nil)
	if _, err := tokClient.MuteParticipant(context.Background(), "call", acsUser, nil); err != nil {
		t.Fatal(err) // tc now caches the token
	}
	keyClient, _ := client.NewClientFromConnectionString("endpoint=https://r.example/;accesskey="+fakeKey, nil)
	at := client.NewAccessToken(token, time.Now())

	values := map[string]any{
		"ConnectionString": cs, "*ConnectionString": &cs,
		"AccessToken": at, "*AccessToken": &at,
		"KeyCredential": *key, "*KeyCredential": key,
		"StaticTokenCredential": *static, "*StaticTokenCredential": static,
		"TokenCredential": *tc, "*TokenCredential": tc,
		"Client": *keyClient, "*Client": keyClient, "*Client(token)": tokClient,
		"[]ConnectionString": []client.ConnectionString{cs},
		"[]AccessToken":      []client.AccessToken{at},
		"map":                map[string]any{"cs": cs, "token": at},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%t", "%o", "%b", "%e", "%g", "%c", "%U", "%10.3v", "%-20s", "% x"}
	check := func(what, out string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s shows a secret: %s", what, out)
				return
			}
		}
	}
	for name, v := range values {
		for _, verb := range verbs {
			check(name+" "+verb, fmt.Sprintf(verb, v))
		}
		check(name+" Sprint", fmt.Sprint(v))
		check(name+" Sprintln", fmt.Sprintln(v))
		if b, err := json.Marshal(v); err == nil {
			check(name+" json", string(b))
		}
		if b, err := xml.Marshal(v); err == nil {
			check(name+" xml", string(b))
		}
		if m, ok := v.(encoding.TextMarshaler); ok {
			b, _ := m.MarshalText()
			check(name+" MarshalText", string(b))
		}
		var buf bytes.Buffer
		for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
			slog.New(h).Info("value", "v", v, slog.Any("any", v), slog.Group("g", "v", v))
		}
		check(name+" slog", buf.String())
	}
	// The redacted forms still say what they are.
	if got := fmt.Sprintf("%d", cs); !strings.Contains(got, "https://r.example/") || !strings.Contains(got, "REDACTED") {
		t.Errorf("%%d of a ConnectionString = %q", got)
	}
	if b, _ := json.Marshal(at); !strings.Contains(string(b), "REDACTED") {
		t.Errorf("json of an AccessToken = %s", b)
	}
}

// A server that quotes the access key itself gets it scrubbed.
func TestEchoedAccessKeyIsScrubbed(t *testing.T) {
	key, _ := base64.StdEncoding.DecodeString(fakeKey)
	srv := newRecorder(t, answer(400, `{"error":{"code":"Bad","message":"your key is `+fakeKey+`"}}`, "x-ms-key", base64.StdEncoding.EncodeToString(key)))
	_, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call-1", acsUser, nil)
	if err == nil || strings.Contains(err.Error(), fakeKey) || !strings.Contains(err.Error(), "your key is") {
		t.Errorf("MuteParticipant = %v", err)
	}
}

// Secrets of exactly 8 bytes (the shortest kept) are scrubbed: an access
// key held by the client and a value in a URL's query.
func TestEightByteSecretsAreScrubbed(t *testing.T) {
	const key, sig = "YWJjZGVm", "s1g4b2c9"
	srv := newRecorder(t, answer(400, `{"error":{"code":"Bad","message":"echo `+key+` and `+sig+`"}}`))
	c, err := client.NewClientFromConnectionString("endpoint="+srv.URL+";accesskey="+key, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.HoldParticipant(context.Background(), "call-1", acsUser, &client.HoldParticipantOptions{PlayFileURL: "https://files.test/a.wav?x=1&sig=" + sig})
	if err == nil || strings.Contains(err.Error(), key) || strings.Contains(err.Error(), sig) || !strings.Contains(err.Error(), "echo") {
		t.Errorf("HoldParticipant = %v", err)
	}
}

// A token from a provider, which the client does not hold between calls,
// is scrubbed from what a server echoes as a held one is.
func TestEchoedProviderTokenIsScrubbed(t *testing.T) {
	const token = "provider-token-0123456789abcdef"
	srv := newRecorder(t, answer(400, `{"error":{"code":"Bad","message":"you sent `+token+`"}}`))
	cred, err := client.NewTokenCredential(client.TokenProviderFunc(func(context.Context) (client.AccessToken, error) {
		return client.NewAccessToken(token, time.Now().Add(time.Hour)), nil
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewClient(srv.URL, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.MuteParticipant(context.Background(), "call-1", acsUser, nil)
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "you sent") {
		t.Errorf("MuteParticipant = %v", err)
	}
	// In a success's body too.
	srv = newRecorder(t, answer(200, `{"operationContext":"`+token+`"}`))
	if c, err = client.NewClient(srv.URL, cred, nil); err != nil {
		t.Fatal(err)
	}
	res, err := c.MuteParticipant(context.Background(), "call-1", acsUser, nil)
	if err != nil || strings.Contains(res.OperationContext, token) {
		t.Errorf("MuteParticipant = %+v, %v", res, err)
	}
}
