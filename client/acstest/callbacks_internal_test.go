package acstest

import "testing"

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
