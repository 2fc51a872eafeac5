package slackbot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

// boardLease is the SQL lease of the instance that drives the board: with
// several instances on one database, one posts and updates.
const boardLease = "slack-board"

// Subjects of the board's messages in storage.
func clusterSubject(id string) string { return "cluster:" + id }
func alertSubject(id string) string   { return "alert:" + id }

// boardTick is how often the board looks at the queue: twice per interval,
// so that a message is updated within one interval of its last update,
// and at least every two seconds, so that what an agent did shows soon
// (such messages are due at once).
func (a *App) boardTick() time.Duration {
	return min(max(a.Config.BoardInterval/2, 100*time.Millisecond), 2*time.Second)
}

// slackBudget bounds the retries of one message's post or update, so that a
// failing one does not hold up the others for long; the next tick tries
// again.
func (a *App) slackBudget() time.Duration {
	return min(max(a.Config.BoardInterval, time.Second), a.Config.Timeout)
}

// runBoard keeps the agents' channel in step with the queue while this
// instance holds the board's lease: one message per cluster of at least
// BoardMinInquiries among the BoardSize first by priority, updated in
// place at most once per BoardInterval when what it shows changed, and
// updated a last time without buttons once the cluster is done; and one
// message per new surge alert, updated once decided.
func (a *App) runBoard(ctx context.Context) error {
	owner := a.Owner
	if owner == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		owner = hex.EncodeToString(b[:])
	}
	tick := a.boardTick()
	ttl := max(10*tick, 5*time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	leader := false
	for {
		select {
		case <-ctx.Done():
			if leader {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
				_ = a.Store.ReleaseLease(rctx, boardLease, owner)
				cancel()
			}
			return nil
		case <-t.C:
		}
		held, err := a.Store.AcquireLease(ctx, boardLease, owner, a.Now(), ttl)
		if err != nil {
			if ctx.Err() == nil {
				a.Log.Warn("board lease", "err", err)
			}
			continue
		}
		if held != leader {
			a.Log.Info("Slack board", "leader", held, "owner", owner)
			leader = held
		}
		if !held {
			continue
		}
		if err := a.refreshBoard(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("board not refreshed", "err", err)
		}
	}
}

// errStopTick ends a tick early: Slack asked us to slow down.
var errStopTick = errors.New("slackbot: Slack is rate limiting the agents' channel")

// refreshBoard brings every message of the board up to date, once.
func (a *App) refreshBoard(ctx context.Context) error {
	now := a.Now()
	items, err := a.boardItems(ctx, now)
	if err != nil {
		return err
	}
	alerts, err := a.Store.Alerts(ctx, "", 50)
	if err != nil {
		return err
	}
	subjects := make([]string, 0, len(items)+len(alerts))
	for _, it := range items {
		subjects = append(subjects, clusterSubject(it.ID))
	}
	for _, al := range alerts {
		subjects = append(subjects, alertSubject(al.ClusterID))
	}
	msgs, err := a.Store.SlackMessages(ctx, subjects)
	if err != nil {
		return err
	}

	// The queue's clusters first, by priority: what agents need most.
	shown := map[string]bool{}
	for _, it := range items {
		subject := clusterSubject(it.ID)
		shown[subject] = true
		blocks, text := clusterBlocks(it, "", now)
		if err := a.show(ctx, msgs, subject, blocks, text, false, now); err != nil {
			return err
		}
	}
	if err := a.showAlerts(ctx, msgs, alerts, now); err != nil {
		return err
	}
	// Clusters on the board that left the queue: closed, merged or idle.
	since := now.Add(-a.idleWindow()).UnixMilli()
	for subject, m := range msgs {
		id, ok := strings.CutPrefix(subject, "cluster:")
		if !ok || shown[subject] || m.Done {
			continue
		}
		c, err := a.Store.Cluster(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			c = storage.Cluster{ID: id, Status: storage.ClusterClosed}
		} else if err != nil {
			return err
		}
		it := boardItem{QueueItem: storage.QueueItem{Cluster: c}}
		final := it.done(c.LastSeen < since)
		if final == "" {
			// Still open, out of the top BoardSize: it stays as it was
			// until it comes back or is done.
			continue
		}
		if replies, err := a.Store.ClusterReplies(ctx, []string{id}); err == nil {
			if r, ok := replies[id]; ok {
				it.Reply = &r
			}
		}
		blocks, text := clusterBlocks(it, final, now)
		if err := a.show(ctx, msgs, subject, blocks, text, true, now); err != nil {
			return err
		}
	}
	return nil
}

// boardItems reads the queue from SQL as the HTTP API's does, ordered by
// triage.Priority: the clusters of at least BoardMinInquiries, at most
// BoardSize of them, plus those already on the board and still open.
func (a *App) boardItems(ctx context.Context, now time.Time) ([]boardItem, error) {
	queue, err := a.Store.Queue(ctx, now, a.idleWindow(), 3)
	if err != nil {
		return nil, err
	}
	items := make([]boardItem, 0, len(queue))
	for _, q := range queue {
		if q.Inquiries >= int64(a.Config.BoardMinInquiries) {
			items = append(items, boardItem{QueueItem: q})
		}
	}
	if len(items) == 0 {
		return nil, nil
	}

	// Beyond the first BoardSize, only those already shown stay.
	if len(items) > a.Config.BoardSize && a.Config.BoardSize > 0 {
		rest := make([]string, 0, len(items)-a.Config.BoardSize)
		for _, it := range items[a.Config.BoardSize:] {
			rest = append(rest, clusterSubject(it.ID))
		}
		msgs, err := a.Store.SlackMessages(ctx, rest)
		if err != nil {
			return nil, err
		}
		kept := items[:a.Config.BoardSize]
		for _, it := range items[a.Config.BoardSize:] {
			if m, ok := msgs[clusterSubject(it.ID)]; ok && !m.Done && m.Channel == a.Config.AgentsChannel {
				kept = append(kept, it)
			}
		}
		items = kept
	}

	ids := make([]string, 0, len(items))
	titles := map[string]string{}
	for _, it := range items {
		ids = append(ids, it.ID)
		if it.IncidentID != "" {
			titles[it.IncidentID] = ""
		}
	}
	replies, err := a.Store.ClusterReplies(ctx, ids)
	if err != nil {
		return nil, err
	}
	for id := range titles {
		if inc, err := a.Store.Incident(ctx, id); err == nil {
			titles[id] = inc.Title("ko")
		}
	}
	for i := range items {
		if r, ok := replies[items[i].ID]; ok {
			items[i].Reply = &r
		}
		items[i].Incident = titles[items[i].IncidentID]
	}
	return items, nil
}

// showAlerts posts each new open alert once and updates the message of
// each decided one, once.
func (a *App) showAlerts(ctx context.Context, msgs map[string]storage.SlackMessage, alerts []storage.Alert, now time.Time) error {
	var decided []string
	for _, al := range alerts {
		if al.Status != storage.AlertOpen {
			decided = append(decided, al.ClusterID)
		}
	}
	decisions, err := a.Store.AlertDecisions(ctx, decided)
	if err != nil {
		return err
	}
	since := now.Add(-a.idleWindow()).UnixMilli()
	for _, al := range alerts {
		subject := alertSubject(al.ClusterID)
		m, posted := msgs[subject]
		posted = posted && m.Channel == a.Config.AgentsChannel
		switch {
		case posted && m.Done:
			continue
		case !posted && (al.Status != storage.AlertOpen || al.RaisedAt < since):
			continue // decided elsewhere, or old news
		}
		var d *storage.AlertDecision
		if dec, ok := decisions[al.ClusterID]; ok {
			d = &dec
		}
		blocks, text := alertBlocks(al, d)
		if err := a.show(ctx, msgs, subject, blocks, text, d != nil, now); err != nil {
			return err
		}
	}
	return nil
}

// show posts the message of subject or updates it in place when what it
// shows changed and its last update is at least BoardInterval old. final
// marks it done. A failure is logged and left to the next tick, unless
// Slack is rate limiting, which ends the tick.
func (a *App) show(ctx context.Context, msgs map[string]storage.SlackMessage, subject string, blocks []slack.Block,
	text string, final bool, now time.Time) error {
	m, ok := msgs[subject]
	posted := ok && m.Channel == a.Config.AgentsChannel && m.TS != ""
	d := digest(blocks)
	if posted && m.Digest == d && m.Done == final {
		return nil
	}
	if posted && now.Sub(time.UnixMilli(m.UpdatedAt)) < a.Config.BoardInterval {
		return nil // throttled: the next tick after the interval shows it
	}
	opts := []slack.MsgOption{slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false)}
	sctx, cancel := context.WithTimeout(ctx, a.slackBudget())
	defer cancel()
	var err error
	ts := m.TS
	if posted {
		err = Retry(sctx, func(ctx context.Context) (bool, error) {
			return a.Sender.Update(ctx, a.Config.AgentsChannel, ts, opts...)
		})
	} else {
		err = Retry(sctx, func(ctx context.Context) (bool, error) {
			var retry bool
			var err error
			ts, retry, err = a.Sender.Post(ctx, a.Config.AgentsChannel, "", opts...)
			return retry, err
		})
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ra *RetryAfterError
		if errors.As(err, &ra) || errors.Is(err, context.DeadlineExceeded) {
			return errors.Join(errStopTick, err)
		}
		a.Log.Warn("board message not shown", "subject", subject, "err", err)
		return nil
	}
	saved := storage.SlackMessage{Subject: subject, Channel: a.Config.AgentsChannel, TS: ts, Digest: d, Done: final,
		UpdatedAt: now.UnixMilli()}
	msgs[subject] = saved
	// Saved even if ctx ends now: a message posted and forgotten would be
	// posted again.
	sctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return a.Store.SaveSlackMessage(sctx, saved)
}

// idleWindow is how long a cluster with no new inquiry stays in the queue.
func (a *App) idleWindow() time.Duration {
	if a.IdleWindow > 0 {
		return a.IdleWindow
	}
	return triage.DefaultOptions().IdleWindow
}

// refresh makes the board show a subject's new state at its next tick,
// whatever its interval. It is best effort: the change is in SQL already
// and shows at the next interval anyway.
func (a *App) refresh(ctx context.Context, subjects ...string) {
	for _, s := range subjects {
		if err := a.Store.RefreshSlackMessage(ctx, s); err != nil {
			a.Log.Warn("board message not refreshed", "subject", s, "err", err)
		}
	}
}
