//go:build tools

// This file pins the code generator in go.mod so that `go generate` runs the
// same version on every machine.
package acsmute

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
