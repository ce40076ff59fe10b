// Command service is a small HTTP service that moderates call participants
// through acsmute: what a team writes on day one. It serves
//
//	POST /calls/{callConnectionId}/participants/{rawId}:mute
//	POST /callbacks                                the service's callbacks, verified, applied to the roster
//	GET  /calls/{callConnectionId}/participants    the participants, as the roster knows them
//	POST /calls/{callConnectionId}/resync          read the call from the service into the roster
//
// and answers 200 with the result, 400 for bad input, the service's status
// for a definite refusal (404 for an unknown call, 400 for a participant
// not in it), 502 when the service failed, and 503 with the repeatability
// values when the outcome is unknown, so that the caller can resend.
//
// Callbacks are believed only when callback.Verifier accepts them: a JWT
// the service signed for this resource (ACS_RESOURCE_ID, the resource's
// immutable ID). Give the call's callback URI as https://<this service>/callbacks
// when creating or answering the call. They are applied to a roster
// (package roster): who is in each call, muted, on hold, whatever order the
// callbacks arrive in. With -redis (or REDIS_ADDR), the roster lives in
// Redis, so that the replicas of the service behind a load balancer share
// one, whichever gets each callback; without it, in this process.
//
//	ACS_CONNECTION_STRING='endpoint=https://...;accesskey=...' ACS_RESOURCE_ID=<guid> go run ./service -addr 127.0.0.1:8080 -redis redis:6379
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/acsmute/acsmute/callback"
	"github.com/acsmute/acsmute/client"
	"github.com/acsmute/acsmute/roster"
	"github.com/acsmute/acsmute/roster/redisstore"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	redisAddr := flag.String("redis", os.Getenv("REDIS_ADDR"), "host:port of the Redis the service's replicas share the roster in (default $REDIS_ADDR; empty: in this process)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
	store, err := openStore(ctx, *redisAddr)
	if err != nil {
		slog.Error("service: the roster's store", "error", err)
		os.Exit(1)
	}
	r := roster.New(store, nil)
	go logChanges(ctx, r)
	srv := &http.Server{Addr: *addr, Handler: newHandler(c, v, r), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	slog.Info("service: listening", "addr", *addr, "redis", *redisAddr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		slog.Error("service: stopped", "error", err)
		os.Exit(1)
	}
}

// openStore is the roster's store: in Redis at addr, shared by the
// replicas, or in this process when addr is empty.
func openStore(ctx context.Context, addr string) (roster.Store, error) {
	if addr == "" {
		return roster.NewMemoryStore(), nil
	}
	return redisstore.New(ctx, redis.NewClient(&redis.Options{Addr: addr}), nil)
}

// logChanges logs each change of the calls' participants, once, whichever
// replica applied it; after an error (Redis went away, or this replica fell
// behind) it subscribes again.
func logChanges(ctx context.Context, r *roster.Roster) {
	for ctx.Err() == nil {
		changes, err := r.Changes(ctx)
		if err == nil {
			for ch, cerr := range changes {
				if err = cerr; err != nil {
					break
				}
				slog.Info("service: participant changed", "call", ch.CallConnectionID, "participant", ch.Participant.Identifier.RawID(),
					"change", ch.Kind, "sequenceNumber", ch.SequenceNumber)
			}
		}
		if err != nil && ctx.Err() == nil {
			slog.Warn("service: watching the roster's changes; some may have been missed", "error", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
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

// resyncAfterLoss reads the call of e afresh after the roster's store lost
// its state; ctx outlives the callback's request.
func resyncAfterLoss(ctx context.Context, c *client.Client, r *roster.Roster, e callback.Event) {
	// The source as package callback reads it: the fixed words in any case,
	// with or without a leading slash.
	source := strings.TrimPrefix(e.Source, "/")
	const prefix = "calling/callConnections/"
	if len(source) <= len(prefix) || !strings.EqualFold(source[:len(prefix)], prefix) {
		return
	}
	callID := source[len(prefix):]
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := r.Resync(ctx, c, callID); err != nil && !errors.Is(err, roster.ErrSuperseded) {
		slog.Warn("service: resync after the roster's store lost its state", "call", callID, "error", err)
	}
}

// participantState is one participant as GET /calls/{call}/participants
// shows it.
type participantState struct {
	RawID    string `json:"rawId"`
	Kind     string `json:"kind"`
	IsMuted  bool   `json:"isMuted"`
	IsOnHold bool   `json:"isOnHold"`
}

// callState is what GET /calls/{call}/participants answers.
type callState struct {
	SequenceNumber int                `json:"sequenceNumber"`
	Source         roster.Source      `json:"source"`
	UpdatedAt      time.Time          `json:"updatedAt"`
	Gap            bool               `json:"gap,omitempty"`
	Ended          bool               `json:"ended,omitempty"`
	Participants   []participantState `json:"participants"`
}

// newHandler serves the mute endpoint with c, the callbacks, verified with
// v and applied to r, and the participants as r knows them.
func newHandler(c *client.Client, v *callback.Verifier, r *roster.Roster) http.Handler {
	mux := http.NewServeMux()
	// Only requests the service signed reach this handler.
	mux.Handle("POST /callbacks", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, 1<<20))
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
			// Events may arrive late, twice or out of order, and at any
			// replica: the roster sorts that out.
			err := r.Apply(req.Context(), e)
			switch {
			case err == nil:
			case errors.Is(err, roster.ErrMalformedEvent):
				// Posting it again cannot help: noted, and skipped.
				slog.Warn("service: a verified event is not the documented form", "error", err, "event", e.ID)
			default:
				if errors.Is(err, roster.ErrStateLost) {
					// The shared state is gone: read the call afresh, so
					// that a late event does not stand in for it.
					go resyncAfterLoss(context.WithoutCancel(req.Context()), c, r, e)
				}
				slog.Warn("service: a callback could not be applied; the service will post it again", "error", err, "event", e.ID)
				http.Error(w, "try again", http.StatusServiceUnavailable)
				return
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})))
	mux.HandleFunc("GET /calls/{call}/participants", func(w http.ResponseWriter, req *http.Request) {
		call, err := r.Call(req.Context(), req.PathValue("call"))
		switch {
		case errors.Is(err, roster.ErrUnknownCall):
			writeJSON(w, http.StatusNotFound, problem{Error: "no verified event or listing for this call yet"})
			return
		case err != nil:
			slog.Warn("service: reading the roster", "error", err)
			writeJSON(w, http.StatusServiceUnavailable, problem{Error: "the roster cannot be read now; try again"})
			return
		}
		out := callState{SequenceNumber: call.SequenceNumber, Source: call.Source, UpdatedAt: call.UpdatedAt, Gap: call.Gap, Ended: call.Ended,
			Participants: make([]participantState, 0, len(call.Participants))}
		for _, p := range call.Participants {
			out.Participants = append(out.Participants, participantState{RawID: p.Identifier.RawID(), Kind: string(p.Identifier.Kind()), IsMuted: p.IsMuted, IsOnHold: p.IsOnHold})
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /calls/{call}/resync", func(w http.ResponseWriter, req *http.Request) {
		err := r.Resync(req.Context(), c, req.PathValue("call"))
		switch {
		case err == nil, errors.Is(err, roster.ErrSuperseded): // an event newer than the listing is in
			w.WriteHeader(http.StatusNoContent)
		default:
			status, body := describe(err)
			slog.Warn("service: resync failed", "call", req.PathValue("call"), "status", status, "error", err)
			writeJSON(w, status, body)
		}
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
