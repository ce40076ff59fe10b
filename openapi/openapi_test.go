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

// Hold, unhold and remove are described with their parameters and answers:
// only remove carries the repeatability headers and answers 202; hold and
// unhold answer 200 without a body.
func TestDocumentDescribesTheModeratorActions(t *testing.T) {
	doc := load(t)
	tests := []struct {
		path, operationID, body, success string
		headers                          []string
		successSchema                    string
	}{
		{"/calling/callConnections/{callConnectionId}:hold", "CallMedia_Hold", "HoldRequest", "200", nil, ""},
		{"/calling/callConnections/{callConnectionId}:unhold", "CallMedia_Unhold", "UnholdRequest", "200", nil, ""},
		{"/calling/callConnections/{callConnectionId}/participants:remove", "CallConnection_RemoveParticipant", "RemoveParticipantRequest", "202",
			[]string{"Repeatability-Request-ID", "Repeatability-First-Sent"}, "RemoveParticipantResponse"},
	}
	for _, tt := range tests {
		item := doc.Paths.Find(tt.path)
		if item == nil || item.Post == nil {
			t.Fatalf("no POST %s", tt.path)
		}
		op := item.Post
		if op.OperationID != tt.operationID {
			t.Errorf("%s: operationId = %q", tt.path, op.OperationID)
		}
		var headers []string
		for _, p := range op.Parameters {
			if p.Value.In == "header" {
				headers = append(headers, p.Value.Name)
			}
		}
		if len(headers) != len(tt.headers) || (len(headers) > 0 && (headers[0] != tt.headers[0] || headers[1] != tt.headers[1])) {
			t.Errorf("%s: header parameters %v, want %v", tt.path, headers, tt.headers)
		}
		if len(op.Parameters) != 2+len(tt.headers) {
			t.Errorf("%s: %d parameters", tt.path, len(op.Parameters))
		}
		if op.RequestBody == nil || !op.RequestBody.Value.Required ||
			op.RequestBody.Value.Content.Get("application/json").Schema.Ref != "#/components/schemas/"+tt.body {
			t.Errorf("%s: the request body is not a required %s", tt.path, tt.body)
		}
		ok := op.Responses.Value(tt.success)
		if ok == nil || op.Responses.Value("default") == nil || op.Responses.Len() != 2 {
			t.Fatalf("%s: responses %v, want %s and default", tt.path, op.Responses.Map(), tt.success)
		}
		switch mt := ok.Value.Content.Get("application/json"); {
		case tt.successSchema == "" && len(ok.Value.Content) != 0:
			t.Errorf("%s: the %s answer has a body", tt.path, tt.success)
		case tt.successSchema != "" && (mt == nil || mt.Schema.Ref != "#/components/schemas/"+tt.successSchema):
			t.Errorf("%s: the %s answer is not a %s", tt.path, tt.success, tt.successSchema)
		}
	}
	// 2024-09-15's unhold has no callback URI of its own.
	old, err := openapi.LoadVersion(context.Background(), "2024-09-15")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := old.Components.Schemas["UnholdRequest"].Value.Properties["operationCallbackUri"]; ok {
		t.Error("2024-09-15's UnholdRequest has operationCallbackUri")
	}
	if _, ok := doc.Components.Schemas["UnholdRequest"].Value.Properties["operationCallbackUri"]; !ok {
		t.Error("UnholdRequest has no operationCallbackUri")
	}
}
