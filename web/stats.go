package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/config"
)

// Stats counts inquiries across every instance. Accepted is derived, not
// counted at intake, so that it is exact with any number of instances and
// a duplicate is never counted: every accepted inquiry is stored, pending
// in JetStream, or dead-lettered.
type Stats struct {
	Accepted     uint64 `json:"accepted"`
	Stored       uint64 `json:"stored"`
	Pending      uint64 `json:"pending"`
	DeadLettered uint64 `json:"dead_lettered"`
	// Problems counts the problems with clusters open now: what the
	// agents face, however many wordings.
	Problems int    `json:"problems"`
	Database string `json:"database"`
	NATS     string `json:"nats"`
}

func (s *Server) getStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.stats(r.Context())
	if err != nil {
		s.Log.Error("stats", "err", err)
		s.writeError(w, newError(http.StatusServiceUnavailable, "unavailable", "unable to read the stream or the database; see the server log"))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) stats(ctx context.Context) (Stats, error) {
	b, err := bus.Unstored(ctx, s.JetStream, s.Store, s.DeadLetters)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{Stored: b.Stored, Pending: b.Pending, DeadLettered: b.DeadLettered, Database: "sqlite", NATS: "embedded"}
	st.Accepted = st.Stored + st.Pending + st.DeadLettered
	if s.ProblemStore != nil {
		n, err := s.ProblemStore.OpenProblems(ctx, time.Now().Add(-s.Config.Triage.IdleWindow).UnixMilli())
		if err != nil {
			return Stats{}, err
		}
		st.Problems = n
	}
	if config.IsPostgres(s.Config.Database.URL) {
		st.Database = "postgres"
	}
	if s.Config.NATS.URL != "" {
		st.NATS = "external"
	}
	return st, nil
}

type deadLetterResponse struct {
	bus.DeadLetter
	Inquiry json.RawMessage `json:"inquiry"`
}

func (s *Server) getDeadLetters(w http.ResponseWriter, r *http.Request) {
	var after deadLetterKey
	limit, _, aerr := pageParams(r, 100, 1000, &after)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	list, more, err := s.DeadLetters.List(r.Context(), after.Seq, limit)
	if err != nil {
		s.Log.Error("dead letters", "err", err)
		s.writeError(w, newError(http.StatusServiceUnavailable, "unavailable", "unable to read the dead-letter stream"))
		return
	}
	out := make([]deadLetterResponse, 0, len(list))
	for _, dl := range list {
		// The inquiry as JSON when it is an object, else its bytes as a string.
		raw := json.RawMessage(publicInquiryJSON(dl.Data))
		if len(dl.Data) == 0 || dl.Data[0] != '{' || !json.Valid(raw) {
			raw, _ = json.Marshal(string(dl.Data))
		}
		out = append(out, deadLetterResponse{DeadLetter: dl, Inquiry: raw})
	}
	next := ""
	if more && len(list) > 0 {
		next = cursor(deadLetterKey{list[len(list)-1].Seq})
	}
	writeJSON(w, http.StatusOK, listBody("dead_letters", out, next, -1))
}

// deadLetterKey is the dead-letter list's cursor: the last sequence shown
// in the dead-letter stream.
type deadLetterKey struct {
	Seq uint64 `json:"s"`
}

func (s *Server) replayDeadLetters(w http.ResponseWriter, r *http.Request) {
	n, err := s.DeadLetters.Replay(r.Context())
	if err != nil {
		s.Log.Error("replay dead letters", "err", err, "replayed", n)
		s.writeError(w, newError(http.StatusServiceUnavailable, "unavailable",
			fmt.Sprintf("replay stopped after %d dead letter(s); see the server log and run it again", n)))
		return
	}
	s.Log.Info("dead letters replayed", "count", n)
	writeJSON(w, http.StatusOK, map[string]int{"replayed": n})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is public, so it says only ok or failed per check (the errors,
// which may name hosts and users, go to the log). Ready means intake can
// accept durably, which needs the inquiry stream only: while the database
// is down inquiries wait in JetStream, and reads answer 503.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	// The checks run at once, each with its own time limit: a NATS ping
	// that uses up its time must not make the database look down too.
	pings := []struct {
		name string
		ping func(context.Context) error
	}{{"intake", s.Bus.PingIntake}, {"nats", s.Bus.Ping}, {"database", s.Store.Ping}}
	results := make([]string, len(pings))
	var wg sync.WaitGroup
	for i, p := range pings {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			results[i] = "ok"
			if err := p.ping(ctx); err != nil {
				s.Log.Warn("readiness check failed", "check", p.name, "err", err)
				results[i] = "failed"
			}
		})
	}
	wg.Wait()
	checks := map[string]string{}
	for i, p := range pings {
		checks[p.name] = results[i]
	}
	if checks["intake"] != "ok" {
		s.metrics.errors.WithLabelValues("not_ready").Inc()
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "checks": checks})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "checks": checks})
}
