package workers

import (
	"context"
	"slices"

	"github.com/surgedesk/surgedesk/kb"

	"github.com/surgedesk/surgedesk/storage"
)

// queueReplies queues the instant answer of every answered row that has a
// reply_url, and an agent's reply to the row's cluster if there is one, so
// that the sender POSTs them there too (the 202 went to the
// source, not to the customer's channel). Queuing is idempotent per
// inquiry; on failure the caller leaves the messages unacknowledged, and
// their redelivery (already stored) queues again.
func (s *Ingest) queueReplies(ctx context.Context, rows []storage.Inquiry) error {
	var ds []storage.Delivery
	for _, r := range rows {
		if r.AnswerID == "" || r.ReplyURL == "" || r.AnswerText == "" {
			continue
		}
		ds = append(ds, storage.Delivery{Kind: storage.KindAnswer, InquiryID: r.ID, CustomerKey: r.CustomerKey(),
			IncidentID: r.IncidentID, UpdateVersion: int(r.UpdateVersion), URL: r.ReplyURL, Source: r.Source,
			Locale: r.Locale, Text: r.AnswerText})
	}
	ctx, cancel := context.WithTimeout(ctx, s.callTimeout())
	defer cancel()
	ds = append(ds, s.catchUp(ctx, ds)...)
	replies, err := s.lateReplies(ctx, rows)
	if err != nil {
		s.log.Error("cluster replies not read; redelivery will retry", "err", err)
		return err
	}
	ds = append(ds, replies...)
	if len(ds) == 0 {
		return nil
	}
	if _, err := s.db.EnqueueDeliveries(ctx, ds); err != nil {
		s.log.Error("answers not queued for their reply_url; redelivery will retry", "count", len(ds), "err", err)
		return err
	}
	if s.opts.Kick != nil {
		s.opts.Kick()
	}
	return nil
}

// catchUp covers an answer given from an update that was superseded while
// the inquiry was on its way to storage: the follow-up for the newer update
// went out before this customer was a recipient, so it is queued now (the
// follow-up's unique key keeps it to one).
func (s *Ingest) catchUp(ctx context.Context, answers []storage.Delivery) []storage.Delivery {
	incidents := map[string]kb.Incident{}
	var out []storage.Delivery
	for _, a := range answers {
		if a.IncidentID == "" {
			continue
		}
		inc, ok := incidents[a.IncidentID]
		if !ok {
			var err error
			if inc, err = s.db.Incident(ctx, a.IncidentID); err != nil {
				continue // the answer still goes; the next update reaches them anyway
			}
			incidents[a.IncidentID] = inc
		}
		latest := inc.Latest()
		if latest.Version <= a.UpdateVersion {
			continue
		}
		out = append(out, storage.Delivery{Kind: storage.KindFollowup, InquiryID: a.InquiryID, CustomerKey: a.CustomerKey,
			IncidentID: a.IncidentID, UpdateVersion: latest.Version, URL: a.URL, Source: a.Source, Locale: a.Locale,
			Text: kb.FollowUpText(inc, latest, a.Locale)})
	}
	return out
}

// lateReplies gives a customer who joins a cluster an agent has already
// replied to that reply at once, once (the delivery's unique key is the
// reply's and the customer's), to their latest inquiry of the batch.
func (s *Ingest) lateReplies(ctx context.Context, rows []storage.Inquiry) ([]storage.Delivery, error) {
	var ids []string
	seen := map[string]bool{}
	for _, r := range rows {
		if r.ClusterID != "" && r.ReplyURL != "" && !seen[r.ClusterID] {
			seen[r.ClusterID] = true
			ids = append(ids, r.ClusterID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	replies, err := s.db.ClusterReplies(ctx, ids)
	if err != nil || len(replies) == 0 {
		return nil, err
	}
	var out []storage.Delivery
	for _, r := range slices.Backward(rows) { // the latest first: the first of a key is kept
		if reply, ok := replies[r.ClusterID]; ok && r.ReplyURL != "" {
			out = append(out, reply.Delivery(r))
		}
	}
	return out, nil
}
