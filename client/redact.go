package client

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// minSecretLen is the shortest value the client treats as a secret to
// scrub: shorter ones would match ordinary text by chance. Every credential
// the client sends is far longer (an HMAC signature is 44 bytes).
const minSecretLen = 8

// redacted replaces a secret wherever the client found it.
const redacted = "REDACTED"

// secret is one value to keep out of what the client returns, logs or
// prints, with the forms it may take there.
type secret struct {
	raw string
	// anchor is a part of raw that every form contains (a run of bytes no
	// escaping changes), at most 32 bytes (so that converting it for a
	// search allocates nothing), to rule a text out without building the
	// forms; "" when raw has no such run long enough to be worth it.
	anchor string
	// forms are raw and its escaped forms (escapedForms), longest first;
	// nil until a text is found to hold the anchor.
	forms []string
}

// newSecret returns raw as a secret, its forms built when eager.
func newSecret(raw string, eager bool) secret {
	s := secret{raw: raw, anchor: anchorOf(raw)}
	if eager {
		s.forms = escapedForms(raw)
	}
	return s
}

// anchorOf returns the longest run of raw's bytes that JSON, path and query
// escaping all leave as they are ([A-Za-z0-9._~-]), cut to 32 bytes, or ""
// when that run is shorter than 6 bytes.
func anchorOf(raw string) string {
	best, start := "", -1
	for i := 0; i <= len(raw); i++ {
		if i < len(raw) && unreserved(raw[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start > len(best) {
			best = raw[start:i]
		}
		start = -1
	}
	if len(best) < 6 {
		return ""
	}
	return best[:min(len(best), 32)]
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// escapedForms lists the forms a secret can take in what a server sends
// back or the client itself writes: as it is; JSON-escaped ("/" as "\/",
// "+" as "\u002B", as .NET's encoder and others write them); path-escaped
// and query-escaped (url.PathEscape, url.QueryEscape: how it appears in a
// URL the client prints). Longest first, so that no form is replaced
// inside a longer one.
func escapedForms(raw string) []string {
	forms := []string{raw}
	add := func(f string) {
		for _, have := range forms {
			if have == f {
				return
			}
		}
		forms = append(forms, f)
	}
	if strings.ContainsAny(raw, "/+") {
		for _, slash := range []string{"/", `\/`, `\u002F`, `\u002f`} {
			withSlash := strings.ReplaceAll(raw, "/", slash)
			for _, plus := range []string{"+", `\u002B`, `\u002b`} {
				add(strings.ReplaceAll(withSlash, "+", plus))
			}
		}
	}
	add(url.PathEscape(raw))
	add(url.QueryEscape(raw))
	// Insertion sort, longest first: a handful of forms.
	for i := 1; i < len(forms); i++ {
		for j := i; j > 0 && len(forms[j]) > len(forms[j-1]); j-- {
			forms[j], forms[j-1] = forms[j-1], forms[j]
		}
	}
	return forms
}

// redactor keeps the secrets of one logical call out of everything the
// client returns and logs: the credential held (its access key, for a
// KeyCredential), each credential sent (a bearer token, an HMAC
// signature), and the secrets a request body carries (operation.secrets).
// The pages of one listing share one, so that a page's answer cannot get
// an earlier page's signature through either. Its zero value scrubs
// nothing; it is not safe for concurrent use.
type redactor struct {
	held []secret // the Client's, forms built: shared, never modified
	own  []secret // added during the call
	// first holds the first secret added, so that a call with one
	// credential allocates no slice for it.
	first [1]secret
}

// add makes value a secret of the call. Values shorter than minSecretLen
// are left alone.
func (r *redactor) add(value string) {
	if len(value) < minSecretLen {
		return
	}
	for _, s := range r.held {
		if s.raw == value {
			return
		}
	}
	for _, s := range r.own {
		if s.raw == value {
			return
		}
	}
	if r.own == nil {
		r.own = r.first[:0]
	}
	r.own = append(r.own, newSecret(value, false))
}

// each calls f with the forms of every secret that may be in text (its
// anchor is there), building them when needed.
func (r *redactor) each(contains func(anchor string) bool, f func(form string)) {
	for _, s := range r.held {
		if s.anchor == "" || contains(s.anchor) {
			for _, form := range s.forms {
				f(form)
			}
		}
	}
	for i := range r.own {
		s := &r.own[i]
		if s.anchor == "" || contains(s.anchor) {
			if s.forms == nil {
				s.forms = escapedForms(s.raw)
			}
			for _, form := range s.forms {
				f(form)
			}
		}
	}
}

// bytes returns b with every secret replaced, and whether there was one.
// b itself is not modified.
func (r *redactor) bytes(b []byte) ([]byte, bool) {
	found := false
	r.each(func(a string) bool { return bytes.Contains(b, []byte(a)) }, func(form string) {
		if bytes.Contains(b, []byte(form)) {
			b, found = bytes.ReplaceAll(b, []byte(form), []byte(redacted)), true
		}
	})
	return b, found
}

// string returns s with every secret replaced.
func (r *redactor) string(s string) string {
	r.each(func(a string) bool { return strings.Contains(s, a) }, func(form string) {
		if strings.Contains(s, form) {
			s = strings.ReplaceAll(s, form, redacted)
		}
	})
	return s
}

// quote returns text from an answer as an error may show it: secrets
// replaced (before anything is cut, so that no part of one survives),
// every character that is not printable (controls, C1 controls, line and
// paragraph separators, bidirectional and zero-width marks) as a space, and
// at most n bytes, cut on a character boundary, with "..." when cut.
func (r *redactor) quote(text string, n int) string {
	return r.parts(cut(printable(r.string(text)), n))
}

// minSecretPart is the shortest part of a secret parts replaces.
const minSecretPart = 16

// parts replaces in s every run of at least minSecretPart bytes that is
// also a part of a secret: a URL's host ends at a secret's first "/", and a
// quote cut short may end inside one. It is quadratic: for short quotes.
func (r *redactor) parts(s string) string {
	for _, list := range [2][]secret{r.held, r.own} {
		for _, sec := range list {
			for i := 0; i+minSecretPart <= len(s); {
				best := 0
				for j := 0; j+minSecretPart <= len(sec.raw); j++ {
					k := 0
					for i+k < len(s) && j+k < len(sec.raw) && s[i+k] == sec.raw[j+k] {
						k++
					}
					best = max(best, k)
				}
				if best < minSecretPart {
					i++
					continue
				}
				s = s[:i] + redacted + s[i+best:]
				i += len(redacted)
			}
		}
	}
	return s
}

// cut shortens s to at most n bytes, on a character boundary, marking the
// cut with "...".
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// url returns u as logs and errors show it: no query, fragment or user
// information, and no secret in its path however the path spells it.
func (r *redactor) url(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	if p := r.string(c.Path); p != c.Path {
		c.Path, c.RawPath = p, ""
	}
	return r.string(c.String())
}

// scrubURL replaces secrets in u's path and query, in place: for a request
// kept in an error.
func (r *redactor) scrubURL(u *url.URL) {
	if u == nil {
		return
	}
	if p := r.string(u.Path); p != u.Path {
		u.Path, u.RawPath = p, ""
	}
	if rp := r.string(u.RawPath); rp != u.RawPath {
		u.RawPath = ""
	}
	u.RawQuery = r.string(u.RawQuery)
	if q, err := url.QueryUnescape(u.RawQuery); err == nil && r.string(q) != q {
		u.RawQuery = redacted
	}
	u.Fragment, u.RawFragment = r.string(u.Fragment), ""
	u.User = nil
}

// err returns e, unless its text holds a secret: net/http quotes what a
// server sent in some errors (a malformed header line, a Location it cannot
// parse), and the client quotes answers in its own. Such an error becomes
// one with the same text, secrets replaced, that still matches (errors.Is,
// errors.As) what the chain held that quotes nothing of the answer: the
// context's errors, the client's sentinels, and any *ResponseError (which
// is scrubbed). A *url.Error keeps its type, Op and URL.
func (r *redactor) err(e error) error {
	if e == nil {
		return nil
	}
	msg := e.Error()
	clean := r.string(msg)
	if clean == msg {
		return e
	}
	var ue *url.Error
	if errors.As(e, &ue) && ue.Err != nil && ue.Error() == msg {
		// e is the *url.Error, nothing around it.
		u := ue.URL
		if parsed, perr := url.Parse(u); perr == nil {
			r.scrubURL(parsed)
			u = parsed.String()
		}
		return &url.Error{Op: ue.Op, URL: r.string(u), Err: r.err(ue.Err)}
	}
	out := &redactedError{msg: clean}
	for _, sentinel := range []error{context.Canceled, context.DeadlineExceeded, ErrCredential, ErrInvalidInput, ErrOutcomeUnknown, http.ErrSchemeMismatch} {
		if errors.Is(e, sentinel) {
			out.kept = append(out.kept, sentinel)
		}
	}
	var re *ResponseError
	if errors.As(e, &re) {
		re.scrub(r)
		out.kept = append(out.kept, re)
	}
	return out
}

// redactedError is an error whose text held a secret: the text with it
// replaced, and what of the chain quotes nothing of the answer.
type redactedError struct {
	msg  string
	kept []error
}

func (e *redactedError) Error() string   { return e.msg }
func (e *redactedError) Unwrap() []error { return e.kept }

// printable replaces what is not printable (control characters, C1
// controls, line and paragraph separators, bidirectional and other
// formatting marks such as zero-width characters) with spaces.
func printable(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c >= 0x7f {
			return strings.Map(func(r rune) rune {
				if unicode.IsPrint(r) {
					return r
				}
				return ' '
			}, s)
		}
	}
	return s
}
