package desk

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

const (
	// ClaimLease is how long an agent's claim lasts unless renewed.
	ClaimLease = 10 * time.Minute
	// MaxReply bounds a reply to all, in bytes.
	MaxReply = 4000
	// MaxSplit bounds one split: the moved texts travel to every instance
	// in one announcement.
	MaxSplit = 500
	// splitKeptSample is how many of the remaining members the clusterers
	// rebuild the original cluster's centroid from (as on a restart).
	splitKeptSample = 32
)

func isNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }

// Claim gives agent an open cluster for ClaimLease (renewing their own
// claim); another agent's live claim is storage.ErrClaimed.
func (d *Desk) Claim(ctx context.Context, agent, clusterID string) (time.Time, error) {
	now := d.Now()
	until := now.Add(ClaimLease)
	if err := d.Store.ClaimCluster(ctx, agent, clusterID, now.UnixMilli(), until.UnixMilli()); err != nil {
		return time.Time{}, err
	}
	return until, nil
}

// TakeOver gives manager an open cluster for ClaimLease, whoever holds it
// (audited, naming the previous holder, "" when none).
func (d *Desk) TakeOver(ctx context.Context, manager, clusterID string) (until time.Time, previous string, err error) {
	now := d.Now()
	until = now.Add(ClaimLease)
	previous, err = d.Store.TakeOverCluster(ctx, manager, clusterID, now.UnixMilli(), until.UnixMilli())
	if err != nil {
		return time.Time{}, "", err
	}
	return until, previous, nil
}

// Resolve closes a cluster for agent, in SQL and on every instance, and
// resolves its surge alert. Resolving a closed cluster changes nothing.
func (d *Desk) Resolve(ctx context.Context, agent, clusterID string) error {
	if err := d.Store.ResolveCluster(ctx, agent, clusterID); err != nil {
		return err
	}
	d.closed([]string{clusterID})
	return nil
}

// Link records that a cluster's members are about an incident and
// resolves its surge alert; linking again to the same incident changes
// nothing.
func (d *Desk) Link(ctx context.Context, actor, clusterID, incidentID string) error {
	if incidentID == "" {
		return missing("incident_id is required")
	}
	if _, err := d.incident(ctx, incidentID); err != nil {
		return err
	}
	return d.Store.LinkCluster(ctx, actor, clusterID, incidentID)
}

// Reply sends text to every member of a cluster through the channel each
// came from; members joining later while the cluster is open get it too.
// A cluster replied to already is storage.ErrExists. It returns how many
// deliveries were queued now.
func (d *Desk) Reply(ctx context.Context, agent, clusterID, text string) (int, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return 0, missing("text is required")
	case len(text) > MaxReply:
		return 0, invalid("text is longer than " + strconv.Itoa(MaxReply) + " bytes")
	}
	queued, err := d.Store.ReplyToCluster(ctx, agent, clusterID, text)
	if err != nil {
		return 0, err
	}
	d.Kick()
	return queued, nil
}

// Merge moves every member of cluster from into cluster into; from ends
// merged, and every instance's clusterer remembers it.
func (d *Desk) Merge(ctx context.Context, agent, from, into string) (storage.Cluster, error) {
	switch {
	case into == "":
		return storage.Cluster{}, missing("into is required")
	case into == from:
		return storage.Cluster{}, invalid("a cluster cannot be merged into itself")
	}
	c, queued, err := d.Store.MergeCluster(ctx, agent, from, into, d.Now().UnixMilli())
	if err != nil {
		return storage.Cluster{}, err
	}
	d.merged(from, into)
	if queued > 0 {
		d.Kick()
	}
	return c, nil
}

// Split moves the listed members of cluster from to a new cluster, which
// every instance's clusterer keeps apart from from.
func (d *Desk) Split(ctx context.Context, agent, from string, inquiryIDs []string) (storage.Cluster, error) {
	switch {
	case len(inquiryIDs) == 0:
		return storage.Cluster{}, missing("inquiry_ids is required: the members to split off")
	case len(inquiryIDs) > MaxSplit:
		return storage.Cluster{}, invalid("at most " + strconv.Itoa(MaxSplit) + " inquiry_ids per split")
	}
	for _, id := range inquiryIDs {
		if id == "" {
			return storage.Cluster{}, invalid("inquiry_ids must not contain an empty id")
		}
	}
	newID := d.Clusters.NewID()
	c, err := d.Store.SplitCluster(ctx, agent, from, newID, inquiryIDs, d.Now().UnixMilli())
	if err != nil {
		return storage.Cluster{}, err
	}
	d.split(context.WithoutCancel(ctx), from, newID)
	return c, nil
}

// SplitMatching splits off the members of cluster from that match f (as
// GET /v1/clusters/{id}/members lists them), at most MaxSplit of them; a
// filter matching none or more is ErrInvalid, and one selecting nothing
// ErrMissing.
func (d *Desk) SplitMatching(ctx context.Context, agent, from string, f storage.MemberFilter) (storage.Cluster, error) {
	ids, err := d.matching(ctx, from, f)
	if err != nil {
		return storage.Cluster{}, err
	}
	return d.Split(ctx, agent, from, ids)
}

// matching returns the ids of the members of cluster from that match f,
// at most MaxSplit of them, for a split or a move.
func (d *Desk) matching(ctx context.Context, from string, f storage.MemberFilter) ([]string, error) {
	if f == (storage.MemberFilter{}) {
		return nil, missing("the filter selects every member: give q, customer, since or until")
	}
	rows, total, err := d.Store.ClusterMembers(ctx, from, f, nil, MaxSplit)
	if err != nil {
		return nil, err
	}
	switch {
	case total == 0:
		return nil, invalid("the filter matches no member of the cluster")
	case total > MaxSplit:
		return nil, invalid("the filter matches " + strconv.FormatInt(total, 10) + " members; at most " + strconv.Itoa(MaxSplit) + " per split")
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids, nil
}

// MoveMembers moves members of cluster from into the open cluster into,
// as Split does into a new one: by ids (at most MaxSplit), or by filter
// when ids is empty and f is not. Every instance's clustering learns it
// (into rebuilt from its members, the two kept apart), and into's reply to
// all, if any, reaches the moved members that had none.
func (d *Desk) MoveMembers(ctx context.Context, agent, from, into string, ids []string, f storage.MemberFilter) (storage.Cluster, error) {
	switch {
	case into == "":
		return storage.Cluster{}, missing("into is required: the cluster to move the members into")
	case into == from:
		return storage.Cluster{}, invalid("members cannot be moved into their own cluster")
	case len(ids) > MaxSplit:
		return storage.Cluster{}, invalid("at most " + strconv.Itoa(MaxSplit) + " inquiry_ids per move")
	}
	if len(ids) == 0 {
		var err error
		if ids, err = d.matching(ctx, from, f); err != nil {
			return storage.Cluster{}, err
		}
	}
	for _, id := range ids {
		if id == "" {
			return storage.Cluster{}, invalid("inquiry_ids must not contain an empty id")
		}
	}
	c, err := d.Store.MoveMembers(ctx, agent, from, into, ids, d.Now().UnixMilli())
	if err != nil {
		return storage.Cluster{}, err
	}
	d.split(context.WithoutCancel(ctx), from, into)
	d.Kick()
	return c, nil
}

func items(rows []storage.Inquiry) []triage.Item {
	out := make([]triage.Item, len(rows))
	for i, in := range rows {
		out[i] = in.Item()
	}
	return out
}
