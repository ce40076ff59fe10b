package acstest_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/acsmute/acsmute/client/acstest"
)

// The emulator's key and tokens never appear when a Server or its Options are
// printed with any verb, marshalled or logged.
func TestServerAndOptionsHideSecrets(t *testing.T) {
	const key = "ZmFrZS1lbXVsYXRvci1rZXktZm9yLXRlc3Rz" // "fake-emulator-key-for-tests"
	const token = "fake-emulator-bearer-token"
	opts := acstest.Options{Credentials: acstest.NewCredentials(key, token)}
	srv, err := acstest.NewServer(&opts)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	values := map[string]any{"*Server": srv, "Options": opts, "*Options": &opts, "[]Options": []acstest.Options{opts}, "struct": struct{ O acstest.Options }{opts},
		"Credentials": *opts.Credentials, "*Credentials": opts.Credentials,
		"unexported": struct{ c acstest.Credentials }{*opts.Credentials}, "unexported Options": struct{ o acstest.Options }{opts}}
	for name, v := range values {
		var outs []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%t", "%p", "%!"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
		if b, err := json.Marshal(v); err == nil {
			outs = append(outs, string(b))
		}
		if b, err := xml.Marshal(v); err == nil {
			outs = append(outs, string(b))
		}
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "v", v)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "v", v)
		outs = append(outs, buf.String())
		for _, out := range outs {
			if strings.Contains(out, key) || strings.Contains(out, "ZmFrZS1lbXVsYXRvci1rZXk") || strings.Contains(out, token) {
				t.Errorf("%s shows a secret: %s", name, out)
			}
		}
	}
	if got := fmt.Sprintf("%#v", srv); got != srv.GoString() || !strings.Contains(got, srv.URL) {
		t.Errorf("%%#v of the server = %q, want its GoString with its URL", got)
	}
}
