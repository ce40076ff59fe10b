package acstest

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Drop says whether and when a faulty request's connection is closed
// without an answer.
type Drop int

// The ways to drop a connection.
const (
	// DropNone answers normally.
	DropNone Drop = iota
	// DropBeforeExecute closes the connection before the request is
	// checked or executed: the operation does not happen.
	DropBeforeExecute
	// DropAfterExecute runs the request as usual (the operation happens
	// and, for a mute or remove, its answer is remembered for replay), then
	// closes the connection instead of answering: the client loses the
	// response.
	DropAfterExecute
)

// Fault is what to do to one request instead of (or besides) answering it
// normally.
type Fault struct {
	// Status, when non-zero, answers the request with this status (200 to
	// 599) and a CommunicationErrorResponse, without checking or executing
	// it. A 2xx is a lie on purpose, for tests of how a client reads a
	// success status with an error body: the operation did not run.
	Status int
	// ErrorCode is the error code of a Status answer. Empty means a code
	// derived from the status, such as "ServiceUnavailable".
	ErrorCode string
	// RetryAfter, when set, is sent as the Retry-After header of a Status
	// answer (seconds or an HTTP date).
	RetryAfter string
	// RetryAfterMs, when set, is sent as the retry-after-ms header.
	RetryAfterMs string
	// Drop closes the connection instead of answering.
	Drop Drop
	// Latency delays the answer. For requests that execute, the request
	// counts as in progress during the delay, so a resent request with the
	// same Repeatability-Request-ID gets 409.
	Latency time.Duration

	// message is the error message of a Status answer; empty means
	// "injected fault".
	message string
}

// check reports what is wrong with a fault, if anything: a Status that is
// not a final HTTP status (100 to 199 are interim answers, after which
// net/http sends 200 with nothing done; below 100 and above 599 are no
// status at all), a Drop that is none of the constants, a negative
// Latency, or header values that cannot be sent.
func (f Fault) check() error {
	switch {
	case f.Status != 0 && (f.Status < 200 || f.Status > 599):
		return fmt.Errorf("status %d is not a final HTTP status (200 to 599; a 1xx is an interim answer, which net/http follows with 200, nothing done)", f.Status)
	case f.Drop < DropNone || f.Drop > DropAfterExecute:
		return fmt.Errorf("drop %d is not DropNone, DropBeforeExecute or DropAfterExecute", f.Drop)
	case f.Latency < 0:
		return errors.New("latency must not be negative")
	}
	for name, v := range map[string]string{"error code": f.ErrorCode, "RetryAfter": f.RetryAfter, "RetryAfterMs": f.RetryAfterMs} {
		if !httpguts.ValidHeaderFieldValue(v) || len(v) > 256 {
			return fmt.Errorf("%s is not a valid header value of at most 256 bytes", name)
		}
	}
	return nil
}

// InjectFaults applies f to the next n write requests (mute, hold, unhold,
// remove), after any faults injected before. Other requests (reads, the
// published keys, requests to no operation) neither get nor consume them;
// InjectReadFaults is for reads. It fails, injecting nothing, for a
// negative n, a fault that cannot be applied (a Status outside 200 to 599,
// an unknown Drop, a negative Latency), or more than a million faults
// queued in all.
func (s *Server) InjectFaults(n int, f Fault) error {
	if err := checkInjection(n, f); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults)+len(s.readFaults)+n > maxQueuedFaults {
		return fmt.Errorf("acstest: at most %d faults can be queued in all", maxQueuedFaults)
	}
	for range n {
		s.faults = append(s.faults, f)
	}
	return nil
}

// maxInjected bounds the faults one call queues; maxQueuedFaults those
// queued in all (each kind), so that a shared emulator stays small.
const (
	maxInjected     = 100_000
	maxQueuedFaults = 1_000_000
)

// queuedFaults returns how many write and read faults are queued in all.
func (s *Server) queuedFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults) + len(s.readFaults)
}

func checkInjection(n int, f Fault) error {
	if n < 0 || n > maxInjected {
		return fmt.Errorf("acstest: the number of faults must be between 0 and %d", maxInjected)
	}
	if err := f.check(); err != nil {
		return fmt.Errorf("acstest: %w", err)
	}
	return nil
}

// SetFaultFunc sets a function that chooses the fault for each write
// request (mute, hold, unhold, remove) not covered by InjectFaults; seq
// counts write requests (and only them) from 1. It may return nil for no
// fault, and is called with the server's lock released. A fault that
// cannot be applied (as InjectFaults refuses) or a panic in fn answers the
// request 500 InvalidFault, saying why, without checking or executing it,
// and logs it; the server goes on. Nil removes the function.
func (s *Server) SetFaultFunc(fn func(seq int) *Fault) {
	s.mu.Lock()
	s.faultFunc = fn
	s.mu.Unlock()
}

// InjectReadFaults applies f to the next n read requests (reading a
// participant, a page of the list) that reach an operation, after any read
// faults injected before. Drop applies as DropBeforeExecute. It fails as
// InjectFaults does.
func (s *Server) InjectReadFaults(n int, f Fault) error {
	if err := checkInjection(n, f); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults)+len(s.readFaults)+n > maxQueuedFaults {
		return fmt.Errorf("acstest: at most %d faults can be queued in all", maxQueuedFaults)
	}
	for range n {
		s.readFaults = append(s.readFaults, f)
	}
	return nil
}

// SetLatency delays every answer of an operation by d (on top of any fault's latency).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}

// ClearFaults removes injected faults, the fault function and the latency.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults, s.readFaults, s.faultFunc, s.latency = nil, nil, nil, 0
	s.mu.Unlock()
}

// nextFault returns the request's sequence number and its fault: a write's
// from InjectFaults or SetFaultFunc, a read's from InjectReadFaults, none
// for any other request. op is the operation the request reaches, or 0.
func (s *Server) nextFault(op operation) (int, Fault, time.Duration) {
	s.mu.Lock()
	s.seq++
	seq, latency := s.seq, s.latency
	switch op {
	case opMute, opHold, opUnhold, opRemove:
		s.writeSeq++
		if len(s.faults) > 0 {
			f := s.faults[0]
			s.faults = s.faults[1:]
			s.mu.Unlock()
			return seq, f, latency
		}
		fn, writeSeq := s.faultFunc, s.writeSeq
		s.mu.Unlock()
		return seq, s.chosenFault(fn, writeSeq), latency
	case opGetParticipant, opListParticipants:
		var f Fault
		if len(s.readFaults) > 0 {
			f = s.readFaults[0]
			s.readFaults = s.readFaults[1:]
			if f.Drop != DropNone {
				f.Drop = DropBeforeExecute
			}
		}
		s.mu.Unlock()
		return seq, f, latency
	}
	s.mu.Unlock()
	return seq, Fault{}, 0
}

// chosenFault calls the fault function fn (if any) for the write request
// writeSeq. A panic, or a fault that cannot be applied, becomes a fault
// that answers 500 InvalidFault, saying why, and is logged.
func (s *Server) chosenFault(fn func(seq int) *Fault, writeSeq int) Fault {
	if fn == nil {
		return Fault{}
	}
	invalid := func(why string) Fault {
		if s.logger != nil {
			s.logger.Warn("acstest: the fault function failed", "write_seq", writeSeq, "error", why)
		}
		return Fault{Status: http.StatusInternalServerError, ErrorCode: "InvalidFault", message: why}
	}
	chosen, err := callGuarded(s.closing, func() *Fault { return fn(writeSeq) })
	if err != nil {
		return invalid("the fault function " + err.Error())
	}
	if chosen == nil {
		return Fault{}
	}
	if err := chosen.check(); err != nil {
		return invalid("the fault function chose a fault that cannot be applied: " + err.Error())
	}
	return *chosen
}
