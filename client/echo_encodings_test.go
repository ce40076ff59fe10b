package client_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/acsmute/acsmute/client"
)

// The echoes a hostile review found getting through (issue 26): the
// credential spelled in a way the scrubber did not list (percent-encoded
// in lower case or byte by byte, JSON-escaped letter by letter), split by
// an invisible character or across two fields, cut to a part, or quoted by
// net/http from a malformed answer; and control characters in a TLS
// certificate's names. None may reach a result, an error (in any of its
// printed forms and fields) or a log line.

// lowerHex query-escapes s with lower-case hex digits.
func lowerHex(s string) string {
	q := url.QueryEscape(s)
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if q[i] == '%' && i+2 < len(q) {
			b.WriteString("%" + strings.ToLower(q[i+1:i+3]))
			i += 2
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// uAll JSON-escapes every character of s.
func uAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

// leaks reports how text holds a secret: as it is, in an escaped form, split
// by a space, or a 20-byte part of it.
func leaks(text string, secrets []string) []string {
	var out []string
	for _, s := range secrets {
		if len(s) < 8 {
			continue
		}
		for name, f := range map[string]string{"raw": s, "lowerHex": lowerHex(s), "pctAll": percentEveryByte(s), "uAll": uAll(s),
			"queryEsc": url.QueryEscape(s), "pathEsc": url.PathEscape(s)} {
			if strings.Contains(text, f) {
				out = append(out, name+":"+f[:min(len(f), 16)])
			}
		}
		if mid := len(s) / 2; strings.Contains(text, s[:mid]+" "+s[mid:]) {
			out = append(out, "split by a space")
		}
		for i := 0; i+20 <= len(s); i++ {
			if strings.Contains(text, s[i:i+20]) {
				out = append(out, fmt.Sprintf("part [%d:%d]", i, i+20))
				break
			}
		}
	}
	return out
}

type leakScenario struct {
	name    string
	handler func(w http.ResponseWriter, r *http.Request, secret string)
	call    func(c *client.Client) (string, error)
}

func leakGet(c *client.Client) (string, error) {
	p, err := c.GetParticipant(context.Background(), "call", acsUser, nil)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%+v %s", p, p.Identifier.RawID()), err
}

func leakMute(c *client.Client) (string, error) {
	r, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
	return fmt.Sprintf("%+v", r), err
}

func leakList(c *client.Client) (string, error) {
	var b strings.Builder
	for p, err := range c.ListParticipants(context.Background(), "call", &client.ListParticipantsOptions{MaxPages: 5}) {
		if err != nil {
			return b.String(), err
		}
		fmt.Fprintf(&b, "%+v %s\n", p, p.Identifier.RawID())
	}
	return b.String(), nil
}

// runLeakScenario runs a scenario with an access key and a bearer token and
// fails on any leak in the result, the error or the log.
func runLeakScenario(t *testing.T, sc leakScenario) {
	t.Helper()
	srv := newEchoServer(t, sc.handler)
	var logs bytes.Buffer
	for name, c := range echoClients(t, srv.URL, &logs) {
		res, err := sc.call(c)
		text := "result: " + res + "\n"
		if err != nil {
			text += "error: " + errorTexts(err) + fmt.Sprintf("\n%#v", err)
			if i := strings.IndexFunc(err.Error(), func(r rune) bool { return !unicode.IsPrint(r) }); i >= 0 {
				t.Errorf("%s: the error holds a character that is not printable: %q", name, err.Error())
			}
		}
		srv.mu.Lock()
		secrets := append([]string{fakeKey, echoToken}, srv.seen...)
		srv.mu.Unlock()
		if l := leaks(text, secrets); len(l) > 0 {
			t.Errorf("%s: %v\n%s", name, l, text)
		}
	}
	srv.mu.Lock()
	secrets := append([]string{fakeKey, echoToken}, srv.seen...)
	srv.mu.Unlock()
	if l := leaks(logs.String(), secrets); len(l) > 0 {
		t.Errorf("log: %v\n%s", l, logs.String())
	}
}

func jsonAnswerOf(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

// rawAnswerOf writes a raw, possibly malformed, HTTP answer.
func rawAnswerOf(w http.ResponseWriter, format string, args ...any) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, format, args...)
	_ = buf.Flush()
}

func TestEchoesInEveryEncoding(t *testing.T) {
	pj := func(id string) string { return `{"identifier":` + id + `,"isMuted":true}` }
	page2 := func(r *http.Request) bool {
		return strings.Contains(r.URL.RawQuery, "p=2") || strings.Contains(r.URL.Path, "/next")
	}
	hangup := func(w http.ResponseWriter) { rawAnswerOf(w, "") }
	scenarios := []leakScenario{
		{"mute result, JSON-escaped", func(w http.ResponseWriter, r *http.Request, s string) {
			jsonAnswerOf(w, 200, `{"operationContext":"`+uAll(s)+`"}`)
		}, leakMute},
		{"list rawId, JSON-escaped", func(w http.ResponseWriter, r *http.Request, s string) {
			jsonAnswerOf(w, 200, `{"value":[`+pj(`{"rawId":"8:acs:`+uAll(s)+`"}`)+`]}`)
		}, leakList},
		{"list nested id, JSON-escaped", func(w http.ResponseWriter, r *http.Request, s string) {
			jsonAnswerOf(w, 200, `{"value":[`+pj(`{"communicationUser":{"id":"8:acs:`+uAll(s)+`"}}`)+`]}`)
		}, leakList},
		{"list Teams user ID, JSON-escaped", func(w http.ResponseWriter, r *http.Request, s string) {
			jsonAnswerOf(w, 200, `{"value":[`+pj(`{"microsoftTeamsUser":{"userId":"`+uAll(s)+`"}}`)+`]}`)
		}, leakList},
		{"list phone number, JSON-escaped", func(w http.ResponseWriter, r *http.Request, s string) {
			jsonAnswerOf(w, 200, `{"value":[`+pj(`{"phoneNumber":{"value":"+1`+uAll(s)+`"}}`)+`]}`)
		}, leakList},
		{"400 invalid JSON, lower-case hex", func(w http.ResponseWriter, r *http.Request, s string) {
			jsonAnswerOf(w, 400, `{"error": tok=`+lowerHex(s))
		}, leakGet},
		{"400 text, lower-case hex", func(w http.ResponseWriter, r *http.Request, s string) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(400)
			fmt.Fprint(w, "bad tok="+lowerHex(s))
		}, leakGet},
		{"400 text, every byte percent-encoded", func(w http.ResponseWriter, r *http.Request, s string) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(400)
			fmt.Fprint(w, "bad tok="+percentEveryByte(s))
		}, leakGet},
		{"400 invalid JSON, JSON-escaped", func(w http.ResponseWriter, r *http.Request, s string) {
			jsonAnswerOf(w, 400, `{"error":{"code":"X","message":"`+uAll(s)+`"}`)
		}, leakGet},
		{"400 JSON-escaped (RawBody)", func(w http.ResponseWriter, r *http.Request, s string) {
			jsonAnswerOf(w, 400, `{"error":{"code":"X","message":"`+uAll(s)+`"}}`)
		}, leakGet},
		{"400 split by a zero-width space", func(w http.ResponseWriter, r *http.Request, s string) {
			m := len(s) / 2
			jsonAnswerOf(w, 400, `{"error":{"code":"X","message":"`+s[:m]+`\u200b`+s[m:]+`"}}`)
		}, leakGet},
		{"400 its first 30 bytes", func(w http.ResponseWriter, r *http.Request, s string) {
			jsonAnswerOf(w, 400, `{"error":{"code":"X","message":"`+uAll(s[:30])+`"}}`)
		}, leakGet},
		{"400 its last 30 bytes", func(w http.ResponseWriter, r *http.Request, s string) {
			jsonAnswerOf(w, 400, `{"error":{"code":"X","message":"`+uAll(s[len(s)-30:])+`"}}`)
		}, leakGet},
		{"400 split across code and message", func(w http.ResponseWriter, r *http.Request, s string) {
			m := len(s) / 2
			jsonAnswerOf(w, 400, `{"error":{"code":"`+uAll(s[:m])+`","message":"`+uAll(s[m:])+`"}}`)
		}, leakGet},
		{"302 Location, lower-case hex", func(w http.ResponseWriter, r *http.Request, s string) {
			w.Header().Set("Location", "/x?t="+lowerHex(s))
			w.WriteHeader(302)
		}, leakGet},
		{"400 header, lower-case hex", func(w http.ResponseWriter, r *http.Request, s string) {
			w.Header().Set("X-Echo", lowerHex(s))
			jsonAnswerOf(w, 400, `{"error":{"code":"X","message":"m"}}`)
		}, leakGet},
		{"400 Content-Type, lower-case hex", func(w http.ResponseWriter, r *http.Request, s string) {
			w.Header().Set("Content-Type", "text/"+lowerHex(s))
			w.WriteHeader(400)
			fmt.Fprint(w, "nope")
		}, leakGet},
		{"200 Content-Type, lower-case hex", func(w http.ResponseWriter, r *http.Request, s string) {
			w.Header().Set("Content-Type", "text/"+lowerHex(s))
			w.WriteHeader(200)
			fmt.Fprint(w, "nope")
		}, leakMute},
		{"malformed status line, part", func(w http.ResponseWriter, r *http.Request, s string) {
			rawAnswerOf(w, "HTTP/1.1 %s\r\n\r\n", s[:30])
		}, leakGet},
		{"malformed header line, lower-case hex", func(w http.ResponseWriter, r *http.Request, s string) {
			rawAnswerOf(w, "HTTP/1.1 200 OK\r\n%s\r\n\r\n", lowerHex(s))
		}, leakGet},
		{"malformed header line, split by a space", func(w http.ResponseWriter, r *http.Request, s string) {
			m := len(s) / 2
			rawAnswerOf(w, "HTTP/1.1 200 OK\r\n%s %s\r\n\r\n", s[:m], s[m:])
		}, leakGet},
		{"nextLink query, lower-case hex, then EOF", func(w http.ResponseWriter, r *http.Request, s string) {
			if page2(r) {
				hangup(w)
				return
			}
			jsonAnswerOf(w, 200, `{"value":[],"nextLink":"/calling/callConnections/call/participants?p=2&t=`+lowerHex(s)+`"}`)
		}, leakList},
		{"nextLink query with an undecodable escape, then 400", func(w http.ResponseWriter, r *http.Request, s string) {
			if page2(r) {
				jsonAnswerOf(w, 400, `{"error":{"code":"X","message":"m"}}`)
				return
			}
			jsonAnswerOf(w, 200, `{"value":[],"nextLink":"/calling/callConnections/call/participants?p=2&z=%zz&t=`+lowerHex(s)+`"}`)
		}, leakList},
		{"nextLink query split by +, then 400", func(w http.ResponseWriter, r *http.Request, s string) {
			if page2(r) {
				jsonAnswerOf(w, 400, `{"error":{"code":"X","message":"m"}}`)
				return
			}
			m := len(s) / 2
			jsonAnswerOf(w, 200, `{"value":[],"nextLink":"/calling/callConnections/call/participants?p=2&t=`+uAll(s[:m])+"+"+uAll(s[m:])+`"}`)
		}, leakList},
		{"nextLink path, every byte percent-encoded, then EOF", func(w http.ResponseWriter, r *http.Request, s string) {
			if page2(r) {
				hangup(w)
				return
			}
			jsonAnswerOf(w, 200, `{"value":[],"nextLink":"/next/`+percentEveryByte(s)+`"}`)
		}, leakList},
		{"nextLink userinfo", func(w http.ResponseWriter, r *http.Request, s string) {
			jsonAnswerOf(w, 200, `{"value":[],"nextLink":"http://`+uAll(lowerHex(s))+`@`+r.Host+`/next"}`)
		}, leakList},
		{"nextLink foreign host, percent-encoded", func(w http.ResponseWriter, r *http.Request, s string) {
			jsonAnswerOf(w, 200, `{"value":[],"nextLink":"http://`+lowerHex(s)+`.example/next"}`)
		}, leakList},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { runLeakScenario(t, sc) })
	}
}

// http.Client (with a cookie jar) quotes a Location it cannot parse.
func TestEchoInUnparsableLocation(t *testing.T) {
	srv := newEchoServer(t, func(w http.ResponseWriter, r *http.Request, s string) {
		w.Header().Set("Location", "http://[::1/%zz"+lowerHex(s))
		w.WriteHeader(302)
	})
	jar, _ := cookiejar.New(nil)
	var logs bytes.Buffer
	c, err := client.NewClientFromConnectionString("endpoint="+srv.URL+"/;accesskey="+fakeKey, &client.ClientOptions{
		HTTPClient: &http.Client{Jar: jar, Timeout: 5 * time.Second},
		Logger:     slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetParticipant(context.Background(), "call", acsUser, nil)
	if err == nil {
		t.Fatal("no error")
	}
	srv.mu.Lock()
	secrets := append([]string{fakeKey}, srv.seen...)
	srv.mu.Unlock()
	if l := leaks(errorTexts(err)+logs.String(), secrets); len(l) > 0 {
		t.Errorf("%v\n%v\n%s", l, err, logs.String())
	}
}

// A certificate whose names hold a newline and terminal escapes does not
// get them into the error: it stays one line, with nothing forged.
func TestCertificateNamesInErrorsArePrintable(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "x"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"evil.example\nlevel=ERROR msg=\"forged line\"", "\x1b[2J\x1b[31mred"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.Config.ErrorLog = nil
	srv.StartTLS()
	defer srv.Close()
	var mu sync.Mutex
	var logs bytes.Buffer
	c, err := client.NewClientFromConnectionString("endpoint="+strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/;accesskey="+fakeKey,
		&client.ClientOptions{Logger: slog.New(slog.NewJSONHandler(&lockedWriter{mu: &mu, w: &logs}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.MuteParticipant(context.Background(), "call", acsUser, nil)
	if err == nil {
		t.Fatal("no error")
	}
	if i := strings.IndexFunc(err.Error(), func(r rune) bool { return !unicode.IsPrint(r) }); i >= 0 || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("error = %q", err.Error())
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
