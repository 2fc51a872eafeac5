package eval

import (
	"math"
	"strings"
	"testing"
)

func split(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, " ")
}

// Each case is worked out by hand from the contingency table. Notation:
// both = Σ C(n_ij,2), truth = Σ C(a_i,2), pred = Σ C(b_j,2), total = C(n,2),
// expected = truth·pred/total, max = (truth+pred)/2,
// ARI = (both-expected)/(max-expected), P = both/pred, R = both/truth.
func TestScore(t *testing.T) {
	ln2, ln6 := math.Log(2), math.Log(6)
	tests := []struct {
		name         string
		truth, pred  string
		ari, nmi     float64
		p, r, f1     float64
		purity       float64
		wantClusters int
	}{
		{
			// both=2 truth=2 pred=2 total=10 expected=0.4 max=2 → ARI 1.
			name: "perfect", truth: "a a b b c", pred: "x x y y z",
			ari: 1, nmi: 1, p: 1, r: 1, f1: 1, purity: 1, wantClusters: 3,
		},
		{
			// Cluster names do not matter, only the grouping.
			name: "perfect with swapped names", truth: "a a b", pred: "b b a",
			ari: 1, nmi: 1, p: 1, r: 1, f1: 1, purity: 1, wantClusters: 2,
		},
		{
			// both=2 truth=2 pred=6 total=6 expected=2 max=4 → ARI 0.
			// H(pred)=0 so MI=0 → NMI 0. P=2/6, R=1, F1=2·(1/3)/(4/3)=1/2.
			// The one cluster's majority holds 2 of 4 → purity 1/2.
			name: "all in one", truth: "a a b b", pred: "x x x x",
			ari: 0, nmi: 0, p: 1.0 / 3, r: 1, f1: 0.5, purity: 0.5, wantClusters: 1,
		},
		{
			// both=0 truth=2 pred=0 expected=0 max=1 → ARI 0.
			// H(truth)=ln2, H(pred)=ln4, MI=4·¼·ln(4·1/(2·1))=ln2
			// → NMI = ln2/((ln2+2ln2)/2) = 2/3. No predicted pairs → P 1, R 0.
			name: "all singletons", truth: "a a b b", pred: "w x y z",
			ari: 0, nmi: 2.0 / 3, p: 1, r: 0, f1: 0, purity: 1, wantClusters: 4,
		},
		{
			// Cells a/x=2 a/y=1 b/y=1 b/z=2: both=2, truth=3+3=6,
			// pred=1+1+1=3, total=15, expected=6·3/15=1.2, max=4.5
			// → ARI = 0.8/3.3 = 8/33.
			// MI = 2·(2/6)·ln(6·2/(3·2)) + 2·(1/6)·ln(6·1/(3·2)) = (2/3)ln2,
			// H(truth)=ln2, H(pred)=ln3 → NMI = (4/3)ln2/ln6.
			// P=2/3, R=2/6, F1=2·(2/9)/1=4/9; majorities 2+1+2 → purity 5/6.
			name: "six items", truth: "a a a b b b", pred: "x x y y z z",
			ari: 8.0 / 33, nmi: 4 * ln2 / (3 * ln6), p: 2.0 / 3, r: 1.0 / 3, f1: 4.0 / 9, purity: 5.0 / 6,
			wantClusters: 3,
		},
		{
			// both=0 truth=2 pred=2 total=6 expected=2/3 max=2
			// → ARI = (-2/3)/(4/3) = -1/2. Every cell holds 1 item and
			// n·1/(2·2)=1 → MI 0. Each cluster mixes a and b → purity 1/2.
			name: "worse than chance", truth: "a a b b", pred: "x y x y",
			ari: -0.5, nmi: 0, p: 0, r: 0, f1: 0, purity: 0.5, wantClusters: 2,
		},
		{
			// Both sides one cluster: expected = max = 3, identical partitions.
			name: "one cluster on both sides", truth: "a a a", pred: "x x x",
			ari: 1, nmi: 1, p: 1, r: 1, f1: 1, purity: 1, wantClusters: 1,
		},
		{
			// No pairs exist: nothing to get wrong.
			name: "one item", truth: "a", pred: "x",
			ari: 1, nmi: 1, p: 1, r: 1, f1: 1, purity: 1, wantClusters: 1,
		},
		{
			name: "empty", truth: "", pred: "",
			ari: 1, nmi: 1, p: 1, r: 1, f1: 1, purity: 1, wantClusters: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			truth, pred := split(tc.truth), split(tc.pred)
			got := Score(truth, pred)
			check := func(metric string, got, want float64) {
				t.Helper()
				if math.Abs(got-want) > 1e-9 {
					t.Errorf("%s = %.6f, want %.6f", metric, got, want)
				}
			}
			check("Score.ARI", got.ARI, tc.ari)
			check("Score.NMI", got.NMI, tc.nmi)
			check("Score.Precision", got.Precision, tc.p)
			check("Score.Recall", got.Recall, tc.r)
			check("Score.F1", got.F1, tc.f1)
			check("Score.Purity", got.Purity, tc.purity)
			if got.Clusters != tc.wantClusters || got.N != len(truth) {
				t.Errorf("Clusters, N = %d, %d; want %d, %d", got.Clusters, got.N, tc.wantClusters, len(truth))
			}

			check("ARI", ARI(truth, pred), tc.ari)
			check("NMI", NMI(truth, pred), tc.nmi)
			p, r, f1 := Pairwise(truth, pred)
			check("Pairwise precision", p, tc.p)
			check("Pairwise recall", r, tc.r)
			check("Pairwise F1", f1, tc.f1)
			check("Purity", Purity(truth, pred), tc.purity)
		})
	}
}

func TestScoreLengthMismatchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Score accepted slices of different lengths")
		}
	}()
	Score([]string{"a", "b"}, []string{"x"})
}
