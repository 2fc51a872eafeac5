package workers

import (
	"context"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
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
	if s.problems != nil {
		s.raiseProblemSurges(ctx, rows, samples)
		return
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

// raiseProblemSurges raises one alert per surging problem: an outage
// spread over many wordings surges as a whole even when none of its
// clusters does alone. The alert names the problem's largest cluster (the
// one an agent declares the incident from) and counts the whole problem.
func (s *Ingest) raiseProblemSurges(ctx context.Context, rows []storage.Inquiry, samples map[string][]string) {
	seen := map[string]bool{}
	for _, r := range rows {
		pid := r.ProblemID
		if pid == "" || seen[pid] || s.alerted["problem:"+pid] {
			continue
		}
		seen[pid] = true
		var total triage.Cluster
		var largest triage.Cluster
		var texts []string
		for _, id := range s.problems.Clusters(pid) {
			c, ok := s.clusters.Cluster(id)
			if !ok {
				continue
			}
			total.PerMinute += c.PerMinute
			total.Count += c.Count
			total.Customers += c.Customers // an upper bound: a customer writing twice counts twice
			if c.Count > largest.Count {
				largest = c
			}
			if len(texts) < 3 {
				texts = append(texts, samples[id]...)
			}
		}
		if largest.ID == "" || total.PerMinute < s.opts.SurgePerMinute || total.Customers < s.opts.SurgeMinCustomers {
			continue
		}
		if len(texts) > 3 {
			texts = texts[:3]
		}
		title := largest.Representative
		if t, ok := s.problems.ProblemTitle(pid); ok && t.Text != "" {
			title = t.Text
		}
		actx, cancel := context.WithTimeout(ctx, s.callTimeout())
		// An agent's name for the problem wins; read only as an alert is
		// raised, which is rare.
		if p, err := s.db.Problem(actx, pid); err == nil && p.NamedBy != "" {
			title = p.Title
		}
		raised, err := s.db.RaiseAlert(actx, storage.Alert{ClusterID: largest.ID, RaisedAt: time.Now().UnixMilli(), PerMinute: total.PerMinute,
			Inquiries: int64(total.Count), Customers: int64(total.Customers), Label: largest.Label, Representative: title, Samples: texts})
		cancel()
		if err != nil {
			s.log.Warn("surge alert not raised", "problem", pid, "err", err)
			continue
		}
		s.alerted["problem:"+pid] = true // one alert per problem, whichever cluster grows next
		if raised {
			s.log.Warn("possible incident: problem surging with no incident linked", "problem", pid, "cluster", largest.ID,
				"per_minute", total.PerMinute, "customers", total.Customers, "title", title)
		}
	}
}
