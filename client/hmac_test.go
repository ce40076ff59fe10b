package client

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The published HMAC test vectors of Microsoft's official SDKs: key "pw==",
// GET with an empty body, x-ms-date "Wed, 13 Apr 2022 18:09:12 GMT".
func TestKeyCredentialPublishedVectors(t *testing.T) {
	date := time.Date(2022, time.April, 13, 18, 9, 12, 0, time.UTC)
	tests := []struct {
		url  string
		want string
	}{
		{"https://example.com/testPath?testQuery=test", "DGdgwggJWnQyc6EHjR/Vbqg1ES64KpD6U2XwTDDj3tU="},
		{"https://example.com/testPath", "+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU="},
		{"https://contoso.communicationservices.azure.com/", "88MDmJhUR3m5QhFxb8ztShsSwlGrg7g/6XPnWf7QEO4="},
		{"https://contoso.communicationservices.azure.com/testPath?testQuery=yes", "il99+rd6V5O136roX/zVePCNle78HmvC4B7tu9zRH3I="},
		// The default port is not part of the signed host.
		{"https://contoso.communicationservices.azure.com:443/testPath?testQuery=yes", "il99+rd6V5O136roX/zVePCNle78HmvC4B7tu9zRH3I="},
	}
	cred, err := NewKeyCredential("pw==")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := cred.authorize(context.Background(), req, contentHash(nil), date); err != nil {
				t.Fatal(err)
			}
			if got := req.Header.Get("x-ms-date"); got != "Wed, 13 Apr 2022 18:09:12 GMT" {
				t.Errorf("x-ms-date = %q", got)
			}
			if got := req.Header.Get("x-ms-content-sha256"); got != "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" {
				t.Errorf("x-ms-content-sha256 = %q, want the SHA-256 of nothing", got)
			}
			want := "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" + tt.want
			if got := req.Header.Get("Authorization"); got != want {
				t.Errorf("Authorization = %q\nwant            %q", got, want)
			}
		})
	}
}

func TestSigningHost(t *testing.T) {
	tests := []struct{ url, host, want string }{
		{"https://a.example:443/", "", "a.example"},
		{"http://127.0.0.1:80/", "", "127.0.0.1"},
		{"http://127.0.0.1:8080/", "", "127.0.0.1:8080"},
		{"https://a.example:80/", "", "a.example:80"},
		{"http://[::1]:80/", "", "[::1]"},
		{"http://[::1]:9/", "", "[::1]:9"},
		{"https://a.example/", "b.example:443", "b.example"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodPost, tt.url, nil)
		req.Host = tt.host
		if got := signingHost(req); got != tt.want {
			t.Errorf("signingHost(%s, Host=%q) = %q, want %q", tt.url, tt.host, got, tt.want)
		}
	}
}

func TestNewKeyCredentialRejectsBadKeys(t *testing.T) {
	const secret = "c2VjcmV0LWtleS1mb3ItdGVzdHM=!"
	for _, key := range []string{"", "not base64", secret, "YQ"} {
		_, err := NewKeyCredential(key)
		if err == nil {
			t.Errorf("NewKeyCredential(%q) succeeded", key)
			continue
		}
		if key != "" && strings.Contains(err.Error(), key) {
			t.Errorf("error %q repeats the key", err)
		}
	}
}
