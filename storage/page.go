package storage

import (
	"context"
	"fmt"
	"strings"
)

// Lists are paged by keyset: a page is read after the last row of the page
// before (its key, which callers carry in an opaque cursor), so that a walk
// through a list that is not changing returns each row exactly once
// however big it is, and each page costs an index range, not an offset.

// ClusterKey is a cluster's place in the "largest first" order.
type ClusterKey struct {
	Inquiries int64  `json:"n"`
	LastSeen  int64  `json:"t"`
	ID        string `json:"id"`
}

// Key is c's place in the "largest first" order.
func (c Cluster) Key() ClusterKey { return ClusterKey{c.Inquiries, c.LastSeen, c.ID} }

// OpenClustersPage returns up to limit open clusters seen at or after
// since, largest first, after the key (nil: from the start), and how many
// there are in all.
func (s *Storage) OpenClustersPage(ctx context.Context, since int64, after *ClusterKey, limit int) ([]Cluster, int64, error) {
	q := `SELECT ` + clusterColumns + ` FROM clusters WHERE status = 'open' AND last_seen >= ?`
	args := []any{since}
	if after != nil {
		q += ` AND (inquiries < ? OR (inquiries = ? AND last_seen < ?) OR (inquiries = ? AND last_seen = ? AND id > ?))`
		args = append(args, after.Inquiries, after.Inquiries, after.LastSeen, after.Inquiries, after.LastSeen, after.ID)
	}
	q += ` ORDER BY inquiries DESC, last_seen DESC, id LIMIT ?`
	args = append(args, limit)
	var cs []Cluster
	if err := s.db.SelectContext(ctx, &cs, s.db.Rebind(q), args...); err != nil {
		return nil, 0, fmt.Errorf("storage: unable to list clusters: %w", err)
	}
	for i := range cs {
		cs[i].decode()
	}
	var total int64
	if err := s.db.GetContext(ctx, &total, s.db.Rebind(`SELECT COUNT(*) FROM clusters WHERE status = 'open' AND last_seen >= ?`), since); err != nil {
		return nil, 0, fmt.Errorf("storage: unable to count clusters: %w", err)
	}
	return cs, total, nil
}

// AlertKey is an alert's place in the "newest first" order.
type AlertKey struct {
	RaisedAt  int64  `json:"t"`
	ClusterID string `json:"id"`
}

// Key is a's place in the "newest first" order.
func (a Alert) Key() AlertKey { return AlertKey{a.RaisedAt, a.ClusterID} }

// AlertsPage returns up to limit alerts with status (all when empty),
// newest first, after the key (nil: from the start).
func (s *Storage) AlertsPage(ctx context.Context, status string, after *AlertKey, limit int) ([]Alert, error) {
	q := `SELECT ` + alertColumns + ` FROM alerts WHERE 1 = 1`
	var args []any
	if status != "" {
		q += ` AND status = ?`
		args = append(args, status)
	}
	if after != nil {
		q += ` AND (raised_at < ? OR (raised_at = ? AND cluster_id > ?))`
		args = append(args, after.RaisedAt, after.RaisedAt, after.ClusterID)
	}
	q += ` ORDER BY raised_at DESC, cluster_id LIMIT ?`
	args = append(args, limit)
	var out []Alert
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("storage: unable to list alerts: %w", err)
	}
	for i := range out {
		out[i].decode()
	}
	return out, nil
}

// MemberFilter selects a cluster's members; zero fields select all.
type MemberFilter struct {
	// Q is text the member contains (case-insensitive for ASCII).
	Q string
	// Customer is a customer id, or a "source:customer_id" key.
	Customer string
	// Since and Until bound received_at (unix ms), Until exclusive; 0 is open.
	Since, Until int64
}

// MemberKey is a member's place in the "newest first" order.
type MemberKey struct {
	ReceivedAt int64  `json:"t"`
	ID         string `json:"id"`
}

// Key is in's place in the "newest first" order.
func (in Inquiry) Key() MemberKey { return MemberKey{in.ReceivedAt, in.ID} }

// ClusterMembers returns up to limit members of a cluster matching f,
// newest first, after the key (nil: from the start), and how many match
// in all. The scan is bounded by the (cluster_id, received_at) index.
func (s *Storage) ClusterMembers(ctx context.Context, clusterID string, f MemberFilter, after *MemberKey, limit int) ([]Inquiry, int64, error) {
	where := ` WHERE cluster_id = ?`
	args := []any{clusterID}
	if f.Q != "" {
		where += ` AND LOWER(text) LIKE ? ESCAPE '\'`
		args = append(args, "%"+likeEscape.Replace(strings.ToLower(f.Q))+"%")
	}
	if f.Customer != "" {
		where += ` AND (customer_id = ? OR source || ':' || customer_id = ?)`
		args = append(args, f.Customer, f.Customer)
	}
	if f.Since > 0 {
		where += ` AND received_at >= ?`
		args = append(args, f.Since)
	}
	if f.Until > 0 {
		where += ` AND received_at < ?`
		args = append(args, f.Until)
	}
	var total int64
	if err := s.db.GetContext(ctx, &total, s.db.Rebind(`SELECT COUNT(*) FROM inquiries`+where), args...); err != nil {
		return nil, 0, fmt.Errorf("storage: unable to count the members of cluster %s: %w", clusterID, err)
	}
	q := `SELECT ` + inquiryColumns + ` FROM inquiries` + where
	if after != nil {
		q += ` AND (received_at < ? OR (received_at = ? AND id < ?))`
		args = append(args, after.ReceivedAt, after.ReceivedAt, after.ID)
	}
	q += ` ORDER BY received_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	var out []Inquiry
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(q), args...); err != nil {
		return nil, 0, fmt.Errorf("storage: unable to list the members of cluster %s: %w", clusterID, err)
	}
	return out, total, nil
}

var likeEscape = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// AuditPage returns up to limit entries about subject (every subject when
// empty), newest first, with ids below before (0: from the newest).
func (s *Storage) AuditPage(ctx context.Context, subject string, before int64, limit int) ([]AuditEntry, error) {
	q := `SELECT id, at, actor, action, subject, detail FROM audit WHERE 1 = 1`
	var args []any
	if subject != "" {
		q += ` AND subject = ?`
		args = append(args, subject)
	}
	if before > 0 {
		q += ` AND id < ?`
		args = append(args, before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	var entries []AuditEntry
	if err := s.db.SelectContext(ctx, &entries, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("storage: unable to load audit entries: %w", err)
	}
	for i := range entries {
		entries[i].At = fromMS(entries[i].AtMS)
	}
	return entries, nil
}

// DeliveryKey is a delivery's place in the "newest first" order.
type DeliveryKey struct {
	CreatedAt int64  `json:"t"`
	ID        string `json:"id"`
}

// Key is d's place in the "newest first" order.
func (d Delivery) Key() DeliveryKey { return DeliveryKey{d.CreatedAt, d.ID} }

// DeliveriesByIncidentPage returns up to limit of an incident's
// deliveries, newest first, after the key (nil: from the start).
func (s *Storage) DeliveriesByIncidentPage(ctx context.Context, incidentID string, after *DeliveryKey, limit int) ([]Delivery, error) {
	q := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE incident_id = ?`
	args := []any{incidentID}
	if after != nil {
		q += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, after.CreatedAt, after.CreatedAt, after.ID)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	var out []Delivery
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("storage: unable to list deliveries of incident %s: %w", incidentID, err)
	}
	return out, nil
}
