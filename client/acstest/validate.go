package acstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/acsmute/acsmute/openapi"
)

const mutePath = "/calling/callConnections/{callConnectionId}/participants:mute"

// validator checks requests against the project's OpenAPI document.
type validator struct {
	route *routers.Route
}

func newValidator() (*validator, error) {
	doc, err := openapi.Load(context.Background())
	if err != nil {
		return nil, fmt.Errorf("acstest: %w", err)
	}
	item := doc.Paths.Find(mutePath)
	if item == nil || item.Post == nil {
		return nil, errors.New("acstest: the OpenAPI document has no mute operation")
	}
	return &validator{route: &routers.Route{
		Spec:      doc,
		Server:    doc.Servers[0],
		Path:      mutePath,
		PathItem:  item,
		Method:    http.MethodPost,
		Operation: item.Post,
	}}, nil
}

// validate checks parameters, headers and body, and returns a description of
// every problem found, or "".
func (v *validator) validate(ctx context.Context, r *http.Request, callID string, body []byte) string {
	req := r.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(body))
	err := openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: map[string]string{"callConnectionId": callID},
		Route:      v.route,
		Options: &openapi3filter.Options{
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			MultiError:         true,
		},
	})
	if err == nil {
		return ""
	}
	return describe(err)
}

// describe flattens kin-openapi's errors into one line.
func describe(err error) string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		parts := make([]string, 0, len(me))
		for _, e := range me {
			parts = append(parts, describe(e))
		}
		return strings.Join(parts, "; ")
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		var se *openapi3.SchemaError
		if errors.As(re.Err, &se) {
			where := "request body"
			if re.Parameter != nil {
				where = re.Parameter.In + " parameter " + re.Parameter.Name
			}
			path := strings.Join(se.JSONPointer(), ".")
			if path != "" {
				where += " at " + path
			}
			return where + ": " + se.Reason
		}
		msg := re.Error()
		if re.Parameter != nil {
			msg = re.Parameter.In + " parameter " + re.Parameter.Name + ": " + re.Reason
			if re.Err != nil {
				msg += ": " + re.Err.Error()
			}
		}
		return strings.Join(strings.Fields(msg), " ")
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}
