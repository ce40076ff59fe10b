// Package callback reads and verifies the events Azure Communication
// Services Call Automation posts to a call's callback URL: CloudEvents such
// as Microsoft.Communication.ParticipantsUpdated, which carries every
// participant of the call with isMuted and isOnHold, and is how a service
// confirms a mute and keeps its view of the call current; the outcome
// events of requests (RemoveParticipantSucceeded, RemoveParticipantFailed,
// HoldFailed); and CallDisconnected. Each known type is read by a method of
// Event named after it; Waiter hands the outcome of an asynchronous request
// (a remove, answered 202) to the code waiting for it.
//
// Those posts arrive on a public endpoint, so verify them before believing
// them: the service signs each with a JWT in "Authorization: Bearer" (RS256,
// issuer DefaultIssuer, audience the Communication Services resource's ID,
// keys at DefaultKeysURL). Verifier checks it, accepting only the form the
// service sends (a compact JWS, claim names spelled exactly and each once,
// numeric dates within the years 1 to 9999: see Verifier.Verify); its
// Middleware answers 401 to anything else before your handler runs:
//
//	v, err := callback.NewVerifier(resourceID, nil)
//	...
//	mux.Handle("POST /callbacks", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
//		...
//		events, err := callback.Parse(body)
//		for _, e := range events {
//			if e.Type == callback.TypeParticipantsUpdated {
//				pu, err := e.ParticipantsUpdated()
//				...
//			}
//		}
//	})))
//
// The acstest emulator posts the same events, signed with its own key, when
// its Options.CallbackURL is set.
package callback

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/gen"
)

// TypeParticipantsUpdated is the CloudEvents type of a ParticipantsUpdated
// event.
const TypeParticipantsUpdated = "Microsoft.Communication.ParticipantsUpdated"

// sourcePrefix starts the source of an event about a call connection; the
// call connection ID follows.
const sourcePrefix = "calling/callConnections/"

// sourceCallConnection reads the call connection an event's source names.
// A source "calling/callConnections/<id>", with the fixed words in any case
// and with or without one leading slash, names the call connection <id>
// (read as it is: IDs are compared exactly), and ok is true. A source that
// does not mention a call connection at all (no "callconnection" in it, in
// any case) names none: ok is false. Any other source mentions one in a
// form this package does not read, and is an error: it cannot be told
// which call it is about.
func sourceCallConnection(source string) (id string, ok bool, err error) {
	s := strings.TrimPrefix(source, "/")
	if len(s) > len(sourcePrefix) && strings.EqualFold(s[:len(sourcePrefix)], sourcePrefix) {
		return s[len(sourcePrefix):], true, nil
	}
	if strings.Contains(strings.ToLower(source), "callconnection") {
		return "", false, errors.New("names a call connection in a form this package does not read")
	}
	return "", false, nil
}

// checkSource returns an error when the event's source names another call
// connection than callID, or names one in a form not read; name is the
// event type's, for the error.
func (e Event) checkSource(name, callID string) error {
	id, ok, err := sourceCallConnection(e.Source)
	switch {
	case err != nil:
		return fmt.Errorf("callback: the %s event's source %w", name, err)
	case ok && id != callID:
		return fmt.Errorf("callback: the %s data is about another call connection than its source", name)
	}
	return nil
}

// Event is one CloudEvent (version 1.0) of a callback.
type Event struct {
	// ID identifies the event; a redelivered event has the same ID.
	ID string
	// Source is where it comes from, such as
	// "calling/callConnections/<callConnectionId>". The typed events'
	// methods (ParticipantsUpdated, RemoveParticipantSucceeded, ...) check
	// that the data is about the call connection a source of that form
	// names, whatever the case of "calling/callConnections" and with or
	// without a leading slash; they refuse a source that mentions a call
	// connection in any other form, and do not compare a source that names
	// something else entirely (the data's callConnectionId is then what
	// the event is about).
	Source string
	// Type is the event type, such as TypeParticipantsUpdated.
	Type string
	// Subject is the event's subject, when it has one.
	Subject string
	// Time is when the event happened; zero when the event has no time.
	Time time.Time
	// Data is the event's data, as JSON.
	Data json.RawMessage
}

// ParticipantsUpdated is the data of a ParticipantsUpdated event.
type ParticipantsUpdated struct {
	// CallConnectionID is the call connection the event is about.
	CallConnectionID string
	// ServerCallID is the server's identifier of the call.
	ServerCallID string
	// CorrelationID correlates the event with the call in the service's
	// logs.
	CorrelationID string
	// SequenceNumber orders the call's ParticipantsUpdated events: the one
	// with the largest number is the call's latest state. Events may arrive
	// out of order, and more than once. It is never negative (the service
	// numbers a call's events from 0 or 1 upward).
	SequenceNumber int
	// Participants is every participant of the call, read exactly as
	// client.Client.GetParticipant reads one, each once (no two have the
	// same raw ID).
	Participants []client.CallParticipant
}

// cloudEvent is the JSON form of an Event.
type cloudEvent struct {
	ID          *string         `json:"id"`
	Source      *string         `json:"source"`
	Type        *string         `json:"type"`
	SpecVersion *string         `json:"specversion"`
	Subject     string          `json:"subject"`
	Time        string          `json:"time"`
	Data        json.RawMessage `json:"data"`
}

// Parse reads a callback's body: a JSON array of CloudEvents, as the service
// posts them, or a single event object. It returns every event, in order;
// events of types this package does not know are returned like the others.
//
// Each event must have a non-empty id, source and type, specversion "1.0",
// and a time, when it has one, in RFC 3339 form. Malformed input is an
// error that names the problem and the event's index, never quoting the
// body. Parse reads what it is given: bound the body's size before (for
// example with http.MaxBytesReader), and verify the request before believing
// it (Verifier).
func Parse(body []byte) ([]Event, error) {
	body = bytes.TrimSpace(body)
	var raws []json.RawMessage
	switch {
	case len(body) == 0:
		return nil, errors.New("callback: the body is empty")
	case body[0] == '[':
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, fmt.Errorf("callback: the body is not a JSON array of CloudEvents: %w", jsonProblem(err))
		}
	case body[0] == '{':
		raws = []json.RawMessage{body}
	default:
		return nil, errors.New("callback: the body is neither a JSON array of CloudEvents nor a CloudEvent")
	}
	events := make([]Event, 0, len(raws))
	for i, raw := range raws {
		e, err := parseEvent(raw)
		if err != nil {
			return nil, fmt.Errorf("callback: event %d: %w", i, err)
		}
		events = append(events, e)
	}
	return events, nil
}

func parseEvent(raw json.RawMessage) (Event, error) {
	var ce cloudEvent
	if err := json.Unmarshal(raw, &ce); err != nil {
		return Event{}, fmt.Errorf("not a CloudEvent object: %w", jsonProblem(err))
	}
	for _, f := range [...]struct {
		name string
		v    *string
	}{{"id", ce.ID}, {"source", ce.Source}, {"type", ce.Type}, {"specversion", ce.SpecVersion}} {
		if f.v == nil || *f.v == "" {
			return Event{}, fmt.Errorf("it has no %s", f.name)
		}
	}
	if *ce.SpecVersion != "1.0" {
		return Event{}, errors.New(`its specversion is not "1.0"`)
	}
	e := Event{ID: *ce.ID, Source: *ce.Source, Type: *ce.Type, Subject: ce.Subject, Data: ce.Data}
	if ce.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, ce.Time)
		if err != nil {
			return Event{}, errors.New("its time is not an RFC 3339 time")
		}
		e.Time = t
	}
	return e, nil
}

// ParticipantsUpdated reads the event's data as a ParticipantsUpdated
// event's. It is an error for an event of another type, or for data that is
// not the event's documented form: participants, callConnectionId (the
// call of the event's source: see Event.Source) and sequenceNumber must be
// there, and each participant is read as GetParticipant reads one (its
// identifier's parts must agree, and it must have isMuted). A negative
// sequenceNumber, or a participant listed twice (two with the same raw ID,
// however their identifiers are spelled), is malformed too: the service
// numbers a call's events from 0 or 1 upward and lists each participant
// once, so such an event is not one it sent, and no state is read from
// it.
func (e Event) ParticipantsUpdated() (ParticipantsUpdated, error) {
	if e.Type != TypeParticipantsUpdated {
		return ParticipantsUpdated{}, fmt.Errorf("callback: the event is of type %q, not %s", truncate(e.Type, 64), TypeParticipantsUpdated)
	}
	if d := bytes.TrimSpace(e.Data); len(d) == 0 || bytes.Equal(d, []byte("null")) {
		return ParticipantsUpdated{}, errors.New("callback: the ParticipantsUpdated event has no data")
	}
	// One pass: the fields as the generated type has them, and the
	// participants read by package client, exactly as it reads an answer.
	var data struct {
		gen.ParticipantsUpdated
		Participants []client.CallParticipant `json:"participants"`
	}
	if err := json.Unmarshal(e.Data, &data); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.As(err, &syn) || errors.As(err, &typ) {
			return ParticipantsUpdated{}, fmt.Errorf("callback: the ParticipantsUpdated data is not the documented form: %w", jsonProblem(err))
		}
		return ParticipantsUpdated{}, fmt.Errorf("callback: the ParticipantsUpdated data: %w", err)
	}
	parts := data
	// What a service acts on must be there: an absent list is not an empty
	// call, and an event without its call or its order cannot be placed.
	switch {
	case parts.Participants == nil:
		return ParticipantsUpdated{}, errors.New("callback: the ParticipantsUpdated data has no participants")
	case data.CallConnectionId == nil || *data.CallConnectionId == "":
		return ParticipantsUpdated{}, errors.New("callback: the ParticipantsUpdated data has no callConnectionId")
	case data.SequenceNumber == nil:
		return ParticipantsUpdated{}, errors.New("callback: the ParticipantsUpdated data has no sequenceNumber")
	case *data.SequenceNumber < 0:
		return ParticipantsUpdated{}, errors.New("callback: the ParticipantsUpdated data's sequenceNumber is negative")
	}
	if err := e.checkSource("ParticipantsUpdated", *data.CallConnectionId); err != nil {
		return ParticipantsUpdated{}, err
	}
	// Each participant once, by raw ID (never quoted: it can be a phone
	// number).
	seen := make(map[string]int, len(parts.Participants))
	for i, p := range parts.Participants {
		if p.Identifier == nil {
			return ParticipantsUpdated{}, fmt.Errorf("callback: the ParticipantsUpdated participant %d has no identifier", i)
		}
		raw := p.Identifier.RawID()
		if j, ok := seen[raw]; ok {
			return ParticipantsUpdated{}, fmt.Errorf("callback: the ParticipantsUpdated data lists a participant twice: participants %d and %d are the same", j, i)
		}
		seen[raw] = i
	}
	out := ParticipantsUpdated{Participants: parts.Participants, CallConnectionID: *data.CallConnectionId, SequenceNumber: int(*data.SequenceNumber)}
	if data.ServerCallId != nil {
		out.ServerCallID = *data.ServerCallId
	}
	if data.CorrelationId != nil {
		out.CorrelationID = *data.CorrelationId
	}
	return out, nil
}

// jsonProblem describes a JSON decoding error without quoting the input.
func jsonProblem(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		// Value can hold the input's text (a number's digits): only its kind.
		kind, _, _ := strings.Cut(typ.Value, " ")
		return fmt.Errorf("%s has JSON type %s, not %s", truncate(typ.Field, 64), truncate(kind, 16), typ.Type)
	}
	return errors.New("invalid JSON")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
