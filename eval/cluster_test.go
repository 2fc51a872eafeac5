package eval

import (
	"context"
	"reflect"
	"testing"
)

func TestScoredRows(t *testing.T) {
	truth := []string{"a", "oos", "b", "oos"}
	if got := ScoredRows(truth, "oos"); !reflect.DeepEqual(got, []int{0, 2}) {
		t.Errorf("ScoredRows with noise = %v, want [0 2]", got)
	}
	if got := ScoredRows(truth, ""); !reflect.DeepEqual(got, []int{0, 1, 2, 3}) {
		t.Errorf("ScoredRows without noise = %v, want every row", got)
	}
}

// The production clusterer puts paraphrases together and a different
// request apart; the result scores only the scored rows but counts
// clusters over all of them.
func TestClusterResult(t *testing.T) {
	texts := []string{"로그인이 안 돼요", "로그인이 안 돼요!", "이체가 계속 지연돼요", "날씨 어때"}
	truth := []string{"login", "login", "transfer", "oos"}
	run, err := Cluster(context.Background(), texts, 0.26)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Assignments) != len(texts) || run.Assignments[0] != run.Assignments[1] || run.Assignments[0] == run.Assignments[2] {
		t.Fatalf("assignments %v; want rows 0 and 1 together, row 2 apart", run.Assignments)
	}
	r := run.Result("ours", truth, ScoredRows(truth, "oos"))
	if r.Scores.N != 3 || r.Scores.ARI != 1 || r.Rows != 4 || r.Clusters < 3 {
		t.Errorf("result %+v; want 3 rows scored perfectly, 4 rows, at least 3 clusters", r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Cluster(ctx, texts, 0.26); err == nil {
		t.Error("Cluster with a cancelled context succeeded")
	}
}

func TestBestARI(t *testing.T) {
	if _, ok := BestARI(nil); ok {
		t.Error("BestARI of nothing is ok")
	}
	point := func(th, ari float64) ClusterPoint {
		return ClusterPoint{th, ClusterResult{Scores: Scores{ARI: ari}}}
	}
	if best, ok := BestARI([]ClusterPoint{point(0.1, 0.5), point(0.2, 0.7), point(0.3, 0.7), point(0.4, -0.1)}); !ok || best.Threshold != 0.2 {
		t.Errorf("BestARI = %v, %v; want the first 0.7, at 0.2", best, ok)
	}
}
