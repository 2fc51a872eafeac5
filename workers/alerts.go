package workers

import (
	"context"
	"time"

	"github.com/surgedesk/surgedesk/storage"
)

// raiseSurges raises a possible incident for every cluster of the newly
// stored rows that grows at least SurgePerMinute with SurgeMinCustomers
// distinct customers. SQL keeps it to one alert per cluster, and to none
// for a cluster already linked to an incident.
func (s *Ingest) raiseSurges(ctx context.Context, rows []storage.Inquiry, inserted map[string]bool) {
	if s.opts.SurgePerMinute <= 0 {
		return
	}
	samples := map[string][]string{}
	for _, r := range rows {
		if inserted[r.ID] && r.ClusterID != "" && len(samples[r.ClusterID]) < 3 {
			samples[r.ClusterID] = append(samples[r.ClusterID], r.Text)
		}
	}
	for id, texts := range samples {
		if s.alerted[id] {
			continue
		}
		c, ok := s.clusters.Cluster(id)
		if !ok || c.PerMinute < s.opts.SurgePerMinute || c.Customers < s.opts.SurgeMinCustomers {
			continue
		}
		actx, cancel := context.WithTimeout(ctx, s.callTimeout())
		raised, err := s.db.RaiseAlert(actx, storage.Alert{ClusterID: id, RaisedAt: time.Now().UnixMilli(), PerMinute: c.PerMinute,
			Inquiries: int64(c.Count), Customers: int64(c.Customers), Label: c.Label, Representative: c.Representative, Samples: texts})
		cancel()
		if err != nil {
			s.log.Warn("surge alert not raised", "cluster", id, "err", err)
			continue
		}
		s.alerted[id] = true // raised now, before, or linked: no need to ask again
		if raised {
			s.log.Warn("possible incident: cluster surging with no incident linked", "cluster", id,
				"per_minute", c.PerMinute, "customers", c.Customers, "label", c.Label)
		}
	}
}
