package openapi_test

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/acsmute/acsmute/openapi"
)

func load(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestDocumentValidates(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Document())
	if err != nil {
		t.Fatalf("loading the document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("document does not validate: %v", err)
	}
	if _, err := openapi.Load(context.Background()); err != nil {
		t.Fatalf("Load: %v", err)
	}
}

func TestDocumentDescribesTheMuteOperation(t *testing.T) {
	doc := load(t)
	item := doc.Paths.Find("/calling/callConnections/{callConnectionId}/participants:mute")
	if item == nil || item.Post == nil {
		t.Fatal("no POST /calling/callConnections/{callConnectionId}/participants:mute")
	}
	op := item.Post
	if op.OperationID != "CallConnection_Mute" {
		t.Errorf("operationId = %q", op.OperationID)
	}
	want := map[string]struct {
		in       string
		required bool
		format   string
	}{
		"callConnectionId":         {"path", true, ""},
		"api-version":              {"query", true, ""},
		"Repeatability-Request-ID": {"header", false, "uuid"},
		"Repeatability-First-Sent": {"header", false, "date-time-rfc1123"},
	}
	if len(op.Parameters) != len(want) {
		t.Errorf("%d parameters, want %d", len(op.Parameters), len(want))
	}
	for _, p := range op.Parameters {
		w, ok := want[p.Value.Name]
		if !ok {
			t.Errorf("unexpected parameter %q", p.Value.Name)
			continue
		}
		if p.Value.In != w.in || p.Value.Required != w.required || p.Value.Schema.Value.Format != w.format {
			t.Errorf("parameter %q: in=%s required=%v format=%q, want %+v", p.Value.Name, p.Value.In, p.Value.Required, p.Value.Schema.Value.Format, w)
		}
	}
	if op.RequestBody == nil || !op.RequestBody.Value.Required {
		t.Error("request body is not required")
	}
	for _, code := range []string{"200", "default"} {
		if op.Responses.Value(code) == nil {
			t.Errorf("no %s response", code)
		}
	}
	kind := doc.Components.Schemas["CommunicationIdentifierModelKind"].Value
	if len(kind.Enum) != 6 {
		t.Errorf("identifier kind enum has %d values, want 6", len(kind.Enum))
	}
	if s := doc.Components.SecuritySchemes["Authorization"]; s == nil || s.Value.In != "header" || s.Value.Name != "Authorization" {
		t.Error("no Authorization header security scheme")
	}
	if len(doc.Servers) != 1 || doc.Servers[0].Variables["endpoint"] == nil {
		t.Error("no server templated on {endpoint}")
	}
}
