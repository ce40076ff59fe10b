package client_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acsmute/acsmute/client"
)

// benchServer answers every request with 200 and a small mute result.
func benchServer(b *testing.B) *httptest.Server {
	b.Helper()
	body := []byte(`{"operationContext":"bench"}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchClient(b *testing.B, srv *httptest.Server) *client.Client {
	b.Helper()
	c, err := client.NewClientFromConnectionString("endpoint="+srv.URL+"/;accesskey="+fakeKey, nil)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

var benchUser = client.CommunicationUserIdentifier{ID: "8:acs:b9614373-fd0b-480c-8fd2-cb58b70eab9f_da7be3a9-8788-42a6-85c6-56b2cf784fce"}

const benchCall = "18dea47f-b081-4107-9a5c-4300819d2c6c"

func BenchmarkMuteParticipant(b *testing.B) {
	srv := benchServer(b)
	c := benchClient(b, srv)
	ctx := context.Background()
	opts := &client.MuteParticipantOptions{OperationContext: "bench"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.MuteParticipant(ctx, benchCall, benchUser, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMuteParticipantParallel(b *testing.B) {
	srv := benchServer(b)
	c := benchClient(b, srv)
	muteInParallel(b, c)
}

// tlsBenchServer is benchServer over TLS with HTTP/2, as the service speaks.
func tlsBenchServer(b *testing.B) *httptest.Server {
	b.Helper()
	body := []byte(`{"operationContext":"bench"}`)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header()["Content-Type"] = []string{"application/json"}
		_, _ = w.Write(body)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkMuteParticipantTLS is BenchmarkMuteParticipantParallel over TLS
// with HTTP/2 (the client's HTTP client trusts the test certificate).
func BenchmarkMuteParticipantTLS(b *testing.B) {
	srv := tlsBenchServer(b)
	c, err := client.NewClientFromConnectionString("endpoint="+srv.URL+"/;accesskey="+fakeKey, &client.ClientOptions{HTTPClient: srv.Client()})
	if err != nil {
		b.Fatal(err)
	}
	muteInParallel(b, c)
}

// BenchmarkBaselineNetHTTPTLS is the hand-written baseline over the same
// TLS and HTTP/2 connection settings.
func BenchmarkBaselineNetHTTPTLS(b *testing.B) {
	srv := tlsBenchServer(b)
	bl := newBaseline(b, srv)
	bl.hc = srv.Client()
	bl.host = strings.TrimPrefix(srv.URL, "https://")
	bl.doInParallel(b)
}

// baseline is the same request written by hand with net/http: the same body
// bytes and headers, fresh repeatability IDs and date, signed inline.
type baseline struct {
	hc   *http.Client
	url  string
	host string
	key  []byte
	body []byte
}

func newBaseline(b *testing.B, srv *httptest.Server) *baseline {
	key, _ := base64.StdEncoding.DecodeString(fakeKey)
	body := []byte(`{"operationContext":"bench","targetParticipants":[{"communicationUser":{"id":"` + benchUser.ID + `"},"kind":"communicationUser","rawId":"` + benchUser.ID + `"}]}`)
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 100
	return &baseline{
		hc:   &http.Client{Transport: t},
		url:  srv.URL + "/calling/callConnections/" + benchCall + "/participants:mute?api-version=" + client.APIVersion,
		host: strings.TrimPrefix(srv.URL, "http://"),
		key:  key,
		body: body,
	}
}

func (bl *baseline) do(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, bl.url, bytes.NewReader(bl.body))
	if err != nil {
		return err
	}
	date := time.Now().UTC().Format(http.TimeFormat)
	sum := sha256.Sum256(bl.body)
	hash := base64.StdEncoding.EncodeToString(sum[:])
	mac := hmac.New(sha256.New, bl.key)
	io.WriteString(mac, "POST\n"+req.URL.RequestURI()+"\n"+date+";"+bl.host+";"+hash)
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	h.Set("User-Agent", "baseline/1.0")
	h.Set("X-Ms-Client-Request-Id", uuid.NewString())
	h.Set("Repeatability-Request-Id", uuid.NewString())
	h.Set("Repeatability-First-Sent", date)
	h.Set("X-Ms-Date", date)
	h.Set("X-Ms-Content-Sha256", hash)
	h.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	resp, err := bl.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	return err
}

func BenchmarkBaselineNetHTTP(b *testing.B) {
	bl := newBaseline(b, benchServer(b))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := bl.do(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineNetHTTPParallel(b *testing.B) {
	bl := newBaseline(b, benchServer(b))
	bl.doInParallel(b)
}

// muteInParallel mutes with c from every benchmark goroutine.
func muteInParallel(b *testing.B, c *client.Client) {
	ctx := context.Background()
	opts := &client.MuteParticipantOptions{OperationContext: "bench"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.MuteParticipant(ctx, benchCall, benchUser, opts); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// doInParallel sends the baseline request from every benchmark goroutine.
func (bl *baseline) doInParallel(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := bl.do(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// actionBenchServer answers a remove with 202 and its result, and every
// other request (a hold) with 200 and no body, as the service does.
func actionBenchServer(b *testing.B) *httptest.Server {
	b.Helper()
	body := []byte(`{"operationContext":"bench"}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if strings.HasSuffix(r.URL.Path, ":remove") {
			w.Header()["Content-Type"] = []string{"application/json"}
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write(body)
		}
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkHoldParticipant is BenchmarkMuteParticipant's loop for a hold
// with a play file: no repeatability headers, a 200 without a body.
func BenchmarkHoldParticipant(b *testing.B) {
	c := benchClient(b, actionBenchServer(b))
	ctx := context.Background()
	opts := &client.HoldParticipantOptions{OperationContext: "bench", PlayFileURL: "https://media.example/hold.wav"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.HoldParticipant(ctx, benchCall, benchUser, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRemoveParticipant is BenchmarkMuteParticipant's loop for a
// remove: repeatability headers, and a 202 with a result.
func BenchmarkRemoveParticipant(b *testing.B) {
	c := benchClient(b, actionBenchServer(b))
	ctx := context.Background()
	opts := &client.RemoveParticipantOptions{OperationContext: "bench"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.RemoveParticipant(ctx, benchCall, benchUser, opts); err != nil {
			b.Fatal(err)
		}
	}
}
