// Package openapi embeds the hand-maintained OpenAPI 3 document of the
// operations acsmute covers (mute, hold, unhold and remove a participant,
// read one, list them) and of the callback events about them, mute.yaml, so
// that programs (such as the acstest emulator and the drift check) use the
// same document gen/ is generated from.
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

// The extensions that mark what the document has that older API versions
// lack: x-acsmute-since on a schema (the first API version that has it) and
// x-acsmute-enum-since on an enum schema (for each listed value, the first
// version that has it). API versions are dates, so they compare as strings.
const (
	ExtensionSince     = "x-acsmute-since"
	ExtensionEnumSince = "x-acsmute-enum-since"
)

// LoadVersion loads the document as it stands for one API version, such as
// "2024-09-15": Load's document without the properties whose schema is
// marked as added after that version, and without the enum values marked so.
// The acstest emulator validates each version's requests against it.
func LoadVersion(ctx context.Context, version string) (*openapi3.T, error) {
	doc, err := Load(ctx)
	if err != nil {
		return nil, err
	}
	later := func(ext map[string]any, key string) (bool, error) {
		v, ok := ext[key]
		if !ok {
			return false, nil
		}
		since, ok := v.(string)
		if !ok || since == "" {
			return false, fmt.Errorf("the OpenAPI document's %s is %v, not an API version", key, v)
		}
		return since > version, nil
	}
	for name, ref := range doc.Components.Schemas {
		s := ref.Value
		for prop, p := range s.Properties {
			if p.Value == nil {
				continue
			}
			drop, err := later(p.Value.Extensions, ExtensionSince)
			if err != nil {
				return nil, fmt.Errorf("schema %s.%s: %w", name, prop, err)
			}
			if drop {
				delete(s.Properties, prop)
			}
		}
		raw, ok := s.Extensions[ExtensionEnumSince]
		if !ok {
			continue
		}
		values, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("schema %s: %s is not a map of enum values to API versions", name, ExtensionEnumSince)
		}
		kept := s.Enum[:0:0]
		for _, e := range s.Enum {
			key, _ := e.(string)
			drop, err := later(values, key)
			if err != nil {
				return nil, fmt.Errorf("schema %s enum value %q: %w", name, key, err)
			}
			if !drop {
				kept = append(kept, e)
			}
		}
		s.Enum = kept
	}
	return doc, nil
}
