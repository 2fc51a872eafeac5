package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
)

// regroupTarget is what a merge or split needs to know of a cluster,
// read under its row lock.
type regroupTarget struct {
	ID           string `db:"id"`
	Status       string `db:"status"`
	ClaimedBy    string `db:"claimed_by"`
	ClaimedUntil int64  `db:"claimed_until"`
	IncidentID   string `db:"incident_id"`
	Replied      int64  `db:"replied"`
}

// regroupTargets locks the rows of ids and checks that each is open and
// not held by another agent's live claim.
func (s *Storage) regroupTargets(ctx context.Context, tx *sqlx.Tx, agent string, now int64, ids ...string) (map[string]regroupTarget, error) {
	if err := lockClusters(ctx, tx, s.postgres, ids); err != nil {
		return nil, err
	}
	q, args, err := sqlx.In(`SELECT id, status, COALESCE(claimed_by, '') AS claimed_by, COALESCE(claimed_until, 0) AS claimed_until,
		COALESCE(incident_id, '') AS incident_id, CASE WHEN reply_text IS NULL THEN 0 ELSE 1 END AS replied
		FROM clusters WHERE id IN (?)`, ids)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	var rows []regroupTarget
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("storage: unable to read clusters %v: %w", ids, err)
	}
	out := make(map[string]regroupTarget, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	for _, id := range ids {
		r, ok := out[id]
		switch {
		case !ok:
			return nil, fmt.Errorf("storage: no cluster %s: %w", id, ErrNotFound)
		case r.Status != ClusterOpen:
			return nil, fmt.Errorf("storage: cluster %s is %s: %w", id, r.Status, ErrNotFound)
		case r.ClaimedBy != "" && r.ClaimedBy != agent && r.ClaimedUntil >= now:
			return nil, &ClaimedError{ClusterID: id, Holder: r.ClaimedBy, Until: r.ClaimedUntil}
		}
	}
	return out, nil
}

// recount sets a cluster's counts and first and last seen from its members.
func recount(ctx context.Context, tx *sqlx.Tx, id string) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE clusters SET
		inquiries = (SELECT COUNT(*) FROM inquiries WHERE cluster_id = ?),
		customers = (SELECT COUNT(*) FROM cluster_customers WHERE cluster_id = ?),
		first_seen = COALESCE((SELECT MIN(received_at) FROM inquiries WHERE cluster_id = ?), first_seen),
		last_seen = COALESCE((SELECT MAX(received_at) FROM inquiries WHERE cluster_id = ?), last_seen)
		WHERE id = ?`), id, id, id, id, id)
	if err != nil {
		return fmt.Errorf("storage: unable to recount cluster %s: %w", id, err)
	}
	return nil
}

// MergeCluster moves every member of cluster from into cluster into, for
// agent, in one audited transaction: members, distinct customers, counts
// and first/last seen; from ends as status "merged" with merged_into set,
// and its claim is dropped. into takes from's incident link and reply when
// it has none; then into's reply, if any, is queued for every member with a
// reply channel that had no reply yet (a member that had from's reply keeps
// that one: a member gets one reply). Both must be open and not claimed by
// another agent (ErrNotFound, ErrClaimed); from == into is ErrInvalid. It
// returns into as merged and how many replies were queued.
func (s *Storage) MergeCluster(ctx context.Context, agent, from, into string, now int64) (Cluster, int, error) {
	if from == into {
		return Cluster{}, 0, fmt.Errorf("storage: cluster %s cannot be merged into itself: %w", from, ErrInvalid)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Cluster{}, 0, fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	cs, err := s.regroupTargets(ctx, tx, agent, now, from, into)
	if err != nil {
		return Cluster{}, 0, err
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE inquiries SET cluster_id = ?, merged_from = COALESCE(merged_from, ?)
		WHERE cluster_id = ?`), into, from, from)
	if err != nil {
		return Cluster{}, 0, fmt.Errorf("storage: unable to move the members of cluster %s: %w", from, err)
	}
	moved, _ := res.RowsAffected()
	steps := []struct {
		what, query string
		args        []any
	}{
		{"merge customers", `INSERT INTO cluster_customers (cluster_id, customer_key)
			SELECT ?, customer_key FROM cluster_customers WHERE cluster_id = ? ON CONFLICT DO NOTHING`, []any{into, from}},
		{"drop customers", `DELETE FROM cluster_customers WHERE cluster_id = ?`, []any{from}},
		{"retire the source", `UPDATE clusters SET status = 'merged', merged_into = ?, inquiries = 0, customers = 0,
			claimed_by = NULL, claimed_until = NULL WHERE id = ?`, []any{into, from}},
		{"take the urgency", `UPDATE clusters SET urgent = (SELECT MAX(urgent) FROM clusters WHERE id IN (?, ?)) WHERE id = ?`, []any{from, into, into}},
		{"take the link", `UPDATE clusters SET incident_id = COALESCE(incident_id, NULLIF(?, '')) WHERE id = ?`, []any{cs[from].IncidentID, into}},
	}
	if cs[into].Replied == 0 && cs[from].Replied == 1 {
		steps = append(steps, struct {
			what, query string
			args        []any
		}{"take the reply", `UPDATE clusters SET (reply_text, reply_by, replied_at) =
			(SELECT reply_text, reply_by, replied_at FROM clusters WHERE id = ?) WHERE id = ?`, []any{from, into}})
	}
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, tx.Rebind(st.query), st.args...); err != nil {
			return Cluster{}, 0, fmt.Errorf("storage: unable to %s of cluster %s: %w", st.what, from, err)
		}
	}
	if err := recount(ctx, tx, into); err != nil {
		return Cluster{}, 0, err
	}
	if err := resolveAlerts(ctx, tx, agent, "merged into "+into, "", now, from); err != nil {
		return Cluster{}, 0, err
	}
	queued, err := queueClusterReply(ctx, tx, into)
	if err != nil {
		return Cluster{}, 0, err
	}
	for _, a := range []struct {
		subject string
		detail  map[string]any
	}{
		{"cluster:" + from, map[string]any{"into": into, "moved": moved, "queued": queued}},
		{"cluster:" + into, map[string]any{"from": from, "moved": moved, "queued": queued}},
	} {
		if err := addAudit(ctx, tx, agent, "cluster.merge", a.subject, a.detail); err != nil {
			return Cluster{}, 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Cluster{}, 0, fmt.Errorf("storage: unable to commit the merge of %s into %s: %w", from, into, err)
	}
	c, err := s.Cluster(ctx, into)
	return c, queued, err
}

// queueClusterReply queues a cluster's reply, if it has one, for each member
// with a reply channel; the deliveries' unique key keeps one reply per
// member, so members that had one are skipped.
func queueClusterReply(ctx context.Context, tx *sqlx.Tx, clusterID string) (int, error) {
	var r Reply
	err := tx.QueryRowxContext(ctx, tx.Rebind(`SELECT id, COALESCE(reply_text, ''), COALESCE(reply_by, ''), COALESCE(replied_at, 0)
		FROM clusters WHERE id = ?`), clusterID).Scan(&r.ClusterID, &r.Text, &r.By, &r.At)
	if err != nil {
		return 0, fmt.Errorf("storage: unable to read the reply of cluster %s: %w", clusterID, err)
	}
	if r.Text == "" {
		return 0, nil
	}
	var members []Inquiry
	if err := tx.SelectContext(ctx, &members, tx.Rebind(replyMembers), clusterID); err != nil {
		return 0, fmt.Errorf("storage: unable to list the members of cluster %s: %w", clusterID, err)
	}
	ds := make([]Delivery, 0, len(members))
	for _, m := range members {
		ds = append(ds, r.Delivery(m))
	}
	return enqueueDeliveries(ctx, tx, ds)
}

// SplitCluster moves the inquiries ids of cluster from to a new cluster
// newID, for agent, in one audited transaction, recounting both, and
// records the split in cluster_splits so that the clusterer keeps the two
// apart after a restart. Every id must be a member of from and some member
// must stay (ErrInvalid, naming the offending ids); from must be open and
// not claimed by another agent (ErrNotFound, ErrClaimed); newID must be new
// (ErrExists). The new cluster has no incident link, claim or reply: its
// members keep whatever they were sent. from's representative is replaced
// when it was one of the moved texts. It returns the new cluster.
func (s *Storage) SplitCluster(ctx context.Context, agent, from, newID string, ids []string, now int64) (Cluster, error) {
	return s.regroupMembers(ctx, agent, from, newID, ids, now, false)
}

// MoveMembers moves the inquiries ids of cluster from into the existing
// open cluster into, for agent: SplitCluster's rules, but into must be
// open and not claimed by another agent as well (ErrNotFound,
// ErrClaimed), and from == into is ErrInvalid. into's reply to all, if
// any, is queued for the moved members that had none, and it stays as
// urgent as either was. It returns into.
func (s *Storage) MoveMembers(ctx context.Context, agent, from, into string, ids []string, now int64) (Cluster, error) {
	if from == into {
		return Cluster{}, fmt.Errorf("storage: members of cluster %s cannot be moved into it: %w", from, ErrInvalid)
	}
	return s.regroupMembers(ctx, agent, from, into, ids, now, true)
}

// regroupMembers moves members ids of from to cluster to, new or
// (existing) already open.
func (s *Storage) regroupMembers(ctx context.Context, agent, from, to string, ids []string, now int64, existing bool) (Cluster, error) {
	newID := to
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		return Cluster{}, fmt.Errorf("storage: no inquiries to split off cluster %s: %w", from, ErrInvalid)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Cluster{}, fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	targets := []string{from}
	if existing {
		targets = append(targets, to)
	}
	if _, err := s.regroupTargets(ctx, tx, agent, now, targets...); err != nil {
		return Cluster{}, err
	}
	q, args, err := sqlx.In(`SELECT id, text, received_at FROM inquiries WHERE cluster_id = ? AND id IN (?) ORDER BY received_at, id`, from, ids)
	if err != nil {
		return Cluster{}, fmt.Errorf("storage: %w", err)
	}
	var members []struct {
		ID         string `db:"id"`
		Text       string `db:"text"`
		ReceivedAt int64  `db:"received_at"`
	}
	if err := tx.SelectContext(ctx, &members, tx.Rebind(q), args...); err != nil {
		return Cluster{}, fmt.Errorf("storage: unable to read the inquiries to split off %s: %w", from, err)
	}
	if len(members) < len(ids) {
		found := map[string]bool{}
		for _, m := range members {
			found[m.ID] = true
		}
		var foreign []string
		for _, id := range ids {
			if !found[id] {
				foreign = append(foreign, id)
			}
		}
		return Cluster{}, fmt.Errorf("storage: not members of cluster %s: %s: %w", from, strings.Join(foreign, ", "), ErrInvalid)
	}
	var total int
	if err := tx.GetContext(ctx, &total, tx.Rebind(`SELECT COUNT(*) FROM inquiries WHERE cluster_id = ?`), from); err != nil {
		return Cluster{}, fmt.Errorf("storage: unable to count the members of cluster %s: %w", from, err)
	}
	if len(ids) >= total {
		return Cluster{}, fmt.Errorf("storage: a split must leave cluster %s at least one member: %w", from, ErrInvalid)
	}
	if !existing {
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO clusters (id, representative, label, inquiries, customers, first_seen, last_seen, status)
			VALUES (?, ?, '[]', 0, 0, ?, ?, 'open') ON CONFLICT DO NOTHING`), newID, members[0].Text, members[0].ReceivedAt, members[0].ReceivedAt)
		if err != nil {
			return Cluster{}, fmt.Errorf("storage: unable to create cluster %s: %w", newID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Cluster{}, fmt.Errorf("storage: cluster %s: %w", newID, ErrExists)
		}
	}
	q, args, err = sqlx.In(`UPDATE inquiries SET cluster_id = ?, merged_from = NULL WHERE id IN (?)`, newID, ids)
	if err != nil {
		return Cluster{}, fmt.Errorf("storage: %w", err)
	}
	steps := []struct {
		what, query string
		args        []any
	}{
		{"move the inquiries", q, args},
		{"count the customers", `INSERT INTO cluster_customers (cluster_id, customer_key)
			SELECT DISTINCT ?, source || ':' || customer_id FROM inquiries WHERE cluster_id = ? ON CONFLICT DO NOTHING`, []any{newID, newID}},
		{"drop customers", `DELETE FROM cluster_customers WHERE cluster_id = ?
			AND customer_key NOT IN (SELECT source || ':' || customer_id FROM inquiries WHERE cluster_id = ?)`, []any{from, from}},
		{"pick a representative", `UPDATE clusters SET label = '[]', representative =
			(SELECT text FROM inquiries WHERE cluster_id = ? ORDER BY received_at DESC, id LIMIT 1)
			WHERE id = ? AND representative NOT IN (SELECT text FROM inquiries WHERE cluster_id = ?)`, []any{from, from, from}},
		// Which members were urgent is not kept: both halves stay as urgent
		// as the whole was.
		{"keep the urgency", `UPDATE clusters SET urgent = (SELECT MAX(urgent) FROM clusters WHERE id IN (?, ?)) WHERE id = ?`, []any{from, newID, newID}},
		{"record the split", `INSERT INTO cluster_splits (cluster_id, split_id, at, actor) VALUES (?, ?, ?, ?)`, []any{from, newID, now, agent}},
	}
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, tx.Rebind(st.query), st.args...); err != nil {
			return Cluster{}, fmt.Errorf("storage: unable to %s of cluster %s: %w", st.what, from, err)
		}
	}
	for _, id := range []string{from, newID} {
		if err := recount(ctx, tx, id); err != nil {
			return Cluster{}, err
		}
	}
	action := "cluster.split"
	if existing {
		action = "cluster.move_members"
		if _, err := queueClusterReply(ctx, tx, newID); err != nil {
			return Cluster{}, err
		}
	}
	for _, a := range []struct {
		subject string
		detail  map[string]any
	}{
		{"cluster:" + from, map[string]any{"into": newID, "inquiry_ids": ids}},
		{"cluster:" + newID, map[string]any{"from": from, "inquiry_ids": ids}},
	} {
		if err := addAudit(ctx, tx, agent, action, a.subject, a.detail); err != nil {
			return Cluster{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Cluster{}, fmt.Errorf("storage: unable to commit the split of %s: %w", from, err)
	}
	return s.Cluster(ctx, newID)
}

// Regroupings is what agents' merges and splits leave for a restarting
// clusterer to remember.
type Regroupings struct {
	// MergedInto maps every merged cluster to the cluster its members are
	// in now (chains of merges followed to their end).
	MergedInto map[string]string
	// Apart lists the pairs of clusters split apart, each end mapped
	// through MergedInto; pairs that a later merge joined are left out.
	Apart [][2]string
}

// ClusterRegroupings returns every merge and split, resolved.
func (s *Storage) ClusterRegroupings(ctx context.Context) (Regroupings, error) {
	var merged []struct {
		ID   string `db:"id"`
		Into string `db:"merged_into"`
	}
	if err := s.db.SelectContext(ctx, &merged, `SELECT id, merged_into FROM clusters WHERE merged_into IS NOT NULL ORDER BY id`); err != nil {
		return Regroupings{}, fmt.Errorf("storage: unable to read merged clusters: %w", err)
	}
	var splits []struct {
		A string `db:"cluster_id"`
		B string `db:"split_id"`
	}
	if err := s.db.SelectContext(ctx, &splits, `SELECT cluster_id, split_id FROM cluster_splits ORDER BY at, cluster_id, split_id`); err != nil {
		return Regroupings{}, fmt.Errorf("storage: unable to read cluster splits: %w", err)
	}
	next := make(map[string]string, len(merged))
	for _, m := range merged {
		next[m.ID] = m.Into
	}
	final := func(id string) string {
		for range len(next) + 1 { // bounded: a cycle cannot arise, but must not hang
			into, ok := next[id]
			if !ok {
				break
			}
			id = into
		}
		return id
	}
	out := Regroupings{MergedInto: make(map[string]string, len(merged))}
	for _, m := range merged {
		out.MergedInto[m.ID] = final(m.ID)
	}
	seen := map[[2]string]bool{}
	for _, sp := range splits {
		a, b := final(sp.A), final(sp.B)
		if a == b || seen[[2]string{a, b}] || seen[[2]string{b, a}] {
			continue
		}
		seen[[2]string{a, b}] = true
		out.Apart = append(out.Apart, [2]string{a, b})
	}
	return out, nil
}

// lockClusters locks the cluster rows of ids until tx ends. On PostgreSQL
// they are locked in id order, so that transactions locking overlapping
// sets (two merges in opposite directions, a merge and a stored batch)
// cannot deadlock; on SQLite a no-op update takes the database's one write
// lock.
func lockClusters(ctx context.Context, tx *sqlx.Tx, postgres bool, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	lockQ := `UPDATE clusters SET status = status WHERE id IN (?)`
	if postgres {
		lockQ = `SELECT id FROM clusters WHERE id IN (?) ORDER BY id FOR UPDATE`
	}
	q, args, err := sqlx.In(lockQ, ids)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
		return fmt.Errorf("storage: unable to lock clusters %v: %w", ids, err)
	}
	return nil
}

// redirectMerged points rows of batch assigned to merged clusters at the
// cluster each was merged into, following chains of merges. On PostgreSQL
// it first locks the batch's clusters (lockClusters, as MergeCluster does):
// without the lock a merge committing between this read and the batch's
// commit would leave the batch's rows in the merged cluster, out of every
// agent's sight. SQLite's transactions take the write lock at once.
func redirectMerged(ctx context.Context, tx *sqlx.Tx, batch []Inquiry, postgres bool) error {
	seen := map[string]bool{}
	var ids []string
	for _, in := range batch {
		if in.ClusterID != "" && !seen[in.ClusterID] {
			seen[in.ClusterID] = true
			ids = append(ids, in.ClusterID)
		}
	}
	into := map[string]string{}
	for hop := 0; len(ids) > 0 && hop < 8; hop++ {
		// Each hop's clusters are locked before they are read: a merge of
		// a redirect target committing meanwhile is the same race one hop on.
		if postgres {
			if err := lockClusters(ctx, tx, postgres, ids); err != nil {
				return err
			}
		}
		q, args, err := sqlx.In(`SELECT id, merged_into FROM clusters WHERE id IN (?) AND merged_into IS NOT NULL`, ids)
		if err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		var rows []struct {
			ID   string `db:"id"`
			Into string `db:"merged_into"`
		}
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("storage: unable to look up merged clusters: %w", err)
		}
		ids = ids[:0]
		for _, r := range rows {
			into[r.ID] = r.Into
			ids = append(ids, r.Into)
		}
	}
	if len(into) == 0 {
		return nil
	}
	for i := range batch {
		for hop := 0; hop < 8; hop++ {
			next, ok := into[batch[i].ClusterID]
			if !ok {
				break
			}
			batch[i].ClusterID = next
		}
	}
	return nil
}
