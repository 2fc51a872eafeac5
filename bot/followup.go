package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
)

// followUpStore is the part of storage follow-ups need.
type followUpStore interface {
	Incident(ctx context.Context, id string) (kb.Incident, error)
	IncidentRecipients(ctx context.Context, incidentID string, since int64, version int) ([]storage.Recipient, error)
	EnqueueDeliveries(ctx context.Context, ds []storage.Delivery) (int, error)
}

// FollowUp queues update u of an incident for every customer who was
// answered about it or whose inquiry is in a cluster linked to it: once per
// customer per update however often they wrote (storage keeps that unique
// across instances), in their locale, to the channel of their latest
// inquiry. It returns how many were newly queued.
func FollowUp(ctx context.Context, store followUpStore, incidentID string, u kb.Update) (int, error) {
	inc, err := store.Incident(ctx, incidentID)
	if err != nil {
		return 0, fmt.Errorf("bot: follow-up of incident %s: %w", incidentID, err)
	}
	// Customers from around the incident's start on: a cluster kept open
	// for weeks must not make everyone who ever wrote in it a recipient.
	recipients, err := store.IncidentRecipients(ctx, incidentID, inc.StartedAt.Add(-time.Hour).UnixMilli(), u.Version)
	if err != nil {
		return 0, fmt.Errorf("bot: follow-up of incident %s: %w", incidentID, err)
	}
	if len(recipients) == 0 {
		return 0, nil
	}
	texts := map[string]string{} // by locale: rendered once each
	ds := make([]storage.Delivery, 0, len(recipients))
	for _, r := range recipients {
		locale := kb.Locale(r.Locale)
		if _, ok := texts[locale]; !ok {
			texts[locale] = kb.FollowUpText(inc, u, locale)
		}
		ds = append(ds, storage.Delivery{Kind: "followup", InquiryID: r.InquiryID, CustomerKey: r.CustomerKey,
			IncidentID: incidentID, UpdateVersion: u.Version, URL: r.ReplyURL, Source: r.Source,
			Locale: locale, Text: texts[locale]})
	}
	n, err := store.EnqueueDeliveries(ctx, ds)
	if err != nil {
		return 0, fmt.Errorf("bot: follow-up of incident %s: %w", incidentID, err)
	}
	return n, nil
}
