package eval

import (
	"context"
	"reflect"
	"testing"
)

func TestScoreMatches(t *testing.T) {
	for _, tc := range []struct {
		name           string
		truth, answers []string
		want           MatchResult
		precision      float64
		inScope        float64
		oosShare       float64
		oosKnown       bool
	}{
		{"right, wrong, unanswered and oos", []string{"a", "b", "c", "oos", "oos"}, []string{"a", "a", "", "", "b"},
			MatchResult{Name: "m", Rows: 5, Answered: 3, OOS: 2, InScopeHits: 1, OOSUnanswered: 1}, 1.0 / 3, 1.0 / 3, 0.5, true},
		{"no oos rows", []string{"이체", "로그인"}, []string{"이체", "로그인"},
			MatchResult{Name: "m", Rows: 2, Answered: 2, InScopeHits: 2}, 1, 1, 0, false},
		{"nothing answered", []string{"a"}, []string{""},
			MatchResult{Name: "m", Rows: 1}, 0, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ScoreMatches("m", tc.truth, tc.answers)
			if got != tc.want {
				t.Fatalf("ScoreMatches = %+v, want %+v", got, tc.want)
			}
			share, known := got.OOSUnansweredShare()
			if got.Precision() != tc.precision || got.InScopeAccuracy() != tc.inScope || share != tc.oosShare || known != tc.oosKnown {
				t.Errorf("precision %v, in-scope %v, oos unanswered %v (%v); want %v, %v, %v (%v)",
					got.Precision(), got.InScopeAccuracy(), share, known, tc.precision, tc.inScope, tc.oosShare, tc.oosKnown)
			}
		})
	}
}

func TestAnswersAt(t *testing.T) {
	rows := []NearestAnswer{{"a", 0.5}, {"b", 0.29999999999}, {"", 0.9}, {"c", 0.1}}
	if got, want := AnswersAt(rows, 0.3), []string{"a", "b", "", ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("AnswersAt = %q, want %q", got, want)
	}
}

func TestFirstPerLabelAndEntries(t *testing.T) {
	rows := []Example{{"로그인", "로그인이 안 돼요"}, {"oos", "날씨 어때"}, {"이체", "이체가 늦어요"},
		{"로그인", "접속 불가"}, {"로그인", "비밀번호 오류"}, {"이체", "송금 지연"}}
	kept := FirstPerLabel(rows, 2)
	want := []Example{rows[0], rows[2], rows[3], rows[5]}
	if !reflect.DeepEqual(kept, want) {
		t.Fatalf("FirstPerLabel = %v, want %v", kept, want)
	}
	entries := Entries(kept)
	if len(entries) != 2 || entries[0].ID != "로그인" || entries[1].ID != "이체" ||
		!reflect.DeepEqual(entries[0].Examples, []string{"로그인이 안 돼요", "접속 불가"}) {
		t.Errorf("Entries = %+v; want one per label in order of first appearance", entries)
	}
}

// The matcher answers its own examples and leaves what no entry is about
// unanswered; a cancelled context stops it.
func TestMatch(t *testing.T) {
	entries := Entries([]Example{{"login", "로그인이 안 돼요"}, {"login", "I cannot log in"}, {"transfer", "이체가 계속 지연돼요"}})
	got, err := Match(context.Background(), entries, []string{"로그인이 안 돼요", "이체가 계속 지연돼요", "오늘 점심 메뉴 추천해 주세요"}, 0.2, 0.031)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"login", "transfer", ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("Match = %q, want %q", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Match(ctx, entries, []string{"로그인"}, 0.2, 0.031); err == nil {
		t.Error("Match with a cancelled context succeeded")
	}
}

func TestBestInScope(t *testing.T) {
	if _, ok := BestInScope(nil); ok {
		t.Error("BestInScope of nothing is ok")
	}
	points := []MatchPoint{{0.1, MatchResult{InScopeHits: 3}}, {0.2, MatchResult{InScopeHits: 5}}, {0.3, MatchResult{InScopeHits: 5}}}
	if best, ok := BestInScope(points); !ok || best.Threshold != 0.2 {
		t.Errorf("BestInScope = %v, %v; want the first with 5 hits, at 0.2", best, ok)
	}
}
