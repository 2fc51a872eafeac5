package eval

import (
	"context"
	"strconv"
	"time"

	"github.com/surgedesk/surgedesk/triage"
)

// Prepare applies the intake's preprocessing to a raw inquiry, so an
// evaluation scores exactly what the server would see.
func Prepare(text string) string {
	redacted, _ := triage.Redact(text)
	return redacted
}

// ClusterRun is one online pass: a cluster id per row plus its costs.
type ClusterRun struct {
	Assignments []string
	Elapsed     time.Duration
	IndexBytes  int
}

// Cluster feeds texts, prepared as the intake does, to the production
// clusterer in order. Rows share one timestamp so no cluster idles out, and
// each has its own customer so nothing is merged for being from the same
// person.
func Cluster(ctx context.Context, texts []string, threshold float64) (ClusterRun, error) {
	opts := triage.DefaultOptions()
	opts.Threshold = threshold
	if opts.NewID == nil {
		next := 0
		opts.NewID = func() string {
			next++
			return "c" + strconv.Itoa(next)
		}
	}
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	items := make([]triage.Item, len(texts))
	for i, text := range texts {
		items[i] = triage.Item{
			ID:         "row" + strconv.Itoa(i+1),
			CustomerID: "customer" + strconv.Itoa(i+1),
			Text:       Prepare(text),
			At:         at,
		}
	}
	clusterer := triage.NewClusterer(opts)
	run := ClusterRun{Assignments: make([]string, len(items))}
	start := time.Now()
	for i, it := range items {
		if i%1024 == 0 && ctx.Err() != nil {
			return ClusterRun{}, ctx.Err()
		}
		run.Assignments[i] = clusterer.Assign(it).ClusterID
	}
	run.Elapsed = time.Since(start)
	run.IndexBytes = clusterer.IndexBytes()
	return run, nil
}

// ClusterBaseline runs the baseline at threshold as a ClusterRun.
func ClusterBaseline(ctx context.Context, b *Baseline, threshold float64) (ClusterRun, error) {
	start := time.Now()
	out, err := b.Cluster(ctx, threshold)
	if err != nil {
		return ClusterRun{}, err
	}
	run := ClusterRun{Elapsed: time.Since(start), IndexBytes: out.IndexBytes}
	run.Assignments = make([]string, len(out.Assignments))
	for i, a := range out.Assignments {
		run.Assignments[i] = strconv.Itoa(a)
	}
	return run, nil
}

// ClusterResult is one method's figures at one threshold.
type ClusterResult struct {
	Name       string
	Scores     Scores // over the scored rows only
	Clusters   int    // over all rows, noise included
	Rows       int
	RowsPerSec float64
	IndexBytes int
}

// Result scores the run's scored rows (see ScoredRows) against truth.
func (r ClusterRun) Result(name string, truth []string, scored []int) ClusterResult {
	ids := map[string]bool{}
	for _, id := range r.Assignments {
		ids[id] = true
	}
	truthScored := make([]string, len(scored))
	predScored := make([]string, len(scored))
	for i, row := range scored {
		truthScored[i], predScored[i] = truth[row], r.Assignments[row]
	}
	res := ClusterResult{
		Name:       name,
		Scores:     Score(truthScored, predScored),
		Clusters:   len(ids),
		Rows:       len(r.Assignments),
		IndexBytes: r.IndexBytes,
	}
	if r.Elapsed > 0 {
		res.RowsPerSec = float64(res.Rows) / r.Elapsed.Seconds()
	}
	return res
}

// RowsPerCluster is the mean cluster size, 0 without clusters.
func (r ClusterResult) RowsPerCluster() float64 {
	if r.Clusters == 0 {
		return 0
	}
	return float64(r.Rows) / float64(r.Clusters)
}

// IndexBytesPerRow is the index's size per row clustered.
func (r ClusterResult) IndexBytesPerRow() float64 {
	return float64(r.IndexBytes) / float64(max(r.Rows, 1))
}

// ScoredRows lists the rows whose label is a real cluster: rows labelled
// noise are clustered but not scored. An empty noise scores every row.
func ScoredRows(truth []string, noise string) []int {
	rows := make([]int, 0, len(truth))
	for i, label := range truth {
		if noise == "" || label != noise {
			rows = append(rows, i)
		}
	}
	return rows
}

// ClusterPoint is a method's result at one threshold of a sweep.
type ClusterPoint struct {
	Threshold float64
	ClusterResult
}

// SweepClusters runs the production clusterer, and the baseline unless it
// is nil, at each threshold. The baseline's points are nil without one.
func SweepClusters(ctx context.Context, texts, truth []string, scored []int, baseline *Baseline, thresholds []float64) (ours, base []ClusterPoint, err error) {
	for _, t := range thresholds {
		run, err := Cluster(ctx, texts, t)
		if err != nil {
			return nil, nil, err
		}
		ours = append(ours, ClusterPoint{t, run.Result("ours", truth, scored)})
		if baseline == nil {
			continue
		}
		if run, err = ClusterBaseline(ctx, baseline, t); err != nil {
			return nil, nil, err
		}
		base = append(base, ClusterPoint{t, run.Result("baseline", truth, scored)})
	}
	return ours, base, nil
}

// BestARI returns the point with the highest ARI, the first of equals;
// ok is false when there are no points.
func BestARI(points []ClusterPoint) (best ClusterPoint, ok bool) {
	for i, p := range points {
		if i == 0 || p.Scores.ARI > best.Scores.ARI {
			best = p
		}
	}
	return best, len(points) > 0
}
