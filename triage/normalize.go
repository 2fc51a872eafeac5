package triage

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds text so that variants of the same words compare equal:
// NFKC with composed Hangul, lower case, punctuation, emoji and emotive jamo
// dropped, repeated letters folded, Korean spacing removed between Hangul
// words, Korean endings, particles and common misspellings folded, English
// contractions expanded and words lightly stemmed. Redaction placeholders
// such as "[카드번호]" survive as tokens. See docs/triage.md for the reasons.
func Normalize(text string) string {
	toks := tokenize(text, nil)
	var b strings.Builder
	b.Grow(len(text))
	for i, t := range toks {
		if i > 0 && !(t.hangul && toks[i-1].hangul) {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// token is one normalised word. Hangul words are glued to their Hangul
// neighbours when features are built, which makes Korean spacing irrelevant.
type token struct {
	text   string
	hangul bool
}

// tokenize appends the normalised tokens of text to dst.
func tokenize(text string, dst []token) []token { return tokenizeWith(text, dst, nil) }

// tokenizeWith is tokenize with seg, when not nil, learning the English
// words of text and splitting the runs typed without spaces.
func tokenizeWith(text string, dst []token, seg *segmenter) []token {
	start := len(dst)
	text = foldEmotiveJamo(text)
	if !nfkcStable(text) && !norm.NFKC.IsNormalString(text) {
		text = norm.NFKC.String(text)
	}
	var word []rune
	wordHangul := false
	run := 0 // length of the current run of one repeated rune
	flush := func() {
		if len(word) == 0 {
			return
		}
		if wordHangul {
			if w := foldKorean(string(word)); w != "" {
				dst = append(dst, token{text: w, hangul: true})
			}
		} else if w := string(word); seg != nil {
			dst = seg.appendWords(dst, w)
		} else {
			dst = appendEnglish(dst, w)
		}
		word = word[:0]
	}
	runes := []rune(text)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		if r == '[' {
			if end := placeholderEnd(runes, i); end > 0 {
				flush()
				dst = append(dst, token{text: strings.ToLower(string(runes[i : end+1]))})
				i = end
				continue
			}
		}
		isHangul := isSyllable(r)
		isWord := isHangul || unicode.IsLetter(r) || unicode.IsDigit(r)
		if !isWord && isApostrophe(r) && len(word) > 0 && !wordHangul && i+1 < len(runes) && unicode.IsLetter(runes[i+1]) {
			word = append(word, '\'')
			continue
		}
		if !isWord || (len(word) > 0 && isHangul != wordHangul) {
			flush()
		}
		if !isWord {
			continue
		}
		r = unicode.ToLower(r)
		// Three or more of the same letter ("아아아", "sooo") fold to one;
		// digits are left alone because "1000" is not "10".
		if n := len(word); n > 0 && word[n-1] == r {
			run++
		} else {
			run = 1
		}
		if run >= 3 && !unicode.IsDigit(r) {
			if run == 3 {
				word = word[:len(word)-1]
			}
			continue
		}
		wordHangul = isHangul
		word = append(word, r)
	}
	flush()
	return joinPhrasal(dst, start)
}

// phrasalVerbs are English verbs written with their particle both apart
// and glued ("log in" and "login", "sign up" and "signup", "top up" and
// "top-up"): glued, the spellings meet, and the particle, a stopword
// alone, keeps its meaning.
var phrasalVerbs = map[string]map[string]bool{
	"log":   {"in": true, "on": true, "out": true},
	"sign":  {"in": true, "up": true, "out": true},
	"check": {"in": true, "out": true},
	"top":   {"up": true},
}

// accountWords are the spellings of signing in and out that mean logging
// in and out, as the support desk reads them.
var accountWords = map[string]string{"signin": "login", "logon": "login", "signout": "logout"}

// joinPhrasal glues each phrasal verb among dst[start:] to its particle,
// and folds accountWords.
func joinPhrasal(dst []token, start int) []token {
	out := start
	for i := start; i < len(dst); i++ {
		t := dst[i]
		if t.hangul {
			dst[out] = t
			out++
			continue
		}
		if i+1 < len(dst) && !dst[i+1].hangul && phrasalVerbs[t.text][dst[i+1].text] {
			t.text += dst[i+1].text
			i++
		}
		if w, ok := accountWords[t.text]; ok {
			t.text = w
		}
		dst[out] = t
		out++
	}
	return dst[:out]
}

// foldEmotiveJamo replaces Hangul compatibility and half-width jamo
// (ㅋㅋ, ㅠㅠ, ㅎㅎ) with spaces before NFKC, which would otherwise turn them
// into conjoining jamo that can fuse into unrelated syllables (ㅋ+ㅠ = 큐).
func foldEmotiveJamo(text string) string {
	hasJamo := false
	for _, r := range text {
		if isEmotiveJamo(r) {
			hasJamo = true
			break
		}
	}
	if !hasJamo {
		return text
	}
	return strings.Map(func(r rune) rune {
		if isEmotiveJamo(r) {
			return ' '
		}
		return r
	}, text)
}

// nfkcStable reports text made only of ASCII and precomposed Hangul
// syllables, which NFKC leaves unchanged; it saves the table look-ups for
// the common case.
func nfkcStable(text string) bool {
	for _, r := range text {
		if r >= utf8.RuneSelf && !isSyllable(r) {
			return false
		}
	}
	return true
}

func isEmotiveJamo(r rune) bool {
	return (r >= 0x3131 && r <= 0x318E) || (r >= 0xFFA0 && r <= 0xFFDC)
}

func isSyllable(r rune) bool { return r >= 0xAC00 && r <= 0xD7A3 }

func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' }

// placeholderEnd returns the index of the ']' closing a redaction
// placeholder that starts at runes[start], or -1.
func placeholderEnd(runes []rune, start int) int {
	for j := start + 1; j < len(runes) && j <= start+24; j++ {
		r := runes[j]
		switch {
		case r == ']':
			if j == start+1 {
				return -1
			}
			return j
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-':
		default:
			return -1
		}
	}
	return -1
}

// koreanMisspellings are frequent chat misspellings and their standard form.
// Replacements run in order on each Hangul word.
var koreanMisspellings = []struct{ from, to string }{
	{"됬", "됐"},
	{"않되", "안되"},
	{"않돼", "안돼"},
	{"안됀", "안된"},
	{"어떻해", "어떡해"},
	{"어떻하", "어떡하"},
	{"몇일", "며칠"},
	{"할께", "할게"},
	{"줄께", "줄게"},
	{"있슴", "있음"},
	{"없슴", "없음"},
	{"결재", "결제"},
	{"로긴", "로그인"},
	{"어플", "앱"},
	{"웬지", "왠지"},
	{"금새", "금세"},
	{"뵈요", "봬요"},
	{"돼", "되"},
	{"됐", "되"},
}

// misspellingStarts marks, per Hangul syllable, the first syllable of some
// misspelling, so most words skip the replacement table with one look-up.
var misspellingStarts = func() *[syllableCount]bool {
	var m [syllableCount]bool
	for _, s := range koreanMisspellings {
		r, _ := utf8.DecodeRuneInString(s.from)
		m[r-hangulBase] = true
	}
	return &m
}()

func startsMisspelling(r rune) bool { return isSyllable(r) && misspellingStarts[r-hangulBase] }

// koreanEndings are sentence endings stripped from the end of a Hangul word,
// longest first, so that polite, formal and plain forms coincide.
var koreanEndings = []string{
	"습니까", "습니다", "ㅂ니다", "ㅂ니까", "니까", "니다", "세요", "이에요", "에요", "예요", "어요", "아요", "여요", "나요", "요", "이야", "니", "냐", "어", "아",
}

// koreanYoNouns end in 요 as part of the noun, not as an ending.
var koreanYoNouns = map[string]bool{"필요": true, "중요": true, "수요": true, "요요": true, "주요": true}

// koreanParticles are case and topic particles stripped from nouns, longest
// first. "만" and "도" carry meaning ("only", "also") and are kept.
var koreanParticles = []struct {
	text  string
	after int
}{
	{"에서는", anyFinal}, {"에서", anyFinal}, {"으로", withFinal}, {"에게", anyFinal}, {"한테", anyFinal},
	{"까지", anyFinal}, {"부터", anyFinal}, {"이랑", withFinal}, {"랑", withoutFinal},
	{"은", withFinal}, {"는", withoutFinal}, {"이", withFinal}, {"가", withoutFinal},
	{"을", withFinal}, {"를", withoutFinal}, {"에", anyFinal}, {"의", anyFinal},
	{"로", anyFinal}, {"와", withoutFinal}, {"과", withFinal},
}

// Which nouns a particle follows.
const (
	anyFinal = iota
	withFinal
	withoutFinal
)

// contractionOf folds a contracted syllable to its stem
// (해 = 하+여, 줘 = 주+어, 봐 = 보+아; 돼 is a misspelling entry above).
func contractionOf(r rune) (rune, bool) {
	switch r {
	case '해', '했':
		return '하', true
	case '줘', '줬':
		return '주', true
	case '봐', '봤':
		return '보', true
	case '왔':
		return '오', true
	case '졌', '져':
		return '지', true
	}
	return r, false
}

const (
	hangulBase    = 0xAC00
	syllableCount = 11172
	jongCount     = 28
	jongRieulJae  = 17 // ㅂ as a final consonant
)

// foldKorean folds one Hangul word: misspellings, then a sentence ending, or
// failing that a particle.
func foldKorean(w string) string {
	if strings.ContainsFunc(w, startsMisspelling) {
		for _, m := range koreanMisspellings {
			if strings.Contains(w, m.from) {
				w = strings.ReplaceAll(w, m.from, m.to)
			}
		}
	}
	if stem, ok := stripEnding(w); ok {
		return foldContraction(stem)
	}
	if utf8.RuneCountInString(w) >= 2 {
		for _, p := range koreanParticles {
			if strings.HasSuffix(w, p.text) && len(w) > len(p.text) {
				stem := w[:len(w)-len(p.text)]
				r, _ := utf8.DecodeLastRuneInString(stem)
				// Particles come in pairs chosen by the final consonant of
				// the noun (카드가, 앱이): a 가 after a consonant is part of
				// the word (불가), so it stays.
				if p.after == anyFinal || (p.after == withFinal) == hasFinal(r) {
					return foldContraction(stem)
				}
			}
		}
	}
	return foldContraction(w)
}

// hasFinal reports whether a Hangul syllable ends in a consonant.
func hasFinal(r rune) bool { return isSyllable(r) && (r-hangulBase)%jongCount != 0 }

// stripEnding removes one sentence ending. "ㅂ니다" stands for a final ㅂ
// on the previous syllable (됩니다 = 되+ㅂ니다).
func stripEnding(w string) (string, bool) {
	// Every ending ends in one of these syllables; most words end otherwise.
	switch last, _ := utf8.DecodeLastRuneInString(w); last {
	case '다', '까', '요', '야', '니', '냐', '어', '아':
	default:
		return w, false
	}
	for _, e := range koreanEndings {
		if e == "ㅂ니다" || e == "ㅂ니까" {
			tail := e[len("ㅂ"):]
			if !strings.HasSuffix(w, tail) {
				continue
			}
			stem := w[:len(w)-len(tail)]
			r, size := utf8.DecodeLastRuneInString(stem)
			if isSyllable(r) && (r-hangulBase)%jongCount == jongRieulJae {
				return stem[:len(stem)-size] + string(r-jongRieulJae), true
			}
			continue
		}
		if strings.HasSuffix(w, e) && len(w) > len(e) && !koreanYoNouns[w] {
			return w[:len(w)-len(e)], true
		}
	}
	return w, false
}

// foldContraction folds contracted syllables anywhere in the word, so that
// "환불해 주세요" and "환불 해주세요" meet whatever the spacing.
func foldContraction(w string) string {
	if !strings.ContainsFunc(w, func(r rune) bool { _, ok := contractionOf(r); return ok }) {
		return w
	}
	return strings.Map(func(r rune) rune {
		to, _ := contractionOf(r)
		return to
	}, w)
}

// englishNegations are contractions written without the apostrophe.
var englishNegations = map[string]string{
	"cannot": "can", "cant": "can", "dont": "do", "doesnt": "does", "didnt": "did", "wont": "will",
	"isnt": "is", "arent": "are", "wasnt": "was", "werent": "were", "havent": "have", "hasnt": "has",
	"hadnt": "had", "couldnt": "could", "wouldnt": "would", "shouldnt": "should", "aint": "is",
}

// appendEnglish expands contractions ("won't" = "will not") and stems w.
func appendEnglish(dst []token, w string) []token {
	if i := strings.IndexByte(w, '\''); i >= 0 {
		base, suffix := w[:i], w[i+1:]
		switch {
		case suffix == "t" && strings.HasSuffix(base, "n"):
			switch base {
			case "won":
				base = "will"
			case "can":
			case "shan":
				base = "shall"
			default:
				base = strings.TrimSuffix(base, "n")
			}
			return append(dst, token{text: stem(base)}, token{text: "not"})
		default:
			// 's, 're, 've, 'll, 'd, 'm carry little for clustering.
			w = base
		}
	}
	if base, ok := englishNegations[w]; ok {
		return append(dst, token{text: stem(base)}, token{text: "not"})
	}
	if w == "" {
		return dst
	}
	return append(dst, token{text: stem(w)})
}

// stem is a light suffix stripper: plurals, -ing, -ed, -ly and a final -e,
// enough to make "charged", "charges" and "charging" meet.
func stem(w string) string {
	if len(w) <= 3 || !isASCIILetters(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	for _, suf := range []string{"ing", "ed", "ly"} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 3 && hasVowel(w[:len(w)-len(suf)]) {
			w = w[:len(w)-len(suf)]
			if n := len(w); n >= 2 && w[n-1] == w[n-2] && !strings.ContainsRune("lsz", rune(w[n-1])) {
				w = w[:n-1]
			}
			break
		}
	}
	if n := len(w); n > 4 && w[n-1] == 'e' {
		w = w[:n-1]
	}
	if strings.HasSuffix(w, "i") && len(w) > 3 {
		w = w[:len(w)-1] + "y"
	}
	return w
}

func isASCIILetters(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

func hasVowel(w string) bool { return strings.ContainsAny(w, "aeiouy") }
