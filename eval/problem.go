package eval

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/triage"
)

// ProblemFlags are eval cluster's problem-level settings.
type ProblemFlags struct {
	Threshold   float64
	KBPath      string
	NoTopics    bool
	NoAnchoring bool
	NoSeeds     bool

	// Embeddings, when set, is the semantic signal: it learns each
	// cluster's members (Observe) and gives the grouper cluster vectors,
	// blended with the topic similarity at EmbeddingWeight.
	Embeddings      ClusterEmbeddings
	EmbeddingWeight float64
}

// ClusterEmbeddings is what problem grouping's semantic path needs: the
// members each cluster got, and an embedding per cluster
// (assist.ClusterVectors).
type ClusterEmbeddings interface {
	triage.Embedder
	Observe(clusterID, text string)
}

// ProblemRun is one online pass at both levels, as the store worker runs
// it: the clusterer assigns, then the grouper places the cluster, with the
// incident the matcher answered the inquiry from (when a KB is given).
type ProblemRun struct {
	Clusters, Problems []string
	Elapsed            time.Duration
	Answered           int
}

// groupProblems replays texts through the clusterer and the grouper. kbRows
// (label<TAB>example) are loaded as incidents' answers first: each label an
// incident, its examples the answer's.
func GroupProblems(ctx context.Context, texts []string, threshold float64, pf ProblemFlags, kbRows []Example) (ProblemRun, error) {
	opts := triage.DefaultOptions()
	opts.Threshold = threshold
	next := 0
	opts.NewID = func() string {
		next++
		return "c" + strconv.Itoa(next)
	}
	popts := triage.DefaultProblemOptions()
	popts.Threshold = pf.Threshold
	popts.Topics = !pf.NoTopics
	popts.Anchoring = !pf.NoAnchoring
	if pf.Embeddings != nil {
		popts.Embedder, popts.EmbeddingWeight = pf.Embeddings, pf.EmbeddingWeight
	}
	nextProblem := 0
	popts.NewID = func() string {
		nextProblem++
		return "p" + strconv.Itoa(nextProblem)
	}
	clusterer := triage.NewClusterer(opts)
	grouper := triage.NewGrouper(popts)
	var matcher *kb.Matcher
	if len(kbRows) > 0 {
		entries := Entries(kbRows)
		for i := range entries {
			entries[i].IncidentID = entries[i].ID
			if popts.Anchoring && !pf.NoSeeds {
				grouper.Seed(entries[i].ID, entries[i].Examples)
			}
		}
		var err error
		if matcher, err = kb.NewMatcher(entries, kb.DefaultOptions()); err != nil {
			return ProblemRun{}, fmt.Errorf("eval: unable to load the knowledge base: %w", err)
		}
	}
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	run := ProblemRun{Clusters: make([]string, len(texts)), Problems: make([]string, len(texts))}
	prepared := PrepareAll(texts)
	start := time.Now()
	for i, text := range prepared {
		if i%1024 == 0 && ctx.Err() != nil {
			return ProblemRun{}, ctx.Err()
		}
		a := clusterer.Assign(triage.Item{ID: "row" + strconv.Itoa(i+1), CustomerID: "customer" + strconv.Itoa(i+1), Text: text, At: at})
		incident := ""
		if matcher != nil {
			if m, ok := matcher.Match(text); ok {
				incident = m.EntryID
				run.Answered++
			}
		}
		run.Clusters[i] = a.ClusterID
		if pf.Embeddings != nil {
			pf.Embeddings.Observe(a.ClusterID, text)
		}
		grouper.ObserveAssigned(a, text, incident)
	}
	run.Elapsed = time.Since(start)
	// A row's problem is its cluster's problem at the end: clusters move
	// between problems as they grow, and agents see the latest grouping.
	for i, c := range run.Clusters {
		run.Problems[i] = grouper.ProblemOf(c)
	}
	return run, nil
}

// PrepareAll is Prepare of each text: what the clusterer, the grouper
// and the embeddings see.
func PrepareAll(texts []string) []string {
	out := make([]string, len(texts))
	for i, t := range texts {
		out[i] = Prepare(t)
	}
	return out
}

// kbExampleRows lists the data rows whose text is also a KB example: the
// method saw them, so they are not scored.
func KBExampleRows(texts []string, kbRows []Example) map[int]bool {
	seen := map[string]bool{}
	for _, r := range kbRows {
		seen[triage.Normalize(Prepare(r.Text))] = true
	}
	out := map[int]bool{}
	for i, t := range texts {
		if seen[triage.Normalize(Prepare(t))] {
			out[i] = true
		}
	}
	return out
}

// ProblemItems is how many problem ids cover each label's rows: the queue
// items an agent sees for one real problem.
type ProblemItems struct {
	Labels    int // labels with at least minRows scored rows
	Mean      float64
	Max       int
	MaxLabel  string
	Purity    float64 // share of scored rows in their problem's majority label
	Problems  int
	BigLabels []string
}

const BigProblemRows = 50

func ItemsPerProblem(truth, pred []string, scored []int) ProblemItems {
	perLabel := map[string]map[string]int{}
	perProblem := map[string]map[string]int{}
	for _, row := range scored {
		l, p := truth[row], pred[row]
		if perLabel[l] == nil {
			perLabel[l] = map[string]int{}
		}
		perLabel[l][p]++
		if perProblem[p] == nil {
			perProblem[p] = map[string]int{}
		}
		perProblem[p][l]++
	}
	var out ProblemItems
	out.Problems = len(perProblem)
	total := 0
	for l, ps := range perLabel {
		rows := 0
		for _, n := range ps {
			rows += n
		}
		if rows < BigProblemRows {
			continue
		}
		out.Labels++
		out.BigLabels = append(out.BigLabels, l)
		total += len(ps)
		if len(ps) > out.Max {
			out.Max, out.MaxLabel = len(ps), l
		}
	}
	slices.Sort(out.BigLabels)
	if out.Labels > 0 {
		out.Mean = float64(total) / float64(out.Labels)
	}
	majority := 0
	for _, ls := range perProblem {
		best := 0
		for _, n := range ls {
			best = max(best, n)
		}
		majority += best
	}
	if len(scored) > 0 {
		out.Purity = float64(majority) / float64(len(scored))
	}
	return out
}
