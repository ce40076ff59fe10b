package client

import (
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
