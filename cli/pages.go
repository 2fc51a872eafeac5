package cli

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/pages/dashboard"
	"github.com/surgedesk/surgedesk/pages/status"
	"github.com/surgedesk/surgedesk/storage"
)

// newPages builds the managers' dashboard and the public status page. The
// status page follows knowledge-base announcements until ctx ends, and is
// built once before this returns, so that it is served from the first
// request on.
func newPages(ctx, followCtx context.Context, cfg config.Config, db *storage.Storage, nc *nats.Conn,
	changed func(context.Context, string), log *slog.Logger) (*dashboard.Dashboard, *status.Page, error) {
	page := status.New(status.Options{Source: db, Log: log.With("component", "status")})
	if err := page.Follow(followCtx, nc); err != nil {
		return nil, nil, err
	}
	if err := page.Rebuild(ctx); err != nil {
		return nil, nil, err
	}
	dash := dashboard.New(dashboard.Options{
		Auth: cfg.Auth, Store: db, Alerts: alertActions{db: db, changed: changed},
		IdleWindow: cfg.Triage.IdleWindow, Log: log.With("component", "dashboard"),
	})
	return dash, page, nil
}

// alertActions declares and dismisses surge alerts from the dashboard the
// way the Slack app's buttons do: storage.DeclareAlert (one transaction)
// and storage.DecideAlert, then the announcement every instance reloads on.
//
// TODO(desk): once the desk package's alert actions are on main, the
// dashboard calls them and this goes.
type alertActions struct {
	db      *storage.Storage
	changed func(context.Context, string)
}

func (a alertActions) DeclareAlert(ctx context.Context, actor, clusterID string) (kb.Incident, error) {
	label := clusterID
	if c, err := a.db.Cluster(ctx, clusterID); err == nil {
		if l := strings.Join(c.Label, " "); l != "" {
			label = l
		}
	}
	inc, err := a.db.DeclareAlert(ctx, actor, clusterID, kb.Incident{Status: kb.Investigating, Severity: kb.Major,
		TitleKO: truncateTitle("문의 급증: " + label), TitleEN: truncateTitle("Surge of inquiries: " + label)})
	if err != nil {
		return kb.Incident{}, err
	}
	a.changed(context.WithoutCancel(ctx), "incident:"+inc.ID)
	return inc, nil
}

func (a alertActions) DismissAlert(ctx context.Context, actor, clusterID string) error {
	return a.db.DecideAlert(ctx, actor, clusterID, storage.AlertOpen, storage.AlertDismissed, "", time.Now().UnixMilli())
}

func truncateTitle(s string) string {
	if r := []rune(s); len(r) > kb.MaxTitle {
		return string(r[:kb.MaxTitle])
	}
	return s
}
