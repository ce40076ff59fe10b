package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

const upstreamDir = "../../../shared/upstream/specification/communication/data-plane/CallAutomation/"

func TestExitCodes(t *testing.T) {
	if _, err := os.Stat(upstreamDir); err != nil {
		t.Skipf("Microsoft's published documents are not beside the checkout: %v", err)
	}
	tests := []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{"-upstream", upstreamDir + "stable/2024-09-15/communicationservicescallautomation.json"}, 0, ""},
		{[]string{"-upstream", upstreamDir + "stable/2025-06-15/communicationservicescallautomation.json"}, 1, "teamsExtensionUser"},
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
