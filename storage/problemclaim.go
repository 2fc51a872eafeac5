package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// problemClaims locks and reads the claims of the open clusters of
// problemIDs in tx. No open problem among them is ErrNotFound.
func problemClaims(ctx context.Context, tx *sqlx.Tx, postgres bool, problemIDs ...string) (map[string]clusterStateRow, error) {
	q, args, err := sqlx.In(`SELECT id FROM clusters WHERE problem_id IN (?) AND status = 'open' ORDER BY id`, problemIDs)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	var ids []string
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("storage: unable to read the clusters of problem %v: %w", problemIDs, err)
	}
	if err := lockClusters(ctx, tx, postgres, ids); err != nil {
		return nil, err
	}
	out := make(map[string]clusterStateRow, len(ids))
	for _, id := range ids {
		c, err := clusterState(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		out[id] = c
	}
	return out, nil
}

// heldByOther is the ClaimedError of the first cluster (by id) another
// agent's live claim holds, or nil.
func heldByOther(states map[string]clusterStateRow, agent string, now int64) error {
	var first string
	for id, c := range states {
		if c.heldBy(agent, now) != "" && (first == "" || id < first) {
			first = id
		}
	}
	if first == "" {
		return nil
	}
	return claimedError(first, states[first])
}

// openProblem checks in tx that a problem exists and is open.
func openProblem(ctx context.Context, tx *sqlx.Tx, id string) error {
	var status string
	err := tx.GetContext(ctx, &status, tx.Rebind(`SELECT status FROM problems WHERE id = ?`), id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("storage: no problem %s: %w", id, ErrNotFound)
	case err != nil:
		return fmt.Errorf("storage: unable to load problem %s: %w", id, err)
	case status != ProblemOpen:
		return fmt.Errorf("storage: problem %s is %s: %w", id, status, ErrNotFound)
	}
	return nil
}

// ClaimProblem gives agent every open cluster of a problem until until
// (unix ms), all or none: while another agent's live claim holds one of
// them the claim is refused (ClaimedError names that cluster and its
// holder). A problem that is not open, or has no open cluster, is
// ErrNotFound. It returns the clusters claimed. Clusters that join the
// problem later are not claimed: claim again to take them too.
func (s *Storage) ClaimProblem(ctx context.Context, agent, problemID string, now, until int64) ([]string, error) {
	return s.claimProblem(ctx, agent, problemID, now, until, false)
}

// TakeOverProblem gives manager every open cluster of a problem until
// until (unix ms), whoever holds them; the audit entry names the previous
// holders.
func (s *Storage) TakeOverProblem(ctx context.Context, manager, problemID string, now, until int64) ([]string, error) {
	return s.claimProblem(ctx, manager, problemID, now, until, true)
}

func (s *Storage) claimProblem(ctx context.Context, agent, problemID string, now, until int64, takeover bool) ([]string, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	if err := openProblem(ctx, tx, problemID); err != nil {
		return nil, err
	}
	states, err := problemClaims(ctx, tx, s.postgres, problemID)
	if err != nil {
		return nil, err
	}
	if len(states) == 0 {
		return nil, fmt.Errorf("storage: problem %s has no open cluster: %w", problemID, ErrNotFound)
	}
	previous := map[string]string{}
	for id, c := range states {
		if h := c.heldBy(agent, now); h != "" {
			previous[id] = h
		}
	}
	if len(previous) > 0 && !takeover {
		return nil, heldByOther(states, agent, now)
	}
	ids := make([]string, 0, len(states))
	for id := range states {
		ids = append(ids, id)
	}
	q, args, err := sqlx.In(`UPDATE clusters SET claimed_by = ?, claimed_until = ? WHERE id IN (?)`, agent, until, ids)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("storage: unable to claim problem %s: %w", problemID, err)
	}
	action, detail := "problem.claim", map[string]any{"until": until, "clusters": len(ids)}
	if takeover {
		action, detail["from"] = "problem.takeover", previous
	}
	if err := addAudit(ctx, tx, agent, action, "problem:"+problemID, detail); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("storage: unable to commit the claim of problem %s: %w", problemID, err)
	}
	return ids, nil
}
