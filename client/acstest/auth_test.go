package acstest_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client/acstest"
)

// Clients sign the host without the scheme's default port (":80" for http,
// ":443" for https), as the official SDKs do, while the Host header may
// carry it: the emulator verifies such requests, over plain HTTP and when
// it is served over TLS.
func TestSignedHostLeavesOutTheDefaultPort(t *testing.T) {
	srv := newServer(t, nil)
	tlsSrv := httptest.NewTLSServer(srv)
	t.Cleanup(tlsSrv.Close)
	tests := []struct {
		name       string
		tls        bool
		hostHeader string
		signHost   string
		status     int
	}{
		{"http, :80 in Host, signed without", false, "127.0.0.1:80", "127.0.0.1", 200},
		{"http, name with :80", false, "localhost:80", "localhost", 200},
		{"http, IPv6 with :80", false, "[::1]:80", "[::1]", 200},
		{"http, no port", false, "127.0.0.1", "127.0.0.1", 200},
		{"http, :80 in Host, signed with", false, "127.0.0.1:80", "127.0.0.1:80", 401},
		{"http, :443 is not the default", false, "127.0.0.1:443", "127.0.0.1", 401},
		{"http, :443 signed as sent", false, "127.0.0.1:443", "127.0.0.1:443", 200},
		{"http, other port", false, "127.0.0.1:8080", "127.0.0.1", 401},
		{"https, :443 in Host, signed without", true, "127.0.0.1:443", "127.0.0.1", 200},
		{"https, IPv6 with :443", true, "[::1]:443", "[::1]", 200},
		{"https, :443 in Host, signed with", true, "127.0.0.1:443", "127.0.0.1:443", 401},
		{"https, :80 is not the default", true, "127.0.0.1:80", "127.0.0.1", 401},
		{"https, :80 signed as sent", true, "127.0.0.1:80", "127.0.0.1:80", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := rawRequest{body: muteBody(alice, ""), host: tt.hostHeader, signHost: tt.signHost}
			if tt.tls {
				rr.base, rr.client = tlsSrv.URL, tlsSrv.Client()
			}
			resp, b := rr.do(t, srv)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d %v, want %d", resp.StatusCode, b, tt.status)
			}
			reqs := srv.Requests()
			if got := reqs[len(reqs)-1].Host; got != tt.hostHeader {
				t.Errorf("the server saw Host %q, not %q", got, tt.hostHeader)
			}
		})
	}
}

// x-ms-date may be exactly MaxClockSkew away from the server's clock, on
// either side, and no further.
func TestDateSkewBoundaries(t *testing.T) {
	const skew = 3 * time.Minute
	clk := newFakeClock(time.Date(2025, time.March, 9, 12, 0, 0, 0, time.UTC))
	srv := newServer(t, &acstest.Options{Now: clk.Now, MaxClockSkew: skew})
	for _, tt := range []struct {
		offset time.Duration
		status int
	}{{skew, 200}, {-skew, 200}, {skew + time.Second, 401}, {-skew - time.Second, 401}} {
		resp, b := rawRequest{body: muteBody(bob, ""), date: clk.Now().Add(tt.offset)}.do(t, srv)
		if resp.StatusCode != tt.status {
			t.Errorf("x-ms-date %v from the clock: status %d %v, want %d", tt.offset, resp.StatusCode, b, tt.status)
		}
	}
}
