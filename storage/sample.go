package storage

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
)

// ClusterSamples returns the newest perCluster members of each of
// clusterIDs, newest first: what the queue shows of the items it shows.
// Each cluster costs one bounded range of the (cluster_id, received_at)
// index, so the read grows with the items shown, not with the inquiries
// stored.
func (s *Storage) ClusterSamples(ctx context.Context, clusterIDs []string, perCluster int) (map[string][]Inquiry, error) {
	out := map[string][]Inquiry{}
	if perCluster < 1 || len(clusterIDs) == 0 {
		return out, nil
	}
	var q string
	var args []any
	var err error
	if s.postgres {
		q, args, err = sqlx.In(`SELECT s.* FROM clusters c CROSS JOIN LATERAL (
				SELECT `+inquiryColumns+` FROM inquiries x WHERE x.cluster_id = c.id ORDER BY x.received_at DESC, x.id DESC LIMIT ?
			) s WHERE c.id IN (?)`, perCluster, clusterIDs)
	} else {
		// SQLite has no LATERAL: the perCluster-th newest time bounds each
		// cluster's index range instead.
		q, args, err = sqlx.In(`SELECT `+inquiryColumns+` FROM inquiries WHERE rowid IN (
			SELECT i.rowid FROM clusters c JOIN inquiries i
				ON i.cluster_id = c.id AND i.received_at >= COALESCE((SELECT x.received_at FROM inquiries x
					WHERE x.cluster_id = c.id ORDER BY x.received_at DESC LIMIT 1 OFFSET ?), 0)
			WHERE c.id IN (?))`, perCluster-1, clusterIDs)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	var rows []Inquiry
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("storage: unable to load cluster samples: %w", err)
	}
	for _, r := range rows {
		out[r.ClusterID] = append(out[r.ClusterID], r)
	}
	for id, ms := range out {
		slices.SortFunc(ms, func(a, b Inquiry) int {
			return cmp.Or(cmp.Compare(b.ReceivedAt, a.ReceivedAt), cmp.Compare(b.ID, a.ID))
		})
		out[id] = ms[:min(len(ms), perCluster)]
	}
	return out, nil
}
