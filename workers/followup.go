package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
)

// followUpStore is the part of storage follow-ups need.
type followUpStore interface {
	Incident(ctx context.Context, id string) (kb.Incident, error)
	IncidentRecipients(ctx context.Context, incidentID string, since int64, version int) ([]storage.Recipient, error)
	EnqueueDeliveries(ctx context.Context, ds []storage.Delivery) (int, error)
	FollowUpsQueued(ctx context.Context, incidentID string, version int) error
}

// FollowUp queues update u of an incident for every customer who was
// answered about it or whose inquiry is in a cluster linked to it: once per
// customer per update however often they wrote (storage keeps that unique
// across instances), in their locale, to the channel of their latest
// inquiry. It returns how many were newly queued.
func FollowUp(ctx context.Context, store followUpStore, incidentID string, u kb.Update) (int, error) {
	inc, err := store.Incident(ctx, incidentID)
	if err != nil {
		return 0, fmt.Errorf("workers: follow-up of incident %s: %w", incidentID, err)
	}
	// Customers from around the incident's start on: a cluster kept open
	// for weeks must not make everyone who ever wrote in it a recipient.
	recipients, err := store.IncidentRecipients(ctx, incidentID, inc.StartedAt.Add(-time.Hour).UnixMilli(), u.Version)
	if err != nil {
		return 0, fmt.Errorf("workers: follow-up of incident %s: %w", incidentID, err)
	}
	if len(recipients) == 0 {
		return 0, queued(ctx, store, incidentID, u.Version)
	}
	texts := map[string]string{} // by locale: rendered once each
	ds := make([]storage.Delivery, 0, len(recipients))
	for _, r := range recipients {
		locale := kb.Locale(r.Locale)
		if _, ok := texts[locale]; !ok {
			texts[locale] = kb.FollowUpText(inc, u, locale)
		}
		ds = append(ds, storage.Delivery{Kind: storage.KindFollowup, InquiryID: r.InquiryID, CustomerKey: r.CustomerKey,
			IncidentID: incidentID, UpdateVersion: u.Version, URL: r.ReplyURL, Source: r.Source,
			Locale: locale, Text: texts[locale]})
	}
	n, err := store.EnqueueDeliveries(ctx, ds)
	if err != nil {
		return 0, fmt.Errorf("workers: follow-up of incident %s: %w", incidentID, err)
	}
	return n, queued(ctx, store, incidentID, u.Version)
}

// queued clears an update from the outbox once its follow-ups are queued.
// Failing to is harmless: FollowUpOwed queues them again, and the
// deliveries' unique key keeps each customer's to one.
func queued(ctx context.Context, store followUpStore, incidentID string, version int) error {
	if err := store.FollowUpsQueued(ctx, incidentID, version); err != nil {
		return fmt.Errorf("workers: follow-up of incident %s: %w", incidentID, err)
	}
	return nil
}

// owedStore is the part of storage FollowUpOwed needs.
type owedStore interface {
	followUpStore
	OwedFollowUps(ctx context.Context, before int64, limit int) ([]storage.OwedFollowUp, error)
}

// FollowUpOwed queues the follow-ups of incident updates committed before
// `before` whose follow-ups were never recorded as queued: a process that
// stopped between an update's commit and queuing them left them in the
// outbox. Any instance may run it; queuing is idempotent. It returns how
// many deliveries were newly queued.
func FollowUpOwed(ctx context.Context, store owedStore, before time.Time) (int, error) {
	owed, err := store.OwedFollowUps(ctx, before.UnixMilli(), 100)
	if err != nil {
		return 0, fmt.Errorf("workers: owed follow-ups: %w", err)
	}
	total := 0
	for _, o := range owed {
		inc, err := store.Incident(ctx, o.IncidentID)
		if errors.Is(err, storage.ErrNotFound) {
			if err := store.FollowUpsQueued(ctx, o.IncidentID, o.Version); err != nil {
				return total, fmt.Errorf("workers: owed follow-ups: %w", err)
			}
			continue
		} else if err != nil {
			return total, fmt.Errorf("workers: owed follow-ups: %w", err)
		}
		i := slices.IndexFunc(inc.Updates, func(u kb.Update) bool { return u.Version == o.Version })
		if i < 0 {
			continue
		}
		n, err := FollowUp(ctx, store, o.IncidentID, inc.Updates[i])
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// RunFollowUpOwed runs FollowUpOwed every interval until ctx ends, for
// updates older than grace (their own request is still queuing them),
// and calls kick when deliveries were queued.
func RunFollowUpOwed(ctx context.Context, store owedStore, interval, grace time.Duration, kick func(), log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := FollowUpOwed(ctx, store, time.Now().Add(-grace))
		if err != nil && ctx.Err() == nil {
			log.Warn("owed follow-ups not queued yet; retrying", "err", err)
		}
		if n > 0 {
			log.Info("owed follow-ups queued", "deliveries", n)
			kick()
		}
	}
}
