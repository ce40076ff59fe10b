package client

import (
	"context"
	"net/http"
	"time"
)

// Credential authorizes the requests a Client sends. The implementations are
// *KeyCredential (HMAC-SHA256 with the resource's access key),
// *StaticTokenCredential and *TokenCredential (bearer tokens). To plug in
// your own token source, implement TokenProvider and wrap it with
// NewTokenCredential.
type Credential interface {
	// authorize sets the Authorization header (and whatever else the scheme
	// signs) on one attempt of a request. body is the exact body sent and
	// bodyHash its base64 SHA-256 digest, computed once per call.
	authorize(ctx context.Context, req *http.Request, bodyHash string, now time.Time) error
}

// secretHolder is a credential that holds a secret it never sends (an
// access key), which the client keeps out of what it returns and logs all
// the same.
type secretHolder interface {
	heldSecret() string
}
