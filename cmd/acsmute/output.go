package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// guard keeps the credential a command was given out of everything it
// writes, and characters that are not printable off the terminal: every
// write to stdout and stderr goes through it (guarded).
type guard struct {
	mu    sync.Mutex
	forms []string // of every secret, longest first
}

// minGuarded is the shortest secret the guard replaces in output: shorter
// ones would match ordinary text by chance. (Flags equal to a shorter
// credential are refused all the same: checkFlagsHoldNoSecret.)
const minGuarded = 8

// add makes secret one to keep out of the output, in every form it may
// take there: as it is, JSON-escaped, path- and query-escaped.
func (g *guard) add(secret string) {
	if len(secret) < minGuarded {
		return
	}
	j := strings.NewReplacer("/", `\/`, "+", `\u002b`).Replace(secret)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, f := range []string{secret, j, strings.ReplaceAll(secret, "/", `\/`), url.PathEscape(secret), url.QueryEscape(secret)} {
		dup := false
		for _, have := range g.forms {
			dup = dup || have == f
		}
		if !dup {
			g.forms = append(g.forms, f)
		}
	}
	for i := 1; i < len(g.forms); i++ {
		for j := i; j > 0 && len(g.forms[j]) > len(g.forms[j-1]); j-- {
			g.forms[j], g.forms[j-1] = g.forms[j-1], g.forms[j]
		}
	}
}

// clean returns s with every secret replaced by REDACTED and every
// character that is not printable, other than a newline or a tab, written
// as a JSON escape (\u0085, \u202e, a surrogate pair beyond U+FFFF): valid
// inside the JSON strings the commands print, visible anywhere else. Bytes
// that are not UTF-8 become U+FFFD.
func (g *guard) clean(s string) string {
	g.mu.Lock()
	for _, f := range g.forms {
		s = strings.ReplaceAll(s, f, "REDACTED")
	}
	g.mu.Unlock()
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\n' && c != '\t') || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, string(utf8.RuneError)) {
		switch {
		case r == '\n' || r == '\t' || unicode.IsPrint(r):
			b.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// guardedWriter writes through a guard. Each Write is cleaned on its own:
// the commands write whole lines.
type guardedWriter struct {
	w io.Writer
	g *guard
}

func (gw guardedWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(gw.w, gw.g.clean(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// guarded returns e with its stdout and stderr written through a guard of
// its own, unless they already are.
func (e env) guarded() env {
	if e.guard != nil {
		return e
	}
	e.guard = &guard{}
	e.stdout = guardedWriter{w: e.stdout, g: e.guard}
	e.stderr = guardedWriter{w: e.stderr, g: e.guard}
	return e
}
