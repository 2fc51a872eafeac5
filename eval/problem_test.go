package eval

import (
	"context"
	"strings"
	"testing"
)

func TestItemsPerProblem(t *testing.T) {
	// login: 60 rows over problems a and b; pay: 50 rows in c and a few in
	// a; tail: 3 rows (too few to count as a big problem).
	var truth, pred []string
	add := func(label, problem string, n int) {
		for range n {
			truth, pred = append(truth, label), append(pred, problem)
		}
	}
	add("login", "a", 40)
	add("login", "b", 20)
	add("pay", "c", 45)
	add("pay", "a", 5)
	add("tail", "d", 3)
	scored := make([]int, len(truth))
	for i := range scored {
		scored[i] = i
	}
	got := ItemsPerProblem(truth, pred, scored)
	if got.Labels != 2 || got.Mean != 2 || got.Max != 2 || got.Problems != 4 {
		t.Errorf("got %+v, want 2 big labels, mean 2, max 2, 4 problems", got)
	}
	// Majorities: a 40 of 45, b 20, c 45, d 3 → 108 of 113.
	if want := 108.0 / 113; got.Purity < want-1e-9 || got.Purity > want+1e-9 {
		t.Errorf("purity %v, want %v", got.Purity, want)
	}
}

func TestKBExampleRowsAreNotScored(t *testing.T) {
	kb := []Example{{Label: "login", Text: "로그인이 안 돼요"}, {Label: "login", Text: "login isn't working"}}
	texts := []string{"로그인이  안 돼요!!", "결제가 안 돼요", "Login isn't working", "login is broken"}
	got := KBExampleRows(texts, kb)
	if len(got) != 2 || !got[0] || !got[2] {
		t.Errorf("KB rows %v, want rows 0 and 2 (the same text after normalising)", got)
	}
}

func TestGroupProblemsAnchorsBothLanguages(t *testing.T) {
	kb := []Example{{Label: "app", Text: "앱이 안 열려요"}, {Label: "app", Text: "the app won't open"}}
	texts := []string{"앱이 안 열려요 ㅠㅠ", "the app won't open!!", "결제가 안 돼요"}
	for _, pf := range []ProblemFlags{{Threshold: 0.5}, {Threshold: 0.5, NoAnchoring: true}} {
		run, err := GroupProblems(context.Background(), texts, 0.26, pf, kb)
		if err != nil {
			t.Fatal(err)
		}
		together := run.Problems[0] == run.Problems[1]
		if together == pf.NoAnchoring {
			t.Errorf("anchoring %v: ko and en together = %v (problems %s)", !pf.NoAnchoring, together, strings.Join(run.Problems, " "))
		}
		if run.Problems[2] == run.Problems[0] {
			t.Errorf("payment joined the app problem: %v", run.Problems)
		}
	}
}
