package client_test

import (
	"testing"

	"github.com/acsmute/acsmute/client"
)

// The scrubber at its bounds: a secret of 19 bytes is searched by its
// grams (a 15-byte run of it is found, not only the whole), a secret of 8
// bytes whole (at the end of a text too), the last gram of a secret whose
// length is a multiple of the gram length is searched, and a text of one
// gram's length is searched.
func TestScrubAtItsBounds(t *testing.T) {
	const s8, s19, s20 = "abcdefgh", "0123456789abcdefghi", "ABCDEFGHIJKLMNOPQRST"
	const sx = "QRSTUVWXYZqrstuvwxyz" // no hex digit in it
	for _, tt := range []struct{ text, secret, want string }{
		{s19[:15], s19, "REDACTED"},
		{"xx" + s8, s8, "xxREDACTED"},
		{s8 + "xx", s8, "REDACTEDxx"},
		{s20[1:], s20, "REDACTED"},
		{s20[:10], s20, "REDACTED"},
		{s20[10:], s20, "REDACTED"},
		{"x" + s20 + "y", s20, "xREDACTEDy"},
		{"x" + s19 + "y", s19, "xREDACTEDy"},
		// Split by DEL, and by an invisible character written as a JSON
		// surrogate pair (U+E0001); a pair cut short at the end.
		{s20[:10] + "\x7f" + s20[10:], s20, "REDACTED"},
		{sx[:10] + `\uDB40\uDC01` + sx[10:], sx, "REDACTED"},
		{s20 + `\uDB40\uDC0`, s20, `REDACTED\uDB40\uDC0`},
		// What reads as nothing joins (a zero-width space, a byte that is
		// not UTF-8); a visible U+FFFD splits; escapes are read and
		// replaced whole.
		{"x" + s20[:10] + "\u200b" + s20[10:] + "y", s20, "xREDACTEDy"},
		{"x" + s20[:10] + "\xff" + s20[10:] + "y", s20, "xREDACTEDy"},
		{"x" + s20[:10] + "\ufffd" + s20[10:] + "y", s20, "xREDACTED\ufffdREDACTEDy"},
		{"é" + s20 + "é", s20, "éREDACTEDé"},
		// A backslash and u before four characters that are not all hex
		// digits is no escape.
		{`0\u004XABCDEFGHIJKLMN`, `0\u004XABCDEFGHIJKLMN`, "REDACTED"},
		// Percent escapes with every bounding hex digit, in either case.
		{"ABCDEFGHIJKLMN%4fPQRST", s20, "REDACTED"},
		{"ABCDEFGHIJKLMN%4FPQRST", s20, "REDACTED"},
		{"ABCDEFGHI%4aKLMNOPQRST", s20, "REDACTED"},
		{"ABCDEFGHI%4AKLMNOPQRST", s20, "REDACTED"},
		{"%30123456789abcdefghi", s19, "REDACTED"},
		{"012345678%39abcdefghi", s19, "REDACTED"},
		{"x" + `ABCDEFGHIJ\/KLMNOPQRS` + "y", "ABCDEFGHIJ/KLMNOPQRS", "xREDACTEDy"},
		{"x" + `ABCDEFGHIJKLMNOPQRS\/` + "y", "ABCDEFGHIJKLMNOPQRS/", "xREDACTEDy"},
		{"x" + `\u0041BCDEFGHIJKLMNOPQRS\u0054` + "y", s20, "xREDACTEDy"},
	} {
		if got := client.Scrub(tt.text, tt.secret); got != tt.want {
			t.Errorf("Scrub(%q, %q) = %q, want %q", tt.text, tt.secret, got, tt.want)
		}
	}
}

// Secrets found out of order, and next to each other, are each replaced:
// the spans are sorted and merged.
func TestScrubSeveralSecrets(t *testing.T) {
	for text, want := range map[string]string{
		"abcdefgh-12345678": "REDACTED-REDACTED",
		"abcdefgh12345678":  "REDACTED",
		"12345678abcdefgh":  "REDACTED",
	} {
		if got := client.Scrub(text, "12345678", "abcdefgh"); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", text, got, want)
		}
	}
}
