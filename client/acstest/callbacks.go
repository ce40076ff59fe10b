package acstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/gen"
	"github.com/acsmute/acsmute/openapi/wire"
)

// The paths where the emulator publishes the keys it signs callbacks with,
// as the service does under its own host.
const (
	PathCallbackKeys          = "/calling/keys"
	PathOpenIDConfiguration   = "/calling/.well-known/acsopenidconfiguration"
	callbackTokenLifetime     = 5 * time.Minute
	callbackAttempts          = 3
	callbackRetryDelay        = 50 * time.Millisecond
	callbackTimeout           = 10 * time.Second
	maxPendingCallbackEvents  = 10_000
	callbackSourcePrefix      = "calling/callConnections/"
	callbackDataContentType   = "application/json"
	callbackSpecVersion       = "1.0"
	callbackAuthorizationType = "Bearer "
)

// The types of the events the server posts.
const (
	typeParticipantsUpdated        = "Microsoft.Communication.ParticipantsUpdated"
	typeRemoveParticipantSucceeded = "Microsoft.Communication.RemoveParticipantSucceeded"
	typeRemoveParticipantFailed    = "Microsoft.Communication.RemoveParticipantFailed"
	typeHoldFailed                 = "Microsoft.Communication.HoldFailed"
	typeCallDisconnected           = "Microsoft.Communication.CallDisconnected"
)

// ResultInformation is the resultInformation of an event the server posts:
// the result codes and message the service reports for troubleshooting.
// Codes must fit in 32 bits, as on the wire.
type ResultInformation struct {
	Code, SubCode int
	Message       string
}

// The results the server reports for what succeeds, and for a failure
// arranged with a zero ResultInformation. The service does not document its
// codes; these are the emulator's own.
var (
	resultRemoved      = ResultInformation{Code: 200, Message: "The participant was removed from the call."}
	resultDisconnected = ResultInformation{Code: 200, Message: "The call was disconnected."}
	resultFailed       = ResultInformation{Code: 500, Message: "The emulator was asked to fail this request."}
)

// Delivery is one callback the server posted (or tried to), as Deliveries
// reports it.
type Delivery struct {
	// Seq numbers deliveries from 1 in the order their events were made.
	Seq int
	// Type is the event's type, such as
	// "Microsoft.Communication.ParticipantsUpdated".
	Type string
	// URL is where the event was posted: Options.CallbackURL, or the
	// operationCallbackUri of the request it reports on.
	URL string
	// CallID is the call connection the event is about.
	CallID string
	// EventID is the CloudEvent's id.
	EventID string
	// SequenceNumber is a ParticipantsUpdated event's sequenceNumber (per
	// call, from 1); 0 for other types.
	SequenceNumber int
	// OperationContext is the operationContext of an event that reports on
	// a request, "" for others.
	OperationContext string
	// Time is when the event was made, by the server's clock.
	Time time.Time
	// Body is the JSON posted: an array of one CloudEvent.
	Body []byte
	// Attempts is how many posts were made; Status is the last one's
	// status (0 when it got no answer) and Err its error, if any.
	Attempts int
	Status   int
	Err      string
	// Delivered reports whether a post was answered with a 2xx status.
	Delivered bool
	// Duplicate reports the second post of an event, made because a
	// DeliveryFault asked for it.
	Duplicate bool
}

// DeliveryFault is what to do to one callback post instead of posting it
// once, in order, at once: the ways the service's callbacks misbehave, for
// tests of code that must cope (SetDeliveryFaultFunc). Drop wins over the
// others, and Hold over Duplicate and Delay: a held event is posted once,
// as it is, when its turn comes.
type DeliveryFault struct {
	// Drop never posts the event; Deliveries records it with an Err that
	// says so.
	Drop bool
	// Duplicate posts the event twice, the second time after the first is
	// answered, with the same id and body.
	Duplicate bool
	// Delay waits this long before posting. Posts come from one goroutine,
	// so the events after it wait too: use Hold to reorder.
	Delay time.Duration
	// Hold posts the event after the next Hold events have been posted
	// (or as soon as no other event is waiting), so that they overtake
	// it.
	Hold int
}

// SetDeliveryFaultFunc sets a function that chooses what to do to each
// callback about to be posted: seq is the event's Delivery.Seq (events are
// numbered from 1 in the order they were made; those dropped because too
// many were waiting are never offered), and d describes the event (its
// Type, CallID, SequenceNumber, OperationContext...). It may return nil to
// post the event normally. It runs in a goroutine of its own, with no lock
// of the server held, while the delivery goroutine waits for it: it may
// call the server's methods (Close too); a panic in it, or its goroutine
// ending (t.FailNow), drops the event, recorded with the reason. Nil
// removes the function.
func (s *Server) SetDeliveryFaultFunc(fn func(seq int, d Delivery) *DeliveryFault) {
	cb := s.callbacks
	cb.mu.Lock()
	cb.faultFunc = fn
	cb.mu.Unlock()
}

// callbackEvent is an event waiting to be posted: what was true when it
// was made, small enough to take under the server's lock. Its body is made
// by the delivery goroutine.
type callbackEvent struct {
	d                           Delivery
	serverCallID, correlationID string
	version                     string
	parts                       []partState // ParticipantsUpdated
	// For the events that report how a request or the call ended.
	hasOpContext bool // the request carried an operationContext (d.OperationContext)
	participant  string
	result       ResultInformation
}

// partState is one participant's state in an event.
type partState struct {
	rawID string
	m     member
}

// Bounds of what waits to be posted and what is recorded, in all.
const (
	maxPendingCallbackParts = 1_000_000 // participants over all waiting events
	maxRecordedCallbackBody = 16 << 20  // bytes of recorded bodies
)

// callbacks posts events to Options.CallbackURL (url, "" when unset) or a
// request's operationCallbackUri, one at a time, in the order they were
// made (so per call too), from one goroutine.
type callbacks struct {
	url  string
	http *http.Client

	mu           sync.Mutex
	pending      []callbackEvent
	pendingParts int
	wake         chan struct{}
	done         boundedLog[Delivery] // bounded like the request log
	seq          int
	idle         *sync.Cond // signalled when pending empties, and on close
	inFlight     bool
	closed       bool
	transport    *http.Transport
	faultFunc    func(seq int, d Delivery) *DeliveryFault
	held         int // events a fault holds back, not yet posted
	// posting is the delivery being posted (or waiting out a Delay), nil
	// when none: Deliveries reports it with the others.
	posting *Delivery
	logger  *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
}

// signing is the emulator's RSA key for callback tokens, made on first use.
type signing struct {
	once   sync.Once
	key    *rsa.PrivateKey
	kid    string
	signer jose.Signer // RS256 with key, kid in the header
	err    error
}

// get returns the key, its ID and a signer of tokens with it, made once.
func (g *signing) get() (*rsa.PrivateKey, string, jose.Signer, error) {
	g.once.Do(func() {
		g.key, g.err = rsa.GenerateKey(rand.Reader, 2048)
		if g.err != nil {
			return
		}
		g.kid = uuid.NewString()
		g.signer, g.err = jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: g.key},
			(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", g.kid))
	})
	return g.key, g.kid, g.signer, g.err
}

// ResourceID returns the ID of the emulated Communication Services
// resource: the audience of the callback tokens the server signs.
func (s *Server) ResourceID() string { return s.resourceID }

// Deliveries returns the callbacks the server has posted or is posting (the
// one in flight with the attempts made so far), and those it gave up on,
// oldest (by Seq) first, bounded like Requests (Options.MaxRequests).
func (s *Server) Deliveries() []Delivery {
	cb := s.callbacks
	if cb == nil {
		return nil
	}
	cb.mu.Lock()
	defer cb.mu.Unlock()
	kept := cb.done.recent()
	out := make([]Delivery, 0, len(kept)+1)
	for _, d := range kept {
		d.Body = bytes.Clone(d.Body)
		out = append(out, d)
	}
	if cb.posting != nil {
		d := *cb.posting
		d.Body = bytes.Clone(d.Body)
		out = append(out, d)
	}
	// Recorded as they end, which is not the order they were made in when
	// the server closes with one in flight, or a fault holds one back.
	slices.SortStableFunc(out, func(a, b Delivery) int { return a.Seq - b.Seq })
	return out
}

// WaitForDeliveries waits until every event made so far has been posted
// (or given up on), or ctx ends.
func (s *Server) WaitForDeliveries(ctx context.Context) error {
	cb := s.callbacks
	if cb == nil {
		return nil
	}
	stop := context.AfterFunc(ctx, func() {
		cb.mu.Lock()
		cb.idle.Broadcast()
		cb.mu.Unlock()
	})
	defer stop()
	cb.mu.Lock()
	defer cb.mu.Unlock()
	for (len(cb.pending) > 0 || cb.inFlight || cb.held > 0) && !cb.closed {
		if err := ctx.Err(); err != nil {
			return err
		}
		cb.idle.Wait()
	}
	return nil
}

func newCallbacks(url string, maxRecord int, logger *slog.Logger) *callbacks {
	ctx, cancel := context.WithCancel(context.Background())
	// Its own transport, so that closing the server closes its connections.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	cb := &callbacks{
		url:       url,
		transport: tr,
		http:      &http.Client{Timeout: callbackTimeout, Transport: tr},
		wake:      make(chan struct{}, 1),
		done: boundedLog[Delivery]{max: maxRecord, maxBytes: maxRecordedCallbackBody,
			body: func(d *Delivery) *[]byte { return &d.Body }},
		ctx:    ctx,
		cancel: cancel,
		logger: logger,
	}
	cb.idle = sync.NewCond(&cb.mu)
	return cb
}

// eventLocked queues a ParticipantsUpdated event of call c's state to
// Options.CallbackURL, if set: a snapshot of it, taken in time proportional
// to its participants; the body is made when it is posted. s.mu must be
// held.
func (s *Server) eventLocked(callID string, c *call) {
	cb := s.callbacks
	if cb == nil || cb.url == "" {
		return
	}
	c.sequence++
	if c.sequence > math.MaxInt32 { // the wire form is int32
		c.sequence = 1
	}
	ev := callbackEvent{
		d: Delivery{Type: typeParticipantsUpdated, URL: cb.url, CallID: callID, EventID: uuid.NewString(),
			SequenceNumber: c.sequence, Time: s.now()},
		serverCallID: c.serverCallID, correlationID: c.correlationID, version: c.version,
		parts: make([]partState, len(c.order)),
	}
	for i, rawID := range c.order {
		ev.parts[i] = partState{rawID, *c.participants[rawID]}
	}
	cb.enqueue(ev)
}

// outcome is an event that reports how a request, or the call, ended.
type outcome struct {
	typ string
	// url is the request's operationCallbackUri; "" means
	// Options.CallbackURL.
	url         string
	opContext   *string
	participant string // the raw ID a remove event is about
	result      ResultInformation
}

// outcomeLocked queues an outcome event about call c, to o.url or else
// Options.CallbackURL; with neither, nothing is posted. s.mu must be held.
func (s *Server) outcomeLocked(callID string, c *call, o outcome) {
	cb := s.callbacks
	if cb == nil {
		return
	}
	if o.url == "" {
		o.url = cb.url
	}
	if o.url == "" {
		return
	}
	ev := callbackEvent{
		d:            Delivery{Type: o.typ, URL: o.url, CallID: callID, EventID: uuid.NewString(), Time: s.now()},
		serverCallID: c.serverCallID, correlationID: c.correlationID, version: c.version,
		participant: o.participant, result: o.result,
	}
	if o.opContext != nil {
		ev.d.OperationContext, ev.hasOpContext = *o.opContext, true
	}
	cb.enqueue(ev)
}

// body makes the JSON the service posts for ev: an array of one CloudEvent,
// whose data holds the fields Microsoft's document defines for its type.
func (ev callbackEvent) body() ([]byte, error) {
	callID := ev.d.CallID
	var data any
	switch ev.d.Type {
	case typeParticipantsUpdated:
		seq := int32(ev.d.SequenceNumber) // #nosec G115 -- bounded to int32 by eventLocked
		pu := gen.ParticipantsUpdated{
			CallConnectionId: &callID,
			ServerCallId:     &ev.serverCallID,
			CorrelationId:    &ev.correlationID,
			SequenceNumber:   &seq,
			Participants:     &[]gen.CallParticipant{},
		}
		for _, p := range ev.parts {
			wp, err := wireParticipant(p.rawID, p.m, ev.version)
			if err != nil { // AddCall accepts only valid raw IDs
				continue
			}
			*pu.Participants = append(*pu.Participants, wp)
		}
		data = pu
	default:
		var opContext *string
		if ev.hasOpContext {
			opContext = &ev.d.OperationContext
		}
		result := wireResult(ev.result)
		var participant *gen.CommunicationIdentifierModel
		if ev.participant != "" {
			id, err := client.ParseRawID(ev.participant)
			if err != nil { // the server holds only valid raw IDs
				return nil, err
			}
			participant = wireIdentifier(id, ev.version)
		}
		switch ev.d.Type {
		case typeRemoveParticipantSucceeded:
			data = gen.RemoveParticipantSucceeded{CallConnectionId: &callID, ServerCallId: &ev.serverCallID, CorrelationId: &ev.correlationID,
				OperationContext: opContext, ResultInformation: result, Participant: participant}
		case typeRemoveParticipantFailed:
			data = gen.RemoveParticipantFailed{CallConnectionId: &callID, ServerCallId: &ev.serverCallID, CorrelationId: &ev.correlationID,
				OperationContext: opContext, ResultInformation: result, Participant: participant}
		case typeHoldFailed:
			data = gen.HoldFailed{CallConnectionId: &callID, ServerCallId: &ev.serverCallID, CorrelationId: &ev.correlationID,
				OperationContext: opContext, ResultInformation: result}
		default:
			data = gen.CallDisconnected{CallConnectionId: &callID, ServerCallId: &ev.serverCallID, CorrelationId: &ev.correlationID,
				OperationContext: opContext, ResultInformation: result}
		}
	}
	return json.Marshal([]map[string]any{{
		"id":              ev.d.EventID,
		"source":          callbackSourcePrefix + callID,
		"type":            ev.d.Type,
		"specversion":     callbackSpecVersion,
		"time":            ev.d.Time.UTC().Format(time.RFC3339Nano),
		"datacontenttype": callbackDataContentType,
		"data":            data,
	}})
}

// wireResult is a result in its wire form; the codes were checked to fit
// in 32 bits (FailRemove, FailHold) or are the emulator's own.
func wireResult(r ResultInformation) *gen.ResultInformation {
	code, sub := int32(r.Code), int32(r.SubCode) // #nosec G115 -- checked by checkResult
	msg := r.Message
	return &gen.ResultInformation{Code: &code, SubCode: &sub, Message: &msg}
}

func (cb *callbacks) enqueue(ev callbackEvent) {
	cb.mu.Lock()
	cb.seq++
	ev.d.Seq = cb.seq
	if cb.closed {
		ev.d.Err = "not delivered: the server closed"
		cb.done.add(ev.d)
		cb.mu.Unlock()
		cb.log(ev.d)
		return
	}
	cb.pending = append(cb.pending, ev)
	cb.pendingParts += len(ev.parts)
	var lost []Delivery
	for len(cb.pending) > 1 && (len(cb.pending) > maxPendingCallbackEvents || cb.pendingParts > maxPendingCallbackParts) {
		l := cb.pending[0]
		cb.pending = cb.pending[1:]
		cb.pendingParts -= len(l.parts)
		l.d.Err = "dropped: too many events were waiting"
		cb.done.add(l.d)
		lost = append(lost, l.d)
	}
	cb.mu.Unlock()
	for _, d := range lost {
		cb.log(d)
	}
	select {
	case cb.wake <- struct{}{}:
	default:
	}
}

// close stops taking events: those waiting are recorded as not delivered,
// and waiters are woken.
func (cb *callbacks) close() {
	cb.cancel()
	cb.mu.Lock()
	cb.closed = true
	var lost []Delivery
	for _, ev := range cb.pending {
		ev.d.Err = "not delivered: the server closed"
		cb.done.add(ev.d)
		lost = append(lost, ev.d)
	}
	cb.pending, cb.pendingParts = nil, 0
	cb.idle.Broadcast()
	cb.mu.Unlock()
	for _, d := range lost {
		cb.log(d)
	}
}

// runCallbacks posts queued events until the server closes, doing to
// each what the delivery fault function says.
func (s *Server) runCallbacks() {
	cb := s.callbacks
	type heldEvent struct {
		ev    callbackEvent
		after int // posts still to come before it
	}
	var held []heldEvent
	record := func(d Delivery) {
		cb.mu.Lock()
		cb.posting = nil
		cb.done.add(d)
		cb.mu.Unlock()
		cb.log(d)
	}
	// postHeld posts, in order, the held events whose turn has come (all
	// of them when all is set).
	postHeld := func(all bool) {
		for i := 0; i < len(held); {
			if !all && held[i].after > 0 {
				i++
				continue
			}
			ev := held[i].ev
			held = append(held[:i], held[i+1:]...)
			d := s.post(ev)
			cb.mu.Lock()
			cb.held--
			cb.posting = nil
			cb.done.add(d)
			cb.mu.Unlock()
			cb.log(d)
		}
	}
	defer func() {
		cb.mu.Lock()
		for _, h := range held {
			h.ev.d.Err = "not delivered: the server closed"
			cb.done.add(h.ev.d)
		}
		cb.held = 0
		cb.idle.Broadcast()
		cb.mu.Unlock()
		for _, h := range held {
			cb.log(h.ev.d)
		}
	}()
	for {
		cb.mu.Lock()
		if len(cb.pending) == 0 {
			if len(held) > 0 {
				// Nothing else to post now: what was held goes.
				cb.inFlight = true
				cb.mu.Unlock()
				postHeld(true)
				cb.mu.Lock()
				cb.inFlight = false
				cb.mu.Unlock()
				continue
			}
			cb.idle.Broadcast()
			cb.mu.Unlock()
			select {
			case <-cb.ctx.Done():
				return
			case <-cb.wake:
				continue
			}
		}
		ev := cb.pending[0]
		cb.pending = cb.pending[1:]
		cb.pendingParts -= len(ev.parts)
		cb.inFlight = true
		fn := cb.faultFunc
		cb.mu.Unlock()

		f, err := deliveryFault(cb.ctx.Done(), fn, ev.d)
		if err != nil {
			// A broken fault function costs the event, not the server.
			ev.d.Err = "dropped: " + err.Error()
			record(ev.d)
			cb.mu.Lock()
			cb.inFlight = false
			cb.mu.Unlock()
			continue
		}
		switch {
		case f.Drop:
			ev.d.Err = "dropped: a DeliveryFault asked for it"
			record(ev.d)
		case f.Hold > 0:
			held = append(held, heldEvent{ev, f.Hold})
			cb.mu.Lock()
			cb.held++
			cb.mu.Unlock()
		default:
			cb.mu.Lock()
			d := ev.d
			cb.posting = &d
			cb.mu.Unlock()
			if f.Delay > 0 {
				select {
				case <-cb.ctx.Done():
				case <-time.After(f.Delay):
				}
			}
			record(s.post(ev))
			if f.Duplicate {
				ev.d.Duplicate = true
				cb.mu.Lock()
				d := ev.d
				cb.posting = &d
				cb.mu.Unlock()
				record(s.post(ev))
			}
			for i := range held {
				held[i].after--
			}
			postHeld(false)
		}

		cb.mu.Lock()
		cb.inFlight = false
		cb.mu.Unlock()
		if cb.ctx.Err() != nil {
			return
		}
	}
}

// post delivers one event, retrying a failed post a few times.
func (s *Server) post(ev callbackEvent) Delivery {
	cb := s.callbacks
	d := ev.d
	body, err := ev.body()
	if err != nil { // cannot happen: the values are plain
		d.Err = "making the event: " + err.Error()
		return d
	}
	d.Body = body
	// What Deliveries reports of the post in flight, kept up to date.
	progress := func() {
		cb.mu.Lock()
		copied := d
		cb.posting = &copied
		cb.mu.Unlock()
	}
	progress()
	defer progress()
	for attempt := 1; attempt <= callbackAttempts; attempt++ {
		if attempt > 1 {
			select {
			case <-cb.ctx.Done():
				d.Err = "not delivered: the server closed"
				return d
			case <-time.After(callbackRetryDelay * time.Duration(1<<(attempt-2))):
			}
		}
		d.Attempts = attempt
		d.Status, d.Err = 0, ""
		progress()
		token, err := s.callbackToken()
		if err != nil {
			d.Err = "signing the callback token: " + err.Error()
			return d
		}
		req, err := http.NewRequestWithContext(cb.ctx, http.MethodPost, d.URL, bytes.NewReader(body))
		if err != nil {
			d.Err = "the callback URL: " + err.Error()
			return d
		}
		req.Header.Set(wire.HeaderContentType, callbackDataContentType)
		req.Header.Set(wire.HeaderAuthorization, callbackAuthorizationType+token)
		resp, err := cb.http.Do(req)
		if err != nil {
			// Without the URL net/http quotes (it is d.URL, and may hold
			// secrets in its query).
			var ue *url.Error
			if errors.As(err, &ue) && ue.Err != nil {
				err = ue.Err
			}
			d.Err = err.Error()
			progress()
			continue
		}
		_ = resp.Body.Close()
		d.Status = resp.StatusCode
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			d.Delivered = true
			return d
		}
		progress()
	}
	return d
}

// deliveryFault calls the delivery fault function fn (if any) for d, in a
// goroutine of its own (callGuarded): a panic in it, or its goroutine
// ending (t.FailNow), is an error, not a crash nor a delivery goroutine
// gone; and it may call the server, even Close.
func deliveryFault(closing <-chan struct{}, fn func(seq int, d Delivery) *DeliveryFault, d Delivery) (DeliveryFault, error) {
	if fn == nil {
		return DeliveryFault{}, nil
	}
	chosen, err := callGuarded(closing, func() *DeliveryFault { return fn(d.Seq, d) })
	if err != nil {
		return DeliveryFault{}, fmt.Errorf("the delivery fault function %w", err)
	}
	if chosen == nil {
		return DeliveryFault{}, nil
	}
	return *chosen, nil
}

// callGuarded runs fn in a goroutine of its own and returns what it
// returns, or an error when it panics, ends its goroutine
// (runtime.Goexit, as t.FailNow and t.Fatal do), or closing is closed
// first (fn may be waiting on the server, which is closing).
func callGuarded[T any](closing <-chan struct{}, fn func() T) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		returned := false
		defer func() {
			if returned {
				return
			}
			if r := recover(); r != nil {
				ch <- result{err: fmt.Errorf("panicked: %v", r)}
				return
			}
			ch <- result{err: errors.New("ended its goroutine (runtime.Goexit, as t.FailNow does)")}
		}()
		v := fn()
		returned = true
		ch <- result{v: v}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-closing:
		var zero T
		return zero, errors.New("did not return before the server closed")
	}
}

// log records a delivery that ended on the server's logger, if any: where
// it went (without the URL's user information or query, which may hold
// secrets), and how it ended.
func (cb *callbacks) log(d Delivery) {
	if cb.logger == nil {
		return
	}
	level := slog.LevelInfo
	if !d.Delivered {
		level = slog.LevelWarn
	}
	cb.logger.LogAttrs(context.Background(), level, "acstest: callback",
		slog.Int("seq", d.Seq), slog.String("type", d.Type), slog.String("call", d.CallID),
		slog.String("url", RedactURL(d.URL)), slog.Int("attempts", d.Attempts), slog.Int("status", d.Status),
		slog.Bool("delivered", d.Delivered), slog.String("error", redactURLsIn(d.Err, d.URL)))
}

// RedactURL returns u as logs may show it: its user information, query and
// fragment, which may hold secrets (a password, a token as the user name, a
// SAS token), replaced by REDACTED or left out; "" for "", and a
// placeholder for what does not parse.
func RedactURL(u string) string {
	if u == "" {
		return ""
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return "(a URL that does not parse)"
	}
	if parsed.User != nil {
		// A user name alone can be the secret (a token as the user).
		parsed.User = url.User("REDACTED")
	}
	if parsed.RawQuery != "" || parsed.ForceQuery {
		parsed.RawQuery, parsed.ForceQuery = "REDACTED", false
	}
	parsed.Fragment, parsed.RawFragment = "", ""
	return parsed.String()
}

// redactURLsIn replaces the secrets of u (its query, fragment and
// password) wherever text, an error about a post to u, quotes them.
func redactURLsIn(text, u string) string {
	parsed, err := url.Parse(u)
	if text == "" || err != nil {
		return text
	}
	for _, secret := range []string{parsed.RawQuery, parsed.Fragment, parsed.RawFragment} {
		if secret != "" {
			text = strings.ReplaceAll(text, secret, "REDACTED")
		}
	}
	if parsed.User != nil {
		if pw, has := parsed.User.Password(); has && pw != "" {
			text = strings.ReplaceAll(text, ":"+pw+"@", ":REDACTED@")
			text = strings.ReplaceAll(text, ":"+url.PathEscape(pw)+"@", ":REDACTED@")
		}
	}
	return text
}

// callbackToken signs a token for one post: RS256 with the server's key,
// issuer the server's URL, audience its resource ID, valid for 5 minutes by
// the server's clock.
func (s *Server) callbackToken() (string, error) {
	_, _, signer, err := s.signing.get()
	if err != nil {
		return "", err
	}
	now := s.now()
	return jwt.Signed(signer).Claims(jwt.Claims{
		Issuer:    s.URL,
		Audience:  jwt.Audience{s.resourceID},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(now.Add(callbackTokenLifetime)),
		ID:        uuid.NewString(),
	}).Serialize()
}

// keysAnswer answers the key set and OpenID configuration requests, or
// returns false for any other request.
func (s *Server) keysAnswer(r *http.Request) (answer, bool) {
	if r.Method != http.MethodGet || (r.URL.Path != PathCallbackKeys && r.URL.Path != PathOpenIDConfiguration) {
		return answer{}, false
	}
	if r.URL.Path == PathOpenIDConfiguration {
		return jsonAnswer(http.StatusOK, map[string]any{
			"issuer":                                s.URL,
			"jwks_uri":                              s.URL + PathCallbackKeys,
			"id_token_signing_alg_values_supported": []string{"RS256"},
		}), true
	}
	key, kid, _, err := s.signing.get()
	if err != nil {
		return errorAnswer(http.StatusInternalServerError, "InternalError", "%s", fmt.Sprint(err)), true
	}
	return jsonAnswer(http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}}}), true
}
