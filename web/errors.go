package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// apiError is the one error shape of the API: {"error": {"code", "message"}}.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, message string) *apiError {
	return &apiError{Status: status, Code: code, Message: message}
}

func errUnauthorized(code, message string) *apiError {
	return newError(http.StatusUnauthorized, code, message)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	if e.Status == http.StatusInternalServerError && s.databaseDown() {
		// The one place a failure the client cannot help becomes what it
		// is while the database is away: temporary.
		e = newError(http.StatusServiceUnavailable, "unavailable", "the database is unavailable; retry later")
		w.Header().Set("Retry-After", "5")
	}
	s.metrics.errors.WithLabelValues(e.Code).Inc()
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="surgedesk"`)
	}
	writeJSON(w, e.Status, map[string]*apiError{"error": e})
}

// databaseDown reports whether the database fails a ping now.
func (s *Server) databaseDown() bool {
	if s.Store == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.Store.Ping(ctx) != nil
}
