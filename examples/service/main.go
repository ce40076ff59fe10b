// Command service is a small HTTP service that mutes call participants
// through acsmute: what a team writes on day one. It serves
//
//	POST /calls/{callConnectionId}/participants/{rawId}:mute
//	POST /callbacks                                the service's callbacks, verified
//	GET  /calls/{callConnectionId}/participants    the participants, as the last verified ParticipantsUpdated said
//
// and answers 200 with the result, 400 for bad input, the service's status
// for a definite refusal (404 for an unknown call, 400 for a participant
// not in it), 502 when the service failed, and 503 with the repeatability
// values when the outcome is unknown, so that the caller can resend.
//
// Callbacks are believed only when callback.Verifier accepts them: a JWT
// the service signed for this resource (ACS_RESOURCE_ID, the resource's
// immutable ID). Give the call's callback URI as https://<this service>/callbacks
// when creating or answering the call.
//
//	ACS_CONNECTION_STRING='endpoint=https://...;accesskey=...' ACS_RESOURCE_ID=<guid> go run ./service -addr 127.0.0.1:8080
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	c, err := client.NewClientFromConnectionString(os.Getenv("ACS_CONNECTION_STRING"), &client.ClientOptions{Logger: slog.Default()})
	if err != nil {
		slog.Error("service: set ACS_CONNECTION_STRING to the resource's connection string", "error", err)
		os.Exit(2)
	}
	v, err := callback.NewVerifier(os.Getenv("ACS_RESOURCE_ID"), nil)
	if err != nil {
		slog.Error("service: set ACS_RESOURCE_ID to the resource's immutable ID, to verify callbacks", "error", err)
		os.Exit(2)
	}
	srv := &http.Server{Addr: *addr, Handler: newHandler(c, v), ReadHeaderTimeout: 10 * time.Second}
	slog.Info("service: listening", "addr", *addr)
	if err := srv.ListenAndServe(); err != nil {
		slog.Error("service: stopped", "error", err)
		os.Exit(1)
	}
}

// muteRequest is the optional JSON body of a mute.
type muteRequest struct {
	OperationContext       string    `json:"operationContext"`
	RepeatabilityRequestID string    `json:"repeatabilityRequestId"`
	RepeatabilityFirstSent time.Time `json:"repeatabilityFirstSent"`
}

// problem is the JSON body of every failure.
type problem struct {
	Error                  string    `json:"error"`
	ServiceErrorCode       string    `json:"serviceErrorCode,omitempty"`
	OutcomeUnknown         bool      `json:"outcomeUnknown,omitempty"`
	RepeatabilityRequestID string    `json:"repeatabilityRequestId,omitempty"`
	RepeatabilityFirstSent time.Time `json:"repeatabilityFirstSent,omitzero"`
}

// view is the participants of each call as the latest verified
// ParticipantsUpdated event said.
type view struct {
	mu    sync.Mutex
	calls map[string]callback.ParticipantsUpdated
}

// update keeps an event unless a later one (by sequence number) is kept.
func (v *view) update(pu callback.ParticipantsUpdated) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if old, ok := v.calls[pu.CallConnectionID]; ok && old.SequenceNumber >= pu.SequenceNumber {
		return // events may arrive late, or twice
	}
	v.calls[pu.CallConnectionID] = pu
}

// participantState is one participant as GET /calls/{call}/participants
// shows it.
type participantState struct {
	RawID   string `json:"rawId"`
	Kind    string `json:"kind"`
	IsMuted bool   `json:"isMuted"`
}

// newHandler serves the mute endpoint with c, and the callbacks, verified
// with v.
func newHandler(c *client.Client, v *callback.Verifier) http.Handler {
	mux := http.NewServeMux()
	state := &view{calls: map[string]callback.ParticipantsUpdated{}}
	// Only requests the service signed reach this handler.
	mux.Handle("POST /callbacks", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "the body is too large", http.StatusRequestEntityTooLarge)
			return
		}
		events, err := callback.Parse(body)
		if err != nil {
			slog.Warn("service: a verified callback could not be read", "error", err)
			http.Error(w, "the body is not a list of events", http.StatusBadRequest)
			return
		}
		for _, e := range events {
			if e.Type != callback.TypeParticipantsUpdated {
				continue
			}
			pu, err := e.ParticipantsUpdated()
			if err != nil {
				slog.Warn("service: a ParticipantsUpdated event could not be read", "error", err, "event", e.ID)
				continue
			}
			state.update(pu)
		}
		w.WriteHeader(http.StatusNoContent)
	})))
	mux.HandleFunc("GET /calls/{call}/participants", func(w http.ResponseWriter, r *http.Request) {
		state.mu.Lock()
		pu, ok := state.calls[r.PathValue("call")]
		state.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, problem{Error: "no verified ParticipantsUpdated event for this call yet"})
			return
		}
		out := make([]participantState, 0, len(pu.Participants))
		for _, p := range pu.Participants {
			out = append(out, participantState{RawID: p.Identifier.RawID(), Kind: string(p.Identifier.Kind()), IsMuted: p.IsMuted})
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /calls/{call}/participants/{action}", func(w http.ResponseWriter, r *http.Request) {
		rawID, ok := strings.CutSuffix(r.PathValue("action"), ":mute")
		if !ok {
			http.NotFound(w, r)
			return
		}
		var req muteRequest
		if r.ContentLength != 0 {
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
				writeJSON(w, http.StatusBadRequest, problem{Error: "the body is not a mute request: " + err.Error()})
				return
			}
		}
		// Strict: a typo is the caller's mistake, not a request to ACS.
		who, err := client.ParseRawIDStrict(rawID)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, problem{Error: err.Error()})
			return
		}
		res, err := c.MuteParticipant(r.Context(), r.PathValue("call"), who, &client.MuteParticipantOptions{
			OperationContext:       req.OperationContext,
			RepeatabilityRequestID: req.RepeatabilityRequestID,
			RepeatabilityFirstSent: req.RepeatabilityFirstSent,
		})
		if err != nil {
			status, body := describe(err)
			// The detail (ACS's URL, status and message) is for our logs;
			// callers get our own words.
			slog.Warn("service: mute failed", "call", r.PathValue("call"), "participant", rawID, "status", status, "error", err)
			writeJSON(w, status, body)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
	return mux
}

// describe maps a MuteParticipant error to this service's answer, in its
// own words: ACS's URL and messages stay in the logs.
//
//	400 bad input, or ACS refused this participant (ACS's 400)
//	404 ACS does not know the call (ACS's 404)
//	503 the outcome is unknown: resend with the repeatability values
//	500 our credential gave no token, or ACS refused it (our misconfiguration)
//	502 ACS failed, or refused the request for another reason
func describe(err error) (int, problem) {
	var me *client.MuteError
	var re *client.ResponseError
	switch {
	case errors.Is(err, client.ErrInvalidInput):
		return http.StatusBadRequest, problem{Error: "bad input: " + strings.TrimPrefix(err.Error(), "acsmute: ")}
	case errors.Is(err, client.ErrOutcomeUnknown) && errors.As(err, &me):
		return http.StatusServiceUnavailable, problem{
			Error:                  "the outcome of the mute is unknown; resend with these repeatability values to resolve it",
			OutcomeUnknown:         true,
			RepeatabilityRequestID: me.RepeatabilityRequestID,
			RepeatabilityFirstSent: me.RepeatabilityFirstSent,
		}
	case errors.Is(err, client.ErrCredential):
		// Our token source failed: our misconfiguration, not ACS's.
		return http.StatusInternalServerError, problem{Error: "this service is not configured to use Communication Services"}
	case errors.As(err, &re):
		p := problem{ServiceErrorCode: re.ErrorCode}
		switch {
		case re.StatusCode == http.StatusNotFound:
			p.Error = "the call connection is not known"
			return http.StatusNotFound, p
		case re.StatusCode == http.StatusBadRequest:
			p.Error = "the participant cannot be muted in this call"
			return http.StatusBadRequest, p
		case re.StatusCode == http.StatusUnauthorized || re.StatusCode == http.StatusForbidden:
			return http.StatusInternalServerError, problem{Error: "this service is not configured to use Communication Services"}
		case re.StatusCode >= 500:
			p.Error = "Communication Services failed; try again"
			return http.StatusBadGateway, p
		}
		p.Error = "Communication Services refused the request"
		return http.StatusBadGateway, p
	}
	return http.StatusBadGateway, problem{Error: "Communication Services could not be reached; try again"}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
