package triage

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind names a type of secret.
type Kind string

// The kinds of secret Redact removes.
const (
	KindRRN         Kind = "rrn"         // Korean resident / foreigner registration number
	KindCard        Kind = "card"        // payment card number (Luhn-valid)
	KindAccount     Kind = "account"     // Korean bank account number
	KindPhone       Kind = "phone"       // Korean phone number, domestic or +82
	KindEmail       Kind = "email"       // e-mail address
	KindPassword    Kind = "password"    // value after a password keyword
	KindPIN         Kind = "pin"         // value after a PIN / CVC keyword
	KindOTP         Kind = "otp"         // value after a one-time / verification code keyword
	KindCredentials Kind = "credentials" // login id and password given together
)

// placeholder is what a secret of kind k becomes. Placeholders stay typed so
// that clustering still sees the shape of the message, follow the language
// of the text (Korean when it holds any Hangul), and contain no digit and no
// '@', so a second Redact leaves them alone.
//
//	rrn [주민번호]/[RRN]  card [카드번호]/[CARD]  account [계좌번호]/[ACCOUNT]
//	phone [전화번호]/[PHONE]  email [이메일]/[EMAIL]  password [비밀번호]/[PASSWORD]
//	pin [PIN]/[PIN]  otp [인증번호]/[OTP]  credentials [계정정보]/[CREDENTIALS]
func (k Kind) placeholder(korean bool) string {
	if korean {
		switch k {
		case KindRRN:
			return "[주민번호]"
		case KindCard:
			return "[카드번호]"
		case KindAccount:
			return "[계좌번호]"
		case KindPhone:
			return "[전화번호]"
		case KindEmail:
			return "[이메일]"
		case KindPassword:
			return "[비밀번호]"
		case KindOTP:
			return "[인증번호]"
		case KindCredentials:
			return "[계정정보]"
		}
	}
	switch k {
	case KindRRN:
		return "[RRN]"
	case KindCard:
		return "[CARD]"
	case KindAccount:
		return "[ACCOUNT]"
	case KindPhone:
		return "[PHONE]"
	case KindEmail:
		return "[EMAIL]"
	case KindPassword:
		return "[PASSWORD]"
	case KindPIN:
		return "[PIN]"
	case KindOTP:
		return "[OTP]"
	}
	return "[CREDENTIALS]"
}

// Redact returns text with every secret replaced by a typed placeholder, and
// the kinds found (each kind once, in order of first appearance; nil if none).
//
// Keyword-introduced secrets (password, PIN, OTP, credentials) keep their
// keyword so the sentence still reads; only the value is replaced. Numbers
// are judged by shape, check digits and nearby context words, because
// outage inquiries are full of order numbers, amounts and dates that must
// survive. Redact is idempotent.
func Redact(text string) (string, []Kind) {
	if !mayHaveSecret(text) {
		return text, nil
	}
	folded, offs := fold(text)
	s := scan{orig: text, low: lowerASCII(folded), offs: offs}
	s.findKeywords()
	s.credentials()
	s.keywordSecrets()
	s.emails()
	s.separated()
	s.numbers()
	s.longRuns()
	if len(s.spans) == 0 {
		return text, nil
	}
	return s.render()
}

// mayHaveSecret is the hot-path filter: every secret contains a digit or an
// '@', except passwords, whose keywords are checked here. It allocates
// nothing. Full-width forms send the text down the slow path because they
// may hide digits or keywords.
func mayHaveSecret(text string) bool {
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c >= '0' && c <= '9', c == '@':
			return true
		case c == 0xEF && i+1 < len(text) && (text[i+1] == 0xBC || text[i+1] == 0xBD):
			return true
		case c == 'p' || c == 'P':
			rest := text[i+1:]
			if len(rest) > 0 && (rest[0]|0x20 == 'w' || rest[0] == '/') || hasPrefixFold(rest, "ass") {
				return true
			}
		case c >= 0xEB && c <= 0xED: // lead byte of 비, 패, 암
			rest := text[i:]
			if strings.HasPrefix(rest, "비번") || strings.HasPrefix(rest, "비밀번호") || strings.HasPrefix(rest, "비밀 번호") ||
				strings.HasPrefix(rest, "패스워드") || strings.HasPrefix(rest, "패스 워드") || strings.HasPrefix(rest, "암호") {
				return true
			}
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with the lower-case ASCII prefix,
// ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if s[i]|0x20 != prefix[i] {
			return false
		}
	}
	return true
}

// span is a secret found in the folded text, [start, end) in its bytes.
type span struct {
	start, end int
	kind       Kind
}

// scan holds one text while it is being searched. Matching runs on low, the
// text with full-width forms folded to ASCII and ASCII lower-cased, so that
// "０１０－１２３４" and "PassWord" match like "010-1234" and "password";
// offs maps low's byte offsets back to the original so the output keeps
// every unredacted byte as the customer wrote it.
type scan struct {
	orig     string
	low      string
	offs     []int // nil when low's offsets equal orig's
	spans    []span
	keywords []keywordMatch // in text order
}

// fold replaces full-width ASCII forms, the ideographic space and dash
// look-alikes by their ASCII form. It returns text itself when there is
// nothing to fold.
func fold(text string) (string, []int) {
	need := false
	for i := 0; i < len(text); i++ {
		if c := text[i]; c == 0xEF || c == 0xE2 || c == 0xE3 {
			need = true
			break
		}
	}
	if !need {
		return text, nil
	}
	var b strings.Builder
	b.Grow(len(text))
	offs := make([]int, 0, len(text)+1)
	for i := 0; i < len(text); {
		r, w := utf8.DecodeRuneInString(text[i:])
		if a, ok := foldRune(r); ok && w > 1 {
			b.WriteByte(a)
			offs = append(offs, i)
		} else {
			b.WriteString(text[i : i+w])
			for k := 0; k < w; k++ {
				offs = append(offs, i+k)
			}
		}
		i += w
	}
	offs = append(offs, len(text))
	return b.String(), offs
}

func foldRune(r rune) (byte, bool) {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		return byte(r - 0xFEE0), true
	case r == 0x3000: // ideographic space
		return ' ', true
	case r >= 0x2010 && r <= 0x2015, r == 0x2212, r == 0xFE58, r == 0xFE63: // dashes and minus
		return '-', true
	}
	return 0, false
}

// lowerASCII lower-cases ASCII letters only, so byte offsets do not move.
func lowerASCII(s string) string {
	i := 0
	for i < len(s) && !(s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if b[i] >= 'A' && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

func (s *scan) origOffset(i int) int {
	if s.offs == nil {
		return i
	}
	return s.offs[i]
}

func (s *scan) overlaps(start, end int) bool {
	for _, sp := range s.spans {
		if start < sp.end && sp.start < end {
			return true
		}
	}
	return false
}

func (s *scan) add(start, end int, k Kind) {
	s.spans = append(s.spans, span{start, end, k})
}

// nextSpan returns the start of the first span at or after i, or the end of
// the text.
func (s *scan) nextSpan(i int) int {
	limit := len(s.low)
	for _, sp := range s.spans {
		if sp.start >= i && sp.start < limit {
			limit = sp.start
		}
	}
	return limit
}

// joined reports whether [start, end) is part of a longer run of digit
// groups joined by '-' or '.', which the number scanner takes as one.
func (s *scan) joined(start, end int) bool {
	a, b := s.unitAround(start, end)
	return a != start || b != end
}

// unitAround widens [start, end) to the whole run of digit groups joined by
// '-' or '.' around it. A redaction always covers such a run whole, because
// a remainder would be judged differently on a second Redact.
func (s *scan) unitAround(start, end int) (int, int) {
	t := s.low
	for start >= 2 && (t[start-1] == '-' || t[start-1] == '.') && isDigit(t[start-2]) && isDigit(t[start]) {
		start--
		for start > 0 && isDigit(t[start-1]) {
			start--
		}
	}
	for end+1 < len(t) && end > 0 && isDigit(t[end-1]) && (t[end] == '-' || t[end] == '.') && isDigit(t[end+1]) {
		end++
		for end < len(t) && isDigit(t[end]) {
			end++
		}
	}
	return start, end
}

// endsSpan reports whether a redacted span ends at i; the text after it is
// then judged as if it began there, as it will be in a second Redact (where
// it follows a ']').
func (s *scan) endsSpan(i int) bool {
	for _, sp := range s.spans {
		if sp.end == i {
			return true
		}
	}
	return false
}

func (s *scan) render() (string, []Kind) {
	sort.Slice(s.spans, func(i, j int) bool { return s.spans[i].start < s.spans[j].start })
	korean := hasHangul(s.orig)
	var b strings.Builder
	b.Grow(len(s.orig))
	var kinds []Kind
	prev := 0
	for _, sp := range s.spans {
		b.WriteString(s.orig[prev:s.origOffset(sp.start)])
		b.WriteString(sp.kind.placeholder(korean))
		prev = s.origOffset(sp.end)
		seen := false
		for _, k := range kinds {
			seen = seen || k == sp.kind
		}
		if !seen {
			kinds = append(kinds, sp.kind)
		}
	}
	b.WriteString(s.orig[prev:])
	return b.String(), kinds
}

func hasHangul(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0xE1 { // Hangul jamo and syllables start at U+1100
			continue
		}
		r, _ := utf8.DecodeRuneInString(s[i:])
		if isHangul(r) {
			return true
		}
	}
	return false
}

func isHangul(r rune) bool {
	return r >= 0xAC00 && r <= 0xD7A3 || r >= 0x3131 && r <= 0x318E || r >= 0x1100 && r <= 0x11FF
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }

// --- keyword-introduced secrets ---------------------------------------------

// Keywords, lower-case, by the kind of value that follows them. Where one
// contains another ("간편비밀번호" is a PIN, "비밀번호" a password) the
// longer, earlier match wins and the inner one finds its value taken.
var (
	otpWords = []string{"인증번호", "인증 번호", "인증코드", "인증 코드", "보안코드", "보안 코드", "확인코드",
		"otp", "verification code", "security code", "auth code", "authentication code",
		"one-time code", "one time code", "sms code", "2fa code", "login code"}
	pinWords      = []string{"간편비밀번호", "간편 비밀번호", "간편비번", "핀번호", "핀 번호", "핀코드", "pin", "passcode", "cvc", "cvv"}
	passwordWords = []string{"비밀번호", "비밀 번호", "비번", "패스워드", "패스 워드", "암호", "password", "pass word", "passwd", "pwd", "pw", "p/w"}
	idWords       = []string{"아이디", "userid", "username", "user id", "user", "uid", "usr", "login", "id", "계정"}
	// pairWords introduce the password only after a login id ("user kim
	// pass abc123"): on its own "pass" is an everyday word.
	pairWords = []string{"pass"}
)

// shortCode reports keywords whose value may be three digits (card
// verification codes).
func shortCode(word string) bool {
	switch word {
	case "cvc", "cvv", "보안코드", "보안 코드", "security code":
		return true
	}
	return false
}

// particles may follow a Korean keyword directly ("비번은", "인증번호가",
// "비밀번호로", "비번이요"), or stand apart ("비밀번호 는"); longest first,
// so that "이요" is not taken for "이".
var particles = func() []string {
	p := []string{"은", "는", "이", "가", "을", "를", "도", "요", "로", "으로", "이요", "는요", "은요", "가요",
		"이에요", "에요", "예요", "입니다", "이고", "인데", "인데요", "임", "이랑", "랑", "하고"}
	sort.SliceStable(p, func(i, j int) bool { return len(p[i]) > len(p[j]) })
	return p
}()

// isParticle reports whether w is exactly a particle.
func isParticle(w string) bool {
	for _, p := range particles {
		if w == p {
			return true
		}
	}
	return false
}

// keywordAt reports whether the match of word at i is a keyword and not part
// of a longer word ("pin" in "spin", "암호" in "암호화폐") or of a
// placeholder ("[PIN]").
func (s *scan) keywordAt(i int, word string) bool {
	t := s.low
	if i > 0 && t[i-1] == '[' {
		return false
	}
	end := i + len(word)
	if word[0] < utf8.RuneSelf {
		if i > 0 && isLetter(t[i-1]) {
			return false
		}
		return end >= len(t) || !isAlnum(t[end])
	}
	r, _ := utf8.DecodeRuneInString(t[end:])
	if !isHangul(r) {
		return true
	}
	for _, p := range particles {
		if strings.HasPrefix(t[end:], p) {
			r, _ = utf8.DecodeRuneInString(t[end+len(p):])
			return !isHangul(r)
		}
	}
	return false
}

// fillers are words people put between a keyword and its value.
var fillers = map[string]bool{"번호": true, "코드": true, "number": true, "no": true, "no.": true, "num": true,
	"code": true, "is": true, "was": true, "#": true, "id": true, "name": true, "값": true, "->": true}

// lead skips from the end of a keyword to its value: an attached particle,
// ':' or '=', filler words and particles standing apart ("비밀번호 는").
// explicit reports a ':' or '=' (the writer is plainly giving a value);
// digits reports length hints, whole or partial ("4자리", "앞 2자리",
// "앞두자리", "first 2 digits"), after which a value may be as short as
// two digits (a card PIN's first two).
func (s *scan) lead(i int, korean bool) (pos int, explicit, digits bool) {
	t := s.low
	if korean {
		for _, p := range particles {
			if strings.HasPrefix(t[i:], p) {
				i += len(p)
				break
			}
		}
	}
	first := false // "first" seen: "2 digits" may follow
	for n := 0; n < 8 && i < len(t); n++ {
		for i < len(t) && (t[i] == ' ' || t[i] == '\t') {
			i++
		}
		if i < len(t) && (t[i] == ':' || t[i] == '=') {
			explicit = true
			i++
			continue
		}
		j := i
		for j < len(t) && t[j] != ' ' && t[j] != '\t' && t[j] != ':' && t[j] != '=' && t[j] != '\n' {
			j++
		}
		w := t[i:j]
		if isParticle(w) {
			i = j
			continue
		}
		for _, p := range particles {
			if len(w) > len(p) && strings.HasSuffix(w, p) {
				w = w[:len(w)-len(p)]
				break
			}
		}
		if w == "" {
			break
		}
		if fillers[w] {
			i = j
			continue
		}
		if lengthHint(w) {
			digits = true
			i = j
			continue
		}
		if w == "first" {
			first = true
			i = j
			continue
		}
		if first && (len(w) == 1 && isDigit(w[0]) || w == "two" || w == "three" || w == "four") && j+1 < len(t) &&
			(strings.HasPrefix(t[j+1:], "digits") || strings.HasPrefix(t[j+1:], "digit")) {
			i = j
			continue
		}
		break
	}
	return i, explicit, digits
}

// lengthHint reports a word that gives a value's length, whole or in part:
// "4자리", "앞", "앞자리", "앞2자리", "앞두자리", "두", "자리", "digits".
func lengthHint(w string) bool {
	switch w {
	case "digits", "digit", "앞", "자리", "두", "세", "네":
		return true
	}
	w = strings.TrimPrefix(w, "앞")
	for _, n := range []string{"두", "세", "네"} {
		w = strings.TrimPrefix(w, n)
	}
	if k := digitRun(w, 0); k <= 2 && (w[k:] == "자리" || w[k:] == "-digit") {
		return true
	}
	return false
}

// digitRun returns the length of the ASCII digit run at t[i:].
func digitRun(t string, i int) int {
	j := i
	for j < len(t) && isDigit(t[j]) {
		j++
	}
	return j - i
}

// counters are units that make a number a count, amount or time ("5회",
// "12000원", "2024년"), never a secret.
var counters = []string{"원", "명", "개", "건", "회", "년", "월", "일", "시", "분", "초", "만", "억", "천", "배", "위", "점", "자리", "달러", "%"}

func (s *scan) counterAt(i int) bool {
	for _, c := range counters {
		if strings.HasPrefix(s.low[i:], c) {
			return true
		}
	}
	return false
}

// code returns the end of the numeric value at i, between min and max
// digits, as "123456" or "123 456"; it rejects counts ("5분", "3번") and
// digits that run into letters.
func (s *scan) code(i, min, max int) int {
	t := s.low
	n := digitRun(t, i)
	end := i + n
	if n == 3 && max >= 6 && end+4 <= len(t) && digitRun(t, end+1) == 3 &&
		(t[end] == ' ' && !s.joined(end+1, end+4) || t[end] == '-' && !s.joined(i, end+4)) {
		n, end = 6, end+4
	}
	if n < min || n > max || s.joined(i, end) {
		return -1
	}
	if end < len(t) && (isLetter(t[end]) || t[end] == '_' || s.counterAt(end) || strings.HasPrefix(t[end:], "번") || strings.HasPrefix(t[end:], "차")) {
		return -1
	}
	return end
}

// keywordMatch is one keyword found in the text; kind is what its value
// is (KindCredentials for a login id keyword).
type keywordMatch struct {
	start int
	word  string
	kind  Kind
}

// keywordIndex lists the keywords by first byte, longest first, so one pass
// over the text finds them all in text order ("간편비밀번호" before the
// "비밀번호" inside it). One pass is several times faster than a
// strings.Index per keyword.
var keywordIndex = func() (idx [256][]keywordMatch) {
	for _, l := range []struct {
		words []string
		kind  Kind
	}{{otpWords, KindOTP}, {pinWords, KindPIN}, {passwordWords, KindPassword}, {idWords, KindCredentials}} {
		for _, w := range l.words {
			idx[w[0]] = append(idx[w[0]], keywordMatch{word: w, kind: l.kind})
		}
	}
	for _, b := range idx {
		sort.SliceStable(b, func(i, j int) bool { return len(b[i].word) > len(b[j].word) })
	}
	return idx
}()

func (s *scan) findKeywords() {
	t := s.low
	for i := 0; i < len(t); i++ {
		for _, k := range keywordIndex[t[i]] {
			if strings.HasPrefix(t[i:], k.word) && s.keywordAt(i, k.word) {
				k.start = i
				s.keywords = append(s.keywords, k)
			}
		}
	}
}

// keywordSecrets finds OTP, PIN and password values after their keywords.
// Matches are taken left to right, whatever their kind, so that a value
// that swallows a later keyword ("pw=abc password:x") is decided the same
// way on a second Redact, where the later part is already a placeholder.
func (s *scan) keywordSecrets() {
	for _, m := range s.keywords {
		at := m.start + len(m.word)
		if m.kind == KindCredentials || s.overlaps(m.start, at) {
			continue // an id keyword, or inside an earlier value
		}
		korean := m.word[0] >= utf8.RuneSelf
		start, end, kind := 0, -1, m.kind
		switch m.kind {
		case KindPassword:
			start, end, kind = s.password(at, korean)
		default:
			min, max := 4, 8
			if shortCode(m.word) {
				min, max = 3, 8
				if m.kind == KindPIN {
					max = 4
				}
			}
			var hint bool
			start, _, hint = s.lead(at, korean)
			if hint && m.kind == KindPIN {
				min = 2
			}
			end = s.code(start, min, max)
		}
		if kind != "" && end > start && !s.overlaps(start, end) {
			s.add(start, end, kind)
		}
	}
}

// password returns the value after a password keyword ending at at. A
// digits-only value after a length hint ("비밀번호 4자리 1234") is a PIN.
func (s *scan) password(at int, korean bool) (int, int, Kind) {
	v, explicit, hint := s.lead(at, korean)
	end := s.token(v)
	if end < 0 {
		return 0, 0, ""
	}
	if n := digitRun(s.low, v); hint && n == end-v && n >= 2 && n <= 6 && !(end < len(s.low) && s.counterAt(end)) {
		return v, end, KindPIN // "비밀번호 앞 2자리 12": all or part of a PIN
	}
	if !looksSecret(s.low[v:end], explicit, korean) {
		return 0, 0, ""
	}
	if n := digitRun(s.low, v); n == end-v {
		if end < len(s.low) && s.counterAt(end) {
			return 0, 0, ""
		}
		if hint {
			return v, end, KindPIN
		}
	}
	return v, end, KindPassword
}

// token returns the end of the ASCII word at i, or -1. Passwords are typed
// on an ASCII keyboard layout, so the value stops at a space or at Hangul
// ("abcd1234로" keeps "로"); closing punctuation at its end is left out. It
// also stops at '[' and at a redacted span, so it never swallows a
// placeholder.
func (s *scan) token(i int) int {
	t := s.low
	if i >= len(t) || strings.IndexByte("[](){}<>\"',.;", t[i]) >= 0 {
		return -1
	}
	limit := s.nextSpan(i)
	j := i
	for j < limit && t[j] > ' ' && t[j] < 0x7F && t[j] != '[' {
		j++
	}
	for j > i && strings.IndexByte(".,;?)]}>\"'([{<", t[j-1]) >= 0 {
		j--
	}
	if j == i {
		return -1
	}
	return j
}

// stopwords follow password and id keywords in ordinary sentences
// ("password reset", "login failed"); they are never taken as values.
var stopwords = map[string]bool{
	"reset": true, "error": true, "change": true, "changed": true, "incorrect": true, "wrong": true,
	"expired": true, "required": true, "invalid": true, "again": true, "please": true, "login": true,
	"email": true, "mail": true, "link": true, "otp": true, "pin": true, "sms": true, "app": true,
	"page": true, "manager": true, "policy": true, "field": true, "not": true, "is": true, "was": true,
	"the": true, "and": true, "for": true, "with": true, "does": true, "doesn't": true, "didn't": true,
	"isn't": true, "won't": true, "can't": true, "cannot": true, "forgot": true, "lost": true,
	"missing": true, "problem": true, "issue": true, "screen": true, "button": true, "check": true,
	"same": true, "recovery": true, "update": true, "updated": true, "settings": true, "failed": true,
	"fail": true, "fails": true, "attempt": true, "account": true, "name": true, "id": true,
	"reset.": true, "locked": true, "works": true, "work": true, "field.": true, "my": true,
}

// looksSecret decides whether a word after a password keyword is the
// password. Letters-only words are taken only when plainly given (after ':'
// or '=') or after a Korean keyword, where an ASCII word can hardly be
// anything else; otherwise "password reset" would lose a word.
func looksSecret(v string, explicit, korean bool) bool {
	if len(v) < 3 || stopwords[v] {
		return false
	}
	mixed := false
	for i := 0; i < len(v); i++ {
		if !isLetter(v[i]) {
			mixed = true
			break
		}
	}
	switch {
	case explicit:
		return true
	case mixed, korean:
		return len(v) >= 4
	}
	return false
}

// credentials finds a login id followed closely by a password keyword and
// value ("아이디 hong123 비번 pass1234", "id: kim / pw: abc123"); both values
// become credentials.
func (s *scan) credentials() {
	t := s.low
	for _, m := range s.keywords {
		if m.kind != KindCredentials {
			continue
		}
		v, _, _ := s.lead(m.start+len(m.word), m.word[0] >= utf8.RuneSelf)
		end := v
		for end < len(t) && (isAlnum(t[end]) || strings.IndexByte("._@+-", t[end]) >= 0) {
			end++
		}
		for end > v && (t[end-1] == '.' || t[end-1] == '-') {
			end--
		}
		if end-v < 2 || stopwords[t[v:end]] || s.overlaps(v, end) {
			continue
		}
		at, korean := s.passwordKeywordAfter(end)
		if at < 0 {
			continue
		}
		ps, pe, k := s.password(at, korean)
		if k == "" || s.overlaps(ps, pe) {
			continue
		}
		s.add(v, end, KindCredentials)
		s.add(ps, pe, KindCredentials)
	}
}

// passwordKeywordAfter returns the end of a password keyword that follows i
// after only separators ("/", ",", "and", "그리고"), or -1.
func (s *scan) passwordKeywordAfter(i int) (int, bool) {
	t := s.low
	limit := i + 24
	for i < len(t) && i < limit {
		switch {
		case strings.IndexByte(" \t,/|;&()", t[i]) >= 0:
			i++
			continue
		case strings.HasPrefix(t[i:], "and "):
			i += 3
			continue
		case strings.HasPrefix(t[i:], "그리고"), strings.HasPrefix(t[i:], "이고"), strings.HasPrefix(t[i:], "및"):
			for i < len(t) && t[i] >= utf8.RuneSelf {
				i++
			}
			continue
		}
		break
	}
	for _, words := range [][]string{passwordWords, pairWords} {
		for _, w := range words {
			if strings.HasPrefix(t[i:], w) && s.keywordAt(i, w) {
				return i + len(w), w[0] >= utf8.RuneSelf
			}
		}
	}
	return -1, false
}

// --- e-mail ----------------------------------------------------------------

// emails finds e-mail addresses, internationalised ones included
// ("홍길동@예시.한국", "josé@bücher.de"): letters of any script in the
// local part and the domain. Hangul glued before an ASCII local part is a
// Korean word, not part of the address ("메일은kim@…" keeps "메일은"), and
// Hangul glued after an ASCII top-level domain is a particle.
func (s *scan) emails() {
	t := s.low
	for from := 0; ; {
		k := strings.IndexByte(t[from:], '@')
		if k < 0 {
			return
		}
		at := from + k
		from = at + 1
		l := at
		ascii := false
		for l > 0 && !s.endsSpan(l) {
			if c := t[l-1]; c < utf8.RuneSelf {
				if !isAlnum(c) && strings.IndexByte("._%+-", c) < 0 {
					break
				}
				ascii = true
				l--
				continue
			}
			r, w := utf8.DecodeLastRuneInString(t[:l])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) || ascii && isHangul(r) {
				break
			}
			l -= w
		}
		j := at + 1
		for limit := s.nextSpan(j); j < limit; {
			if c := t[j]; c < utf8.RuneSelf {
				if !isAlnum(c) && c != '-' && c != '.' {
					break
				}
				j++
				continue
			}
			r, w := utf8.DecodeRuneInString(t[j:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			j += w
		}
		dot := strings.LastIndexByte(t[at+1:j], '.')
		for dot >= 0 { // the top-level domain is letters; cut what follows it
			tld := at + 1 + dot + 1
			if e := tldEnd(t, tld, j); e > 0 {
				j = e
				break
			}
			dot = strings.LastIndexByte(t[at+1:at+1+dot], '.')
		}
		if l == at || dot < 0 || s.overlaps(l, j) {
			continue
		}
		s.add(l, j, KindEmail)
	}
}

// tldEnd returns the end of a top-level domain starting at i (before
// limit): two or more ASCII letters, or letters of another script
// ("한국", "ελ"); or -1.
func tldEnd(t string, i, limit int) int {
	e := i
	for e < limit && isLetter(t[e]) {
		e++
	}
	if e-i >= 2 {
		return e
	}
	if e > i || i >= limit || t[i] < utf8.RuneSelf {
		return -1
	}
	for e < limit {
		r, w := utf8.DecodeRuneInString(t[e:])
		if r < utf8.RuneSelf || !unicode.IsLetter(r) {
			break
		}
		e += w
	}
	if e == i {
		return -1
	}
	return e
}

// --- numbers ---------------------------------------------------------------

// group is a run of digits; sep is the byte before it that joined it to the
// previous group ('-', '.' or ' '), 0 for the first. Commas never join:
// thousands groups are too short to be anything, and a comma may separate
// two phone numbers.
type group struct {
	start, end int
	sep        byte
}

// maxGroups bounds the groups of one candidate; no identifier has more.
const maxGroups = 12

// numbers finds phone, RRN, card and account numbers. Digits joined by
// single '-', '.' or ' ' form groups; a candidate is a hyphen- or
// dot-joined unit, or several space-joined single groups ("010 1234 5678"),
// tried longest first.
func (s *scan) numbers() {
	t := s.low
	var buf [maxGroups]group
	for i := 0; i < len(t); {
		if !isDigit(t[i]) {
			i++
			continue
		}
		gs := buf[:0]
		var sep byte
		for {
			e := i + digitRun(t, i)
			gs = append(gs, group{i, e, sep})
			i = e
			if e+1 >= len(t) || !isDigit(t[e+1]) || strings.IndexByte("-. ", t[e]) < 0 {
				break
			}
			sep = t[e]
			i = e + 1
		}
		s.candidates(gs)
	}
}

// unit is gs[a:b], groups joined without spaces.
type unit struct{ a, b int }

func (s *scan) candidates(gs []group) {
	var ubuf [maxGroups]unit
	us := ubuf[:0]
	a := 0
	for k := 1; k <= len(gs); k++ {
		if k == len(gs) || gs[k].sep == ' ' {
			us = append(us, unit{a, k})
			a = k
		}
	}
	for i := 0; i < len(us); {
		if end := s.international(gs[us[i].a:]); end > 0 {
			for i < len(us) && gs[us[i].a].start < end {
				i++
			}
			continue
		}
		matched := false
		// No identifier spans more than five space-separated parts
		// (card 4-4-4-4-3), which keeps long runs of numbers linear.
		for j := min(len(us)-1, i+4); j >= i && !matched; j-- {
			if j > i && !singles(us[i:j+1]) {
				continue
			}
			c := gs[us[i].a:us[j].b]
			if s.overlaps(c[0].start, c[len(c)-1].end) {
				continue
			}
			if k := s.classify(c); k != "" {
				s.add(c[0].start, c[len(c)-1].end, k)
				i = j + 1
				matched = true
			}
		}
		if !matched {
			i++
		}
	}
}

func singles(us []unit) bool {
	for _, u := range us {
		if u.b-u.a != 1 {
			return false
		}
	}
	return true
}

// international redacts a +82 number ("+82 10-1234-5678", "+82-2-123-4567",
// "+821012345678") however it is grouped: the country code makes it a
// phone number.
func (s *scan) international(gs []group) int {
	t := s.low
	start := gs[0].start
	if start == 0 || t[start-1] != '+' || !strings.HasPrefix(t[start:], "82") {
		return -1
	}
	var buf [24]byte
	for n := min(len(gs), 5); n >= 1; n-- {
		d := buf[:0]
		ok := true
		for _, g := range gs[:n] {
			d = append(d, t[g.start:g.end]...)
			if len(d) > 16 {
				ok = false
				break
			}
		}
		if !ok || len(d) < 4 {
			continue
		}
		national := append([]byte{'0'}, d[2:]...)
		if d[2] == '0' {
			national = national[1:]
		}
		_, end := s.unitAround(gs[n-1].start, gs[n-1].end)
		if phoneDigits(national) && !s.codeLike(start, end) && !s.overlaps(start-1, end) {
			s.add(start-1, end, KindPhone)
			return end
		}
	}
	return -1
}

// codeLike reports numbers glued to letters, error and product codes
// (E1234, v2.3.1, SKU-0101234567), and numbers followed by a unit, which
// are counts and amounts (12000원, 5회).
func (s *scan) codeLike(start, end int) bool {
	t := s.low
	if start > 0 && !s.endsSpan(start) {
		c := t[start-1]
		if isLetter(c) || c == '_' || c == '-' && start > 1 && isLetter(t[start-2]) && !s.endsSpan(start-1) {
			return true
		}
	}
	if end < len(t) {
		if c := t[end]; isLetter(c) || c == '_' || s.counterAt(end) {
			return true
		}
	}
	return false
}

// classify decides what the candidate groups are, or "".
func (s *scan) classify(gs []group) Kind {
	t := s.low
	start, end := gs[0].start, gs[len(gs)-1].end
	if len(gs) > maxGroups {
		return ""
	}
	var sep byte
	var lens [maxGroups]int
	var buf [24]byte
	d := buf[:0]
	for k, g := range gs {
		if k > 0 {
			if sep != 0 && g.sep != sep {
				return "" // mixed separators: not an identifier
			}
			sep = g.sep
		}
		lens[k] = g.end - g.start
		if len(d)+lens[k] > len(buf) {
			return ""
		}
		d = append(d, t[g.start:g.end]...)
	}
	shape := lens[:len(gs)]
	if s.codeLike(start, end) {
		return ""
	}
	if len(shape) == 1 && barcode(d) && s.context(start, end) != cueRRN {
		return ""
	}
	if len(d) == 7 && len(shape) == 1 && d[0] >= '1' && d[0] <= '8' && s.context(start, end) == cueRRN {
		// The back half of an RRN given on its own ("뒷자리 1234568"); the
		// front half is a birth date.
		return KindRRN
	}
	if len(d) < 9 {
		return ""
	}
	if sep == '.' {
		// Dots join versions, dates and IP addresses; only a mobile number
		// written 010.1234.5678 is taken.
		if len(shape) == 3 && d[1] == '1' && phoneDigits(d) && shape[0] == 3 && shape[2] == 4 {
			return KindPhone
		}
		return ""
	}
	// Check digits decide first: a valid RRN or Luhn-valid card number is
	// redacted whatever the context says.
	if len(d) == 13 && (len(shape) == 1 || len(shape) == 2 && shape[0] == 6) {
		if ok, dated := rrnValid(d); ok || dated && s.context(start, end) == cueRRN {
			return KindRRN
		}
	}
	if len(d) >= 13 && len(d) <= 19 && cardShape(shape) && luhn(d) {
		return KindCard
	}
	// A 0-prefixed number grouped like a phone number is one; accounts and
	// tracking numbers are not grouped that way.
	if p := phonePrefix(d); p > 0 && len(shape) == 3 && shape[0] == p && shape[1] >= 3 && shape[1] <= 4 && shape[2] == 4 {
		return KindPhone
	}
	if len(shape) == 1 && d[1] == '1' && phoneDigits(d) {
		// Unseparated mobile numbers are distinctive (01x and 10–11
		// digits); no order or account number looks like one.
		return KindPhone
	}
	ctx := s.context(start, end)
	switch ctx {
	case cueOther, cueCard:
		// Order, tracking, reservation and card words: the number is that
		// (a tracking number 6012-3456-7890 is shaped like a Toss account).
		return ""
	case cueAccount:
		if len(d) >= 10 && len(d) <= 14 {
			return KindAccount
		}
		return ""
	}
	if len(shape) == 1 && phoneDigits(d) && ctx == cuePhone {
		// Unseparated landline numbers only next to a phone word.
		return KindPhone
	}
	if sep == '-' && accountShape(shape) {
		return KindAccount
	}
	return ""
}

// phonePrefix returns the length of a Korean mobile or area prefix at the
// start of d, or 0.
func phonePrefix(d []byte) int {
	if len(d) < 3 || d[0] != '0' {
		return 0
	}
	switch c := d[2]; d[1] {
	case '1':
		if strings.IndexByte("016789", c) >= 0 {
			return 3
		}
	case '2':
		return 2
	case '3':
		if c >= '1' && c <= '3' {
			return 3
		}
	case '4', '6':
		if c >= '1' && c <= '4' {
			return 3
		}
	case '5':
		if c >= '1' && c <= '5' {
			return 3
		}
	case '7', '8':
		if c == '0' {
			return 3
		}
	}
	return 0
}

// phoneDigits reports a plausible Korean phone number: a prefix then a 3–4
// digit exchange and a 4-digit line.
func phoneDigits(d []byte) bool {
	p := phonePrefix(d)
	if p == 0 {
		return false
	}
	rest := len(d) - p
	return rest == 7 || rest == 8
}

// cardShape: one run, groups of four (the last may be shorter), or the
// 4-6-5 / 4-6-4 grouping of Amex and Diners.
func cardShape(shape []int) bool {
	if len(shape) == 1 {
		return true
	}
	if len(shape) == 3 && shape[0] == 4 && shape[1] == 6 && (shape[2] == 5 || shape[2] == 4) {
		return true
	}
	for _, n := range shape[:len(shape)-1] {
		if n != 4 {
			return false
		}
	}
	return len(shape) >= 4 && shape[len(shape)-1] >= 1 && shape[len(shape)-1] <= 4
}

// accountShapes are the hyphenations Korean banks print (신한 110-123-456789,
// 우리 1002-123-456789, 카카오뱅크 3333-01-1234567, 국민 123456-01-123456,
// 농협 301-1234-5678-91, 기업 123-123456-01-012, 하나 123-456789-12345, ...).
// None is the shape of a date, a phone number, a business registration
// number (3-2-5) or a 4-4-4 tracking number, so they are redacted without a
// context word.
var accountShapes = [][]int{
	{3, 3, 6}, {3, 2, 6}, {4, 3, 6}, {3, 6, 5}, {3, 4, 4, 2}, {3, 6, 2, 3},
	{4, 2, 7}, {6, 2, 6}, {3, 2, 6, 1}, {3, 2, 4, 3}, {6, 2, 5}, {4, 4, 4, 2},
}

func accountShape(shape []int) bool {
	for _, a := range accountShapes {
		if len(a) != len(shape) {
			continue
		}
		eq := true
		for k := range a {
			eq = eq && a[k] == shape[k]
		}
		if eq {
			return true
		}
	}
	return false
}

// rrnValid checks a 13-digit resident (gender digit 1–4) or foreigner (5–8)
// registration number: ok when date and check digit are right, dated when
// only the date and gender digit are (numbers issued since October 2020 have
// no check digit, so those count only beside a 주민번호-style word).
func rrnValid(d []byte) (ok, dated bool) {
	mm := int(d[2]-'0')*10 + int(d[3]-'0')
	dd := int(d[4]-'0')*10 + int(d[5]-'0')
	g := d[6]
	if mm < 1 || mm > 12 || dd < 1 || dd > 31 || g < '1' || g > '8' {
		return false, false
	}
	weights := [12]int{2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5}
	sum := 0
	for k, w := range weights {
		sum += int(d[k]-'0') * w
	}
	check := (11 - sum%11) % 10
	if g >= '5' {
		check = (13 - sum%11) % 10
	}
	return int(d[12]-'0') == check, true
}

func luhn[T string | []byte](d T) bool {
	sum := 0
	for k := len(d) - 1; k >= 0; k-- {
		v := int(d[k] - '0')
		if (len(d)-1-k)%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

// longRuns is the last line of defence for cards: any run of 13 or more
// digits still unredacted that passes Luhn is treated as a card number,
// even glued to letters or beside an order word, because keeping a real
// card number costs more than hiding an order number.
func (s *scan) longRuns() {
	t := s.low
	for i := 0; i < len(t); {
		n := digitRun(t, i)
		if n == 0 {
			i++
			continue
		}
		if n >= 13 && !s.overlaps(i, i+n) && luhn(t[i:i+n]) && !barcode(t[i:i+n]) {
			if a, b := s.unitAround(i, i+n); !s.overlaps(a, b) {
				s.add(a, b, KindCard)
			} else {
				s.add(i, i+n, KindCard)
			}
		}
		i += n
	}
}

// separated finds card and registration numbers written with any
// separator between their groups: '-', '.', '/', '_' or a space, alone or
// with a space either side ("4111.1111.1111.1111", "900101/1234568",
// "5500 - 0000 - 0000 - 0004"), mixed or not. Only numbers that carry check
// digits are taken this way (a Luhn-valid card in card groups, a valid
// registration number in 6+7), so the wider separators cannot take dates,
// versions or addresses. It runs before numbers, which would otherwise take
// the back half of "900101/1234568" on its own.
func (s *scan) separated() {
	t := s.low
	var buf [maxGroups]group
	for i := 0; i < len(t); {
		if !isDigit(t[i]) || i > 0 && isDigit(t[i-1]) {
			i++
			continue
		}
		gs := buf[:0]
		for len(gs) < maxGroups {
			e := i + digitRun(t, i)
			gs = append(gs, group{i, e, 0})
			next := separatorAfter(t, e)
			if next < 0 {
				i = e
				break
			}
			i = next
		}
		if len(gs) < 2 {
			continue
		}
		for a := 0; a < len(gs)-1; {
			matched := false
			for b := min(len(gs), a+6); b >= a+2 && !matched; b-- {
				if k := s.checkDigits(gs[a:b]); k != "" {
					s.add(gs[a].start, gs[b-1].end, k)
					a, matched = b, true
				}
			}
			if !matched {
				a++
			}
		}
	}
}

// separatorAfter returns where the next digit group starts when a
// separator follows the group ending at e, or -1.
func separatorAfter(t string, e int) int {
	sep := func(c byte) bool { return c == '-' || c == '.' || c == '/' || c == '_' }
	switch {
	case e+1 < len(t) && (sep(t[e]) || t[e] == ' ') && isDigit(t[e+1]):
		return e + 1
	case e+3 < len(t) && t[e] == ' ' && sep(t[e+1]) && t[e+2] == ' ' && isDigit(t[e+3]):
		return e + 3
	}
	return -1
}

// checkDigits classifies groups whose digits carry a check: a card
// number (13–19 digits, Luhn, card grouping) or a registration number
// (6+7, valid, or dated beside a registration word). It returns "" for
// anything else, and for a run that is part of a longer '-'/'.' unit or
// glued to letters.
func (s *scan) checkDigits(gs []group) Kind {
	t := s.low
	start, end := gs[0].start, gs[len(gs)-1].end
	var lens [maxGroups]int
	var buf [24]byte
	d := buf[:0]
	for k, g := range gs {
		lens[k] = g.end - g.start
		if len(d)+lens[k] > len(buf) {
			return ""
		}
		d = append(d, t[g.start:g.end]...)
	}
	shape := lens[:len(gs)]
	rrnShape := len(shape) == 2 && shape[0] == 6 && shape[1] == 7
	// The shape first: it rules out nearly every run of numbers cheaply.
	if !rrnShape && !(len(d) >= 13 && len(d) <= 19 && cardShape(shape)) {
		return ""
	}
	// Part of a longer '-' or '.' unit (what joined reports, in constant
	// time: a long dotted run would otherwise be walked once per window).
	joined := start >= 2 && (t[start-1] == '-' || t[start-1] == '.') && isDigit(t[start-2]) ||
		end+1 < len(t) && (t[end] == '-' || t[end] == '.') && isDigit(t[end+1])
	if joined || s.overlaps(start, end) || s.codeLike(start, end) {
		return ""
	}
	if rrnShape {
		if ok, dated := rrnValid(d); ok || dated && s.context(start, end) == cueRRN {
			return KindRRN
		}
	}
	if len(d) >= 13 && len(d) <= 19 && cardShape(shape) && luhn(d) {
		return KindCard
	}
	return ""
}

// barcode reports a Korean product barcode: 13 digits with the GS1 Korea
// prefix 880 and a valid EAN-13 check digit. Written unseparated and with
// no registration word beside it, it is neither a registration number
// (which it may pass by chance) nor a card (no 13-digit card starts 88).
func barcode[T string | []byte](d T) bool {
	if len(d) != 13 || d[0] != '8' || d[1] != '8' || d[2] != '0' {
		return false
	}
	sum := 0
	for k := 0; k < 12; k++ {
		v := int(d[k] - '0')
		if k%2 == 1 {
			v *= 3
		}
		sum += v
	}
	return (10-sum%10)%10 == int(d[12]-'0')
}

// --- context ---------------------------------------------------------------

type cue uint8

const (
	cueNone    cue = iota
	cueAccount     // bank account words and bank names
	cuePhone       // phone words
	cueRRN         // registration number words
	cueCard        // card words: the number is a card's, redacted only if Luhn-valid
	cueOther       // order, tracking, reservation, error ... numbers that are not secrets
)

type contextWord struct {
	word  string
	cue   cue
	whole bool // ASCII word that must also end at a word boundary
}

// contextWords, lower-case. Bare 우리/하나/기업 are left out: they are
// everyday words ("우리 아이", "하나 더"); "은행" catches 우리은행.
var contextWords = []contextWord{
	{"계좌", cueAccount, false}, {"통장", cueAccount, false}, {"입금", cueAccount, false},
	{"송금", cueAccount, false}, {"이체", cueAccount, false}, {"예금주", cueAccount, false},
	{"은행", cueAccount, false}, {"뱅크", cueAccount, false}, {"신한", cueAccount, false},
	{"국민", cueAccount, false}, {"농협", cueAccount, false}, {"카뱅", cueAccount, false},
	{"새마을", cueAccount, false}, {"우체국", cueAccount, false}, {"수협", cueAccount, false},
	{"account", cueAccount, false}, {"acct", cueAccount, false}, {"bank", cueAccount, false},
	{"kb", cueAccount, true}, {"nh", cueAccount, true}, {"ibk", cueAccount, true},
	{"전화", cuePhone, false}, {"연락", cuePhone, false}, {"휴대폰", cuePhone, false},
	{"핸드폰", cuePhone, false}, {"폰번호", cuePhone, false}, {"phone", cuePhone, false},
	{"tel", cuePhone, true}, {"mobile", cuePhone, false}, {"call", cuePhone, false}, {"contact", cuePhone, false},
	{"주민번호", cueRRN, false}, {"주민등록", cueRRN, false}, {"주민 번호", cueRRN, false}, {"뒷자리", cueRRN, false},
	{"외국인등록", cueRRN, false}, {"외국인 등록", cueRRN, false},
	{"resident", cueRRN, false}, {"rrn", cueRRN, true},
	{"카드", cueCard, false}, {"card", cueCard, false}, {"visa", cueCard, false}, {"master", cueCard, false},
	{"주문", cueOther, false}, {"운송장", cueOther, false}, {"송장", cueOther, false}, {"택배", cueOther, false},
	{"배송", cueOther, false}, {"예약", cueOther, false}, {"접수", cueOther, false}, {"문의번호", cueOther, false},
	{"사업자", cueOther, false}, {"승인", cueOther, false}, {"거래번호", cueOther, false}, {"영수증", cueOther, false},
	{"모델", cueOther, false}, {"시리얼", cueOther, false}, {"쿠폰", cueOther, false}, {"상품", cueOther, false},
	{"회원번호", cueOther, false}, {"고객번호", cueOther, false}, {"오류", cueOther, false}, {"에러", cueOther, false},
	{"코드", cueOther, false}, {"tracking", cueOther, false}, {"order", cueOther, false}, {"reservation", cueOther, false},
	{"booking", cueOther, false}, {"ticket", cueOther, false}, {"case", cueOther, true}, {"invoice", cueOther, false},
	{"transaction", cueOther, false}, {"serial", cueOther, false}, {"model", cueOther, false}, {"coupon", cueOther, false},
	{"ref", cueOther, true}, {"reference", cueOther, false}, {"error", cueOther, false}, {"code", cueOther, true},
	{"member", cueOther, false}, {"customer", cueOther, false}, {"shipment", cueOther, false}, {"parcel", cueOther, false},
}

// contextIndex lists contextWords by first byte, longest first.
var contextIndex = func() (idx [256][]contextWord) {
	for _, w := range contextWords {
		idx[w.word[0]] = append(idx[w.word[0]], w)
	}
	for _, b := range idx {
		sort.SliceStable(b, func(i, j int) bool { return len(b[i].word) > len(b[j].word) })
	}
	return idx
}()

// context returns the cue of the context word nearest before the number
// (or, failing that, just after it). The look stops at other digits, at
// brackets and at redacted spans, so a placeholder written by an earlier
// Redact ("[계좌번호]") never lends its word, and a second Redact sees
// exactly the context the first did.
func (s *scan) context(start, end int) cue {
	t := s.low
	lo := start
	for lo > 0 && start-lo < 48 && !s.contextStop(lo-1) {
		lo--
	}
	for p := start - 1; p >= lo; p-- {
		if c := s.contextAt(p, start); c != cueNone {
			return c
		}
	}
	hi := end
	for hi < len(t) && hi-end < 24 && !s.contextStop(hi) {
		hi++
	}
	for p := end; p < hi; p++ {
		if c := s.contextAt(p, hi); c != cueNone {
			return c
		}
	}
	return cueNone
}

// contextAt returns the cue of a context word at p that ends by limit.
func (s *scan) contextAt(p, limit int) cue {
	t := s.low
	for _, w := range contextIndex[t[p]] {
		if p+len(w.word) <= limit && strings.HasPrefix(t[p:], w.word) && s.contextWordAt(p, w) {
			return w.cue
		}
	}
	return cueNone
}

func (s *scan) contextStop(i int) bool {
	c := s.low[i]
	if isDigit(c) || c == '[' || c == ']' || c == '\n' {
		return true
	}
	for _, sp := range s.spans {
		if i >= sp.start && i < sp.end {
			return true
		}
	}
	return false
}

func (s *scan) contextWordAt(i int, w contextWord) bool {
	t := s.low
	if w.word[0] >= utf8.RuneSelf {
		return true
	}
	if i > 0 && isLetter(t[i-1]) {
		return false
	}
	e := i + len(w.word)
	return !w.whole || e >= len(t) || !isLetter(t[e])
}
