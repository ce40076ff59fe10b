package acstest

import "time"

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
	// Status, when non-zero, answers the request with this status and a
	// CommunicationErrorResponse, without checking or executing it.
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
}

// InjectFaults applies f to the next n write requests (mute, hold, unhold,
// remove), after any faults injected before. Other requests (reads, the
// published keys, requests to no operation) neither get nor consume them;
// InjectReadFaults is for reads.
func (s *Server) InjectFaults(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// SetFaultFunc sets a function that chooses the fault for each write
// request (mute, hold, unhold, remove) not covered by InjectFaults; seq
// counts write requests (and only them) from 1. It may return nil for no
// fault, and is called with the server's lock released. Nil removes the
// function.
func (s *Server) SetFaultFunc(fn func(seq int) *Fault) {
	s.mu.Lock()
	s.faultFunc = fn
	s.mu.Unlock()
}

// InjectReadFaults applies f to the next n read requests (reading a
// participant, a page of the list) that reach an operation, after any read
// faults injected before. Drop applies as DropBeforeExecute.
func (s *Server) InjectReadFaults(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.readFaults = append(s.readFaults, f)
	}
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
		if fn != nil {
			if f := fn(writeSeq); f != nil {
				return seq, *f, latency
			}
		}
		return seq, Fault{}, latency
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
