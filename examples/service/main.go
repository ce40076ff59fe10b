// Command service is a small HTTP service that mutes call participants
// through acsmute: what a team writes on day one. It serves
//
//	POST /calls/{callConnectionId}/participants/{rawId}:mute
//
// and answers 200 with the result, 400 for bad input, the service's status
// for a definite refusal (404 for an unknown call, 400 for a participant
// not in it), 502 when the service failed, and 503 with the repeatability
// values when the outcome is unknown, so that the caller can resend.
//
//	ACS_CONNECTION_STRING='endpoint=https://...;accesskey=...' go run ./service -addr 127.0.0.1:8080
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

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
	srv := &http.Server{Addr: *addr, Handler: newHandler(c), ReadHeaderTimeout: 10 * time.Second}
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

// newHandler serves the mute endpoint with c.
func newHandler(c *client.Client) http.Handler {
	mux := http.NewServeMux()
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
		who, err := client.ParseRawID(rawID)
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
			writeJSON(w, status, body)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
	return mux
}

// describe maps a MuteParticipant error to an HTTP answer.
func describe(err error) (int, problem) {
	p := problem{Error: err.Error()}
	var me *client.MuteError
	if errors.As(err, &me) {
		p.RepeatabilityRequestID, p.RepeatabilityFirstSent = me.RepeatabilityRequestID, me.RepeatabilityFirstSent
	}
	var re *client.ResponseError
	switch {
	case errors.Is(err, client.ErrInvalidInput):
		return http.StatusBadRequest, problem{Error: err.Error()}
	case errors.Is(err, client.ErrOutcomeUnknown):
		// Resend with the same repeatability values to resolve it.
		p.OutcomeUnknown = true
		return http.StatusServiceUnavailable, p
	case errors.As(err, &re) && re.StatusCode >= 400 && re.StatusCode < 500:
		p.ServiceErrorCode = re.ErrorCode
		if re.StatusCode == http.StatusUnauthorized || re.StatusCode == http.StatusForbidden {
			return http.StatusBadGateway, p // our credential, not the caller's fault
		}
		return re.StatusCode, p
	}
	return http.StatusBadGateway, p
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
