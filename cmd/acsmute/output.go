package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/acsmute/acsmute/client"
)

// guard keeps the credential a command was given out of everything it
// writes, and characters that are not printable off the terminal: every
// write to stdout and stderr goes through it (guarded).
type guard struct {
	mu      sync.Mutex
	secrets []string
}

// minGuarded is the shortest secret the guard replaces in output: shorter
// ones would match ordinary text by chance. (Flags equal to a shorter
// credential are refused all the same: flagHolding.)
const minGuarded = 8

// add makes secret one to keep out of the output.
func (g *guard) add(secret string) {
	if len(secret) < minGuarded {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, have := range g.secrets {
		if have == secret {
			return
		}
	}
	g.secrets = append(g.secrets, secret)
}

// clean returns s with every secret replaced by REDACTED however it is
// spelled (client.Scrub: escaped, split by invisible characters, in part)
// and every character that is not printable, other than a newline or a
// tab, written as a JSON escape (\u0085, \u202e, a surrogate pair beyond
// U+FFFF): valid inside the JSON strings the commands print, visible
// anywhere else. Bytes that are not UTF-8 become U+FFFD.
func (g *guard) clean(s string) string {
	g.mu.Lock()
	secrets := g.secrets
	g.mu.Unlock()
	if len(secrets) > 0 {
		s = client.Scrub(s, secrets...)
	}
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
// its own, unless they already are. The credentials in the environment are
// guarded from the start: a flag's parse error may quote a value.
func (e env) guarded() env {
	if e.guard != nil {
		return e
	}
	e.guard = &guard{}
	e.stdout = guardedWriter{w: e.stdout, g: e.guard}
	e.stderr = guardedWriter{w: e.stderr, g: e.guard}
	if e.getenv != nil {
		e.guard.addCredentials(e.getenv("ACS_CONNECTION_STRING"), e.getenv("ACS_BEARER_TOKEN"))
	}
	return e
}

// addCredentials guards a connection string (and its key) and a token.
func (g *guard) addCredentials(connectionString, token string) {
	if connectionString != "" {
		g.add(connectionString)
		if cs, err := client.ParseConnectionString(connectionString); err == nil {
			g.add(cs.AccessKey())
		}
	}
	if t := strings.TrimSpace(token); t != "" {
		g.add(t)
		if len(t) > 7 && strings.EqualFold(t[:7], "Bearer ") {
			g.add(strings.TrimSpace(t[7:]))
		}
	}
}
