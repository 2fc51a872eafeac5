package kb

import (
	"regexp"
	"strings"
)

// Contrast is a question that names what it is NOT about before (or after)
// what it is about: "로그인 안되는거 아니에요, 회원가입이 안돼요", "A 말고 B",
// "it's not the login, it's the sign-up", "the sign-up page, not the
// login". Matching the whole text answers the denied topic as readily as
// the asked one, so the matcher answers the asked part alone, and never
// with the denied part's entry.
type Contrast struct {
	Asked  string // what the customer asks about; may be empty
	Denied string // what they say it is not about
}

// Korean contrast markers. Each pattern splits the text at its marker:
// group 1 is the denied part (before), the rest after the match is asked.
//
//   - "A 말고 B" (but not "말고도": "besides A, also B" asks for both).
//   - "A 아니고 B", "A 아니라 B", "A 아니에요/아니예요/아닙니다/아니구요/
//     아니고요/아니요, B" (but not "뿐만 아니라"/"뿐 아니라": "not only").
//   - "A 대신 B".
var koreanContrast = []*regexp.Regexp{
	regexp.MustCompile(`^(.*?)\s*말고(?:요)?(?:[\s,.!~]+|$)`),
	regexp.MustCompile(`^(.*?)\s*(?:이|가)?\s*아니(?:고요|고|구요|구|라|에요|예요|어요|요|ㅂ니다|니다)(?:[\s,.!~]+|$)`),
	regexp.MustCompile(`^(.*?)\s*아닙니다(?:[\s,.!~]+|$)`),
	regexp.MustCompile(`^(.*?)\s*대신(?:에)?\s+`),
}

// English contrast markers.
//   - "not A but B", "not A, B" where the "not" opens the sentence or
//     follows an identity ("it's", "this is", "the problem is"): "login is
//     not working, help" is a plain complaint, not a contrast.
//   - "I don't mean A, (I mean) B"; "instead of A, B"; "rather than A, B".
//   - "B, not A" at the end: B is asked.
const identity = `(?:it|this|that|my (?:issue|problem|question)|the (?:issue|problem|question))`

var (
	englishLeading = []*regexp.Regexp{
		regexp.MustCompile(`(?i)^\s*(?:` + identity + `\s*(?:'s|’s|\s+is|s)\s+not|` + identity + `\s+(?:isn't|isn’t)|not|isn't|isn’t)\s+` +
			`(?:about\s+|with\s+|the\s+|my\s+)*(.+?)(?:\s*[,;]\s*(?:but\s+)?|\s+but\s+)` +
			`(?:(?:it|this|that)(?:'s|’s| is|s)\s+|i\s+mean\s+|rather\s+|instead\s+)?(?:about\s+|with\s+)?`),
		regexp.MustCompile(`(?i)^\s*i\s+(?:don't|don’t|do not)\s+mean\s+(.+?)\s*[,;]\s*(?:i\s+mean\s+)?`),
		regexp.MustCompile(`(?i)^\s*(?:instead of|rather than)\s+(.+?)\s*[,;]\s*`),
	}
	// "not only A but (also) B" asks about both: no contrast.
	notOnly = regexp.MustCompile(`(?i)\bnot\s+only\b|뿐만?\s*아니라|말고도`)
	// "B, not A" / "B and not A" at the end of the text.
	englishTrailing = regexp.MustCompile(`(?i)^(.+?)\s*(?:,|;|\band)\s*not\s+(?:about\s+|the\s+|my\s+)*([^,;.!?]+?)[.!?]*\s*$`)
)

// contrastMarkers are the words every pattern needs: text without any of
// them (most inquiries) skips the regular expressions.
var contrastMarkers = []string{"말고", "아니", "아닙", "대신", "not", "n't", "n’t", "instead", "rather"}

func mayContrast(text string) bool {
	lower := strings.ToLower(text)
	for _, m := range contrastMarkers {
		if strings.Contains(lower, m) {
			return true
		}
	}
	return false
}

// FindContrast reports whether text is a contrast and splits it.
func FindContrast(text string) (Contrast, bool) {
	if !mayContrast(text) || notOnly.MatchString(text) {
		return Contrast{}, false
	}
	for _, re := range koreanContrast {
		if loc := re.FindStringSubmatchIndex(text); loc != nil {
			denied := strings.TrimSpace(text[loc[2]:loc[3]])
			asked := strings.TrimSpace(text[loc[1]:])
			if denied == "" && asked == "" {
				continue
			}
			return Contrast{Asked: trimJoin(asked), Denied: trimJoin(denied)}, true
		}
	}
	for _, re := range englishLeading {
		if loc := re.FindStringSubmatchIndex(text); loc != nil {
			denied := strings.TrimSpace(text[loc[2]:loc[3]])
			asked := strings.TrimSpace(text[loc[1]:])
			if denied == "" || asked == "" {
				continue
			}
			return Contrast{Asked: trimJoin(asked), Denied: trimJoin(denied)}, true
		}
	}
	if m := englishTrailing.FindStringSubmatch(text); m != nil && isTopic(m[2]) {
		return Contrast{Asked: trimJoin(m[1]), Denied: trimJoin(m[2])}, true
	}
	return Contrast{}, false
}

// trimJoin trims the punctuation a split leaves at either end.
func trimJoin(s string) string { return strings.Trim(s, " \t,.;:!?~") }

// notTopics open a trailing "not …" that is a complaint, not a denied
// topic: "I can't log in, not sure why", "…, not working".
var notTopics = map[string]bool{"sure": true, "yet": true, "able": true, "possible": true, "really": true,
	"at": true, "anymore": true, "even": true, "again": true, "much": true, "ok": true, "okay": true,
	"happy": true, "so": true, "too": true, "very": true, "just": true, "always": true, "now": true,
	"today": true, "fixed": true, "done": true, "good": true, "great": true, "helpful": true, "a": true,
	"one": true, "once": true, "for": true, "to": true, "in": true, "on": true}

// isTopic reports whether the words after a trailing "not" name a topic:
// a few words, not an adverb or a verb form ("working", "received").
func isTopic(s string) bool {
	words := strings.Fields(strings.ToLower(s))
	if len(words) == 0 || len(words) > 4 {
		return false
	}
	w := words[0]
	return !notTopics[w] && !strings.HasSuffix(w, "ing") && !strings.HasSuffix(w, "ed")
}
