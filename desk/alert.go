package desk

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

// DeclareAlert declares an incident from the open surge alert of a cluster
// for actor (a manager): in one transaction the alert is marked declared,
// the incident created and the cluster linked, so that two managers at
// once declare one incident (the other gets storage.ErrExists).
func (d *Desk) DeclareAlert(ctx context.Context, actor, clusterID string) (kb.Incident, error) {
	label := clusterID
	c, err := d.Store.Cluster(ctx, clusterID)
	switch {
	case err == nil:
		label = ClusterLabel(c)
	case !errors.Is(err, storage.ErrNotFound):
		return kb.Incident{}, err
	}
	inc, err := d.Store.DeclareAlert(ctx, actor, clusterID, kb.Incident{Status: kb.Investigating,
		Severity: kb.Major, TitleKO: truncate("문의 급증: "+label, kb.MaxTitle), TitleEN: truncate("Surge of inquiries: "+label, kb.MaxTitle)})
	if err != nil {
		return kb.Incident{}, err
	}
	d.changed("incident:" + inc.ID)
	return inc, nil
}

// DismissAlert dismisses the open surge alert of a cluster for actor; an
// alert decided already is storage.ErrExists, except one this actor
// dismissed, which is answered as done (no second audit entry).
func (d *Desk) DismissAlert(ctx context.Context, actor, clusterID string) error {
	err := d.Store.DecideAlert(ctx, actor, clusterID, storage.AlertOpen, storage.AlertDismissed, "", d.Now().UnixMilli())
	if errors.Is(err, storage.ErrExists) {
		if a, aerr := d.Store.Alert(ctx, clusterID); aerr == nil && a.Status == storage.AlertDismissed && a.DecidedBy == actor {
			return nil
		}
	}
	return err
}

// SweepAlerts resolves the open alerts whose cluster closed or went idle
// (no inquiry for the idle window): the surge is over. Any instance may
// run it; it is idempotent.
func (d *Desk) SweepAlerts(ctx context.Context) ([]string, error) {
	now := d.Now()
	return d.Store.ResolveIdleAlerts(ctx, now.Add(-d.IdleWindow).UnixMilli(), now.UnixMilli())
}

// RunAlertSweep runs SweepAlerts every interval until ctx ends.
func (d *Desk) RunAlertSweep(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if ids, err := d.SweepAlerts(ctx); err != nil && ctx.Err() == nil {
			d.Log.Warn("idle alerts not resolved", "err", err)
		} else if len(ids) > 0 {
			d.Log.Info("idle alerts resolved", "alerts", len(ids))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ClusterLabel is a cluster's name for people: its title (a real member
// text, triage.TitleOf), or its keywords when it has no text, or its id.
func ClusterLabel(c storage.Cluster) string {
	if r := triage.TitleOf(strings.Join(strings.Fields(c.Representative), " ")).Text; r != "" {
		return r
	}
	if l := strings.Join(c.Label, " "); l != "" {
		return l
	}
	return c.ID
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
