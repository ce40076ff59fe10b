package drift_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/acsmute/acsmute/openapi/drift"
)

// muteDoc is an OpenAPI 3 document whose mute operation takes body as its
// JSON request body.
func muteDoc(body *openapi3.SchemaRef) *openapi3.T {
	op := &openapi3.Operation{
		OperationID: "CallConnection_Mute",
		RequestBody: &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithJSONSchemaRef(body)},
		Responses:   openapi3.NewResponses(),
	}
	return &openapi3.T{
		OpenAPI: "3.0.3",
		Info:    &openapi3.Info{Title: "test", Version: "1"},
		Paths:   openapi3.NewPaths(openapi3.WithPath(drift.MutePath, &openapi3.PathItem{Post: op})),
	}
}

func inline(s *openapi3.Schema) *openapi3.SchemaRef { return openapi3.NewSchemaRef("", s) }

func named(name string, s *openapi3.Schema) *openapi3.SchemaRef {
	return openapi3.NewSchemaRef("#/components/schemas/"+name, s)
}

// object is an object schema with properties of the given types.
func object(props ...string) *openapi3.Schema {
	s := openapi3.NewObjectSchema()
	for i := 0; i+1 < len(props); i += 2 {
		s.WithProperty(props[i], &openapi3.Schema{Type: &openapi3.Types{props[i+1]}})
	}
	return s
}

func allOf(refs ...*openapi3.SchemaRef) *openapi3.SchemaRef {
	return inline(&openapi3.Schema{AllOf: refs})
}

func oneOf(refs ...*openapi3.SchemaRef) *openapi3.SchemaRef {
	return inline(&openapi3.Schema{OneOf: refs})
}

func anyOf(refs ...*openapi3.SchemaRef) *openapi3.SchemaRef {
	return inline(&openapi3.Schema{AnyOf: refs})
}

// Schemas that differ only inside allOf, oneOf or anyOf are reported, and
// subschemas that are the same in another order are not.
func TestCompareComposition(t *testing.T) {
	const body = "POST /calling/callConnections/{callConnectionId}/participants:mute request body application/json"
	base := func() *openapi3.SchemaRef { return named("Base", object("id", "string")) }
	extra := func() *openapi3.SchemaRef { return named("Extra", object("note", "string")) }
	tests := []struct {
		name     string
		ours, up *openapi3.SchemaRef
		want     []string
	}{
		{"same allOf", allOf(base(), inline(object("x", "string"))), allOf(base(), inline(object("x", "string"))), nil},
		{"allOf in another order", allOf(base(), extra()), allOf(extra(), base()), nil},
		{"same oneOf and anyOf", oneOf(base(), extra()), oneOf(base(), extra()), nil},
		{"allOf inline subschema differs",
			allOf(base(), inline(object("x", "string"))), allOf(base(), inline(object("x", "integer"))),
			[]string{body + ".allOf[1].x: type differs: ours [string], upstream [integer]"}},
		{"allOf referenced subschema differs",
			allOf(base(), extra()), allOf(extra(), named("Base", object("id", "integer"))),
			[]string{"schema Base.id: type differs: ours [string], upstream [integer]"}},
		{"allOf subschema property added upstream",
			allOf(inline(object("x", "string"))), allOf(inline(object("x", "string", "y", "string"))),
			[]string{body + ".allOf[0]: property y: only upstream has it"}},
		{"oneOf subschema differs",
			oneOf(inline(object("a", "string")), inline(object("b", "string"))), oneOf(inline(object("a", "string")), inline(object("b", "boolean"))),
			[]string{body + ".oneOf[1].b: type differs: ours [string], upstream [boolean]"}},
		{"anyOf subschema differs",
			anyOf(inline(openapi3.NewStringSchema().WithEnum("x", "y"))), anyOf(inline(openapi3.NewStringSchema().WithEnum("x"))),
			[]string{body + `.anyOf[0]: enum value "y": only ours has it`}},
		{"anyOf subschema format differs",
			anyOf(inline(openapi3.NewStringSchema()), base()), anyOf(base(), inline(openapi3.NewStringSchema().WithFormat("uuid"))),
			[]string{body + `.anyOf[0]: format differs: ours "", upstream "uuid"`}},
		{"allOf subschema added upstream", allOf(base()), allOf(base(), extra()),
			[]string{body + ": allOf subschema Extra: only upstream has it"}},
		{"oneOf subschema removed upstream",
			oneOf(inline(object("a", "string")), inline(object("b", "string"))), oneOf(inline(object("a", "string"))),
			[]string{body + ": oneOf subschema (inline): only ours has it"}},
		{"anyOf subschema swapped for another name",
			anyOf(named("A", object("id", "string"))), anyOf(named("B", object("id", "string"))),
			[]string{body + ".anyOf[0]: schema differs: ours A, upstream B"}},
		{"allOf upstream, oneOf ours", oneOf(base()), allOf(base()),
			[]string{body + ": allOf subschema Base: only upstream has it", body + ": oneOf subschema Base: only ours has it"}},
		{"composition nested in a property",
			inline(openapi3.NewObjectSchema().WithPropertyRef("p", allOf(inline(object("x", "string"))))),
			inline(openapi3.NewObjectSchema().WithPropertyRef("p", allOf(inline(object("x", "number"))))),
			[]string{body + ".p.allOf[0].x: type differs: ours [string], upstream [number]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range drift.Compare(muteDoc(tt.ours), muteDoc(tt.up)) {
				got = append(got, d.String())
			}
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
