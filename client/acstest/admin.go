package acstest

import (
	"bytes"
	"crypto/subtle"
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
	"unicode/utf8"

	"github.com/acsmute/acsmute/client"
)

// The admin API: a thin HTTP layer over the Server's methods, served under
// /admin/v1/ on the server's own origin when Options.AdminToken is set, so
// that tests written in any language can drive the emulator as Go tests
// drive a Server. JSON in and out; every route, body, answer and error is
// described in docs/guide.md ("The emulator's admin API").
const (
	// AdminPathPrefix is where the admin API is served.
	AdminPathPrefix = "/admin/v1/"
	// maxAdminBody bounds an admin request's body.
	maxAdminBody = 1 << 20
	// maxAdminLatency bounds a fault's latency set through the admin API.
	maxAdminLatency = 10 * time.Minute
)

// adminError is an admin request refused: its status, a code, a message
// and the field of the body (or path) it is about.
type adminError struct {
	status  int
	code    string
	message string
	field   string
	allow   string // the Allow header of a 405
}

func (e *adminError) Error() string { return e.message }

func badRequest(field, format string, args ...any) *adminError {
	return &adminError{status: http.StatusBadRequest, code: "BadRequest", message: fmt.Sprintf(format, args...), field: field}
}

func notFound(code, format string, args ...any) *adminError {
	return &adminError{status: http.StatusNotFound, code: code, message: fmt.Sprintf(format, args...)}
}

// adminParticipant is a participant as the admin API shows it.
type adminParticipant struct {
	RawID    string `json:"rawId"`
	Kind     string `json:"kind"`
	IsMuted  bool   `json:"isMuted"`
	IsOnHold bool   `json:"isOnHold"`
}

// adminCall is a call as the admin API shows it.
type adminCall struct {
	CallConnectionID string             `json:"callConnectionId"`
	Participants     []adminParticipant `json:"participants"`
	SequenceNumber   int                `json:"sequenceNumber"`
}

func adminParticipantOf(p Participant) adminParticipant {
	kind := client.KindUnknown
	if id, err := client.ParseRawID(p.RawID); err == nil {
		kind = id.Kind()
	}
	return adminParticipant{RawID: p.RawID, Kind: string(kind), IsMuted: p.Muted, IsOnHold: p.OnHold}
}

func adminCallOf(st CallState) adminCall {
	out := adminCall{CallConnectionID: st.CallID, SequenceNumber: st.SequenceNumber, Participants: make([]adminParticipant, 0, len(st.Participants))}
	for _, p := range st.Participants {
		out.Participants = append(out.Participants, adminParticipantOf(p))
	}
	return out
}

// adminInfo is what GET /admin/v1/ answers: what a test needs to talk to
// the emulator and verify its callbacks, no secret.
type adminInfo struct {
	Endpoint       string  `json:"endpoint"`
	ResourceID     string  `json:"resourceId"`
	CallbackIssuer string  `json:"callbackIssuer"`
	CallbackKeys   string  `json:"callbackKeysUrl"`
	CallbackURL    *string `json:"callbackUrl"` // null when none
	APIVersions    any     `json:"apiVersions"`
}

// serveAdmin answers an admin request: 401 without the admin token, else
// the route's answer. A refused request changes nothing.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	status, err := s.adminRoute(w, r)
	if s.logger != nil {
		msg := ""
		if err != nil {
			msg = err.message
		}
		s.logger.LogAttrs(r.Context(), slog.LevelInfo, "acstest: admin",
			slog.String("method", r.Method), slog.String("path", r.URL.EscapedPath()), slog.Int("status", status), slog.String("error", msg))
	}
}

// adminRoute authenticates and routes an admin request, writes its answer
// and returns its status and, when refused, why.
func (s *Server) adminRoute(w http.ResponseWriter, r *http.Request) (int, *adminError) {
	auth := r.Header.Values("Authorization")
	scheme, tok, _ := strings.Cut(strings.Join(auth, ""), " ")
	if len(auth) != 1 || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(*s.adminToken)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="acsmute emulator admin"`)
		e := &adminError{status: http.StatusUnauthorized, code: "Unauthorized",
			message: "the admin API needs Authorization: Bearer <admin token> (printed as admin-token= at start-up)"}
		writeAdminError(w, e)
		return e.status, e
	}
	segs, err := adminSegments(r.URL.EscapedPath())
	if err != nil {
		writeAdminError(w, err)
		return err.status, err
	}
	if r.Method == http.MethodHead {
		// As GET, without the body (net/http drops it).
		r.Method = http.MethodGet
	}
	status, v, aerr := s.adminDispatch(r, segs)
	if aerr != nil {
		if aerr.allow != "" {
			w.Header().Set("Allow", aerr.allow)
		}
		writeAdminError(w, aerr)
		return aerr.status, aerr
	}
	if v == nil {
		w.WriteHeader(status)
		return status, nil
	}
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return status, nil
}

// adminSegments splits an admin path after the prefix into its decoded
// segments.
func adminSegments(escaped string) ([]string, *adminError) {
	rest, ok := strings.CutPrefix(escaped, strings.TrimSuffix(AdminPathPrefix, "/"))
	if !ok {
		return nil, notFound("NotFound", "no such admin route; the admin API is under %s", AdminPathPrefix)
	}
	rest = strings.Trim(rest, "/")
	if rest == "" {
		return nil, nil
	}
	var segs []string
	for _, seg := range strings.Split(rest, "/") {
		d, err := url.PathUnescape(seg)
		if err != nil {
			return nil, badRequest("path", "the path has an escape that cannot be decoded")
		}
		segs = append(segs, d)
	}
	return segs, nil
}

// methodNotAllowed answers a route that exists with another method; allow
// is the Allow header.
func methodNotAllowed(allow string) *adminError {
	return &adminError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed", message: "this admin route takes " + allow, allow: allow}
}

// adminDispatch runs the route segs names. It returns the status and the
// value to answer (nil: no body), or why the request is refused.
func (s *Server) adminDispatch(r *http.Request, segs []string) (int, any, *adminError) {
	switch {
	case len(segs) == 0:
		if r.Method != http.MethodGet {
			return 0, nil, methodNotAllowed("GET")
		}
		info := adminInfo{Endpoint: s.URL + "/", ResourceID: s.resourceID, CallbackIssuer: s.URL,
			CallbackKeys: s.URL + PathCallbackKeys, APIVersions: client.SupportedAPIVersions()}
		if u := s.CallbackURL(); u != "" {
			info.CallbackURL = &u
		}
		return http.StatusOK, info, nil
	case segs[0] == "calls" && len(segs) == 1:
		if r.Method != http.MethodGet {
			return 0, nil, methodNotAllowed("GET")
		}
		calls := []adminCall{}
		for _, id := range s.CallIDs() {
			if st, ok := s.Call(id); ok {
				calls = append(calls, adminCallOf(st))
			}
		}
		return http.StatusOK, map[string]any{"calls": calls}, nil
	case segs[0] == "calls" && len(segs) == 2:
		return s.adminCallRoute(r, segs[1])
	case segs[0] == "calls" && len(segs) == 3 && segs[2] == "participants":
		return s.adminParticipantsRoute(r, segs[1])
	case segs[0] == "calls" && len(segs) == 4 && segs[2] == "participants":
		return s.adminParticipantRoute(r, segs[1], segs[3])
	case segs[0] == "callback" && len(segs) == 1:
		return s.adminCallbackRoute(r)
	case segs[0] == "deliveries" && len(segs) == 1:
		if r.Method != http.MethodGet {
			return 0, nil, methodNotAllowed("GET")
		}
		return http.StatusOK, map[string]any{"deliveries": adminDeliveries(s.Deliveries())}, nil
	case segs[0] == "faults" && len(segs) == 1:
		return s.adminFaultsRoute(r)
	case segs[0] == "requests" && len(segs) == 1:
		if r.Method != http.MethodGet {
			return 0, nil, methodNotAllowed("GET")
		}
		return http.StatusOK, map[string]any{"requests": adminRequests(s.Requests()), "dropped": s.DroppedRequests()}, nil
	}
	return 0, nil, notFound("NotFound", "no such admin route")
}

// checkAdminCallID checks a call connection ID given to the admin API.
func checkAdminCallID(id string) *adminError {
	if err := checkCallID(id); err != nil {
		return badRequest("callConnectionId", "%s", strings.TrimPrefix(err.Error(), "acstest: "))
	}
	return nil
}

// adminCallRoute: GET, PUT and DELETE /admin/v1/calls/{id}.
func (s *Server) adminCallRoute(r *http.Request, callID string) (int, any, *adminError) {
	if err := checkAdminCallID(callID); err != nil {
		return 0, nil, err
	}
	switch r.Method {
	case http.MethodGet:
		st, ok := s.Call(callID)
		if !ok {
			return 0, nil, notFound("CallNotFound", "no call %q", callID)
		}
		return http.StatusOK, adminCallOf(st), nil
	case http.MethodPut:
		// The fields GET answers are taken too, so that a call read can be
		// put back: callConnectionId must be the path's, sequenceNumber is
		// not read.
		var body struct {
			CallConnectionID *string            `json:"callConnectionId"`
			Participants     *[]json.RawMessage `json:"participants"`
			SequenceNumber   *int               `json:"sequenceNumber"`
		}
		if err := decodeAdmin(r, &body, "callConnectionId", "participants", "sequenceNumber"); err != nil {
			return 0, nil, err
		}
		if body.Participants == nil {
			return 0, nil, badRequest("participants", "participants is required: a list of raw IDs (or of {rawId, isMuted, isOnHold})")
		}
		if body.CallConnectionID != nil && *body.CallConnectionID != callID {
			return 0, nil, badRequest("callConnectionId", "callConnectionId is not the call of the path")
		}
		specs, err := participantSpecs(*body.Participants, "participants")
		if err != nil {
			return 0, nil, err
		}
		c, cerr := newCall(callID, specs)
		if cerr != nil { // the specs were checked: cannot happen
			return 0, nil, badRequest("participants", "%s", strings.TrimPrefix(cerr.Error(), "acstest: "))
		}
		s.mu.Lock()
		created, perr := s.putCallLocked(callID, c)
		st := c.state(callID)
		s.mu.Unlock()
		if perr != nil {
			return 0, nil, &adminError{status: http.StatusConflict, code: "LimitReached", message: strings.TrimPrefix(perr.Error(), "acstest: ")}
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		return status, adminCallOf(st), nil
	case http.MethodDelete:
		if !s.removeCall(callID) {
			return 0, nil, notFound("CallNotFound", "no call %q", callID)
		}
		return http.StatusNoContent, nil, nil
	}
	return 0, nil, methodNotAllowed("GET, PUT, DELETE")
}

// participantSpecs reads a list of participants: raw IDs, or objects
// {rawId, isMuted, isOnHold} (as GET answers them; kind is ignored). field
// names the list, for errors.
func participantSpecs(list []json.RawMessage, field string) ([]participantSpec, *adminError) {
	if len(list) > MaxParticipantsPerCall {
		return nil, badRequest(field, "%s has more than %d participants", field, MaxParticipantsPerCall)
	}
	specs := make([]participantSpec, 0, len(list))
	for i, raw := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		var spec participantSpec
		switch t := bytes.TrimSpace(raw); {
		case len(t) > 0 && t[0] == '"':
			if err := json.Unmarshal(t, &spec.rawID); err != nil {
				return nil, badRequest(f, "%s is not a JSON string", f)
			}
		case len(t) > 0 && t[0] == '{':
			var p struct {
				RawID    *string `json:"rawId"`
				Kind     *string `json:"kind"` // as GET answers it; not read
				IsMuted  bool    `json:"isMuted"`
				IsOnHold bool    `json:"isOnHold"`
			}
			if err := strictObject(t, f, "rawId", "kind", "isMuted", "isOnHold"); err != nil {
				return nil, err
			}
			if err := json.Unmarshal(t, &p); err != nil {
				return nil, jsonError(err, f)
			}
			if p.RawID == nil {
				return nil, badRequest(f+".rawId", "%s.rawId is required", f)
			}
			spec = participantSpec{rawID: *p.RawID, muted: p.IsMuted, onHold: p.IsOnHold}
		default:
			return nil, badRequest(f, "%s is neither a raw ID nor a participant object", f)
		}
		if err := checkAdminRawID(spec.rawID, f); err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// checkAdminRawID checks a raw ID given to the admin API: a form the
// official SDKs recognise, as the command line takes them.
func checkAdminRawID(rawID, field string) *adminError {
	if _, err := client.ParseRawIDStrict(rawID); err != nil {
		return badRequest(field, "%s: %s", field, strings.TrimPrefix(err.Error(), "acsmute: "))
	}
	return nil
}

// adminParticipantsRoute: POST /admin/v1/calls/{id}/participants (a
// participant joins), and GET (the call's participants).
func (s *Server) adminParticipantsRoute(r *http.Request, callID string) (int, any, *adminError) {
	if err := checkAdminCallID(callID); err != nil {
		return 0, nil, err
	}
	switch r.Method {
	case http.MethodGet:
		st, ok := s.Call(callID)
		if !ok {
			return 0, nil, notFound("CallNotFound", "no call %q", callID)
		}
		return http.StatusOK, map[string]any{"participants": adminCallOf(st).Participants}, nil
	case http.MethodPost:
		var body struct {
			RawID *string `json:"rawId"`
		}
		if err := decodeAdmin(r, &body, "rawId"); err != nil {
			return 0, nil, err
		}
		if body.RawID == nil {
			return 0, nil, badRequest("rawId", "rawId is required")
		}
		if err := checkAdminRawID(*body.RawID, "rawId"); err != nil {
			return 0, nil, err
		}
		if err := s.AddParticipant(callID, *body.RawID); err != nil {
			if strings.Contains(err.Error(), "its limit") {
				return 0, nil, &adminError{status: http.StatusConflict, code: "LimitReached", message: strings.TrimPrefix(err.Error(), "acstest: ")}
			}
			return 0, nil, adminStateError(err)
		}
		return http.StatusCreated, adminParticipantOf(Participant{RawID: *body.RawID}), nil
	}
	return 0, nil, methodNotAllowed("GET, POST")
}

// adminParticipantRoute: GET, PATCH (the participant unmutes themselves, or
// is held by the call) and DELETE (leaves)
// /admin/v1/calls/{id}/participants/{rawId}.
func (s *Server) adminParticipantRoute(r *http.Request, callID, rawID string) (int, any, *adminError) {
	if err := checkAdminCallID(callID); err != nil {
		return 0, nil, err
	}
	find := func() (Participant, *adminError) {
		st, ok := s.Call(callID)
		if !ok {
			return Participant{}, notFound("CallNotFound", "no call %q", callID)
		}
		for _, p := range st.Participants {
			if p.RawID == rawID {
				return p, nil
			}
		}
		return Participant{}, notFound("ParticipantNotFound", "call %q has no participant %q", callID, rawID)
	}
	switch r.Method {
	case http.MethodGet:
		p, err := find()
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, adminParticipantOf(p), nil
	case http.MethodPatch:
		var body struct {
			IsMuted  *bool `json:"isMuted"`
			IsOnHold *bool `json:"isOnHold"`
		}
		if err := decodeAdmin(r, &body, "isMuted", "isOnHold"); err != nil {
			return 0, nil, err
		}
		if body.IsMuted == nil && body.IsOnHold == nil {
			return 0, nil, badRequest("isMuted", "give isMuted, isOnHold or both")
		}
		// The state as set, read under the same lock.
		p, err := s.setState(callID, rawID, body.IsMuted, body.IsOnHold)
		if err != nil {
			return 0, nil, adminStateError(err)
		}
		return http.StatusOK, adminParticipantOf(p), nil
	case http.MethodDelete:
		if err := s.RemoveParticipant(callID, rawID); err != nil {
			return 0, nil, adminStateError(err)
		}
		return http.StatusNoContent, nil, nil
	}
	return 0, nil, methodNotAllowed("GET, PATCH, DELETE")
}

// adminStateError turns a Server method's error into the admin API's.
func adminStateError(err error) *adminError {
	msg := strings.TrimPrefix(err.Error(), "acstest: ")
	switch {
	case errors.Is(err, errNoCall):
		return notFound("CallNotFound", "%s", msg)
	case errors.Is(err, errNoParticipant):
		return notFound("ParticipantNotFound", "%s", msg)
	case errors.Is(err, errAlreadyIn):
		return &adminError{status: http.StatusConflict, code: "ParticipantAlreadyInCall", message: msg}
	}
	return badRequest("", "%s", msg)
}

// adminCallbackRoute: GET and PUT /admin/v1/callback, where the calls'
// callbacks go.
func (s *Server) adminCallbackRoute(r *http.Request) (int, any, *adminError) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPut:
		var body struct {
			URL json.RawMessage `json:"url"`
		}
		if err := decodeAdmin(r, &body, "url"); err != nil {
			return 0, nil, err
		}
		u := ""
		switch t := bytes.TrimSpace(body.URL); {
		case len(t) == 0:
			return 0, nil, badRequest("url", "url is required: an absolute http(s) URL, or null to stop posting callbacks")
		case string(t) == "null":
		default:
			if err := json.Unmarshal(t, &u); err != nil || u == "" {
				return 0, nil, badRequest("url", "url must be an absolute http(s) URL, or null")
			}
		}
		if err := s.SetCallbackURL(u); err != nil {
			return 0, nil, badRequest("url", "url is not an absolute http(s) URL")
		}
	default:
		return 0, nil, methodNotAllowed("GET, PUT")
	}
	var u *string
	if cur := s.CallbackURL(); cur != "" {
		u = &cur
	}
	return http.StatusOK, map[string]any{"url": u}, nil
}

// adminFaultsRoute: POST /admin/v1/faults queues faults, DELETE clears
// them all (and any latency or fault function set from Go).
func (s *Server) adminFaultsRoute(r *http.Request) (int, any, *adminError) {
	switch r.Method {
	case http.MethodDelete:
		s.ClearFaults()
		return http.StatusNoContent, nil, nil
	case http.MethodPost:
	default:
		return 0, nil, methodNotAllowed("POST, DELETE")
	}
	var body struct {
		Count        *int    `json:"count"`
		Status       int     `json:"status"`
		ErrorCode    string  `json:"errorCode"`
		RetryAfter   string  `json:"retryAfter"`
		RetryAfterMs *int64  `json:"retryAfterMs"`
		Drop         string  `json:"drop"`
		LatencyMs    float64 `json:"latencyMs"`
		Requests     string  `json:"requests"`
	}
	if err := decodeAdmin(r, &body, "count", "status", "errorCode", "retryAfter", "retryAfterMs", "drop", "latencyMs", "requests"); err != nil {
		return 0, nil, err
	}
	n := 1
	if body.Count != nil {
		n = *body.Count
	}
	if n < 1 || n > maxInjected {
		return 0, nil, badRequest("count", "count must be between 1 and %d", maxInjected)
	}
	f := Fault{Status: body.Status, ErrorCode: body.ErrorCode, RetryAfter: body.RetryAfter}
	switch body.Drop {
	case "":
	case "before":
		f.Drop = DropBeforeExecute
	case "after":
		f.Drop = DropAfterExecute
	default:
		return 0, nil, badRequest("drop", `drop must be "before" or "after"`)
	}
	if body.LatencyMs < 0 || body.LatencyMs > float64(maxAdminLatency/time.Millisecond) {
		return 0, nil, badRequest("latencyMs", "latencyMs must be between 0 and %d", maxAdminLatency/time.Millisecond)
	}
	f.Latency = time.Duration(body.LatencyMs * float64(time.Millisecond))
	if body.LatencyMs > 0 {
		f.Latency = max(f.Latency, time.Nanosecond) // asked for: never none
	}
	if body.RetryAfterMs != nil {
		if *body.RetryAfterMs < 0 {
			return 0, nil, badRequest("retryAfterMs", "retryAfterMs must not be negative")
		}
		f.RetryAfterMs = strconv.FormatInt(*body.RetryAfterMs, 10)
	}
	if body.Status == 0 && f.Drop == DropNone && f.Latency == 0 {
		return 0, nil, badRequest("status", "a fault needs a status, a drop or a latency")
	}
	if err := f.check(); err != nil {
		field := "status"
		switch {
		case strings.HasPrefix(err.Error(), "error code"):
			field = "errorCode"
		case strings.HasPrefix(err.Error(), "RetryAfterMs"):
			field = "retryAfterMs"
		case strings.HasPrefix(err.Error(), "RetryAfter"):
			field = "retryAfter"
		}
		return 0, nil, badRequest(field, "%s", err.Error())
	}
	if queued := s.queuedFaults(); queued+n > maxQueuedFaults {
		return 0, nil, &adminError{status: http.StatusConflict, code: "LimitReached",
			message: fmt.Sprintf("%d faults are queued already; at most %d can be (DELETE /admin/v1/faults clears them)", queued, maxQueuedFaults)}
	}
	var err error
	switch body.Requests {
	case "", "writes":
		err = s.InjectFaults(n, f)
	case "reads":
		err = s.InjectReadFaults(n, f)
	default:
		return 0, nil, badRequest("requests", `requests must be "writes" (mute, hold, unhold, remove; the default) or "reads"`)
	}
	if err != nil { // checked above: cannot happen
		return 0, nil, badRequest("", "%s", strings.TrimPrefix(err.Error(), "acstest: "))
	}
	return http.StatusCreated, map[string]any{"queued": n}, nil
}

// decodeAdmin reads an admin request's JSON body into v: at most 1 MiB of
// UTF-8, one object whose members are among fields, spelled exactly, each
// once.
func decodeAdmin(r *http.Request, v any, fields ...string) *adminError {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody+1))
	switch {
	case err != nil:
		return badRequest("", "the body could not be read")
	case len(body) > maxAdminBody:
		return &adminError{status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLarge", message: fmt.Sprintf("the body is larger than %d bytes", maxAdminBody)}
	case len(bytes.TrimSpace(body)) == 0:
		return badRequest("", "the body is empty; it must be a JSON object")
	}
	if err := strictObject(body, "", fields...); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return jsonError(err, "")
	}
	return nil
}

// strictObject checks that data is one JSON object of UTF-8 text whose
// members are among fields, spelled exactly (encoding/json would match
// "Participants" or "RAWID"), each once (it would keep the last), with
// nothing after it. prefix names the object in errors.
func strictObject(data []byte, prefix string, fields ...string) *adminError {
	name := func(f string) string {
		if prefix == "" {
			return f
		}
		return prefix + "." + f
	}
	if !utf8.Valid(data) {
		return badRequest(prefix, "the body is not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		what := "the body"
		if prefix != "" {
			what = prefix
		}
		return badRequest(prefix, "%s must be a JSON object", what)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return badRequest(prefix, "the body is not JSON")
		}
		key, _ := tok.(string)
		switch {
		case !slices.Contains(fields, key):
			return badRequest(name(key), "unknown field %s (the fields are %s)", name(key), strings.Join(fields, ", "))
		case seen[key]:
			return badRequest(name(key), "%s is given twice", name(key))
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return badRequest(name(key), "the body is not JSON")
		}
	}
	if _, err := dec.Token(); err != nil {
		return badRequest(prefix, "the body is not JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest(prefix, "the body holds more than one JSON value")
	}
	return nil
}

// jsonError describes a JSON decoding error, naming the field.
func jsonError(err error, prefix string) *adminError {
	join := func(f string) string {
		switch {
		case prefix == "":
			return f
		case f == "":
			return prefix
		}
		return prefix + "." + f
	}
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &typ):
		f := join(typ.Field)
		if f == "" {
			return badRequest(prefix, "the body must be a JSON %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return badRequest(f, "%s must be a JSON %s, not %s", f, jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.As(err, &syn):
		return badRequest(prefix, "the body is not JSON (at byte %d)", syn.Offset)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f := join(strings.Trim(name, `"`))
		return badRequest(f, "unknown field %s", f)
	}
	return badRequest(prefix, "the body is not the JSON object this route takes")
}

// jsonKind names a Go kind as JSON does.
func jsonKind(kind string) string {
	switch {
	case kind == "bool":
		return "boolean"
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "integer"
	case strings.HasPrefix(kind, "float"):
		return "number"
	case kind == "slice":
		return "array"
	case kind == "struct", kind == "map":
		return "object"
	}
	return kind
}

// writeAdminError writes an admin API error: {"error": {code, message,
// field}}.
func writeAdminError(w http.ResponseWriter, e *adminError) {
	body := map[string]any{"code": e.code, "message": e.message}
	if e.field != "" {
		body["field"] = e.field
	}
	b, _ := json.Marshal(map[string]any{"error": body})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, _ = w.Write(append(b, '\n'))
}

// adminDelivery is a Delivery as the admin API shows it.
type adminDelivery struct {
	Seq              int             `json:"seq"`
	Type             string          `json:"type"`
	URL              string          `json:"url"`
	CallConnectionID string          `json:"callConnectionId"`
	EventID          string          `json:"eventId"`
	SequenceNumber   int             `json:"sequenceNumber,omitempty"`
	OperationContext string          `json:"operationContext,omitempty"`
	Time             time.Time       `json:"time"`
	Body             json.RawMessage `json:"body,omitempty"`
	Attempts         int             `json:"attempts"`
	Status           int             `json:"status"`
	Error            string          `json:"error,omitempty"`
	Delivered        bool            `json:"delivered"`
	Duplicate        bool            `json:"duplicate,omitempty"`
}

func adminDeliveries(ds []Delivery) []adminDelivery {
	out := make([]adminDelivery, 0, len(ds))
	for _, d := range ds {
		ad := adminDelivery{Seq: d.Seq, Type: d.Type, URL: d.URL, CallConnectionID: d.CallID, EventID: d.EventID,
			SequenceNumber: d.SequenceNumber, OperationContext: d.OperationContext, Time: d.Time, Attempts: d.Attempts,
			Status: d.Status, Error: d.Err, Delivered: d.Delivered, Duplicate: d.Duplicate}
		if json.Valid(d.Body) {
			ad.Body = d.Body
		}
		out = append(out, ad)
	}
	return out
}

// adminRequest is a Request as the admin API shows it.
type adminRequest struct {
	Seq         int                 `json:"seq"`
	Time        time.Time           `json:"time"`
	Method      string              `json:"method"`
	Path        string              `json:"path"`
	Query       string              `json:"query"`
	Headers     map[string][]string `json:"headers"`
	Body        string              `json:"body"`
	BodyDropped bool                `json:"bodyDropped,omitempty"`
	Status      int                 `json:"status"`
	ErrorCode   string              `json:"errorCode,omitempty"`
	Executed    bool                `json:"executed"`
	Replayed    bool                `json:"replayed"`
	Dropped     bool                `json:"dropped"`
}

func adminRequests(rs []Request) []adminRequest {
	out := make([]adminRequest, 0, len(rs))
	for _, r := range rs {
		path, query, _ := strings.Cut(r.RequestURI, "?")
		out = append(out, adminRequest{Seq: r.Seq, Time: r.Time, Method: r.Method, Path: path, Query: query,
			Headers: r.Header, Body: string(r.Body), BodyDropped: r.BodyDropped, Status: r.Status, ErrorCode: r.ErrorCode,
			Executed: r.Executed, Replayed: r.Replayed, Dropped: r.Dropped})
	}
	return out
}

// LoadState adds (or replaces) the calls described by a JSON document of
// the form GET /admin/v1/calls answers, so that a state saved from one
// emulator can start another (acsmute emulator --state FILE):
//
//	{"calls": [{"callConnectionId": "call-1",
//	            "participants": ["8:acs:...", {"rawId": "4:+1...", "isMuted": true}]}]}
//
// Each participant is a raw ID or an object {rawId, isMuted, isOnHold}
// (kind, and a call's sequenceNumber, are read but not used). Nothing is
// loaded unless all of it can be: an error names the field at fault.
func (s *Server) LoadState(data []byte) error {
	if err := strictObject(data, "", "calls"); err != nil {
		return fmt.Errorf("acstest: the state: %s", err.message)
	}
	var doc struct {
		Calls *[]json.RawMessage `json:"calls"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("acstest: the state: %s", jsonError(err, "").message)
	}
	if doc.Calls == nil {
		return errors.New(`acstest: the state: calls is required ({"calls": [...]})`)
	}
	type loaded struct {
		id string
		c  *call
	}
	var all []loaded
	for i, raw := range *doc.Calls {
		field := fmt.Sprintf("calls[%d]", i)
		if err := strictObject(raw, field, "callConnectionId", "participants", "sequenceNumber"); err != nil {
			return fmt.Errorf("acstest: the state: %s", err.message)
		}
		var c struct {
			CallConnectionID *string           `json:"callConnectionId"`
			Participants     []json.RawMessage `json:"participants"`
			SequenceNumber   int               `json:"sequenceNumber"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return fmt.Errorf("acstest: the state: %s", jsonError(err, field).message)
		}
		if c.CallConnectionID == nil {
			return fmt.Errorf("acstest: the state: %s.callConnectionId is required", field)
		}
		if err := checkAdminCallID(*c.CallConnectionID); err != nil {
			return fmt.Errorf("acstest: the state: %s: %s", field, err.message)
		}
		specs, err := participantSpecs(c.Participants, field+".participants")
		if err != nil {
			return fmt.Errorf("acstest: the state: %s", err.message)
		}
		made, cerr := newCall(*c.CallConnectionID, specs)
		if cerr != nil {
			return cerr
		}
		all = append(all, loaded{*c.CallConnectionID, made})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	added := 0
	for _, l := range all {
		if _, exists := s.calls[l.id]; !exists {
			added++
		}
	}
	if len(s.calls)+added > MaxCalls {
		return fmt.Errorf("acstest: the state: it would make more than %d calls", MaxCalls)
	}
	for _, l := range all {
		if _, err := s.putCallLocked(l.id, l.c); err != nil { // counted above: cannot happen
			return err
		}
	}
	return nil
}
