package client

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func FuzzParseRawID(f *testing.F) {
	for _, s := range []string{
		"8:acs:r_u", "8:acs:r_t_u", "8:spool:r_t_u", "8:dod-acs:r_t_u", "8:gcch-acs:x", "4:+15551234567",
		"4:anonymous", "4:+1555_asserted", "8:orgid:u", "8:dod:u", "8:gcch:u", "8:teamsvisitor:u",
		"28:orgid:a", "28:dod:a", "28:gcch:a", "28:a", "8:acs", "8:acs:", "x:y:z", "", " ", "8:acs:a\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := ParseRawID(raw)
		if err != nil {
			if id != nil {
				t.Fatalf("ParseRawID(%q) returned both %v and %v", raw, id, err)
			}
			return
		}
		if got := id.RawID(); got != raw {
			t.Fatalf("ParseRawID(%q).RawID() = %q", raw, got)
		}
		again, err := ParseRawID(id.RawID())
		if err != nil || again != id {
			t.Fatalf("round trip of %q: %#v, %v; want %#v", raw, again, err, id)
		}
		if err := checkIdentifier(id); err != nil && id.Kind() != KindTeamsExtensionUser {
			t.Fatalf("parsed identifier %#v fails its own check: %v", id, err)
		}
		for _, v := range SupportedAPIVersions() {
			wv, _ := wireVersionOf(v)
			m := id.model(wv)
			if m.RawId == nil || *m.RawId != raw || m.Kind == nil {
				t.Fatalf("%s: model of %q = %+v", v, raw, m)
			}
			if _, err := json.Marshal(m); err != nil {
				t.Fatal(err)
			}
			// What is sent reads back as the same identifier, with its
			// rawId and, where there is a nested model, without.
			if back, err := identifierFromModel(m, &redactor{}); err != nil || back != id {
				t.Fatalf("%s: %q reads back as %#v, %v", v, raw, back, err)
			}
			if id.Kind() == KindUnknown || checkIdentifier(id) != nil {
				continue
			}
			m.RawId = nil
			if back, err := identifierFromModel(m, &redactor{}); err != nil || back.RawID() != raw {
				t.Fatalf("%s: %q without rawId reads back as %#v, %v", v, raw, back, err)
			}
		}
	})
}

func FuzzParseConnectionString(f *testing.F) {
	for _, s := range []string{
		"endpoint=https://r.communication.azure.com/;accesskey=ZmFrZS1rZXk=",
		"ENDPOINT=http://127.0.0.1:1;AccessKey=pw==;",
		"endpoint=;accesskey=", "accesskey=c2VjcmV0K3NlY3JldC9zZWNyZXQ=", "=;=;", ";;;", "endpoint",
		"endpoint=https://a/;accesskey=c2VjcmV0K3NlY3JldC9zZWNyZXQ=!",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseConnectionString(s)
		if err == nil {
			if cs.Endpoint == "" || cs.AccessKey() == "" {
				t.Fatalf("accepted %q with an empty field", s)
			}
			leaks := func(out string) bool {
				return len(cs.AccessKey()) > 8 && strings.Contains(out, cs.AccessKey()) && !strings.Contains(cs.Endpoint, cs.AccessKey())
			}
			if leaks(cs.String()) || leaks(cs.GoString()) {
				t.Fatalf("String() shows the key")
			}
			if c, err := NewClientFromConnectionString(s, nil); err == nil && leaks(c.String()) {
				t.Fatalf("client String() shows the key")
			}
			return
		}
		// No key-like value from the input shows up in the error.
		msg := err.Error()
		for _, seg := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '=' || r == ' ' }) {
			if len(seg) >= 8 && strings.ContainsAny(seg, "+/0123456789") && strings.Contains(msg, seg) {
				t.Fatalf("error %q repeats %q from the input", msg, seg)
			}
		}
	})
}

func FuzzResponseErrorBody(f *testing.F) {
	f.Add(400, "application/json", []byte(`{"error":{"code":"c","message":"m","details":[{"code":"d","message":"x"}],"innererror":{"code":"i","message":"j"}}}`))
	f.Add(500, "text/html", []byte("<html>oops</html>"))
	f.Add(404, "", []byte(""))
	f.Add(409, "application/json; charset=utf-8", []byte(`{"error":null}`))
	f.Add(401, "application/problem+json", []byte(`{"error":{"innererror":{"innererror":{"innererror":{}}}}}`))
	f.Add(503, "application/json", []byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		if status < 100 || status > 999 {
			status = 500
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}}}
		e := newResponseError(resp, body, len(body) > maxResponseBody)
		if e.StatusCode != status || e.Error() == "" {
			t.Fatalf("%+v", e)
		}
		var env struct {
			Error *struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &env) == nil && env.Error != nil && env.Error.Code != "" && e.ErrorCode != env.Error.Code {
			t.Fatalf("ErrorCode = %q, body code %q", e.ErrorCode, env.Error.Code)
		}
	})
}
