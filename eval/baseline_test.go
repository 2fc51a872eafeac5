package eval

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestBaselineCluster(t *testing.T) {
	texts := []string{
		"my card has not arrived yet",
		"refund please",
		"My card has  not arrived yet!",
		"refund please",
		"what is the weather in Seoul",
	}
	tests := []struct {
		name      string
		threshold float64
		want      []int
	}{
		// Above any real similarity only exact duplicates (cosine 1) merge.
		{name: "duplicates only", threshold: 1, want: []int{0, 1, 2, 1, 3}},
		{name: "near duplicates", threshold: 0.7, want: []int{0, 1, 0, 1, 2}},
		// Any shared n-gram (the padding space alone) is enough at 0.
		{name: "everything joins", threshold: 0, want: []int{0, 0, 0, 0, 0}},
	}
	b := NewBaseline(texts)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run, err := b.Cluster(context.Background(), tc.threshold)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(run.Assignments, tc.want) {
				t.Errorf("Assignments = %v, want %v", run.Assignments, tc.want)
			}
			if run.IndexBytes <= 0 {
				t.Errorf("IndexBytes = %d, want > 0", run.IndexBytes)
			}
		})
	}
}

func TestBaselineClusterCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewBaseline([]string{"a"}).Cluster(ctx, 0.5); err == nil {
		t.Fatal("Cluster ignored a cancelled context")
	}
}

// leaderByScan is the baseline's algorithm without an index: every text is
// compared with every leader. Cluster must agree with it exactly.
func leaderByScan(b *Baseline, threshold float64) []int {
	var leaders []int
	assignments := make([]int, len(b.vectors))
	for i, vec := range b.vectors {
		best, bestScore := -1, math.Inf(-1)
		for n, l := range leaders {
			if s := dot(vec, b.vectors[l]); s > bestScore {
				best, bestScore = n, s
			}
		}
		if best >= 0 && bestScore >= threshold-1e-6 {
			assignments[i] = best
			continue
		}
		assignments[i] = len(leaders)
		leaders = append(leaders, i)
	}
	return assignments
}

func TestBaselineMatchesScan(t *testing.T) {
	var surge bytes.Buffer
	if err := GenerateSurge(&surge, 800, 11); err != nil {
		t.Fatal(err)
	}
	examples, err := ReadExamples(&surge)
	if err != nil {
		t.Fatal(err)
	}
	texts := make([]string, len(examples))
	for i, ex := range examples {
		texts[i] = ex.Text
	}
	b := NewBaseline(texts)
	for _, threshold := range []float64{0, 0.2, 0.4, 0.6, 0.8, 1} {
		t.Run(fmt.Sprintf("threshold %.1f", threshold), func(t *testing.T) {
			run, err := b.Cluster(context.Background(), threshold)
			if err != nil {
				t.Fatal(err)
			}
			want := leaderByScan(b, threshold)
			for i := range want {
				if run.Assignments[i] != want[i] {
					t.Fatalf("row %d %q: cluster %d, scan says %d", i, texts[i], run.Assignments[i], want[i])
				}
			}
		})
	}
}

// dot is the inner product of two term-sorted sparse vectors.
func dot(a, b []termWeight) float64 {
	sum := 0.0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i].term < b[j].term:
			i++
		case a[i].term > b[j].term:
			j++
		default:
			sum += float64(a[i].weight) * float64(b[j].weight)
			i++
			j++
		}
	}
	return sum
}
