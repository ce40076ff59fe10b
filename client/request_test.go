package client

import (
	"strings"
	"testing"

	"github.com/acsmute/acsmute/gen"
)

// The URL template must give exactly the URL of the generated builder.
func FuzzURLTemplateMatchesGeneratedBuilder(f *testing.F) {
	for _, id := range []string{"call-1", "a b/c:d", "18dea47f-b081-4107-9a5c-4300819d2c6c", "%2F", "?x=1#y", "é", "ACSMUTECALLCONNECTIONID", "a;b=c", "+&"} {
		f.Add("https://r.communication.azure.com/", id)
		f.Add("http://127.0.0.1:8080/", id)
	}
	f.Fuzz(func(t *testing.T, endpoint, id string) {
		ep, err := normalizeEndpoint(endpoint, true)
		if err != nil || checkCallConnectionID(id) != nil {
			return
		}
		tmpl, err := newURLTemplate(ep)
		if err != nil {
			t.Fatalf("template for %q: %v", ep, err)
		}
		req, err := gen.NewCallConnectionMuteRequestWithBody(ep, id, &gen.CallConnectionMuteParams{ApiVersion: APIVersion}, "application/json", nil)
		if err != nil {
			t.Fatalf("generated builder: %v", err)
		}
		if got, want := tmpl.url(id), req.URL.String(); got != want {
			t.Fatalf("endpoint %q, id %q:\ntemplate %s\nbuilder  %s", ep, id, got, want)
		}
		if !strings.HasSuffix(tmpl.url(id), "/participants:mute?api-version="+APIVersion) {
			t.Fatalf("URL %s", tmpl.url(id))
		}
	})
}
