package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// How secrets are kept out of what the client returns, logs and prints.
//
// A hostile server can echo the credential a request carried anywhere in
// its answer, spelled any way: as it is, percent-encoded (in either case),
// JSON-escaped (\u0065...), with invisible characters inside it, cut in
// parts. The redactor reads a text as the reader of an error would see it
// once decoded (a "view": escapes decoded, characters that are not
// printable left out, each byte tracing back to where it came from) and
// replaces in the text every run of at least gramLen bytes that is also in
// a secret, whole or in part. It finds them with a rolling hash of the
// secrets' gramLen-byte grams taken every gramLen bytes, so that every run
// of 2*gramLen-1 bytes or more is found (and most shorter ones), in time
// proportional to the text.
const (
	// minSecretLen is the shortest value treated as a secret: shorter ones
	// would match ordinary text by chance. Every credential the client
	// sends is far longer (an HMAC signature is 44 bytes).
	minSecretLen = 8
	// gramLen is the length of the grams a secret is found by, and the
	// shortest part of one that is replaced.
	gramLen = 10
	// maxOwnSecrets bounds the secrets one call collects (a listing's pages
	// each add their signature): the oldest go first.
	maxOwnSecrets = 16
	// redacted replaces a secret wherever the client found it.
	redacted = "REDACTED"
	// hashBase is the rolling hash's base (FNV's 64-bit prime).
	hashBase = 1099511628211
)

// gram is one indexed gram of a secret: its hash, the secret and its offset.
type gram struct {
	hash     uint64
	sec, off int32
}

// gramIndex finds the parts of some secrets in a text.
type gramIndex struct {
	secrets []string
	grams   []gram   // sorted by hash
	short   []string // secrets too short for grams to find every part: found whole
	baseK   uint64   // hashBase**gramLen
}

// baseK is hashBase**gramLen, what leaves the rolling hash with a byte.
var baseK = func() uint64 {
	k := uint64(1)
	for range gramLen {
		k *= hashBase
	}
	return k
}()

// newGramIndex indexes secrets (each at least minSecretLen bytes).
func newGramIndex(secrets []string) *gramIndex {
	ix := &gramIndex{}
	ix.build(secrets)
	return ix
}

// build indexes secrets into ix, reusing its storage.
func (ix *gramIndex) build(secrets []string) {
	ix.baseK = baseK
	ix.secrets, ix.grams, ix.short = ix.secrets[:0], ix.grams[:0], ix.short[:0]
	n := 0
	for _, s := range secrets {
		n += len(s) / gramLen
	}
	if cap(ix.grams) < n {
		ix.grams = make([]gram, 0, n)
	}
	for _, s := range secrets {
		if len(s) < 2*gramLen-1 {
			ix.short = append(ix.short, s)
			continue
		}
		id := int32(len(ix.secrets)) // #nosec G115 -- a handful of secrets
		ix.secrets = append(ix.secrets, s)
		for off := 0; off+gramLen <= len(s); off += gramLen {
			ix.grams = append(ix.grams, gram{hash: hashOf(s[off : off+gramLen]), sec: id, off: int32(off)}) // #nosec G115 -- secrets are short
		}
	}
	// Insertion sort: a secret has at most a few hundred grams.
	for i := 1; i < len(ix.grams); i++ {
		for j := i; j > 0 && ix.grams[j].hash < ix.grams[j-1].hash; j-- {
			ix.grams[j], ix.grams[j-1] = ix.grams[j-1], ix.grams[j]
		}
	}
}

func hashOf[T ~string | ~[]byte](t T) uint64 {
	var h uint64
	for i := range len(t) {
		h = h*hashBase + uint64(t[i])
	}
	return h
}

// span is a part of a text: [from, to).
type span struct{ from, to int }

// find appends to spans the runs of t that are in a secret: every run of at
// least 2*gramLen-1 bytes of a secret indexed by grams, many shorter ones of
// at least gramLen bytes, and every whole short secret.
func find[T ~string | ~[]byte](ix *gramIndex, t T, spans []span) []span {
	if ix == nil {
		return spans
	}
	for _, s := range ix.short {
		for i := 0; i+len(s) <= len(t); i++ {
			if equalAt(t, i, s, 0, len(s)) {
				spans = append(spans, span{i, i + len(s)})
			}
		}
	}
	if len(ix.grams) == 0 || len(t) < gramLen {
		return spans
	}
	h := hashOf(t[:gramLen])
	for i := 0; ; i++ {
		// The first gram with this hash, by binary search.
		lo, hi := 0, len(ix.grams)
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if ix.grams[mid].hash < h {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		for j := lo; j < len(ix.grams) && ix.grams[j].hash == h; j++ {
			g := ix.grams[j]
			s, off := ix.secrets[g.sec], int(g.off)
			if !equalAt(t, i, s, off, gramLen) {
				continue
			}
			// The whole run around the gram.
			a, o := i, off
			for a > 0 && o > 0 && t[a-1] == s[o-1] {
				a, o = a-1, o-1
			}
			b, e := i+gramLen, off+gramLen
			for b < len(t) && e < len(s) && t[b] == s[e] {
				b, e = b+1, e+1
			}
			spans = append(spans, span{a, b})
		}
		if i+gramLen >= len(t) {
			return spans
		}
		h = h*hashBase + uint64(t[i+gramLen]) - uint64(t[i])*ix.baseK
	}
}

// equalAt reports whether t[i:i+n] is s[off:off+n].
func equalAt[T ~string | ~[]byte](t T, i int, s string, off, n int) bool {
	for k := range n {
		if t[i+k] != s[off+k] {
			return false
		}
	}
	return true
}

// plain reports whether t can be searched as it is: printable ASCII with
// no escape in it ('%' or '\'), so that its view is itself.
func plain[T ~string | ~[]byte](t T) bool {
	for i := range len(t) {
		if c := t[i]; c < ' ' || c >= 0x7f || c == '%' || c == '\\' {
			return false
		}
	}
	return true
}

// textView is a text as it reads once decoded: b, each of whose bytes
// came from text[from[j]:to[j]].
type textView struct {
	b        []byte
	from, to []int
}

func (v *textView) emit(b byte, from, to int) {
	v.b = append(v.b, b)
	v.from = append(v.from, from)
	v.to = append(v.to, to)
}

// viewOf decodes t's escapes, one level (%XX in either case; JSON's \uXXXX,
// surrogate pairs included, and \/, \", \\), then leaves out every
// character that is not printable (controls, C1 controls, line and
// paragraph separators, bidirectional and zero-width marks, and escapes of
// them), and what is not UTF-8.
func viewOf[T ~string | ~[]byte](t T) textView {
	var dec textView
	for i := 0; i < len(t); {
		c := t[i]
		switch {
		case c == '%' && i+2 < len(t) && isHex(t[i+1]) && isHex(t[i+2]):
			dec.emit(unhex(t[i+1])<<4|unhex(t[i+2]), i, i+3)
			i += 3
		case c == '\\' && i+5 < len(t) && t[i+1] == 'u' && isHex4(t, i+2):
			r, n := hex4(t, i+2), 6
			if utf16.IsSurrogate(r) && i+11 < len(t) && t[i+6] == '\\' && t[i+7] == 'u' && isHex4(t, i+8) {
				if pair := utf16.DecodeRune(r, hex4(t, i+8)); pair != utf8.RuneError {
					r, n = pair, 12
				}
			}
			var buf [utf8.UTFMax]byte
			for _, b := range buf[:utf8.EncodeRune(buf[:], r)] {
				dec.emit(b, i, i+n)
			}
			i += n
		case c == '\\' && i+1 < len(t) && strings.IndexByte(`"\/`, t[i+1]) >= 0:
			dec.emit(t[i+1], i, i+2)
			i += 2
		default:
			dec.emit(c, i, i+1)
			i++
		}
	}
	out := textView{b: make([]byte, 0, len(dec.b))}
	for j := 0; j < len(dec.b); {
		r, n := utf8.DecodeRune(dec.b[j:])
		if (r != utf8.RuneError || n > 1) && (unicode.IsPrint(r) || r == ' ') {
			for k := range n {
				out.emit(dec.b[j+k], dec.from[j], dec.to[j+k])
			}
		}
		j += n
	}
	return out
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func isHex4[T ~string | ~[]byte](t T, i int) bool {
	return isHex(t[i]) && isHex(t[i+1]) && isHex(t[i+2]) && isHex(t[i+3])
}

func hex4[T ~string | ~[]byte](t T, i int) rune {
	return rune(unhex(t[i]))<<12 | rune(unhex(t[i+1]))<<8 | rune(unhex(t[i+2]))<<4 | rune(unhex(t[i+3]))
}

// secretSpans returns the spans of t to replace: the runs of a secret of
// either index, found in t's view and traced back to t, merged and sorted.
func secretSpans[T ~string | ~[]byte](t T, indexes ...*gramIndex) []span {
	var spans []span
	if plain(t) {
		for _, ix := range indexes {
			spans = find(ix, t, spans)
		}
	} else {
		v := viewOf(t)
		var found []span
		for _, ix := range indexes {
			found = find(ix, v.b, found)
		}
		for _, s := range found {
			spans = append(spans, span{v.from[s.from], v.to[s.to-1]})
		}
	}
	if len(spans) < 2 {
		return spans
	}
	// Sort and merge.
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j].from < spans[j-1].from; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	merged := spans[:1]
	for _, s := range spans[1:] {
		last := &merged[len(merged)-1]
		if s.from <= last.to {
			last.to = max(last.to, s.to)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// replaceSpans returns t with each span replaced by "REDACTED".
func replaceSpans[T ~string | ~[]byte](t T, spans []span) []byte {
	out := make([]byte, 0, len(t))
	at := 0
	for _, s := range spans {
		out = append(out, t[at:s.from]...)
		out = append(out, redacted...)
		at = s.to
	}
	return append(out, t[at:]...)
}

// redactor keeps the secrets of one logical call out of everything the
// client returns and logs: the credential held (its access key, a static
// token: held, indexed once by NewClient), each credential sent (a bearer
// token, an HMAC signature) and the secrets a request body carries
// (operation.addURLSecrets). The pages of one listing share one, so that a
// page's answer cannot get an earlier page's signature through either. Its
// zero value scrubs nothing; it is not safe for concurrent use.
type redactor struct {
	held *gramIndex // the Client's: shared, never modified
	own  []string   // added during the call, the most recent maxOwnSecrets
	// first holds the first secret added, so that a call with one
	// credential allocates no slice for it.
	first [1]string
	// idx indexes own once built (built), its storage reused; secrets1
	// holds its one secret in the common case.
	idx      gramIndex
	built    bool
	secrets1 [1]string
}

// newHeldIndex indexes the secrets a Client holds, for its redactors.
func newHeldIndex(secrets ...string) *gramIndex {
	var kept []string
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			kept = append(kept, s)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	return newGramIndex(kept)
}

// add makes value a secret of the call. Values shorter than minSecretLen
// are left alone.
func (r *redactor) add(value string) {
	if len(value) < minSecretLen {
		return
	}
	for _, s := range r.own {
		if s == value {
			return
		}
	}
	if r.held != nil {
		for _, s := range append(r.held.secrets, r.held.short...) {
			if s == value {
				return
			}
		}
	}
	if r.own == nil {
		r.own = r.first[:0]
	}
	if len(r.own) == maxOwnSecrets {
		r.own = append(r.own[:0:0], r.own[1:]...)
	}
	r.own = append(r.own, value)
	r.built = false
}

// ownIndex returns the index of the call's own secrets, nil when none.
func (r *redactor) ownIndex() *gramIndex {
	if len(r.own) == 0 {
		return nil
	}
	if !r.built {
		if r.idx.secrets == nil {
			r.idx.secrets = r.secrets1[:0]
		}
		r.idx.build(r.own)
		r.built = true
	}
	return &r.idx
}

// bytes returns b with every secret replaced, and whether there was one.
// b itself is not modified.
func (r *redactor) bytes(b []byte) ([]byte, bool) {
	if r == nil || (r.held == nil && len(r.own) == 0) {
		return b, false
	}
	spans := secretSpans(b, r.held, r.ownIndex())
	if len(spans) == 0 {
		return b, false
	}
	return replaceSpans(b, spans), true
}

// string returns s with every secret replaced.
func (r *redactor) string(s string) string {
	if r == nil || (r.held == nil && len(r.own) == 0) {
		return s
	}
	spans := secretSpans(s, r.held, r.ownIndex())
	if len(spans) == 0 {
		return s
	}
	return string(replaceSpans(s, spans))
}

// quote returns text from an answer as an error may show it: secrets
// replaced (before anything is cut, so that no part of one survives),
// every character that is not printable (controls, C1 controls, line and
// paragraph separators, bidirectional and zero-width marks) as a space, and
// at most n bytes, cut on a character boundary, with "..." when cut.
func (r *redactor) quote(text string, n int) string {
	return cut(printable(r.string(text)), n)
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
// information, no secret in its path however the path spells it, and
// nothing that is not printable.
func (r *redactor) url(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	r.scrubURL(&c)
	return printable(r.string(c.String()))
}

// scrubURL replaces secrets in u's path and query, in place (for a request
// kept in an error), whether they are spelled in its decoded path or its
// escaped forms.
func (r *redactor) scrubURL(u *url.URL) {
	if u == nil {
		return
	}
	if p := r.string(u.Path); p != u.Path || r.string(u.RawPath) != u.RawPath {
		u.Path, u.RawPath = p, ""
	}
	u.RawQuery = r.string(u.RawQuery)
	u.Fragment, u.RawFragment = r.string(u.Fragment), ""
	u.User = nil
}

// err returns e, unless its text holds a secret or a character that is not
// printable: net/http quotes what a server sent in some errors (a malformed
// header line, a Location it cannot parse, a certificate's names), and the
// client quotes answers in its own. Such an error becomes one with the
// same text, secrets replaced and characters that are not printable as
// spaces, that still matches (errors.Is, errors.As) what the chain held
// that quotes nothing of the answer: the context's errors, the client's
// sentinels, and any *ResponseError (which is scrubbed). A *url.Error
// keeps its type and Op.
func (r *redactor) err(e error) error {
	if e == nil {
		return nil
	}
	msg := e.Error()
	clean := printable(r.string(msg))
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
		return &url.Error{Op: ue.Op, URL: printable(r.string(u)), Err: r.err(ue.Err)}
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

// redactedError is an error whose text held a secret, or a character that
// is not printable: the text made safe, and what of the chain quotes
// nothing of the answer.
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

// Scrub returns text with every appearance of each secret replaced by
// "REDACTED", as this package keeps its credentials out of its errors and
// logs: as it is, percent-encoded (in either case) or JSON-escaped, with
// characters that are not printable inserted in it, and any part of it of
// 19 bytes or more (and most parts of 10 to 18 bytes). Secrets shorter
// than 8 bytes are left alone: they would match ordinary text by chance.
// Use it on what your own code logs of a server's answers.
func Scrub(text string, secrets ...string) string {
	ix := newHeldIndex(secrets...)
	if ix == nil {
		return text
	}
	spans := secretSpans(text, ix)
	if len(spans) == 0 {
		return text
	}
	return string(replaceSpans(text, spans))
}
