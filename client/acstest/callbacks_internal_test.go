package acstest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/acsmute/acsmute/client"
)

// redactURLsIn takes a callback URL's query, fragment and password out of
// a text quoting them, and leaves every other text as it is.
func TestRedactURLsIn(t *testing.T) {
	const u = "https://user:pa55@hooks.test/cb?sig=s3cr3t#frag"
	for text, want := range map[string]string{
		"posting to " + u + " failed":       "posting to https://user:REDACTED@hooks.test/cb?REDACTED#REDACTED failed",
		"connection refused":                "connection refused",
		"":                                  "",
		"sig=s3cr3t seen twice: sig=s3cr3t": "REDACTED seen twice: REDACTED",
	} {
		if got := redactURLsIn(text, u); got != want {
			t.Errorf("redactURLsIn(%q) = %q, want %q", text, got, want)
		}
	}
	// A URL that does not parse redacts nothing (and does not fail).
	if got := redactURLsIn("text %zz", "http://h/%zz"); got != "text %zz" {
		t.Errorf("an unparsable URL: %q", got)
	}
}

// The wire form names a Teams user's cloud (public when the identifier
// names none), and a phone number's asserted ID only when something
// follows its last "_".
func TestWireIdentifierCloudAndAssertedID(t *testing.T) {
	for cloud, want := range map[client.Cloud]string{client.CloudGCCH: "gcch", client.CloudDoD: "dod", "": "public", client.CloudPublic: "public"} {
		m := wireIdentifier(client.MicrosoftTeamsUserIdentifier{UserID: "abc", Cloud: cloud}, client.APIVersion)
		if m.MicrosoftTeamsUser == nil || m.MicrosoftTeamsUser.Cloud == nil || string(*m.MicrosoftTeamsUser.Cloud) != want {
			t.Errorf("cloud %q: %+v", cloud, m.MicrosoftTeamsUser)
		}
	}
	for number, want := range map[string]string{"+15551234567_": "", "+15551234567_x": "x", "+15551234567": ""} {
		m := wireIdentifier(client.PhoneNumberIdentifier{PhoneNumber: number}, "2025-06-15")
		got := ""
		if m.PhoneNumber.AssertedId != nil {
			got = *m.PhoneNumber.AssertedId
		}
		if got != want || (want == "") != (m.PhoneNumber.AssertedId == nil) {
			t.Errorf("%s: asserted ID %v", number, m.PhoneNumber.AssertedId)
		}
	}
}

// logTB records what is logged through it.
type logTB struct {
	testing.TB
	logs []string
}

func (l *logTB) Logf(format string, args ...any) {
	l.logs = append(l.logs, fmt.Sprintf(format, args...))
}

// The first ten undelivered callbacks are logged one by one, and the count
// only when there were more; delivered ones and duplicates are not.
func TestLogUndelivered(t *testing.T) {
	undelivered := func(n int) []Delivery {
		ds := []Delivery{{Seq: 100, Delivered: true}, {Seq: 101, Duplicate: true}}
		for i := range n {
			ds = append(ds, Delivery{Seq: i + 1, Type: "T", URL: "http://h/cb?sig=s3cr3t", Err: "dropped"})
		}
		return ds
	}
	l := &logTB{TB: t}
	logUndelivered(l, undelivered(10))
	if len(l.logs) != 10 || !strings.HasPrefix(l.logs[9], "acstest: callback 10 ") || strings.Contains(strings.Join(l.logs, "\n"), "s3cr3t") {
		t.Errorf("ten undelivered: %q", l.logs)
	}
	l = &logTB{TB: t}
	logUndelivered(l, undelivered(11))
	if len(l.logs) != 11 || l.logs[10] != "acstest: 11 callbacks not delivered in all" {
		t.Errorf("eleven undelivered: %q", l.logs)
	}
}
