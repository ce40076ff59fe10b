package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/acsmute/acsmute/gen"
)

// TestPipelineReadsABodyOfAnyType sends, through the generated client's
// WithBody method, a body of a type neither net/http nor the pipeline knows,
// so of unknown length: it must arrive whole, with its length, on every
// attempt.
func TestPipelineReadsABodyOfAnyType(t *testing.T) {
	const body = `{"targetParticipants":[{"rawId":"8:acs:r_u"}]}`
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		n := len(got)
		mu.Unlock()
		if r.ContentLength != int64(len(body)) {
			t.Errorf("attempt %d: Content-Length %d, want %d", n, r.ContentLength, len(body))
		}
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"operationContext":"x"}`))
	}))
	defer srv.Close()
	cred, err := NewKeyCredential("ZmFrZS1hY2Nlc3Mta2V5LWZvci10ZXN0cw==")
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(srv.URL, cred, &ClientOptions{InsecureAllowHTTP: true, Retry: RetryOptions{RetryDelay: 1, MaxRetryDelay: 1}})
	if err != nil {
		t.Fatal(err)
	}
	op := &operation{name: "mute"}
	// An io.Reader that is not one net/http or the pipeline knows.
	r := struct{ io.Reader }{strings.NewReader(body)}
	res, err := c.api.CallConnectionMuteWithBodyWithResponse(withOperation(context.Background(), op), "c",
		&gen.CallConnectionMuteParams{ApiVersion: APIVersion}, "application/json", r)
	if err != nil || res.JSON200 == nil {
		t.Fatalf("%+v, %v", res, err)
	}
	if len(got) != 2 || got[0] != body || got[1] != body {
		t.Errorf("the server read %q, want the body twice", got)
	}
}
