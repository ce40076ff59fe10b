package client

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/acsmute/acsmute/gen"
)

// urlTemplate is the request URL that the generated request builder makes
// for this client's endpoint, split around the call connection ID. The
// builder is run once, when the client is made; each call then only
// path-escapes its ID, exactly as the builder does (url.PathEscape), instead
// of re-parsing the endpoint and re-encoding the query every time. A test
// checks that both give the same URL for any ID.
type urlTemplate struct {
	prefix, suffix string
}

// urlPlaceholder stands for the call connection ID; path escaping leaves it
// unchanged.
const urlPlaceholder = "ACSMUTECALLCONNECTIONID"

func newURLTemplate(endpoint string) (urlTemplate, error) {
	req, err := gen.NewCallConnectionMuteRequestWithBody(endpoint, urlPlaceholder,
		&gen.CallConnectionMuteParams{ApiVersion: APIVersion}, "application/json", nil)
	if err != nil {
		return urlTemplate{}, fmt.Errorf("acsmute: building the request URL: %w", err)
	}
	u := req.URL.String()
	i := strings.Index(u, urlPlaceholder)
	if i < 0 || strings.Count(u, urlPlaceholder) != 1 {
		return urlTemplate{}, errors.New("acsmute: the generated request URL has no single call connection ID")
	}
	return urlTemplate{prefix: u[:i], suffix: u[i+len(urlPlaceholder):]}, nil
}

// url returns the request URL for a call connection.
func (t urlTemplate) url(callConnectionID string) string {
	return t.prefix + url.PathEscape(callConnectionID) + t.suffix
}

// Canonical header names (as http.CanonicalHeaderKey makes them), so that
// headers are set without canonicalising on every call.
const (
	headerAccept                 = "Accept"
	headerAuthorization          = "Authorization"
	headerClientRequestID        = "X-Ms-Client-Request-Id"
	headerContentType            = "Content-Type"
	headerRepeatabilityFirstSent = "Repeatability-First-Sent"
	headerRepeatabilityRequestID = "Repeatability-Request-Id"
	headerRepeatabilityResult    = "Repeatability-Result"
	headerUserAgent              = "User-Agent"
)
