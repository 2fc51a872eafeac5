package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Cluster statuses.
const (
	ClusterOpen   = "open"
	ClusterClosed = "closed"
)

// Cluster is a group of inquiries about one problem.
type Cluster struct {
	ID             string   `db:"id"`
	Representative string   `db:"representative"`
	Label          []string `db:"-"`
	LabelJSON      string   `db:"label"`
	Inquiries      int64    `db:"inquiries"`
	Customers      int64    `db:"customers"`
	FirstSeen      int64    `db:"first_seen"` // unix milliseconds
	LastSeen       int64    `db:"last_seen"`  // unix milliseconds
	Status         string   `db:"status"`
}

const clusterColumns = `id, representative, label, inquiries, customers, first_seen, last_seen, status`

// countInClusters adds the newly inserted rows of batch to their clusters.
func (s *Storage) countInClusters(ctx context.Context, tx *sqlx.Tx, batch []Inquiry, inserted map[string]bool, clusters []Cluster) error {
	type delta struct {
		n           int64
		first, last int64
		customers   map[string]bool
	}
	deltas := map[string]*delta{}
	for _, in := range batch {
		if in.ClusterID == "" || !inserted[in.ID] {
			continue
		}
		d := deltas[in.ClusterID]
		if d == nil {
			d = &delta{first: in.ReceivedAt, last: in.ReceivedAt, customers: map[string]bool{}}
			deltas[in.ClusterID] = d
		}
		d.n++
		d.first, d.last = min(d.first, in.ReceivedAt), max(d.last, in.ReceivedAt)
		d.customers[in.CustomerKey()] = true
	}
	if len(deltas) == 0 {
		return nil
	}
	known := map[string]Cluster{}
	for _, c := range clusters {
		known[c.ID] = c
	}
	ids := make([]string, 0, len(deltas))
	for id := range deltas {
		ids = append(ids, id)
	}
	sort.Strings(ids) // a fixed lock order across instances
	for _, id := range ids {
		d, c := deltas[id], known[id]
		label, _ := json.Marshal(c.Label)
		if c.Label == nil {
			label = []byte("[]")
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO clusters (id, representative, label, inquiries, customers, first_seen, last_seen, status)
			VALUES (?, ?, ?, ?, 0, ?, ?, 'open')
			ON CONFLICT (id) DO UPDATE SET
				inquiries = clusters.inquiries + excluded.inquiries,
				first_seen = CASE WHEN excluded.first_seen < clusters.first_seen THEN excluded.first_seen ELSE clusters.first_seen END,
				last_seen = CASE WHEN excluded.last_seen > clusters.last_seen THEN excluded.last_seen ELSE clusters.last_seen END,
				representative = CASE WHEN excluded.representative <> '' THEN excluded.representative ELSE clusters.representative END,
				label = CASE WHEN excluded.label <> '[]' THEN excluded.label ELSE clusters.label END`),
			id, c.Representative, string(label), d.n, d.first, d.last)
		if err != nil {
			return fmt.Errorf("storage: unable to count inquiries in cluster %s: %w", id, err)
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO cluster_customers (cluster_id, customer_key) VALUES `)
		args := make([]any, 0, 2*len(d.customers))
		i := 0
		for key := range d.customers {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?, ?)")
			args = append(args, id, key)
			i++
		}
		q.WriteString(" ON CONFLICT DO NOTHING RETURNING customer_key")
		var added []string
		if err := tx.SelectContext(ctx, &added, tx.Rebind(q.String()), args...); err != nil {
			return fmt.Errorf("storage: unable to count customers in cluster %s: %w", id, err)
		}
		if len(added) > 0 {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE clusters SET customers = customers + ? WHERE id = ?`), len(added), id); err != nil {
				return fmt.Errorf("storage: unable to count customers in cluster %s: %w", id, err)
			}
		}
	}
	return nil
}

func (c *Cluster) decode() {
	c.Label = []string{}
	_ = json.Unmarshal([]byte(c.LabelJSON), &c.Label)
}

// Cluster returns one cluster by id.
func (s *Storage) Cluster(ctx context.Context, id string) (Cluster, error) {
	var c Cluster
	err := s.db.GetContext(ctx, &c, s.db.Rebind(`SELECT `+clusterColumns+` FROM clusters WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Cluster{}, ErrNotFound
	}
	if err != nil {
		return Cluster{}, fmt.Errorf("storage: unable to load cluster %s: %w", id, err)
	}
	c.decode()
	return c, nil
}

// OpenClusters returns the open clusters seen at or after since (unix
// milliseconds), largest first.
func (s *Storage) OpenClusters(ctx context.Context, since int64, limit int) ([]Cluster, error) {
	var cs []Cluster
	err := s.db.SelectContext(ctx, &cs, s.db.Rebind(`SELECT `+clusterColumns+` FROM clusters
		WHERE status = 'open' AND last_seen >= ? ORDER BY inquiries DESC, last_seen DESC, id LIMIT ?`), since, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to list clusters: %w", err)
	}
	for i := range cs {
		cs[i].decode()
	}
	return cs, nil
}

// InquiriesByCluster returns up to limit members of a cluster, newest first.
func (s *Storage) InquiriesByCluster(ctx context.Context, clusterID string, limit int) ([]Inquiry, error) {
	var ins []Inquiry
	err := s.db.SelectContext(ctx, &ins, s.db.Rebind(`SELECT `+inquiryColumns+` FROM inquiries
		WHERE cluster_id = ? ORDER BY received_at DESC, id LIMIT ?`), clusterID, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to list inquiries of cluster %s: %w", clusterID, err)
	}
	return ins, nil
}

// RecentClusterMembers returns, for every open cluster seen at or after
// since, up to perCluster of its newest members: what a restarting
// instance rebuilds its clustering index from.
func (s *Storage) RecentClusterMembers(ctx context.Context, since int64, perCluster int) (map[string][]Inquiry, error) {
	type row struct {
		Inquiry
		Rank int64 `db:"rank"`
	}
	var rows []row
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT * FROM (
		SELECT `+inquiryColumns+`, ROW_NUMBER() OVER (PARTITION BY cluster_id ORDER BY received_at DESC, id) AS rank
		FROM inquiries
		WHERE cluster_id IN (SELECT id FROM clusters WHERE status = 'open' AND last_seen >= ?)
	) ranked WHERE rank <= ?`), since, perCluster)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to load cluster members: %w", err)
	}
	out := map[string][]Inquiry{}
	for _, r := range rows {
		out[r.ClusterID] = append(out[r.ClusterID], r.Inquiry)
	}
	return out, nil
}
