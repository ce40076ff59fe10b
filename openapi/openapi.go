// Package openapi embeds the hand-maintained OpenAPI 3 document of the mute
// operation, mute.yaml, so that programs (such as the acstest emulator and
// the drift check) use the same document gen/ is generated from.
package openapi

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed mute.yaml
var document []byte

// Document returns a copy of the OpenAPI document (YAML).
func Document() []byte {
	return append([]byte(nil), document...)
}

// Load parses the document with kin-openapi and validates it.
func Load(ctx context.Context) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("loading the OpenAPI document: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is invalid: %w", err)
	}
	return doc, nil
}
