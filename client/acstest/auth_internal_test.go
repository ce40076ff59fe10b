package acstest

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// Requests signed by Microsoft's official SDKs verify: the published test
// vectors (key "pw==", GET, empty body) are accepted as they stand, and
// refused when any signed part changes.
func TestAuthenticateAcceptsPublishedVectors(t *testing.T) {
	date := time.Date(2022, time.April, 13, 18, 9, 12, 0, time.UTC)
	s, err := NewServer(&Options{Credentials: NewCredentials("pw=="), Now: func() time.Time { return date.Add(time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vectors := []struct{ host, pathAndQuery, sig string }{
		{"example.com", "/testPath?testQuery=test", "DGdgwggJWnQyc6EHjR/Vbqg1ES64KpD6U2XwTDDj3tU="},
		{"example.com", "/testPath", "+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU="},
		{"contoso.communicationservices.azure.com", "/", "88MDmJhUR3m5QhFxb8ztShsSwlGrg7g/6XPnWf7QEO4="},
		{"contoso.communicationservices.azure.com", "/testPath?testQuery=yes", "il99+rd6V5O136roX/zVePCNle78HmvC4B7tu9zRH3I="},
	}
	request := func(host, pathAndQuery, sig string) *http.Request {
		u, _ := url.ParseRequestURI(pathAndQuery)
		return &http.Request{
			Method:     http.MethodGet,
			Host:       host,
			RequestURI: pathAndQuery,
			URL:        u,
			Header: http.Header{
				"X-Ms-Date":           {"Wed, 13 Apr 2022 18:09:12 GMT"},
				"X-Ms-Content-Sha256": {"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
				"Authorization":       {"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" + sig},
			},
		}
	}
	for _, v := range vectors {
		if why := s.authenticate(request(v.host, v.pathAndQuery, v.sig), nil); why != "" {
			t.Errorf("%s%s: refused: %s", v.host, v.pathAndQuery, why)
		}
		if why := s.authenticate(request(v.host+".evil", v.pathAndQuery, v.sig), nil); why == "" {
			t.Errorf("%s%s: accepted with another host", v.host, v.pathAndQuery)
		}
		if why := s.authenticate(request(v.host, v.pathAndQuery+"x", v.sig), nil); why == "" {
			t.Errorf("%s%s: accepted with another path", v.host, v.pathAndQuery)
		}
		if why := s.authenticate(request(v.host, v.pathAndQuery, v.sig), []byte("x")); why == "" {
			t.Errorf("%s%s: accepted with another body", v.host, v.pathAndQuery)
		}
	}
}

// signedHost leaves out the default port of the connection's scheme, and
// only that port.
func TestSignedHost(t *testing.T) {
	tests := []struct {
		host    string
		overTLS bool
		want    string
	}{
		{"example.com:80", false, "example.com"},
		{"example.com:443", true, "example.com"},
		{"[::1]:80", false, "[::1]"},
		{"[::1]:443", true, "[::1]"},
		{"[fe80::1%25eth0]:443", true, "[fe80::1%25eth0]"},
		{"example.com:443", false, "example.com:443"},
		{"example.com:80", true, "example.com:80"},
		{"example.com:8080", false, "example.com:8080"},
		{"example.com:8443", true, "example.com:8443"},
		{"example.com", false, "example.com"},
		{"example.com", true, "example.com"},
		{"[::1]", true, "[::1]"},
		{"", false, ""},
	}
	for _, tt := range tests {
		if got := signedHost(tt.host, tt.overTLS); got != tt.want {
			t.Errorf("signedHost(%q, tls=%v) = %q, want %q", tt.host, tt.overTLS, got, tt.want)
		}
	}
}

// The documented defaults, and a short ReadTimeout bounding the headers too.
func TestServerDefaults(t *testing.T) {
	s, err := NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.http.ReadTimeout != 30*time.Second || s.http.ReadHeaderTimeout != 10*time.Second || s.http.IdleTimeout != 2*time.Minute || s.maxRequests != 10_000 {
		t.Errorf("defaults: read %v, headers %v, idle %v, log %d", s.http.ReadTimeout, s.http.ReadHeaderTimeout, s.http.IdleTimeout, s.maxRequests)
	}
	s2, err := NewServer(&Options{ReadTimeout: 2 * time.Second, MaxRequests: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.http.ReadTimeout != 2*time.Second || s2.http.ReadHeaderTimeout != 2*time.Second || s2.maxRequests != 7 {
		t.Errorf("options: read %v, headers %v, log %d", s2.http.ReadTimeout, s2.http.ReadHeaderTimeout, s2.maxRequests)
	}
}
