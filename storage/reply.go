package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
)

// Reply is an agent's reply to everyone in a cluster.
type Reply struct {
	ClusterID string
	Text      string
	By        string
	At        int64 // unix milliseconds
}

// ReplyToCluster records agent's reply on an open cluster and, in the same
// transaction, queues it once per distinct customer with a reply channel,
// to the channel of their latest inquiry, in its locale (the deliveries'
// unique key makes a second one impossible, on any instance). A cluster
// takes one reply: a second is ErrExists; another agent's live claim is
// ErrClaimed. It returns how many deliveries were queued.
func (s *Storage) ReplyToCluster(ctx context.Context, agent, clusterID, text string) (int, error) {
	now := time.Now().UnixMilli()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("storage: unable to begin transaction: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE clusters SET reply_text = ?, reply_by = ?, replied_at = ?
		WHERE id = ? AND status = 'open' AND reply_text IS NULL AND `+claimFree), text, agent, now, clusterID, now, agent)
	if err != nil {
		return 0, fmt.Errorf("storage: unable to reply to cluster %s: %w", clusterID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		st, err := clusterState(ctx, tx, clusterID)
		switch {
		case err != nil:
			return 0, err
		case st.Status != ClusterOpen:
			return 0, fmt.Errorf("storage: cluster %s: %w", clusterID, ErrNotFound)
		case st.heldBy(agent, now) != "":
			return 0, claimedError(clusterID, st)
		default:
			return 0, fmt.Errorf("storage: cluster %s was already replied to: %w", clusterID, ErrExists)
		}
	}
	var members []Inquiry
	if err := tx.SelectContext(ctx, &members, tx.Rebind(replyMembers), clusterID); err != nil {
		return 0, fmt.Errorf("storage: unable to list the members of cluster %s: %w", clusterID, err)
	}
	r := Reply{ClusterID: clusterID, Text: text, By: agent, At: now}
	ds := make([]Delivery, 0, len(members))
	for _, m := range members {
		ds = append(ds, r.Delivery(m))
	}
	queued, err := enqueueDeliveries(ctx, tx, ds)
	if err != nil {
		return 0, err
	}
	if err := addAudit(ctx, tx, agent, "cluster.reply", "cluster:"+clusterID, map[string]any{"text": text, "queued": queued}); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("storage: unable to commit the reply to cluster %s: %w", clusterID, err)
	}
	return queued, nil
}

// Delivery is the reply as a delivery to one member.
// Its unique key is the reply's and the customer's: one per customer,
// whichever of their inquiries comes first (callers list the latest first).
func (r Reply) Delivery(member Inquiry) Delivery {
	return Delivery{Kind: KindReply, InquiryID: member.ID, CustomerKey: member.CustomerKey(), URL: member.ReplyURL,
		Source: member.Source, Locale: member.Locale, Text: r.Text, ReplyKey: r.By + "@" + strconv.FormatInt(r.At, 10)}
}

// replyMembers lists a cluster's members with a reply channel, each
// customer's latest inquiry first: the one a reply goes to.
const replyMembers = `SELECT ` + inquiryColumns + ` FROM inquiries
	WHERE cluster_id = ? AND reply_url <> '' ORDER BY received_at DESC, id DESC`

// ClusterReplies returns the replies of those clusters that have one.
func (s *Storage) ClusterReplies(ctx context.Context, clusterIDs []string) (map[string]Reply, error) {
	out := map[string]Reply{}
	if len(clusterIDs) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(`SELECT id, reply_text, reply_by, replied_at FROM clusters WHERE id IN (?) AND reply_text IS NOT NULL`, clusterIDs)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	rows, err := s.db.QueryxContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to read cluster replies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Reply
		if err := rows.Scan(&r.ClusterID, &r.Text, &r.By, &r.At); err != nil {
			return nil, fmt.Errorf("storage: unable to read cluster replies: %w", err)
		}
		out[r.ClusterID] = r
	}
	return out, rows.Err()
}

// ClusterReply returns a cluster's reply and its delivery to each member.
func (s *Storage) ClusterReply(ctx context.Context, clusterID string) (Reply, []Delivery, error) {
	replies, err := s.ClusterReplies(ctx, []string{clusterID})
	if err != nil {
		return Reply{}, nil, err
	}
	r, ok := replies[clusterID]
	if !ok {
		return Reply{}, nil, fmt.Errorf("storage: cluster %s has no reply: %w", clusterID, ErrNotFound)
	}
	var ds []Delivery
	if err := s.db.SelectContext(ctx, &ds, s.db.Rebind(`SELECT `+deliveryColumns+` FROM deliveries
		WHERE kind = ? AND inquiry_id IN (SELECT id FROM inquiries WHERE cluster_id = ?) ORDER BY created_at, id`), KindReply, clusterID); err != nil {
		return Reply{}, nil, fmt.Errorf("storage: unable to read the deliveries of cluster %s: %w", clusterID, err)
	}
	return r, ds, nil
}
