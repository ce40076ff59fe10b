package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
)

// NewTransport's settings, as documented.
func TestNewTransportSettings(t *testing.T) {
	tr := client.NewTransport()
	if tr.MaxIdleConns != 2*client.MaxConnsPerHost || tr.MaxIdleConnsPerHost != client.MaxConnsPerHost ||
		tr.MaxConnsPerHost != client.MaxConnsPerHost || tr.IdleConnTimeout != 90*time.Second || client.MaxConnsPerHost != 64 {
		t.Errorf("transport = MaxIdleConns %d, per host %d, max per host %d, idle timeout %v",
			tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost, tr.IdleConnTimeout)
	}
}

// Failures inside net/http before it asks for a connection send nothing.
func TestFailuresBeforeAConnectionIsAsked(t *testing.T) {
	srv := newRecorder(t)
	tr := client.NewTransport()
	tr.Proxy = func(*http.Request) (*url.URL, error) { return nil, errors.New("no proxy for you") }
	c := newKeyClient(t, srv.URL, &client.ClientOptions{HTTPClient: &http.Client{Transport: tr}, Retry: client.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond}})
	_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 2, false)
	c = newKeyClient(t, srv.URL, &client.ClientOptions{Retry: client.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond, TryTimeout: time.Nanosecond}})
	_, err = c.MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 2, false)
	if n := len(srv.seen()); n != 0 {
		t.Errorf("%d requests served", n)
	}
}

// Names under .localhost are never proxied: their credentials would cross
// to the proxy in clear text. (NewTransport's Proxy is
// ProxyUnlessLoopback(http.ProxyFromEnvironment); net/http reads the
// environment once per process, so the test gives the proxy directly.)
func TestLoopbackNamesAreNotProxied(t *testing.T) {
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		w.WriteHeader(502)
	}))
	defer proxy.Close()
	proxyURL, _ := url.Parse(proxy.URL)
	srv := newRecorder(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	tr := client.NewTransport()
	tr.Proxy = client.ProxyUnlessLoopback(http.ProxyURL(proxyURL))
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		// acs.localhost resolves to loopback here; the proxy has its own address.
		if strings.HasPrefix(addr, "acs.localhost:") {
			addr = "127.0.0.1:" + port
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	cred, _ := client.NewStaticTokenCredential("fake-clear-text-token")
	for _, endpoint := range []string{"http://acs.localhost:" + port, "http://localhost:" + port, "http://127.0.0.1:" + port} {
		c, err := client.NewClient(endpoint, cred, &client.ClientOptions{HTTPClient: &http.Client{Transport: tr}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.MuteParticipant(context.Background(), "call", acsUser, nil); err != nil {
			t.Fatalf("%s: %v", endpoint, err)
		}
	}
	if proxied.Load() != 0 || len(srv.seen()) != 3 {
		t.Errorf("%d requests went to the proxy, %d to the server", proxied.Load(), len(srv.seen()))
	}
	// Another host is still proxied.
	req, _ := http.NewRequest(http.MethodGet, "http://example.invalid/", nil)
	if u, err := tr.Proxy(req); err != nil || u == nil || u.Host != proxyURL.Host {
		t.Errorf("example.invalid: proxy %v, %v", u, err)
	}
}

// roundTripperFunc is an http.RoundTripper that is not net/http's.
type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// With http.DefaultTransport replaced by another RoundTripper (as mocking
// libraries do), a failure is not taken for "never sent", and NewTransport
// and NewClient still work.
func TestReplacedDefaultTransport(t *testing.T) {
	srv := newRecorder(t)
	var delivered atomic.Int64
	saved := http.DefaultTransport
	t.Cleanup(func() { http.DefaultTransport = saved })
	http.DefaultTransport = roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		delivered.Add(1) // it reached the server, say, and the answer was lost
		return nil, errors.New("connection reset by peer")
	})
	if tr := client.NewTransport(); tr == nil || tr.Proxy == nil {
		t.Fatal("NewTransport with a replaced DefaultTransport")
	}
	c := newKeyClient(t, srv.URL, &client.ClientOptions{HTTPClient: &http.Client{}, Retry: client.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond}})
	_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 2, true)
	if delivered.Load() != 2 {
		t.Errorf("%d attempts delivered", delivered.Load())
	}
	// Without an HTTP client of the caller's, the client's own transport
	// is used, not the replaced default.
	if _, err := newKeyClient(t, srv.URL, nil).MuteParticipant(context.Background(), "call", acsUser, nil); err != nil {
		t.Errorf("the client's own transport: %v", err)
	}
}
