package client

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/idna"

	"github.com/acsmute/acsmute/gen"
)

// ClientOptions configures a Client. The zero value is ready to use.
type ClientOptions struct {
	// APIVersion is the Call Automation API version to speak: one of
	// SupportedAPIVersions. Empty means APIVersion, 2024-09-15. The version
	// decides the api-version parameter of every request and the wire form
	// of some identifiers (see TeamsExtensionUserIdentifier and
	// PhoneNumberIdentifier); answers of every version are read alike.
	APIVersion string

	// HTTPClient sends the requests. Nil means a client whose transport is
	// NewTransport(), tuned for many concurrent callers. The Client uses a
	// copy that never follows redirects (a 3xx answer is returned as a
	// *ResponseError), whatever CheckRedirect says; the value passed is not
	// modified. Its Timeout, if any, bounds each attempt; prefer
	// Retry.TryTimeout. Without a Jar or a Timeout, requests go straight
	// to its Transport when that is an *http.Transport, with the same
	// errors as through the http.Client.
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

// Client moderates participants of calls in one Communication Services
// resource. It is safe for concurrent use; create one per resource and
// share it.
type Client struct {
	endpoint string // scheme://host/ without a default port
	version  wireVersion
	api      *gen.ClientWithResponses
	cred     Credential
	http     *http.Client
	// transport is http's transport when http has neither a jar nor a
	// timeout, and so adds nothing to it: send then skips http. Otherwise nil.
	transport *http.Transport
	retry     RetryOptions
	// Header values every request shares; nothing modifies them.
	accept, userAgent []string
	logger            *slog.Logger
	clock             clock
	dates             *httpDates // Repeatability-First-Sent values
	// netHTTP: requests go straight to net/http's *http.Transport, whose
	// connection trace tells "never sent" reliably.
	netHTTP bool
	// held indexes the secrets of the credential that every operation
	// keeps out of what it returns and logs (redactor), built once; nil
	// when none.
	held *gramIndex
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
	if v := reflect.ValueOf(cred); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, invalidf("credential is a nil %T", cred)
	}
	if opts == nil {
		opts = &ClientOptions{}
	}
	ep, err := normalizeEndpoint(endpoint, opts.InsecureAllowHTTP)
	if err != nil {
		return nil, err
	}
	version, err := wireVersionOf(opts.APIVersion)
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
	var hc *http.Client
	if opts.HTTPClient != nil {
		copied := *opts.HTTPClient
		hc = &copied
	} else {
		hc = &http.Client{Transport: NewTransport()}
	}
	hc.CheckRedirect = refuseRedirect
	tr := hc.Transport
	if tr == nil {
		tr = http.DefaultTransport // which a program may have replaced
	}
	_, netHTTP := tr.(*http.Transport)
	// http.Client adds nothing to its transport's work without a jar or a
	// timeout: send skips it.
	direct, _ := hc.Transport.(*http.Transport)
	if hc.Jar != nil || hc.Timeout != 0 {
		direct = nil
	}
	c := &Client{
		netHTTP:   netHTTP,
		endpoint:  ep,
		version:   version,
		cred:      cred,
		http:      hc,
		transport: direct,
		retry:     retry,
		userAgent: []string{ua},
		accept:    []string{"application/json"},
		logger:    opts.Logger,
		clock:     realClock{},
		dates:     &httpDates{},
	}
	if h, ok := cred.(secretHolder); ok {
		c.held = newHeldIndex(h.heldSecret())
	}
	// The generated client builds each request (URL, parameters, body) and
	// parses each success; the pipeline sends and retries, and stampHeaders
	// adds the headers every attempt shares.
	c.api, err = gen.NewClientWithResponses(ep, gen.WithHTTPClient(pipeline{c}), gen.WithRequestEditorFn(c.stampHeaders))
	if err != nil {
		return nil, fmt.Errorf("acsmute: making the generated client: %w", err)
	}
	return c, nil
}

// refuseRedirect keeps net/http from following a redirect: the 3xx answer
// is returned as it is. Following one would send the request, and with a
// bearer token its credential, to wherever the answer points, and could turn
// a mute that never happened into a success.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// NewClientFromConnectionString returns a Client for the resource and
// access key in a connection string
// ("endpoint=https://<resource>.communication.azure.com/;accesskey=<base64>").
func NewClientFromConnectionString(connectionString string, opts *ClientOptions) (*Client, error) {
	cs, err := ParseConnectionString(connectionString)
	if err != nil {
		return nil, err
	}
	cred, err := NewKeyCredential(cs.AccessKey())
	if err != nil {
		return nil, err
	}
	return NewClient(cs.Endpoint, cred, opts)
}

// Endpoint returns the normalised endpoint the client sends requests to.
func (c *Client) Endpoint() string {
	if c == nil {
		return ""
	}
	return c.endpoint
}

// APIVersion returns the Call Automation API version the client speaks.
func (c *Client) APIVersion() string {
	if c == nil {
		return ""
	}
	return c.version.name
}

// String describes the client without revealing its credential.
func (c Client) String() string { return "acsmute.Client(" + c.endpoint + ")" }

// GoString describes the client without revealing its credential.
func (c Client) GoString() string { return c.String() }

// Format keeps every fmt verb from printing the client's credential.
func (c Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

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
//
// Its Proxy is http.ProxyFromEnvironment, except that localhost, names
// under .localhost and loopback addresses are never proxied (the client
// accepts http for them, so a proxy would see their credentials in clear
// text).
func NewTransport() *http.Transport {
	var t *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
	} else {
		// http.DefaultTransport was replaced: net/http's own settings.
		t = &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	t.Proxy = proxyUnlessLoopback(http.ProxyFromEnvironment)
	t.MaxIdleConns = 2 * MaxConnsPerHost
	t.MaxIdleConnsPerHost = MaxConnsPerHost
	t.MaxConnsPerHost = MaxConnsPerHost
	t.IdleConnTimeout = 90 * time.Second
	return t
}

// proxyUnlessLoopback returns a Proxy function that sends requests for
// localhost, names under .localhost and loopback addresses directly, and
// asks next for every other.
func proxyUnlessLoopback(next func(*http.Request) (*url.URL, error)) func(*http.Request) (*url.URL, error) {
	return func(req *http.Request) (*url.URL, error) {
		if isLoopback(strings.ToLower(req.URL.Hostname())) {
			return nil, nil
		}
		return next(req)
	}
}

// normalizeEndpoint validates an endpoint and returns it as scheme://host/,
// with an internationalised host in its ASCII (punycode) form, the form
// net/http sends and so the form the signature must cover. Its errors quote
// no more of the input than the scheme and the host, since a mistaken
// endpoint may hold a key (a connection string pasted whole, say).
func normalizeEndpoint(endpoint string, allowHTTP bool) (string, error) {
	if strings.TrimSpace(endpoint) == "" {
		return "", invalid("endpoint is empty")
	}
	if strings.Contains(strings.ToLower(endpoint), "accesskey=") {
		return "", invalid("endpoint looks like a connection string; pass it to NewClientFromConnectionString instead")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", invalid("endpoint is not a valid URL (want https://<resource>.communication.azure.com)")
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "https" && scheme != "http":
		return "", invalidf("endpoint scheme must be https (or http for a local emulator), not %q", truncate(u.Scheme, 16))
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return "", invalid("endpoint has no host (want https://<resource>.communication.azure.com)")
	case strings.Contains(u.Hostname(), "%"):
		return "", invalid("endpoint host must not carry an IPv6 zone")
	case u.User != nil:
		return "", invalid("endpoint must not contain user information")
	case u.Path != "" && u.Path != "/":
		return "", invalidf("endpoint must have no path: use %s (the client adds each operation's path)", printable(truncate(scheme+"://"+u.Host, 96)))
	case u.RawQuery != "" || u.ForceQuery:
		return "", invalidf("endpoint must have no query: use %s (the client adds the api-version)", printable(truncate(scheme+"://"+u.Host, 96)))
	case u.Fragment != "":
		return "", invalidf("endpoint must have no fragment: use %s", printable(truncate(scheme+"://"+u.Host, 96)))
	}
	host := strings.ToLower(u.Hostname())
	if !strings.Contains(host, ":") { // not an IPv6 literal
		if host, err = idna.Lookup.ToASCII(host); err != nil {
			return "", invalidf("endpoint host %q is not a valid host name", truncate(u.Hostname(), 64))
		}
	}
	if scheme == "http" && !allowHTTP && !isLoopback(host) {
		return "", invalidf("endpoint uses http on non-loopback host %q; use https, or set ClientOptions.InsecureAllowHTTP", host)
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", invalidf("endpoint port %q is not between 1 and 65535", truncate(port, 8))
		}
		host += ":" + port
	}
	return scheme + "://" + stripDefaultPort(scheme, host) + "/", nil
}

// isLoopback reports whether host is localhost or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
