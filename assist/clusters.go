package assist

import (
	"slices"
	"sync"
)

// ClusterVectors gives problem grouping an embedding per cluster: the
// normalised mean of the embeddings of the cluster's first few members. It
// implements the grouper's ClusterVector look-up, which never waits: a
// cluster whose members are not embedded yet has no vector, and is grouped
// on the lexical signals alone.
type ClusterVectors struct {
	e *Embedder

	mu    sync.Mutex
	texts map[string][]string // cluster id → its first members' texts
	order []string            // cluster ids, oldest first, to bound memory
}

// Bounds on what ClusterVectors keeps.
const (
	membersPerCluster = 8
	maxClusters       = 50000
)

// NewClusterVectors returns an empty ClusterVectors over e.
func NewClusterVectors(e *Embedder) *ClusterVectors {
	return &ClusterVectors{e: e, texts: map[string][]string{}}
}

// Observe records that text (redacted) joined cluster clusterID and queues
// its embedding if the cluster still has room for it. It never waits.
func (c *ClusterVectors) Observe(clusterID, text string) {
	c.mu.Lock()
	texts, known := c.texts[clusterID]
	if slices.Contains(texts, text) {
		// Seen: asked again in case its embedding failed before.
		c.mu.Unlock()
		c.e.Request(text)
		return
	}
	if len(texts) >= membersPerCluster {
		c.mu.Unlock()
		return
	}
	if !known {
		c.order = append(c.order, clusterID)
		if len(c.order) > maxClusters {
			delete(c.texts, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.texts[clusterID] = append(texts, text)
	c.mu.Unlock()
	c.e.Request(text)
}

// Merge moves what is known of from into into (an agent's merge).
func (c *ClusterVectors) Merge(from, into string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if texts, ok := c.texts[from]; ok {
		merged := append(c.texts[into], texts...)
		c.texts[into] = merged[:min(len(merged), membersPerCluster)]
		delete(c.texts, from)
	}
}

// ClusterVector returns the cluster's embedding from the members embedded
// so far; false when none is.
func (c *ClusterVectors) ClusterVector(clusterID string) ([]float32, bool) {
	c.mu.Lock()
	texts := append([]string(nil), c.texts[clusterID]...)
	c.mu.Unlock()
	var sum []float32
	for _, t := range texts {
		v, ok := c.e.Lookup(t)
		if !ok {
			continue
		}
		if sum == nil {
			sum = make([]float32, len(v))
		}
		if len(v) != len(sum) {
			continue // another model's vector, from before a restart
		}
		for i, x := range v {
			sum[i] += x
		}
	}
	if sum == nil {
		return nil, false
	}
	return unit(sum), true
}
