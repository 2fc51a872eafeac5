package workers

import (
	"context"

	"github.com/surgedesk/surgedesk/storage"
)

// sendAnswers queues the instant answer of every answered row that has a
// reply_url, so that the sender POSTs it there too (the 202 went to the
// source, not to the customer's channel). Queuing is idempotent per
// inquiry; on failure the caller leaves the messages unacknowledged, and
// their redelivery (already stored) queues again.
func (s *Store) sendAnswers(ctx context.Context, rows []storage.Inquiry) error {
	var ds []storage.Delivery
	for _, r := range rows {
		if r.AnswerID == "" || r.ReplyURL == "" || r.AnswerText == "" {
			continue
		}
		ds = append(ds, storage.Delivery{Kind: "answer", InquiryID: r.ID, CustomerKey: r.CustomerKey(),
			IncidentID: r.IncidentID, UpdateVersion: int(r.UpdateVersion), URL: r.ReplyURL, Source: r.Source,
			Locale: r.Locale, Text: r.AnswerText})
	}
	if len(ds) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.callTimeout())
	defer cancel()
	if _, err := s.db.EnqueueDeliveries(ctx, ds); err != nil {
		s.log.Error("answers not queued for their reply_url; redelivery will retry", "count", len(ds), "err", err)
		return err
	}
	if s.opts.Kick != nil {
		s.opts.Kick()
	}
	return nil
}
