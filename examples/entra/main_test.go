package main

import (
	"context"
	"strings"
	"testing"
)

// Without its settings the program says what it needs, before touching any
// credential (tests cannot reach Entra ID).
func TestRunExplainsWhatItNeeds(t *testing.T) {
	for _, args := range [][]string{nil, {"-call", "c"}, {"-participant", "8:acs:r_u"}} {
		err := run(context.Background(), args, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), "ACS_ENDPOINT") {
			t.Errorf("%v: %v", args, err)
		}
	}
	env := func(string) string { return "https://r.example" }
	if err := run(context.Background(), []string{"-call", "c", "-participant", "8:acs:"}, env); err == nil {
		t.Error("a malformed raw ID was accepted")
	}
}
