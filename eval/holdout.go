package eval

import (
	"context"
	"fmt"
	"strings"

	"github.com/surgedesk/surgedesk/kb"
)

// exampleKey folds case and spacing, so a KB example and a data row that
// differ only in those count as the same phrasing.
func exampleKey(text string) string {
	return strings.ToLower(strings.Join(strings.Fields(Prepare(text)), " "))
}

// HoldOut splits data rows into those that may be scored and the indexes
// of those that may not: a row whose text is also a knowledge-base example
// (of any label) would score the matcher on what it was given, not on
// what it must recognise.
func HoldOut(kbRows, rows []Example) (scored []int, skipped int) {
	seen := make(map[string]bool, len(kbRows))
	for _, r := range kbRows {
		seen[exampleKey(r.Text)] = true
	}
	for i, r := range rows {
		if seen[exampleKey(r.Text)] {
			skipped++
			continue
		}
		scored = append(scored, i)
	}
	return scored, skipped
}

// Split parts, for tuning on some rows and reporting on others.
const (
	SplitTune    = "tune"
	SplitHeldOut = "held-out"
)

// SplitRows divides a labelled file in four by each row's position within
// its label (0, 1, 2, 3, 0, …): positions 0 and 2 are the knowledge-base
// half (its first n examples per in-scope label become the KB), 1 the
// rows thresholds are tuned on, 3 the held-out rows reported. oos rows are
// divided the same way and never enter the KB.
func SplitRows(rows []Example, part string, n int) (kbRows, data []Example, err error) {
	want := map[string]int{SplitTune: 1, SplitHeldOut: 3}
	pos, ok := want[part]
	if !ok {
		return nil, nil, fmt.Errorf("eval: split %q is not %s or %s", part, SplitTune, SplitHeldOut)
	}
	index := map[string]int{}
	var half []Example
	for _, r := range rows {
		i := index[r.Label]
		index[r.Label]++
		switch i % 4 {
		case 0, 2:
			half = append(half, r)
		case pos:
			data = append(data, r)
		}
	}
	return FirstPerLabel(half, n), data, nil
}

// Candidates returns each text's best entry before the threshold and the
// margin are applied (ok false: none), with its embedding when vecs is
// not nil, so that a sweep scores every threshold without matching again.
func Candidates(ctx context.Context, m *kb.Matcher, texts []string, vecs [][]float32) ([]kb.Candidate, []bool, error) {
	out := make([]kb.Candidate, len(texts))
	ok := make([]bool, len(texts))
	for i, text := range texts {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		var v []float32
		if vecs != nil {
			v = vecs[i]
		}
		out[i], ok[i] = m.Candidate(text, v)
	}
	return out, ok, nil
}

// AnswersWith is what the matcher answers from candidates at threshold and
// margin: the entry id, or "".
func AnswersWith(cands []kb.Candidate, ok []bool, threshold, margin float64) []string {
	out := make([]string, len(cands))
	for i, c := range cands {
		if ok[i] && c.Confidence >= threshold-1e-9 && c.Confidence-c.RunnerUp >= margin-1e-9 {
			out[i] = c.EntryID
		}
	}
	return out
}
