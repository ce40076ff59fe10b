package acstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/gen"
	"github.com/acsmute/acsmute/openapi/wire"
)

const maxBody = 1 << 20

// Request is one request the server received, as Requests reports it.
type Request struct {
	// Seq numbers requests from 1 in arrival order.
	Seq int
	// Time is when the request arrived, by the server's clock.
	Time time.Time
	// Method, RequestURI and Host are as received.
	Method     string
	RequestURI string
	Host       string
	// Header is a copy of the request headers, with Authorization's
	// signature or token replaced by "REDACTED".
	Header http.Header
	// Body is the request body (at most 1 MiB).
	Body []byte
	// Status is the status answered, or 0 when the connection was dropped.
	Status int
	// ErrorCode is the error code answered, if any.
	ErrorCode string
	// Executed reports whether this request executed its operation (a
	// mute, hold, unhold or remove that ran).
	Executed bool
	// Replayed reports whether the answer was a replay of an earlier one.
	Replayed bool
	// Dropped reports whether the connection was closed without an answer.
	Dropped bool
	// BodyDropped reports whether Body was let go because the log held
	// more than Options.MaxRequestBytes of bodies.
	BodyDropped bool
}

// Requests returns the requests received so far, oldest first: all of them,
// or, once more than Options.MaxRequests have arrived, the most recent
// MaxRequests (DroppedRequests says how many older ones were let go).
// Bodies are kept only for requests that were routed and authenticated (or
// answered by an injected fault).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.requests.recent()
	out := make([]Request, len(kept))
	for i, r := range kept {
		r.Header = r.Header.Clone()
		r.Body = bytes.Clone(r.Body)
		out[i] = r
	}
	return out
}

// DroppedRequests returns how many requests Requests no longer returns
// because the log was full.
func (s *Server) DroppedRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.lost()
}

// record adds a request to the log: the most recent Options.MaxRequests
// are kept, and at most Options.MaxRequestBytes of their bodies in all
// (past it, the oldest bodies are let go and marked BodyDropped), so that a
// client sending large signed bodies cannot make the log hold gigabytes.
func (s *Server) record(rec Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.add(rec)
}

// answer is a response the server is about to send (or to replay).
type answer struct {
	status int
	header http.Header
	body   []byte
	code   string
}

func jsonAnswer(status int, v any) answer {
	b, _ := json.Marshal(v)
	return answer{status: status, header: http.Header{wire.HeaderContentType: {"application/json"}}, body: b}
}

// errorAnswer is a CommunicationErrorResponse with x-ms-error-code.
func errorAnswer(status int, code, format string, args ...any) answer {
	a := jsonAnswer(status, gen.CommunicationErrorResponse{Error: gen.CommunicationError{Code: code, Message: fmt.Sprintf(format, args...)}})
	a.header.Set(wire.HeaderErrorCode, code)
	a.code = code
	return a
}

// handled is the outcome of handling one request.
type handled struct {
	answer
	executed, replayed bool
	// accepted: the request was routed and authenticated, or answered by a
	// fault without checks.
	accepted bool
}

// ServeHTTP implements http.Handler, so a Server can also be mounted in
// another server.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.adminToken != nil && (r.URL.Path == strings.TrimSuffix(AdminPathPrefix, "/") || strings.HasPrefix(r.URL.Path, AdminPathPrefix)) {
		// The admin API: not the service's, not in the request log, no
		// faults.
		s.serveAdmin(w, r)
		return
	}
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for peak := s.peakInFlight.Load(); n > peak && !s.peakInFlight.CompareAndSwap(peak, n); peak = s.peakInFlight.Load() {
	}
	rec := Request{
		Time:       s.now(),
		Method:     r.Method,
		RequestURI: r.RequestURI,
		Host:       r.Host,
		Header:     redactHeader(r.Header),
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	var h handled
	var f Fault
	keys, isKeys := s.keysAnswer(r)
	switch {
	case isKeys:
		// The published keys: no credential, no fault.
		h = handled{answer: keys, accepted: true}
	case err != nil:
		h.answer = errorAnswer(http.StatusBadRequest, "BadRequest", "the request body could not be read")
	case len(body) > maxBody:
		h.answer = errorAnswer(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "the request body is larger than %d bytes", maxBody)
	default:
		var latency time.Duration
		rt, routed := findRoute(r.URL.EscapedPath())
		op := operation(0)
		if routed && r.Method == rt.op.method() {
			op = rt.op
		}
		rec.Seq, f, latency = s.nextFault(op)
		h = s.handleWithFault(r, body, f, latency)
		if h.accepted {
			// Only requests that were routed and authenticated (or answered
			// by an injected fault) keep their body.
			rec.Body = body
		}
	}
	if !h.accepted {
		// Nor their headers beyond those the service reads, nor a long URI:
		// unauthenticated junk leaves little behind.
		rec.Header = keptHeaders(rec.Header)
		if len(rec.RequestURI) > maxKeptURI {
			rec.RequestURI = rec.RequestURI[:maxKeptURI]
		}
	}
	if rec.Seq == 0 {
		s.mu.Lock()
		s.seq++
		rec.Seq = s.seq
		s.mu.Unlock()
	}
	rec.Status, rec.ErrorCode, rec.Executed, rec.Replayed = h.status, h.code, h.executed, h.replayed
	if f.Drop != DropNone {
		rec.Status, rec.Dropped = 0, true
	}
	s.record(rec)
	s.log(r, rec)

	if f.Drop != DropNone {
		drop(w)
		return
	}
	for k, v := range h.header {
		w.Header()[k] = v
	}
	w.WriteHeader(h.status)
	_, _ = w.Write(h.body)
}

// drop closes the connection without answering.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // the server closes the connection; nothing is written
}

func (s *Server) handleWithFault(r *http.Request, body []byte, f Fault, latency time.Duration) handled {
	wait := func() { s.pause(f.Latency + latency) }
	switch {
	case f.Drop == DropBeforeExecute:
		wait()
		return handled{accepted: true}
	case f.Status != 0:
		wait()
		code := f.ErrorCode
		if code == "" {
			code = strings.ReplaceAll(http.StatusText(f.Status), " ", "")
		}
		msg := f.message
		if msg == "" {
			msg = "injected fault"
		}
		a := errorAnswer(f.Status, code, "%s", msg)
		if f.RetryAfter != "" {
			a.header.Set(wire.HeaderRetryAfter, f.RetryAfter)
		}
		if f.RetryAfterMs != "" {
			a.header.Set(wire.HeaderRetryAfterMs, f.RetryAfterMs)
		}
		return handled{answer: a, accepted: true}
	}
	return s.handle(r, body, f.Latency+latency)
}

// pause waits for d. It does not stop when the client goes away: like the
// service, the emulator finishes what it started; it stops when the server
// closes, so that no request is left behind.
func (s *Server) pause(d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.closing:
	}
}

// route is what a request path names: an operation and its parameters.
type route struct {
	op            operation
	callID, rawID string
	version       string // the api-version asked for, once checked
}

// operation is one of the operations the emulator serves.
type operation int

const (
	opMute operation = iota + 1
	opGetParticipant
	opListParticipants
	opHold
	opUnhold
	opRemove
)

// operations lists every operation, with the path the document gives it.
var operations = map[operation]string{
	opMute: wire.PathMute, opHold: wire.PathHold, opUnhold: wire.PathUnhold, opRemove: wire.PathRemove,
	opGetParticipant: wire.PathGetParticipant, opListParticipants: wire.PathGetParticipants,
}

// isWrite reports whether an operation changes the call.
func (o operation) isWrite() bool { return o != opGetParticipant && o != opListParticipants }

// repeatable reports whether an operation takes the repeatability headers.
func (o operation) repeatable() bool { return o == opMute || o == opRemove }

// method is the HTTP method of an operation.
func (o operation) method() string {
	if o.isWrite() {
		return http.MethodPost
	}
	return http.MethodGet
}

// String names the operation, as errors and logs do.
func (o operation) String() string {
	switch o {
	case opMute:
		return "mute"
	case opHold:
		return "hold"
	case opUnhold:
		return "unhold"
	case opRemove:
		return "remove"
	case opGetParticipant:
		return "get participant"
	case opListParticipants:
		return "list participants"
	}
	return "unknown operation"
}

// findRoute reads an escaped request path. Call IDs and raw IDs are single,
// non-empty path segments.
func findRoute(path string) (route, bool) {
	rest, ok := strings.CutPrefix(path, wire.PathCallConnections)
	if !ok {
		return route{}, false
	}
	segment := func(s string) (string, bool) {
		if s == "" || strings.Contains(s, "/") {
			return "", false
		}
		v, err := url.PathUnescape(s)
		return v, err == nil && v != ""
	}
	if callID, ok := strings.CutSuffix(rest, wire.PathMuteSuffix); ok {
		if id, ok := segment(callID); ok {
			return route{op: opMute, callID: id}, true
		}
	}
	if callID, ok := strings.CutSuffix(rest, wire.PathRemoveSuffix); ok {
		if id, ok := segment(callID); ok {
			return route{op: opRemove, callID: id}, true
		}
	}
	if !strings.Contains(rest, "/") {
		// The call ID and the action share the path's last segment:
		// "{callConnectionId}:hold". Neither suffix is the other's.
		for op, suffix := range map[operation]string{opUnhold: wire.PathUnholdSuffix, opHold: wire.PathHoldSuffix} {
			if callID, ok := strings.CutSuffix(rest, suffix); ok {
				if id, ok := segment(callID); ok {
					return route{op: op, callID: id}, true
				}
			}
		}
	}
	if callID, ok := strings.CutSuffix(rest, wire.PathListSuffix); ok {
		if id, ok := segment(callID); ok {
			return route{op: opListParticipants, callID: id}, true
		}
	}
	// Not a mute path: a read, whose raw ID may even be "participants:mute".
	callID, rawID, ok := strings.Cut(rest, wire.PathParticipants)
	if !ok {
		return route{}, false
	}
	id, ok1 := segment(callID)
	raw, ok2 := segment(rawID)
	return route{op: opGetParticipant, callID: id, rawID: raw}, ok1 && ok2
}

// handle answers a request as the service would. delay is spent after
// executing a mute, while the request counts as in progress.
func (s *Server) handle(r *http.Request, body []byte, delay time.Duration) handled {
	rt, ok := findRoute(r.URL.EscapedPath())
	if !ok {
		return handled{answer: errorAnswer(http.StatusNotFound, "NotFound", "no operation at this path")}
	}
	if m := rt.op.method(); r.Method != m {
		a := errorAnswer(http.StatusMethodNotAllowed, "MethodNotAllowed", "only %s is allowed here", m)
		a.header.Set("Allow", m)
		return handled{answer: a}
	}
	if why := s.authenticate(r, body); why != "" {
		a := errorAnswer(http.StatusUnauthorized, "Unauthorized", "%s", why)
		a.header.Set("WWW-Authenticate", `HMAC-SHA256, Bearer`)
		return handled{answer: a}
	}
	h := s.handleAuthenticated(r, rt, body, delay)
	h.accepted = true
	return h
}

// handleAuthenticated answers a routed, authenticated request.
func (s *Server) handleAuthenticated(r *http.Request, rt route, body []byte, delay time.Duration) handled {
	switch v := r.URL.Query()[wire.ParamAPIVersion]; {
	case len(v) == 0:
		return handled{answer: errorAnswer(http.StatusBadRequest, "MissingApiVersionParameter", "the api-version query parameter is required")}
	case len(v) > 1 || !slices.Contains(client.SupportedAPIVersions(), v[0]):
		return handled{answer: errorAnswer(http.StatusBadRequest, "UnsupportedApiVersion", "api-version must be one of %s",
			strings.Join(client.SupportedAPIVersions(), ", "))}
	default:
		rt.version = v[0]
	}
	switch rt.op {
	case opGetParticipant, opListParticipants:
		if why := s.validator.validate(r.Context(), r, rt, body); why != "" {
			return handled{answer: errorAnswer(http.StatusBadRequest, "BadRequest", "%s", why)}
		}
		s.pause(delay)
		if rt.op == opListParticipants {
			return handled{answer: s.participantsPage(r, rt)}
		}
		return handled{answer: s.participant(rt)}
	}
	// A write: hold and unhold carry no repeatability headers, and like the
	// service the emulator ignores any they are sent with.
	var rep *repeatHeaders
	if rt.op.repeatable() {
		var bad *answer
		if rep, bad = s.parseRepeatability(r); bad != nil {
			return handled{answer: *bad}
		}
	}
	if why := s.validator.validate(r.Context(), r, rt, body); why != "" {
		return handled{answer: errorAnswer(http.StatusBadRequest, "BadRequest", "%s", why)}
	}
	w, err := decodeWrite(rt, body)
	if err != nil {
		return handled{answer: errorAnswer(http.StatusBadRequest, "BadRequest", "the body is not a %s request", rt.op)}
	}
	exec := func() (answer, bool) { return s.execute(rep, rt, w) }
	if rep == nil {
		a, executed := exec()
		s.pause(delay)
		return handled{answer: a, executed: executed}
	}
	return s.executeRepeatable(r, rep, body, delay, exec)
}

// participant answers a read of one participant, in the form of the API
// version asked for.
func (s *Server) participant(rt route) answer {
	callID, rawID := rt.callID, rt.rawID
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[callID]
	if !ok {
		return errorAnswer(http.StatusNotFound, "CallNotFound", "call connection %q was not found", callID)
	}
	m, ok := c.participants[rawID]
	if !ok {
		return errorAnswer(http.StatusNotFound, "ParticipantNotFound", "participant %q is not in call connection %q", rawID, callID)
	}
	wp, err := wireParticipant(rawID, *m, rt.version)
	if err != nil { // AddCall accepts only valid raw IDs
		return errorAnswer(http.StatusInternalServerError, "InternalError", "the participant's raw ID is not valid")
	}
	return jsonAnswer(http.StatusOK, wp)
}

// wireParticipant is a participant as the service answers it in version:
// its identifier in the version's form, and its state.
func wireParticipant(rawID string, m member, version string) (gen.CallParticipant, error) {
	id, err := client.ParseRawID(rawID)
	if err != nil {
		return gen.CallParticipant{}, err
	}
	return gen.CallParticipant{Identifier: wireIdentifier(id, version), IsMuted: &m.muted, IsOnHold: &m.onHold}, nil
}

// paramAfter is the query parameter of the emulator's nextLinks: the join
// number of the last participant listed. Participants are listed in the
// order they joined, and a page starts after the one before ended, so that
// participants who leave between pages move no one else out of the list.
const paramAfter = "after"

// participantsPage answers a list request: the page of the call's
// participants, in the order they joined, that starts after the join number
// after, with a nextLink on the URL the request came to when more follow.
func (s *Server) participantsPage(r *http.Request, rt route) answer {
	after := 0
	if v, ok := r.URL.Query()[paramAfter]; ok {
		n, err := strconv.Atoi(v[0])
		if len(v) != 1 || err != nil || n < 0 || strconv.Itoa(n) != v[0] {
			return errorAnswer(http.StatusBadRequest, "BadRequest", "query parameter %s is not a page this server gave", paramAfter)
		}
		after = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[rt.callID]
	if !ok {
		return errorAnswer(http.StatusNotFound, "CallNotFound", "call connection %q was not found", rt.callID)
	}
	page := gen.GetParticipantsResponse{Value: []gen.CallParticipant{}}
	last, more := after, false
	for _, rawID := range c.order {
		if c.joined[rawID] <= after {
			continue
		}
		if len(page.Value) == s.pageSize {
			more = true
			break
		}
		wp, err := wireParticipant(rawID, *c.participants[rawID], rt.version)
		if err != nil { // AddCall accepts only valid raw IDs
			return errorAnswer(http.StatusInternalServerError, "InternalError", "a participant's raw ID is not valid")
		}
		page.Value = append(page.Value, wp)
		last = c.joined[rawID]
	}
	if more {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		next := scheme + "://" + r.Host + wire.PathCallConnections + url.PathEscape(rt.callID) + wire.PathListSuffix +
			"?" + url.Values{wire.ParamAPIVersion: {rt.version}, paramAfter: {strconv.Itoa(last)}}.Encode()
		page.NextLink = &next
	}
	return jsonAnswer(http.StatusOK, page)
}

// wireIdentifier is the service's form of a participant in an API
// version: kind, rawId and the nested identifier. It is written here
// independently of package client's own encoder, so that each checks the
// other.
func wireIdentifier(id client.Identifier, version string) *gen.CommunicationIdentifierModel {
	raw := id.RawID()
	m := &gen.CommunicationIdentifierModel{RawId: &raw}
	kind := func(k gen.CommunicationIdentifierModelKind) *gen.CommunicationIdentifierModelKind { return &k }
	cloud := func(c client.Cloud) *gen.CommunicationCloudEnvironmentModel {
		v := gen.CommunicationCloudEnvironmentModel(c)
		if c == "" {
			v = gen.CommunicationCloudEnvironmentModelPublic
		}
		return &v
	}
	newer := hasExtensionUsers(version)
	switch v := id.(type) {
	case client.TeamsExtensionUserIdentifier:
		if newer {
			m.Kind = kind(gen.CommunicationIdentifierModelKindTeamsExtensionUser)
			m.TeamsExtensionUser = &gen.TeamsExtensionUserIdentifierModel{UserId: v.UserID, TenantId: v.TenantID, ResourceId: v.ResourceID, Cloud: cloud(v.Cloud)}
			break
		}
		m.Kind = kind(gen.CommunicationIdentifierModelKindCommunicationUser)
		m.CommunicationUser = &gen.CommunicationUserIdentifierModel{Id: raw}
	case client.CommunicationUserIdentifier:
		m.Kind = kind(gen.CommunicationIdentifierModelKindCommunicationUser)
		m.CommunicationUser = &gen.CommunicationUserIdentifierModel{Id: raw}
	case client.PhoneNumberIdentifier:
		m.Kind = kind(gen.CommunicationIdentifierModelKindPhoneNumber)
		m.PhoneNumber = &gen.PhoneNumberIdentifierModel{Value: v.PhoneNumber}
		if newer {
			anon := v.IsAnonymous()
			m.PhoneNumber.IsAnonymous = &anon
			if asserted := v.AssertedID(); asserted != "" {
				m.PhoneNumber.AssertedId = &asserted
			}
		}
	case client.MicrosoftTeamsUserIdentifier:
		anon := v.IsAnonymous
		m.Kind = kind(gen.CommunicationIdentifierModelKindMicrosoftTeamsUser)
		m.MicrosoftTeamsUser = &gen.MicrosoftTeamsUserIdentifierModel{UserId: v.UserID, IsAnonymous: &anon, Cloud: cloud(v.Cloud)}
	case client.MicrosoftTeamsAppIdentifier:
		m.Kind = kind(gen.CommunicationIdentifierModelKindMicrosoftTeamsApp)
		m.MicrosoftTeamsApp = &gen.MicrosoftTeamsAppIdentifierModel{AppId: v.AppID, Cloud: cloud(v.Cloud)}
	default:
		m.Kind = kind(gen.CommunicationIdentifierModelKindUnknown)
	}
	return m
}

// hasExtensionUsers reports whether an API version has the
// teamsExtensionUser kind and phone numbers' isAnonymous and assertedId:
// 2025-06-15 and later. API versions are dates, so they compare as strings.
func hasExtensionUsers(version string) bool { return version >= "2025-06-15" }

// wireKind is the kind an API version gives a participant on the wire.
func wireKind(id client.Identifier, version string) gen.CommunicationIdentifierModelKind {
	if id.Kind() == client.KindTeamsExtensionUser && !hasExtensionUsers(version) {
		return gen.CommunicationIdentifierModelKindCommunicationUser
	}
	return gen.CommunicationIdentifierModelKind(id.Kind())
}

// write is a decoded request that changes a call: the participant it names
// and its optional fields.
type write struct {
	target      gen.CommunicationIdentifierModel
	targets     int     // how many participants a mute names
	opContext   *string // operationContext
	callbackURI *string // operationCallbackUri
	play        *gen.PlaySource
}

// decodeWrite reads a validated write request of rt's operation.
func decodeWrite(rt route, body []byte) (write, error) {
	var w write
	switch rt.op {
	case opMute:
		var req gen.MuteParticipantsRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return w, err
		}
		w.targets, w.opContext = len(req.TargetParticipants), req.OperationContext
		if w.targets > 0 {
			w.target = req.TargetParticipants[0]
		}
	case opHold:
		var req gen.HoldRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return w, err
		}
		w.target, w.opContext, w.callbackURI, w.play = req.TargetParticipant, req.OperationContext, req.OperationCallbackUri, req.PlaySourceInfo
	case opUnhold:
		var req gen.UnholdRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return w, err
		}
		w.target, w.opContext = req.TargetParticipant, req.OperationContext
		if hasUnholdCallback(rt.version) {
			// Older versions do not know the field: ignored, like any
			// unknown property.
			w.callbackURI = req.OperationCallbackUri
		}
	case opRemove:
		var req gen.RemoveParticipantRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return w, err
		}
		w.target, w.opContext, w.callbackURI = req.ParticipantToRemove, req.OperationContext, req.OperationCallbackUri
	}
	return w, nil
}

// hasUnholdCallback reports whether an API version's unhold request has
// operationCallbackUri: 2025-06-15 and later.
func hasUnholdCallback(version string) bool { return version >= "2025-06-15" }

// execute carries out a write and returns the service's answer, and whether
// it ran: requests the service refuses (an unknown call, a participant not
// in it or of a kind the operation does not take, a bad play source or
// callback URI) execute nothing and count for nothing. The participant is
// decided by its own raw ID, as the emulator holds it, not by the kind the
// request claims; a request whose kind is not the one its API version gives
// that participant is refused.
//
// Who each operation takes: mute, Communication Services users and Teams
// Phone extension users; hold and unhold, those and phone numbers; remove,
// any participant.
func (s *Server) execute(rep *repeatHeaders, rt route, w write) (a answer, executed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	callID := rt.callID
	c, ok := s.calls[callID]
	if !ok {
		return errorAnswer(http.StatusNotFound, "CallNotFound", "call connection %q was not found", callID), false
	}
	if rt.op == opMute && w.targets != 1 {
		return errorAnswer(http.StatusBadRequest, "InvalidTargetParticipants",
			"targetParticipants must name exactly one participant, not %d", w.targets), false
	}
	rawID, err := rawIDOf(w.target, rt.version)
	if err != nil {
		return errorAnswer(http.StatusBadRequest, "InvalidTargetParticipants", "%v", err), false
	}
	id, err := client.ParseRawID(rawID)
	if err != nil {
		return errorAnswer(http.StatusBadRequest, "InvalidTargetParticipants", "the participant's raw ID is not valid"), false
	}
	if k := id.Kind(); !takes(rt.op, k) {
		return errorAnswer(http.StatusBadRequest, "UnsupportedParticipantKind",
			"%s does not take participants of kind %s", rt.op, k), false
	}
	if want := wireKind(id, rt.version); w.target.Kind != nil && *w.target.Kind != want &&
		// A Teams Phone extension user is also a Communication Services
		// user: the official SDKs send it so when built as one.
		(id.Kind() != client.KindTeamsExtensionUser || *w.target.Kind != gen.CommunicationIdentifierModelKindCommunicationUser) {
		return errorAnswer(http.StatusBadRequest, "UnsupportedParticipantKind",
			"the participant is of kind %s in api-version %s, not %s", want, rt.version, *w.target.Kind), false
	}
	if w.callbackURI != nil && !callbackURLOK(*w.callbackURI) {
		return errorAnswer(http.StatusBadRequest, "InvalidOperationCallbackUri", "operationCallbackUri is not an absolute http(s) URL"), false
	}
	if why := checkPlaySource(w.play); why != "" {
		return errorAnswer(http.StatusBadRequest, "InvalidPlaySource", "%s", why), false
	}
	m, in := c.participants[rawID]
	if !in {
		return errorAnswer(http.StatusBadRequest, "ParticipantNotInCall",
			"participant %q is not in call connection %q", rawID, callID), false
	}
	c.version = rt.version
	dest := "" // where the outcome event goes: "" means Options.CallbackURL
	if w.callbackURI != nil {
		dest = *w.callbackURI
	}
	a = answer{status: http.StatusOK, header: http.Header{}}
	switch rt.op {
	case opMute:
		m.muted = true
		s.eventLocked(callID, c)
		a = jsonAnswer(http.StatusOK, gen.MuteParticipantsResult{OperationContext: w.opContext})
	case opHold:
		if result, fail := s.takeFailure(opHold, callID, rawID); fail {
			// Answered, then failed: the participant stays as they were.
			s.outcomeLocked(callID, c, outcome{typ: typeHoldFailed, url: dest, opContext: w.opContext, result: result})
		} else if !m.onHold {
			m.onHold = true
			s.eventLocked(callID, c)
		}
	case opUnhold:
		if m.onHold {
			m.onHold = false
			s.eventLocked(callID, c)
		}
	case opRemove:
		if result, fail := s.takeFailure(opRemove, callID, rawID); fail {
			s.outcomeLocked(callID, c, outcome{typ: typeRemoveParticipantFailed, url: dest, opContext: w.opContext, participant: rawID, result: result})
		} else {
			s.removeLocked(c, rawID)
			s.eventLocked(callID, c)
			s.outcomeLocked(callID, c, outcome{typ: typeRemoveParticipantSucceeded, url: dest, opContext: w.opContext, participant: rawID, result: resultRemoved})
		}
		a = jsonAnswer(http.StatusAccepted, gen.RemoveParticipantResponse{OperationContext: w.opContext})
	}
	if rep != nil {
		s.executions[rep.id]++
	}
	s.totalExecutions++
	return a, true
}

// takes reports whether an operation takes participants of kind k.
func takes(op operation, k client.IdentifierKind) bool {
	switch op {
	case opRemove:
		return true
	case opHold, opUnhold:
		if k == client.KindPhoneNumber {
			return true
		}
	}
	return k == client.KindCommunicationUser || k == client.KindTeamsExtensionUser
}

// checkPlaySource describes what is wrong with a hold's play source, or
// returns "": besides kind, the nested source of that kind, and no other.
func checkPlaySource(p *gen.PlaySource) string {
	if p == nil {
		return ""
	}
	nested := map[gen.PlaySourceType]bool{gen.PlaySourceTypeFile: p.File != nil, gen.PlaySourceTypeText: p.Text != nil, gen.PlaySourceTypeSsml: p.Ssml != nil}
	n := 0
	for _, present := range nested {
		if present {
			n++
		}
	}
	switch {
	case !nested[p.Kind]:
		return fmt.Sprintf("playSourceInfo is of kind %s but has no %s source", p.Kind, p.Kind)
	case n > 1:
		return "playSourceInfo has more than one source"
	case p.File != nil && !callbackURLOK(p.File.Uri):
		return "playSourceInfo's file uri is not an absolute http(s) URL"
	}
	return ""
}

// callbackURLOK reports whether s is an absolute http or https URL with a
// host, as the server posts callbacks to and plays files from.
func callbackURLOK(s string) bool {
	if strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return false // a space or control character: no URL a client sends
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return false
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		return err == nil && n >= 1 && n <= 65535
	}
	return true
}

// rawIDOf finds a wire identifier's raw ID, from rawId and its nested
// model, which must agree: at most one nested model, of the kind the
// identifier names (when it names one), and naming the same participant as
// rawId. The teamsExtensionUser model counts only in API versions that have
// it; older ones, like the service, ignore what they do not know.
func rawIDOf(m gen.CommunicationIdentifierModel, version string) (string, error) {
	type nestedModel struct {
		kind gen.CommunicationIdentifierModelKind
		raw  string // the raw ID the model stands for
	}
	var present []nestedModel
	if u := m.CommunicationUser; u != nil {
		present = append(present, nestedModel{gen.CommunicationIdentifierModelKindCommunicationUser, u.Id})
	}
	if p := m.PhoneNumber; p != nil {
		present = append(present, nestedModel{gen.CommunicationIdentifierModelKindPhoneNumber, "4:" + p.Value})
	}
	cloud := func(c *gen.CommunicationCloudEnvironmentModel, public string) string {
		if c == nil || *c == gen.CommunicationCloudEnvironmentModelPublic {
			return public
		}
		return string(*c)
	}
	if u := m.MicrosoftTeamsUser; u != nil {
		prefix := "8:" + cloud(u.Cloud, "orgid") + ":"
		if u.IsAnonymous != nil && *u.IsAnonymous {
			prefix = "8:teamsvisitor:"
		}
		present = append(present, nestedModel{gen.CommunicationIdentifierModelKindMicrosoftTeamsUser, prefix + u.UserId})
	}
	if a := m.MicrosoftTeamsApp; a != nil {
		present = append(present, nestedModel{gen.CommunicationIdentifierModelKindMicrosoftTeamsApp, "28:" + cloud(a.Cloud, "orgid") + ":" + a.AppId})
	}
	if u := m.TeamsExtensionUser; u != nil && hasExtensionUsers(version) {
		prefix := "8:acs:"
		if u.Cloud != nil && *u.Cloud != gen.CommunicationCloudEnvironmentModelPublic {
			prefix = "8:" + string(*u.Cloud) + "-acs:"
		}
		present = append(present, nestedModel{gen.CommunicationIdentifierModelKindTeamsExtensionUser, prefix + u.ResourceId + "_" + u.TenantId + "_" + u.UserId})
	}
	if len(present) > 1 {
		return "", errors.New("the participant has more than one nested identifier")
	}
	raw := ""
	if m.RawId != nil {
		raw = *m.RawId
	}
	if len(present) == 0 {
		if raw == "" {
			return "", errors.New("the participant has neither rawId nor an identifier")
		}
		return raw, nil
	}
	n := present[0]
	if m.Kind != nil && *m.Kind != n.kind {
		return "", fmt.Errorf("the participant's kind is %s but its nested identifier is %s", *m.Kind, n.kind)
	}
	if raw != "" && n.raw != raw {
		return "", errors.New("the participant's rawId does not match its nested identifier")
	}
	return n.raw, nil
}

// maxKeptURI bounds the RequestURI recorded for a request that was not
// accepted.
const maxKeptURI = 1024

// keptHeaders keeps, of a request that was not accepted, only the headers
// the service reads.
func keptHeaders(h http.Header) http.Header {
	out := http.Header{}
	for _, name := range [...]string{wire.HeaderAuthorization, wire.HeaderContentType, wire.HeaderDate, wire.HeaderContentSHA256,
		wire.HeaderRepeatabilityRequestID, wire.HeaderRepeatabilityFirstSent} {
		if v := h.Get(name); v != "" && len(v) <= maxKeptURI {
			out.Set(name, v)
		}
	}
	return out
}

// redactHeader copies h with credentials hidden.
func redactHeader(h http.Header) http.Header {
	out := h.Clone()
	if v := out.Get(wire.HeaderAuthorization); v != "" {
		scheme, _, _ := strings.Cut(v, " ")
		out.Set(wire.HeaderAuthorization, scheme+" REDACTED")
	}
	return out
}

func (s *Server) log(r *http.Request, rec Request) {
	if s.logger == nil {
		return
	}
	s.logger.LogAttrs(r.Context(), slog.LevelInfo, "acstest: request",
		slog.Int("seq", rec.Seq), slog.String("method", rec.Method), slog.String("path", r.URL.EscapedPath()),
		slog.Int("status", rec.Status), slog.String("code", rec.ErrorCode),
		slog.Bool("executed", rec.Executed), slog.Bool("replayed", rec.Replayed), slog.Bool("dropped", rec.Dropped),
		slog.String("repeatability_id", r.Header.Get(wire.HeaderRepeatabilityRequestID)))
}
