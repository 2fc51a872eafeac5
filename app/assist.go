package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/triage"
	"github.com/surgedesk/surgedesk/workers"
)

// suggestionTTL is how long a drafted title and reply are reused.
const suggestionTTL = 10 * time.Minute

// assistant is what the assist block turns on: nil parts are off.
type assistant struct {
	embedder  *assist.Embedder
	clusters  *assist.ClusterVectors
	suggester *assist.Suggester
}

// newAssistant builds the assist parts cfg asks for; all nil when it is
// off.
func newAssistant(cfg config.Assist, reg prometheus.Registerer, log *slog.Logger) assistant {
	if !cfg.Enabled() {
		return assistant{}
	}
	client := assist.NewClient(cfg, cfg.APIKey(), reg)
	var a assistant
	if cfg.EmbeddingModel != "" {
		a.embedder = assist.NewEmbedder(client, assist.EmbedderOptions{Model: cfg.EmbeddingModel, BatchSize: cfg.BatchSize,
			Linger: cfg.BatchLinger, QueueSize: cfg.QueueSize, CacheSize: cfg.CacheSize}, log)
		a.clusters = assist.NewClusterVectors(a.embedder)
	}
	if cfg.ChatModel != "" {
		a.suggester = assist.NewSuggester(client, suggestionTTL)
	}
	log.Info("assist on", "base_url", cfg.BaseURL, "embedding_model", cfg.EmbeddingModel, "chat_model", cfg.ChatModel,
		"api_key_set", cfg.APIKey() != "")
	return a
}

// run starts the embeddings worker, if any, until ctx ends.
func (a assistant) run(ctx context.Context, wg *sync.WaitGroup) {
	if a.embedder != nil {
		wg.Go(func() { _ = a.embedder.Run(ctx) })
	}
}

// observing hands the ingest worker g, with every member's text queued for
// its cluster's embedding first (never waiting) when embeddings are on.
func (a assistant) observing(g *triage.Grouper) workers.Grouper {
	if a.clusters == nil {
		return g
	}
	return embeddingGrouper{Grouper: g, vectors: a.clusters}
}

type embeddingGrouper struct {
	*triage.Grouper
	vectors *assist.ClusterVectors
}

func (e embeddingGrouper) Observe(clusterID, text string, sim float64, incidentID string) triage.Placement {
	e.vectors.Observe(clusterID, text)
	return e.Grouper.Observe(clusterID, text, sim, incidentID)
}

// ObserveAssigned is what the ingest worker calls: it must queue the
// embedding too, not fall through to the embedded Grouper's.
func (e embeddingGrouper) ObserveAssigned(a triage.Assignment, text, incidentID string) triage.Placement {
	e.vectors.Observe(a.ClusterID, text)
	return e.Grouper.ObserveAssigned(a, text, incidentID)
}
