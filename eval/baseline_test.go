package eval

import (
	"context"
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
