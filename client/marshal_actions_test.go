package client_test

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"testing"

	"github.com/acsmute/acsmute/gen"
)

// The bodies of hold, unhold and remove are encoded by the same generated
// appendJSON methods as mute's: held to json.Marshal byte for byte, on
// random bodies that reach every field (the play source's text, SSML and
// file sources among them).
func TestGeneratedActionBodiesAreJSONMarshal(t *testing.T) {
	const server = "https://r.communication.azure.com/"
	tests := []struct {
		name  string
		body  func() any
		build func(body any) (*http.Request, error)
	}{
		{"hold", func() any { return new(gen.HoldRequest) }, func(body any) (*http.Request, error) {
			return gen.NewCallMediaHoldRequest(server, "c", &gen.CallMediaHoldParams{ApiVersion: "2024-09-15"}, *body.(*gen.HoldRequest))
		}},
		{"unhold", func() any { return new(gen.UnholdRequest) }, func(body any) (*http.Request, error) {
			return gen.NewCallMediaUnholdRequest(server, "c", &gen.CallMediaUnholdParams{ApiVersion: "2024-09-15"}, *body.(*gen.UnholdRequest))
		}},
		{"remove", func() any { return new(gen.RemoveParticipantRequest) }, func(body any) (*http.Request, error) {
			return gen.NewCallConnectionRemoveParticipantRequest(server, "c", &gen.CallConnectionRemoveParticipantParams{ApiVersion: "2024-09-15"}, *body.(*gen.RemoveParticipantRequest))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			reached := map[string]bool{}
			for i := range 2000 {
				body := tt.body()
				fill(r, reflect.ValueOf(body).Elem(), 0)
				markSet(reflect.ValueOf(body).Elem(), "", reached)
				want, err := json.Marshal(body)
				if err != nil {
					t.Fatal(err)
				}
				req, err := tt.build(body)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(req.Body)
				if !bytes.Equal(got, want) {
					t.Fatalf("case %d: the builder wrote\n%s\njson.Marshal writes\n%s", i, got, want)
				}
			}
			// Every pointer field of every type in the body was set at
			// least once.
			var expect func(typ reflect.Type, path string, depth int)
			expect = func(typ reflect.Type, path string, depth int) {
				if typ.Kind() != reflect.Struct || depth > 3 {
					return
				}
				for i := range typ.NumField() {
					f := typ.Field(i)
					p := path + "." + f.Name
					ft := f.Type
					if ft.Kind() == reflect.Pointer {
						if !reached[p] {
							t.Errorf("%s is never set", p)
						}
						ft = ft.Elem()
					}
					expect(ft, p, depth+1)
				}
			}
			expect(reflect.TypeOf(tt.body()).Elem(), "", 0)
		})
	}
}

// markSet records the paths of the pointer fields that are set in v.
func markSet(v reflect.Value, path string, set map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			set[path] = true
			markSet(v.Elem(), path, set)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			markSet(v.Field(i), path+"."+v.Type().Field(i).Name, set)
		}
	}
}
