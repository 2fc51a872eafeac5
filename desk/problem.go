package desk

import (
	"context"
	"errors"

	"github.com/surgedesk/surgedesk/workers"
)

// ProblemStore is the part of storage the problem actions change.
type ProblemStore interface {
	MoveCluster(ctx context.Context, actor, clusterID, problemID string, now int64) error
	MergeProblems(ctx context.Context, actor, from, into string, now int64) error
}

// Problems is this instance's problem grouper (triage.Grouper), which
// moves and merges change at once (the other instances learn them over
// NATS).
type Problems interface {
	NewID() string
	Move(clusterID, problemID string) string
	Merge(from, into string)
	Forget(clusterID string) string
}

// ErrNoProblems is a problem action on a desk serving no problems.
var ErrNoProblems = errors.New("desk: problems are not served here")

// MoveCluster moves an open cluster to problem problemID, or, with an
// empty problemID, out into a new problem of its own; it returns the
// problem the cluster is in now. Every instance's grouping keeps the
// cluster there from now on, and after a restart.
func (d *Desk) MoveCluster(ctx context.Context, actor, clusterID, problemID string) (string, error) {
	if d.ProblemStore == nil || d.Problems == nil {
		return "", ErrNoProblems
	}
	if problemID == "" {
		problemID = d.Problems.NewID()
	}
	if err := d.ProblemStore.MoveCluster(ctx, actor, clusterID, problemID, d.Now().UnixMilli()); err != nil {
		return "", err
	}
	d.Problems.Move(clusterID, problemID)
	if d.Conn != nil {
		if err := workers.AnnounceProblemMove(d.Conn, d.Instance, clusterID, problemID); err != nil {
			d.Log.Warn("cluster move not announced; other instances learn it on restart", "cluster", clusterID, "into", problemID, "err", err)
		}
	}
	return problemID, nil
}

// MergeProblems merges problem from into problem into: all of from's
// clusters move, and from points at into on every instance from now on.
func (d *Desk) MergeProblems(ctx context.Context, actor, from, into string) error {
	switch {
	case d.ProblemStore == nil || d.Problems == nil:
		return ErrNoProblems
	case into == "":
		return missing("into is required")
	case into == from:
		return invalid("a problem cannot be merged into itself")
	}
	if err := d.ProblemStore.MergeProblems(ctx, actor, from, into, d.Now().UnixMilli()); err != nil {
		return err
	}
	d.Problems.Merge(from, into)
	if d.Conn != nil {
		if err := workers.AnnounceProblemMerge(d.Conn, d.Instance, from, into); err != nil {
			d.Log.Warn("problem merge not announced; other instances learn it on restart", "from", from, "into", into, "err", err)
		}
	}
	return nil
}
