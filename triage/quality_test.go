package triage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/eval"
	"github.com/surgedesk/surgedesk/triage"
)

// loadDev reads a label<TAB>text file from the shared data directory, or
// skips the test when it is not there (the data is not part of the repo).
func loadDev(t testing.TB, name string) []eval.Example {
	t.Helper()
	dir := os.Getenv("SURGEDESK_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Skipf("dev data not available: %v", err)
	}
	defer f.Close()
	rows, err := eval.ReadExamples(f)
	if err != nil {
		t.Fatalf("triage: read %s: %v", name, err)
	}
	return rows
}

// agreement is eval's scores of a clustering against labels, printed
// briefly.
type agreement struct{ eval.Scores }

func (a agreement) String() string {
	return fmt.Sprintf("ARI %.3f  P %.3f  R %.3f  clusters %d", a.ARI, a.Precision, a.Recall, a.Clusters)
}

// score compares predicted cluster ids with true labels.
func score(labels, predicted []string) agreement { return agreement{eval.Score(labels, predicted)} }

// clusterRows runs the clusterer over rows in order, all at one instant,
// as `surgedesk eval cluster` does.
func clusterRows(rows []eval.Example, threshold float64) []string {
	return clusterRowsTuned(rows, threshold, "default")
}

func clusterRowsTuned(rows []eval.Example, threshold float64, tuning string) []string {
	opts := triage.DefaultOptions()
	opts.Threshold = threshold
	c := triage.NewTuned(opts, tuning)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	predicted := make([]string, len(rows))
	for i, r := range rows {
		predicted[i] = c.Assign(triage.Item{ID: fmt.Sprint(i), CustomerID: fmt.Sprint(i), Text: r.Text, At: at}).ClusterID
	}
	return predicted
}

// leaderBaseline is eval's char 2–3-gram TF-IDF leader clustering.
func leaderBaseline(t *testing.T, rows []eval.Example, threshold float64) []string {
	texts := make([]string, len(rows))
	for i, r := range rows {
		texts[i] = r.Text
	}
	run, err := eval.NewBaseline(texts).Cluster(context.Background(), threshold)
	if err != nil {
		t.Fatal(err)
	}
	predicted := make([]string, len(run.Assignments))
	for i, a := range run.Assignments {
		predicted[i] = strconv.Itoa(a)
	}
	return predicted
}

func labelsOf(rows []eval.Example) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Label
	}
	return out
}

// TestDevQuality checks the quality goals at the default threshold
// on the dev files when they are available. With TRIAGE_SWEEP=1 it also
// logs a threshold sweep of ours and of the baseline (use -v).
func TestDevQuality(t *testing.T) {
	sweep := os.Getenv("TRIAGE_SWEEP") != ""
	for _, tc := range []struct {
		file         string
		minPrecision float64
		minARI       float64
	}{
		{"parakqc_dev.tsv", 0.85, 0.6},
		{"banking77_dev.tsv", 0, 0.25},
	} {
		t.Run(tc.file, func(t *testing.T) {
			rows := loadDev(t, tc.file)
			labels := labelsOf(rows)
			predicted := clusterRows(rows, triage.DefaultThreshold)
			got := score(labels, predicted)
			t.Logf("default %.2f: %v", triage.DefaultThreshold, got)
			if got.Precision < tc.minPrecision {
				t.Errorf("pairwise precision %.3f, want ≥ %.2f", got.Precision, tc.minPrecision)
			}
			if got.ARI < tc.minARI {
				t.Errorf("ARI %.3f, want ≥ %.2f", got.ARI, tc.minARI)
			}
			if !sweep {
				return
			}
			for _, name := range triage.SweepTunings() {
				for th := 0.2; th < 0.61; th += 0.02 {
					p := clusterRowsTuned(rows, th, name)
					t.Logf("%-10s %.2f: %v", name, th, score(labels, p))
				}
			}
			if os.Getenv("TRIAGE_BASELINE") != "" {
				for th := 0.2; th < 0.51; th += 0.05 {
					t.Logf("baseline %.2f: %v", th, score(labels, leaderBaseline(t, rows, th)))
				}
			}
		})
	}
}

// TestDevRestoreKeepsQuality restores every open cluster from its
// representative and its 32 latest members, as the worker does on restart,
// and checks that the rest of the file clusters as well as without the
// restart.
func TestDevRestoreKeepsQuality(t *testing.T) {
	for _, file := range []string{"parakqc_dev.tsv", "banking77_dev.tsv"} {
		t.Run(file, func(t *testing.T) {
			rows := loadDev(t, file)
			var first, rest []eval.Example
			for i, r := range rows {
				if i%2 == 0 {
					first = append(first, r)
				} else {
					rest = append(rest, r)
				}
			}
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			before := triage.NewClusterer(triage.DefaultOptions())
			sample := map[string][]triage.Item{}
			for i, r := range first {
				it := triage.Item{ID: fmt.Sprint(i), CustomerID: fmt.Sprint(i), Text: r.Text, At: at}
				id := before.Assign(it).ClusterID
				sample[id] = append(sample[id], it)
				if n := len(sample[id]); n > 32 {
					sample[id] = sample[id][n-32:]
				}
			}
			after := triage.NewClusterer(triage.DefaultOptions())
			for _, cl := range before.Open(at) {
				after.Restore(cl, sample[cl.ID])
			}
			same := 0
			kept, restored := make([]string, len(rest)), make([]string, len(rest))
			for i, r := range rest {
				it := triage.Item{ID: fmt.Sprint(i), CustomerID: fmt.Sprint(i), Text: r.Text, At: at}
				a, b := before.Assign(it), after.Assign(it)
				kept[i], restored[i] = a.ClusterID, b.ClusterID
				if a.ClusterID == b.ClusterID || (a.New && b.New) {
					same++
				}
			}
			labels := labelsOf(rest)
			withoutRestart, withRestart := score(labels, kept), score(labels, restored)
			t.Logf("same decision %.3f; without restart %v; with restart %v", float64(same)/float64(len(rest)), withoutRestart, withRestart)
			if withRestart.ARI < withoutRestart.ARI-0.02 || withRestart.Precision < withoutRestart.Precision-0.02 {
				t.Errorf("restart lowered quality: %v, want about %v", withRestart, withoutRestart)
			}
		})
	}
}
