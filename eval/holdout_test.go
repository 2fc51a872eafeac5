package eval

import (
	"slices"
	"testing"
)

func TestHoldOut(t *testing.T) {
	kbRows := []Example{{Label: "login", Text: "로그인이 안 돼요"}, {Label: "refund", Text: "When is my refund?"}}
	rows := []Example{
		{Label: "login", Text: "로그인이  안 돼요"},         // spacing differs: the same phrasing
		{Label: "login", Text: "로그인 안돼요"},            // another phrasing
		{Label: "other", Text: "when is my REFUND?"}, // case differs, another label: still a KB example
		{Label: "oos", Text: "날씨 어때요"},
	}
	scored, skipped := HoldOut(kbRows, rows)
	if skipped != 2 || !slices.Equal(scored, []int{1, 3}) {
		t.Fatalf("HoldOut = %v, %d skipped; want [1 3], 2", scored, skipped)
	}
}

func TestSplitRows(t *testing.T) {
	var rows []Example
	for i := range 8 {
		rows = append(rows, Example{Label: "a", Text: string(rune('0' + i))}, Example{Label: "oos", Text: string(rune('a' + i))})
	}
	texts := func(rs []Example) string {
		s := ""
		for _, r := range rs {
			s += r.Text
		}
		return s
	}
	for _, tc := range []struct {
		part, kb, data string
	}{
		{SplitTune, "0246", "1b5f"},
		{SplitHeldOut, "0246", "3d7h"},
	} {
		kbRows, data, err := SplitRows(rows, tc.part, 10)
		if err != nil {
			t.Fatal(err)
		}
		if texts(kbRows) != tc.kb || texts(data) != tc.data {
			t.Errorf("%s: kb %q data %q; want %q %q", tc.part, texts(kbRows), texts(data), tc.kb, tc.data)
		}
		// The KB half, the tune rows and the held-out rows never share a row.
		if _, skipped := HoldOut(kbRows, data); skipped != 0 {
			t.Errorf("%s: %d data rows are KB rows", tc.part, skipped)
		}
	}
	if _, _, err := SplitRows(rows, "half", 1); err == nil {
		t.Error("an unknown part gave no error")
	}
}
