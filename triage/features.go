package triage

import (
	"strings"
)

// feature is one hashed feature with its weight (a term count while being
// extracted, a TF-IDF weight afterwards).
type feature struct {
	hash   uint32
	weight float32
}

// Feature kinds, mixed into the hash so that equal strings of different
// kinds do not collide.
const (
	kindHangulBigram = iota + 1
	kindHangulTrigram
	kindWord
	kindWordPair
)

// featureWeights scale each kind before IDF. Korean carries its meaning in
// syllable n-grams of the spacing-free text; English in stemmed words.
type featureWeights struct {
	hangulBigram, hangulTrigram, hangulWord, word, wordPair float32
}

var defaultFeatureWeights = featureWeights{hangulBigram: 1, hangulWord: 1, word: 1.5}

// profile is what the clusterer needs of one inquiry.
type profile struct {
	features []feature // sorted by hash, weights are term counts
	negated  bool
	english  float64   // share of the feature weight from English words
	topic    []feature // unit topic vector (problem.go's topicOf)
	topicW   []feature // topic weighed by IDF at Assign (weighTopic)
}

// englishStopwords carry no request; "not" and "no" are deliberately absent.
var englishStopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the i me my mine we our you your it its this that these those
		is am are was were be been being do doe did have ha had will would shall should can could may might must
		to of in on at for from by with about as into and or but if so than then there here
		please pleas hi hello thank thanks just also any some what how why when where which who whom
		he she they them their his her us`) {
		m[w] = true
	}
	return m
}()

// negationWords and koreanNegations mark a request that asks for the
// opposite of its wording without the marker ("불 켜지 마" vs "불 켜줘").
var negationWords = map[string]bool{"not": true, "no": true, "never": true, "without": true, "stop": true}

// "말고" is not among them: "A 말고 B" asks for B.
var koreanNegations = []string{"안되", "안하", "안돼", "못", "않", "지마", "지말", "금지"}

// extract turns text into hashed features: syllable 2-grams (with word-run
// boundaries) and 3-grams over each spacing-free Hangul run, and stemmed
// English words and adjacent word pairs (stopwords skipped).
func extract(text string, w featureWeights, scratch []token) (profile, []token) {
	return extractWith(text, w, scratch, nil)
}

// extractWith is extract with seg splitting English runs typed without
// spaces (tokenizeWith).
func extractWith(text string, w featureWeights, scratch []token, seg *segmenter) (profile, []token) {
	toks := tokenizeWith(text, scratch[:0], seg)
	feats := make([]feature, 0, 2*len(text)/3+8)
	var p profile
	var run []rune
	flushRun := func() {
		if len(run) == 0 {
			return
		}
		s := string(run)
		for _, n := range koreanNegations {
			if strings.Contains(s, n) {
				p.negated = true
				break
			}
		}
		if run[0] == '안' && len(run) > 1 && run[1] != '녕' && run[1] != '내' && run[1] != '전' {
			p.negated = true
		}
		prev := rune('^')
		for i, r := range run {
			feats = append(feats, feature{hash: hash2(kindHangulBigram, prev, r), weight: w.hangulBigram})
			if i >= 2 && w.hangulTrigram > 0 {
				feats = append(feats, feature{hash: hash3(kindHangulTrigram, run[i-2], run[i-1], r), weight: w.hangulTrigram})
			}
			prev = r
		}
		feats = append(feats, feature{hash: hash2(kindHangulBigram, prev, '$'), weight: w.hangulBigram})
		run = run[:0]
	}
	lastWord := uint64(0)
	var englishWeight float32
	for _, t := range toks {
		if t.hangul {
			for _, r := range t.text {
				run = append(run, r)
			}
			if w.hangulWord > 0 {
				feats = append(feats, feature{hash: mix32(hashString(t.text) ^ kindWord<<56), weight: w.hangulWord})
			}
			continue
		}
		flushRun()
		if negationWords[t.text] {
			p.negated = true
		}
		if englishStopwords[t.text] {
			continue
		}
		h := hashString(t.text)
		feats = append(feats, feature{hash: mix32(h ^ kindWord<<56), weight: w.word})
		englishWeight += w.word
		if lastWord != 0 && w.wordPair > 0 {
			feats = append(feats, feature{hash: mix32(lastWord*31 ^ h ^ kindWordPair<<56), weight: w.wordPair})
		}
		lastWord = h
	}
	flushRun()
	var total, words float32
	for _, f := range feats {
		total += f.weight
	}
	words = englishWeight
	if total > 0 {
		p.english = float64(words / total)
	}
	p.features = mergeFeatures(feats)
	return p, toks
}

// mergeFeatures sorts by hash and sums the weights of repeated features.
func mergeFeatures(feats []feature) []feature {
	sortByHash(feats)
	out := feats[:0]
	for _, f := range feats {
		if n := len(out); n > 0 && out[n-1].hash == f.hash {
			out[n-1].weight += f.weight
			continue
		}
		out = append(out, f)
	}
	return out
}

func hash2(kind uint64, a, b rune) uint32 {
	return mix32(kind<<56 ^ uint64(a)<<21 ^ uint64(b))
}

func hash3(kind uint64, a, b, c rune) uint32 {
	return mix32(kind<<56 ^ uint64(a)<<42 ^ uint64(b)<<21 ^ uint64(c))
}

// hashString is FNV-1a.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix32 finalises a 64-bit key into a non-zero 32-bit feature hash (zero
// marks an empty slot in the frequency table).
func mix32(x uint64) uint32 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	if h := uint32(x); h != 0 {
		return h
	}
	return 1
}

// frequencyTable counts, per feature hash, how many inquiries contained it.
// Open addressing over two flat slices is several times faster than a map
// for the hundred look-ups an inquiry needs.
type frequencyTable struct {
	keys   []uint32
	counts []uint32
	used   int
}

func newFrequencyTable() *frequencyTable {
	return &frequencyTable{keys: make([]uint32, 1024), counts: make([]uint32, 1024)}
}

func (t *frequencyTable) get(h uint32) uint32 {
	mask := uint32(len(t.keys) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case h:
			return t.counts[i]
		case 0:
			return 0
		}
	}
}

func (t *frequencyTable) add(h uint32, n uint32) {
	if 2*(t.used+1) > len(t.keys) {
		t.grow()
	}
	mask := uint32(len(t.keys) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case h:
			t.counts[i] += n
			return
		case 0:
			t.keys[i], t.counts[i] = h, n
			t.used++
			return
		}
	}
}

func (t *frequencyTable) grow() {
	keys, counts := t.keys, t.counts
	t.keys = make([]uint32, 2*len(keys))
	t.counts = make([]uint32, 2*len(keys))
	t.used = 0
	for i, k := range keys {
		if k != 0 {
			t.add(k, counts[i])
		}
	}
}

func (t *frequencyTable) bytes() int { return 8 * len(t.keys) }
