// Command tracing shows acsmute under OpenTelemetry: the client's transport
// wrapped with otelhttp records one client span per attempt (retries show as
// separate spans under the caller's span) and injects the W3C traceparent
// header, which the HMAC signature does not cover, so signing is unaffected.
//
// It runs against the in-process emulator, which fails the first attempt
// with 503, and prints the spans it recorded:
//
//	go run ./tracing
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// newTracedClient returns a client whose every attempt is a span of tp,
// with trace context propagated in the request headers.
func newTracedClient(connectionString string, tp trace.TracerProvider) (*client.Client, error) {
	transport := otelhttp.NewTransport(client.NewTransport(),
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(propagation.TraceContext{}))
	return client.NewClientFromConnectionString(connectionString, &client.ClientOptions{
		HTTPClient: &http.Client{Transport: transport},
	})
}

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "tracing:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	const alice = "8:acs:demo_alice"
	srv, err := acstest.NewServer(&acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.InjectFaults(1, acstest.Fault{Status: http.StatusServiceUnavailable, RetryAfterMs: "10"}); err != nil {
		return err
	}

	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	defer func() { _ = tp.Shutdown(ctx) }()
	c, err := newTracedClient(srv.ConnectionString(), tp)
	if err != nil {
		return err
	}
	ctx, span := tp.Tracer("example").Start(ctx, "mute alice")
	_, err = c.MuteParticipant(ctx, "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
	span.End()
	if err != nil {
		return err
	}
	for _, s := range exporter.GetSpans() {
		fmt.Printf("span %-12q trace %s parent %s status %s\n", s.Name, s.SpanContext.TraceID(), s.Parent.SpanID(), s.Status.Code)
	}
	for _, r := range srv.Requests() {
		fmt.Printf("request %s -> %d, traceparent %s\n", r.Method, r.Status, r.Header.Get("Traceparent"))
	}
	return nil
}
