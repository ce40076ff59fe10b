package acstest_test

import (
	"strings"
	"testing"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/client/acstest"
)

// InjectFaults and InjectReadFaults at their bounds: zero faults is no
// error, 100,000 at once, header values of 256 bytes, and a million queued
// in all, write and read faults counted together (also by the admin API).
func TestFaultQueueBoundsExactly(t *testing.T) {
	srv := startAdmin(t, nil)
	f := acstest.Fault{Status: 503}
	for _, inject := range []func(int, acstest.Fault) error{srv.InjectFaults, srv.InjectReadFaults} {
		if err := inject(0, f); err != nil {
			t.Errorf("no fault: %v", err)
		}
		if err := inject(-1, f); err == nil {
			t.Error("-1 faults")
		}
		if err := inject(100_001, f); err == nil {
			t.Error("100,001 faults at once")
		}
		for _, field := range []func(*acstest.Fault, string){
			func(f *acstest.Fault, v string) { f.ErrorCode = v },
			func(f *acstest.Fault, v string) { f.RetryAfter = v },
		} {
			long := f
			field(&long, strings.Repeat("7", 256))
			if err := inject(1, long); err != nil {
				t.Errorf("a 256-byte header value: %v", err)
			}
			field(&long, strings.Repeat("7", 257))
			if err := inject(1, long); err == nil {
				t.Error("a 257-byte header value")
			}
		}
		srv.ClearFaults()
	}
	// Half and half: exactly a million, the last ones read faults.
	for _, inject := range []func(int, acstest.Fault) error{srv.InjectFaults, srv.InjectReadFaults} {
		for range 5 {
			if err := inject(100_000, f); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, inject := range map[string]func(int, acstest.Fault) error{"write": srv.InjectFaults, "read": srv.InjectReadFaults} {
		if err := inject(1, f); err == nil {
			t.Errorf("a %s fault past a million", name)
		}
	}
	if code, _, v := adminDo(t, srv, adminToken, "POST", "/admin/v1/faults", `{"status":503}`); code != 409 {
		t.Errorf("the admin API past a million: %d %v", code, v)
	}
	srv.ClearFaults()
	// A million read faults leave no room for a write fault.
	for range 10 {
		if err := srv.InjectReadFaults(100_000, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.InjectFaults(1, f); err == nil {
		t.Error("a write fault past a million read faults")
	}
	srv.ClearFaults()
}

// Requests one after another are never in flight together.
func TestPeakInFlightSequential(t *testing.T) {
	srv := acstest.Start(t, &acstest.Options{Calls: map[string][]string{"call-1": {alice}}})
	for range 3 {
		if _, err := srv.Client().MuteParticipant(t.Context(), "call-1", client.CommunicationUserIdentifier{ID: alice}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.PeakInFlight(); n != 1 {
		t.Errorf("peak in flight %d, want 1", n)
	}
}
