package acstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/openapi"
	"github.com/acsmute/acsmute/openapi/wire"
)

// validator checks requests against the project's OpenAPI document, as it
// stands for each supported API version (openapi.LoadVersion). A version's
// document is loaded when a request first asks for it: most servers only
// ever see one version, and loading costs milliseconds.
type validator struct {
	versions map[string]*versionRoutes
}

// versionRoutes are one API version's routes, loaded once.
type versionRoutes struct {
	once   sync.Once
	routes map[operation]*routers.Route
	err    error
}

func newValidator() *validator {
	v := &validator{versions: map[string]*versionRoutes{}}
	for _, version := range client.SupportedAPIVersions() {
		v.versions[version] = &versionRoutes{}
	}
	return v
}

// route returns the route of an operation in an API version.
func (v *validator) route(version string, op operation) (*routers.Route, error) {
	vr, ok := v.versions[version]
	if !ok {
		return nil, fmt.Errorf("acstest: API version %q is not supported", version)
	}
	vr.once.Do(func() { vr.routes, vr.err = loadRoutes(version) })
	if vr.err != nil {
		return nil, vr.err
	}
	return vr.routes[op], nil
}

// loadRoutes loads the document for a version and finds its operations.
func loadRoutes(version string) (map[operation]*routers.Route, error) {
	doc, err := openapi.LoadVersion(context.Background(), version)
	if err != nil {
		return nil, fmt.Errorf("acstest: %w", err)
	}
	routes := map[operation]*routers.Route{}
	for op, path := range operations {
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(op.method()) == nil {
			return nil, fmt.Errorf("acstest: the OpenAPI document has no %s %s", op.method(), path)
		}
		routes[op] = &routers.Route{
			Spec:      doc,
			Server:    doc.Servers[0],
			Path:      path,
			PathItem:  item,
			Method:    op.method(),
			Operation: item.GetOperation(op.method()),
		}
	}
	return routes, nil
}

// validate checks parameters, headers and body, and returns a description of
// every problem found, or "".
func (v *validator) validate(ctx context.Context, r *http.Request, rt route, body []byte) string {
	req := r.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(body))
	params := map[string]string{wire.ParamCallConnectionID: rt.callID}
	if rt.op == opGetParticipant {
		params[wire.ParamParticipantRawID] = rt.rawID
	}
	route, err := v.route(rt.version, rt.op)
	if err != nil { // the embedded document is checked by openapi's tests
		return err.Error()
	}
	err = openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
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
