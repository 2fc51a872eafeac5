package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/surgedesk/surgedesk/eval"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/triage"
)

// problemFlags are eval cluster's problem-level settings.
type problemFlags struct {
	threshold   float64
	kbPath      string
	noTopics    bool
	noAnchoring bool
	noSeeds     bool
}

// problemRun is one online pass at both levels, as the store worker runs
// it: the clusterer assigns, then the grouper places the cluster, with the
// incident the matcher answered the inquiry from (when a KB is given).
type problemRun struct {
	clusters, problems []string
	elapsed            time.Duration
	answered           int
}

// groupProblems replays texts through the clusterer and the grouper. kbRows
// (label<TAB>example) are loaded as incidents' answers first: each label an
// incident, its examples the answer's.
func groupProblems(ctx context.Context, texts []string, threshold float64, pf problemFlags, kbRows []eval.Example) (problemRun, error) {
	opts := triage.DefaultOptions()
	opts.Threshold = threshold
	next := 0
	opts.NewID = func() string {
		next++
		return "c" + strconv.Itoa(next)
	}
	popts := triage.DefaultProblemOptions()
	popts.Threshold = pf.threshold
	popts.Topics = !pf.noTopics
	popts.Anchoring = !pf.noAnchoring
	nextProblem := 0
	popts.NewID = func() string {
		nextProblem++
		return "p" + strconv.Itoa(nextProblem)
	}
	clusterer := triage.NewClusterer(opts)
	grouper := triage.NewGrouper(popts)
	var matcher *kb.Matcher
	if len(kbRows) > 0 {
		entries := entriesOf(kbRows)
		for i := range entries {
			entries[i].IncidentID = entries[i].ID
			if popts.Anchoring && !pf.noSeeds {
				grouper.Seed(entries[i].ID, entries[i].Examples)
			}
		}
		var err error
		if matcher, err = kb.NewMatcher(entries, kb.DefaultOptions()); err != nil {
			return problemRun{}, fmt.Errorf("cluster: unable to load the knowledge base: %w", err)
		}
	}
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	run := problemRun{clusters: make([]string, len(texts)), problems: make([]string, len(texts))}
	prepared := make([]string, len(texts))
	for i, t := range texts {
		prepared[i] = prepare(t)
	}
	start := time.Now()
	for i, text := range prepared {
		if i%1024 == 0 && ctx.Err() != nil {
			return problemRun{}, ctx.Err()
		}
		a := clusterer.Assign(triage.Item{ID: "row" + strconv.Itoa(i+1), CustomerID: "customer" + strconv.Itoa(i+1), Text: text, At: at})
		incident := ""
		if matcher != nil {
			if m, ok := matcher.Match(text); ok {
				incident = m.EntryID
				run.answered++
			}
		}
		run.clusters[i] = a.ClusterID
		grouper.Observe(a.ClusterID, text, a.Similarity, incident)
	}
	run.elapsed = time.Since(start)
	// A row's problem is its cluster's problem at the end: clusters move
	// between problems as they grow, and agents see the latest grouping.
	for i, c := range run.clusters {
		run.problems[i] = grouper.ProblemOf(c)
	}
	return run, nil
}

// kbExampleRows lists the data rows whose text is also a KB example: the
// method saw them, so they are not scored.
func kbExampleRows(texts []string, kbRows []eval.Example) map[int]bool {
	seen := map[string]bool{}
	for _, r := range kbRows {
		seen[triage.Normalize(prepare(r.Text))] = true
	}
	out := map[int]bool{}
	for i, t := range texts {
		if seen[triage.Normalize(prepare(t))] {
			out[i] = true
		}
	}
	return out
}

// problemItems is how many problem ids cover each label's rows: the queue
// items an agent sees for one real problem.
type problemItems struct {
	labels    int // labels with at least minRows scored rows
	mean      float64
	max       int
	maxLabel  string
	purity    float64 // share of scored rows in their problem's majority label
	problems  int
	bigLabels []string
}

const bigProblemRows = 50

func itemsPerProblem(truth, pred []string, scored []int) problemItems {
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
	var out problemItems
	out.problems = len(perProblem)
	total := 0
	for l, ps := range perLabel {
		rows := 0
		for _, n := range ps {
			rows += n
		}
		if rows < bigProblemRows {
			continue
		}
		out.labels++
		out.bigLabels = append(out.bigLabels, l)
		total += len(ps)
		if len(ps) > out.max {
			out.max, out.maxLabel = len(ps), l
		}
	}
	slices.Sort(out.bigLabels)
	if out.labels > 0 {
		out.mean = float64(total) / float64(out.labels)
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
		out.purity = float64(majority) / float64(len(scored))
	}
	return out
}

// runEvalProblem is eval cluster --level problem.
func runEvalProblem(ctx context.Context, stdout io.Writer, dataPath string, texts, truth []string, noise string, threshold float64, pf problemFlags, assignmentsPath string) error {
	var kbRows []eval.Example
	if pf.kbPath != "" {
		var err error
		if kbRows, err = readTSV("cluster", pf.kbPath); err != nil {
			return err
		}
	}
	run, err := groupProblems(ctx, texts, threshold, pf, kbRows)
	if err != nil {
		return err
	}
	skip := kbExampleRows(texts, kbRows)
	var scored []int
	for _, row := range scoredRows(truth, noise) {
		if !skip[row] {
			scored = append(scored, row)
		}
	}
	if assignmentsPath != "" {
		if err := writeLines("cluster: assignments", assignmentsPath, run.problems); err != nil {
			return err
		}
	}
	printHeader(stdout, dataPath, truth, scored, noise)
	if pf.kbPath != "" {
		fmt.Fprintf(stdout, "kb         %s: %d examples loaded as incidents' answers; %d data rows are KB examples and not scored; %d rows answered\n",
			pf.kbPath, len(kbRows), len(skip), run.answered)
	}
	signals := fmt.Sprintf("topics=%v anchoring=%v seeds=%v", !pf.noTopics, !pf.noAnchoring, !pf.noAnchoring && !pf.noSeeds && pf.kbPath != "")
	fmt.Fprintf(stdout, "threshold  cluster %.2f, problem %.2f (%s)\n\n", threshold, pf.threshold, signals)
	clusterRes := clusterRun{assignments: run.clusters, elapsed: run.elapsed}.result("clusters", truth, scored)
	problemRes := clusterRun{assignments: run.problems, elapsed: run.elapsed}.result("problems", truth, scored)
	printComparison(stdout, []methodResult{clusterRes, problemRes})
	ci := itemsPerProblem(truth, run.clusters, scored)
	pi := itemsPerProblem(truth, run.problems, scored)
	fmt.Fprintf(stdout, "\nlabels with >= %d scored rows: %d\n", bigProblemRows, pi.labels)
	fmt.Fprintf(stdout, "items per labelled problem   clusters: mean %.2f, max %d (%s)   problems: mean %.2f, max %d (%s)\n",
		ci.mean, ci.max, ci.maxLabel, pi.mean, pi.max, pi.maxLabel)
	fmt.Fprintf(stdout, "problem purity               %.4f (%d problems; cluster purity %.4f)\n", pi.purity, pi.problems, ci.purity)
	return nil
}
