package client

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxCallConnectionIDLength bounds call connection IDs; real ones are a few
// dozen characters.
const maxCallConnectionIDLength = 1024

// maxOperationContextLength is the official SDKs' limit on operation
// contexts, in UTF-16 code units (the unit of .NET's string length).
const maxOperationContextLength = 5000

// checkOperationContext rejects operation contexts the official SDKs refuse,
// and invalid UTF-8 that JSON encoding would silently alter.
func checkOperationContext(s string) error {
	if !utf8.ValidString(s) {
		return invalid("OperationContext is not valid UTF-8")
	}
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++ // a surrogate pair in UTF-16
		}
	}
	if n > maxOperationContextLength {
		return invalidf("OperationContext is %d UTF-16 code units long; the limit is %d", n, maxOperationContextLength)
	}
	return nil
}

// checkCallConnectionID rejects IDs that cannot name a call connection.
func checkCallConnectionID(id string) error {
	if id == "" {
		return invalid("call connection ID is empty")
	}
	if len(id) > maxCallConnectionIDLength {
		return invalidf("call connection ID is %d bytes long; the limit is %d", len(id), maxCallConnectionIDLength)
	}
	if !utf8.ValidString(id) {
		return invalid("call connection ID is not valid UTF-8")
	}
	if strings.TrimSpace(id) == "" {
		return invalid("call connection ID is blank")
	}
	if id == "." || id == ".." {
		return invalid("call connection ID cannot be \".\" or \"..\"")
	}
	for i, r := range id {
		if unicode.IsControl(r) {
			return invalidf("call connection ID has a control character at byte %d", i)
		}
	}
	return nil
}

// maxURLLength bounds the URLs the options carry (callback and media
// URLs), as browsers and most servers do.
const maxURLLength = 2048

// checkURL rejects a URL option the service could not use: not valid UTF-8
// or with blanks or control characters, longer than maxURLLength, not an
// absolute http or https URL with a host, or carrying user information
// (which would put a credential in the service's logs and in this
// client's errors). The message names the option (name) and never quotes
// the URL, whose query may hold a signature (a SAS token, say). "" passes:
// the option is unset.
func checkURL(name, s string) error {
	if s == "" {
		return nil
	}
	if len(s) > maxURLLength {
		return invalidf("%s is %d bytes long; the limit is %d", name, len(s), maxURLLength)
	}
	if !utf8.ValidString(s) {
		return invalidf("%s is not valid UTF-8", name)
	}
	for i, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return invalidf("%s has a blank, control or formatting character at byte %d", name, i)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return invalidf("%s is not a valid URL", name)
	}
	switch scheme := strings.ToLower(u.Scheme); {
	case scheme != "https" && scheme != "http":
		return invalidf("%s must be an absolute https (or http) URL", name)
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return invalidf("%s has no host", name)
	case u.User != nil:
		return invalidf("%s must not carry user information", name)
	case strings.Contains(u.Hostname(), "%"):
		return invalidf("%s must not carry an IPv6 zone", name)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return invalidf("%s has a port that is not between 1 and 65535", name)
		}
	}
	return nil
}
