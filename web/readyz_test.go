package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// hangingBus is a NATS whose pings take all the time they are given.
type hangingBus struct{}

func (hangingBus) Ping(ctx context.Context) error       { <-ctx.Done(); return ctx.Err() }
func (hangingBus) PingIntake(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

// A NATS check that uses up its time must not make the database check
// fail with it: each check has a time limit of its own.
func TestReadinessChecksHaveTheirOwnTime(t *testing.T) {
	t.Parallel()
	db := storagetest.Open(t, storagetest.SQLite(t))
	s := New(Options{Config: testConfig(), Store: db, Bus: hangingBus{}, Log: slog.New(slog.DiscardHandler),
		Registry: prometheus.NewRegistry()})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	want := `{"checks":{"database":"ok","intake":"failed","nats":"failed"},"status":"not ready"}` + "\n"
	if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != want {
		t.Errorf("/readyz with NATS hanging = %d %s, want 503 %s", rec.Code, rec.Body.String(), want)
	}
}
