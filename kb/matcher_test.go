package kb

import (
	"strings"
	"sync"
	"testing"
)

// testEntries is a small outage knowledge base in both languages.
var testEntries = []Entry{
	{ID: "login", IncidentID: "inc-1", Examples: []string{
		"로그인이 안 돼요", "앱 로그인이 안됩니다", "로그인 오류가 나요",
		"I can't log in", "login is not working", "the app won't let me log in",
	}},
	{ID: "refund", Examples: []string{
		"환불은 언제 되나요", "환불이 아직 안 들어왔어요", "환불 처리 기간이 궁금해요",
		"when will I get my refund", "my refund has not arrived yet", "how long does a refund take",
	}},
	{ID: "voucher", IncidentID: "inc-2", Examples: []string{
		"상품권 사용이 안 돼요", "모바일 상품권 결제가 안 됩니다", "상품권 잔액 확인하고 싶어요",
		"voucher payment fails", "I want to check my voucher balance", "cannot use my gift voucher",
	}, Keywords: []string{"상품권", "voucher"}},
	{ID: "lights-on", Examples: []string{"불 켜줘", "거실 불 좀 켜 주세요", "turn on the lights"}},
}

func newTestMatcher(t *testing.T, entries []Entry) *Matcher {
	t.Helper()
	m, err := NewMatcher(entries, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMatch(t *testing.T) {
	m := newTestMatcher(t, testEntries)
	for _, tc := range []struct {
		name string
		text string
		want string // "" means no answer
	}{
		{"korean paraphrase", "로그인이 안되요ㅠㅠ", "login"},
		{"korean spacing and ending", "앱 로그인 안돼요ㅠ", "login"},
		{"english paraphrase", "i cant log in to the app", "login"},
		{"english refund", "when do i get the refund", "refund"},
		{"korean refund", "환불 언제 들어와요?", "refund"},
		{"korean voucher", "상품권 결제가 안돼요", "voucher"},
		{"english voucher balance", "check voucher balance", "voucher"},
		{"redacted text", "[카드번호] 상품권 결제 안 돼요", "voucher"},
		{"keyword", "상품권", "voucher"},
		{"unrelated korean", "오늘 날씨 어때요", ""},
		{"unrelated english", "what is the capital of france", ""},
		{"empty", "", ""},
		{"punctuation only", "?!?!", ""},
		{"negated near miss korean", "불 켜지 마", ""},
		{"negated near miss english", "do not turn on the lights", ""},
		{"request matches", "불 좀 켜줘", "lights-on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := m.Match(tc.text)
			if tc.want == "" {
				if ok {
					t.Fatalf("Match(%q) = %+v, want no answer", tc.text, got)
				}
				return
			}
			if !ok || got.EntryID != tc.want {
				t.Fatalf("Match(%q) = %+v, %v; want %q", tc.text, got, ok, tc.want)
			}
			if got.Confidence < DefaultThreshold || got.Confidence > 1 || got.Example == "" {
				t.Errorf("Match(%q) = %+v: confidence out of range or no example", tc.text, got)
			}
		})
	}
}

func TestMatchRefusesTies(t *testing.T) {
	examples := []string{"앱 접속이 안 돼요", "the app will not open"}
	m := newTestMatcher(t, []Entry{{ID: "a", Examples: examples}, {ID: "b", Examples: examples}})
	for _, text := range []string{"앱 접속이 안 돼요", "the app will not open"} {
		t.Run(text, func(t *testing.T) {
			if got, ok := m.Match(text); ok {
				t.Fatalf("Match(%q) = %+v, want no answer between two equal entries", text, got)
			}
		})
	}
}

func TestMatchThresholdAndMargin(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		text string
		want bool
	}{
		// Confidence blends two examples, so even a repeat stays below 1.
		{"example at the strictest threshold", Options{Threshold: 1}, "로그인 오류가 나요", false},
		{"example at the default threshold", DefaultOptions(), "로그인 오류가 나요", true},
		{"paraphrase with no threshold", Options{}, "로그인 에러가 나요 ㅠ", true},
		{"paraphrase with the largest margin", Options{Margin: 1}, "로그인 에러가 나요 ㅠ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewMatcher(testEntries, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := m.Match(tc.text)
			if ok != tc.want || (ok && got.EntryID != "login") {
				t.Fatalf("Match(%q) = %+v, %v; want answered %v with login", tc.text, got, ok, tc.want)
			}
		})
	}
}

func TestNewMatcherErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []Entry
		opts    Options
		want    string
	}{
		{"no entries", nil, DefaultOptions(), "no entries"},
		{"no examples", []Entry{{ID: "a"}}, DefaultOptions(), `entry "a" has no examples`},
		{"blank examples", []Entry{{ID: "a", Examples: []string{" ", ""}}}, DefaultOptions(), `entry "a" has no examples`},
		{"examples without words", []Entry{{ID: "a", Examples: []string{"?!", "ㅠㅠ"}}}, DefaultOptions(), `entry "a" has no example with a word`},
		{"no id", []Entry{{Examples: []string{"x"}}}, DefaultOptions(), "entry 0 has no id"},
		{"duplicate id", []Entry{{ID: "a", Examples: []string{"x"}}, {ID: "a", Examples: []string{"y"}}}, DefaultOptions(), `duplicate entry id "a"`},
		{"threshold above 1", testEntries, Options{Threshold: 1.5}, "threshold"},
		{"negative margin", testEntries, Options{Threshold: 0.5, Margin: -0.1}, "margin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewMatcher(tc.entries, tc.opts)
			if err == nil {
				t.Fatalf("NewMatcher = %v, want an error", m)
			}
			if !strings.HasPrefix(err.Error(), "kb: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want kb: … %s", err, tc.want)
			}
		})
	}
}

// TestMatchConcurrent is meant for -race: Match must not write shared
// state.
func TestMatchConcurrent(t *testing.T) {
	m := newTestMatcher(t, testEntries)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if got, ok := m.Match("환불 언제 되나요"); !ok || got.EntryID != "refund" {
					errs <- got.EntryID
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent Match answered %q, want refund", e)
	}
}
