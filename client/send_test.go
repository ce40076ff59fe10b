package client_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
)

// Straight to the transport, failures read as http.Client's would: a
// *url.Error with the method and the URL, around the transport's error.
func TestTransportErrorsReadAsHTTPClientErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	_ = ln.Close() // connections are refused from now on
	key, _ := client.NewKeyCredential(fakeKey)
	var logs bytes.Buffer
	got := map[string]*url.Error{}
	for name, c := range bothPaths(t, endpoint, key, client.RetryOptions{MaxRetries: -1}, &logs) {
		var ue *url.Error
		if _, err := c.MuteParticipant(context.Background(), "call", acsUser, nil); !errors.As(err, &ue) {
			t.Fatalf("%s: error %v has no *url.Error", name, err)
		}
		got[name] = ue
	}
	direct, through := got["straight to the transport"], got["through http.Client"]
	if direct.Error() != through.Error() {
		t.Errorf("straight to the transport: %q\nthrough http.Client:      %q", direct, through)
	}
	if direct.Op != "Post" || !strings.HasPrefix(direct.URL, endpoint+"/calling/callConnections/call/participants:mute?") {
		t.Errorf("Op %q, URL %q", direct.Op, direct.URL)
	}
}

// bothPaths returns, for a credential and options, a Client that sends
// straight to the transport and one that goes through http.Client (a
// timeout makes it), each with a logger writing to logs.
func bothPaths(t *testing.T, endpoint string, cred client.Credential, retry client.RetryOptions, logs *bytes.Buffer) map[string]*client.Client {
	t.Helper()
	out := map[string]*client.Client{}
	for name, hc := range map[string]*http.Client{
		"straight to the transport": {Transport: client.NewTransport()},
		"through http.Client":       {Transport: client.NewTransport(), Timeout: time.Hour},
	} {
		c, err := client.NewClient(endpoint, cred, &client.ClientOptions{HTTPClient: hc, Retry: retry, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		out[name] = c
	}
	return out
}

// A redirect whose Location cannot be parsed is still the server's answer,
// which speaks for the attempt as any 3xx does: final, not an unknown
// outcome, on both paths (http.Client reports it as an error, before
// asking CheckRedirect). The Location, which a server can fill with the
// request's credential, does not carry it into the error or the log.
func TestRedirectWithUnreadableLocationIsTheAnswer(t *testing.T) {
	const token = "fake-location-token-0123456789"
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://[::1/"+r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusFound)
	})
	cred, _ := client.NewStaticTokenCredential(token)
	var logs bytes.Buffer
	for name, c := range bothPaths(t, srv.URL, cred, fastRetry, &logs) {
		_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
		muteErr(t, err, 1, false)
		var re *client.ResponseError
		if name == "straight to the transport" && (!errors.As(err, &re) || re.StatusCode != http.StatusFound) {
			t.Errorf("%s: error = %v, want a ResponseError with status 302", name, err)
		}
		if path := findString(reflect.ValueOf(err), token, map[uintptr]bool{}, "err", 0); path != "" {
			t.Errorf("%s: the token is reachable at %s: %v", name, path, err)
		}
	}
	if strings.Contains(logs.String(), token) {
		t.Errorf("the log holds the token:\n%s", logs.String())
	}
}

// net/http quotes a malformed answer in its error; a server that echoes
// the request's Authorization there does not get the credential (token or
// HMAC signature) into the error, anything reachable from it, or the log.
func TestTransportErrorsDoNotQuoteTheCredential(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var lastAuth atomic.Value // the Authorization the server last saw
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				lastAuth.Store(req.Header.Get("Authorization"))
				if strings.Contains(req.URL.Path, "trailer") { // quoted while reading the body
					fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nEcho %s\r\n\r\n", req.Header.Get("Authorization"))
					return
				}
				fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nEcho %s\r\nContent-Length: 0\r\n\r\n", req.Header.Get("Authorization"))
			}()
		}
	}()
	endpoint := "http://" + ln.Addr().String()
	token, _ := client.NewStaticTokenCredential("fake-echoed-token-0123456789")
	key, _ := client.NewKeyCredential(fakeKey)
	for _, tc := range []struct {
		call string
		cred client.Credential
	}{{"in-header", token}, {"in-header", key}, {"in-trailer", token}, {"in-trailer", key}} {
		var logs bytes.Buffer
		for name, c := range bothPaths(t, endpoint, tc.cred, client.RetryOptions{MaxRetries: -1}, &logs) {
			name = tc.call + ", " + name
			_, err := c.MuteParticipant(context.Background(), tc.call, acsUser, nil)
			if err == nil || !strings.Contains(err.Error(), "malformed") {
				t.Fatalf("%s: error = %v, want net/http's malformed header", name, err)
			}
			if !strings.Contains(err.Error(), "REDACTED") {
				t.Errorf("%s: error = %v, want the echoed credential redacted", name, err)
			}
			// The token, or the signature, of the request the server echoed.
			auth, _ := lastAuth.Load().(string)
			secret := strings.TrimPrefix(auth, "Bearer ")
			if _, sig, ok := strings.Cut(auth, "Signature="); ok {
				secret = sig
			}
			if len(secret) < 16 {
				t.Fatalf("%s: the server saw Authorization %q", name, auth)
			}
			if strings.Contains(err.Error()+logs.String(), secret) {
				t.Errorf("%s: %q in the error or the log: %v\n%s", name, secret, err, logs.String())
			}
			if path := findString(reflect.ValueOf(err), secret, map[uintptr]bool{}, "err", 0); path != "" {
				t.Errorf("%s: %q reachable at %s", name, secret, path)
			}
		}
	}
}

// An https endpoint whose server speaks plain HTTP is reported as
// http.Client reports it, on both paths.
func TestPlainHTTPServerOnHTTPSEndpoint(t *testing.T) {
	srv := newRecorder(t)
	endpoint := strings.Replace(srv.URL, "http://", "https://", 1)
	key, _ := client.NewKeyCredential(fakeKey)
	var logs bytes.Buffer
	for name, c := range bothPaths(t, endpoint, key, fastRetry, &logs) {
		_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
		muteErr(t, err, 1, false)
		if !errors.Is(err, http.ErrSchemeMismatch) {
			t.Errorf("%s: error = %v, want http.ErrSchemeMismatch", name, err)
		}
	}
}

// A caller's HTTP client keeps what it adds to its transport: its cookie
// jar, and its timeout bounding each attempt.
func TestCallerHTTPClientJarAndTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err == nil && c.Value == "fake-cookie" {
			answer(200, `{}`)(w, r)
			return
		}
		select { // an answer slower than the caller's timeout
		case <-r.Context().Done():
		case <-release:
		}
		answer(200, `{}`)(w, r)
	})
	noRetry := client.RetryOptions{MaxRetries: -1, TryTimeout: 5 * time.Second}

	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: "fake-cookie"}})
	withJar := newKeyClient(t, srv.URL, &client.ClientOptions{HTTPClient: &http.Client{Transport: client.NewTransport(), Jar: jar}, Retry: noRetry})
	if _, err := withJar.MuteParticipant(context.Background(), "call", acsUser, nil); err != nil {
		t.Fatalf("with the jar's cookie: %v", err)
	}

	withTimeout := newKeyClient(t, srv.URL, &client.ClientOptions{HTTPClient: &http.Client{Transport: client.NewTransport(), Timeout: 50 * time.Millisecond}, Retry: noRetry})
	_, err := withTimeout.MuteParticipant(context.Background(), "call", acsUser, nil)
	if err == nil || !strings.Contains(err.Error(), "Client.Timeout exceeded") {
		t.Fatalf("error = %v, want the caller's Client.Timeout", err)
	}
	muteErr(t, err, 1, true)
}
