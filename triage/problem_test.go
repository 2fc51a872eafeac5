package triage

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// groupAll clusters texts and places each cluster, as the ingest worker
// does; incident gives the incident a row was answered from ("" none).
func groupAll(t *testing.T, g *Grouper, texts []string, incident func(string) string) map[string]string {
	t.Helper()
	c := NewClusterer(DefaultOptions())
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	clusterOf := map[string]string{}
	for i, text := range texts {
		a := c.Assign(Item{ID: strconv.Itoa(i), CustomerID: "u" + strconv.Itoa(i), Text: text, At: at})
		clusterOf[text] = a.ClusterID
		g.Observe(a.ClusterID, text, a.Similarity, incident(text))
	}
	problemOf := map[string]string{}
	for text, cl := range clusterOf {
		problemOf[text] = g.ProblemOf(cl)
	}
	return problemOf
}

func none(string) string { return "" }

func distinct(problemOf map[string]string, texts []string) map[string]bool {
	out := map[string]bool{}
	for _, t := range texts {
		out[problemOf[t]] = true
	}
	return out
}

func TestGrouperBilingualIncidentIsOneProblem(t *testing.T) {
	ko := []string{"앱이 안 열려요", "앱 실행이 안 돼요", "앱이 계속 꺼져요 ㅠㅠ", "어플이 먹통이에요"}
	en := []string{"the app won't open", "app keeps crashing", "the app will not start asap"}
	examples := []string{"앱이 안 열려요", "앱 실행이 안 돼요", "the app won't open", "app keeps crashing"}
	// The matcher answers what resembles an example; the rest must follow
	// by topic and the incident's seeded examples.
	answered := map[string]bool{"앱이 안 열려요": true, "the app won't open": true}
	incident := func(text string) string {
		if answered[text] {
			return "inc-app"
		}
		return ""
	}
	g := NewGrouper(DefaultProblemOptions())
	g.Seed("inc-app", examples)
	problemOf := groupAll(t, g, append(append([]string{}, ko...), en...), incident)
	if got := distinct(problemOf, append(ko, en...)); len(got) != 1 {
		t.Fatalf("one outage in ko and en with a bilingual incident: %d problems %v, want 1", len(got), problemOf)
	}
	if got := g.Incident(problemOf[ko[0]]); got != "inc-app" {
		t.Errorf("the problem is anchored to %q, want inc-app", got)
	}

	// Without the incident, the two languages cannot meet lexically.
	plain := NewGrouper(DefaultProblemOptions())
	problemOf = groupAll(t, plain, append(append([]string{}, ko...), en...), none)
	if problemOf[ko[0]] == problemOf[en[0]] {
		t.Fatalf("ko and en met without an incident: %v", problemOf)
	}
}

func TestGrouperFillerDoesNotJoinOutages(t *testing.T) {
	login := []string{"로그인이 안 돼요 빨리 해결해주세요", "로그인 오류 나요 급해요", "안녕하세요 로그인이 안됩니다 확인 부탁드려요", "login fails, fix this asap", "login error please help"}
	payment := []string{"결제가 안 돼요 빨리 해결해주세요", "결제 오류 나요 급해요", "안녕하세요 결제가 안됩니다 확인 부탁드려요", "payment fails, fix this asap", "payment error please help"}
	g := NewGrouper(DefaultProblemOptions())
	problemOf := groupAll(t, g, append(append([]string{}, login...), payment...), none)
	for _, l := range login {
		for _, p := range payment {
			if problemOf[l] == problemOf[p] {
				t.Fatalf("%q and %q share a problem (joined on filler)", l, p)
			}
		}
	}
	if got := distinct(problemOf, login[:3]); len(got) != 1 {
		t.Errorf("Korean login wordings: %d problems, want 1: %v", len(got), problemOf)
	}
	if got := distinct(problemOf, payment[:3]); len(got) != 1 {
		t.Errorf("Korean payment wordings: %d problems, want 1: %v", len(got), problemOf)
	}
}

func TestGrouperSignalsSwitchOff(t *testing.T) {
	texts := []string{"로그인이 안 돼요", "로그인 오류 나요", "로그인 버튼 눌러도 반응이 없어요"}
	opts := DefaultProblemOptions()
	opts.Topics = false
	problemOf := groupAll(t, NewGrouper(opts), texts, none)
	if got := distinct(problemOf, texts); len(got) != len(texts) {
		t.Errorf("topics off: %d problems for %d distinct clusters, want one each", len(got), len(texts))
	}
	opts = DefaultProblemOptions()
	opts.Anchoring = false
	g := NewGrouper(opts)
	problemOf = groupAll(t, g, []string{"앱이 안 열려요", "the app won't open"}, func(string) string { return "inc" })
	if problemOf["앱이 안 열려요"] == problemOf["the app won't open"] {
		t.Error("anchoring off: ko and en still joined through the incident")
	}
}

func TestGrouperMovesAndMergesAreKept(t *testing.T) {
	g := NewGrouper(DefaultProblemOptions())
	g.Observe("c1", "로그인이 안 돼요", 1, "")
	g.Observe("c2", "로그인 오류 나요", 1, "")
	p := g.ProblemOf("c1")
	if g.ProblemOf("c2") != p {
		t.Fatalf("c1 and c2 not grouped: %s %s", p, g.ProblemOf("c2"))
	}
	g.Move("c2", "mine")
	for range 20 {
		g.Observe("c2", "로그인 오류 나요", 1, "")
		g.Observe("c1", "로그인이 안 돼요", 1, "")
	}
	if got := g.ProblemOf("c2"); got != "mine" {
		t.Fatalf("a moved cluster went back to %s", got)
	}
	g.Merge("mine", p)
	if g.ProblemOf("c2") != p {
		t.Fatalf("after merging mine into %s, c2 is in %s", p, g.ProblemOf("c2"))
	}
	// A placement decided elsewhere before the merge lands in the target.
	g.Place("c3", "mine", "로그인 안됨", false)
	if g.ProblemOf("c3") != p {
		t.Fatalf("a placement into a merged problem went to %s, want %s", g.ProblemOf("c3"), p)
	}
}

func TestTitleIsAMemberTextInTheMajorityLanguage(t *testing.T) {
	g := NewGrouper(DefaultProblemOptions())
	g.Seed("inc", []string{"결제가 안 돼요", "payment failed"})
	texts := map[string]string{"c1": "결제가 안 돼요", "c2": "결제 실패라고 떠요", "c3": "payment failed"}
	for _, id := range []string{"c1", "c1", "c2", "c3"} {
		g.Observe(id, texts[id], 0.9, "inc")
	}
	title, ok := g.ProblemTitle(g.ProblemOf("c1"))
	if !ok {
		t.Fatal("no title")
	}
	if title.Lang != "ko" || title.OtherLang != "en" || title.Other != "payment failed" {
		t.Errorf("title %+v, want Korean with the English text beside it", title)
	}
	if title.Text != texts["c1"] && title.Text != texts["c2"] {
		t.Errorf("title %q is not a member text", title.Text)
	}
	long := strings.Repeat("결제 ", 60)
	if got := shorten(long); len([]rune(got)) > titleRunes+1 {
		t.Errorf("shorten left %d letters", len([]rune(got)))
	}
}

// fakeEmbedder gives every cluster of one topic the same vector, as a
// multilingual model would for "앱이 안 열려요" and "the app won't open".
type fakeEmbedder map[string][]float32

func (f fakeEmbedder) ClusterVector(id string) ([]float32, bool) {
	v, ok := f[id]
	return v, ok
}

func TestGrouperEmbeddingsJoinLanguages(t *testing.T) {
	app, pay := []float32{1, 0, 0}, []float32{0, 1, 0}
	emb := fakeEmbedder{"ko-app": app, "en-app": app, "ko-pay": pay}
	opts := DefaultProblemOptions()
	opts.Embedder = emb
	g := NewGrouper(opts)
	g.Observe("ko-app", "앱이 안 열려요", 1, "")
	g.Observe("ko-pay", "결제가 안 돼요", 1, "")
	g.Observe("en-app", "the app won't open", 1, "")
	if g.ProblemOf("en-app") != g.ProblemOf("ko-app") {
		t.Error("with embeddings, the English app cluster did not join the Korean one")
	}
	if g.ProblemOf("ko-pay") == g.ProblemOf("ko-app") {
		t.Error("payment joined the app problem")
	}
	// Without a vector (the embedder is slow or down) nothing changes but
	// quality: the lexical path places the cluster.
	g.Observe("en-late", "the app won't open at all", 1, "")
	if g.ProblemOf("en-late") == "" {
		t.Error("a cluster without an embedding was not placed")
	}
}

// Real models put every sentence near one shared direction, so raw cosines
// of unrelated texts are high; the grouper compares vectors relative to
// their mean, and a shared component must not join unrelated topics.
func TestGrouperEmbeddingsIgnoreTheSharedDirection(t *testing.T) {
	texts := []struct{ id, text string }{
		{"ko-app", "앱이 안 열려요"}, {"en-refund", "when do I get my refund"}, {"ko-delivery", "배송이 안 와요"},
		{"en-address", "how do I change my address"}, {"ko-points", "포인트 적립이 안 됐어요"},
		// Payment and verification codes share a word, not a topic.
		{"ko-pay", "카드 결제가 안 돼요"}, {"ko-otp", "카드 인증번호가 안 와요"},
		{"en-app", "the app won't open"},
	}
	emb := fakeEmbedder{}
	for i, tc := range texts {
		v := make([]float32, len(texts)+1)
		v[0], v[1+i] = 10, 1
		emb[tc.id] = v
	}
	emb["en-app"] = emb["ko-app"]
	if c := cosine32(emb["ko-pay"], emb["ko-otp"]); c < 0.9 {
		t.Fatalf("the fixture's unrelated vectors have a raw cosine of %.2f; want a high one", c)
	}
	opts := DefaultProblemOptions()
	opts.Embedder = emb
	g := NewGrouper(opts)
	for _, tc := range texts {
		g.Observe(tc.id, tc.text, 1, "")
	}
	if g.ProblemOf("en-app") != g.ProblemOf("ko-app") {
		t.Error("the English app cluster did not join the Korean one")
	}
	if g.ProblemOf("ko-pay") == g.ProblemOf("ko-otp") {
		t.Error("payment and verification codes, one shared word and one shared direction apart, are one problem")
	}
	pay := g.problems[g.ProblemOf("ko-pay")]
	if c := g.centeredCosine(emb["ko-otp"], pay); c > 0.2 {
		t.Errorf("verification codes' vector scores %.2f against the payment problem; want near 0 once the shared direction is taken out", c)
	}
	if c := g.centeredCosine(emb["en-app"], g.problems[g.ProblemOf("ko-app")]); c < 0.8 {
		t.Errorf("the English app vector scores %.2f against the app problem; want near 1", c)
	}
}

// A cluster follows the incident that answers most of its members, not the
// last stray match: an impure cluster must not flip an outage's cluster
// into another incident's problem.
func TestGrouperAnchorsByMajority(t *testing.T) {
	g := NewGrouper(DefaultProblemOptions())
	login := g.Seed("login", []string{"로그인이 안 돼요", "can't log in"})
	app := g.Seed("app", []string{"앱이 안 열려요", "app won't open"})
	var got Placement
	for i := range 12 {
		incident := "app"
		if i == 5 {
			incident = "login" // one member the matcher answered otherwise
		}
		got = g.Observe("c1", "앱이 안 열려요 "+strconv.Itoa(i), 0.9, incident)
	}
	if got.ProblemID != app || g.ProblemOf("c1") != app {
		t.Fatalf("cluster in %q, want the app incident's problem %q (login's is %q)", g.ProblemOf("c1"), app, login)
	}
	// A cluster only a few members of which were answered is not anchored.
	for i := range 12 {
		incident := ""
		if i == 0 {
			incident = "login"
		}
		g.Observe("c2", "결제가 안 돼요 "+strconv.Itoa(i), 0.9, incident)
	}
	if g.ProblemOf("c2") == login {
		t.Fatalf("cluster with 1 of 12 members answered from login was anchored to it")
	}
}

// ObserveAssigned reuses the clusterer's topic vector: it must group
// exactly as Observe, which tokenises the text itself.
func TestObserveAssignedGroupsAsObserve(t *testing.T) {
	texts := []string{"로그인이 안 돼요", "로그인 오류 나요 급해요", "로그인안되요", "결제가 안 돼요", "결제 오류 나요",
		"login is not working", "can't log in asap", "payment failed", "앱이 안 열려요", "앱 실행이 안 돼요"}
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	var got [2][]string
	for k := range 2 {
		c := NewClusterer(DefaultOptions())
		n := 0
		g := NewGrouper(ProblemOptions{Threshold: DefaultProblemThreshold, Topics: true, Anchoring: true,
			NewID: func() string { n++; return "p" + strconv.Itoa(n) }})
		for i := range 3 * len(texts) {
			text := texts[i%len(texts)]
			a := c.Assign(Item{ID: strconv.Itoa(i), CustomerID: "u" + strconv.Itoa(i), Text: text, At: at})
			var p Placement
			if k == 0 {
				p = g.Observe(a.ClusterID, text, a.Similarity, "")
			} else {
				p = g.ObserveAssigned(a, text, "")
			}
			got[k] = append(got[k], p.ProblemID)
		}
	}
	if strings.Join(got[0], ",") != strings.Join(got[1], ",") {
		t.Fatalf("Observe placed %v, ObserveAssigned %v", got[0], got[1])
	}
	if n := len(idSet(got[0])); n < 2 {
		t.Fatalf("all texts in %d problem(s): the comparison says nothing", n)
	}
}

func idSet(ids []string) map[string]bool {
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

func TestTitleOf(t *testing.T) {
	long := "결제 화면에서 카드 번호를 입력하고 확인을 누르면 계속 오류가 나면서 처음 화면으로 돌아가고 다시 해도 똑같아요 어떻게 해야 하나요 빨리 알려 주세요 기다리고 있어요"
	tests := []struct {
		text, want, lang string
	}{
		{"로그인이 안 돼요", "로그인이 안 돼요", "ko"},
		{"  the app   won't open ", "the app won't open", "en"},
		{"app이 안 열려요", "app이 안 열려요", "ko"},
		{long, "", "ko"},
	}
	for _, tc := range tests {
		got := TitleOf(tc.text)
		if got.Lang != tc.lang {
			t.Errorf("TitleOf(%q).Lang = %q, want %q", tc.text, got.Lang, tc.lang)
		}
		if tc.want != "" && got.Text != tc.want {
			t.Errorf("TitleOf(%q) = %q, want %q", tc.text, got.Text, tc.want)
		}
		if tc.want == "" {
			// Cut at a word boundary, marked, and a prefix of the text.
			cut := strings.TrimSuffix(got.Text, "…")
			if n := len([]rune(got.Text)); n > titleRunes+1 || cut == got.Text || !strings.HasPrefix(long, cut) || strings.HasSuffix(cut, " ") {
				t.Errorf("TitleOf(long) = %q (%d letters), want a prefix cut at a word boundary, marked", got.Text, n)
			}
		}
	}
}
