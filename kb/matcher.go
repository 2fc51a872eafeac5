package kb

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/surgedesk/surgedesk/triage"
)

// Entry is one answer entry as the matcher sees it: the phrasings customers
// use for the question it answers.
type Entry struct {
	ID         string
	IncidentID string // "" for a general FAQ entry
	Examples   []string
	Keywords   []string
}

// Match is the matcher's answer for one inquiry.
type Match struct {
	EntryID string
	// Confidence (0..1) is the entry's score (eval/README.md): mostly the
	// cosine with the entry's centroid, partly with its closest examples.
	Confidence float64
	Example    string // the entry's closest example
}

// Options tunes the matcher.
type Options struct {
	// Threshold is the confidence an inquiry needs to be answered.
	Threshold float64
	// Margin is how far the best entry must score above the second best:
	// two entries that fit almost equally well mean the inquiry is
	// ambiguous, and a wrong answer is worse than none.
	Margin float64
}

// Tuned on the dev sets with `surgedesk eval match --sweep` (eval/README.md).
const (
	DefaultThreshold = 0.2
	DefaultMargin    = 0.065
)

// DefaultOptions returns the tuned defaults.
func DefaultOptions() Options {
	return Options{Threshold: DefaultThreshold, Margin: DefaultMargin}
}

func (o Options) validate() error {
	if o.Threshold < 0 || o.Threshold > 1 || math.IsNaN(o.Threshold) {
		return fmt.Errorf("kb: threshold %v is not in 0..1", o.Threshold)
	}
	if o.Margin < 0 || o.Margin > 1 || math.IsNaN(o.Margin) {
		return fmt.Errorf("kb: margin %v is not in 0..1", o.Margin)
	}
	return nil
}

// Scoring weights, tuned with the defaults (eval/README.md).
const (
	// wordScale weighs the clusterer's features (Hangul 2-grams and words,
	// English words) against 1 for each character n-gram.
	wordScale = 1.2
	// centroidWeight is the share of the entry score that comes from the
	// entry's centroid; the rest comes from its closest examples.
	centroidWeight = 0.85
	// centroidPower flattens centroid weights: a feature a few phrasings
	// use still counts, not only what every phrasing shares.
	centroidPower = 0.6
	// secondWeight blends an entry's second-closest example into its
	// example score: two close phrasings beat one lucky one.
	secondWeight = 0.2
	// negationPenalty scales the similarity when the inquiry's negation
	// differs, as the clusterer does: "불 켜줘" and "불 켜지 마" share most
	// features and must not share an answer.
	negationPenalty = 0.25
)

// Matcher finds the answer entry an inquiry asks for. It is immutable once
// built, so concurrent Match calls need no lock; a changed knowledge base is
// a new Matcher.
type Matcher struct {
	opts      Options
	idf       map[uint32]float32
	unseen    float32              // IDF of a feature no example has
	postings  map[uint32][]posting // feature → examples
	centroids map[uint32][]posting // feature → entries
	examples  []example
	entries   []entry
	sem       *semantic // nil: lexical only (see WithVectors)
}

type entry struct {
	id       string
	examples int
	// Whether some of its examples are negated and some are not: the
	// centroid mixes both, so only an entry that is all one way can
	// disagree with an inquiry's negation.
	negated, plain bool
}

type example struct {
	entry   int32
	negated bool
	text    string
}

// posting is one example (or entry) listed under a feature.
type posting struct {
	index  int32
	weight float32
}

// NewMatcher indexes the examples and keywords of entries.
func NewMatcher(entries []Entry, opts Options) (*Matcher, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, errors.New("kb: no entries")
	}
	m := &Matcher{opts: opts, idf: map[uint32]float32{}, postings: map[uint32][]posting{}, centroids: map[uint32][]posting{}}
	seen := map[string]bool{}
	var docs [][]weighted
	for i, e := range entries {
		if e.ID == "" {
			return nil, fmt.Errorf("kb: entry %d has no id", i)
		}
		if seen[e.ID] {
			return nil, fmt.Errorf("kb: duplicate entry id %q", e.ID)
		}
		seen[e.ID] = true
		texts := make([]string, 0, len(e.Examples)+1)
		for _, ex := range e.Examples {
			if strings.TrimSpace(ex) != "" {
				texts = append(texts, ex)
			}
		}
		if len(texts) == 0 {
			return nil, fmt.Errorf("kb: entry %q has no examples", e.ID)
		}
		// Keywords together read as one more phrasing of the question.
		if kw := strings.TrimSpace(strings.Join(e.Keywords, " ")); kw != "" {
			texts = append(texts, kw)
		}
		idx := int32(len(m.entries))
		ent := entry{id: e.ID}
		for _, text := range texts {
			feats, neg := featuresOf(text)
			if len(feats) == 0 {
				continue
			}
			m.examples = append(m.examples, example{entry: idx, negated: neg, text: text})
			docs = append(docs, feats)
			ent.examples++
			ent.negated = ent.negated || neg
			ent.plain = ent.plain || !neg
		}
		if ent.examples == 0 {
			return nil, fmt.Errorf("kb: entry %q has no example with a word in it", e.ID)
		}
		m.entries = append(m.entries, ent)
	}
	// Document frequency over examples: a feature every entry's phrasings
	// share ("card", "앱") says little about which entry is asked for.
	df := map[uint32]int{}
	for _, d := range docs {
		for _, f := range d {
			df[f.hash]++
		}
	}
	n := float64(len(docs))
	for h, c := range df {
		m.idf[h] = float32(math.Log((1+n)/(1+float64(c))) + 1)
	}
	m.unseen = float32(math.Log(1+n) + 1)
	sums := make([]map[uint32]float64, len(m.entries))
	for i, d := range docs {
		e := m.examples[i].entry
		if sums[e] == nil {
			sums[e] = map[uint32]float64{}
		}
		for _, f := range m.weigh(d) {
			m.postings[f.hash] = append(m.postings[f.hash], posting{index: int32(i), weight: f.weight})
			sums[e][f.hash] += float64(f.weight)
		}
	}
	for e, sum := range sums {
		norm := 0.0
		for h, w := range sum {
			w = math.Pow(w, centroidPower)
			sum[h] = w
			norm += w * w
		}
		norm = math.Sqrt(norm)
		for h, w := range sum {
			m.centroids[h] = append(m.centroids[h], posting{index: int32(e), weight: float32(w / norm)})
		}
	}
	return m, nil
}

// weigh turns counts into a unit TF-IDF vector, in place.
func (m *Matcher) weigh(feats []weighted) []weighted {
	var norm float64
	for i, f := range feats {
		idf, ok := m.idf[f.hash]
		if !ok {
			// Words no example has still count in the norm: text about
			// something else must not match on the one word it shares.
			idf = m.unseen
		}
		w := f.weight * idf
		feats[i].weight = w
		norm += float64(w) * float64(w)
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range feats {
			feats[i].weight *= inv
		}
	}
	return feats
}

// Match returns the best entry for text (already redacted) when it is
// confident enough and clearly ahead of every other entry.
func (m *Matcher) Match(text string) (Match, bool) { return m.MatchVector(text, nil) }

// MatchVector is Match with the inquiry's embedding (nil when there is
// none): with a Matcher from WithVectors and a vector of the same model,
// entries are scored by the hybrid of lexical and semantic scores, with
// the hybrid's Options; otherwise lexically.
func (m *Matcher) MatchVector(text string, vec []float32) (Match, bool) {
	c, ok := m.Candidate(text, vec)
	if !ok {
		return Match{}, false
	}
	opts := m.opts
	if c.Hybrid {
		opts = m.sem.opts
	}
	if c.Confidence < opts.Threshold || c.Confidence-c.RunnerUp < opts.Margin {
		return Match{}, false
	}
	return c.Match, true
}

// Candidate is the best entry for an inquiry before the threshold and the
// margin are applied: what eval sweeps thresholds over without matching
// again.
type Candidate struct {
	Match
	RunnerUp float64 // the second-best entry's score
	Hybrid   bool    // scored with embeddings
}

// Candidate returns text's best entry whatever its score; false when no
// entry can be answered at all.
//
// A contrast ("A 말고 B", "not A, B") is scored on what is asked alone,
// lexically (the vector is of the whole text), and has no candidate when
// its best entry is also the denied part's.
func (m *Matcher) Candidate(text string, vec []float32) (Candidate, bool) {
	if c, ok := FindContrast(text); ok {
		return m.contrast(c)
	}
	lex, ok := m.score(text)
	if !ok {
		return Candidate{}, false
	}
	if m.sem != nil && len(vec) == m.sem.dims {
		c, ok := m.candidate(m.blend(lex, vec))
		c.Hybrid = true
		return c, ok
	}
	return m.candidate(lex)
}

func (m *Matcher) contrast(c Contrast) (Candidate, bool) {
	if c.Asked == "" {
		return Candidate{}, false
	}
	asked, ok := m.score(c.Asked)
	if !ok {
		return Candidate{}, false
	}
	cand, ok := m.candidate(asked)
	if !ok {
		return Candidate{}, false
	}
	if denied, ok := m.score(c.Denied); ok {
		if best, _ := denied.top(); best >= 0 && m.entries[best].id == cand.EntryID {
			return Candidate{}, false
		}
	}
	return cand, true
}

// candidate picks the best of an inquiry's scores.
func (m *Matcher) candidate(s scores) (Candidate, bool) {
	first, second := s.top()
	if first < 0 {
		return Candidate{}, false
	}
	c := Candidate{Match: Match{EntryID: m.entries[first].id, Confidence: min(max(s.entry[first], 0), 1),
		Example: m.examples[s.example[first]].text}}
	if second >= 0 {
		c.RunnerUp = s.entry[second]
	}
	return c, true
}

// scores are one inquiry's score for every entry (0 for an entry it shares
// nothing with) and each entry's closest example.
type scores struct {
	entry   []float64
	example []int32
	scored  []bool // the entry shares a feature with the inquiry
	negated bool
}

// top returns the best and second-best scored entries (-1 when none).
func (s scores) top() (first, second int) {
	first, second = -1, -1
	for e, v := range s.entry {
		if !s.scored[e] {
			continue
		}
		switch {
		case first < 0 || v > s.entry[first]:
			first, second = e, first
		case second < 0 || v > s.entry[second]:
			second = e
		}
	}
	return first, second
}

func (m *Matcher) score(text string) (scores, bool) {
	feats, negated := featuresOf(text)
	if len(feats) == 0 {
		return scores{}, false
	}
	vec := m.weigh(feats)
	// Per entry: its two best example similarities and its centroid's.
	type tally struct {
		first, second, centroid float64
		example                 int32
	}
	tallies := make([]tally, len(m.entries))
	sims := make([]float32, len(m.examples))
	for _, f := range vec {
		for _, p := range m.postings[f.hash] {
			sims[p.index] += f.weight * p.weight
		}
		for _, p := range m.centroids[f.hash] {
			tallies[p.index].centroid += float64(f.weight * p.weight)
		}
	}
	for i, s := range sims {
		if s <= 0 {
			continue
		}
		sim := float64(s)
		ex := m.examples[i]
		if ex.negated != negated {
			sim *= negationPenalty
		}
		t := &tallies[ex.entry]
		switch {
		case sim > t.first:
			t.first, t.second, t.example = sim, t.first, int32(i)
		case sim > t.second:
			t.second = sim
		}
	}
	out := scores{entry: make([]float64, len(tallies)), example: make([]int32, len(tallies)),
		scored: make([]bool, len(tallies)), negated: negated}
	for e, t := range tallies {
		if t.first <= 0 {
			continue
		}
		exampleScore := t.first
		if m.entries[e].examples > 1 {
			exampleScore = (1-secondWeight)*t.first + secondWeight*t.second
		}
		centroid := t.centroid * m.negationFactor(e, negated)
		out.entry[e] = (1-centroidWeight)*exampleScore + centroidWeight*centroid
		out.example[e], out.scored[e] = t.example, true
	}
	// ok with nothing scored: a hybrid matcher may still find an entry
	// by meaning; answer finds none lexically.
	return out, true
}

// negationFactor is the penalty for an entry none of whose examples shares
// the inquiry's negation (1 when some do).
func (m *Matcher) negationFactor(e int, negated bool) float64 {
	if ent := m.entries[e]; (negated && !ent.negated) || (!negated && !ent.plain) {
		return negationPenalty
	}
	return 1
}

// weighted is one feature with a weight: a count, then a TF-IDF weight.
type weighted struct {
	hash   uint32
	weight float32
}

// featuresOf is the clusterer's features (scaled by wordScale) plus
// character 2- and 3-grams of the normalised text, merged by hash.
func featuresOf(text string) ([]weighted, bool) {
	base, negated := triage.Features(text)
	norm := triage.Normalize(text)
	feats := make([]weighted, 0, len(base)+2*len(norm)+4)
	for _, f := range base {
		feats = append(feats, weighted{hash: f.Hash, weight: f.Count * wordScale})
	}
	// Character n-grams over the whole normalised text, spaces included, as
	// the baseline uses: they keep the stopwords and word order that short
	// questions ("what is my balance") carry, and let misspellings meet.
	if norm != "" {
		runes := []rune(" " + norm + " ")
		for n := 2; n <= 3; n++ {
			for i := 0; i+n <= len(runes); i++ {
				feats = append(feats, weighted{hash: gramHash(runes[i : i+n]), weight: 1})
			}
		}
	}
	slices.SortFunc(feats, func(a, b weighted) int { return cmp.Compare(a.hash, b.hash) })
	out := feats[:0]
	for _, f := range feats {
		if n := len(out); n > 0 && out[n-1].hash == f.hash {
			out[n-1].weight += f.weight
			continue
		}
		out = append(out, f)
	}
	return out, negated
}

// gramHash is FNV-1a over the runes with its own seed, so n-grams and the
// clusterer's features (a different hash) rarely collide.
func gramHash(runes []rune) uint32 {
	h := uint32(2166136261) ^ 0x9e3779b9
	for _, r := range runes {
		h ^= uint32(r)
		h *= 16777619
		h ^= uint32(r >> 8)
		h *= 16777619
		h ^= uint32(r >> 16)
		h *= 16777619
	}
	return h
}
