package eval

import (
	"math"
	"strings"
	"unicode"
)

// Nearest is the matching baseline: a nearest-example classifier over
// character 2- and 3-gram TF-IDF vectors (featurised like Baseline, with
// IDF over the examples). It answers with the label of the most
// cosine-similar example.
type Nearest struct {
	labels   []string
	idf      map[string]float64
	unseen   float64
	postings map[string][]nearestPosting
}

type nearestPosting struct {
	example int32
	weight  float64
}

// NewNearest indexes labelled examples.
func NewNearest(examples []Example) *Nearest {
	n := &Nearest{idf: map[string]float64{}, postings: map[string][]nearestPosting{}}
	grams := make([]map[string]int, len(examples))
	df := map[string]int{}
	for i, ex := range examples {
		grams[i] = charGrams(ex.Text)
		for g := range grams[i] {
			df[g]++
		}
		n.labels = append(n.labels, ex.Label)
	}
	docs := float64(len(examples))
	for g, c := range df {
		n.idf[g] = math.Log((1+docs)/(1+float64(c))) + 1
	}
	n.unseen = math.Log(1+docs) + 1
	for i, g := range grams {
		for gram, w := range n.weigh(g) {
			n.postings[gram] = append(n.postings[gram], nearestPosting{int32(i), w})
		}
	}
	return n
}

// Nearest returns the label of the most similar example and the cosine;
// ties go to the earlier example. No shared n-gram gives "", 0.
func (n *Nearest) Nearest(text string) (string, float64) {
	sims := map[int32]float64{}
	for gram, w := range n.weigh(charGrams(text)) {
		for _, p := range n.postings[gram] {
			sims[p.example] += w * p.weight
		}
	}
	best, bestSim := int32(-1), 0.0
	for ex, s := range sims {
		if s > bestSim || (s == bestSim && ex < best) {
			best, bestSim = ex, s
		}
	}
	if best < 0 {
		return "", 0
	}
	return n.labels[best], bestSim
}

func (n *Nearest) weigh(grams map[string]int) map[string]float64 {
	out := make(map[string]float64, len(grams))
	norm := 0.0
	for g, c := range grams {
		idf, ok := n.idf[g]
		if !ok {
			idf = n.unseen
		}
		w := float64(c) * idf
		out[g] = w
		norm += w * w
	}
	norm = math.Sqrt(norm)
	for g := range out {
		out[g] /= norm
	}
	return out
}

// charGrams counts the character 2- and 3-grams of text, lower-cased, with
// whitespace collapsed and one space of padding, as NewBaseline does.
func charGrams(text string) map[string]int {
	runes := []rune(" " + strings.Join(strings.FieldsFunc(strings.ToLower(text), unicode.IsSpace), " ") + " ")
	grams := map[string]int{}
	for n := 2; n <= 3; n++ {
		for start := 0; start+n <= len(runes); start++ {
			grams[string(runes[start:start+n])]++
		}
	}
	return grams
}
