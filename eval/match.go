package eval

import (
	"context"

	"github.com/surgedesk/surgedesk/kb"
)

// OutOfScope labels data rows that no entry answers.
const OutOfScope = "oos"

// FirstPerLabel keeps the first n in-scope examples of each label: a
// knowledge base built from the head of a file, scored on the rest.
func FirstPerLabel(rows []Example, n int) []Example {
	taken := map[string]int{}
	var out []Example
	for _, r := range rows {
		if r.Label == OutOfScope || taken[r.Label] >= n {
			continue
		}
		taken[r.Label]++
		out = append(out, r)
	}
	return out
}

// Entries makes one knowledge-base entry per label, its examples the
// label's texts, in order of first appearance.
func Entries(rows []Example) []kb.Entry {
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

// Match answers every text with the production matcher: the id of the
// entry answered, or "" when it would go to the human queue.
func Match(ctx context.Context, entries []kb.Entry, texts []string, threshold, margin float64) ([]string, error) {
	m, err := kb.NewMatcher(entries, kb.Options{Threshold: threshold, Margin: margin})
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

// NearestAnswer is the baseline's nearest example for one text.
type NearestAnswer struct {
	Label  string
	Cosine float64
}

// NearestAll finds the nearest example of every text. Thresholds are
// applied afterwards (AnswersAt), so one pass serves a whole sweep.
func NearestAll(ctx context.Context, n *Nearest, texts []string) ([]NearestAnswer, error) {
	out := make([]NearestAnswer, len(texts))
	for i, text := range texts {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		out[i].Label, out[i].Cosine = n.Nearest(text)
	}
	return out, nil
}

// AnswersAt is what the baseline answers at threshold: the nearest label
// when its cosine reaches it, else "".
func AnswersAt(rows []NearestAnswer, threshold float64) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		if r.Label != "" && r.Cosine >= threshold-1e-9 {
			out[i] = r.Label
		}
	}
	return out
}

// MatchResult is one method's figures at one threshold.
type MatchResult struct {
	Name                string
	Rows, Answered, OOS int
	// InScopeHits are the right answers: an answered oos row is wrong.
	InScopeHits   int
	OOSUnanswered int
}

// ScoreMatches scores answers ("" for none) against the true labels.
func ScoreMatches(name string, truth, answers []string) MatchResult {
	r := MatchResult{Name: name, Rows: len(truth)}
	for i, label := range truth {
		a := answers[i]
		if label == OutOfScope {
			r.OOS++
			if a == "" {
				r.OOSUnanswered++
			}
			continue
		}
		if a != "" && a == label {
			r.InScopeHits++
		}
	}
	for _, a := range answers {
		if a != "" {
			r.Answered++
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

// AnsweredShare is the share of rows answered.
func (r MatchResult) AnsweredShare() float64 { return ratio(r.Answered, r.Rows) }

// Precision is the share of answers that were right.
func (r MatchResult) Precision() float64 { return ratio(r.InScopeHits, r.Answered) }

// InScopeAccuracy is the share of in-scope rows answered right.
func (r MatchResult) InScopeAccuracy() float64 { return ratio(r.InScopeHits, r.Rows-r.OOS) }

// OOSUnansweredShare is the share of out-of-scope rows left unanswered;
// ok is false when the data has none.
func (r MatchResult) OOSUnansweredShare() (share float64, ok bool) {
	return ratio(r.OOSUnanswered, r.OOS), r.OOS > 0
}

// MatchPoint is a method's result at one threshold of a sweep.
type MatchPoint struct {
	Threshold float64
	MatchResult
}

// SweepMatches scores the production matcher, and the baseline's nearest
// answers unless they are nil, at each threshold.
func SweepMatches(ctx context.Context, entries []kb.Entry, texts, truth []string, baseline []NearestAnswer, thresholds []float64, margin float64) (ours, base []MatchPoint, err error) {
	for _, t := range thresholds {
		answers, err := Match(ctx, entries, texts, t, margin)
		if err != nil {
			return nil, nil, err
		}
		ours = append(ours, MatchPoint{t, ScoreMatches("ours", truth, answers)})
		if baseline != nil {
			base = append(base, MatchPoint{t, ScoreMatches("baseline", truth, AnswersAt(baseline, t))})
		}
	}
	return ours, base, nil
}

// BestInScope returns the point with the most right in-scope answers, the
// first of equals; ok is false when there are no points.
func BestInScope(points []MatchPoint) (best MatchPoint, ok bool) {
	for i, p := range points {
		if i == 0 || p.InScopeHits > best.InScopeHits {
			best = p
		}
	}
	return best, len(points) > 0
}
