package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client/acstest"
)

func actionServer(t *testing.T) *acstest.Server {
	t.Helper()
	srv, err := acstest.NewServer(&acstest.Options{Credentials: acstest.NewCredentials(fakeKey),
		Calls: map[string][]string{"call-1": {"8:acs:r_alice", "4:+15551234567", "8:acs:r_bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func actionOut(t *testing.T, r result) actionOutput {
	t.Helper()
	var out actionOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not JSON: %q (stderr %q)", r.stdout, r.stderr)
	}
	return out
}

// hold, unhold and remove do what they say, and --verify reads it back.
func TestActionCommands(t *testing.T) {
	srv := actionServer(t)
	cs := srv.ConnectionString()
	base := []string{"--connection-string", cs, "--call", "call-1"}

	r := runCmd(t, nil, append([]string{"hold", "--participant", "4:+15551234567", "--play-file", "https://media.example/hold.wav?sig=x", "--operation-context", "h1", "--verify"}, base...)...)
	out := actionOut(t, r)
	if r.code != 0 || out.Status != 200 || out.Attempts != 1 || out.OperationContext != "h1" || out.Verified == nil || !*out.Verified || out.RepeatabilityRequestID != "" {
		t.Fatalf("hold: exit %d, %+v, stderr %q", r.code, out, r.stderr)
	}
	if on, _ := srv.IsOnHold("call-1", "4:+15551234567"); !on {
		t.Error("not on hold")
	}
	r = runCmd(t, nil, append([]string{"unhold", "--participant", "4:+15551234567", "--verify"}, base...)...)
	if out := actionOut(t, r); r.code != 0 || out.Status != 200 || !*out.Verified {
		t.Fatalf("unhold: exit %d, %+v, stderr %q", r.code, out, r.stderr)
	}
	if on, _ := srv.IsOnHold("call-1", "4:+15551234567"); on {
		t.Error("still on hold")
	}
	r = runCmd(t, nil, append([]string{"remove", "--participant", "8:acs:r_bob", "--operation-context", "rm-1", "--verify"}, base...)...)
	out = actionOut(t, r)
	if r.code != 0 || out.Status != 202 || out.OperationContext != "rm-1" || !*out.Verified || len(out.RepeatabilityRequestID) != 36 {
		t.Fatalf("remove: exit %d, %+v, stderr %q", r.code, out, r.stderr)
	}
	if _, in := srv.IsMuted("call-1", "8:acs:r_bob"); in {
		t.Error("bob is still in the call")
	}
	// Without a context, the request ID is the operation context.
	r = runCmd(t, nil, append([]string{"remove", "--participant", "8:acs:r_alice"}, base...)...)
	if out := actionOut(t, r); r.code != 0 || out.OperationContext != out.RepeatabilityRequestID || out.Verified != nil {
		t.Errorf("remove without a context: exit %d, %+v", r.code, out)
	}

	// The service's refusals: exit 1, one line.
	for _, args := range [][]string{
		{"remove", "--participant", "8:acs:r_zed", "--connection-string", cs, "--call", "call-1"},
		{"hold", "--participant", "8:acs:r_alice", "--connection-string", cs, "--call", "nope"},
		{"unhold", "--participant", "8:orgid:u1", "--connection-string", cs, "--call", "call-1"},
	} {
		r := runCmd(t, nil, args...)
		if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !regexp.MustCompile(`: (400|404) `).MatchString(r.stderr) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

// --verify fails when the service answered but the participant is not as
// asked: a hold that failed afterwards, a remove that failed afterwards.
func TestActionCommandsVerifyMismatch(t *testing.T) {
	srv := actionServer(t)
	cs := srv.ConnectionString()
	if err := srv.FailHold("call-1", "8:acs:r_alice", acstest.ResultInformation{}); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, nil, "hold", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice", "--verify")
	if out := actionOut(t, r); r.code != 1 || *out.Verified || !strings.Contains(r.stderr, "isOnHold false") {
		t.Errorf("hold that failed afterwards: exit %d, %+v, stderr %q", r.code, out, r.stderr)
	}
	if err := srv.FailRemove("call-1", "8:acs:r_bob", acstest.ResultInformation{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r = runCmd(t, nil, "remove", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_bob", "--verify", "--timeout", "700ms")
	if out := actionOut(t, r); r.code != 1 || *out.Verified || out.Status != 202 || !strings.Contains(r.stderr, "still in the call") {
		t.Errorf("remove that failed afterwards: exit %d, %+v, stderr %q", r.code, out, r.stderr)
	}
	if d := time.Since(start); d < 700*time.Millisecond || d > 5*time.Second {
		t.Errorf("--verify of a remove took %v with --timeout 700ms", d)
	}
}

// An outcome the client cannot settle says how to settle it: hold, by
// running it again; remove, by resending with the printed flags, which
// then succeeds.
func TestActionCommandsUnknownOutcome(t *testing.T) {
	srv := actionServer(t)
	cs := srv.ConnectionString()
	srv.InjectFaults(8, acstest.Fault{Status: 503, RetryAfterMs: "5"}) // short waits between retries
	r := runCmd(t, nil, "hold", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice", "--timeout", "20s")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != 1 || len(lines) != 2 || !strings.Contains(lines[0], "hold outcome unknown") || !strings.Contains(lines[1], "run the same command again") {
		t.Errorf("hold: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runCmd(t, nil, "remove", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_bob", "--timeout", "20s")
	m := regexp.MustCompile(`--repeatability-request-id (\S+) --repeatability-first-sent '([^']+)'`).FindStringSubmatch(r.stderr)
	if r.code != 1 || m == nil || !strings.Contains(r.stderr, "remove outcome unknown") {
		t.Fatalf("remove: exit %d, stderr %q", r.code, r.stderr)
	}
	srv.ClearFaults()
	r = runCmd(t, nil, "remove", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_bob",
		"--repeatability-request-id", m[1], "--repeatability-first-sent", m[2])
	if out := actionOut(t, r); r.code != 0 || out.RepeatabilityRequestID != m[1] || out.OperationContext != m[1] {
		t.Errorf("resend: exit %d, %+v, stderr %q", r.code, out, r.stderr)
	}
	if srv.Executions(m[1]) != 1 {
		t.Errorf("the remove ran %d times", srv.Executions(m[1]))
	}
}

// Bad input: exit 2, nothing sent, no URL quoted.
func TestActionCommandsBadInput(t *testing.T) {
	srv := actionServer(t)
	cs := srv.ConnectionString()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"hold", "--connection-string", cs, "--call", "call-1"}, "missing --participant"},
		{[]string{"hold", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice", "--play-file", "ftp://m.example/a.wav?sig=s3cret"}, "--play-file must be an absolute https (or http) URL"},
		{[]string{"remove", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice", "--operation-callback-url", "/relative?sig=s3cret"}, "--operation-callback-url must be an absolute"},
		{[]string{"unhold", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice", "--operation-callback-url", "https://app.example/ops?sig=s3cret"},
			"--operation-callback-url needs API version 2025-06-15 or later"},
		{[]string{"remove", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice", "--repeatability-request-id", "0f8fad5b-d9cb-469f-a165-70867728950e"},
			"--repeatability-request-id and --repeatability-first-sent go together"},
		{[]string{"remove", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice", "--repeatability-request-id", "nope", "--repeatability-first-sent", "Sun, 29 Nov 2026 12:00:00 GMT"},
			"--repeatability-request-id must be a UUID"},
		{[]string{"hold", "--connection-string", cs, "--call", "call-1", "--participant", "8:asc:typo"}, "--participant"},
		{[]string{"unhold", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice", "--api-version", "2023-01-01"}, "--api-version \"2023-01-01\" is not supported"},
	}
	for _, tt := range tests {
		r := runCmd(t, nil, tt.args...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, "s3cret") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tt.args[:1], r.code, r.stdout, r.stderr, tt.want)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
	// The newer version takes unhold's callback URL.
	r := runCmd(t, nil, "unhold", "--connection-string", cs, "--call", "call-1", "--participant", "8:acs:r_alice", "--api-version", "2026-03-12",
		"--operation-callback-url", "http://127.0.0.1:9/ops")
	if r.code != 0 {
		t.Errorf("unhold with a callback URL on 2026-03-12: exit %d, %s", r.code, r.stderr)
	}
	for _, cmd := range []string{"hold", "unhold", "remove"} {
		r := runCmd(t, nil, cmd, "--help")
		if r.code != 0 || strings.Count(r.stdout, "Usage") != 1 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "acsmute "+cmd+" --call") {
			t.Errorf("%s --help: exit %d, %q", cmd, r.code, r.stdout)
		}
	}
}

// The commands against the emulator as a separate process, as a test in
// another language would drive it.
func TestActionCommandsAgainstEmulatorProcess(t *testing.T) {
	bin := acsmuteBinary(t)
	cmd := exec.Command(bin, "emulator", "--access-key", fakeKey, "--call", "c1=8:acs:r_alice,4:+15551234567")
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	cs := readEmulatorLines(t, bufio.NewScanner(stdout))["connection-string"]
	for _, args := range [][]string{
		{"hold", "--participant", "4:+15551234567", "--verify"},
		{"unhold", "--participant", "4:+15551234567", "--verify"},
		{"remove", "--participant", "8:acs:r_alice", "--verify"},
	} {
		r := runCmd(t, nil, append(args, "--connection-string", cs, "--call", "c1")...)
		if out := actionOut(t, r); r.code != 0 || !*out.Verified {
			t.Errorf("%v: exit %d, %+v, stderr %q", args, r.code, out, r.stderr)
		}
	}
	r := runCmd(t, nil, "participants", "--connection-string", cs, "--call", "c1")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stdout, `"isOnHold":false`) {
		t.Errorf("participants after the remove: exit %d, %q", r.code, r.stdout)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	for _, path := range []string{":hold", ":unhold", "participants:remove"} {
		if !strings.Contains(stderr.String(), path) {
			t.Errorf("the emulator did not log %s: %s", path, stderr.String())
		}
	}
}

// remove --verify believes only the service's "not found": a gateway's bare
// 404, or a read that never finishes, is not a confirmation.
func TestRemoveVerifyBelievesOnlyTheService(t *testing.T) {
	for name, read := range map[string]http.HandlerFunc{
		"bare 404": func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no route", http.StatusNotFound) },
		"silence":  func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusAccepted)
				w.Write([]byte(`{"operationContext":"x"}`))
				return
			}
			read(w, r)
		}))
		r := runCmd(t, nil, "remove", "--connection-string", "endpoint="+srv.URL+"/;accesskey="+fakeKey, "--call", "c", "--participant", "8:acs:r_u", "--verify", "--timeout", "1s")
		srv.Close()
		if out := actionOut(t, r); r.code != 1 || *out.Verified || !strings.Contains(r.stderr, "could not be confirmed") {
			t.Errorf("%s: exit %d, %+v, stderr %q", name, r.code, out, r.stderr)
		}
	}
}
