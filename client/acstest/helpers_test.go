package acstest_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// Start and Client make a test as short as with httptest; SetMuted and
// RemoveParticipant change a call the way its participants would.
func TestStartClientSetMutedRemoveParticipant(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"c": {alice, bob}}})
	c := srv.Client()
	ctx := context.Background()
	who := client.CommunicationUserIdentifier{ID: alice}
	if _, err := c.MuteParticipant(ctx, "c", who, nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetMuted("c", alice, false); err != nil {
		t.Fatal(err)
	}
	if p, err := c.GetParticipant(ctx, "c", who, nil); err != nil || p.IsMuted {
		t.Errorf("after unmuting themselves: %+v, %v", p, err)
	}
	if err := srv.RemoveParticipant("c", alice); err != nil {
		t.Fatal(err)
	}
	if ps, _ := srv.Participants("c"); len(ps) != 1 || ps[0].RawID != bob {
		t.Errorf("participants after alice left: %+v", ps)
	}
	var re *client.ResponseError
	if _, err := c.GetParticipant(ctx, "c", who, nil); !errors.As(err, &re) || re.StatusCode != 404 {
		t.Errorf("read after leaving: %v", err)
	}
	if _, err := c.MuteParticipant(ctx, "c", who, nil); !errors.As(err, &re) || re.ErrorCode != "ParticipantNotInCall" {
		t.Errorf("mute after leaving: %v", err)
	}
	for _, err := range []error{srv.SetMuted("c", alice, true), srv.SetMuted("nope", bob, true), srv.RemoveParticipant("c", alice), srv.RemoveParticipant("nope", bob)} {
		if err == nil {
			t.Error("a change to a missing call or participant succeeded")
		}
	}
	// A client for a server on every interface reaches it on loopback.
	any := acstest.Start(t, &acstest.Options{Addr: "0.0.0.0:0", Calls: map[string][]string{"c": {alice}}})
	if !strings.HasPrefix(any.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %s", any.URL)
	}
	if _, err := any.Client().MuteParticipant(ctx, "c", who, nil); err != nil {
		t.Error(err)
	}
}

// The request log keeps the most recent MaxRequests and counts the rest.
func TestRequestLogIsBounded(t *testing.T) {
	srv := newServer(t, &acstest.Options{MaxRequests: 3})
	for i := range 8 {
		rawRequest{body: muteBody(bob, fmt.Sprint(i))}.do(t, srv)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 || reqs[0].Seq != 6 || reqs[2].Seq != 8 || srv.DroppedRequests() != 5 {
		t.Errorf("kept %d requests from Seq %d, %d dropped", len(reqs), reqs[0].Seq, srv.DroppedRequests())
	}
}

// Requests that are not routed or not authenticated keep no body.
func TestUnacceptedRequestsKeepNoBody(t *testing.T) {
	srv := newServer(t, nil)
	big := strings.Repeat("x", 1<<19)
	rawRequest{path: "/anything", body: big}.do(t, srv)
	rawRequest{body: big, key: "d3Jvbmcta2V5"}.do(t, srv)
	rawRequest{body: muteBody(bob, "")}.do(t, srv)
	reqs := srv.Requests()
	if len(reqs) != 3 || len(reqs[0].Body) != 0 || len(reqs[1].Body) != 0 || len(reqs[2].Body) == 0 {
		t.Errorf("bodies kept: %d, %d, %d bytes", len(reqs[0].Body), len(reqs[1].Body), len(reqs[2].Body))
	}
}

// A body sent a byte at a time is cut off at ReadTimeout.
func TestSlowBodyIsCutOff(t *testing.T) {
	srv := newServer(t, &acstest.Options{ReadTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", callPath)
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		bufio.NewReader(conn).ReadString(0) // until the server closes
	}()
	for i := 0; i < 1000; i++ {
		select {
		case <-closed:
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("closed after %v", d)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := conn.Write([]byte("x")); err != nil {
			return // the server closed the connection
		}
	}
	t.Error("the server read a 1000-byte body sent at 20 bytes a second to the end")
}

// An unaccepted request keeps only the headers the service reads and the
// start of its URI; a raw ID that looks like the mute path still routes.
func TestUnacceptedRequestsKeepLittle(t *testing.T) {
	srv := newServer(t, &acstest.Options{Calls: map[string][]string{"call-1": {"participants:mute"}}})
	r := rawRequest{path: "/junk?" + strings.Repeat("q", 4000), noAuth: true, tamper: func(req *http.Request) {
		req.Header.Set("X-Junk", strings.Repeat("j", 30000))
	}}
	r.do(t, srv)
	got := srv.Requests()[0]
	if got.Header.Get("X-Junk") != "" || len(got.RequestURI) > 1024 || got.Header.Get("Content-Type") == "" {
		t.Errorf("kept header X-Junk %d bytes, URI %d bytes, Content-Type %q", len(got.Header.Get("X-Junk")), len(got.RequestURI), got.Header.Get("Content-Type"))
	}
	resp, b := rawRequest{method: http.MethodGet, path: "/calling/callConnections/call-1/participants/participants:mute?api-version=" + client.APIVersion}.do(t, srv)
	if resp.StatusCode != 200 {
		t.Errorf("raw ID participants:mute: %d %v", resp.StatusCode, b)
	}
}

// Signed but invalid large bodies do not pile up: the log is bounded in
// bytes too, letting the oldest bodies go.
func TestRequestLogIsBoundedInBytes(t *testing.T) {
	srv := newServer(t, &acstest.Options{MaxRequestBytes: 3 << 20})
	big := `{"targetParticipants":"` + strings.Repeat("x", 1<<20-64) + `"}`
	for range 8 {
		if resp, _ := (rawRequest{body: big}).do(t, srv); resp.StatusCode != 400 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	kept, dropped := 0, 0
	for _, r := range srv.Requests() {
		kept += len(r.Body)
		if r.BodyDropped {
			dropped++
		}
	}
	if kept > 3<<20 || dropped < 5 || len(srv.Requests()) != 8 {
		t.Errorf("%d bytes of bodies kept, %d dropped, %d requests", kept, dropped, len(srv.Requests()))
	}
	if last := srv.Requests()[7]; last.BodyDropped || len(last.Body) != len(big) {
		t.Errorf("the latest body was let go")
	}
}
