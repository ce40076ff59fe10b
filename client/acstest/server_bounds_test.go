package acstest_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// Options and settings at their bounds: a resource ID of 256 bytes, an
// admin token of 16 printable ASCII characters (DEL is not one), a
// callback URL on port 65535.
func TestOptionsBoundsExactly(t *testing.T) {
	for _, tt := range []struct {
		opts acstest.Options
		ok   bool
	}{
		{acstest.Options{ResourceID: strings.Repeat("r", 256)}, true},
		{acstest.Options{ResourceID: strings.Repeat("r", 257)}, false},
		{acstest.Options{AdminToken: strings.Repeat("t", 16)}, true},
		{acstest.Options{AdminToken: strings.Repeat("t", 15)}, false},
		{acstest.Options{AdminToken: strings.Repeat("t", 15) + "\x7f"}, false},
		{acstest.Options{AdminToken: strings.Repeat("t", 15) + "~"}, true},
		{acstest.Options{CallbackURL: "http://127.0.0.1:65535/cb"}, true},
		{acstest.Options{CallbackURL: "http://127.0.0.1:65536/cb"}, false},
	} {
		srv, err := acstest.NewServer(&tt.opts)
		if (err == nil) != tt.ok {
			t.Errorf("%+v: %v", tt.opts, err)
		}
		if srv != nil {
			srv.Close()
		}
	}
	srv := acstest.Start(t, nil)
	if err := srv.SetCallbackURL("http://127.0.0.1:65535/cb"); err != nil {
		t.Errorf("port 65535: %v", err)
	}
}

// An unauthenticated request's headers are kept up to 1,024 bytes each.
func TestUnauthenticatedHeadersKeptUpTo1024Bytes(t *testing.T) {
	srv := acstest.Start(t, nil)
	for _, n := range []int{1024, 1025} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/calling/callConnections/c/participants?api-version="+client.APIVersion, nil)
		req.Header.Set("Content-Type", strings.Repeat("a", n))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%d", resp.StatusCode)
		}
		reqs := srv.Requests()
		if kept := reqs[len(reqs)-1].Header.Get("Content-Type"); (kept != "") != (n == 1024) {
			t.Errorf("a %d-byte header: kept %d bytes", n, len(kept))
		}
	}
}

// A call holding MaxParticipantsPerCall participants takes no more.
func TestAddParticipantAtTheLimit(t *testing.T) {
	srv := acstest.Start(t, nil)
	ids := make([]string, acstest.MaxParticipantsPerCall)
	for i := range ids {
		ids[i] = fmt.Sprint("8:acs:r_", i)
	}
	if err := srv.AddCall("big", ids[:len(ids)-1]...); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddParticipant("big", ids[len(ids)-1]); err != nil {
		t.Errorf("the last participant the call can take: %v", err)
	}
	if err := srv.AddParticipant("big", "8:acs:r_one_more"); err == nil {
		t.Error("one participant past the limit")
	}
}

// A failure arranged for a call's participant is forgotten when the call
// is replaced.
func TestReplacedCallForgetsFailures(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice, bob}}})
	if err := srv.FailRemove("call-1", alice, acstest.ResultInformation{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddCall("call-1", alice, bob); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client().RemoveParticipant(t.Context(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
		t.Fatal(err)
	}
	if ps, _ := srv.Participants("call-1"); len(ps) != 1 || ps[0].RawID != bob {
		t.Errorf("after the remove: %+v", ps)
	}
}

// Shutdown waits for the callbacks of requests that executed while it
// waited for them to finish, and reports a callback it could not wait for.
func TestShutdownWaitsForLateCallbacks(t *testing.T) {
	rc := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(200 * time.Millisecond) }))
	defer rc.Close()
	srv := acstest.Start(t, &acstest.Options{CallbackURL: rc.URL, Calls: map[string][]string{"call-1": {alice}}})
	called, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv.SetFaultFunc(func(int) *acstest.Fault {
		once.Do(func() { close(called) })
		<-release
		return nil
	})
	muted := make(chan error, 1)
	go func() {
		_, err := srv.Client().MuteParticipant(context.Background(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
		muted <- err
	}()
	<-called // the mute is in flight and has not executed
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	time.Sleep(100 * time.Millisecond) // Shutdown waits for the mute now
	close(release)
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	if err := <-muted; err != nil {
		t.Fatal(err)
	}
	if ds := srv.Deliveries(); len(ds) != 1 || !ds[0].Delivered {
		t.Errorf("after Shutdown: %+v", ds)
	}
}

// Shutdown reports the callbacks it could not wait for.
func TestShutdownReportsUndeliveredCallbacks(t *testing.T) {
	url, arrived, release := blockedReceiver(t)
	srv := acstest.Start(t, &acstest.Options{CallbackURL: url, Calls: map[string][]string{"call-1": {alice}}})
	if err := srv.SetMuted("call-1", alice, true); err != nil {
		t.Fatal(err)
	}
	<-arrived
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the deadline", err)
	}
	release()
}

// Result codes fill 32 bits exactly.
func TestFailureCodesAt32Bits(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
	for _, tt := range []struct {
		r  acstest.ResultInformation
		ok bool
	}{
		{acstest.ResultInformation{Code: math.MaxInt32, SubCode: math.MinInt32}, true},
		{acstest.ResultInformation{Code: math.MinInt32, SubCode: math.MaxInt32}, true},
		{acstest.ResultInformation{Code: math.MaxInt32 + 1}, false},
		{acstest.ResultInformation{SubCode: math.MinInt32 - 1}, false},
	} {
		if err := srv.FailHold("call-1", alice, tt.r); (err == nil) != tt.ok {
			t.Errorf("%+v: %v", tt.r, err)
		}
	}
}
