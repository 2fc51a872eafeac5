package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/surgedesk/surgedesk/eval"
	"github.com/surgedesk/surgedesk/kb"
)

// matchSweep starts at 0: the baseline's in-scope accuracy peaks where it
// answers everything.
const matchSweep = "0.00,0.05," + defaultSweep

func runEvalMatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval match", stderr)
	kbPath := fs.String("kb", "", "knowledge base `KB.tsv` (label<TAB>example, one header line): one entry per label")
	kbFrom := fs.String("kb-from", "", "build the knowledge base from the first --kb-per-label examples per label of `FILE.tsv` instead of --kb (oos rows excluded)")
	perLabel := fs.Int("kb-per-label", 10, "examples per label taken by --kb-from")
	data := fs.String("data", "", "labelled `FILE.tsv` (label<TAB>text, one header line); label oos is out of scope")
	predictionsPath := fs.String("predictions", "", "write the label answered for each data row, or an empty line, to `FILE`")
	threshold := fs.Float64("threshold", kb.DefaultThreshold, "confidence threshold for the matcher (and the baseline's cosine)")
	margin := fs.Float64("margin", kb.DefaultMargin, "how far the best entry must score above the second best")
	withBaseline := fs.Bool("baseline", false, "also run the nearest-example character 2-3-gram TF-IDF baseline")
	sweep := fs.Bool("sweep", false, "print a table of scores over a range of thresholds")
	sweepList := fs.String("sweep-thresholds", matchSweep, "comma-separated thresholds for --sweep")
	split := fs.String("split", "", "tune or held-out: take the KB and the data from the --kb-from file, divided by each row's position within its label (0 and 2: the KB half, 1: tune, 3: held-out; see docs/assist.md)")
	var emb embeddingFlags
	emb.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if *split != "" && *data == "" {
		*data = *kbFrom
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("match: unexpected argument %q", fs.Arg(0))
	case *split != "" && (*kbFrom == "" || *data != *kbFrom):
		return errors.New("match: --split takes the KB and the data from --kb-from alone (no --kb, no other --data)")
	case *split != "" && *split != eval.SplitTune && *split != eval.SplitHeldOut:
		return fmt.Errorf("match: --split %q is not %s or %s", *split, eval.SplitTune, eval.SplitHeldOut)
	case *kbPath == "" && *kbFrom == "":
		return errors.New("match: --kb or --kb-from is required")
	case *kbPath != "" && *kbFrom != "":
		return errors.New("match: give --kb or --kb-from, not both")
	case *data == "":
		return errors.New("match: --data is required")
	case *kbFrom != "" && *perLabel <= 0:
		return errors.New("match: --kb-per-label must be a positive number")
	case *threshold < 0 || *threshold > 1:
		return errors.New("match: --threshold must be in 0..1")
	case *margin < 0 || *margin > 1:
		return errors.New("match: --margin must be in 0..1")
	}
	if err := emb.validate(); err != nil {
		return err
	}
	if emb.on() {
		// The blended score has tuned defaults of its own.
		if !explicit["threshold"] {
			*threshold = kb.DefaultHybridThreshold
		}
		if !explicit["margin"] {
			*margin = kb.DefaultHybridMargin
		}
	}
	var sweepThresholds []float64
	if *sweep {
		var err error
		if sweepThresholds, err = parseThresholds("match", *sweepList); err != nil {
			return err
		}
	}
	var kbRows, rows []eval.Example
	var err error
	switch {
	case *split != "":
		all, err := readTSV("match", *kbFrom)
		if err != nil {
			return err
		}
		if kbRows, rows, err = eval.SplitRows(all, *split, *perLabel); err != nil {
			return err
		}
	case *kbFrom != "":
		all, err := readTSV("match", *kbFrom)
		if err != nil {
			return err
		}
		kbRows = eval.FirstPerLabel(all, *perLabel)
	default:
		if kbRows, err = readTSV("match", *kbPath); err != nil {
			return err
		}
	}
	if rows == nil {
		if rows, err = readTSV("match", *data); err != nil {
			return err
		}
	}
	// A row that is also a KB example is never scored: the matcher would
	// be measured on what it was given.
	scored, skipped := eval.HoldOut(kbRows, rows)
	entries := eval.Entries(kbRows)
	texts := make([]string, len(scored))
	truth := make([]string, len(scored))
	for i, row := range scored {
		texts[i], truth[i] = eval.Prepare(rows[row].Text), rows[row].Label
	}

	lexical, err := kb.NewMatcher(entries, kb.Options{})
	if err != nil {
		return err
	}
	matcher, vectors, err := emb.hybrid(ctx, lexical, texts)
	if err != nil {
		return err
	}
	cands, found, err := eval.Candidates(ctx, matcher, texts, vectors)
	if err != nil {
		return err
	}
	ours := eval.AnswersWith(cands, found, *threshold, *margin)
	results := []eval.MatchResult{eval.ScoreMatches("ours", truth, ours)}
	var baseline []eval.NearestAnswer
	if *withBaseline {
		for i := range kbRows {
			kbRows[i].Text = eval.Prepare(kbRows[i].Text)
		}
		if baseline, err = eval.NearestAll(ctx, eval.NewNearest(kbRows), texts); err != nil {
			return err
		}
		results = append(results, eval.ScoreMatches("baseline", truth, eval.AnswersAt(baseline, *threshold)))
	}
	if *predictionsPath != "" {
		// One line per data row; a skipped row's is empty, like an
		// unanswered one's.
		lines := make([]string, len(rows))
		for i, row := range scored {
			lines[row] = ours[i]
		}
		if err := writeLines("match: predictions", *predictionsPath, lines); err != nil {
			return err
		}
	}

	source, dataSource := *kbPath, *data
	switch {
	case *split != "":
		source = fmt.Sprintf("first %d examples per label of the KB half (rows 0 and 2 of every 4 per label) of %s", *perLabel, *kbFrom)
		dataSource = fmt.Sprintf("the %s rows (%s of every 4 per label) of %s", *split, map[string]string{eval.SplitTune: "row 1", eval.SplitHeldOut: "row 3"}[*split], *data)
	case *kbFrom != "":
		source = fmt.Sprintf("first %d examples per label of %s", *perLabel, *kbFrom)
	}
	fmt.Fprintf(stdout, "kb         %s: %d entries, %d examples\n", source, len(entries), len(kbRows))
	fmt.Fprintf(stdout, "data       %s: %d rows, %d labelled %q (out of scope)\n", dataSource, len(rows), oosRows(rows), eval.OutOfScope)
	fmt.Fprintf(stdout, "skipped    %d data rows that are also KB examples (not scored); %d scored\n", skipped, len(scored))
	fmt.Fprintf(stdout, "matcher    %s\n", emb.describe())
	fmt.Fprintf(stdout, "threshold  %.2f (margin %.3f)\n\n", *threshold, *margin)
	printMatchComparison(stdout, results)
	if !*sweep {
		return nil
	}
	fmt.Fprintln(stdout)
	return printMatchSweep(stdout, func(t float64) []string { return eval.AnswersWith(cands, found, t, *margin) }, truth, baseline, sweepThresholds)
}

func oosRows(rows []eval.Example) int {
	n := 0
	for _, r := range rows {
		if r.Label == eval.OutOfScope {
			n++
		}
	}
	return n
}

// oosUnanswered is "n/a" when the data has no out-of-scope rows.
func oosUnanswered(r eval.MatchResult) string {
	share, ok := r.OOSUnansweredShare()
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", share)
}

func printMatchComparison(w io.Writer, results []eval.MatchResult) {
	t := newComparison(w, results)
	row, fixed := t.row, fixed4[eval.MatchResult]
	row("metric", func(r eval.MatchResult) string { return r.Name })
	row("rows", func(r eval.MatchResult) string { return fmt.Sprint(r.Rows) })
	row("answered", fixed(eval.MatchResult.AnsweredShare))
	row("answer precision", fixed(eval.MatchResult.Precision))
	row("in-scope accuracy", fixed(eval.MatchResult.InScopeAccuracy))
	row("oos unanswered", oosUnanswered)
	t.flush()
}

// printMatchSweep prints ours at each threshold (answersAt, with the
// margin fixed) beside the baseline's.
func printMatchSweep(w io.Writer, answersAt func(threshold float64) []string, truth []string, baseline []eval.NearestAnswer, thresholds []float64) error {
	var ours, base []eval.MatchPoint
	for _, t := range thresholds {
		ours = append(ours, eval.MatchPoint{Threshold: t, MatchResult: eval.ScoreMatches("ours", truth, answersAt(t))})
		if baseline != nil {
			base = append(base, eval.MatchPoint{Threshold: t, MatchResult: eval.ScoreMatches("baseline", truth, eval.AnswersAt(baseline, t))})
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	columns := "answered\tprecision\tin-scope acc\toos unanswered\t"
	fmt.Fprint(tw, "threshold\tours "+columns)
	if baseline != nil {
		fmt.Fprint(tw, "|\tbaseline "+columns)
	}
	fmt.Fprintln(tw)
	cells := func(r eval.MatchResult) string {
		return fmt.Sprintf("%.4f\t%.4f\t%.4f\t%s\t", r.AnsweredShare(), r.Precision(), r.InScopeAccuracy(), oosUnanswered(r))
	}
	for i, p := range ours {
		fmt.Fprintf(tw, "%.2f\t%s", p.Threshold, cells(p.MatchResult))
		if baseline != nil {
			fmt.Fprintf(tw, "|\t%s", cells(base[i].MatchResult))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if best, ok := eval.BestInScope(base); ok {
		fmt.Fprintf(w, "\nbest in-scope accuracy  baseline  %.4f at threshold %.2f (answered %.4f, precision %.4f, oos unanswered %s)\n",
			best.InScopeAccuracy(), best.Threshold, best.AnsweredShare(), best.Precision(), oosUnanswered(best.MatchResult))
	}
	return nil
}
