package client_test

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/acsmute/acsmute/gen"
)

// The generated request builders encode JSON bodies with the appendJSON
// methods that openapi/templates/typedef.tmpl generates, not with
// json.Marshal. These tests hold them to json.Marshal's output, byte for
// byte, for every field of every type a request body holds.

// trickyStrings are strings whose JSON escaping differs from their bytes.
var trickyStrings = []string{
	"", "a", "8:acs:b9614373-fd0b-480c-8fd2-cb58b70eab9f_da7be3a9", `"quoted"`, `back\slash`,
	"<script>&amp;</script>", "tab\tnew\nline\rret\bbs\fff", "\x00\x01\x1f\x7f", "\u2028\u2029",
	"é ü 中文 🎙️", "\xff\xfe", "a\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "+14255550123", "4:anonymous",
}

// fill sets v (settable) to a random value: each pointer nil or not, each
// slice nil, empty or up to three long, strings from trickyStrings or
// random bytes.
func fill(r *rand.Rand, v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if depth > 4 || r.IntN(3) == 0 {
			v.SetZero()
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(r, v.Elem(), depth+1)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(r, v.Field(i), depth)
		}
	case reflect.Slice:
		switch n := r.IntN(5); {
		case n == 0 || depth > 4:
			v.SetZero()
		default:
			v.Set(reflect.MakeSlice(v.Type(), n-1, n-1))
			for i := range n - 1 {
				fill(r, v.Index(i), depth+1)
			}
		}
	case reflect.String:
		if r.IntN(4) == 0 {
			b := make([]byte, r.IntN(12))
			for i := range b {
				b[i] = byte(r.UintN(256))
			}
			v.SetString(string(b))
		} else {
			v.SetString(trickyStrings[r.IntN(len(trickyStrings))])
		}
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(r.Int64N(1<<31) - 1<<30)
	default:
		panic("fill: no rule for " + v.Type().String())
	}
}

// builtBody returns the body the generated builder writes for body.
func builtBody(t testing.TB, body gen.MuteParticipantsRequest) []byte {
	t.Helper()
	req, err := gen.NewCallConnectionMuteRequest("https://r.communication.azure.com/", "c", &gen.CallConnectionMuteParams{ApiVersion: "2024-09-15"}, body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	if req.ContentLength != int64(len(got)) {
		t.Fatalf("ContentLength %d for a body of %d bytes", req.ContentLength, len(got))
	}
	if req.GetBody == nil {
		t.Fatal("no GetBody")
	}
	again, _ := req.GetBody()
	if b, _ := io.ReadAll(again); !bytes.Equal(b, got) {
		t.Fatalf("GetBody gives %q, Body gave %q", b, got)
	}
	return got
}

func TestGeneratedBodyEncodingIsJSONMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		var body gen.MuteParticipantsRequest
		fill(r, reflect.ValueOf(&body).Elem(), 0)
		want, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		if got := builtBody(t, body); !bytes.Equal(got, want) {
			t.Fatalf("case %d: the builder wrote\n%s\njson.Marshal writes\n%s", i, got, want)
		}
	}
}

// TestGeneratedBodyEncodingCoversEveryField checks that the random bodies
// above reach every field of every type a request body holds, set and
// unset, so that none is left to chance.
func TestGeneratedBodyEncodingCoversEveryField(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	set, unset := map[string]bool{}, map[string]bool{}
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				unset[path] = true
				return
			}
			set[path] = true
			walk(v.Elem(), path)
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.Slice:
			if v.IsNil() {
				unset[path] = true
			} else {
				set[path] = true
			}
			for i := range v.Len() {
				walk(v.Index(i), path+"[]")
			}
		}
	}
	for range 3000 {
		var body gen.MuteParticipantsRequest
		fill(r, reflect.ValueOf(&body).Elem(), 0)
		walk(reflect.ValueOf(body), "")
	}
	for path := range set {
		if strings.Count(path, "[]") == 0 && !unset[path] {
			t.Errorf("%s is never unset", path)
		}
	}
	for _, path := range []string{".OperationContext", ".TargetParticipants", ".TargetParticipants[].Kind",
		".TargetParticipants[].RawId", ".TargetParticipants[].CommunicationUser", ".TargetParticipants[].PhoneNumber.AssertedId",
		".TargetParticipants[].PhoneNumber.IsAnonymous", ".TargetParticipants[].MicrosoftTeamsUser.Cloud",
		".TargetParticipants[].MicrosoftTeamsApp.Cloud", ".TargetParticipants[].TeamsExtensionUser.Cloud"} {
		if !set[path] || !unset[path] {
			t.Errorf("%s: set %v, unset %v", path, set[path], unset[path])
		}
	}
}

func FuzzGeneratedBodyEncoding(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s, s, true)
	}
	f.Fuzz(func(t *testing.T, s1, s2 string, anonymous bool) {
		kind := gen.CommunicationIdentifierModelKind(s2)
		cloud := gen.CommunicationCloudEnvironmentModel(s1)
		body := gen.MuteParticipantsRequest{
			OperationContext: &s1,
			TargetParticipants: []gen.CommunicationIdentifierModel{
				{Kind: &kind, RawId: &s1, CommunicationUser: &gen.CommunicationUserIdentifierModel{Id: s2}},
				{PhoneNumber: &gen.PhoneNumberIdentifierModel{Value: s1, AssertedId: &s2, IsAnonymous: &anonymous}},
				{MicrosoftTeamsUser: &gen.MicrosoftTeamsUserIdentifierModel{UserId: s2, Cloud: &cloud, IsAnonymous: &anonymous}},
				{TeamsExtensionUser: &gen.TeamsExtensionUserIdentifierModel{UserId: s1, TenantId: s2, ResourceId: s1}},
			},
		}
		want, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		if got := builtBody(t, body); !bytes.Equal(got, want) {
			t.Fatalf("the builder wrote\n%s\njson.Marshal writes\n%s", got, want)
		}
	})
}

// parsedMute is what the generated parser makes of a 200 with body.
func parsedMute(t testing.TB, body []byte) (*gen.MuteParticipantsResult, error) {
	t.Helper()
	res, err := gen.ParseCallConnectionMuteResponse(&http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(bytes.NewReader(body)),
	})
	if err != nil {
		return nil, err
	}
	return res.JSON200, nil
}

// checkParsedLikeUnmarshal fails unless the parser reads body as
// json.Unmarshal does: the same value, or an error from both.
func checkParsedLikeUnmarshal(t *testing.T, body []byte) {
	t.Helper()
	got, err := parsedMute(t, body)
	var want gen.MuteParticipantsResult
	wantErr := json.Unmarshal(body, &want)
	switch {
	case (err != nil) != (wantErr != nil):
		t.Fatalf("%q: the parser's error is %v, json.Unmarshal's %v", body, err, wantErr)
	case err == nil && !reflect.DeepEqual(*got, want):
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("%q: the parser read %s, json.Unmarshal %s", body, g, w)
	}
}

var resultBodies = []string{
	`{"operationContext":"bench"}`, " \t\r\n{ \"operationContext\" : \"a b\" } \n", `{}`, `{ }`, "",
	`{"operationContext":null}`, `{"OperationContext":"x"}`, `{"operationcontext":"x"}`, `{"operationContext":"a\"b"}`,
	`{"operationContext":"a\u00e9"}`, "{\"operationContext\":\"\xff\"}", "{\"operationContext\":\"a\tb\"}",
	`{"operationContext":"a","operationContext":"b"}`, `{"operationContext":"a","OPERATIONCONTEXT":"b"}`,
	`{"operationContext":"a"}x`, `{"operationContext":"a",}`, `{"operationContext":true}`, `{"operationContext":1}`,
	`{"other":"x","operationContext":"y"}`, `{"operationContext":"x","other":{"a":[1,2]}}`, `[]`, `"x"`, `{"operationContext":"a"`,
	`{"operationContext" "a"}`, `{"operationContext":"é 🎙️"}`, `{"operationContext":truex}`, `{,}`, `{"a":true,"b":false}`,
	`{}x`, `{} }`, `{"operationContext":"a"} }`, `{"operationContext":"a"}{}`, "\ufeff{}", `{"operationContext":"a" , }`,
}

func TestGeneratedResultDecodingIsJSONUnmarshal(t *testing.T) {
	for _, body := range resultBodies {
		checkParsedLikeUnmarshal(t, []byte(body))
	}
}

func FuzzGeneratedResultDecoding(f *testing.F) {
	for _, body := range resultBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(checkParsedLikeUnmarshal)
}

// heldBody is a response body that holds its bytes, as the pipeline's do.
type heldBody struct{ b []byte }

func (h heldBody) Read([]byte) (int, error) { return 0, io.EOF }
func (h heldBody) Close() error             { return nil }
func (h heldBody) Bytes() []byte            { return h.b }

// TestGeneratedResultDecodingSkipsUnmarshal holds the parser of a plain
// result to what its generated decoder allocates: the parser's response,
// the result, and the string with its pointer. json.Unmarshal alone takes
// more.
func TestGeneratedResultDecodingSkipsUnmarshal(t *testing.T) {
	body := []byte(`{"operationContext":"bench"}`)
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Body: heldBody{body}}
	allocs := testing.AllocsPerRun(100, func() {
		res, err := gen.ParseCallConnectionMuteResponse(resp)
		if err != nil || *res.JSON200.OperationContext != "bench" {
			t.Fatal(res, err)
		}
	})
	unmarshal := testing.AllocsPerRun(100, func() {
		var v gen.MuteParticipantsResult
		_ = json.Unmarshal(body, &v)
	})
	if allocs > 4 {
		t.Errorf("the parser makes %v allocations, want 4 (json.Unmarshal alone makes %v)", allocs, unmarshal)
	}
}
