package eval

import (
	"fmt"
	"math"
)

// Scores holds every quality figure for one clustering against the truth.
type Scores struct {
	ARI       float64
	NMI       float64
	Precision float64 // pairwise: of the pairs put together, the share that belong together
	Recall    float64 // pairwise: of the pairs that belong together, the share put together
	F1        float64
	Purity    float64
	Clusters  int // distinct predicted clusters
	N         int // items scored
}

// Score computes all metrics from one contingency table.
func Score(truth, pred []string) Scores {
	t := newContingency(truth, pred)
	p, r, f := t.pairwise()
	return Scores{
		ARI:       t.ari(),
		NMI:       t.nmi(),
		Precision: p,
		Recall:    r,
		F1:        f,
		Purity:    t.purity(),
		Clusters:  len(t.predSize),
		N:         t.n,
	}
}

// ARI is the adjusted Rand index (Hubert and Arabie): 1 for identical
// partitions, about 0 for chance agreement, negative for worse than chance.
// Degenerate inputs whose expected and maximum index coincide (n < 2, or
// both sides one cluster, or both sides all singletons) are identical
// partitions and score 1.
func ARI(truth, pred []string) float64 { return newContingency(truth, pred).ari() }

// NMI is mutual information normalised by the arithmetic mean of the two
// entropies (the scikit-learn default). Two partitions with zero entropy
// each (one cluster on both sides, or n < 2) score 1.
func NMI(truth, pred []string) float64 { return newContingency(truth, pred).nmi() }

// Pairwise scores the clustering as a decision on every pair of items.
// With no predicted pairs precision is 1 (nothing was wrongly merged); with
// no true pairs recall is 1 (nothing could be missed).
func Pairwise(truth, pred []string) (precision, recall, f1 float64) {
	return newContingency(truth, pred).pairwise()
}

// Purity is the share of items whose cluster's majority label is their own.
// An empty input scores 1: nothing is misplaced.
func Purity(truth, pred []string) float64 { return newContingency(truth, pred).purity() }

// contingency counts items per (true label, predicted cluster) cell; every
// metric here follows from its cells and margins, so no pair is enumerated.
type contingency struct {
	n         int
	cells     map[[2]int]int
	truthSize []int
	predSize  []int
}

func newContingency(truth, pred []string) contingency {
	if len(truth) != len(pred) {
		panic(fmt.Sprintf("eval: %d true labels but %d predictions", len(truth), len(pred)))
	}
	truthIDs := map[string]int{}
	predIDs := map[string]int{}
	t := contingency{n: len(truth), cells: map[[2]int]int{}}
	for i := range truth {
		ti, ok := truthIDs[truth[i]]
		if !ok {
			ti = len(truthIDs)
			truthIDs[truth[i]] = ti
			t.truthSize = append(t.truthSize, 0)
		}
		pi, ok := predIDs[pred[i]]
		if !ok {
			pi = len(predIDs)
			predIDs[pred[i]] = pi
			t.predSize = append(t.predSize, 0)
		}
		t.cells[[2]int{ti, pi}]++
		t.truthSize[ti]++
		t.predSize[pi]++
	}
	return t
}

func pairs(k int) float64 { return float64(k) * float64(k-1) / 2 }

// pairCounts returns the pairs together on both sides, in the truth, and in
// the prediction.
func (t contingency) pairCounts() (both, truth, pred float64) {
	for _, c := range t.cells {
		both += pairs(c)
	}
	for _, c := range t.truthSize {
		truth += pairs(c)
	}
	for _, c := range t.predSize {
		pred += pairs(c)
	}
	return both, truth, pred
}

func (t contingency) ari() float64 {
	both, truth, pred := t.pairCounts()
	total := pairs(t.n)
	if total == 0 {
		return 1
	}
	expected := truth * pred / total
	maximum := (truth + pred) / 2
	// Equal margins mean identical trivial partitions; the tolerance absorbs
	// rounding in the products of large pair counts.
	if math.Abs(maximum-expected) <= 1e-12*maximum {
		return 1
	}
	return (both - expected) / (maximum - expected)
}

func (t contingency) nmi() float64 {
	if t.n == 0 {
		return 1
	}
	n := float64(t.n)
	entropy := func(sizes []int) float64 {
		h := 0.0
		for _, s := range sizes {
			p := float64(s) / n
			h -= p * math.Log(p)
		}
		return h
	}
	ht, hp := entropy(t.truthSize), entropy(t.predSize)
	if ht == 0 && hp == 0 {
		return 1
	}
	mi := 0.0
	for k, c := range t.cells {
		nc := float64(c)
		mi += nc / n * math.Log(n*nc/(float64(t.truthSize[k[0]])*float64(t.predSize[k[1]])))
	}
	// Rounding can leave a hair below zero for independent partitions.
	return math.Max(0, mi/((ht+hp)/2))
}

func (t contingency) pairwise() (precision, recall, f1 float64) {
	both, truth, pred := t.pairCounts()
	precision, recall = 1, 1
	if pred > 0 {
		precision = both / pred
	}
	if truth > 0 {
		recall = both / truth
	}
	if precision+recall > 0 {
		f1 = 2 * precision * recall / (precision + recall)
	}
	return precision, recall, f1
}

func (t contingency) purity() float64 {
	if t.n == 0 {
		return 1
	}
	majority := make([]int, len(t.predSize))
	for k, c := range t.cells {
		majority[k[1]] = max(majority[k[1]], c)
	}
	sum := 0
	for _, m := range majority {
		sum += m
	}
	return float64(sum) / float64(t.n)
}
