package acstest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/acsmute/acsmute/openapi/wire"
)

// authenticate checks a request's Authorization the way the service does and
// returns a description of the failure, or "" when the request may proceed.
//
// HMAC-SHA256 is verified from the received request alone, following the
// service's published scheme rather than any client's code:
//
//	string to sign = METHOD "\n" path-and-query "\n" x-ms-date ";" host ";" x-ms-content-sha256
//	signature      = base64(HMAC-SHA256(base64-decoded access key, string to sign))
func (s *Server) authenticate(r *http.Request, body []byte) string {
	auth := r.Header.Get(wire.HeaderAuthorization)
	if auth == "" {
		return "the Authorization header is missing"
	}
	scheme, rest, _ := strings.Cut(auth, " ")
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		tok := strings.TrimSpace(rest)
		ok := 0
		for _, t := range s.secrets.tokens {
			ok |= subtle.ConstantTimeCompare([]byte(tok), []byte(t))
		}
		if ok == 1 {
			return ""
		}
		return "the bearer token is not valid"
	case strings.EqualFold(scheme, "HMAC-SHA256"):
		return s.verifyHMAC(r, body, rest)
	}
	return "the Authorization scheme is neither HMAC-SHA256 nor Bearer"
}

func (s *Server) verifyHMAC(r *http.Request, body []byte, params string) string {
	var signed, sig string
	for _, p := range strings.Split(params, "&") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(name) {
		case "signedheaders":
			signed = value
		case "signature":
			sig = value
		}
	}
	if sig == "" {
		return "the HMAC-SHA256 Authorization has no Signature"
	}
	if !strings.EqualFold(signed, "x-ms-date;host;x-ms-content-sha256") {
		return "SignedHeaders must be x-ms-date;host;x-ms-content-sha256"
	}

	date := r.Header.Get(wire.HeaderDate)
	if date == "" {
		return "the x-ms-date header is missing"
	}
	t, err := http.ParseTime(date)
	if err != nil {
		return "the x-ms-date header is not an HTTP date"
	}
	if d := s.now().Sub(t); d > s.skew || d < -s.skew {
		return fmt.Sprintf("x-ms-date is %v away from the server's clock; at most %v is allowed", d.Round(time.Second), s.skew)
	}

	hash := r.Header.Get(wire.HeaderContentSHA256)
	if hash == "" {
		return "the x-ms-content-sha256 header is missing"
	}
	sum := sha256.Sum256(body)
	if subtle.ConstantTimeCompare([]byte(hash), []byte(base64.StdEncoding.EncodeToString(sum[:]))) != 1 {
		return "x-ms-content-sha256 does not match the body"
	}

	pathAndQuery := r.RequestURI
	if !strings.HasPrefix(pathAndQuery, "/") {
		pathAndQuery = r.URL.RequestURI() // absolute-form request target
	}
	mac := hmac.New(sha256.New, s.secrets.key)
	mac.Write([]byte(r.Method + "\n" + pathAndQuery + "\n" + date + ";" + signedHost(r.Host, r.TLS != nil) + ";" + hash))
	want := mac.Sum(nil)
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, want) {
		return "the HMAC-SHA256 signature does not match the request"
	}
	return ""
}

// signedHost is the host a client signs for a request that arrived with this
// Host header: the official SDKs sign the URL's host, which leaves out the
// scheme's default port (":443" over TLS, ":80" otherwise), so a Host header
// that carries the default port is verified without it.
func signedHost(host string, overTLS bool) string {
	h, port, err := net.SplitHostPort(host)
	if err != nil || (overTLS && port != "443") || (!overTLS && port != "80") {
		return host
	}
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}
