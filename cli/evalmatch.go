package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/surgedesk/surgedesk/eval"
	"github.com/surgedesk/surgedesk/kb"
)

// matchSweep starts at 0: the baseline's in-scope accuracy peaks where it
// answers everything.
const matchSweep = "0.00,0.05," + defaultSweep

// outOfScope labels data rows that no entry answers.
const outOfScope = "oos"

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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("match: unexpected argument %q", fs.Arg(0))
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
	var sweepThresholds []float64
	if *sweep {
		var err error
		if sweepThresholds, err = parseThresholds("match", *sweepList); err != nil {
			return err
		}
	}
	var kbRows []eval.Example
	var err error
	if *kbFrom != "" {
		all, err := readTSV("match", *kbFrom)
		if err != nil {
			return err
		}
		kbRows = firstPerLabel(all, *perLabel)
	} else if kbRows, err = readTSV("match", *kbPath); err != nil {
		return err
	}
	rows, err := readTSV("match", *data)
	if err != nil {
		return err
	}
	entries := entriesOf(kbRows)
	texts := make([]string, len(rows))
	truth := make([]string, len(rows))
	for i, r := range rows {
		texts[i], truth[i] = prepare(r.Text), r.Label
	}

	ours, err := matchOurs(ctx, entries, texts, *threshold, *margin)
	if err != nil {
		return err
	}
	results := []matchResult{scoreMatches("ours", truth, ours)}
	var baseline []nearestResult
	if *withBaseline {
		for i := range kbRows {
			kbRows[i].Text = prepare(kbRows[i].Text)
		}
		nearest := eval.NewNearest(kbRows)
		baseline = make([]nearestResult, len(texts))
		for i, text := range texts {
			if i%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			baseline[i].label, baseline[i].cosine = nearest.Nearest(text)
		}
		results = append(results, scoreMatches("baseline", truth, thresholdNearest(baseline, *threshold)))
	}
	if *predictionsPath != "" {
		if err := writeLines("match: predictions", *predictionsPath, ours); err != nil {
			return err
		}
	}

	source := *kbPath
	if *kbFrom != "" {
		source = fmt.Sprintf("first %d examples per label of %s", *perLabel, *kbFrom)
	}
	fmt.Fprintf(stdout, "kb         %s: %d entries, %d examples\n", source, len(entries), len(kbRows))
	fmt.Fprintf(stdout, "data       %s: %d rows, %d labelled %q (out of scope)\n", *data, len(rows), results[0].oos, outOfScope)
	fmt.Fprintf(stdout, "threshold  %.2f (margin %.3f)\n\n", *threshold, *margin)
	printMatchComparison(stdout, results)
	if !*sweep {
		return nil
	}
	fmt.Fprintln(stdout)
	return printMatchSweep(ctx, stdout, entries, texts, truth, baseline, sweepThresholds, *margin)
}

// firstPerLabel keeps the first n in-scope examples of each label.
func firstPerLabel(rows []eval.Example, n int) []eval.Example {
	taken := map[string]int{}
	var out []eval.Example
	for _, r := range rows {
		if r.Label == outOfScope || taken[r.Label] >= n {
			continue
		}
		taken[r.Label]++
		out = append(out, r)
	}
	return out
}

// entriesOf makes one entry per label, in order of first appearance.
func entriesOf(rows []eval.Example) []kb.Entry {
	index := map[string]int{}
	var entries []kb.Entry
	for _, r := range rows {
		i, ok := index[r.Label]
		if !ok {
			i = len(entries)
			index[r.Label] = i
			entries = append(entries, kb.Entry{ID: r.Label})
		}
		entries[i].Examples = append(entries[i].Examples, r.Text)
	}
	return entries
}

// matchOurs answers every row with the production matcher: the label
// answered, or "".
func matchOurs(ctx context.Context, entries []kb.Entry, texts []string, threshold, margin float64) ([]string, error) {
	opts := kb.Options{Threshold: threshold, Margin: margin}
	m, err := kb.NewMatcher(entries, opts)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(texts))
	for i, text := range texts {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if match, ok := m.Match(text); ok {
			out[i] = match.EntryID
		}
	}
	return out, nil
}

type nearestResult struct {
	label  string
	cosine float64
}

func thresholdNearest(rows []nearestResult, threshold float64) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		if r.label != "" && r.cosine >= threshold-1e-9 {
			out[i] = r.label
		}
	}
	return out
}

// matchResult is what the report prints for one method at one threshold.
type matchResult struct {
	name                string
	rows, answered, oos int
	// inScopeHits are the right answers: an answered oos row is wrong.
	inScopeHits   int
	oosUnanswered int
}

func scoreMatches(name string, truth, answers []string) matchResult {
	r := matchResult{name: name, rows: len(truth)}
	for i, label := range truth {
		a := answers[i]
		if label == outOfScope {
			r.oos++
			if a == "" {
				r.oosUnanswered++
			}
			continue
		}
		if a != "" && a == label {
			r.inScopeHits++
		}
	}
	for _, a := range answers {
		if a != "" {
			r.answered++
		}
	}
	return r
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

func (r matchResult) answeredShare() float64 { return ratio(r.answered, r.rows) }
func (r matchResult) precision() float64     { return ratio(r.inScopeHits, r.answered) }
func (r matchResult) inScopeAccuracy() float64 {
	return ratio(r.inScopeHits, r.rows-r.oos)
}

// oosUnansweredText is "n/a" when the data has no out-of-scope rows.
func (r matchResult) oosUnansweredText() string {
	if r.oos == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", ratio(r.oosUnanswered, r.oos))
}

func printMatchComparison(w io.Writer, results []matchResult) {
	t := newComparison(w, results)
	row, fixed := t.row, fixed4[matchResult]
	row("metric", func(r matchResult) string { return r.name })
	row("rows", func(r matchResult) string { return fmt.Sprint(r.rows) })
	row("answered", fixed(matchResult.answeredShare))
	row("answer precision", fixed(matchResult.precision))
	row("in-scope accuracy", fixed(matchResult.inScopeAccuracy))
	row("oos unanswered", matchResult.oosUnansweredText)
	t.flush()
}

func printMatchSweep(ctx context.Context, w io.Writer, entries []kb.Entry, texts, truth []string, baseline []nearestResult, thresholds []float64, margin float64) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	columns := "answered\tprecision\tin-scope acc\toos unanswered\t"
	fmt.Fprint(tw, "threshold\tours "+columns)
	if baseline != nil {
		fmt.Fprint(tw, "|\tbaseline "+columns)
	}
	fmt.Fprintln(tw)
	cells := func(r matchResult) string {
		return fmt.Sprintf("%.4f\t%.4f\t%.4f\t%s\t", r.answeredShare(), r.precision(), r.inScopeAccuracy(), r.oosUnansweredText())
	}
	var best matchResult
	bestThreshold, seen := 0.0, false
	for _, t := range thresholds {
		answers, err := matchOurs(ctx, entries, texts, t, margin)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%.2f\t%s", t, cells(scoreMatches("ours", truth, answers)))
		if baseline != nil {
			r := scoreMatches("baseline", truth, thresholdNearest(baseline, t))
			if !seen || r.inScopeHits > best.inScopeHits {
				best, bestThreshold, seen = r, t, true
			}
			fmt.Fprintf(tw, "|\t%s", cells(r))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if seen {
		fmt.Fprintf(w, "\nbest in-scope accuracy  baseline  %.4f at threshold %.2f (answered %.4f, precision %.4f, oos unanswered %s)\n",
			best.inScopeAccuracy(), bestThreshold, best.answeredShare(), best.precision(), best.oosUnansweredText())
	}
	return nil
}
