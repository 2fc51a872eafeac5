package triage

import (
	"math"
	"strings"
	"sync"
)

// segmenter splits runs of English letters typed without spaces
// ("cannotloginsinceyesterday") into the words the traffic itself writes
// with spaces ("cannot login since yesterday"), so that a hurried inquiry
// meets its spaced twins instead of opening a cluster of its own. It
// learns the words from the texts the clusterer sees; no word list ships.
// Safe for concurrent use.
type segmenter struct {
	mu    sync.Mutex
	words map[string]uint32 // lower-case words seen on their own
	total uint64
}

const (
	// segmentRun is the shortest run that may be split (gluedLetters):
	// shorter ones are words or typos, not sentences.
	segmentRun = gluedLetters
	// segmentLongest is the longest word learnt or used.
	segmentLongest = 15
	// segmentMinCount is how often a word must have been seen on its own
	// to be used, and how often a run must have been seen on its own to be
	// left whole.
	segmentMinCount = 3
	// segmentVocabulary bounds the words learnt; beyond it no new word is.
	segmentVocabulary = 100000
	// segmentPiece is the cost of one more piece (in log-probability): a
	// run splits into few, common words rather than many short ones.
	segmentPiece = 2.0
)

func newSegmenter() *segmenter { return &segmenter{words: map[string]uint32{}} }

// appendWords appends the tokens of one English word of a text: the
// words of a run typed without spaces (word), or the word itself.
func (s *segmenter) appendWords(dst []token, w string) []token {
	parts, ok := s.word(w)
	if !ok {
		return appendEnglish(dst, w)
	}
	for _, p := range parts {
		dst = appendEnglish(dst, p)
	}
	return dst
}

// word handles one English word of a text as tokenize found it (a nil
// segmenter does nothing): a run
// long enough and not itself known is split into known words; any other
// word is learnt. ok is false when w stays whole.
func (s *segmenter) word(w string) (parts []string, ok bool) {
	if s == nil {
		return nil, false
	}
	if !segmentable(w) {
		return s.mixed(w)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(w) >= segmentRun && s.words[w] < segmentMinCount {
		if parts, ok := s.split(w); ok {
			return parts, true
		}
	}
	if len(w) <= segmentLongest {
		if _, known := s.words[w]; known || len(s.words) < segmentVocabulary {
			s.words[w]++
			s.total++
		}
	}
	return nil, false
}

// mixed splits a long run of English letters and digits typed without
// spaces ("at11pmtheappwontstart") at the digits, and each long run of
// letters into words as word does. Nothing is learnt from it.
func (s *segmenter) mixed(w string) ([]string, bool) {
	if len(w) < segmentRun {
		return nil, false
	}
	var parts []string
	start, digits := 0, false
	for i := 0; i <= len(w); i++ {
		var c byte
		if i < len(w) {
			c = w[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c == '\'':
			default:
				return nil, false // not English letters and digits
			}
		}
		isDigit := c >= '0' && c <= '9'
		if i == len(w) || (i > start && isDigit != digits) {
			parts = append(parts, strings.Trim(w[start:i], "'"))
			start = i
		}
		digits = isDigit
	}
	if len(parts) < 2 {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, p := range parts {
		if len(p) >= segmentRun && segmentable(p) && s.words[p] < segmentMinCount {
			if words, ok := s.split(p); ok {
				out = append(out, words...)
				continue
			}
		}
		if p != "" {
			out = append(out, p)
		}
	}
	return out, true
}

// split finds the most likely sequence of known words spelling w (a
// unigram model over the words learnt, each piece costing segmentPiece);
// s.mu is held.
func (s *segmenter) split(w string) ([]string, bool) {
	if s.total == 0 {
		return nil, false
	}
	logTotal := math.Log(float64(s.total))
	best := make([]float64, len(w)+1)
	from := make([]int, len(w)+1)
	for i := 1; i <= len(w); i++ {
		best[i], from[i] = math.Inf(-1), -1
		for j := max(0, i-segmentLongest); j < i; j++ {
			if math.IsInf(best[j], -1) {
				continue
			}
			n := s.words[w[j:i]]
			if n < segmentMinCount {
				continue
			}
			if score := best[j] + math.Log(float64(n)) - logTotal - segmentPiece; score > best[i] {
				best[i], from[i] = score, j
			}
		}
	}
	if from[len(w)] <= 0 {
		return nil, false // no split into known words, or w itself
	}
	var parts []string
	for i := len(w); i > 0; i = from[i] {
		parts = append(parts, w[from[i]:i])
	}
	for l, r := 0, len(parts)-1; l < r; l, r = l+1, r-1 {
		parts[l], parts[r] = parts[r], parts[l]
	}
	return parts, true
}

// segmentable says whether w is lower-case English letters, with
// apostrophes inside ("isn't").
func segmentable(w string) bool {
	if w == "" || w[0] == '\'' || w[len(w)-1] == '\'' {
		return false
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; (c < 'a' || c > 'z') && c != '\'' {
			return false
		}
	}
	return true
}
