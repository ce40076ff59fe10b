package client

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/acsmute/acsmute/openapi/wire"
)

// signedHeaders lists the headers HMAC-SHA256 signing covers, in order.
const signedHeaders = "x-ms-date;host;x-ms-content-sha256"

// KeyCredential signs requests with a Communication Services access key,
// using the HMAC-SHA256 scheme of the service: the string to sign is
//
//	METHOD "\n" path-and-query "\n" x-ms-date ";" host ";" x-ms-content-sha256
//
// and the Authorization header carries its base64 HMAC under the decoded key.
//
// A KeyCredential is safe for concurrent use. Its String, GoString and
// Format output never contain the key.
type KeyCredential struct {
	// pool holds signers (an HMAC state keyed with the access key and a
	// buffer for the string to sign), reused across calls. It is a pointer
	// so that a copied KeyCredential value prints nothing of the key
	// either.
	pool *sync.Pool
	// dates formats x-ms-date values, each second once.
	dates *httpDates
	// accessKey is the key as given, for the client to keep it out of what
	// it returns and logs (a key pasted where a call connection ID goes
	// would be echoed in an error's URL). A pointer, as pool is.
	accessKey *string
}

// NewKeyCredential returns a credential for the base64 access key found in
// the Azure portal or in a connection string. It fails, without repeating
// the key, when the key is empty or not valid base64.
func NewKeyCredential(accessKey string) (*KeyCredential, error) {
	if accessKey == "" {
		return nil, invalid("access key is empty")
	}
	key, err := base64.StdEncoding.DecodeString(accessKey)
	if err != nil {
		return nil, invalid("access key is not valid base64")
	}
	return &KeyCredential{
		pool: &sync.Pool{New: func() any {
			return &signer{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 512)}
		}},
		dates:     &httpDates{},
		accessKey: &accessKey,
	}, nil
}

// heldSecret implements secretHolder.
func (c *KeyCredential) heldSecret() string {
	if c == nil || c.accessKey == nil {
		return ""
	}
	return *c.accessKey
}

// String describes the credential without revealing the key.
func (c KeyCredential) String() string { return "KeyCredential(REDACTED)" }

// GoString describes the credential without revealing the key.
func (c KeyCredential) GoString() string { return "&client.KeyCredential{REDACTED}" }

// Format writes String for every verb, so that no fmt verb reveals the key.
func (c KeyCredential) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue implements slog.LogValuer with the redacted form.
func (c KeyCredential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalText returns the redacted form.
func (c KeyCredential) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// authorize implements Credential.
func (c *KeyCredential) authorize(_ context.Context, req *http.Request, bodyHash string, now time.Time) error {
	if c == nil || c.pool == nil || c.dates == nil {
		return errors.New("the KeyCredential was not made by NewKeyCredential")
	}
	date := c.dates.format(now)
	vals := make([]string, 3) // one allocation for the three values
	vals[0], vals[1] = date, bodyHash
	vals[2] = c.authorization(req.Method, req.URL.RequestURI(), date, signingHost(req), bodyHash)
	req.Header[wire.HeaderDate] = vals[0:1:1]
	req.Header[wire.HeaderContentSHA256] = vals[1:2:2]
	req.Header[wire.HeaderAuthorization] = vals[2:3:3]
	return nil
}

const authorizationPrefix = "HMAC-SHA256 SignedHeaders=" + signedHeaders + "&Signature="

// signer is what signing one request needs, pooled: the keyed HMAC state
// and a buffer for the string to sign (which, handed to the hash through an
// interface, would otherwise be allocated on every call).
type signer struct {
	mac hash.Hash
	buf []byte
}

// maxPooledSignBuffer bounds the string-to-sign buffer a signer keeps, so
// that one very long URL does not pin memory in the pool.
const maxPooledSignBuffer = 4 << 10

// keptBuffer is the buffer a signer keeps after using used in place of
// old: used, emptied, unless it grew past maxPooledSignBuffer.
func keptBuffer(used, old []byte) []byte {
	if cap(used) > maxPooledSignBuffer {
		return old[:0]
	}
	return used[:0]
}

// authorization returns the Authorization header value for a request.
func (c *KeyCredential) authorization(method, pathAndQuery, date, host, bodyHash string) string {
	s := c.pool.Get().(*signer)
	b := append(s.buf[:0], method...)
	b = append(b, '\n')
	b = append(b, pathAndQuery...)
	b = append(b, '\n')
	b = append(b, date...)
	b = append(b, ';')
	b = append(b, host...)
	b = append(b, ';')
	b = append(b, bodyHash...)

	s.mac.Reset()
	s.mac.Write(b)
	var sum [sha256.Size]byte
	s.mac.Sum(sum[:0])
	s.buf = keptBuffer(b, s.buf)
	c.pool.Put(s)

	var out [128]byte // the prefix (71 bytes) and the base64 of 32 bytes (44)
	o := append(out[:0], authorizationPrefix...)
	o = base64.StdEncoding.AppendEncode(o, sum[:])
	return string(o)
}

// signingHost is the host the server sees in the Host header, without the
// scheme's default port.
func signingHost(req *http.Request) string {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	return stripDefaultPort(req.URL.Scheme, host)
}

// stripDefaultPort removes ":443" from https hosts and ":80" from http hosts.
func stripDefaultPort(scheme, host string) string {
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		return host
	}
	if (strings.EqualFold(scheme, "https") && port == "443") || (strings.EqualFold(scheme, "http") && port == "80") {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return host
}

// contentHash returns base64(SHA-256(body)), the x-ms-content-sha256 value.
func contentHash(body []byte) string {
	sum := sha256.Sum256(body)
	var dst [44]byte // base64 of 32 bytes
	base64.StdEncoding.Encode(dst[:], sum[:])
	return string(dst[:])
}
