package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Cluster statuses.
const (
	ClusterOpen   = "open"
	ClusterClosed = "closed"
	ClusterMerged = "merged" // merged into the cluster MergedInto names
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
	IncidentID     string   `db:"incident_id"` // the incident its members are about, once known
	ClaimedBy      string   `db:"claimed_by"`  // the agent holding it, while ClaimedUntil is ahead
	ClaimedUntil   int64    `db:"claimed_until"`
	MergedInto     string   `db:"merged_into"` // set once an agent merged it into another
	ProblemID      string   `db:"problem_id"`  // the problem it is grouped in (storage/problem.go)
	Urgent         bool     `db:"urgent"`      // a member mentions money, fraud, hacking or privacy
	// Placement, when set on a cluster handed to StoreInquiries, puts the
	// cluster in that problem in the same transaction.
	Placement *Problem `db:"-"`
}

const clusterColumns = `id, representative, label, inquiries, customers, first_seen, last_seen, status,
	COALESCE(incident_id, '') AS incident_id, COALESCE(claimed_by, '') AS claimed_by, COALESCE(claimed_until, 0) AS claimed_until,
	COALESCE(merged_into, '') AS merged_into, COALESCE(problem_id, '') AS problem_id, urgent`

// countInClusters adds the newly inserted rows of batch to their clusters
// in two statements, whatever the number of clusters: one records the
// distinct customers (returning those new to their cluster), one upserts
// every cluster with its increments.
func (s *Storage) countInClusters(ctx context.Context, tx *sqlx.Tx, batch []Inquiry, inserted map[string]bool, clusters []Cluster) error {
	type delta struct {
		n, customers int64
		first, last  int64
		incident     string // an incident its new members were answered about
		urgent       int
	}
	type pair struct{ cluster, customer string }
	deltas := map[string]*delta{}
	pairs := map[pair]bool{}
	counted := make(map[string]bool, len(batch))
	for _, in := range batch {
		if in.ClusterID == "" || !inserted[in.ID] || counted[in.ID] {
			continue
		}
		counted[in.ID] = true
		d := deltas[in.ClusterID]
		if d == nil {
			d = &delta{first: in.ReceivedAt, last: in.ReceivedAt}
			deltas[in.ClusterID] = d
		}
		d.n++
		d.first, d.last = min(d.first, in.ReceivedAt), max(d.last, in.ReceivedAt)
		if in.IncidentID != "" {
			d.incident = in.IncidentID
		}
		if in.Urgent {
			d.urgent = 1
		}
		pairs[pair{in.ClusterID, in.CustomerKey()}] = true
	}
	if len(deltas) == 0 {
		return nil
	}

	// Rows in a fixed order: two instances locking the same rows in
	// opposite orders would deadlock on PostgreSQL.
	ordered := make([]pair, 0, len(pairs))
	for p := range pairs {
		ordered = append(ordered, p)
	}
	sort.Slice(ordered, func(i, j int) bool {
		if ordered[i].cluster != ordered[j].cluster {
			return ordered[i].cluster < ordered[j].cluster
		}
		return ordered[i].customer < ordered[j].customer
	})
	var q strings.Builder
	args := make([]any, 0, 9*min(len(pairs), maxStatementRows))
	for chunk := range slices.Chunk(ordered, maxStatementRows) {
		q.Reset()
		q.WriteString(`INSERT INTO cluster_customers (cluster_id, customer_key) VALUES `)
		args = args[:0]
		for _, p := range chunk {
			if len(args) > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?, ?)")
			args = append(args, p.cluster, p.customer)
		}
		q.WriteString(" ON CONFLICT DO NOTHING RETURNING cluster_id")
		var added []string
		if err := tx.SelectContext(ctx, &added, tx.Rebind(q.String()), args...); err != nil {
			return fmt.Errorf("storage: unable to count cluster customers: %w", err)
		}
		for _, id := range added {
			deltas[id].customers++
		}
	}

	known := map[string]Cluster{}
	for _, c := range clusters {
		known[c.ID] = c
	}
	ids := make([]string, 0, len(deltas))
	for id := range deltas {
		ids = append(ids, id)
	}
	sort.Strings(ids) // one lock order across instances
	for chunk := range slices.Chunk(ids, maxStatementRows) {
		q.Reset()
		q.WriteString(`INSERT INTO clusters (id, representative, label, inquiries, customers, first_seen, last_seen, status, incident_id, urgent) VALUES `)
		args = args[:0]
		for i, id := range chunk {
			d, c := deltas[id], known[id]
			label := []byte("[]")
			if len(c.Label) > 0 {
				label, _ = json.Marshal(c.Label)
			}
			if i > 0 {
				q.WriteString(",")
			}
			// Linked only to an incident still active: an answer given before a
			// resolve but stored after it must not tie a new cluster to it.
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, 'open', (SELECT id FROM incidents WHERE id = ? AND status <> 'resolved'), ?)")
			args = append(args, id, c.Representative, string(label), d.n, d.customers, d.first, d.last, d.incident, d.urgent)
		}
		q.WriteString(` ON CONFLICT (id) DO UPDATE SET
		inquiries = clusters.inquiries + excluded.inquiries,
		customers = clusters.customers + excluded.customers,
		first_seen = CASE WHEN excluded.first_seen < clusters.first_seen THEN excluded.first_seen ELSE clusters.first_seen END,
		last_seen = CASE WHEN excluded.last_seen > clusters.last_seen THEN excluded.last_seen ELSE clusters.last_seen END,
		representative = CASE WHEN excluded.representative <> '' THEN excluded.representative ELSE clusters.representative END,
		label = CASE WHEN excluded.label <> '[]' THEN excluded.label ELSE clusters.label END,
		incident_id = COALESCE(clusters.incident_id, excluded.incident_id),
		urgent = CASE WHEN excluded.urgent > clusters.urgent THEN excluded.urgent ELSE clusters.urgent END`)
		if _, err := tx.ExecContext(ctx, tx.Rebind(q.String()), args...); err != nil {
			return fmt.Errorf("storage: unable to count inquiries in clusters: %w", err)
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
	// Ranked on the (cluster_id, received_at) index alone; whole rows are
	// read only for the members kept.
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+inquiryColumns+`, 0 AS rank FROM inquiries WHERE id IN (
		SELECT id FROM (
			SELECT id, ROW_NUMBER() OVER (PARTITION BY cluster_id ORDER BY received_at DESC) AS rank
			FROM inquiries
			WHERE cluster_id IN (SELECT id FROM clusters WHERE status = 'open' AND last_seen >= ?)
		) ranked WHERE rank <= ?)
		ORDER BY cluster_id, received_at DESC, id`), since, perCluster)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to load cluster members: %w", err)
	}
	out := map[string][]Inquiry{}
	for _, r := range rows {
		out[r.ClusterID] = append(out[r.ClusterID], r.Inquiry)
	}
	return out, nil
}

// ErrClaimed is returned when another agent holds a cluster's claim.
var ErrClaimed = errors.New("storage: claimed by another agent")

// ClaimedError is ErrClaimed naming the holder.
type ClaimedError struct {
	ClusterID string
	Holder    string
	Until     int64 // unix ms
}

func (e *ClaimedError) Error() string {
	return fmt.Sprintf("storage: cluster %s is claimed by %s", e.ClusterID, e.Holder)
}

func (e *ClaimedError) Unwrap() error { return ErrClaimed }

// claimFree is the condition that no other agent's live claim holds a
// cluster; its arguments are now (unix ms) and the acting agent.
const claimFree = `(claimed_by IS NULL OR claimed_until < ? OR claimed_by = ?)`

// clusterStateRow is what explains why a guarded UPDATE changed nothing.
type clusterStateRow struct {
	Status       string `db:"status"`
	ClaimedBy    string `db:"claimed_by"`
	ClaimedUntil int64  `db:"claimed_until"`
	IncidentID   string `db:"incident_id"`
}

// heldBy is the other agent whose live claim holds the cluster, or "".
func (c clusterStateRow) heldBy(agent string, now int64) string {
	if c.ClaimedBy != "" && c.ClaimedBy != agent && c.ClaimedUntil >= now {
		return c.ClaimedBy
	}
	return ""
}

func claimedError(clusterID string, c clusterStateRow) error {
	return &ClaimedError{ClusterID: clusterID, Holder: c.ClaimedBy, Until: c.ClaimedUntil}
}

// clusterState reads a cluster's state in tx; no cluster is ErrNotFound.
func clusterState(ctx context.Context, tx *sqlx.Tx, clusterID string) (clusterStateRow, error) {
	var c clusterStateRow
	err := tx.GetContext(ctx, &c, tx.Rebind(`SELECT status, COALESCE(claimed_by, '') AS claimed_by,
		COALESCE(claimed_until, 0) AS claimed_until, COALESCE(incident_id, '') AS incident_id FROM clusters WHERE id = ?`), clusterID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("storage: no cluster %s: %w", clusterID, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("storage: unable to read cluster %s: %w", clusterID, err)
	}
	return c, nil
}

// LinkCluster records, for actor, that a cluster's members are about an
// incident, and resolves the cluster's open alert (the incident is known).
// Linking to the incident it is linked to already changes nothing and
// audits nothing; another agent's live claim is ErrClaimed.
func (s *Storage) LinkCluster(ctx context.Context, actor, clusterID, incidentID string) error {
	now := time.Now().UnixMilli()
	return s.guardedChange(ctx, actor, "cluster.link", clusterID, map[string]string{"incident_id": incidentID},
		func(c clusterStateRow) bool { return c.Status != ClusterMerged && c.IncidentID == incidentID },
		func(ctx context.Context, tx *sqlx.Tx) error {
			return resolveAlerts(ctx, tx, actor, "linked", incidentID, now, clusterID)
		},
		`UPDATE clusters SET incident_id = ? WHERE id = ? AND status <> 'merged' AND (incident_id IS NULL OR incident_id <> ?) AND `+claimFree,
		incidentID, clusterID, incidentID, now, actor)
}

// ClaimCluster gives agent an open cluster until until (unix ms): a lease
// no other agent can take before it expires (ClaimedError names the
// holder); the holder may renew it.
func (s *Storage) ClaimCluster(ctx context.Context, agent, clusterID string, now, until int64) error {
	err := s.changeCluster(ctx, agent, "cluster.claim", clusterID, map[string]int64{"until": until},
		`UPDATE clusters SET claimed_by = ?, claimed_until = ? WHERE id = ? AND status = 'open' AND `+claimFree,
		agent, until, clusterID, now, agent)
	if errors.Is(err, ErrNotFound) {
		if c, cerr := s.Cluster(ctx, clusterID); cerr == nil {
			if c.Status != ClusterOpen {
				return fmt.Errorf("storage: cluster %s is %s: %w", clusterID, c.Status, ErrNotFound)
			}
			return &ClaimedError{ClusterID: clusterID, Holder: c.ClaimedBy, Until: c.ClaimedUntil}
		}
	}
	return err
}

// TakeOverCluster gives manager an open cluster until until (unix ms),
// whoever holds it; the audit entry names the previous holder.
func (s *Storage) TakeOverCluster(ctx context.Context, manager, clusterID string, now, until int64) (previous string, err error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	// The UPDATE first: on PostgreSQL it holds the row until the commit.
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE clusters SET claimed_until = claimed_until WHERE id = ? AND status = 'open'`), clusterID)
	if err != nil {
		return "", fmt.Errorf("storage: unable to take over cluster %s: %w", clusterID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", fmt.Errorf("storage: cluster %s: %w", clusterID, ErrNotFound)
	}
	c, err := clusterState(ctx, tx, clusterID)
	if err != nil {
		return "", err
	}
	if c.ClaimedUntil >= now {
		previous = c.ClaimedBy
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE clusters SET claimed_by = ?, claimed_until = ? WHERE id = ?`), manager, until, clusterID); err != nil {
		return "", fmt.Errorf("storage: unable to take over cluster %s: %w", clusterID, err)
	}
	if err := addAudit(ctx, tx, manager, "cluster.takeover", "cluster:"+clusterID, map[string]any{"from": previous, "until": until}); err != nil {
		return "", err
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("storage: unable to commit the takeover of %s: %w", clusterID, err)
	}
	return previous, nil
}

// ResolveCluster closes a cluster for agent (its problem is dealt with)
// and resolves its open alert. Resolving a closed cluster changes nothing
// and audits nothing; another agent's live claim is ErrClaimed.
func (s *Storage) ResolveCluster(ctx context.Context, agent, clusterID string) error {
	now := time.Now().UnixMilli()
	return s.guardedChange(ctx, agent, "cluster.resolve", clusterID, nil,
		func(c clusterStateRow) bool { return c.Status == ClusterClosed },
		func(ctx context.Context, tx *sqlx.Tx) error {
			return resolveAlerts(ctx, tx, agent, "resolved", "", now, clusterID)
		},
		// A merged cluster stays merged: a stale button or request must not
		// turn it back into a closed one of its own.
		`UPDATE clusters SET status = 'closed', claimed_by = NULL, claimed_until = NULL WHERE id = ? AND status = 'open' AND `+claimFree,
		clusterID, now, agent)
}

// guardedChange runs one UPDATE on a cluster guarded by claimFree, then
// after, and audits it, all in one transaction. When the UPDATE changes
// nothing, it tells why: done (the change is there already: nil, no
// audit), another agent's claim (ClaimedError), or no such cluster in a
// state to change (ErrNotFound).
func (s *Storage) guardedChange(ctx context.Context, actor, action, clusterID string, detail any,
	done func(clusterStateRow) bool, after func(context.Context, *sqlx.Tx) error, query string, args ...any) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, tx.Rebind(query), args...)
	if err != nil {
		return fmt.Errorf("storage: unable to %s %s: %w", action, clusterID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		c, err := clusterState(ctx, tx, clusterID)
		switch {
		case err != nil:
			return err
		case done(c):
			return nil
		case c.Status == ClusterOpen && c.heldBy(actor, time.Now().UnixMilli()) != "":
			return claimedError(clusterID, c)
		}
		return fmt.Errorf("storage: cluster %s is %s: %w", clusterID, c.Status, ErrNotFound)
	}
	if after != nil {
		if err := after(ctx, tx); err != nil {
			return err
		}
	}
	if err := addAudit(ctx, tx, actor, action, "cluster:"+clusterID, detail); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: unable to commit %s: %w", action, err)
	}
	return nil
}

// changeCluster runs one UPDATE on a cluster and audits it in the same
// transaction; no row changed is ErrNotFound.
func (s *Storage) changeCluster(ctx context.Context, actor, action, clusterID string, detail any, query string, args ...any) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, tx.Rebind(query), args...)
	if err != nil {
		return fmt.Errorf("storage: unable to %s %s: %w", action, clusterID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("storage: cluster %s: %w", clusterID, ErrNotFound)
	}
	if err := addAudit(ctx, tx, actor, action, "cluster:"+clusterID, detail); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: unable to commit %s: %w", action, err)
	}
	return nil
}
