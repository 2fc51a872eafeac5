package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/config"
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
