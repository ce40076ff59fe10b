package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// callOf returns n raw IDs of Communication Services users.
func callOf(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("8:acs:res_user%03d", i)
	}
	return out
}

// Listing 251 participants with a page size of 100 takes 3 requests, keeps
// the client's API version on every page, and yields each participant once,
// in order, with its state.
func TestListParticipantsPages(t *testing.T) {
	for _, v := range client.SupportedAPIVersions() {
		t.Run(v, func(t *testing.T) {
			raws := callOf(251)
			srv := acstest.Start(t, &acstest.Options{ParticipantsPageSize: 100, Calls: map[string][]string{"call-1": raws}})
			if err := srv.SetMuted("call-1", raws[150], true); err != nil {
				t.Fatal(err)
			}
			c, err := srv.NewClient(&client.ClientOptions{APIVersion: v})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for p, err := range c.ListParticipants(context.Background(), "call-1", nil) {
				if err != nil {
					t.Fatal(err)
				}
				if p.IsMuted != (p.Identifier.RawID() == raws[150]) {
					t.Errorf("%s: isMuted %v", p.Identifier.RawID(), p.IsMuted)
				}
				got = append(got, p.Identifier.RawID())
			}
			if strings.Join(got, ",") != strings.Join(raws, ",") {
				t.Errorf("listed %d participants: %v", len(got), got)
			}
			reqs := srv.Requests()
			if len(reqs) != 3 {
				t.Fatalf("%d requests, want 3", len(reqs))
			}
			for i, r := range reqs {
				if r.Method != http.MethodGet || r.Status != 200 || !strings.Contains(r.RequestURI, "api-version="+v) ||
					!strings.HasPrefix(r.RequestURI, "/calling/callConnections/call-1/participants?") {
					t.Errorf("request %d: %s %s -> %d", i, r.Method, r.RequestURI, r.Status)
				}
			}
		})
	}
}

// Pages are fetched only as the loop needs them.
func TestListParticipantsIsLazy(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{ParticipantsPageSize: 10, Calls: map[string][]string{"call-1": callOf(35)}})
	c := srv.Client()
	for _, tt := range []struct{ take, requests int }{{1, 1}, {10, 1}, {11, 2}, {35, 4}} {
		before := len(srv.Requests())
		n := 0
		for _, err := range c.ListParticipants(context.Background(), "call-1", nil) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == tt.take {
				break
			}
		}
		if got := len(srv.Requests()) - before; got != tt.requests {
			t.Errorf("taking %d: %d requests, want %d", tt.take, got, tt.requests)
		}
	}
	// Making the iterator sends nothing.
	before := len(srv.Requests())
	_ = c.ListParticipants(context.Background(), "call-1", nil)
	if len(srv.Requests()) != before {
		t.Error("ListParticipants sent a request before the loop")
	}
}

// pager answers the first page with one participant and nextLink, and
// every later page with next(n) for the n-th request.
func pager(t *testing.T, next func(n int64, self string) string) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := n.Add(1)
		link := next(k, srv.URL)
		body := fmt.Sprintf(`{"value":[{"identifier":{"rawId":"8:acs:r_u%d"},"isMuted":false}]`, k)
		if link != "" {
			body = strings.TrimSuffix(body, "}") + fmt.Sprintf(`,"nextLink":%q}`, link)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// listAll runs the iterator to its end and returns what it yielded.
func listAll(c *client.Client, callID string, opts *client.ListParticipantsOptions) (ids []string, errs []error) {
	for p, err := range c.ListParticipants(context.Background(), callID, opts) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, p.Identifier.RawID())
	}
	return ids, errs
}

// A nextLink to any other origin is refused, and nothing is sent there.
func TestListParticipantsRefusesForeignNextLink(t *testing.T) {
	var foreignHits atomic.Int64
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { foreignHits.Add(1) }))
	defer foreign.Close()
	foreignTLS := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { foreignHits.Add(1) }))
	defer foreignTLS.Close()
	for name, link := range map[string]func(self string) string{
		"other port":        func(string) string { return foreign.URL + "/calling/callConnections/c/participants?page=2" },
		"other scheme":      func(self string) string { return strings.Replace(self, "http://", "https://", 1) + "/p" },
		"other host":        func(self string) string { return strings.Replace(self, "127.0.0.1", "localhost", 1) + "/p" },
		"tls server":        func(string) string { return foreignTLS.URL + "/p" },
		"user info":         func(self string) string { return strings.Replace(self, "http://", "http://user:pw@", 1) + "/p" },
		"scheme-relative":   func(string) string { return "//" + strings.TrimPrefix(foreign.URL, "http://") + "/p" },
		"not a URL":         func(string) string { return "http://[::1" },
		"javascript scheme": func(string) string { return "javascript:alert(1)" },
	} {
		t.Run(name, func(t *testing.T) {
			srv, n := pager(t, func(k int64, self string) string {
				if k == 1 {
					return link(self)
				}
				return ""
			})
			ids, errs := listAll(newKeyClient(t, srv.URL, nil), "call", nil)
			if len(ids) != 1 || len(errs) != 1 || n.Load() != 1 {
				t.Fatalf("yielded %v, errors %v, %d requests to the service", ids, errs, n.Load())
			}
			if name != "not a URL" && !strings.Contains(errs[0].Error(), "another origin") {
				t.Errorf("error = %v", errs[0])
			}
			if strings.Contains(errs[0].Error(), "pw") {
				t.Errorf("error shows the link's user information: %v", errs[0])
			}
		})
	}
	if foreignHits.Load() != 0 {
		t.Errorf("%d requests reached the foreign servers", foreignHits.Load())
	}
}

// A relative nextLink and one on the same origin are followed, with the
// client's api-version whatever the link says.
func TestListParticipantsFollowsOwnNextLink(t *testing.T) {
	var uris []string
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uris = append(uris, r.RequestURI)
		links := map[int64]string{1: "/calling/callConnections/call/participants?skip=1", 2: "http://" + r.Host + "/next?api-version=2099-01-01&skip=2;token=a%2Bb#frag",
			3: "/kept?a=1&api-version=2025-06-15&b=%2b"}
		k := n.Add(1)
		body := fmt.Sprintf(`{"value":[{"identifier":{"rawId":"8:acs:r_u%d"},"isMuted":true}]`, k)
		if l, ok := links[k]; ok {
			body += fmt.Sprintf(`,"nextLink":%q`, l)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body + "}"))
	}))
	defer srv.Close()
	ids, errs := listAll(newKeyClient(t, srv.URL, &client.ClientOptions{APIVersion: "2025-06-15"}), "call", nil)
	if len(errs) != 0 || strings.Join(ids, ",") != "8:acs:r_u1,8:acs:r_u2,8:acs:r_u3,8:acs:r_u4" {
		t.Fatalf("yielded %v, %v", ids, errs)
	}
	want := []string{
		"/calling/callConnections/call/participants?api-version=2025-06-15",
		"/calling/callConnections/call/participants?skip=1&api-version=2025-06-15",
		"/next?skip=2;token=a%2Bb&api-version=2025-06-15",
		"/kept?a=1&api-version=2025-06-15&b=%2b", // the client's version already: kept as it is
	}
	if strings.Join(uris, " ") != strings.Join(want, " ") {
		t.Errorf("requests:\n%s\nwant\n%s", strings.Join(uris, "\n"), strings.Join(want, "\n"))
	}
}

// A service that answers nextLinks for ever cannot loop the caller: a
// repeated link stops at once, new ones at MaxPages.
func TestListParticipantsBoundsPages(t *testing.T) {
	srv, n := pager(t, func(k int64, self string) string { return self + "/same" })
	ids, errs := listAll(newKeyClient(t, srv.URL, nil), "call", nil)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "already fetched") || n.Load() != 2 || len(ids) != 2 {
		t.Errorf("same nextLink: %d requests, %v, %v", n.Load(), ids, errs)
	}
	srv, n = pager(t, func(k int64, self string) string { return fmt.Sprintf("%s/p?n=%d", self, k) })
	ids, errs = listAll(newKeyClient(t, srv.URL, nil), "call", &client.ListParticipantsOptions{MaxPages: 5})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "stopped after 5 pages") || n.Load() != 5 || len(ids) != 5 {
		t.Errorf("endless nextLinks: %d requests, %d yielded, %v", n.Load(), len(ids), errs)
	}
	srv, n = pager(t, func(k int64, self string) string { return fmt.Sprintf("%s/p?n=%d", self, k) })
	_, errs = listAll(newKeyClient(t, srv.URL, nil), "call", nil)
	if len(errs) != 1 || n.Load() != client.DefaultMaxPages {
		t.Errorf("default bound: %d requests, %v", n.Load(), errs)
	}
}

// Failures: one error, then the iterator stops.
func TestListParticipantsErrors(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{ParticipantsPageSize: 2, Calls: map[string][]string{"call-1": callOf(5)}})
	c := srv.Client()
	ids, errs := listAll(c, "no-such-call", nil)
	var re *client.ResponseError
	if len(ids) != 0 || len(errs) != 1 || !errors.As(errs[0], &re) || re.StatusCode != 404 || re.ErrorCode != "CallNotFound" || errors.Is(errs[0], client.ErrOutcomeUnknown) {
		t.Errorf("unknown call: %v, %v", ids, errs)
	}
	// A page is retried like any safe read.
	srv.InjectReadFaults(1, acstest.Fault{Status: 503})
	if ids, errs := listAll(c, "call-1", nil); len(ids) != 5 || len(errs) != 0 {
		t.Errorf("through a 503: %v, %v", ids, errs)
	}
	// A page that keeps failing ends the listing after what came before.
	srv.InjectReadFaults(1, acstest.Fault{})
	srv.InjectReadFaults(10, acstest.Fault{Status: 500})
	ids, errs = listAll(c, "call-1", nil)
	if len(ids) != 2 || len(errs) != 1 || !errors.As(errs[0], &re) || re.StatusCode != 500 {
		t.Errorf("failing second page: %v, %v", ids, errs)
	}
	srv.ClearFaults()
	for name, tt := range map[string]struct {
		c    *client.Client
		call string
		opts *client.ListParticipantsOptions
	}{
		"nil client":        {nil, "call-1", nil},
		"zero client":       {&client.Client{}, "call-1", nil},
		"empty call":        {c, "", nil},
		"negative MaxPages": {c, "call-1", &client.ListParticipantsOptions{MaxPages: -1}},
	} {
		if ids, errs := listAll(tt.c, tt.call, tt.opts); len(ids) != 0 || len(errs) != 1 || !errors.Is(errs[0], client.ErrInvalidInput) {
			t.Errorf("%s: %v, %v", name, ids, errs)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range c.ListParticipants(ctx, "call-1", nil) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("canceled: %v", err)
		}
	}
	var nilCtx context.Context
	for _, err := range c.ListParticipants(nilCtx, "call-1", nil) {
		if !errors.Is(err, client.ErrInvalidInput) {
			t.Errorf("nil context: %v", err)
		}
	}
}

// A page the client cannot read is an error, not a guess.
func TestListParticipantsBadPages(t *testing.T) {
	for _, body := range []string{
		`{"value":[{"identifier":{"rawId":"8:acs:r_u"}}]}`,
		`{"value":[{"isMuted":true}]}`,
		`{"value":[{"identifier":{},"isMuted":true}]}`,
		`{"value":"x"}`,
		`not json`,
	} {
		srv := newRecorder(t, answer(200, body))
		if ids, errs := listAll(newKeyClient(t, srv.URL, nil), "call", nil); len(ids) != 0 || len(errs) != 1 || errors.Is(errs[0], client.ErrOutcomeUnknown) {
			t.Errorf("%s: %v, %v", body, ids, errs)
		}
	}
	// The error says which participant of the page.
	srv0 := newRecorder(t, answer(200, `{"value":[{"identifier":{"rawId":"8:acs:r_a"},"isMuted":true},{"identifier":{"rawId":"8:acs:r_b"}}]}`))
	if _, errs := listAll(newKeyClient(t, srv0.URL, nil), "call", nil); len(errs) != 1 || !strings.Contains(errs[0].Error(), "participant 2 of the page") {
		t.Errorf("second participant unreadable: %v", errs)
	}
	// An empty page with no nextLink is an empty call.
	srv := newRecorder(t, answer(200, `{"value":[]}`))
	if ids, errs := listAll(newKeyClient(t, srv.URL, nil), "call", nil); len(ids)+len(errs) != 0 {
		t.Errorf("empty page: %v, %v", ids, errs)
	}
}

// A nextLink back to the first page is a loop too.
func TestListParticipantsNextLinkToFirstPage(t *testing.T) {
	srv, n := pager(t, func(k int64, self string) string {
		return self + "/calling/callConnections/call/participants?api-version=" + client.APIVersion
	})
	ids, errs := listAll(newKeyClient(t, srv.URL, nil), "call", nil)
	if len(ids) != 1 || len(errs) != 1 || n.Load() != 1 {
		t.Errorf("%d requests, %v, %v", n.Load(), ids, errs)
	}
}

// A 200 page without value is not an empty call.
func TestListParticipantsPageWithoutValue(t *testing.T) {
	for _, body := range []string{`{}`, `{"value":null}`, `{"nextLink":null}`} {
		srv := newRecorder(t, answer(200, body))
		if ids, errs := listAll(newKeyClient(t, srv.URL, nil), "call", nil); len(ids) != 0 || len(errs) != 1 {
			t.Errorf("%s: %v, %v", body, ids, errs)
		}
	}
}

// Options with MaxPages left at zero list every page, as nil options do.
func TestListZeroMaxPagesIsTheDefault(t *testing.T) {
	for _, opts := range []*client.ListParticipantsOptions{nil, {}} {
		srv := newRecorder(t,
			answer(200, `{"value":[{"identifier":{"rawId":"8:acs:r_1"},"isMuted":false}],"nextLink":"/calling/callConnections/call/participants?after=1"}`),
			answer(200, `{"value":[{"identifier":{"rawId":"8:acs:r_2"},"isMuted":true}]}`))
		var got []string
		for p, err := range newKeyClient(t, srv.URL, nil).ListParticipants(context.Background(), "call", opts) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, p.Identifier.RawID())
		}
		if len(got) != 2 {
			t.Errorf("%+v: listed %v", opts, got)
		}
	}
}
