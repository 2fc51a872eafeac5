package app

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/assist/assisttest"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/triage"
)

// TestEmbeddingsJoinProblems checks the wiring of assist.problem_weight:
// a Korean and an English cluster of one outage, which share no word, end
// in one problem once their embeddings (from a fake OpenAI-compatible
// server) say they mean the same; with the weight at 0 they stay apart.
func TestEmbeddingsJoinProblems(t *testing.T) {
	const ko, en = "앱이 안 열려요", "app won't open"
	for _, tc := range []struct {
		weight float64
		joined bool
	}{{0.6, true}, {0, false}} {
		fake := assisttest.New()
		t.Cleanup(fake.Close)
		same := make([]float32, assisttest.Dims)
		same[0] = 1
		fake.SetVector(assist.Canonical(ko), same)
		fake.SetVector(assist.Canonical(en), same)

		cfg := config.Default().Assist
		cfg.BaseURL, cfg.EmbeddingModel = fake.URL, "fake-embed"
		cfg.BatchLinger, cfg.RatePerSecond, cfg.Burst = 5*time.Millisecond, 1000, 1000
		cfg.ProblemWeight = tc.weight
		a := newAssistant(cfg, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var wg sync.WaitGroup
		a.run(ctx, &wg)

		popts := triage.DefaultProblemOptions()
		if cfg.ProblemWeight > 0 {
			popts.Embedder, popts.EmbeddingWeight = a.clusters, cfg.ProblemWeight
		}
		g := a.observing(triage.NewGrouper(popts))
		g.ObserveAssigned(triage.Assignment{ClusterID: "c-ko", Similarity: 1}, ko, "")
		g.ObserveAssigned(triage.Assignment{ClusterID: "c-en", Similarity: 1}, en, "")
		for _, id := range []string{"c-ko", "c-en"} {
			for {
				if _, ok := a.clusters.ClusterVector(id); ok {
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("weight %.1f: no embedding for %s: the member's text was not queued", tc.weight, id)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		// A second member makes the grouper decide again, now with vectors.
		p := g.ObserveAssigned(triage.Assignment{ClusterID: "c-en", Similarity: 1}, en, "")
		ko1 := g.ObserveAssigned(triage.Assignment{ClusterID: "c-ko", Similarity: 1}, ko, "")
		if joined := p.ProblemID == ko1.ProblemID; joined != tc.joined {
			t.Errorf("weight %.1f: joined=%v (problems %s and %s), want %v", tc.weight, joined, p.ProblemID, ko1.ProblemID, tc.joined)
		}
		cancel()
		wg.Wait()
	}
}
