// Package drift compares the project's OpenAPI document with Microsoft's
// published Swagger 2.0 description of the Call Automation API, to catch API
// drift when Microsoft ships a new version.
//
// Only what changes the contract is compared: for every operation in our
// document (mute, hold, unhold and remove a participant, read one, list
// them), its parameters (name, location, required, type, format, enum),
// request body (required, media types, schema), response codes and their
// schemas; for
// every schema the operations reach, and every schema marked
// x-acsmute-event (the data of a callback event, compared by name), its
// type, format, enum values, required list, properties, array items and
// allOf/oneOf/anyOf subschemas.
// Descriptions, examples, readOnly markers and x-ms-* extensions are ignored.
//
// Our side is loaded with openapi.Load; the upstream side with LoadUpstream.
package drift

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/acsmute/acsmute/openapi/wire"
)

// MutePath is the path of the mute operation in both documents.
const MutePath = wire.PathMute

// Difference is one contract difference between the two documents.
type Difference struct {
	// Where names the place: "operation", "parameter header X",
	// "request body", "response 200", or "schema Name[.property...]".
	Where string
	// What says what differs, and which side has what.
	What string
}

// String formats the difference as one line.
func (d Difference) String() string { return d.Where + ": " + d.What }

// LoadUpstream loads a Swagger 2.0 document from a file path or an http(s)
// URL and converts it to OpenAPI 3 with kin-openapi, resolving relative
// $refs (such as ../../../Common/...) against the document's location.
func LoadUpstream(ctx context.Context, location string) (*openapi3.T, error) {
	loc, data, err := read(ctx, location)
	if err != nil {
		return nil, err
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(data, &doc2); err != nil {
		return nil, fmt.Errorf("%s is not a Swagger 2.0 JSON document: %w", location, err)
	}
	if doc2.Swagger != "2.0" {
		return nil, fmt.Errorf("%s is not a Swagger 2.0 document (swagger: %q)", location, doc2.Swagger)
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = true
	doc3, err := openapi2conv.ToV3WithLoader(&doc2, loader, loc)
	if err != nil {
		return nil, fmt.Errorf("converting %s to OpenAPI 3: %w", location, err)
	}
	return doc3, nil
}

// read returns the location as a URL and the bytes there.
func read(ctx context.Context, location string) (*url.URL, []byte, error) {
	if strings.HasPrefix(location, "http://") || strings.HasPrefix(location, "https://") {
		u, err := url.Parse(location)
		if err != nil {
			return nil, nil, fmt.Errorf("upstream URL: %w", err)
		}
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, location, nil)
		if err != nil {
			return nil, nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, nil, fmt.Errorf("fetching %s: %w", location, err)
		}
		defer func() { _ = resp.Body.Close() }()
		if resp.StatusCode != http.StatusOK {
			return nil, nil, fmt.Errorf("fetching %s: %s", location, resp.Status)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		return u, data, err
	}
	abs, err := filepath.Abs(location)
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(abs) // #nosec G304 -- reading the document the caller names is the point
	if err != nil {
		return nil, nil, fmt.Errorf("reading upstream document: %w", err)
	}
	return &url.URL{Path: filepath.ToSlash(abs)}, data, nil
}

// Compare lists the contract differences between ours and upstream of every
// operation in ours and every schema they reach, sorted. Differences inside
// an operation are prefixed with its method and path.
func Compare(ours, upstream *openapi3.T) []Difference {
	c := &comparer{seen: map[string]bool{}}
	ops := operationsOf(ours)
	if len(ops) == 0 {
		c.add("operations", "our document has none")
	}
	for _, o := range ops {
		c.prefix = o.method + " " + o.path + " "
		c.operation(o.method, o.path, findOp(ours, o.method, o.path), findOp(upstream, o.method, o.path))
	}
	// Event schemas belong to no operation: compared by name.
	c.prefix = ""
	for _, name := range eventSchemas(ours) {
		var up *openapi3.SchemaRef
		if upstream != nil && upstream.Components != nil {
			up = upstream.Components.Schemas[name]
		}
		if up == nil {
			c.add("schema "+name, "event schema: only ours has it")
			continue
		}
		ref := "#/components/schemas/" + name
		c.schema("schema "+name, &openapi3.SchemaRef{Ref: ref, Value: ours.Components.Schemas[name].Value}, &openapi3.SchemaRef{Ref: ref, Value: up.Value})
	}
	sort.Slice(c.diffs, func(i, j int) bool {
		if c.diffs[i].Where != c.diffs[j].Where {
			return c.diffs[i].Where < c.diffs[j].Where
		}
		return c.diffs[i].What < c.diffs[j].What
	})
	return c.diffs
}

// ExtensionEvent marks a schema of our document as the data of a callback
// event (its value is the event type); such schemas are compared by name.
const ExtensionEvent = "x-acsmute-event"

// eventSchemas lists, sorted, the schemas of doc marked as event data.
func eventSchemas(doc *openapi3.T) []string {
	if doc == nil || doc.Components == nil {
		return nil
	}
	var names []string
	for name, s := range doc.Components.Schemas {
		if s.Value != nil && s.Value.Extensions[ExtensionEvent] != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// opKey names an operation by method and path.
type opKey struct{ method, path string }

// operationsOf lists the operations of a document, sorted by path, then
// method.
func operationsOf(doc *openapi3.T) []opKey {
	if doc == nil || doc.Paths == nil {
		return nil
	}
	var ops []opKey
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, opKey{method, path})
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].path != ops[j].path {
			return ops[i].path < ops[j].path
		}
		return ops[i].method < ops[j].method
	})
	return ops
}

func findOp(doc *openapi3.T, method, path string) *openapi3.Operation {
	if doc == nil || doc.Paths == nil {
		return nil
	}
	item := doc.Paths.Value(path)
	if item == nil {
		return nil
	}
	return item.GetOperation(method)
}

type comparer struct {
	diffs  []Difference
	seen   map[string]bool // named schema pairs already compared
	prefix string          // method and path of the operation being compared
}

// add records a difference. Places inside an operation (its parameters,
// request body and responses) get the operation's prefix; schemas, shared by
// operations, do not.
func (c *comparer) add(where, format string, args ...any) {
	if !strings.HasPrefix(where, "schema ") && !strings.HasPrefix(where, "operation ") {
		where = c.prefix + where
	}
	c.diffs = append(c.diffs, Difference{Where: where, What: fmt.Sprintf(format, args...)})
}

// side describes which document has something.
func side(inOurs bool) string {
	if inOurs {
		return "only ours has it"
	}
	return "only upstream has it"
}

func (c *comparer) operation(method, path string, ours, up *openapi3.Operation) {
	where := "operation " + method + " " + path
	switch {
	case ours == nil && up == nil:
		c.add(where, "neither document has it")
		return
	case ours == nil || up == nil:
		c.add(where, "%s", side(ours != nil))
		return
	}
	if ours.OperationID != up.OperationID {
		c.add(where, "operationId differs: ours %q, upstream %q", ours.OperationID, up.OperationID)
	}
	c.parameters(ours.Parameters, up.Parameters)
	c.requestBody(ours.RequestBody, up.RequestBody)
	c.responses(ours.Responses, up.Responses)
}

func paramKey(p *openapi3.Parameter) string {
	name := p.Name
	if p.In == openapi3.ParameterInHeader {
		name = strings.ToLower(name)
	}
	return p.In + " " + name
}

func (c *comparer) parameters(ours, up openapi3.Parameters) {
	index := func(ps openapi3.Parameters) map[string]*openapi3.Parameter {
		m := map[string]*openapi3.Parameter{}
		for _, p := range ps {
			if p != nil && p.Value != nil {
				m[paramKey(p.Value)] = p.Value
			}
		}
		return m
	}
	om, um := index(ours), index(up)
	for _, k := range unionKeys(om, um) {
		o, u := om[k], um[k]
		if o == nil || u == nil {
			p := o
			if p == nil {
				p = u
			}
			c.add("parameter "+p.In+" "+p.Name, "%s", side(o != nil))
			continue
		}
		where := "parameter " + o.In + " " + o.Name
		if o.Required != u.Required {
			c.add(where, "required differs: ours %v, upstream %v", o.Required, u.Required)
		}
		c.schema(where, o.Schema, u.Schema)
	}
}

func (c *comparer) requestBody(ours, up *openapi3.RequestBodyRef) {
	const where = "request body"
	o, u := bodyOf(ours), bodyOf(up)
	if o == nil || u == nil {
		if o != nil || u != nil {
			c.add(where, "%s", side(o != nil))
		}
		return
	}
	if o.Required != u.Required {
		c.add(where, "required differs: ours %v, upstream %v", o.Required, u.Required)
	}
	c.content(where, o.Content, u.Content)
}

func bodyOf(r *openapi3.RequestBodyRef) *openapi3.RequestBody {
	if r == nil {
		return nil
	}
	return r.Value
}

func (c *comparer) content(where string, ours, up openapi3.Content) {
	for _, mt := range unionKeys(ours, up) {
		o, u := ours[mt], up[mt]
		if o == nil || u == nil {
			c.add(where+" "+mt, "%s", side(o != nil))
			continue
		}
		c.schema(where+" "+mt, o.Schema, u.Schema)
	}
}

func (c *comparer) responses(ours, up *openapi3.Responses) {
	om, um := map[string]*openapi3.ResponseRef{}, map[string]*openapi3.ResponseRef{}
	if ours != nil {
		om = ours.Map()
	}
	if up != nil {
		um = up.Map()
	}
	for _, code := range unionKeys(om, um) {
		o, u := om[code], um[code]
		where := "response " + code
		if o == nil || u == nil || o.Value == nil || u.Value == nil {
			c.add(where, "%s", side(o != nil && o.Value != nil))
			continue
		}
		c.content(where, o.Value.Content, u.Value.Content)
	}
}

// refName is the name a $ref points at, or "".
func refName(r *openapi3.SchemaRef) string {
	if r == nil || r.Ref == "" {
		return ""
	}
	return r.Ref[strings.LastIndex(r.Ref, "/")+1:]
}

// schema compares two schemas found at where.
func (c *comparer) schema(where string, ours, up *openapi3.SchemaRef) {
	if ours == nil || ours.Value == nil || up == nil || up.Value == nil {
		if (ours != nil && ours.Value != nil) != (up != nil && up.Value != nil) {
			c.add(where, "schema: %s", side(ours != nil && ours.Value != nil))
		}
		return
	}
	on, un := refName(ours), refName(up)
	if on != un {
		c.add(where, "schema differs: ours %s, upstream %s", orInline(on), orInline(un))
	}
	if on != "" && un != "" {
		key := on + "|" + un
		if c.seen[key] {
			return
		}
		c.seen[key] = true
		where = "schema " + on
		if on != un {
			where = "schema " + on + " (upstream " + un + ")"
		}
	}
	o, u := ours.Value, up.Value
	if ot, ut := types(o), types(u); !slices.Equal(ot, ut) {
		c.add(where, "type differs: ours %v, upstream %v", ot, ut)
	}
	if o.Format != u.Format {
		c.add(where, "format differs: ours %q, upstream %q", o.Format, u.Format)
	}
	c.enum(where, o.Enum, u.Enum)
	c.required(where, o.Required, u.Required)
	for _, name := range unionKeys(o.Properties, u.Properties) {
		op, up := o.Properties[name], u.Properties[name]
		if op == nil || up == nil {
			only := op
			if only == nil {
				only = up
			}
			if n := refName(only); n != "" {
				c.add(where, "property %s (%s): %s", name, n, side(op != nil))
			} else {
				c.add(where, "property %s: %s", name, side(op != nil))
			}
			continue
		}
		c.schema(where+"."+name, op, up)
	}
	if o.Items != nil || u.Items != nil {
		c.schema(where+"[]", o.Items, u.Items)
	}
	c.composition(where, "allOf", o.AllOf, u.AllOf)
	c.composition(where, "oneOf", o.OneOf, u.OneOf)
	c.composition(where, "anyOf", o.AnyOf, u.AnyOf)
}

// composition compares the subschemas of an allOf, oneOf or anyOf. Their
// order carries no meaning, so subschemas that $ref the same name are
// paired first, then the others in order; each pair is compared as a schema
// at where.kind[i] (i counting ours), and a subschema left without a
// partner is reported.
func (c *comparer) composition(where, kind string, ours, up openapi3.SchemaRefs) {
	partner := make([]int, len(ours)) // index in up, or -1
	taken := make([]bool, len(up))
	for i, o := range ours {
		partner[i] = -1
		if name := refName(o); name != "" {
			for j, u := range up {
				if !taken[j] && refName(u) == name {
					partner[i], taken[j] = j, true
					break
				}
			}
		}
	}
	next := 0
	for i := range ours {
		if partner[i] >= 0 {
			continue
		}
		for next < len(up) && taken[next] {
			next++
		}
		if next < len(up) {
			partner[i], taken[next] = next, true
		}
	}
	for i, o := range ours {
		if partner[i] < 0 {
			c.add(where, "%s subschema %s: %s", kind, orInline(refName(o)), side(true))
			continue
		}
		c.schema(fmt.Sprintf("%s.%s[%d]", where, kind, i), o, up[partner[i]])
	}
	for j, u := range up {
		if !taken[j] {
			c.add(where, "%s subschema %s: %s", kind, orInline(refName(u)), side(false))
		}
	}
}

func orInline(name string) string {
	if name == "" {
		return "(inline)"
	}
	return name
}

func types(s *openapi3.Schema) []string {
	if s.Type == nil {
		return nil
	}
	t := append([]string(nil), s.Type.Slice()...)
	sort.Strings(t)
	return t
}

func (c *comparer) enum(where string, ours, up []any) {
	os, us := stringSet(ours), stringSet(up)
	for _, v := range unionKeys(os, us) {
		if !os[v] || !us[v] {
			c.add(where, "enum value %s: %s", v, side(os[v]))
		}
	}
}

func (c *comparer) required(where string, ours, up []string) {
	os, us := map[string]bool{}, map[string]bool{}
	for _, r := range ours {
		os[r] = true
	}
	for _, r := range up {
		us[r] = true
	}
	for _, r := range unionKeys(os, us) {
		if !os[r] || !us[r] {
			c.add(where, "required %s: %s", r, side(os[r]))
		}
	}
}

func stringSet(vs []any) map[string]bool {
	m := map[string]bool{}
	for _, v := range vs {
		b, _ := json.Marshal(v)
		m[string(b)] = true
	}
	return m
}

// unionKeys returns the keys of both maps, sorted.
func unionKeys[V1, V2 any](a map[string]V1, b map[string]V2) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
