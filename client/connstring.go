package client

import (
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// ConnectionString is a parsed Communication Services connection string of
// the form "endpoint=https://<resource>.communication.azure.com/;accesskey=<base64>".
//
// It never reveals the access key when printed with any fmt verb (bad ones
// such as %p included, even inside another value: the key is kept behind a
// pointer), marshalled to JSON or text, or logged with log/slog, so it can
// be logged; call AccessKey to use the key.
type ConnectionString struct {
	// Endpoint is the resource endpoint, as written in the connection string.
	Endpoint string
	key      *string // behind a pointer, which fmt never follows inside a value
}

// AccessKey returns the base64 access key, as written in the connection
// string.
func (c ConnectionString) AccessKey() string {
	if c.key == nil {
		return ""
	}
	return *c.key
}

// String returns the endpoint with the access key redacted.
func (c ConnectionString) String() string {
	return "endpoint=" + c.Endpoint + ";accesskey=REDACTED"
}

// GoString is like String, so that %#v does not reveal the key either.
func (c ConnectionString) GoString() string {
	return fmt.Sprintf("client.ConnectionString{Endpoint:%q, AccessKey:\"REDACTED\"}", c.Endpoint)
}

// Format writes String for every verb, so that no fmt verb (%d, %x and %q
// included) reveals the key; %#v writes GoString.
func (c ConnectionString) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, c.GoString())
		return
	}
	_, _ = io.WriteString(f, c.String())
}

// LogValue implements slog.LogValuer, so that log/slog handlers (the JSON
// one included) record the redacted form.
func (c ConnectionString) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalText returns the redacted form, so that encoders (encoding/json
// and encoding/xml among them) never write the key.
func (c ConnectionString) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// ParseConnectionString parses a connection string. Keys are matched without
// regard to case, parts are separated by ';' and split at the first '=' (so
// base64 padding in the key is kept), surrounding blanks are trimmed and an
// empty trailing part is allowed. The access key must be valid base64.
//
// Errors name the problem and the part's position but never repeat a value,
// since any part could be the key.
func ParseConnectionString(s string) (ConnectionString, error) {
	var cs ConnectionString
	if strings.TrimSpace(s) == "" {
		return cs, invalid("connection string is empty")
	}
	if t := strings.TrimSpace(s); len(t) >= 2 && strings.ContainsRune(`"'`+"`", rune(t[0])) && t[len(t)-1] == t[0] {
		return cs, invalid("connection string is surrounded by quotes; remove them")
	}
	var haveEndpoint, haveKey bool
	for i, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return ConnectionString{}, invalidf("connection string part %d has no '=' (want endpoint=...;accesskey=...)", i+1)
		}
		name = strings.TrimSpace(name)
		value = strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "endpoint":
			if haveEndpoint {
				return ConnectionString{}, invalid("connection string has endpoint more than once")
			}
			haveEndpoint = true
			cs.Endpoint = value
		case "accesskey":
			if haveKey {
				return ConnectionString{}, invalid("connection string has accesskey more than once")
			}
			haveKey = true
			cs.key = &value
		default:
			if name == "" {
				return ConnectionString{}, invalidf("connection string part %d has an empty key", i+1)
			}
			// The name is not echoed: a mangled key can look like "name=value".
			return ConnectionString{}, invalidf("connection string part %d has an unknown key (want only endpoint and accesskey)", i+1)
		}
	}
	switch {
	case !haveEndpoint:
		return ConnectionString{}, invalid("connection string has no endpoint")
	case !haveKey:
		return ConnectionString{}, invalid("connection string has no accesskey")
	case cs.Endpoint == "":
		return ConnectionString{}, invalid("connection string endpoint is empty")
	case cs.AccessKey() == "":
		return ConnectionString{}, invalid("connection string accesskey is empty")
	}
	if _, err := base64.StdEncoding.DecodeString(cs.AccessKey()); err != nil {
		return ConnectionString{}, invalid("connection string accesskey is not valid base64")
	}
	return cs, nil
}
