package client

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"
)

// ClientOptions configures a Client. The zero value is ready to use.
type ClientOptions struct {
	// HTTPClient sends the requests. Nil means a client whose transport is
	// NewTransport(), tuned for many concurrent callers. Its Timeout, if
	// any, bounds each attempt; prefer Retry.TryTimeout.
	HTTPClient *http.Client

	// Retry configures retries of failed attempts.
	Retry RetryOptions

	// ApplicationID, when set, is put before this library's name in the
	// User-Agent header, for telemetry. At most 24 printable characters
	// without spaces.
	ApplicationID string

	// InsecureAllowHTTP lets the endpoint use http:// on a host other than
	// localhost or a loopback address. Credentials then cross the network in
	// the clear; use it only for test setups that need it.
	InsecureAllowHTTP bool

	// Logger, when set, receives one record per attempt: method, URL
	// without query, status or error, attempt number and the delay before
	// the next attempt. Secrets are never logged.
	Logger *slog.Logger
}

// Client mutes participants of calls in one Communication Services
// resource. It is safe for concurrent use; create one per resource and
// share it.
type Client struct {
	endpoint    string // scheme://host/ without a default port
	urlTemplate urlTemplate
	cred        Credential
	http        *http.Client
	retry       RetryOptions
	userAgent   string
	logger      *slog.Logger
	now         func() time.Time
}

// NewClient returns a Client for the resource at endpoint (for example
// "https://my-resource.communication.azure.com"), authorized by cred.
//
// The endpoint must be an absolute https URL with no path other than "/",
// no query, fragment or user information. http is accepted for localhost
// and loopback addresses (such as the acstest emulator) and, with
// ClientOptions.InsecureAllowHTTP, anywhere.
func NewClient(endpoint string, cred Credential, opts *ClientOptions) (*Client, error) {
	if cred == nil {
		return nil, invalid("credential is nil")
	}
	if opts == nil {
		opts = &ClientOptions{}
	}
	ep, err := normalizeEndpoint(endpoint, opts.InsecureAllowHTTP)
	if err != nil {
		return nil, err
	}
	retry, err := opts.Retry.withDefaults()
	if err != nil {
		return nil, err
	}
	ua := "acsmute/" + Version + " (" + runtime.Version() + "; " + runtime.GOOS + ")"
	if id := opts.ApplicationID; id != "" {
		if len(id) > 24 || strings.IndexFunc(id, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0 {
			return nil, invalid("ApplicationID must be at most 24 printable ASCII characters without spaces")
		}
		ua = id + " " + ua
	}
	tmpl, err := newURLTemplate(ep)
	if err != nil {
		return nil, err
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: NewTransport()}
	}
	return &Client{
		endpoint:    ep,
		urlTemplate: tmpl,
		cred:        cred,
		http:        hc,
		retry:       retry,
		userAgent:   ua,
		logger:      opts.Logger,
		now:         time.Now,
	}, nil
}

// NewClientFromConnectionString returns a Client for the resource and
// access key in a connection string
// ("endpoint=https://<resource>.communication.azure.com/;accesskey=<base64>").
func NewClientFromConnectionString(connectionString string, opts *ClientOptions) (*Client, error) {
	cs, err := ParseConnectionString(connectionString)
	if err != nil {
		return nil, err
	}
	cred, err := NewKeyCredential(cs.AccessKey)
	if err != nil {
		return nil, err
	}
	return NewClient(cs.Endpoint, cred, opts)
}

// Endpoint returns the normalised endpoint the client sends requests to.
func (c *Client) Endpoint() string { return c.endpoint }

// String describes the client without revealing its credential.
func (c *Client) String() string { return "acsmute.Client(" + c.endpoint + ")" }

// GoString describes the client without revealing its credential.
func (c *Client) GoString() string { return c.String() }

// Format keeps every fmt verb from printing the client's credential.
func (c *Client) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }

// MaxConnsPerHost is the connection limit of the transport NewTransport
// makes: every connection up to it is kept alive and reused between calls.
const MaxConnsPerHost = 64

// NewTransport returns the *http.Transport a Client uses when
// ClientOptions.HTTPClient is nil: http.DefaultTransport's settings, but
// keeping up to MaxConnsPerHost idle connections per host instead of 2 and
// opening no more than that many, so that a Client shared by many goroutines
// reuses connections instead of churning them. Over HTTP/1.1, callers beyond
// the limit wait for a free connection; over HTTP/2 (the service's usual
// protocol) requests share connections anyway.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * MaxConnsPerHost
	t.MaxIdleConnsPerHost = MaxConnsPerHost
	t.MaxConnsPerHost = MaxConnsPerHost
	t.IdleConnTimeout = 90 * time.Second
	return t
}

// normalizeEndpoint validates an endpoint and returns it as scheme://host/.
func normalizeEndpoint(endpoint string, allowHTTP bool) (string, error) {
	if strings.TrimSpace(endpoint) == "" {
		return "", invalid("endpoint is empty")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", invalidf("endpoint is not a URL: %w", err)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "https" && scheme != "http":
		return "", invalidf("endpoint scheme must be https (or http for a local emulator), not %q", truncate(u.Scheme, 16))
	case u.Host == "" || u.Hostname() == "":
		return "", invalid("endpoint has no host")
	case u.User != nil:
		return "", invalid("endpoint must not contain user information")
	case u.Path != "" && u.Path != "/":
		return "", invalidf("endpoint must have no path, got %q", truncate(u.Path, 64))
	case u.RawQuery != "" || u.ForceQuery:
		return "", invalid("endpoint must have no query")
	case u.Fragment != "":
		return "", invalid("endpoint must have no fragment")
	}
	if scheme == "http" && !allowHTTP && !isLoopback(u.Hostname()) {
		return "", invalidf("endpoint uses http on non-loopback host %q; use https, or set ClientOptions.InsecureAllowHTTP", u.Hostname())
	}
	return scheme + "://" + strings.ToLower(stripDefaultPort(scheme, u.Host)) + "/", nil
}

// isLoopback reports whether host is localhost or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
