package triage

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// labelled is one row of a dev data file.
type labelled struct{ label, text string }

// loadDev reads a label<TAB>text file from the shared data directory, or
// skips the test when it is not there (the data is not part of the repo).
func loadDev(t testing.TB, name string) []labelled {
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
	var rows []labelled
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		label, text, ok := strings.Cut(sc.Text(), "\t")
		if ok {
			rows = append(rows, labelled{label, text})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("triage: read %s: %v", name, err)
	}
	return rows
}

// agreement holds pair-counting scores of a clustering against labels.
type agreement struct {
	ari, precision, recall float64
	clusters               int
}

func (a agreement) String() string {
	return fmt.Sprintf("ARI %.3f  P %.3f  R %.3f  clusters %d", a.ari, a.precision, a.recall, a.clusters)
}

func choose2(n int) float64 { return float64(n) * float64(n-1) / 2 }

// score compares predicted cluster ids with true labels.
func score(labels, predicted []string) agreement {
	joint := map[[2]string]int{}
	byLabel := map[string]int{}
	byCluster := map[string]int{}
	for i := range labels {
		joint[[2]string{labels[i], predicted[i]}]++
		byLabel[labels[i]]++
		byCluster[predicted[i]]++
	}
	var both, sameLabel, sameCluster float64
	for _, n := range joint {
		both += choose2(n)
	}
	for _, n := range byLabel {
		sameLabel += choose2(n)
	}
	for _, n := range byCluster {
		sameCluster += choose2(n)
	}
	total := choose2(len(labels))
	expected := sameLabel * sameCluster / total
	maxIndex := (sameLabel + sameCluster) / 2
	a := agreement{clusters: len(byCluster)}
	if maxIndex != expected {
		a.ari = (both - expected) / (maxIndex - expected)
	}
	if sameCluster > 0 {
		a.precision = both / sameCluster
	}
	if sameLabel > 0 {
		a.recall = both / sameLabel
	}
	return a
}

// clusterRows runs the clusterer over rows in order, all at one instant,
// as `surgedesk eval cluster` does.
func clusterRows(rows []labelled, threshold float64) ([]string, *Clusterer) {
	return clusterRowsTuned(rows, threshold, defaultTuning)
}

func clusterRowsTuned(rows []labelled, threshold float64, tune tuning) ([]string, *Clusterer) {
	opts := DefaultOptions()
	opts.Threshold = threshold
	c := NewClusterer(opts)
	c.tune = tune
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	predicted := make([]string, len(rows))
	for i, r := range rows {
		predicted[i] = c.Assign(Item{ID: fmt.Sprint(i), CustomerID: fmt.Sprint(i), Text: r.text, At: at}).ClusterID
	}
	return predicted, c
}

// leaderBaseline is plain char 2–3-gram TF-IDF (IDF over the whole file)
// leader clustering: join the first leader with cosine ≥ threshold.
func leaderBaseline(rows []labelled, threshold float64) []string {
	grams := make([]map[string]float64, len(rows))
	df := map[string]int{}
	for i, r := range rows {
		rs := []rune(strings.ToLower(r.text))
		g := map[string]float64{}
		for n := 2; n <= 3; n++ {
			for j := 0; j+n <= len(rs); j++ {
				g[string(rs[j:j+n])]++
			}
		}
		for k := range g {
			df[k]++
		}
		grams[i] = g
	}
	for _, g := range grams {
		var s float64
		for k, tf := range g {
			w := tf * (math.Log(float64(len(rows)+1)/float64(df[k]+1)) + 1)
			g[k] = w
			s += w * w
		}
		s = math.Sqrt(s)
		for k := range g {
			g[k] /= s
		}
	}
	var leaders []int
	predicted := make([]string, len(rows))
	for i, g := range grams {
		best, bestSim := -1, threshold
		for _, l := range leaders {
			var dot float64
			for k, w := range g {
				dot += w * grams[l][k]
			}
			if dot >= bestSim {
				best, bestSim = l, dot
			}
		}
		if best < 0 {
			leaders = append(leaders, i)
			best = i
		}
		predicted[i] = fmt.Sprint(best)
	}
	return predicted
}

func labelsOf(rows []labelled) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.label
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
			predicted, _ := clusterRows(rows, DefaultThreshold)
			got := score(labels, predicted)
			t.Logf("default %.2f: %v", DefaultThreshold, got)
			if got.precision < tc.minPrecision {
				t.Errorf("pairwise precision %.3f, want ≥ %.2f", got.precision, tc.minPrecision)
			}
			if got.ari < tc.minARI {
				t.Errorf("ARI %.3f, want ≥ %.2f", got.ari, tc.minARI)
			}
			if !sweep {
				return
			}
			for name, tune := range sweepTunings() {
				for th := 0.2; th < 0.61; th += 0.02 {
					p, _ := clusterRowsTuned(rows, th, tune)
					t.Logf("%-10s %.2f: %v", name, th, score(labels, p))
				}
			}
			if os.Getenv("TRIAGE_BASELINE") != "" {
				for th := 0.2; th < 0.51; th += 0.05 {
					t.Logf("baseline %.2f: %v", th, score(labels, leaderBaseline(rows, th)))
				}
			}
		})
	}
}

// sweepTunings are the variants compared by TRIAGE_SWEEP=1.
func sweepTunings() map[string]tuning {
	exhaustive := defaultTuning
	exhaustive.probedFeatures, exhaustive.indexedFeatures = 1<<20, 1<<20
	exhaustive.postingsCap, exhaustive.rerankCandidates = 1<<20, 1<<20
	variants := map[string]tuning{"default": defaultTuning}
	add := func(name string, change func(*tuning)) {
		t := defaultTuning
		change(&t)
		variants[name] = t
	}
	add("trigrams", func(t *tuning) { t.weights.hangulTrigram = 1 })
	add("no-lift", func(t *tuning) { t.englishLift = 0 })

	variants["exhaustive"] = exhaustive
	return variants
}

// TestDevRestoreKeepsQuality restores every open cluster from its
// representative and its 32 latest members, as the worker does on restart,
// and checks that the rest of the file clusters as well as without the
// restart.
func TestDevRestoreKeepsQuality(t *testing.T) {
	for _, file := range []string{"parakqc_dev.tsv", "banking77_dev.tsv"} {
		t.Run(file, func(t *testing.T) {
			rows := loadDev(t, file)
			var first, rest []labelled
			for i, r := range rows {
				if i%2 == 0 {
					first = append(first, r)
				} else {
					rest = append(rest, r)
				}
			}
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			before := NewClusterer(DefaultOptions())
			sample := map[string][]Item{}
			for i, r := range first {
				it := Item{ID: fmt.Sprint(i), CustomerID: fmt.Sprint(i), Text: r.text, At: at}
				id := before.Assign(it).ClusterID
				sample[id] = append(sample[id], it)
				if n := len(sample[id]); n > 32 {
					sample[id] = sample[id][n-32:]
				}
			}
			after := NewClusterer(DefaultOptions())
			for _, cl := range before.Open(at) {
				after.Restore(cl, sample[cl.ID])
			}
			same := 0
			kept, restored := make([]string, len(rest)), make([]string, len(rest))
			for i, r := range rest {
				it := Item{ID: fmt.Sprint(i), CustomerID: fmt.Sprint(i), Text: r.text, At: at}
				a, b := before.Assign(it), after.Assign(it)
				kept[i], restored[i] = a.ClusterID, b.ClusterID
				if a.ClusterID == b.ClusterID || (a.New && b.New) {
					same++
				}
			}
			labels := labelsOf(rest)
			withoutRestart, withRestart := score(labels, kept), score(labels, restored)
			t.Logf("same decision %.3f; without restart %v; with restart %v", float64(same)/float64(len(rest)), withoutRestart, withRestart)
			if withRestart.ari < withoutRestart.ari-0.02 || withRestart.precision < withoutRestart.precision-0.02 {
				t.Errorf("restart lowered quality: %v, want about %v", withRestart, withoutRestart)
			}
		})
	}
}
