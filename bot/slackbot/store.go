package slackbot

import (
	"context"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
)

// Store is what the Slack app reads and keeps in SQL itself; its actions
// go through desk.
type Store interface {
	boardStore
	Cluster(ctx context.Context, id string) (storage.Cluster, error)
	ClusterReplies(ctx context.Context, clusterIDs []string) (map[string]storage.Reply, error)
	Incident(ctx context.Context, id string) (kb.Incident, error)
	Incidents(ctx context.Context, activeOnly bool) ([]kb.Incident, error)
	IncidentVolume(ctx context.Context, incidentID string, bucketMS, since int64) ([]storage.VolumeBucket, error)
	// EnqueueDeliveries queues the note telling a customer their message
	// was refused.
	EnqueueDeliveries(ctx context.Context, ds []storage.Delivery) (int, error)
	// FirstRequest records a signed request's identity, so a replayed
	// command acts once.
	FirstRequest(ctx context.Context, id string, now time.Time, ttl time.Duration) (bool, error)
	// Ping tells a database outage (503) from a failure (500).
	Ping(ctx context.Context) error
}

// boardStore is what the agents' board keeps in SQL: its lease, its
// messages, and the alerts it posts.
type boardStore interface {
	AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error)
	RenewLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, owner string) error
	Alert(ctx context.Context, clusterID string) (storage.Alert, error)
	Alerts(ctx context.Context, status string, limit int) ([]storage.Alert, error)
	SlackMessages(ctx context.Context, subjects []string) (map[string]storage.SlackMessage, error)
	ReserveSlackMessage(ctx context.Context, subject, channel string, now int64) (bool, error)
	RetrySlackPost(ctx context.Context, subject string, prev, now int64) (bool, error)
	SaveSlackMessage(ctx context.Context, m storage.SlackMessage) error
	ForgetSlackMessage(ctx context.Context, m storage.SlackMessage) error
	RefreshSlackMessage(ctx context.Context, subject string) error
}
