package desk

import (
	"context"
	"fmt"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/workers"
)

// followUpStore is what queuing follow-ups needs (workers.FollowUp).
type followUpStore interface {
	IncidentRecipients(ctx context.Context, incidentID string, since int64, version int) ([]storage.Recipient, error)
	EnqueueDeliveries(ctx context.Context, ds []storage.Delivery) (int, error)
	FollowUpsQueued(ctx context.Context, incidentID string, version int) error
}

// DeclareIncident creates an incident for actor (a manager) and tells
// every instance's knowledge base.
func (d *Desk) DeclareIncident(ctx context.Context, actor string, inc kb.Incident) (kb.Incident, error) {
	created, err := d.Store.CreateIncident(ctx, actor, inc)
	if err != nil {
		return kb.Incident{}, err
	}
	d.changed("incident:" + created.ID)
	return created, nil
}

// Updated is what an incident update did.
type Updated struct {
	kb.Update
	// Closed are the clusters a resolving update closed; nil when the
	// update does not resolve or closing failed (logged: the incident's
	// clusters then close when idle).
	Closed []string
}

// UpdateIncident adds a status update to an incident for actor (a
// manager). Its follow-ups are recorded as owed in the update's own
// transaction and queued in the background: queuing for every customer of
// a big incident takes seconds, which neither Slack (three seconds) nor an
// HTTP client should wait for, and the outbox queues them anyway if this
// process stops first. A resolving update closes the incident's clusters,
// so that later inquiries start afresh.
func (d *Desk) UpdateIncident(ctx context.Context, actor, incidentID string, u kb.Update) (Updated, error) {
	added, err := d.Store.AddIncidentUpdate(ctx, actor, incidentID, u)
	if err != nil {
		return Updated{}, err
	}
	// Committed: what follows must happen even if the caller goes away.
	ctx = context.WithoutCancel(ctx)
	d.changed("incident:" + incidentID)
	d.background.Go(func() { d.followUp(ctx, incidentID, added) })
	out := Updated{Update: added}
	if added.Status == kb.Resolved {
		out.Closed = d.closeClusters(ctx, incidentID)
	}
	return out, nil
}

func (d *Desk) followUp(ctx context.Context, incidentID string, u kb.Update) {
	n, err := workers.FollowUp(ctx, d.followUps(), incidentID, u)
	if err != nil {
		// The update recorded them as owed: RunFollowUpOwed queues them.
		d.Log.Warn("follow-ups not queued now; owed, and queued within a minute", "incident", incidentID, "version", u.Version, "err", err)
		return
	}
	d.Log.Info("follow-ups queued", "incident", incidentID, "version", u.Version, "customers", n)
	d.Kick()
}

// followUps adapts the Store to workers.FollowUp's interface.
func (d *Desk) followUps() interface {
	Incident(ctx context.Context, id string) (kb.Incident, error)
	followUpStore
} {
	return d.Store
}

// closeClusters closes an incident's clusters in SQL and on every instance.
func (d *Desk) closeClusters(ctx context.Context, incidentID string) []string {
	ids, err := d.Store.CloseClustersOfIncident(ctx, incidentID)
	if err != nil {
		d.Log.Error("closing the clusters of a resolved incident", "incident", incidentID, "err", err)
		return nil
	}
	d.closed(ids)
	if ids == nil {
		ids = []string{}
	}
	return ids
}

// CreateAnswer adds a prepared answer for actor and tells every instance.
func (d *Desk) CreateAnswer(ctx context.Context, actor string, a kb.Answer) (kb.Answer, error) {
	created, err := d.Store.CreateAnswer(ctx, actor, a)
	if err != nil {
		return kb.Answer{}, err
	}
	d.changed("answer:" + created.ID)
	return created, nil
}

// UpdateAnswer replaces a prepared answer for actor and tells every instance.
func (d *Desk) UpdateAnswer(ctx context.Context, actor string, a kb.Answer) (kb.Answer, error) {
	updated, err := d.Store.UpdateAnswer(ctx, actor, a)
	if err != nil {
		return kb.Answer{}, err
	}
	d.changed("answer:" + a.ID)
	return updated, nil
}

// ImportKB imports a knowledge-base document for actor, tells every
// instance, and closes the clusters of the incidents it resolves (closing
// is idempotent).
func (d *Desk) ImportKB(ctx context.Context, actor string, doc kb.Document) error {
	if err := d.Store.ImportKB(ctx, actor, doc); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	d.changed("kb")
	for _, inc := range doc.Incidents {
		if inc.Status == kb.Resolved {
			d.closeClusters(ctx, inc.ID)
		}
	}
	return nil
}

// incident checks that an incident named by an action exists.
func (d *Desk) incident(ctx context.Context, id string) (kb.Incident, error) {
	inc, err := d.Store.Incident(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return kb.Incident{}, fmt.Errorf("desk: incident %s: %w", id, ErrNoIncident)
		}
		return kb.Incident{}, err
	}
	return inc, nil
}
