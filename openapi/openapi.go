// Package openapi embeds the hand-maintained OpenAPI 3 document of the mute
// operation, mute.yaml, so that programs (such as the acstest emulator) can
// validate requests against the same document gen/ is generated from.
package openapi

import _ "embed"

//go:embed mute.yaml
var document []byte

// Document returns a copy of the OpenAPI document (YAML).
func Document() []byte {
	return append([]byte(nil), document...)
}
