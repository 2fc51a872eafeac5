package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/surgedesk/surgedesk/triage"
)

// Problem statuses.
const (
	ProblemOpen   = "open"
	ProblemMerged = "merged" // merged into the problem MergedInto names
)

// Problem groups the clusters of one underlying issue in any wording or
// language (triage.Grouper). Its counts are its open clusters'.
type Problem struct {
	ID         string `db:"id" json:"id"`
	Title      string `db:"title" json:"title"`
	TitleLang  string `db:"title_lang" json:"title_lang"`
	OtherTitle string `db:"other_title" json:"other_title,omitempty"`
	OtherLang  string `db:"other_lang" json:"other_lang,omitempty"`
	IncidentID string `db:"incident_id" json:"incident_id,omitempty"`
	Status     string `db:"status" json:"status"`
	MergedInto string `db:"merged_into" json:"merged_into,omitempty"`
	// NamedBy is the agent who named the problem (its titles), "" while
	// the triage engine titles it.
	NamedBy   string `db:"named_by" json:"named_by,omitempty"`
	CreatedAt int64  `db:"created_at" json:"-"`
	UpdatedAt int64  `db:"updated_at" json:"-"`

	// Counted over the problem's open clusters.
	Clusters  int64 `db:"clusters" json:"clusters"`
	Inquiries int64 `db:"inquiries" json:"inquiries"`
	Customers int64 `db:"-" json:"customers"` // distinct over all its clusters
	FirstSeen int64 `db:"first_seen" json:"-"`
	LastSeen  int64 `db:"last_seen" json:"-"`
}

// Placement is the triage engine's decision for one cluster, written with
// the batch that made it: the cluster's problem and that problem's title.
type Placement struct {
	ClusterID string
	Problem   Problem // ID and titles; counts are ignored
}

const problemColumns = `p.id, p.title, p.title_lang, p.other_title, p.other_lang, COALESCE(p.incident_id, '') AS incident_id,
	p.status, COALESCE(p.merged_into, '') AS merged_into, p.named_by, p.created_at, p.updated_at`

// placeClusters writes placements in tx: problems are created or retitled,
// clusters pointed at them unless an agent pinned them elsewhere.
func placeClusters(ctx context.Context, tx *sqlx.Tx, placements []Placement, now int64) error {
	if len(placements) == 0 {
		return nil
	}
	problems := map[string]Problem{}
	for _, p := range placements {
		problems[p.Problem.ID] = p.Problem
	}
	ids := make([]string, 0, len(problems))
	for id := range problems {
		ids = append(ids, id)
	}
	sort.Strings(ids) // one lock order across instances
	var q strings.Builder
	for chunk := range slices.Chunk(ids, maxStatementRows) {
		q.Reset()
		q.WriteString(`INSERT INTO problems (id, title, title_lang, other_title, other_lang, incident_id, status, created_at, updated_at) VALUES `)
		args := make([]any, 0, 8*len(chunk))
		for i, id := range chunk {
			p := problems[id]
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?, ?, ?, ?, ?, NULLIF(?, ''), 'open', ?, ?)")
			args = append(args, id, p.Title, p.TitleLang, p.OtherTitle, p.OtherLang, p.IncidentID, now, now)
		}
		q.WriteString(` ON CONFLICT (id) DO UPDATE SET
		title = CASE WHEN excluded.title <> '' AND problems.named_by = '' THEN excluded.title ELSE problems.title END,
		title_lang = CASE WHEN excluded.title <> '' AND problems.named_by = '' THEN excluded.title_lang ELSE problems.title_lang END,
		other_title = CASE WHEN excluded.title <> '' AND problems.named_by = '' THEN excluded.other_title ELSE problems.other_title END,
		other_lang = CASE WHEN excluded.title <> '' AND problems.named_by = '' THEN excluded.other_lang ELSE problems.other_lang END,
		incident_id = COALESCE(problems.incident_id, excluded.incident_id),
		updated_at = excluded.updated_at`)
		if _, err := tx.ExecContext(ctx, tx.Rebind(q.String()), args...); err != nil {
			return fmt.Errorf("storage: unable to store problems: %w", err)
		}
	}
	sort.Slice(placements, func(i, j int) bool { return placements[i].ClusterID < placements[j].ClusterID })
	for _, p := range placements {
		// A placement decided before this instance heard of an agent's
		// merge lands in the problem it was merged into.
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE clusters SET problem_id =
			COALESCE((SELECT merged_into FROM problems WHERE id = ? AND status = 'merged'), ?)
			WHERE id = ? AND problem_pinned = 0`),
			p.Problem.ID, p.Problem.ID, p.ClusterID); err != nil {
			return fmt.Errorf("storage: unable to place cluster %s: %w", p.ClusterID, err)
		}
	}
	return nil
}

// Problems returns the problems with clusters open and seen since (unix
// ms), most inquiries first, at most limit.
func (s *Storage) Problems(ctx context.Context, since int64, limit int) ([]Problem, error) {
	var out []Problem
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT `+problemColumns+`,
		COUNT(c.id) AS clusters, SUM(c.inquiries) AS inquiries, MIN(c.first_seen) AS first_seen, MAX(c.last_seen) AS last_seen
		FROM problems p JOIN clusters c ON c.problem_id = p.id AND c.status = 'open' AND c.last_seen >= ?
		WHERE p.status = 'open'
		GROUP BY p.id, p.title, p.title_lang, p.other_title, p.other_lang, p.incident_id, p.status, p.merged_into, p.named_by, p.created_at, p.updated_at
		ORDER BY inquiries DESC, p.id LIMIT ?`), since, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to list problems: %w", err)
	}
	if err := s.countProblemCustomers(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// OpenProblems counts the problems Problems lists (open, with an open
// cluster seen at or after since) without reading them: what /v1/stats
// shows on every poll.
func (s *Storage) OpenProblems(ctx context.Context, since int64) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(DISTINCT c.problem_id) FROM clusters c
		JOIN problems p ON p.id = c.problem_id AND p.status = 'open'
		WHERE c.status = 'open' AND c.last_seen >= ?`), since)
	if err != nil {
		return 0, fmt.Errorf("storage: unable to count problems: %w", err)
	}
	return n, nil
}

// countProblemCustomers sets each problem's distinct customers over all
// its open clusters: a customer writing twice in two wordings is one.
func (s *Storage) countProblemCustomers(ctx context.Context, ps []Problem) error {
	if len(ps) == 0 {
		return nil
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	q, args, err := sqlx.In(`SELECT c.problem_id AS id, COUNT(DISTINCT cc.customer_key) AS n
		FROM cluster_customers cc JOIN clusters c ON c.id = cc.cluster_id
		WHERE c.problem_id IN (?) AND c.status = 'open' GROUP BY c.problem_id`, ids)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	var rows []struct {
		ID string `db:"id"`
		N  int64  `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return fmt.Errorf("storage: unable to count problem customers: %w", err)
	}
	n := map[string]int64{}
	for _, r := range rows {
		n[r.ID] = r.N
	}
	for i := range ps {
		ps[i].Customers = n[ps[i].ID]
	}
	return nil
}

// Problem returns one problem with its counts (zero when it has no open
// cluster); an unknown id is ErrNotFound.
func (s *Storage) Problem(ctx context.Context, id string) (Problem, error) {
	var p Problem
	err := s.db.GetContext(ctx, &p, s.db.Rebind(`SELECT `+problemColumns+`,
		COUNT(c.id) AS clusters, COALESCE(SUM(c.inquiries), 0) AS inquiries,
		COALESCE(MIN(c.first_seen), 0) AS first_seen, COALESCE(MAX(c.last_seen), 0) AS last_seen
		FROM problems p LEFT JOIN clusters c ON c.problem_id = p.id AND c.status = 'open'
		WHERE p.id = ?
		GROUP BY p.id, p.title, p.title_lang, p.other_title, p.other_lang, p.incident_id, p.status, p.merged_into, p.named_by, p.created_at, p.updated_at`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Problem{}, fmt.Errorf("storage: problem %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Problem{}, fmt.Errorf("storage: unable to load problem %s: %w", id, err)
	}
	ps := []Problem{p}
	if err := s.countProblemCustomers(ctx, ps); err != nil {
		return Problem{}, err
	}
	return ps[0], nil
}

// ProblemClusters returns a problem's open clusters, largest first.
func (s *Storage) ProblemClusters(ctx context.Context, problemID string) ([]Cluster, error) {
	var out []Cluster
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT `+clusterColumns+`
		FROM clusters WHERE problem_id = ? AND status = 'open' ORDER BY inquiries DESC, id`), problemID)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to list the clusters of problem %s: %w", problemID, err)
	}
	for i := range out {
		out[i].decode()
	}
	return out, nil
}

// MoveCluster is an agent's move of a cluster into problem problemID,
// opened (titled after the cluster) if it does not exist yet — a fresh id
// takes the cluster out into a problem of its own. The cluster is pinned
// there. An unknown or not open cluster, or a merged problem, is
// ErrNotFound; another agent's live claim on the cluster is ErrClaimed.
func (s *Storage) MoveCluster(ctx context.Context, actor, clusterID, problemID string, now int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	if err := lockClusters(ctx, tx, s.postgres, []string{clusterID}); err != nil {
		return err
	}
	var c Cluster
	err = tx.GetContext(ctx, &c, tx.Rebind(`SELECT `+clusterColumns+` FROM clusters WHERE id = ? AND status = 'open'`), clusterID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("storage: cluster %s: %w", clusterID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("storage: unable to load cluster %s: %w", clusterID, err)
	}
	if c.ClaimedBy != "" && c.ClaimedBy != actor && c.ClaimedUntil >= now {
		return &ClaimedError{ClusterID: clusterID, Holder: c.ClaimedBy, Until: c.ClaimedUntil}
	}
	var status string
	err = tx.GetContext(ctx, &status, tx.Rebind(`SELECT status FROM problems WHERE id = ?`), problemID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO problems (id, title, title_lang, status, created_at, updated_at)
			VALUES (?, ?, ?, 'open', ?, ?)`), problemID, triage.TitleOf(c.Representative).Text, triage.Lang(c.Representative), now, now); err != nil {
			return fmt.Errorf("storage: unable to open problem %s: %w", problemID, err)
		}
	case err != nil:
		return fmt.Errorf("storage: unable to load problem %s: %w", problemID, err)
	case status != ProblemOpen:
		return fmt.Errorf("storage: problem %s is %s: %w", problemID, status, ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE clusters SET problem_id = ?, problem_pinned = 1 WHERE id = ?`), problemID, clusterID); err != nil {
		return fmt.Errorf("storage: unable to move cluster %s: %w", clusterID, err)
	}
	if err := addAudit(ctx, tx, actor, "move", clusterID, map[string]string{"from": c.ProblemID, "into": problemID}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: unable to commit the move of %s: %w", clusterID, err)
	}
	return nil
}

// MergeProblems is an agent's merge of problem from into problem into:
// every cluster of from moves (pinned), from is left merged with a pointer
// to into, and earlier merges into from now point at into. Unknown or
// merged problems are ErrNotFound; merging a problem into itself is
// ErrInvalid; another agent's live claim on an open cluster of either is
// ErrClaimed.
func (s *Storage) MergeProblems(ctx context.Context, actor, from, into string, now int64) error {
	if from == into {
		return fmt.Errorf("storage: a problem cannot be merged into itself: %w", ErrInvalid)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	for _, id := range []string{from, into} {
		if err := openProblem(ctx, tx, id); err != nil {
			return err
		}
	}
	states, err := problemClaims(ctx, tx, s.postgres, from, into)
	if err != nil {
		return err
	}
	if err := heldByOther(states, actor, now); err != nil {
		return err
	}
	stmts := []struct {
		q    string
		args []any
	}{
		{`UPDATE clusters SET problem_id = ?, problem_pinned = 1 WHERE problem_id = ?`, []any{into, from}},
		{`UPDATE problems SET status = 'merged', merged_into = ?, updated_at = ? WHERE id = ?`, []any{into, now, from}},
		{`UPDATE problems SET merged_into = ? WHERE merged_into = ?`, []any{into, from}},
		{`UPDATE problems SET incident_id = (SELECT incident_id FROM problems WHERE id = ?) WHERE id = ? AND incident_id IS NULL`, []any{from, into}},
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, tx.Rebind(st.q), st.args...); err != nil {
			return fmt.Errorf("storage: unable to merge problem %s into %s: %w", from, into, err)
		}
	}
	if err := addAudit(ctx, tx, actor, "merge_problem", from, map[string]string{"into": into}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: unable to commit the merge of %s: %w", from, err)
	}
	return nil
}

// NameProblem is an agent's name for an open problem: its titles (title in
// titleLang, other in otherLang, which may be empty). The triage engine
// no longer retitles it; naming it again replaces the name. An unknown or
// merged problem is ErrNotFound.
func (s *Storage) NameProblem(ctx context.Context, actor, id, title, titleLang, other, otherLang string, now int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	if err := openProblem(ctx, tx, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE problems SET title = ?, title_lang = ?, other_title = ?, other_lang = ?,
		named_by = ?, updated_at = ? WHERE id = ?`), title, titleLang, other, otherLang, actor, now, id); err != nil {
		return fmt.Errorf("storage: unable to name problem %s: %w", id, err)
	}
	if err := addAudit(ctx, tx, actor, "name_problem", id, map[string]string{"title": title, "other_title": other}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: unable to commit the name of %s: %w", id, err)
	}
	return nil
}

// ProblemRegroupings is what a restart replays of the agents' work on
// problems: merged problems' pointers and pinned clusters' problems.
type ProblemRegroupings struct {
	MergedInto map[string]string // merged problem → the problem it went into
	Pinned     map[string]string // open cluster → the problem an agent put it in
	Incidents  map[string]string // problem → its incident
}

// ProblemRegroupings loads them.
func (s *Storage) ProblemRegroupings(ctx context.Context) (ProblemRegroupings, error) {
	out := ProblemRegroupings{MergedInto: map[string]string{}, Pinned: map[string]string{}, Incidents: map[string]string{}}
	var rows []struct {
		ID       string `db:"id"`
		Into     string `db:"merged_into"`
		Incident string `db:"incident_id"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, COALESCE(merged_into, '') AS merged_into, COALESCE(incident_id, '') AS incident_id
		FROM problems WHERE merged_into IS NOT NULL OR incident_id IS NOT NULL`); err != nil {
		return out, fmt.Errorf("storage: unable to load problem merges: %w", err)
	}
	for _, r := range rows {
		if r.Into != "" {
			out.MergedInto[r.ID] = r.Into
		}
		if r.Incident != "" {
			out.Incidents[r.ID] = r.Incident
		}
	}
	var pinned []struct {
		ID      string `db:"id"`
		Problem string `db:"problem_id"`
	}
	if err := s.db.SelectContext(ctx, &pinned, `SELECT id, problem_id FROM clusters
		WHERE problem_pinned = 1 AND status = 'open' AND problem_id IS NOT NULL`); err != nil {
		return out, fmt.Errorf("storage: unable to load pinned clusters: %w", err)
	}
	for _, p := range pinned {
		out.Pinned[p.ID] = p.Problem
	}
	return out, nil
}
