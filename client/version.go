package client

import (
	"fmt"
	"slices"
	"strings"
)

// Version is the version of this library, sent in the User-Agent header.
const Version = "0.1.0"

// APIVersion is the Call Automation API version a Client speaks when
// ClientOptions.APIVersion is empty. It is sent as the api-version query
// parameter of every request.
//
// It stays the oldest supported version, 2024-09-15, so that upgrading this
// library never changes what an existing program sends; choose a newer one
// with ClientOptions.APIVersion.
const APIVersion = "2024-09-15"

// The API versions this library speaks, oldest first.
const (
	apiVersion20240915 = APIVersion
	apiVersion20250615 = "2025-06-15"
	apiVersion20260312 = "2026-03-12"
)

// SupportedAPIVersions returns the Call Automation API versions a Client can
// speak, oldest first: "2024-09-15" (the default), "2025-06-15" and
// "2026-03-12". The slice is the caller's to modify.
func SupportedAPIVersions() []string {
	return []string{apiVersion20240915, apiVersion20250615, apiVersion20260312}
}

// wireVersion is what differs on the wire between API versions.
type wireVersion struct {
	name string
	// extensionUsers: the version has the teamsExtensionUser identifier kind
	// and phone numbers' isAnonymous and assertedId (Common 2025-06-30).
	extensionUsers bool
	// unholdCallback: the version's unhold request has operationCallbackUri.
	unholdCallback bool
}

// wireVersionOf returns the wire rules of a supported API version; the
// empty string means APIVersion.
func wireVersionOf(v string) (wireVersion, error) {
	if v == "" {
		v = APIVersion
	}
	if !slices.Contains(SupportedAPIVersions(), v) {
		// Quoted only when it looks like a version: a value pasted into the
		// wrong place may be a secret.
		what := "APIVersion"
		if len(v) <= 32 && strings.Trim(v, "0123456789abcdefghijklmnopqrstuvwxyz-.") == "" {
			what += fmt.Sprintf(" %q", v)
		}
		return wireVersion{}, invalidf("%s is not supported (want one of %s)", what, strings.Join(SupportedAPIVersions(), ", "))
	}
	return wireVersion{name: v, extensionUsers: v >= apiVersion20250615, unholdCallback: v >= apiVersion20250615}, nil
}
