package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/surgedesk/surgedesk/eval"
)

// runEvalProblem is eval cluster --level problem.
func runEvalProblem(ctx context.Context, stdout io.Writer, dataPath string, texts, truth []string, noise string, threshold float64, pf eval.ProblemFlags, assignmentsPath string) error {
	var kbRows []eval.Example
	if pf.KBPath != "" {
		var err error
		if kbRows, err = readTSV("cluster", pf.KBPath); err != nil {
			return err
		}
	}
	run, err := eval.GroupProblems(ctx, texts, threshold, pf, kbRows)
	if err != nil {
		return err
	}
	skip := eval.KBExampleRows(texts, kbRows)
	var scored []int
	notNoise := eval.ScoredRows(truth, noise)
	for _, row := range notNoise {
		if !skip[row] {
			scored = append(scored, row)
		}
	}
	if assignmentsPath != "" {
		if err := writeLines("cluster: assignments", assignmentsPath, run.Problems); err != nil {
			return err
		}
	}
	printHeader(stdout, dataPath, truth, notNoise, noise)
	if pf.KBPath != "" {
		fmt.Fprintf(stdout, "kb         %s: %d examples loaded as incidents' answers; %d data rows are KB examples and not scored (%d scored); %d rows answered\n",
			pf.KBPath, len(kbRows), len(skip), len(scored), run.Answered)
	}
	signals := fmt.Sprintf("topics=%v anchoring=%v seeds=%v", !pf.NoTopics, !pf.NoAnchoring, !pf.NoAnchoring && !pf.NoSeeds && pf.KBPath != "")
	fmt.Fprintf(stdout, "threshold  cluster %.2f, problem %.2f (%s)\n\n", threshold, pf.Threshold, signals)
	clusterRes := eval.ClusterRun{Assignments: run.Clusters, Elapsed: run.Elapsed}.Result("clusters", truth, scored)
	problemRes := eval.ClusterRun{Assignments: run.Problems, Elapsed: run.Elapsed}.Result("problems", truth, scored)
	printComparison(stdout, []eval.ClusterResult{clusterRes, problemRes})
	ci := eval.ItemsPerProblem(truth, run.Clusters, scored)
	pi := eval.ItemsPerProblem(truth, run.Problems, scored)
	fmt.Fprintf(stdout, "\nlabels with >= %d scored rows: %d\n", eval.BigProblemRows, pi.Labels)
	fmt.Fprintf(stdout, "items per labelled problem   clusters: mean %.2f, max %d (%s)   problems: mean %.2f, max %d (%s)\n",
		ci.Mean, ci.Max, ci.MaxLabel, pi.Mean, pi.Max, pi.MaxLabel)
	fmt.Fprintf(stdout, "problem purity               %.4f (%d problems; cluster purity %.4f)\n", pi.Purity, pi.Problems, ci.Purity)
	return nil
}
