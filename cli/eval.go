package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/surgedesk/surgedesk/eval"
	"github.com/surgedesk/surgedesk/triage"
)

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, "usage: surgedesk eval <cluster|match|gen-surge> [flags]")
		fmt.Fprintln(stderr, "  cluster    score the production clusterer on a label<TAB>text file")
		fmt.Fprintln(stderr, "  match      score the knowledge-base matcher on a label<TAB>text file")
		fmt.Fprintln(stderr, "  gen-surge  write a synthetic outage-surge label<TAB>text file")
		return errUsage
	}
	switch args[0] {
	case "cluster":
		return runEvalCluster(ctx, args[1:], stdout, stderr)
	case "match":
		return runEvalMatch(ctx, args[1:], stdout, stderr)
	case "gen-surge":
		return runGenSurge(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown eval command %q (want cluster, match or gen-surge)", args[0])
}

// defaultSweep spans loose to strict; wide enough to find either method's peak.
const defaultSweep = "0.10,0.15,0.20,0.25,0.30,0.35,0.40,0.45,0.50,0.55,0.60,0.65,0.70,0.75,0.80,0.85,0.90"

func runEvalCluster(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval cluster", stderr)
	data := fs.String("data", "", "labelled `FILE.tsv` (label<TAB>text, one header line)")
	assignmentsPath := fs.String("assignments", "", "write our cluster id for each data row, in order, to `FILE`")
	threshold := fs.Float64("threshold", triage.DefaultOptions().Threshold, "similarity threshold for the clusterer (and the baseline)")
	withBaseline := fs.Bool("baseline", false, "also run the character 2-3-gram TF-IDF leader baseline and print it beside ours")
	sweep := fs.Bool("sweep", false, "print a table of scores over a range of thresholds")
	sweepList := fs.String("sweep-thresholds", defaultSweep, "comma-separated thresholds for --sweep")
	noise := fs.String("noise", "oos", "label treated as noise: clustered but not scored (empty: none)")
	level := fs.String("level", "cluster", "what to score: `cluster` (near-duplicates) or problem (clusters grouped into problems)")
	var pf eval.ProblemFlags
	fs.Float64Var(&pf.Threshold, "problem-threshold", triage.DefaultProblemThreshold, "topic similarity a cluster needs to join a problem (--level problem)")
	fs.StringVar(&pf.KBPath, "kb", "", "knowledge base `KB.tsv` (label<TAB>example): each label is loaded as an incident's answer before the data is replayed, for incident anchoring (--level problem)")
	fs.BoolVar(&pf.NoTopics, "no-topics", false, "switch topic similarity between clusters off (--level problem)")
	fs.BoolVar(&pf.NoAnchoring, "no-anchoring", false, "switch incident anchoring off (--level problem)")
	fs.BoolVar(&pf.NoSeeds, "no-seeds", false, "anchor only inquiries the matcher answered; the KB examples do not join their incident's topic (--level problem)")
	var embeddings embeddingFlags
	embeddings.registerProblem(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := embeddings.validate(); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("cluster: unexpected argument %q", fs.Arg(0))
	}
	if *data == "" {
		return errors.New("cluster: --data is required")
	}
	switch {
	case *level != "cluster" && *level != "problem":
		return fmt.Errorf("cluster: --level %q is not cluster or problem", *level)
	case *level == "cluster" && pf.KBPath != "":
		return errors.New("cluster: --kb needs --level problem")
	case *level == "cluster" && embeddings.on():
		return errors.New("cluster: --embeddings-url needs --level problem (embeddings group clusters into problems)")
	case *level == "problem" && (*sweep || *withBaseline):
		return errors.New("cluster: --sweep and --baseline score clusters; leave them out with --level problem")
	case pf.Threshold < 0 || pf.Threshold > 1:
		return errors.New("cluster: --problem-threshold must be in 0..1")
	}
	var sweepThresholds []float64
	if *sweep {
		var err error
		if sweepThresholds, err = parseThresholds("cluster", *sweepList); err != nil {
			return err
		}
	}
	examples, err := readExamples(*data)
	if err != nil {
		return err
	}
	texts := make([]string, len(examples))
	truth := make([]string, len(examples))
	for i, ex := range examples {
		texts[i], truth[i] = ex.Text, ex.Label
	}
	if *level == "problem" {
		vectors, err := embeddings.clusterVectors(ctx, eval.PrepareAll(texts))
		if err != nil {
			return err
		}
		if vectors != nil {
			pf.Embeddings, pf.EmbeddingWeight = vectors, embeddings.weight
			fmt.Fprintf(stdout, "embeddings %s (problem weight %.2f)\n", embeddings.describe(), embeddings.weight)
		}
		return runEvalProblem(ctx, stdout, *data, texts, truth, *noise, *threshold, pf, *assignmentsPath)
	}
	var baseline *eval.Baseline
	if *withBaseline {
		baseline = eval.NewBaseline(texts)
	}
	scored := eval.ScoredRows(truth, *noise)

	ours, err := eval.Cluster(ctx, texts, *threshold)
	if err != nil {
		return err
	}
	results := []eval.ClusterResult{ours.Result("ours", truth, scored)}
	if baseline != nil {
		run, err := eval.ClusterBaseline(ctx, baseline, *threshold)
		if err != nil {
			return err
		}
		results = append(results, run.Result("baseline", truth, scored))
	}
	if *assignmentsPath != "" {
		if err := writeLines("cluster: assignments", *assignmentsPath, ours.Assignments); err != nil {
			return err
		}
	}

	printHeader(stdout, *data, truth, scored, *noise)
	fmt.Fprintf(stdout, "threshold  %.2f\n\n", *threshold)
	printComparison(stdout, results)
	if *sweep {
		fmt.Fprintln(stdout)
		return printSweep(ctx, stdout, texts, truth, scored, baseline, sweepThresholds)
	}
	return nil
}

func printHeader(w io.Writer, path string, truth []string, scored []int, noise string) {
	labels := map[string]bool{}
	for _, row := range scored {
		labels[truth[row]] = true
	}
	fmt.Fprintf(w, "data       %s: %d rows, %d labels\n", path, len(truth), len(labels))
	excluded := len(truth) - len(scored)
	switch {
	case noise == "":
		fmt.Fprintf(w, "scored     all %d rows (no noise label)\n", len(truth))
	case excluded == 0:
		fmt.Fprintf(w, "scored     all %d rows (no rows labelled %q)\n", len(truth), noise)
	default:
		fmt.Fprintf(w, "scored     %d rows; %d rows labelled %q are noise: clustered, but left out of ARI, NMI, pairwise and purity\n",
			len(scored), excluded, noise)
	}
}

// comparison prints a table with one row per metric and one column per
// method: the eval commands' figures side by side.
type comparison[T any] struct {
	tw      *tabwriter.Writer
	results []T
}

func newComparison[T any](w io.Writer, results []T) *comparison[T] {
	return &comparison[T]{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight), results: results}
}

func (c *comparison[T]) row(metric string, cell func(T) string) {
	// Padding the names to one width keeps them left-aligned in a
	// right-aligned table.
	fmt.Fprintf(c.tw, "%-19s\t", metric)
	for _, r := range c.results {
		fmt.Fprintf(c.tw, "%s\t", cell(r))
	}
	fmt.Fprintln(c.tw)
}

func (c *comparison[T]) flush() { c.tw.Flush() }

// fixed4 shows a score with four decimals.
func fixed4[T any](f func(T) float64) func(T) string {
	return func(r T) string { return fmt.Sprintf("%.4f", f(r)) }
}

func printComparison(w io.Writer, results []eval.ClusterResult) {
	t := newComparison(w, results)
	row, fixed := t.row, fixed4[eval.ClusterResult]
	row("metric", func(r eval.ClusterResult) string { return r.Name })
	row("ARI", fixed(func(r eval.ClusterResult) float64 { return r.Scores.ARI }))
	row("NMI", fixed(func(r eval.ClusterResult) float64 { return r.Scores.NMI }))
	row("pairwise precision", fixed(func(r eval.ClusterResult) float64 { return r.Scores.Precision }))
	row("pairwise recall", fixed(func(r eval.ClusterResult) float64 { return r.Scores.Recall }))
	row("pairwise F1", fixed(func(r eval.ClusterResult) float64 { return r.Scores.F1 }))
	row("purity", fixed(func(r eval.ClusterResult) float64 { return r.Scores.Purity }))
	row("clusters", func(r eval.ClusterResult) string { return strconv.Itoa(r.Clusters) })
	row("rows per cluster", func(r eval.ClusterResult) string { return fmt.Sprintf("%.2f", r.RowsPerCluster()) })
	row("throughput rows/s", func(r eval.ClusterResult) string { return fmt.Sprintf("%.0f", r.RowsPerSec) })
	row("index bytes", func(r eval.ClusterResult) string { return strconv.Itoa(r.IndexBytes) })
	row("index bytes per row", func(r eval.ClusterResult) string { return fmt.Sprintf("%.1f", r.IndexBytesPerRow()) })
	t.flush()
}

func printSweep(ctx context.Context, w io.Writer, texts, truth []string, scored []int, baseline *eval.Baseline, thresholds []float64) error {
	ours, base, err := eval.SweepClusters(ctx, texts, truth, scored, baseline, thresholds)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	columns := "ARI\tNMI\tP\tR\tF1\tpurity\tclusters\trows/s\t"
	fmt.Fprint(tw, "threshold\tours "+columns)
	if baseline != nil {
		fmt.Fprint(tw, "|\tbaseline "+columns)
	}
	fmt.Fprintln(tw)
	cells := func(r eval.ClusterResult) string {
		s := r.Scores
		return fmt.Sprintf("%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%d\t%.0f\t",
			s.ARI, s.NMI, s.Precision, s.Recall, s.F1, s.Purity, r.Clusters, r.RowsPerSec)
	}
	for i, p := range ours {
		fmt.Fprintf(tw, "%.2f\t%s", p.Threshold, cells(p.ClusterResult))
		if baseline != nil {
			fmt.Fprintf(tw, "|\t%s", cells(base[i].ClusterResult))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	best, _ := eval.BestARI(ours)
	fmt.Fprintf(w, "\nbest ARI  ours      %s\n", bestARI(best))
	if baseline != nil {
		best, _ := eval.BestARI(base)
		fmt.Fprintf(w, "best ARI  baseline  %s\n", bestARI(best))
	}
	return nil
}

func bestARI(p eval.ClusterPoint) string {
	s := p.Scores
	return fmt.Sprintf("%.4f at threshold %.2f (NMI %.4f, P %.4f, R %.4f, F1 %.4f, purity %.4f, %d clusters)",
		s.ARI, p.Threshold, s.NMI, s.Precision, s.Recall, s.F1, s.Purity, p.Clusters)
}

func parseThresholds(command, list string) ([]float64, error) {
	var thresholds []float64
	for field := range strings.SplitSeq(list, ",") {
		field = strings.TrimSpace(field)
		t, err := strconv.ParseFloat(field, 64)
		if err != nil || t < 0 || t > 1 {
			return nil, fmt.Errorf("%s: threshold %q in --sweep-thresholds is not a number in 0..1", command, field)
		}
		thresholds = append(thresholds, t)
	}
	return thresholds, nil
}

func readExamples(path string) ([]eval.Example, error) { return readTSV("cluster", path) }

// readTSV reads a label<TAB>text file; errors name the command.
func readTSV(command, path string) ([]eval.Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: unable to open data: %w", command, err)
	}
	defer f.Close()
	examples, err := eval.ReadExamples(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", command, path, err)
	}
	return examples, nil
}

// writeLines writes one line per element; what names the file in errors
// ("cluster: assignments").
func writeLines(what, path string, lines []string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%s: unable to create file: %w", what, err)
	}
	w := bufio.NewWriter(f)
	for _, line := range lines {
		w.WriteString(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: unable to write: %w", what, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: unable to write: %w", what, err)
	}
	return nil
}

func runGenSurge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval gen-surge", stderr)
	rows := fs.Int("rows", 0, "number of data `rows` to write (required)")
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same file")
	out := fs.String("out", "", "output `FILE` (default stdout)")
	phrasingsFlag := fs.String("phrasings", "all", "outage phrasings to use: all, tune (without the held-out ones: the last Korean and English pattern of each outage) or held-out (only those)")
	kbOut := fs.String("kb-out", "", "also write a knowledge base `KB.tsv` (label<TAB>example) for the outages, from the tuning phrasings")
	kbPer := fs.Int("kb-per-language", 3, "Korean and English examples per outage in --kb-out")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("gen-surge: unexpected argument %q", fs.Arg(0))
	}
	if *rows <= 0 {
		return errors.New("gen-surge: --rows must be a positive number")
	}
	phrasings, ok := map[string]eval.Phrasings{"all": eval.AllPhrasings, "tune": eval.TuningPhrasings, "held-out": eval.HeldOutPhrasings}[*phrasingsFlag]
	if !ok {
		return fmt.Errorf("gen-surge: --phrasings %q is not all, tune or held-out", *phrasingsFlag)
	}
	if *kbOut != "" {
		if *kbPer <= 0 {
			return errors.New("gen-surge: --kb-per-language must be a positive number")
		}
		if err := writeKB(*kbOut, *kbPer, *seed); err != nil {
			return err
		}
	}
	if *out == "" {
		return eval.GeneratePhrasings(stdout, *rows, *seed, phrasings)
	}
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("gen-surge: unable to create output: %w", err)
	}
	if err := eval.GeneratePhrasings(f, *rows, *seed, phrasings); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("gen-surge: unable to write output: %w", err)
	}
	return nil
}

func writeKB(path string, perLanguage int, seed int64) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("gen-surge: unable to create knowledge base: %w", err)
	}
	if err := eval.GenerateKB(f, perLanguage, seed); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("gen-surge: unable to write knowledge base: %w", err)
	}
	return nil
}
