package app

import (
	"context"
	"log/slog"

	"github.com/nats-io/nats.go"

	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/pages/dashboard"
	"github.com/surgedesk/surgedesk/pages/status"
	"github.com/surgedesk/surgedesk/storage"
)

// newPages builds the managers' dashboard, whose alert buttons call the
// desk's actions, and the public status page. The status page follows
// knowledge-base announcements until followCtx ends, and is built once
// before this returns, so that it is served from the first request on.
func newPages(ctx, followCtx context.Context, cfg config.Config, db *storage.Storage, nc *nats.Conn,
	alerts dashboard.Alerts, log *slog.Logger) (*dashboard.Dashboard, *status.Page, error) {
	page := status.New(status.Options{Source: db, Log: log.With("component", "status")})
	if err := page.Follow(followCtx, nc); err != nil {
		return nil, nil, err
	}
	if err := page.Rebuild(ctx); err != nil {
		return nil, nil, err
	}
	dash := dashboard.New(dashboard.Options{
		Auth: cfg.Auth, Store: db, Alerts: alerts,
		IdleWindow: cfg.Triage.IdleWindow, Log: log.With("component", "dashboard"),
	})
	return dash, page, nil
}
