package triage

import (
	"strings"
	"sync"
	"time"
)

// API CONTRACT (stub): the signatures below are what the rest of surgedesk
// calls; the implementation is to be replaced.

// Normalize folds text so that variants of the same words compare equal.
func Normalize(text string) string { return strings.ToLower(strings.TrimSpace(text)) }

// Options configures a Clusterer.
type Options struct {
	// Threshold is the similarity (0..1) an inquiry needs to join a cluster.
	Threshold float64
	// IdleWindow closes a cluster that has seen no inquiry for this long.
	IdleWindow time.Duration
	// NewID returns a fresh, globally unique cluster id.
	NewID func() string
}

// DefaultOptions returns the tuned defaults.
func DefaultOptions() Options { return Options{Threshold: 0.5, IdleWindow: 6 * time.Hour} }

// Item is one (already redacted) inquiry offered to the clusterer.
type Item struct {
	ID         string
	CustomerID string
	Text       string
	At         time.Time
}

// Assignment is the clusterer's decision for one Item.
type Assignment struct {
	ClusterID  string
	New        bool    // the item started a new cluster
	Similarity float64 // similarity to the cluster joined (1 for a new cluster)
}

// Cluster is a snapshot of one cluster.
type Cluster struct {
	ID             string
	Representative string   // a member text that stands for the cluster
	Label          []string // top terms
	Count          int      // inquiries
	Customers      int      // distinct customers
	FirstSeen      time.Time
	LastSeen       time.Time
	PerMinute      float64 // inquiries per minute over the last 5 minutes
	Last5m         int
	Last15m        int
}

// Clusterer assigns inquiries to clusters online. Safe for concurrent use.
type Clusterer struct {
	mu       sync.Mutex
	opts     Options
	clusters map[string]*Cluster
	n        int
}

// NewClusterer returns an empty Clusterer.
func NewClusterer(opts Options) *Clusterer {
	return &Clusterer{opts: opts, clusters: map[string]*Cluster{}}
}

// Assign places it in an existing open cluster or starts a new one.
func (c *Clusterer) Assign(it Item) Assignment {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := it.ID
	if c.opts.NewID != nil {
		id = c.opts.NewID()
	}
	c.clusters[id] = &Cluster{ID: id, Representative: it.Text, Count: 1, Customers: 1, FirstSeen: it.At, LastSeen: it.At}
	return Assignment{ClusterID: id, New: true, Similarity: 1}
}

// Cluster returns a snapshot of one cluster.
func (c *Clusterer) Cluster(id string) (Cluster, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.clusters[id]
	if !ok {
		return Cluster{}, false
	}
	return *cl, true
}

// Open returns snapshots of the open clusters, largest first.
func (c *Clusterer) Open(now time.Time) []Cluster { return nil }

// Restore rebuilds one persisted cluster and its members without
// re-deciding any assignment (used on restart).
func (c *Clusterer) Restore(cl Cluster, members []Item) {}

// IndexBytes estimates the memory held by the candidate index.
func (c *Clusterer) IndexBytes() int { return 0 }

// Add records that it joined clusterID, decided by another instance.
func (c *Clusterer) Add(clusterID string, it Item) {}
