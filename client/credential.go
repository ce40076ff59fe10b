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
