package client

import "testing"

// JSON media types: application/json and any type with a +json suffix
// after a subtype name; a bare "+json" names no subtype.
func TestIsJSON(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json":                true,
		"Application/JSON; charset=utf-8": true,
		"application/problem+json":        true,
		"application/a+json":              true,
		"application/+json":               false,
		"text/plain":                      false,
		"application/json/x":              false,
		"/json":                           false,
	} {
		if got := isJSON(ct); got != want {
			t.Errorf("isJSON(%q) = %v, want %v", ct, got, want)
		}
	}
}
