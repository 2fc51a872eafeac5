package triage

import (
	"slices"
	"testing"
)

func TestSegmenter(t *testing.T) {
	s := newSegmenter()
	learn := func(text string, times int) {
		for range times {
			tokenizeWith(text, nil, s)
		}
	}
	learn("I cannot login since yesterday", 3)
	learn("my gift card isn't working", 3)
	learn("notifications are off", 3)
	learn("is the app down", 1) // seen once: not a word to split into yet
	tests := []struct {
		run  string
		want []string // nil: left whole
	}{
		{"cannotloginsinceyesterday", []string{"cannot", "login", "since", "yesterday"}},
		{"mygiftcardisn'tworking", []string{"my", "gift", "card", "isn't", "working"}},
		{"notifications", nil},       // a word seen on its own is not split
		{"istheappdownnow", nil},     // pieces not seen often enough
		{"cannotlogin", nil},         // too short to be a sentence
		{"loginxyzqwertysince", nil}, // no split into known words
		{"since9amcannotlogin", []string{"since", "9", "am", "cannot", "login"}},
	}
	learn("am", 3)
	for _, tc := range tests {
		got, ok := s.word(tc.run)
		if tc.want == nil {
			if ok {
				t.Errorf("%q split into %q, want it whole", tc.run, got)
			}
			continue
		}
		if !ok || !slices.Equal(got, tc.want) {
			t.Errorf("%q = %q (%v), want %q", tc.run, got, ok, tc.want)
		}
	}
	var none *segmenter
	if _, ok := none.word("cannotloginsinceyesterday"); ok {
		t.Error("a nil segmenter split a run")
	}
}

// A hurried inquiry without spaces joins the cluster of its spaced twins
// once the traffic has used its words.
func TestClustererSplitsRunsTypedWithoutSpaces(t *testing.T) {
	c := NewClusterer(DefaultOptions())
	var spaced string
	for i, text := range []string{"cannot login since yesterday", "I cannot login since yesterday", "cannot login since yesterday please",
		"cannot login since yesterday thanks", "the gift card is not working", "my gift card is not working"} {
		a := c.Assign(Item{ID: string(rune('a' + i)), CustomerID: string(rune('a' + i)), Text: text})
		if i == 0 {
			spaced = a.ClusterID
		}
	}
	if got := c.Assign(Item{ID: "z", CustomerID: "z", Text: "Cannotloginsinceyesterday!!"}); got.ClusterID != spaced {
		t.Errorf("the run typed without spaces went to cluster %s (new %v), want the spaced one %s", got.ClusterID, got.New, spaced)
	}
}
