package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// One span per attempt, both children of the caller's span; the injected
// traceparent reaches the emulator on each attempt, and the HMAC signature
// still verifies.
func TestOneSpanPerAttempt(t *testing.T) {
	const alice = "8:acs:res_alice"
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
	srv.InjectFaults(1, acstest.Fault{Status: http.StatusServiceUnavailable, RetryAfterMs: "1"})
	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	c, err := newTracedClient(srv.ConnectionString(), tp)
	if err != nil {
		t.Fatal(err)
	}
	ctx, parent := tp.Tracer("test").Start(context.Background(), "mute")
	res, err := c.MuteParticipant(ctx, "call-1", client.CommunicationUserIdentifier{ID: alice}, nil)
	parent.End()
	if err != nil || res.Attempts != 2 {
		t.Fatalf("%+v, %v", res, err)
	}

	var attempts []sdktrace.ReadOnlySpan
	for _, s := range exporter.GetSpans().Snapshots() {
		if s.SpanKind() == trace.SpanKindClient {
			attempts = append(attempts, s)
		}
	}
	if len(attempts) != 2 {
		t.Fatalf("%d client spans, want one per attempt", len(attempts))
	}
	var statuses []int64
	for _, s := range attempts {
		if s.Parent().SpanID() != parent.SpanContext().SpanID() || s.SpanContext().TraceID() != parent.SpanContext().TraceID() {
			t.Errorf("span %q is not a child of the caller's span", s.Name())
		}
		for _, kv := range s.Attributes() {
			if kv.Key == attribute.Key("http.response.status_code") || kv.Key == attribute.Key("http.status_code") {
				statuses = append(statuses, kv.Value.AsInt64())
			}
		}
	}
	if len(statuses) != 2 || statuses[0] != 503 || statuses[1] != 200 {
		t.Errorf("span statuses %v, want [503 200]", statuses)
	}
	reqs := srv.Requests()
	for i, r := range reqs {
		tp := r.Header.Get("Traceparent")
		if !strings.Contains(tp, parent.SpanContext().TraceID().String()) || !strings.Contains(tp, attempts[i].SpanContext().SpanID().String()) {
			t.Errorf("attempt %d: traceparent %q does not name its span", i+1, tp)
		}
	}
	if m, _ := srv.IsMuted("call-1", alice); !m || reqs[1].Status != 200 {
		t.Error("the signed request with traceparent was not accepted")
	}
}

// The example program runs.
func TestRun(t *testing.T) {
	if err := run(context.Background()); err != nil {
		t.Fatal(err)
	}
}
