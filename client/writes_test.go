package client_test

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/acsmute/acsmute/client"
)

// countingConn counts the writes made on a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// Each attempt leaves in one write, headers and body together: net/http
// flushes the headers on their own (one more TCP segment, and a server woken
// twice) unless it knows the body to be in memory.
func TestEachAttemptIsOneWrite(t *testing.T) {
	srv := newRecorder(t, answer(503, `{"error":{"code":"Busy","message":"busy"}}`), answer(200, `{}`))
	var writes atomic.Int64
	tr := client.NewTransport()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{conn, &writes}, nil
	}
	c := newKeyClient(t, srv.URL, &client.ClientOptions{
		HTTPClient: &http.Client{Transport: tr},
		Retry:      client.RetryOptions{RetryDelay: 1, MaxRetryDelay: 1},
	})
	res, err := c.MuteParticipant(context.Background(), "call", acsUser, &client.MuteParticipantOptions{OperationContext: "ctx"})
	if err != nil || res.Attempts != 2 {
		t.Fatalf("%+v, %v", res, err)
	}
	if n := writes.Load(); n != 2 {
		t.Errorf("2 attempts took %d writes, want one each", n)
	}
	for i, r := range srv.seen() {
		if len(r.Body) == 0 {
			t.Errorf("attempt %d arrived without its body", i+1)
		}
	}
}
