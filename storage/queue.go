package storage

import (
	"context"
	"fmt"
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
