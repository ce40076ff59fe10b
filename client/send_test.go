package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
)

// With its own HTTP client, the Client hands requests straight to the
// transport; its failures read as http.Client's would: a *url.Error with
// the method and the URL, around the transport's error.
func TestTransportErrorsReadAsHTTPClientErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	_ = ln.Close() // connections are refused from now on
	noRetry := client.RetryOptions{MaxRetries: -1}
	direct := newKeyClient(t, endpoint, &client.ClientOptions{Retry: noRetry})
	// A timeout makes the Client go through http.Client.
	through := newKeyClient(t, endpoint, &client.ClientOptions{Retry: noRetry, HTTPClient: &http.Client{Transport: client.NewTransport(), Timeout: time.Hour}})
	var got [2]*url.Error
	for i, c := range []*client.Client{direct, through} {
		_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
		if !errors.As(err, &got[i]) {
			t.Fatalf("error %v has no *url.Error", err)
		}
	}
	if got[0].Error() != got[1].Error() {
		t.Errorf("straight to the transport: %q\nthrough http.Client:      %q", got[0], got[1])
	}
	if got[0].Op != "Post" || !strings.HasPrefix(got[0].URL, endpoint+"/calling/callConnections/call/participants:mute?") {
		t.Errorf("Op %q, URL %q", got[0].Op, got[0].URL)
	}
}

// A redirect whose Location cannot be parsed is still the server's answer:
// a final 3xx *ResponseError, not a failure of the transport to retry as an
// attempt that may have executed (http.Client reports it as such).
func TestRedirectWithUnreadableLocationIsTheAnswer(t *testing.T) {
	srv := newRecorder(t, answer(http.StatusFound, `{}`, "Location", "http://[::1"))
	c := newKeyClient(t, srv.URL, &client.ClientOptions{Retry: fastRetry})
	_, err := c.MuteParticipant(context.Background(), "call", acsUser, nil)
	muteErr(t, err, 1, false)
	var re *client.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusFound {
		t.Fatalf("error = %v, want a ResponseError with status 302", err)
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
