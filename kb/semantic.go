package kb

import (
	"fmt"
	"math"
)

// semantic is the embedding side of a hybrid matcher: a unit vector per
// example and per entry (the normalised mean of its examples').
type semantic struct {
	dims      int
	weight    float64
	opts      Options
	examples  [][]float32
	centroids [][]float32
	// floor is the mean cosine between an example and the centroids of
	// the other entries: what "unrelated" scores under this model. Scores
	// are rescaled so that the floor is 0 and identity 1, which makes one
	// set of thresholds fit models whose cosines live on different scales
	// (USE-lite's unrelated sentences score about 0.3, OpenAI's about 0.1).
	floor float64
}

// Defaults of a hybrid matcher, tuned with the lexical ones (see
// docs/assist.md): the blended score sits on the lexical scale.
const (
	DefaultHybridThreshold = 0.24
	DefaultHybridMargin    = 0.065
)

// DefaultHybridOptions returns the tuned hybrid defaults.
func DefaultHybridOptions() Options {
	return Options{Threshold: DefaultHybridThreshold, Margin: DefaultHybridMargin}
}

// semanticCentroidWeight is the centroid's share of an entry's semantic
// score; the rest is its closest example's cosine.
const semanticCentroidWeight = 0.5

// ExampleTexts returns the texts WithVectors needs embeddings of, in order:
// every example and keyword phrasing the matcher indexed.
func (m *Matcher) ExampleTexts() []string {
	out := make([]string, len(m.examples))
	for i, ex := range m.examples {
		out[i] = ex.text
	}
	return out
}

// WithVectors returns a hybrid matcher: vectors are the unit embeddings of
// ExampleTexts, in order; an entry's score becomes (1-weight) × its lexical
// score + weight × its rescaled semantic score, answered with opts. The
// lexical matcher is shared, not copied; m is unchanged.
func (m *Matcher) WithVectors(vectors [][]float32, weight float64, opts Options) (*Matcher, error) {
	if len(vectors) != len(m.examples) {
		return nil, fmt.Errorf("kb: %d vectors for %d examples", len(vectors), len(m.examples))
	}
	if weight < 0 || weight > 1 || math.IsNaN(weight) {
		return nil, fmt.Errorf("kb: semantic weight %v is not in 0..1", weight)
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	dims := len(vectors[0])
	if dims == 0 {
		return nil, fmt.Errorf("kb: empty vector")
	}
	s := &semantic{dims: dims, weight: weight, opts: opts, examples: make([][]float32, len(vectors)),
		centroids: make([][]float32, len(m.entries))}
	sums := make([][]float64, len(m.entries))
	for i, v := range vectors {
		if len(v) != dims {
			return nil, fmt.Errorf("kb: vector %d has %d dimensions, want %d", i, len(v), dims)
		}
		u := unit(v)
		s.examples[i] = u
		e := m.examples[i].entry
		if sums[e] == nil {
			sums[e] = make([]float64, dims)
		}
		for j, x := range u {
			sums[e][j] += float64(x)
		}
	}
	for e, sum := range sums {
		c := make([]float32, dims)
		for j, x := range sum {
			c[j] = float32(x)
		}
		s.centroids[e] = unit(c)
	}
	if len(m.entries) > 1 {
		var total float64
		var n int
		for i, v := range s.examples {
			own := m.examples[i].entry
			for e, c := range s.centroids {
				if int32(e) != own {
					total += dot(v, c)
					n++
				}
			}
		}
		s.floor = min(max(total/float64(n), 0), 0.9)
	}
	out := *m
	out.sem = s
	return &out, nil
}

// blend mixes the semantic score of every entry into the lexical ones.
func (m *Matcher) blend(lex scores, vec []float32) scores {
	s := m.sem
	vec = unit(vec)
	out := scores{entry: make([]float64, len(m.entries)), example: make([]int32, len(m.entries)),
		scored: make([]bool, len(m.entries)), negated: lex.negated}
	best := make([]float64, len(m.entries))
	for e := range best {
		best[e] = math.Inf(-1)
	}
	closest := make([]int32, len(m.entries))
	for i, v := range s.examples {
		e := m.examples[i].entry
		if c := dot(vec, v); c > best[e] {
			best[e], closest[e] = c, int32(i)
		}
	}
	for e, c := range s.centroids {
		raw := semanticCentroidWeight*dot(vec, c) + (1-semanticCentroidWeight)*best[e]
		sem := max((raw-s.floor)/(1-s.floor), 0) * m.negationFactor(e, lex.negated)
		out.entry[e] = (1-s.weight)*lex.entry[e] + s.weight*sem
		out.scored[e] = true
		out.example[e] = closest[e]
		if lex.scored[e] {
			out.example[e] = lex.example[e]
		}
	}
	return out
}

func dot(a, b []float32) float64 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return float64(s)
}

// unit returns v scaled to length 1 (v itself when it already is).
func unit(v []float32) []float32 {
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm == 0 || math.Abs(norm-1) < 1e-6 {
		return v
	}
	inv := float32(1 / math.Sqrt(norm))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * inv
	}
	return out
}
