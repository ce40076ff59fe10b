package client_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/acsmute/acsmute/client"
)

// A success is logged at INFO without a retry delay; a retried failure at
// WARN with one.
func TestLogLevels(t *testing.T) {
	_, logs := loggedRetriedMute(t)
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d records:\n%s", len(lines), logs)
	}
	if !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "retry_in=") {
		t.Errorf("first record: %s", lines[0])
	}
	if !strings.Contains(lines[1], "level=INFO") || strings.Contains(lines[1], "retry_in") {
		t.Errorf("second record: %s", lines[1])
	}
}

// Log records name the URL (without its query) and the attempt.
func TestLogRecordsNameTheRequest(t *testing.T) {
	endpoint, out := loggedRetriedMute(t)
	for _, want := range []string{"url=" + endpoint + "/calling/callConnections/call/participants:mute ", "attempt=1", "status=503", "level=WARN", "attempt=2", "status=200", "retry_in="} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "api-version") {
		t.Errorf("logs show the query:\n%s", out)
	}
}

// loggedRetriedMute mutes through a server that answers 503 then 200, and
// returns the server's URL and what the client logged.
func loggedRetriedMute(t *testing.T) (endpoint, logs string) {
	t.Helper()
	srv := newRecorder(t, answer(503, `{}`), answer(200, `{}`))
	var buf bytes.Buffer
	c := newKeyClient(t, srv.URL, &client.ClientOptions{Logger: slog.New(slog.NewTextHandler(&buf, nil)), Retry: fastRetry})
	if _, err := c.MuteParticipant(context.Background(), "call", acsUser, nil); err != nil {
		t.Fatal(err)
	}
	return srv.URL, buf.String()
}
