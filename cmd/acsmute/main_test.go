package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client/acstest"
)

// fakeKey is an obviously fake access key ("fake-access-key-for-tests").
const fakeKey = "ZmFrZS1hY2Nlc3Mta2V5LWZvci10ZXN0cw=="

type result struct {
	code           int
	stdout, stderr string
}

func runCmd(t *testing.T, environ map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, env{stdout: &out, stderr: &errOut, getenv: func(k string) string { return environ[k] }})
	r := result{code, out.String(), errOut.String()}
	for _, s := range []string{r.stdout, r.stderr} {
		if strings.Contains(s, fakeKey) || strings.Contains(s, "ZmFrZS1hY2Nlc3Mta2V5") || strings.Contains(s, "fake-cli-token") {
			t.Errorf("output shows the access key:\n%s", s)
		}
	}
	return r
}

func emulator(t *testing.T) *acstest.Server {
	t.Helper()
	srv, err := acstest.NewServer(&acstest.Options{Credentials: acstest.NewCredentials(fakeKey), Calls: map[string][]string{"call-1": {"8:acs:r_alice", "4:+15551234567"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func TestMuteCommand(t *testing.T) {
	srv := emulator(t)
	cs := srv.ConnectionString()

	r := runCmd(t, nil, "mute", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice", "--operation-context", "op-7")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	var out muteOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not JSON: %q", r.stdout)
	}
	if out.OperationContext != "op-7" || out.Status != 200 || out.Attempts != 1 || len(out.RepeatabilityRequestID) != 36 {
		t.Errorf("output = %+v", out)
	}
	if m, _ := srv.IsMuted("call-1", "8:acs:r_alice"); !m {
		t.Error("not muted")
	}

	// The connection string from the environment.
	r = runCmd(t, map[string]string{"ACS_CONNECTION_STRING": cs}, "mute", "--call", "call-1", "--participant", "8:acs:r_alice")
	if r.code != 0 {
		t.Fatalf("from env: exit %d, stderr %s", r.code, r.stderr)
	}

	// Service failures: exit 1 with status, code and message on stderr.
	failures := []struct {
		args []string
		want string
	}{
		{[]string{"--call", "nope", "--participant", "8:acs:r_alice"}, "404 Not Found: CallNotFound"},
		{[]string{"--call", "call-1", "--participant", "4:+15551234567"}, "400 Bad Request: UnsupportedParticipantKind"},
		{[]string{"--call", "call-1", "--participant", "8:acs:r_zed"}, "400 Bad Request: ParticipantNotInCall"},
	}
	for _, f := range failures {
		r = runCmd(t, nil, append([]string{"mute", "--connection-string", cs}, f.args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, f.want) || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", f.args, r.code, r.stdout, r.stderr, f.want)
		}
	}
	// A wrong key is a service failure too (401).
	wrong := strings.Replace(cs, fakeKey, "d3Jvbmcta2V5LWZvci10ZXN0cw==", 1)
	r = runCmd(t, nil, "mute", "--connection-string", wrong, "--call", "call-1", "--participant", "8:acs:r_alice")
	if r.code != 1 || !strings.Contains(r.stderr, "401 Unauthorized: Unauthorized") || strings.Contains(r.stderr, "d3Jvbmcta2V5") {
		t.Errorf("wrong key: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestMuteCommandNetworkFailure(t *testing.T) {
	srv := emulator(t)
	cs := srv.ConnectionString()
	srv.Close() // nothing listens there now
	r := runCmd(t, nil, "mute", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice", "--timeout", "2s")
	if r.code != 1 || !strings.Contains(r.stderr, "connection refused") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestMuteCommandBadInput(t *testing.T) {
	srv := emulator(t)
	cs := srv.ConnectionString()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no connection string", nil, []string{"--call", "c", "--participant", "8:acs:r_u"}, "missing --connection-string"},
		{"no call", nil, []string{"--connection-string", cs, "--participant", "8:acs:r_u"}, "missing --call"},
		{"no participant", nil, []string{"--connection-string", cs, "--call", "c"}, "missing --participant"},
		{"nothing", nil, nil, "missing --connection-string (or ACS_CONNECTION_STRING, or --endpoint with ACS_BEARER_TOKEN), --call, --participant"},
		{"both credentials", map[string]string{"ACS_BEARER_TOKEN": "fake-cli-token"}, []string{"--connection-string", cs, "--endpoint", "http://127.0.0.1:1", "--call", "c", "--participant", "8:acs:r_u"}, "not both"},
		{"connection string pasted as the participant", nil, []string{"--connection-string", cs, "--call", "c", "--participant", cs}, "--participant looks like a connection string"},
		{"connection string pasted as the call", nil, []string{"--connection-string", cs, "--call", cs, "--participant", "8:acs:r_u"}, "--call looks like a connection string"},
		{"endpoint without token", nil, []string{"--endpoint", "http://127.0.0.1:1", "--call", "c", "--participant", "8:acs:r_u"}, "needs a bearer token in ACS_BEARER_TOKEN"},
		{"token without endpoint", map[string]string{"ACS_BEARER_TOKEN": "fake-cli-token"}, []string{"--call", "c", "--participant", "8:acs:r_u"}, "ACS_BEARER_TOKEN needs --endpoint"},
		{"bad token", map[string]string{"ACS_BEARER_TOKEN": "two words"}, []string{"--endpoint", "http://127.0.0.1:1", "--call", "c", "--participant", "8:acs:r_u"}, "ACS_BEARER_TOKEN: token contains a space"},
		{"not a raw ID", nil, []string{"--connection-string", cs, "--call", "c", "--participant", "alice"}, `--participant: raw ID "alice" is not a form the official SDKs recognise`},
		{"long operation context", nil, []string{"--connection-string", cs, "--call", "c", "--participant", "8:acs:r_u", "--operation-context", strings.Repeat("x", 5001)}, "--operation-context is 5001 UTF-16 code units"},
		{"malformed connection string", nil, []string{"--connection-string", "endpoint=x", "--call", "c", "--participant", "8:acs:r_u"}, "no accesskey"},
		{"bad key", nil, []string{"--connection-string", "endpoint=http://127.0.0.1:1/;accesskey=not-base64-" + fakeKey, "--call", "c", "--participant", "8:acs:r_u"}, "not valid base64"},
		{"bad env connection string", map[string]string{"ACS_CONNECTION_STRING": "accesskey=" + fakeKey}, []string{"--call", "c", "--participant", "8:acs:r_u"}, "no endpoint"},
		{"malformed raw ID", nil, []string{"--connection-string", cs, "--call", "c", "--participant", "8:acs:"}, "nothing after its prefix"},
		{"raw ID with space", nil, []string{"--connection-string", cs, "--call", "c", "--participant", "8:acs:a b"}, "space or control"},
		{"control character in call", nil, []string{"--connection-string", cs, "--call", "a\tb", "--participant", "8:acs:r_u"}, "control character"},
		{"unknown flag", nil, []string{"--bogus"}, "flag provided but not defined"},
		{"extra argument", nil, []string{"--connection-string", cs, "--call", "c", "--participant", "8:acs:r_u", "extra"}, "unexpected argument"},
		{"http to a remote host", nil, []string{"--connection-string", "endpoint=http://example.com/;accesskey=" + fakeKey, "--call", "c", "--participant", "8:acs:r_u"}, "non-loopback host \"example.com\"; use https (http is for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, tt.env, append([]string{"mute"}, tt.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", r.code, r.stdout, r.stderr, tt.want)
			}
			for _, goName := range []string{"acsmute: ", "ClientOptions", "OperationContext", "Repeatability"} {
				if strings.Contains(r.stderr, goName) {
					t.Errorf("stderr %q names %q", r.stderr, goName)
				}
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests were sent for bad input", n)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"mute", "--help"}, {"hold", "--help"}, {"unhold", "-h"}, {"help", "remove"}, {"participant", "--help"}, {"emulator", "-h"}, {"demo", "--help"}, {"help", "mute"}} {
		r := runCmd(t, nil, args...)
		if r.code != 0 || strings.Count(r.stdout, "Usage") != 1 || r.stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want the help once, on stdout", args, r.code, r.stdout, r.stderr)
		}
		if args[0] != "--help" && args[0] != "help" || len(args) > 1 {
			if !strings.Contains(r.stdout, "Example") {
				t.Errorf("%v: no examples in %q", args, r.stdout)
			}
		}
	}
	if r := runCmd(t, nil); r.code != 2 {
		t.Errorf("no command: exit %d", r.code)
	}
	if r := runCmd(t, nil, "frobnicate"); r.code != 2 || !strings.Contains(r.stderr, "unknown command") {
		t.Errorf("unknown command: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestDemo(t *testing.T) {
	r := runCmd(t, nil, "demo")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"Client speaks Call Automation API version 2024-09-15",
		"Participants of demo-call, before:",
		"POST /calling/callConnections/demo-call/participants:mute?api-version=2024-09-15",
		"Authorization: HMAC-SHA256 REDACTED",
		`"rawId": "8:acs:demo-resource_alice"`,
		"Answer: 200 OK",
		"503 Service Unavailable",
		"executed the mute 1 time(s)",
		"code UnsupportedParticipantKind",
		"8:acs:demo-resource_alice    MUTED",
		"4:+15550100                  unmuted",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// Bad flags are refused, exit 2, by the flag's name (never the Go option
// behind it); nothing is left running.
func TestEmulatorCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	badState := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badState, []byte(`{"calls":[{"callConnectionId":"c1","participants":["8:asc:typo"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args    []string
		mention string
	}{
		{[]string{"--call", "c1"}, "-call"},
		{[]string{"--call", "c1=8:acs:"}, "-call"},
		{[]string{"--call", "c1=8:asc:r_typo"}, "not a form the official SDKs recognise"},
		{[]string{"--access-key", "not base64!"}, "--access-key is not valid base64"},
		{[]string{"--callback", "ftp://x"}, "--callback is not an absolute http(s) URL"},
		{[]string{"--resource-id", "has space"}, "--resource-id must be printable"},
		{[]string{"--admin-token", "short"}, "--admin-token must be at least 16"},
		{[]string{"--bearer-token", ""}, "--bearer-token is empty"},
		{[]string{"--state", filepath.Join(dir, "missing.json")}, "--state"},
		{[]string{"--state", badState}, "--state: calls[0].participants[0]"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		r := runCmd(t, nil, append([]string{"emulator"}, tt.args...)...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, tt.mention) || strings.Contains(r.stderr, "Options") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 mentioning %q", tt.args, r.code, r.stdout, r.stderr, tt.mention)
		}
	}
}

// --state loads calls at start-up; the admin token given is the one the
// admin API takes, a random one is printed otherwise, and the admin API
// drives the emulator the commands talk to.
func TestEmulatorStateAndAdminToken(t *testing.T) {
	state := filepath.Join(t.TempDir(), "calls.json")
	if err := os.WriteFile(state, []byte(`{"calls":[{"callConnectionId":"c1","participants":["8:acs:r_alice",{"rawId":"8:acs:r_bob","isMuted":true}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const token = "fake-admin-token-for-cli-tests"
	vals, _, _ := startEmulator(t, "--access-key", fakeKey, "--state", state, "--admin-token", token)
	if vals["admin-token"] != token || !strings.HasSuffix(vals["admin-url"], "/admin/v1/") {
		t.Errorf("lines %q", vals)
	}
	r := runCmd(t, nil, "participant", "--connection-string", vals["connection-string"], "--call", "c1", "--participant", "8:acs:r_bob")
	if r.code != 0 || !strings.Contains(r.stdout, `"isMuted":true`) {
		t.Errorf("bob from the state: %d %q %q", r.code, r.stdout, r.stderr)
	}
	admin := func(method, path, body, tok string) int {
		req, _ := http.NewRequest(method, vals["admin-url"]+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := admin("PATCH", "calls/c1/participants/8:acs:r_bob", `{"isMuted":false}`, "wrong-token-0123456789"); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	if code := admin("PATCH", "calls/c1/participants/8:acs:r_bob", `{"isMuted":false}`, token); code != 200 {
		t.Errorf("unmute: %d", code)
	}
	r = runCmd(t, nil, "participant", "--connection-string", vals["connection-string"], "--call", "c1", "--participant", "8:acs:r_bob")
	if !strings.Contains(r.stdout, `"isMuted":false`) {
		t.Errorf("bob after unmuting himself: %q", r.stdout)
	}
	other, _, _ := startEmulator(t)
	if len(other["admin-token"]) < 16 || other["admin-token"] == token {
		t.Errorf("random admin token %q", other["admin-token"])
	}
}

// TestEmulatorCommand runs the built program: it must print exactly one line,
// the connection string, serve mutes, log them on stderr and stop on SIGTERM.
func TestEmulatorCommand(t *testing.T) {
	bin := acsmuteBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "emulator", "--addr", "127.0.0.1:0", "--access-key", fakeKey, "--call", "c1=8:acs:r_alice,8:acs:r_bob")
			stdout, _ := cmd.StdoutPipe()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			lines := bufio.NewScanner(stdout)
			vals := readEmulatorLines(t, lines)
			cs := vals["connection-string"]
			if !strings.HasPrefix(cs, "endpoint=http://127.0.0.1:") || !strings.HasSuffix(cs, "/;accesskey="+fakeKey) ||
				vals["endpoint"] != strings.TrimSuffix(strings.TrimPrefix(cs, "endpoint="), ";accesskey="+fakeKey) {
				t.Fatalf("lines = %q", vals)
			}
			r := runCmd(t, nil, "mute", "--connection-string", cs, "--call", "c1", "--participant", "8:acs:r_bob")
			if r.code != 0 {
				t.Fatalf("mute against the emulator: exit %d, %s", r.code, r.stderr)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("exit after %v: %v; stderr %s", sig, err, stderr.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10s after %v", sig)
			}
			if lines.Scan() {
				t.Errorf("more lines on stdout: %q", lines.Text())
			}
			if !strings.Contains(stderr.String(), "participants:mute") || !strings.Contains(stderr.String(), "status=200") {
				t.Errorf("stderr does not log the request: %s", stderr.String())
			}
			if strings.Contains(stderr.String(), "ZmFrZS1hY2Nlc3Mta2V5") {
				t.Errorf("stderr shows the key")
			}
		})
	}
}

// The flag wins over the environment variable.
func TestMuteCommandFlagWinsOverEnv(t *testing.T) {
	srv := emulator(t)
	env := map[string]string{"ACS_CONNECTION_STRING": "endpoint=http://127.0.0.1:1/;accesskey=" + fakeKey}
	r := runCmd(t, env, "mute", "--connection-string", srv.ConnectionString(), "--call", "call-1", "--participant", "8:acs:r_alice")
	if r.code != 0 || len(srv.Requests()) != 1 {
		t.Fatalf("exit %d, %d requests, stderr %s", r.code, len(srv.Requests()), r.stderr)
	}
}

func TestMuteCommandTimeoutAndRepeatabilityFlags(t *testing.T) {
	srv := emulator(t)
	cs := srv.ConnectionString()
	for _, args := range [][]string{
		{"--timeout", "0s"},
		{"--timeout", "-1s"},
		{"--repeatability-request-id", "0f8fad5b-d9cb-469f-a165-70867728950e"},
		{"--repeatability-first-sent", "Sun, 29 Nov 2026 12:00:00 GMT"},
		{"--repeatability-request-id", "0f8fad5b-d9cb-469f-a165-70867728950e", "--repeatability-first-sent", "yesterday"},
		{"--repeatability-request-id", "not-a-uuid", "--repeatability-first-sent", "Sun, 29 Nov 2026 12:00:00 GMT"},
	} {
		r := runCmd(t, nil, append([]string{"mute", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice"}, args...)...)
		if r.code != 2 || r.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q; want 2", args, r.code, r.stderr)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for bad flags", n)
	}
}

// An unknown outcome prints the flags that resolve it, and resending with
// them mutes exactly once.
func TestMuteCommandUnknownOutcomeHint(t *testing.T) {
	srv := emulator(t)
	cs := srv.ConnectionString()
	srv.InjectFaults(1, acstest.Fault{Drop: acstest.DropAfterExecute})
	srv.SetLatency(0)
	// The first attempt executes and loses its answer; the command's
	// timeout ends while it waits (about 800ms) to retry.
	r := runCmd(t, nil, "mute", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice", "--timeout", "300ms")
	if r.code != 1 || !strings.Contains(r.stderr, "outcome is unknown") || !strings.Contains(r.stderr, "'acsmute participant'") || !strings.Contains(r.stderr, "resend before ") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "acsmute: ") {
		t.Errorf("stderr stutters: %q", r.stderr)
	}
	i := strings.Index(r.stderr, "--repeatability-request-id ")
	if i < 0 {
		t.Fatalf("no resend flags in %q", r.stderr)
	}
	hint := strings.TrimSpace(r.stderr[i:])
	var id, sent string
	rest := strings.TrimPrefix(hint, "--repeatability-request-id ")
	id, rest, _ = strings.Cut(rest, " ")
	sent = strings.Trim(strings.TrimPrefix(rest, "--repeatability-first-sent "), "'")
	r = runCmd(t, nil, "mute", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice",
		"--repeatability-request-id", id, "--repeatability-first-sent", sent)
	if r.code != 0 {
		t.Fatalf("resend: exit %d, stderr %q", r.code, r.stderr)
	}
	if n := srv.Executions(id); n != 1 {
		t.Errorf("%d executions of %s, want 1", n, id)
	}
	if reqs := srv.Requests(); len(reqs) != 2 || !reqs[1].Replayed {
		t.Errorf("requests: %+v", reqs)
	}
}

// A port that is taken is a failure (exit 1), not bad input.
func TestEmulatorCommandListenFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := runCmd(t, nil, "emulator", "--addr", l.Addr().String())
	if r.code != 1 || !strings.Contains(r.stderr, "address already in use") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	// A malformed address is bad input.
	if r := runCmd(t, nil, "emulator", "--addr", "127.0.0.1:99999"); r.code != 2 {
		t.Errorf("port 99999: exit %d, stderr %q", r.code, r.stderr)
	}
}

// participant prints one JSON object with the participant's state.
func TestParticipantCommand(t *testing.T) {
	srv := emulator(t)
	cs := srv.ConnectionString()
	read := func(raw string) (result, participantOutput) {
		r := runCmd(t, nil, "participant", "--connection-string", cs, "--call", "call-1", "--participant", raw)
		var out participantOutput
		if r.code == 0 {
			if strings.Count(r.stdout, "\n") != 1 || json.Unmarshal([]byte(r.stdout), &out) != nil {
				t.Errorf("stdout is not one JSON object: %q", r.stdout)
			}
		}
		return r, out
	}
	if r, out := read("8:acs:r_alice"); r.code != 0 || out != (participantOutput{RawID: "8:acs:r_alice", Kind: "communicationUser"}) {
		t.Fatalf("exit %d %s, %+v", r.code, r.stderr, out)
	}
	runCmd(t, nil, "mute", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice")
	if _, out := read("8:acs:r_alice"); !out.IsMuted {
		t.Errorf("after the mute: %+v", out)
	}
	if r, out := read("4:+15551234567"); r.code != 0 || out.Kind != "phoneNumber" || out.IsMuted {
		t.Errorf("phone: %d %+v", r.code, out)
	}
	if r, _ := read("8:acs:r_nobody"); r.code != 1 || !strings.Contains(r.stderr, "404 Not Found: ParticipantNotFound") {
		t.Errorf("unknown participant: exit %d, stderr %q", r.code, r.stderr)
	}
	if r, _ := read("nobody"); r.code != 2 {
		t.Errorf("not a raw ID: exit %d", r.code)
	}
	if r := runCmd(t, nil, "participant"); r.code != 2 || !strings.Contains(r.stderr, "missing --connection-string (or ACS_CONNECTION_STRING, or --endpoint with ACS_BEARER_TOKEN), --call, --participant") {
		t.Errorf("no flags: exit %d, stderr %q", r.code, r.stderr)
	}
}

// mute --verify reads the participant back: exit 0 only when it is muted.
func TestMuteVerify(t *testing.T) {
	srv := emulator(t)
	r := runCmd(t, nil, "mute", "--connection-string", srv.ConnectionString(), "--call", "call-1", "--participant", "8:acs:r_alice", "--verify")
	var out muteOutput
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || out.Verified == nil || !*out.Verified {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if reqs := srv.Requests(); len(reqs) != 2 || reqs[1].Method != "GET" {
		t.Errorf("requests: %+v", reqs)
	}

	// A service that answers the mute but reads the participant unmuted.
	liar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			io.WriteString(w, `{}`)
			return
		}
		io.WriteString(w, `{"identifier":{"kind":"communicationUser","communicationUser":{"id":"8:acs:r_alice"}},"isMuted":false,"isOnHold":true}`)
	}))
	defer liar.Close()
	r = runCmd(t, nil, "mute", "--connection-string", "endpoint="+liar.URL+"/;accesskey="+fakeKey, "--call", "call-1", "--participant", "8:acs:r_alice", "--verify")
	if r.code != 1 || !strings.Contains(r.stderr, "isMuted false") || !strings.Contains(r.stdout, `"verified": false`) {
		t.Errorf("unmuted read-back: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// A read-back of someone else does not verify anything.
	r = runCmd(t, nil, "mute", "--connection-string", "endpoint="+liar.URL+"/;accesskey="+fakeKey, "--call", "call-1", "--participant", "8:acs:r_bob", "--verify")
	if r.code != 1 || !strings.Contains(r.stderr, `answered about participant "8:acs:r_alice", not "8:acs:r_bob"`) {
		t.Errorf("other participant read back: exit %d, stderr %q", r.code, r.stderr)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// An emulator listening on every interface prints a connection string a
// local client can use, which acsmute mute accepts.
func TestEmulatorOnEveryInterface(t *testing.T) {
	vals, errOut, stop := startEmulator(t, "--addr", "0.0.0.0:0", "--access-key", fakeKey, "--call", "c1=8:acs:r_alice")
	cs := vals["connection-string"]
	if !strings.HasPrefix(cs, "endpoint=http://127.0.0.1:") || !strings.HasPrefix(vals["admin-url"], "http://127.0.0.1:") {
		t.Errorf("printed %q", vals)
	}
	r := runCmd(t, nil, "mute", "--connection-string", cs, "--call", "c1", "--participant", "8:acs:r_alice")
	if r.code != 0 {
		t.Errorf("mute: exit %d, %s", r.code, r.stderr)
	}
	if code := stop(); code != 0 {
		t.Errorf("emulator exit %d, stderr %s", code, errOut.String())
	}
}

// A bearer token from ACS_BEARER_TOKEN with --endpoint, for mute and
// participant.
func TestBearerTokenFromEnvironment(t *testing.T) {
	srv, err := acstest.NewServer(&acstest.Options{Credentials: acstest.NewCredentials("", "fake-cli-token"), Calls: map[string][]string{"call-1": {"8:acs:r_alice"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// --endpoint wins over a connection string left in the environment.
	env := map[string]string{"ACS_BEARER_TOKEN": "fake-cli-token", "ACS_CONNECTION_STRING": "endpoint=http://127.0.0.1:1/;accesskey=" + fakeKey}
	for _, cmd := range []string{"mute", "participant"} {
		r := runCmd(t, env, cmd, "--endpoint", srv.URL, "--call", "call-1", "--participant", "8:acs:r_alice")
		if r.code != 0 {
			t.Errorf("%s: exit %d, stderr %s", cmd, r.code, r.stderr)
		}
	}
	if m, _ := srv.IsMuted("call-1", "8:acs:r_alice"); !m {
		t.Error("not muted")
	}
	r := runCmd(t, map[string]string{"ACS_BEARER_TOKEN": "fake-cli-token-wrong"}, "mute", "--endpoint", srv.URL, "--call", "call-1", "--participant", "8:acs:r_alice")
	if r.code != 1 || !strings.Contains(r.stderr, "401") {
		t.Errorf("wrong token: exit %d, stderr %s", r.code, r.stderr)
	}
}

// --api-version chooses the version every command speaks; an unsupported
// one is bad input and sends nothing.
func TestAPIVersionFlag(t *testing.T) {
	const ext = "8:acs:r_tenant_user"
	for _, v := range []string{"2024-09-15", "2025-06-15", "2026-03-12"} {
		t.Run(v, func(t *testing.T) {
			srv, err := acstest.NewServer(&acstest.Options{Credentials: acstest.NewCredentials(fakeKey), Calls: map[string][]string{"call-1": {"8:acs:r_alice", ext}}})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			cs := srv.ConnectionString()
			for _, raw := range []string{"8:acs:r_alice", ext} {
				if r := runCmd(t, nil, "mute", "--api-version", v, "--connection-string", cs, "--call", "call-1", "--participant", raw, "--verify"); r.code != 0 {
					t.Fatalf("mute %s: exit %d, stderr %s", raw, r.code, r.stderr)
				}
			}
			r := runCmd(t, nil, "participant", "--api-version", v, "--connection-string", cs, "--call", "call-1", "--participant", ext)
			var out participantOutput
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || out.Kind != "teamsExtensionUser" || !out.IsMuted {
				t.Errorf("participant: exit %d, %q %s", r.code, r.stdout, r.stderr)
			}
			reqs := srv.Requests()
			if len(reqs) != 5 {
				t.Fatalf("%d requests", len(reqs))
			}
			for _, req := range reqs {
				if !strings.HasSuffix(req.RequestURI, "?api-version="+v) {
					t.Errorf("%s %s", req.Method, req.RequestURI)
				}
			}
			if v == "2026-03-12" && !strings.Contains(string(reqs[2].Body), `"kind":"teamsExtensionUser"`) {
				t.Errorf("extension user sent as %s", reqs[2].Body)
			}
		})
	}
	srv := emulator(t)
	for _, cmd := range []string{"mute", "participant"} {
		r := runCmd(t, nil, cmd, "--api-version", "2025-08-15-preview", "--connection-string", srv.ConnectionString(), "--call", "call-1", "--participant", "8:acs:r_alice")
		if r.code != 2 || !strings.Contains(r.stderr, `--api-version "2025-08-15-preview" is not supported (want one of 2024-09-15, 2025-06-15, 2026-03-12)`) {
			t.Errorf("%s: exit %d, stderr %q", cmd, r.code, r.stderr)
		}
	}
	for _, v := range []string{"", "endpoint=https://x/;accesskey=c2VjcmV0c2VjcmV0c2VjcmV0"} {
		for _, cmd := range []string{"mute", "participant", "participants", "demo"} {
			args := []string{cmd, "--api-version", v}
			if cmd != "demo" {
				args = append(args, "--connection-string", srv.ConnectionString(), "--call", "call-1", "--participant", "8:acs:r_alice")
			}
			if cmd == "participants" {
				args = args[:len(args)-2]
			}
			r := runCmd(t, nil, args...)
			if r.code != 2 || !strings.Contains(r.stderr, "--api-version is") || strings.Contains(r.stderr, "c2Vjcm") {
				t.Errorf("%s --api-version %q: exit %d, stderr %q", cmd, v, r.code, r.stderr)
			}
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent with a bad version", n)
	}
	if r := runCmd(t, nil, "demo", "--api-version", "2026-03-12"); r.code != 0 ||
		!strings.Contains(r.stdout, "Client speaks Call Automation API version 2026-03-12") ||
		!strings.Contains(r.stdout, "participants:mute?api-version=2026-03-12") {
		t.Errorf("demo: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCmd(t, nil, "demo", "--api-version", "latest"); r.code != 2 {
		t.Errorf("demo with a bad version: exit %d", r.code)
	}
}

func TestParticipantsCommand(t *testing.T) {
	srv, err := acstest.NewServer(&acstest.Options{Credentials: acstest.NewCredentials(fakeKey), ParticipantsPageSize: 2,
		Calls: map[string][]string{"call-1": {"8:acs:r_alice", "4:+15551234567", "8:acs:r_bob", "8:orgid:carol", "8:acs:r_tenant_dave"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cs := srv.ConnectionString()
	_ = srv.SetMuted("call-1", "8:acs:r_bob", true)
	r := runCmd(t, nil, "participants", "--connection-string", cs, "--call", "call-1", "--api-version", "2026-03-12")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := `{"rawId":"8:acs:r_alice","kind":"communicationUser","isMuted":false,"isOnHold":false}
{"rawId":"4:+15551234567","kind":"phoneNumber","isMuted":false,"isOnHold":false}
{"rawId":"8:acs:r_bob","kind":"communicationUser","isMuted":true,"isOnHold":false}
{"rawId":"8:orgid:carol","kind":"microsoftTeamsUser","isMuted":false,"isOnHold":false}
{"rawId":"8:acs:r_tenant_dave","kind":"teamsExtensionUser","isMuted":false,"isOnHold":false}
`
	if r.stdout != want {
		t.Errorf("stdout:\n%s\nwant\n%s", r.stdout, want)
	}
	if n := len(srv.Requests()); n != 3 {
		t.Errorf("%d requests for 5 participants in pages of 2", n)
	}
	r = runCmd(t, nil, "participants", "--connection-string", cs, "--call", "no-call")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "404 Not Found: CallNotFound") {
		t.Errorf("unknown call: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{
		{"participants", "--connection-string", cs},
		{"participants", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice"},
		{"participants", "--connection-string", cs, "--call", "call-1", "--api-version", "1.0"},
		{"participants", "--connection-string", cs, "--call", "call-1", "extra"},
	} {
		if r := runCmd(t, nil, args...); r.code != 2 {
			t.Errorf("%v: exit %d, %s", args[3:], r.code, r.stderr)
		}
	}
	if r := runCmd(t, nil, "participants", "--help"); r.code != 0 || strings.Contains(r.stdout, "--participant 8:acs:r_u") || !strings.Contains(r.stdout, "--call") {
		t.Errorf("help: %d %s", r.code, r.stdout)
	}
}

func TestMuteAllCommand(t *testing.T) {
	call := []string{"8:acs:r_alice", "4:+15551234567", "8:acs:r_bob", "8:acs:r_presenter", "8:acs:r_tenant_dave", "8:acs:r_erin"}
	start := func(t *testing.T) (*acstest.Server, string) {
		srv, err := acstest.NewServer(&acstest.Options{Credentials: acstest.NewCredentials(fakeKey), ParticipantsPageSize: 4, Calls: map[string][]string{"call-1": call}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		_ = srv.SetMuted("call-1", "8:acs:r_bob", true)
		return srv, srv.ConnectionString()
	}
	lines := func(t *testing.T, out string) map[string]allLine {
		t.Helper()
		got := map[string]allLine{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var v allLine
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("not a JSON line: %q", l)
			}
			got[v.RawID] = v
		}
		if len(got) != len(call) {
			t.Errorf("%d lines for %d participants:\n%s", len(got), len(call), out)
		}
		return got
	}

	t.Run("2024-09-15", func(t *testing.T) {
		srv, cs := start(t)
		r := runCmd(t, nil, "mute", "--connection-string", cs, "--call", "call-1", "--all", "--except", "8:acs:r_presenter", "--operation-context", "all-1")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		got := lines(t, r.stdout)
		for raw, want := range map[string]string{"8:acs:r_alice": "muted", "8:acs:r_erin": "muted", "8:acs:r_bob": "already muted",
			"8:acs:r_presenter": "skipped", "4:+15551234567": "skipped", "8:acs:r_tenant_dave": "muted"} {
			if got[raw].Result != want {
				t.Errorf("%s: %+v, want %s", raw, got[raw], want)
			}
		}
		if !strings.Contains(got["4:+15551234567"].Reason, "phoneNumber") || got["8:acs:r_presenter"].Reason != "named with --except" {
			t.Errorf("reasons: %+v %+v", got["8:acs:r_presenter"], got["4:+15551234567"])
		}
		if m, _ := srv.IsMuted("call-1", "8:acs:r_presenter"); m {
			t.Error("the presenter was muted")
		}
		if n := srv.TotalExecutions(); n != 3 {
			t.Errorf("%d executions, want 3", n)
		}
		for _, req := range srv.Requests() {
			if req.Method == http.MethodPost && !strings.Contains(string(req.Body), `"operationContext":"all-1"`) {
				t.Errorf("mute without the operation context: %s", req.Body)
			}
		}
	})
	t.Run("2026-03-12", func(t *testing.T) {
		srv, cs := start(t)
		// A typo in --except would mute the one it spares: nothing is muted.
		r := runCmd(t, nil, "mute", "--api-version", "2026-03-12", "--connection-string", cs, "--call", "call-1", "--all", "--except", "8:acs:r_presenter", "--except", "8:acs:r_presentr")
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "--except 8:acs:r_presentr: not a participant of the call; nothing was muted") || srv.TotalExecutions() != 0 {
			t.Fatalf("typo in --except: exit %d, %q %q, %d executions", r.code, r.stdout, r.stderr, srv.TotalExecutions())
		}
		r = runCmd(t, nil, "mute", "--api-version", "2026-03-12", "--connection-string", cs, "--call", "call-1", "--all", "--except", "8:acs:r_presenter")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if got := lines(t, r.stdout); got["8:acs:r_tenant_dave"].Result != "muted" {
			t.Errorf("extension user: %+v", got["8:acs:r_tenant_dave"])
		}
		for _, req := range srv.Requests() {
			if req.Method == http.MethodPost && strings.Contains(string(req.Body), "r_tenant_dave") && !strings.Contains(string(req.Body), `"kind":"teamsExtensionUser"`) {
				t.Errorf("extension user sent as %s", req.Body)
			}
		}
		if n := srv.TotalExecutions(); n != 3 {
			t.Errorf("%d executions, want 3", n)
		}
	})
	t.Run("failures", func(t *testing.T) {
		srv, cs := start(t)
		srv.SetFaultFunc(func(seq int) *acstest.Fault { // mutes only: the list's pages pass
			return &acstest.Fault{Status: 403, ErrorCode: "Forbidden"}
		})
		r := runCmd(t, nil, "mute", "--connection-string", cs, "--call", "call-1", "--all")
		got := lines(t, r.stdout)
		if r.code != 1 || got["8:acs:r_alice"].Result != "failed" || !strings.Contains(got["8:acs:r_alice"].Error, "403") || got["8:acs:r_bob"].Result != "already muted" {
			t.Errorf("exit %d\n%s", r.code, r.stdout)
		}
		srv.SetFaultFunc(func(seq int) *acstest.Fault {
			return &acstest.Fault{Drop: acstest.DropAfterExecute}
		})
		r = runCmd(t, nil, "mute", "--connection-string", cs, "--call", "call-1", "--all", "--timeout", "3s")
		got = lines(t, r.stdout)
		if l := got["8:acs:r_alice"]; r.code != 1 || l.Result != "unknown" || len(l.RepeatabilityRequestID) != 36 || !strings.HasSuffix(l.RepeatabilityFirstSent, "GMT") {
			t.Errorf("unknown outcome: exit %d\n%s", r.code, r.stdout)
		}
		srv.ClearFaults()
		if r := runCmd(t, nil, "mute", "--connection-string", cs, "--call", "no-call", "--all"); r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "CallNotFound") {
			t.Errorf("unknown call: exit %d %q %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		srv, cs := start(t)
		for _, args := range [][]string{
			{"--all", "--participant", "8:acs:r_alice"},
			{"--except", "8:acs:r_alice", "--participant", "8:acs:r_alice"},
			{"--all", "--except", "8:acs:r presenter"},
			{"--all", "--except", "presenter"},
			{"--all", "--except", "endpoint=https://r.communication.azure.com/;accesskey=c2VjcmV0c2VjcmV0c2VjcmV0"},
			{"--all", "--except", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"},
			{"--all", "--verify"},
			{"--all", "--concurrency", "0"},
			{"--all", "--repeatability-request-id", "0f8fad5b-d9cb-469f-a165-70867728950e", "--repeatability-first-sent", "Sun, 29 Nov 2026 12:00:00 GMT"},
		} {
			r := runCmd(t, nil, append([]string{"mute", "--connection-string", cs, "--call", "call-1"}, args...)...)
			if r.code != 2 || strings.Contains(r.stderr, "c2VjcmV0") {
				t.Errorf("%v: exit %d, %s", args, r.code, r.stderr)
			}
		}
		if n := len(srv.Requests()); n != 0 {
			t.Errorf("%d requests sent on bad input", n)
		}
	})
}

// emulator --callback posts a ParticipantsUpdated after a mute, which a
// callback.Verifier for the logged resource ID accepts.
func TestEmulatorCallbackFlag(t *testing.T) {
	posts := make(chan *http.Request, 4)
	bodies := make(chan []byte, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		posts <- r.Clone(context.Background())
		bodies <- b
	}))
	defer receiver.Close()
	vals, stderr, stop := startEmulator(t, "--access-key", fakeKey, "--call", "c1=8:acs:r_alice", "--callback", receiver.URL+"/cb?sig=c2VjcmV0LXNpZw", "--resource-id", "my-test-resource")
	cs := vals["connection-string"]
	if r := runCmd(t, nil, "mute", "--connection-string", cs, "--call", "c1", "--participant", "8:acs:r_alice"); r.code != 0 {
		t.Fatalf("mute: %d %s", r.code, r.stderr)
	}
	var req *http.Request
	select {
	case req = <-posts:
	case <-time.After(10 * time.Second):
		t.Fatal("no callback posted")
	}
	body := <-bodies
	if vals["resource-id"] != "my-test-resource" {
		t.Errorf("resource-id=%q", vals["resource-id"])
	}
	v, err := callback.NewVerifier(vals["resource-id"], &callback.VerifierOptions{Issuer: vals["callback-issuer"], KeysURL: vals["callback-keys-url"], Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(req); err != nil {
		t.Errorf("the emulator's callback does not verify: %v", err)
	}
	events, err := callback.Parse(body)
	if err != nil || len(events) != 1 {
		t.Fatalf("%v, %v", events, err)
	}
	if pu, err := events[0].ParticipantsUpdated(); err != nil || len(pu.Participants) != 1 || !pu.Participants[0].IsMuted {
		t.Errorf("%+v, %v", pu, err)
	}
	if code := stop(); code != 0 {
		t.Errorf("emulator exit %d", code)
	}
	// Each delivery is logged, and neither it nor the ready line shows the
	// URL's query.
	if log := stderr.String(); !strings.Contains(log, "acstest: callback") || !strings.Contains(log, "delivered=true") || strings.Contains(log, "c2VjcmV0LXNpZw") {
		t.Errorf("stderr: %s", log)
	}
	if r := runCmd(t, nil, "emulator", "--callback", "::not a url"); r.code != 2 || !strings.Contains(r.stderr, "--callback is not an absolute") {
		t.Errorf("bad --callback: exit %d %s", r.code, r.stderr)
	}
}

// acsmute participant exits 1 when the answer is about someone else.
func TestParticipantCommandAnswerAboutAnother(t *testing.T) {
	liar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"identifier":{"rawId":"8:acs:r_alice"},"isMuted":true}`)
	}))
	defer liar.Close()
	r := runCmd(t, nil, "participant", "--connection-string", "endpoint="+liar.URL+"/;accesskey="+fakeKey, "--call", "call-1", "--participant", "8:acs:r_bob")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, `not "8:acs:r_bob"`) {
		t.Errorf("exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}

// What people paste where it does not belong: keys are never repeated,
// quotes and copied token decorations are named or forgiven.
func TestPastedValues(t *testing.T) {
	srv := emulator(t)
	cs := srv.ConnectionString()
	const key = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0" // base64 of 42 bytes
	for _, args := range [][]string{
		{"mute", "--connection-string", cs, "--call", "call-1", "--participant", key},
		{"mute", "--connection-string", cs, "--call", key, "--participant", "8:acs:r_alice"},
		{"participant", "--connection-string", cs, "--call", key, "--participant", "8:acs:r_alice"},
		{"participants", "--connection-string", cs, "--call", key},
	} {
		r := runCmd(t, nil, args...)
		if r.code != 2 || strings.Contains(r.stderr, "c2VjcmV0") {
			t.Errorf("%v: exit %d, stderr %q", args[1:], r.code, r.stderr)
		}
	}
	if r := runCmd(t, nil, "mute", "--connection-string", `"`+cs+`"`, "--call", "call-1", "--participant", "8:acs:r_alice"); r.code != 2 || !strings.Contains(r.stderr, "surrounded by quotes; remove them") {
		t.Errorf("quoted connection string: exit %d, %q", r.code, r.stderr)
	}
	if r := runCmd(t, nil, "mute", "--endpoint", cs, "--call", "call-1", "--participant", "8:acs:r_alice"); r.code != 2 ||
		!strings.Contains(r.stderr, "--connection-string") || strings.Contains(r.stderr, "NewClientFromConnectionString") {
		t.Errorf("connection string in --endpoint: exit %d, %q", r.code, r.stderr)
	}
	if len(srv.Requests()) != 0 {
		t.Errorf("%d requests sent", len(srv.Requests()))
	}
	// A token copied with a trailing newline, or with its scheme, is used.
	bearer, err := acstest.NewServer(&acstest.Options{Credentials: acstest.NewCredentials("", "fake-cli-token"), Calls: map[string][]string{"call-1": {"8:acs:r_alice"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer bearer.Close()
	for _, tok := range []string{"fake-cli-token\n", "Bearer fake-cli-token", "  bearer fake-cli-token \r\n"} {
		r := runCmd(t, map[string]string{"ACS_BEARER_TOKEN": tok}, "mute", "--endpoint", bearer.URL, "--call", "call-1", "--participant", "8:acs:r_alice")
		if r.code != 0 {
			t.Errorf("ACS_BEARER_TOKEN %q: exit %d, %s", tok, r.code, r.stderr)
		}
	}
}
