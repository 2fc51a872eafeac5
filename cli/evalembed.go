package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/triage"
)

// embeddingFlags turn on eval's semantic path: embeddings from an
// OpenAI-compatible server through the same go-openai client serve uses.
type embeddingFlags struct {
	cmd, weightFlag    string // for errors: "match" and "--semantic-weight"
	url, model, keyEnv string
	weight             float64
	batch              int
}

func (e *embeddingFlags) register(fs *flag.FlagSet) {
	e.cmd, e.weightFlag = "match", "--semantic-weight"
	e.registerURL(fs)
	fs.Float64Var(&e.weight, "semantic-weight", config.Default().Assist.SemanticWeight, "the embedding's share of the hybrid score (0..1)")
}

// registerProblem registers the flags of eval cluster --level problem's
// semantic path: the embedding's share of problem grouping.
func (e *embeddingFlags) registerProblem(fs *flag.FlagSet) {
	e.cmd, e.weightFlag = "cluster", "--problem-embedding-weight"
	e.registerURL(fs)
	fs.Float64Var(&e.weight, "problem-embedding-weight", triage.DefaultProblemOptions().EmbeddingWeight, "the embedding's share of problem grouping's similarity (0..1; --level problem with --embeddings-url)")
}

func (e *embeddingFlags) registerURL(fs *flag.FlagSet) {
	fs.StringVar(&e.url, "embeddings-url", "", "OpenAI-compatible API `URL` ending in /v1 (e.g. the eval/sidecar server): score with the hybrid of lexical and embedding similarity")
	fs.StringVar(&e.model, "embedding-model", "", "embedding model `name` sent to --embeddings-url")
	fs.StringVar(&e.keyEnv, "api-key-env", "OPENAI_API_KEY", "environment variable holding the API key for --embeddings-url (none needed for local servers)")
	fs.IntVar(&e.batch, "embedding-batch", 64, "texts per embeddings call")
}

func (e *embeddingFlags) on() bool { return e.url != "" }

func (e *embeddingFlags) validate() error {
	switch {
	case !e.on():
		return nil
	case e.model == "":
		return errors.New(e.cmd + ": --embeddings-url needs --embedding-model")
	case e.weight < 0 || e.weight > 1:
		return errors.New(e.cmd + ": " + e.weightFlag + " must be in 0..1")
	case e.batch < 1 || e.batch > 2048:
		return errors.New(e.cmd + ": --embedding-batch must be between 1 and 2048")
	}
	return nil
}

func (e *embeddingFlags) describe() string {
	if !e.on() {
		return "lexical"
	}
	return fmt.Sprintf("hybrid: lexical + %.2f × embeddings of %s at %s", e.weight, e.model, e.url)
}

// embedder returns the go-openai embedder the semantic path uses.
func (e *embeddingFlags) embedder() *assist.Embedder {
	cfg := config.Default().Assist
	cfg.BaseURL, cfg.EmbeddingModel, cfg.APIKeyEnv = e.url, e.model, e.keyEnv
	// A measurement run: generous timeouts, no rate limit to speak of.
	cfg.Timeout, cfg.RatePerSecond, cfg.Burst, cfg.BreakerFailures = 5*time.Minute, 1000, 1000, 3
	client := assist.NewClient(cfg, os.Getenv(e.keyEnv), nil)
	return assist.NewEmbedder(client, assist.EmbedderOptions{Model: e.model, BatchSize: e.batch, CacheSize: 1 << 22},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// clusterVectors embeds texts (as the grouper sees them) first, then
// returns the cluster vectors problem grouping blends with its topics; nil
// when embeddings are off.
func (e *embeddingFlags) clusterVectors(ctx context.Context, texts []string) (*assist.ClusterVectors, error) {
	if !e.on() {
		return nil, nil
	}
	emb := e.embedder()
	if _, err := emb.Vectors(ctx, texts); err != nil {
		return nil, fmt.Errorf("cluster: embedding the data: %w", err)
	}
	return assist.NewClusterVectors(emb), nil
}

// hybrid returns the matcher to score with and the texts' embeddings:
// lexical and nil when embeddings are off. Every KB example and text is
// embedded first (measurement waits; serve never does).
func (e *embeddingFlags) hybrid(ctx context.Context, lexical *kb.Matcher, texts []string) (*kb.Matcher, [][]float32, error) {
	if !e.on() {
		return lexical, nil, nil
	}
	emb := e.embedder()
	kbVecs, err := emb.Vectors(ctx, lexical.ExampleTexts())
	if err != nil {
		return nil, nil, fmt.Errorf("match: embedding the KB examples: %w", err)
	}
	vecs, err := emb.Vectors(ctx, texts)
	if err != nil {
		return nil, nil, fmt.Errorf("match: embedding the data: %w", err)
	}
	// The threshold and margin are applied by the caller.
	m, err := lexical.WithVectors(kbVecs, e.weight, kb.Options{})
	if err != nil {
		return nil, nil, err
	}
	return m, vecs, nil
}
