package storage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
)

// Recent counts a cluster's inquiries in the last 5 and 15 minutes.
type Recent struct {
	Last5m, Last15m int
}

// RecentCounts counts, from SQL, the inquiries of clusterIDs received in
// the 5 and 15 minutes before now (unix ms): what an instance with no
// clustering of its own (or not the one that clustered them) shows.
func (s *Storage) RecentCounts(ctx context.Context, clusterIDs []string, now int64) (map[string]Recent, error) {
	out := map[string]Recent{}
	if len(clusterIDs) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(`SELECT cluster_id, SUM(CASE WHEN received_at >= ? THEN 1 ELSE 0 END) AS last5, COUNT(*) AS last15
		FROM inquiries WHERE cluster_id IN (?) AND received_at >= ? GROUP BY cluster_id`,
		now-(5*time.Minute).Milliseconds(), clusterIDs, now-(15*time.Minute).Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	rows, err := s.db.QueryxContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to count recent inquiries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var r Recent
		if err := rows.Scan(&id, &r.Last5m, &r.Last15m); err != nil {
			return nil, fmt.Errorf("storage: unable to count recent inquiries: %w", err)
		}
		out[id] = r
	}
	return out, rows.Err()
}

// OpenRecentCounts counts, for every open cluster seen at or after since,
// its inquiries received in the 5 and 15 minutes before now (unix ms):
// one bounded index range per open cluster.
func (s *Storage) OpenRecentCounts(ctx context.Context, since, now int64) (map[string]Recent, error) {
	rows, err := s.db.QueryxContext(ctx, s.db.Rebind(`SELECT i.cluster_id, SUM(CASE WHEN i.received_at >= ? THEN 1 ELSE 0 END), COUNT(*)
		FROM clusters c JOIN inquiries i ON i.cluster_id = c.id AND i.received_at >= ?
		WHERE c.status = 'open' AND c.last_seen >= ? GROUP BY i.cluster_id`),
		now-(5*time.Minute).Milliseconds(), now-(15*time.Minute).Milliseconds(), since)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to count recent inquiries: %w", err)
	}
	defer rows.Close()
	out := map[string]Recent{}
	for rows.Next() {
		var id string
		var r Recent
		if err := rows.Scan(&id, &r.Last5m, &r.Last15m); err != nil {
			return nil, fmt.Errorf("storage: unable to count recent inquiries: %w", err)
		}
		out[id] = r
	}
	return out, rows.Err()
}

// ClusterSamples returns, for every open cluster seen at or after since,
// its newest perCluster members (a few more on a tie of received_at): what
// the queue shows. Each cluster costs one bounded range of the
// (cluster_id, received_at) index, so the read grows with the open
// clusters, not with the inquiries stored.
func (s *Storage) ClusterSamples(ctx context.Context, since int64, perCluster int) (map[string][]Inquiry, error) {
	if perCluster < 1 {
		return map[string][]Inquiry{}, nil
	}
	var rows []Inquiry
	var err error
	if s.postgres {
		err = s.db.SelectContext(ctx, &rows, `SELECT s.* FROM clusters c CROSS JOIN LATERAL (
				SELECT `+inquiryColumns+` FROM inquiries x WHERE x.cluster_id = c.id ORDER BY x.received_at DESC, x.id DESC LIMIT $1
			) s WHERE c.status = 'open' AND c.last_seen >= $2`, perCluster, since)
	} else {
		// SQLite has no LATERAL: the perCluster-th newest time bounds each
		// cluster's index range instead.
		err = s.db.SelectContext(ctx, &rows, `SELECT `+inquiryColumns+` FROM inquiries WHERE rowid IN (
			SELECT i.rowid FROM clusters c JOIN inquiries i
				ON i.cluster_id = c.id AND i.received_at >= COALESCE((SELECT x.received_at FROM inquiries x
					WHERE x.cluster_id = c.id ORDER BY x.received_at DESC LIMIT 1 OFFSET ?), 0)
			WHERE c.status = 'open' AND c.last_seen >= ?)`, perCluster-1, since)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: unable to load cluster samples: %w", err)
	}
	out := map[string][]Inquiry{}
	for _, r := range rows {
		out[r.ClusterID] = append(out[r.ClusterID], r)
	}
	for id, ms := range out {
		slices.SortFunc(ms, func(a, b Inquiry) int {
			if c := cmp.Compare(b.ReceivedAt, a.ReceivedAt); c != 0 {
				return c
			}
			return cmp.Compare(b.ID, a.ID)
		})
		out[id] = ms[:min(len(ms), perCluster)]
	}
	return out, nil
}
