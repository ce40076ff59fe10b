package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

const (
	upstreamDir = "../../../shared/upstream/specification/communication/data-plane/CallAutomation/"
	expected    = "../../openapi/drift-expected.txt"
)

func TestExitCodes(t *testing.T) {
	if _, err := os.Stat(upstreamDir); err != nil {
		t.Skipf("Microsoft's published documents are not beside the checkout: %v", err)
	}
	tests := []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{"-upstream", upstreamDir + "stable/2026-03-12/communicationservicescallautomation.json"}, 0, ""},
		{[]string{"-upstream", upstreamDir + "stable/2025-06-15/communicationservicescallautomation.json", "-expected", expected}, 0, ""},
		{[]string{"-upstream", upstreamDir + "stable/2024-09-15/communicationservicescallautomation.json", "-expected", expected}, 0, ""},
		// Without the file, or under another version's name, the same differences are drift.
		{[]string{"-upstream", upstreamDir + "stable/2024-09-15/communicationservicescallautomation.json"}, 1, "teamsExtensionUser"},
		{[]string{"-upstream", upstreamDir + "stable/2024-09-15/communicationservicescallautomation.json", "-expected", expected, "-version", "2025-06-15"}, 1, "only ours has it"},
		// An expectation for a version that no longer shows it is stale.
		{[]string{"-upstream", upstreamDir + "stable/2026-03-12/communicationservicescallautomation.json", "-expected", expected, "-version", "2024-09-15"}, 1, "expected for 2024-09-15 but not found"},
		{[]string{"-upstream", upstreamDir + "stable/2026-03-12/communicationservicescallautomation.json", "-expected", "missing.txt"}, 2, ""},
		{[]string{"-upstream", upstreamDir + "stable/2026-03-12/communicationservicescallautomation.json", "-expected", "main.go"}, 2, ""},
		{[]string{"-upstream", upstreamDir + "missing.json"}, 2, ""},
		{[]string{"-bogus"}, 2, ""},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tt.args, &out, &errOut)
		if code != tt.code || !strings.Contains(out.String(), tt.stdout) || (tt.stdout == "" && out.Len() != 0) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", tt.args, code, out.String(), errOut.String())
		}
	}
}
