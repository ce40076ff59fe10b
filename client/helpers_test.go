package client_test

import (
	"fmt"
	"net/http"
	"time"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// timeoutThen answers the first attempt too late (the per-attempt timeout
// fires: it may have executed) and then with h.
func timeoutThen(h http.HandlerFunc) []http.HandlerFunc {
	return []http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}, h}
}

// rawAnswer answers with status and body, of contentType unless it is
// empty, and headers as name, value pairs (set after it).
func rawAnswer(status int, contentType, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}
