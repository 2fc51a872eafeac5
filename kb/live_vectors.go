package kb

import (
	"context"
	"time"
)

// vectorSource is an embeddings cache and worker (package assist's
// Embedder). Lookup and Request never wait; Vectors does, and is only
// called off the intake path.
type vectorSource interface {
	Lookup(text string) ([]float32, bool)
	Request(texts ...string)
	Vectors(ctx context.Context, texts []string) ([][]float32, error)
}

type hybridOptions struct {
	weight float64
	opts   Options
}

// embedTimeout bounds embedding a knowledge base's examples after a load.
const embedTimeout = 5 * time.Minute

// WithVectors makes answers hybrid (lexical and embedding similarity, with
// weight and opts) once the examples' embeddings are in and whenever the
// inquiry's own embedding is cached. Answer never waits for either: until
// then it answers lexically, and queues the inquiry's text for the
// embeddings worker. Call before Load.
func (k *Live) WithVectors(v vectorSource, weight float64, opts Options) *Live {
	k.vectors, k.semantic = v, hybridOptions{weight: weight, opts: opts}
	return k
}

// vector returns text's cached embedding, or nil after queuing it.
func (k *Live) vector(text string) []float32 {
	if k.vectors == nil {
		return nil
	}
	if v, ok := k.vectors.Lookup(text); ok {
		return v
	}
	k.vectors.Request(text)
	return nil
}

// embedExamples builds the hybrid matcher of a load from its examples'
// embeddings, unless a newer load came first. On failure answers stay
// lexical until the next load (announced change or resync).
func (k *Live) embedExamples(version uint64, matcher *Matcher) {
	ctx, cancel := context.WithTimeout(context.Background(), embedTimeout)
	defer cancel()
	vecs, err := k.vectors.Vectors(ctx, matcher.ExampleTexts())
	if err != nil {
		k.log.Warn("knowledge-base examples not embedded; answers stay lexical until the next reload", "err", err)
		return
	}
	hybrid, err := matcher.WithVectors(vecs, k.semantic.weight, k.semantic.opts)
	if err != nil {
		k.log.Warn("hybrid matcher not built; answers stay lexical", "err", err)
		return
	}
	k.mu.Lock()
	if k.version == version {
		k.hybrid = hybrid
	}
	k.mu.Unlock()
	k.log.Info("knowledge-base examples embedded; answers are hybrid", "examples", len(vecs))
}

// cachedHybrid builds the hybrid matcher when every example's embedding is
// cached; nil otherwise.
func (k *Live) cachedHybrid(matcher *Matcher) *Matcher {
	if k.vectors == nil || matcher == nil {
		return nil
	}
	texts := matcher.ExampleTexts()
	vecs := make([][]float32, len(texts))
	for i, t := range texts {
		v, ok := k.vectors.Lookup(t)
		if !ok {
			return nil
		}
		vecs[i] = v
	}
	hybrid, err := matcher.WithVectors(vecs, k.semantic.weight, k.semantic.opts)
	if err != nil {
		return nil
	}
	return hybrid
}
