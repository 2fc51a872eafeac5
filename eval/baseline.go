package eval

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"unicode"
)

// Baseline is a plain character n-gram TF-IDF leader clusterer: each text
// joins the cluster whose FIRST member (its leader) is most similar by
// cosine, if that similarity is >= threshold; else it leads a new cluster.
//
// IDF is computed over all texts up front, which an online system cannot do;
// this favours the baseline slightly and keeps it simple. An inverted index
// from n-gram to leaders makes it fast without changing the result.
type Baseline struct {
	vectors [][]termWeight
	terms   int
}

type termWeight struct {
	term   int32
	weight float32
}

// BaselineRun is the outcome of one leader pass.
type BaselineRun struct {
	Assignments []int // cluster number per text, in input order
	IndexBytes  int   // estimated memory of the leader index
}

// NewBaseline featurises texts: lower-cased, whitespace collapsed, padded
// with one space so word edges form their own n-grams, then character 2- and
// 3-grams weighted by raw count × smoothed IDF and L2-normalised.
func NewBaseline(texts []string) *Baseline {
	termIDs := map[string]int32{}
	counts := make([]map[int32]int, len(texts))
	var docFreq []int
	for i, text := range texts {
		grams := map[int32]int{}
		runes := []rune(" " + strings.Join(strings.FieldsFunc(strings.ToLower(text), unicode.IsSpace), " ") + " ")
		for n := 2; n <= 3; n++ {
			for start := 0; start+n <= len(runes); start++ {
				key := string(runes[start : start+n])
				id, ok := termIDs[key]
				if !ok {
					id = int32(len(termIDs))
					termIDs[key] = id
					docFreq = append(docFreq, 0)
				}
				if grams[id] == 0 {
					docFreq[id]++
				}
				grams[id]++
			}
		}
		counts[i] = grams
	}
	docs := float64(len(texts))
	b := &Baseline{vectors: make([][]termWeight, len(texts)), terms: len(termIDs)}
	for i, grams := range counts {
		vec := make([]termWeight, 0, len(grams))
		norm := 0.0
		for id, c := range grams {
			w := float64(c) * (math.Log((1+docs)/(1+float64(docFreq[id]))) + 1)
			vec = append(vec, termWeight{id, float32(w)})
			norm += w * w
		}
		// Sorted terms make float sums, and so ties, reproducible.
		slices.SortFunc(vec, func(a, b termWeight) int { return cmp.Compare(a.term, b.term) })
		norm = math.Sqrt(norm)
		for j := range vec {
			vec[j].weight = float32(float64(vec[j].weight) / norm)
		}
		b.vectors[i] = vec
	}
	return b
}

type posting struct {
	leader int32
	weight float32
}

// Cluster runs one online leader pass over the texts in input order.
func (b *Baseline) Cluster(ctx context.Context, threshold float64) (BaselineRun, error) {
	postings := make([][]posting, b.terms)
	var scores []float64
	var touched []int32
	assignments := make([]int, len(b.vectors))
	entries := 0
	for i, vec := range b.vectors {
		if i%1024 == 0 && ctx.Err() != nil {
			return BaselineRun{}, ctx.Err()
		}
		for _, tw := range vec {
			for _, p := range postings[tw.term] {
				if scores[p.leader] == 0 {
					touched = append(touched, p.leader)
				}
				scores[p.leader] += float64(tw.weight) * float64(p.weight)
			}
		}
		best, bestScore := int32(-1), 0.0
		for _, l := range touched {
			if s := scores[l]; s > bestScore || (s == bestScore && l < best) {
				best, bestScore = l, s
			}
			scores[l] = 0
		}
		touched = touched[:0]
		if best < 0 && threshold <= 0 && len(scores) > 0 {
			// Sharing no n-gram is cosine 0, which a threshold of 0 accepts.
			best = 0
		}
		// A small epsilon keeps rounding from splitting exact duplicates at
		// threshold 1.
		if best >= 0 && bestScore >= threshold-1e-6 {
			assignments[i] = int(best)
			continue
		}
		leader := int32(len(scores))
		scores = append(scores, 0)
		for _, tw := range vec {
			postings[tw.term] = append(postings[tw.term], posting{leader, tw.weight})
		}
		entries += len(vec)
		assignments[i] = int(leader)
	}
	// 8 bytes per posting, a 24-byte slice header per term, 8 per leader score.
	return BaselineRun{Assignments: assignments, IndexBytes: entries*8 + b.terms*24 + len(scores)*8}, nil
}
