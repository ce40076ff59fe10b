package drift

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Expectations are the differences a committed, reviewed file says to
// expect when our document is compared with an older published API version:
// API version to the difference lines (as Difference.String prints them).
//
// Our document models the newest version the project speaks, so against an
// older one it has things the older one lacks; each of them is written down
// once, with the version it is expected for, and anything else is drift.
type Expectations map[string][]string

// isAPIVersion reports whether s has the form of a Call Automation API
// version: a date, YYYY-MM-DD, optionally followed by "-preview".
func isAPIVersion(s string) bool {
	s = strings.TrimSuffix(s, "-preview")
	if len(s) != len("2006-01-02") {
		return false
	}
	for i, r := range s {
		if (i == 4 || i == 7) != (r == '-') || (r != '-' && (r < '0' || r > '9')) {
			return false
		}
	}
	return true
}

// ParseExpectations reads an expectations file: one expected difference per
// line, written as the API version, one space, and the difference as
// acsdrift prints it. Blank lines and lines starting with "#" are ignored.
// A line that does not start with an API version, or that repeats an
// earlier one, is an error naming its line number.
func ParseExpectations(r io.Reader) (Expectations, error) {
	out := Expectations{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		version, diff, ok := strings.Cut(line, " ")
		diff = strings.TrimSpace(diff)
		if !ok || diff == "" || !isAPIVersion(version) {
			return nil, fmt.Errorf("expectations line %d: want \"<api-version> <difference>\", such as \"2024-09-15 schema X: property y: only ours has it\"", n)
		}
		if seen[version+" "+diff] {
			return nil, fmt.Errorf("expectations line %d: repeats an earlier line", n)
		}
		seen[version+" "+diff] = true
		out[version] = append(out[version], diff)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading expectations: %w", err)
	}
	return out, nil
}

// Triage sorts the differences found against upstream API version into
// those the expectations list (expected) and the rest (unexpected), and
// returns the expected lines for that version that were not found (stale):
// a stale expectation means the file no longer describes the documents and
// must be reviewed too.
func (e Expectations) Triage(version string, diffs []Difference) (unexpected, expected []Difference, stale []string) {
	want := e[version]
	found := map[string]bool{}
	for _, d := range diffs {
		if slices.Contains(want, d.String()) {
			expected = append(expected, d)
			found[d.String()] = true
			continue
		}
		unexpected = append(unexpected, d)
	}
	for _, w := range want {
		if !found[w] {
			stale = append(stale, w)
		}
	}
	return unexpected, expected, stale
}
