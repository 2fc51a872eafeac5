// Package desk is the one home of the agents' and managers' actions:
// declaring and updating incidents, claiming, resolving, replying to all,
// linking, merging and splitting clusters, deciding surge alerts, and the
// queue's ranking. The HTTP API (web), the Slack app (bot/slackbot) and the
// CLI decode a request, call a Desk method and render its result; the rules
// and the audit live here once, and so does what follows an action:
// announcing it to the other instances over NATS, changing this instance's
// clusterer, queuing follow-ups and waking the delivery worker.
//
// Errors: validation errors wrap ErrMissing or ErrInvalid and read as a
// message for the user; storage's sentinels (storage.ErrNotFound,
// storage.ErrClaimed, storage.ErrExists) pass through; a missing incident
// named by an action is ErrNoIncident.
package desk

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

// Store is the part of storage the desk acts on.
type Store interface {
	CreateIncident(ctx context.Context, actor string, inc kb.Incident) (kb.Incident, error)
	Incident(ctx context.Context, id string) (kb.Incident, error)
	AddIncidentUpdate(ctx context.Context, actor, incidentID string, u kb.Update) (kb.Update, error)
	CloseClustersOfIncident(ctx context.Context, incidentID string) ([]string, error)
	CreateAnswer(ctx context.Context, actor string, a kb.Answer) (kb.Answer, error)
	UpdateAnswer(ctx context.Context, actor string, a kb.Answer) (kb.Answer, error)
	ImportKB(ctx context.Context, actor string, d kb.Document) error

	Cluster(ctx context.Context, id string) (storage.Cluster, error)
	OpenClusters(ctx context.Context, since int64, limit int) ([]storage.Cluster, error)
	ClusterSamples(ctx context.Context, clusterIDs []string, perCluster int) (map[string][]storage.Inquiry, error)
	OpenRecentCounts(ctx context.Context, since, now int64) (map[string]storage.Recent, error)
	InquiriesByCluster(ctx context.Context, clusterID string, limit int) ([]storage.Inquiry, error)
	ClusterMembers(ctx context.Context, clusterID string, f storage.MemberFilter, after *storage.MemberKey, limit int) ([]storage.Inquiry, int64, error)
	ClaimCluster(ctx context.Context, agent, clusterID string, now, until int64) error
	TakeOverCluster(ctx context.Context, manager, clusterID string, now, until int64) (string, error)
	ResolveCluster(ctx context.Context, agent, clusterID string) error
	LinkCluster(ctx context.Context, actor, clusterID, incidentID string) error
	ReplyToCluster(ctx context.Context, agent, clusterID, text string) (int, error)
	MergeCluster(ctx context.Context, agent, from, into string, now int64) (storage.Cluster, int, error)
	SplitCluster(ctx context.Context, agent, from, newID string, ids []string, now int64) (storage.Cluster, error)
	MoveMembers(ctx context.Context, agent, from, into string, ids []string, now int64) (storage.Cluster, error)

	Alert(ctx context.Context, clusterID string) (storage.Alert, error)
	ResolveIdleAlerts(ctx context.Context, before, now int64) ([]string, error)
	DeclareAlert(ctx context.Context, actor, clusterID string, inc kb.Incident) (kb.Incident, error)
	DecideAlert(ctx context.Context, actor, clusterID, from, to, incidentID string, now int64) error

	followUpStore
}

// Clusters is this instance's clusterer, which merges, splits and closes
// change at once (the other instances learn them over NATS).
type Clusters interface {
	NewID() string
	Merge(from, into string)
	Split(from, to string, moved, kept []triage.Item)
	Close(id string)
}

// Options are a Desk's dependencies.
type Options struct {
	Store    Store
	Clusters Clusters
	// ProblemStore and Problems serve the problem actions (problem.go);
	// nil leaves them out.
	ProblemStore ProblemStore
	Problems     Problems
	// Conn carries the announcements to every instance; nil announces
	// nothing (a single instance in tests).
	Conn *nats.Conn
	// Instance names this instance in announcements it applies itself.
	Instance string
	// Kick wakes the delivery worker after deliveries are queued.
	Kick func()
	// IdleWindow is triage's: a cluster with no inquiry for this long has
	// left the queue. Zero means triage's default.
	IdleWindow time.Duration
	Log        *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Desk runs the agents' and managers' actions.
type Desk struct {
	Options
	// background is work that outlives the action that started it
	// (queuing follow-ups); Wait waits for it.
	background sync.WaitGroup
	// urgentTexts remembers triage.Urgent of representatives: the queue
	// ranks every open cluster on every read, and they rarely change.
	urgentTexts struct {
		sync.Mutex
		m map[string]bool
	}
}

// New returns a Desk.
func New(o Options) *Desk {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Kick == nil {
		o.Kick = func() {}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.IdleWindow <= 0 {
		o.IdleWindow = triage.DefaultOptions().IdleWindow
	}
	return &Desk{Options: o}
}

// Wait waits for the work actions left running in the background; call it
// on shutdown, after the last action.
func (d *Desk) Wait() { d.background.Wait() }

// ErrMissing and ErrInvalid are a request's mistakes; the error's text is
// the message for the user.
var (
	ErrMissing = errors.New("desk: missing field")
	ErrInvalid = errors.New("desk: invalid field")
	// ErrNoIncident is an action naming an incident that does not exist.
	ErrNoIncident = errors.New("desk: no such incident")
)

type inputError struct {
	kind error
	msg  string
}

func (e *inputError) Error() string { return e.msg }
func (e *inputError) Unwrap() error { return e.kind }

func missing(msg string) error { return &inputError{ErrMissing, msg} }
func invalid(msg string) error { return &inputError{ErrInvalid, msg} }
