package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
)

// NewTransport's settings, as documented.
func TestNewTransportSettings(t *testing.T) {
	tr := client.NewTransport()
	if tr.MaxIdleConns != 2*client.MaxConnsPerHost || tr.MaxIdleConnsPerHost != client.MaxConnsPerHost ||
		tr.MaxConnsPerHost != client.MaxConnsPerHost || tr.IdleConnTimeout != 90*time.Second || client.MaxConnsPerHost != 64 {
		t.Errorf("transport = MaxIdleConns %d, per host %d, max per host %d, idle timeout %v",
			tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost, tr.IdleConnTimeout)
	}
}

// Limits are inclusive: exactly at the limit is accepted, one more is not.
func TestInputLimits(t *testing.T) {
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, nil)
	mute := func(callID string, id client.Identifier, opts *client.MuteParticipantOptions) error {
		_, err := c.MuteParticipant(context.Background(), callID, id, opts)
		return err
	}
	if err := mute(strings.Repeat("c", 1024), acsUser, nil); err != nil {
		t.Errorf("1024-byte call ID: %v", err)
	}
	if err := mute(strings.Repeat("c", 1025), acsUser, nil); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("1025-byte call ID: %v", err)
	}
	raw := "8:acs:" + strings.Repeat("u", 1024-len("8:acs:"))
	if err := mute("call", client.CommunicationUserIdentifier{ID: raw}, nil); err != nil {
		t.Errorf("1024-byte raw ID: %v", err)
	}
	if err := mute("call", client.CommunicationUserIdentifier{ID: raw + "u"}, nil); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("1025-byte raw ID: %v", err)
	}
	// U+10000 is the first rune that takes two UTF-16 code units.
	astral := strings.Repeat("\U00010000", 2500)
	if err := mute("call", acsUser, &client.MuteParticipantOptions{OperationContext: astral}); err != nil {
		t.Errorf("5000 code units: %v", err)
	}
	if err := mute("call", acsUser, &client.MuteParticipantOptions{OperationContext: astral + "x"}); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("5001 code units: %v", err)
	}
	for _, id := range []client.Identifier{
		client.MicrosoftTeamsUserIdentifier{UserID: "u", Cloud: "mars"},
		client.TeamsExtensionUserIdentifier{ResourceID: "r", TenantID: "t", UserID: "u", Cloud: "mars"},
	} {
		if err := mute("call", id, nil); !errors.Is(err, client.ErrInvalidInput) || !strings.Contains(err.Error(), `"mars"`) {
			t.Errorf("%#v: %v", id, err)
		}
	}
	cloud := client.Cloud(strings.Repeat("m", 32))
	err := mute("call", client.MicrosoftTeamsAppIdentifier{AppID: "a", Cloud: cloud}, nil)
	if err == nil || !strings.Contains(err.Error(), `"`+string(cloud)+`"`) {
		t.Errorf("32-character cloud quoted whole: %v", err)
	}
	err = mute("call", client.MicrosoftTeamsAppIdentifier{AppID: "a", Cloud: cloud + "m"}, nil)
	if err == nil || !strings.Contains(err.Error(), `"`+string(cloud)+`..."`) {
		t.Errorf("33-character cloud shortened: %v", err)
	}
	if _, err := client.NewClient("https://r.example", mustKey(t), &client.ClientOptions{ApplicationID: "del\x7f"}); !errors.Is(err, client.ErrInvalidInput) {
		t.Errorf("ApplicationID with DEL: %v", err)
	}
}

func mustKey(t *testing.T) *client.KeyCredential {
	t.Helper()
	k, err := client.NewKeyCredential(fakeKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestPhoneNumberAssertedIDAtTheStart(t *testing.T) {
	if got := (client.PhoneNumberIdentifier{PhoneNumber: "_x"}).AssertedID(); got != "x" {
		t.Errorf("AssertedID of %q = %q", "_x", got)
	}
}

// %#v of a ConnectionString is its GoString.
func TestConnectionStringGoSyntax(t *testing.T) {
	cs, _ := client.ParseConnectionString("endpoint=https://r.example/;accesskey=" + fakeKey)
	if got := fmt.Sprintf("%#v", cs); got != cs.GoString() || !strings.Contains(got, "client.ConnectionString{") {
		t.Errorf("%%#v = %q", got)
	}
}

// A success is logged at INFO without a retry delay; a retried failure at
// WARN with one.
func TestLogLevels(t *testing.T) {
	srv := newRecorder(t, answer(503, `{}`), answer(200, `{}`))
	var logs bytes.Buffer
	c := newKeyClient(t, srv.URL, &client.ClientOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Retry: fastRetry})
	if _, err := c.MuteParticipant(context.Background(), "call", acsUser, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d records:\n%s", len(lines), logs.String())
	}
	if !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "retry_in=") {
		t.Errorf("first record: %s", lines[0])
	}
	if !strings.Contains(lines[1], "level=INFO") || strings.Contains(lines[1], "retry_in") {
		t.Errorf("second record: %s", lines[1])
	}
}

// The wall clock's Sleep returns the context's error when it is done, even
// for no wait.
func TestRealClockSleepHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		cancel() // the call's context ends while the answer asks for no wait
		answer(503, `{}`, "Retry-After", "0")(w, r)
	})
	c := newKeyClient(t, srv.URL, nil)
	_, err := c.MuteParticipant(ctx, "call", acsUser, nil)
	if !errors.Is(err, context.Canceled) || len(srv.seen()) != 1 {
		t.Errorf("error = %v after %d attempts", err, len(srv.seen()))
	}
}

// Ports 1 and 65535 are valid endpoint ports.
func TestEndpointPortBounds(t *testing.T) {
	for _, ep := range []string{"https://r.example:1", "https://r.example:65535"} {
		if _, err := client.NewClient(ep, mustKey(t), nil); err != nil {
			t.Errorf("%s: %v", ep, err)
		}
	}
}

// A 200 of exactly 1 MiB (a JSON object padded with spaces) is read whole
// and is a success.
func TestSuccessBodyAtTheLimit(t *testing.T) {
	body := `{"operationContext":"big"}`
	srv := newRecorder(t, answer(200, body+strings.Repeat(" ", 1<<20-len(body))))
	res, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, nil)
	if err != nil || res.OperationContext != "big" {
		t.Errorf("1 MiB 200: %+v, %v", res, err)
	}
}

// Years 1 and 9999 are valid First-Sent years (a resend that old is refused
// for the window, not as bad input).
func TestFirstSentYearBounds(t *testing.T) {
	srv := newRecorder(t)
	c := newKeyClient(t, srv.URL, nil)
	for _, year := range []int{1, 9999} {
		_, err := c.MuteParticipant(context.Background(), "call", acsUser, &client.MuteParticipantOptions{
			RepeatabilityFirstSent: time.Date(year, 6, 1, 0, 0, 0, 0, time.UTC)})
		if errors.Is(err, client.ErrInvalidInput) {
			t.Errorf("year %d: %v", year, err)
		}
	}
}

// nestedErrorAnswer answers a mute with a 400 whose error nests twelve
// levels deep, level i written by layout from i and the level below, and
// returns the ResponseError the client made of it.
func nestedErrorAnswer(t *testing.T, layout string) *client.ResponseError {
	t.Helper()
	inner := `{"code":"L12","message":"m"}`
	for i := 11; i >= 0; i-- {
		inner = fmt.Sprintf(layout, i, inner)
	}
	srv := newRecorder(t, answer(400, `{"error":`+inner+`}`))
	_, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, nil)
	var re *client.ResponseError
	if !errors.As(err, &re) {
		t.Fatal(err)
	}
	return re
}
