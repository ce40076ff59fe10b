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
	s, err := NewServer(&Options{AccessKey: "pw==", Now: func() time.Time { return date.Add(time.Minute) }})
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
