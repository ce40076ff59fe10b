package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode"
)

// cliToken is a bearer token shaped like a JWT, as ACS_BEARER_TOKEN holds.
const cliToken = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJmYWtlIjoiY2xpIn0.ZmFrZS1jbGktc2lnbmF0dXJlLWZvci10ZXN0cw"

// hostileService answers every request with what answer makes of the
// bearer token the request carried.
func hostileService(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, token string)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// letterEscaped writes s for a JSON string with every letter \u-escaped:
// the same text once decoded, though no byte of the body shows it.
func letterEscaped(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// The commands never print ACS_BEARER_TOKEN, however the service echoes it:
// in a participant's rawId or nested id, in a Content-Type, in a nextLink's
// host or path, in the mute's operationContext.
func TestCommandsNeverPrintTheBearerToken(t *testing.T) {
	jsonOf := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	participant := func(identifier string, muted bool) string {
		return fmt.Sprintf(`{"identifier":%s,"isMuted":%v}`, identifier, muted)
	}
	type answerFunc = func(w http.ResponseWriter, r *http.Request, token string)
	jsonAnswer := func(body func(token string) string) answerFunc {
		return func(w http.ResponseWriter, _ *http.Request, token string) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, body(token))
		}
	}
	scenarios := map[string]struct {
		args   []string
		answer answerFunc
	}{
		"participant: rawId": {[]string{"participant", "--participant", "8:acs:r_u"},
			jsonAnswer(func(tok string) string { return participant(`{"rawId":`+jsonOf("8:acs:"+tok)+`}`, true) })},
		"participant: rawId escaped": {[]string{"participant", "--participant", "8:acs:r_u"},
			jsonAnswer(func(tok string) string { return participant(`{"rawId":"8:acs:`+letterEscaped(tok)+`"}`, true) })},
		"participant: nested id": {[]string{"participant", "--participant", "8:acs:r_u"},
			jsonAnswer(func(tok string) string {
				return participant(`{"rawId":"8:acs:r_u","communicationUser":{"id":"8:acs:`+letterEscaped(tok)+`"}}`, true)
			})},
		"mute: Content-Type": {[]string{"mute", "--participant", "8:acs:r_u"},
			func(w http.ResponseWriter, _ *http.Request, tok string) {
				w.Header().Set("Content-Type", "text/"+tok)
				fmt.Fprint(w, "ok")
			}},
		"mute: operationContext": {[]string{"mute", "--participant", "8:acs:r_u"},
			jsonAnswer(func(tok string) string { return `{"operationContext":` + jsonOf(tok) + `}` })},
		"mute --verify: read back": {[]string{"mute", "--participant", "8:acs:r_u", "--verify"},
			func(w http.ResponseWriter, r *http.Request, tok string) {
				w.Header().Set("Content-Type", "application/json")
				if r.Method == http.MethodPost {
					fmt.Fprint(w, `{}`)
					return
				}
				fmt.Fprint(w, participant(`{"rawId":"8:acs:`+letterEscaped(tok)+`"}`, true))
			}},
		"participants: a participant": {[]string{"participants"},
			jsonAnswer(func(tok string) string {
				return `{"value":[` + participant(`{"rawId":`+jsonOf("8:acs:"+tok)+`}`, false) + `]}`
			})},
		"participants: nextLink host": {[]string{"participants"},
			jsonAnswer(func(tok string) string {
				return `{"value":[],"nextLink":"https://` + letterEscaped(tok) + `.example/"}`
			})},
		"participants: nextLink path": {[]string{"participants"},
			func(w http.ResponseWriter, r *http.Request, tok string) {
				if strings.HasPrefix(r.URL.Path, "/next/") {
					w.WriteHeader(http.StatusNotFound)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"value":[],"nextLink":"/next/`+letterEscaped(url.PathEscape(tok))+`"}`)
			}},
		"mute --all: a participant": {[]string{"mute", "--all"},
			func(w http.ResponseWriter, r *http.Request, tok string) {
				w.Header().Set("Content-Type", "application/json")
				if r.Method == http.MethodPost {
					w.WriteHeader(http.StatusBadRequest)
					fmt.Fprint(w, `{"error":{"code":"Bad","message":"no `+letterEscaped(tok)+`"}}`)
					return
				}
				fmt.Fprint(w, `{"value":[`+participant(`{"rawId":"8:acs:r_u"}`, false)+`]}`)
			}},
		"mute --all: nextLink path": {[]string{"mute", "--all"},
			func(w http.ResponseWriter, r *http.Request, tok string) {
				if strings.HasPrefix(r.URL.Path, "/next/") {
					w.WriteHeader(http.StatusNotFound)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"value":[],"nextLink":"/next/`+letterEscaped(url.PathEscape(tok))+`"}`)
			}},
	}
	for name, sc := range scenarios {
		t.Run(name, func(t *testing.T) {
			endpoint := hostileService(t, sc.answer)
			args := append(sc.args, "--endpoint", endpoint, "--call", "call-1", "--timeout", "5s")
			r := runCmd(t, map[string]string{"ACS_BEARER_TOKEN": cliToken}, args...)
			for what, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
				for _, form := range []string{cliToken, url.PathEscape(cliToken), url.QueryEscape(cliToken)} {
					if strings.Contains(out, form) {
						t.Errorf("%s shows the token:\n%s", what, out)
					}
				}
				for i := 0; i+20 <= len(cliToken); i++ {
					if strings.Contains(out, cliToken[i:i+20]) {
						t.Errorf("%s shows part of the token:\n%s", what, out)
						break
					}
				}
			}
		})
	}
}

// A credential of any length pasted into a flag is refused without being
// repeated, before anything is sent: an access key shorter than the 32
// bytes a key looks like, a bearer token.
func TestFlagsHoldingTheCredential(t *testing.T) {
	sent := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sent++ }))
	defer srv.Close()
	shortKey := "c2hvcnQta2V5LTE2Ynl0ZQ==" // 16 bytes
	tinyKey := "dGlueQ=="                  // 4 bytes
	for _, tt := range []struct {
		environ map[string]string
		args    []string
		secret  string
	}{
		{nil, []string{"participant", "--connection-string", "endpoint=" + srv.URL + "/;accesskey=" + shortKey, "--call", shortKey, "--participant", "8:acs:r_u"}, shortKey},
		{nil, []string{"participant", "--connection-string", "endpoint=" + srv.URL + "/;accesskey=" + tinyKey, "--call", tinyKey, "--participant", "8:acs:r_u"}, tinyKey},
		{nil, []string{"mute", "--connection-string", "endpoint=" + srv.URL + "/;accesskey=" + shortKey, "--call", "c", "--participant", "8:acs:r_u", "--operation-context", "x" + shortKey}, shortKey},
		{nil, []string{"mute", "--connection-string", "endpoint=" + srv.URL + "/;accesskey=" + shortKey, "--call", "c", "--all", "--except", "8:acs:" + shortKey}, shortKey},
		{map[string]string{"ACS_BEARER_TOKEN": cliToken}, []string{"remove", "--endpoint", srv.URL, "--call", "c", "--participant", "8:acs:r_u", "--operation-context", cliToken}, cliToken},
		{map[string]string{"ACS_BEARER_TOKEN": cliToken}, []string{"participants", "--endpoint", srv.URL, "--call", cliToken}, cliToken},
	} {
		r := runCmd(t, tt.environ, tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "holds the credential") || strings.Contains(r.stderr+r.stdout, tt.secret) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 saying a flag holds the credential, without it", tt.args, r.code, r.stdout, r.stderr)
		}
	}
	if sent != 0 {
		t.Errorf("%d requests sent", sent)
	}
}

// Raw IDs from the service are printed as JSON that reads back as the raw
// ID, with nothing that is not printable written raw: bidirectional and
// zero-width characters and other formatting marks. (Raw IDs with C1
// controls or line and paragraph separators are refused as unreadable
// answers: TestParticipantsRefusesUnreadableRawIDs.)
func TestParticipantsOutputEscapesHostileCharacters(t *testing.T) {
	hostile := []rune{'\u202a', '\u202e', '\u2066', '\u2069', '\u200b', '\u200d', '\u2060', '\ufeff', '\u00ad', '\U000e0001'}
	var raws []string
	var parts []string
	for _, r := range hostile {
		raw := "8:acs:a" + string(r) + "b"
		raws = append(raws, raw)
		b, _ := json.Marshal(raw)
		parts = append(parts, `{"identifier":{"rawId":`+string(b)+`},"isMuted":false}`)
	}
	endpoint := hostileService(t, func(w http.ResponseWriter, r *http.Request, _ string) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"value":[`+strings.Join(parts, ",")+`]}`)
	})
	r := runCmd(t, map[string]string{"ACS_BEARER_TOKEN": cliToken}, "participants", "--endpoint", endpoint, "--call", "call-1")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if i := strings.IndexFunc(r.stdout, func(c rune) bool { return c != '\n' && !unicode.IsPrint(c) }); i >= 0 {
		t.Errorf("stdout holds a character that is not printable at byte %d: %q", i, r.stdout)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != len(raws) {
		t.Fatalf("%d lines for %d participants: %q", len(lines), len(raws), r.stdout)
	}
	for i, line := range lines {
		var p struct {
			RawID string `json:"rawId"`
		}
		if err := json.Unmarshal([]byte(line), &p); err != nil || p.RawID != raws[i] {
			t.Errorf("line %d %q reads back as %q, %v; want %q", i, line, p.RawID, err, raws[i])
		}
	}
}

// A raw ID with a C1 control or a line or paragraph separator is an
// unreadable answer: a failure (exit 1, not bad input), whose message
// writes none of it raw.
func TestParticipantsRefusesUnreadableRawIDs(t *testing.T) {
	for _, r := range []rune{'\u0085', '\u009b', '\u2028', '\u2029'} {
		b, _ := json.Marshal("8:acs:a" + string(r) + "b")
		endpoint := hostileService(t, func(w http.ResponseWriter, _ *http.Request, _ string) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"value":[{"identifier":{"rawId":`+string(b)+`},"isMuted":false}]}`)
		})
		res := runCmd(t, map[string]string{"ACS_BEARER_TOKEN": cliToken}, "participants", "--endpoint", endpoint, "--call", "call-1")
		if res.code != exitFailure || !strings.Contains(res.stderr, "cannot be read") {
			t.Errorf("%U: exit %d, stderr %q; want exit 1, the answer unreadable", r, res.code, res.stderr)
		}
		if strings.ContainsRune(res.stderr, r) {
			t.Errorf("%U written raw: %q", r, res.stderr)
		}
	}
}

// A flag's parse error never quotes the value: one pasted into the wrong
// flag may be the credential, which the command has not read yet.
func TestFlagParseErrorsDoNotQuoteValues(t *testing.T) {
	cs := "endpoint=https://r.communication.azure.com/;accesskey=" + fakeKey
	for _, args := range [][]string{
		{"mute", "--connection-string", cs, "--call", "c", "--participant", "8:acs:r_u", "--timeout", fakeKey},
		{"mute", "--connection-string", cs, "--call", "c", "--all", "--concurrency", fakeKey},
		{"mute", "--connection-string", cs, "--call", "c", "--participant", "8:acs:r_u", "--verify=" + fakeKey},
		{"participants", "--connection-string", cs, "--call", "c", "--timeout", "c2hvcnQta2V5LTE2Ynl0ZQ=="},
	} {
		r := runCmd(t, map[string]string{"ACS_BEARER_TOKEN": cliToken}, args...)
		if r.code != exitUsage || strings.Contains(r.stderr, fakeKey) || strings.Contains(r.stderr, "c2hvcnQta2V5") ||
			!strings.Contains(r.stderr, "is not repeated here") || !strings.Contains(r.stderr, "--") {
			t.Errorf("%v: exit %d, stderr %q", args[len(args)-2:], r.code, r.stderr)
		}
	}
	// The environment's credential is guarded before the flags are read.
	r := runCmd(t, map[string]string{"ACS_BEARER_TOKEN": cliToken}, "participants", "--endpoint", "https://r.example", "--call", "c", "--timeout", cliToken)
	if strings.Contains(r.stderr, cliToken[:20]) {
		t.Errorf("stderr %q", r.stderr)
	}
	// A flag type of ours says what is wrong with its value.
	if r := runCmd(t, nil, "emulator", "--call", "c1=8:asc:r_typo"); r.code != exitUsage || !strings.Contains(r.stderr, "--call: participant") {
		t.Errorf("emulator --call: %d %q", r.code, r.stderr)
	}
}

// With a connection string the commands never print the HMAC signature a
// request carried either, however the service escapes its echo.
func TestCommandsNeverPrintTheSignature(t *testing.T) {
	var mu sync.Mutex
	var sigs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, sig, _ := strings.Cut(r.Header.Get("Authorization"), "Signature=")
		mu.Lock()
		sigs = append(sigs, sig)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			fmt.Fprint(w, `{"operationContext":"`+letterEscaped(sig)+`"}`)
			return
		}
		fmt.Fprint(w, `{"value":[{"identifier":{"rawId":"8:acs:`+letterEscaped(sig)+`"},"isMuted":false}]}`)
	}))
	defer srv.Close()
	cs := "endpoint=" + srv.URL + "/;accesskey=" + fakeKey
	for _, args := range [][]string{
		{"participants", "--call", "c"},
		{"mute", "--call", "c", "--participant", "8:acs:r_u"},
		{"mute", "--call", "c", "--all"},
	} {
		r := runCmd(t, nil, append(args, "--connection-string", cs, "--timeout", "5s")...)
		mu.Lock()
		for _, sig := range sigs {
			for i := 0; i+20 <= len(sig); i++ {
				if strings.Contains(r.stdout+r.stderr, sig[i:i+20]) {
					t.Errorf("%v shows the signature:\n%s\n%s", args, r.stdout, r.stderr)
					break
				}
			}
		}
		mu.Unlock()
	}
}
