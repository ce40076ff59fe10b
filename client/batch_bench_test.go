package client_test

import (
	"context"
	"testing"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// batchBench is an emulator holding a call of 1,000 participants, and them.
func batchBench(b *testing.B) (*acstest.Server, []client.Identifier) {
	b.Helper()
	raws := callOf(1000)
	srv, err := acstest.NewServer(&acstest.Options{Calls: map[string][]string{"call-1": raws}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	return srv, identifiers(raws)
}

// BenchmarkBatchMute1000 mutes 1,000 participants with one
// MuteParticipants call (DefaultMuteConcurrency) on the emulator, and
// reports the most requests the emulator saw in flight at once.
func BenchmarkBatchMute1000(b *testing.B) {
	srv, who := batchBench(b)
	c := srv.Client()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		for _, o := range c.MuteParticipants(ctx, "call-1", who, nil) {
			if o.Err != nil {
				b.Fatal(o.Err)
			}
		}
	}
	b.ReportMetric(float64(srv.PeakInFlight()), "peak-in-flight")
}

// BenchmarkSequentialMute1000 mutes the same 1,000 participants with one
// MuteParticipant call after another, for comparison.
func BenchmarkSequentialMute1000(b *testing.B) {
	srv, who := batchBench(b)
	c := srv.Client()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		for _, w := range who {
			if _, err := c.MuteParticipant(ctx, "call-1", w, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(srv.PeakInFlight()), "peak-in-flight")
}
