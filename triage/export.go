package triage

// Feature is one hashed feature of an inquiry and its term count (before
// IDF), as the clusterer sees it; see docs/triage.md for what the features are.
type Feature struct {
	Hash  uint32
	Count float32
}

// Features returns the clusterer's features of text, sorted by hash, and
// its negation flag, so that other matchers (the knowledge base) compare
// inquiries exactly as the clusterer does.
func Features(text string) (features []Feature, negated bool) {
	p, _ := extract(text, defaultFeatureWeights, nil)
	out := make([]Feature, len(p.features))
	for i, f := range p.features {
		out[i] = Feature{Hash: f.hash, Count: f.weight}
	}
	return out, p.negated
}
