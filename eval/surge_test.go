package eval

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
)

func TestGenerateSurge(t *testing.T) {
	tests := []struct {
		name string
		rows int
		seed int64
	}{
		{name: "empty", rows: 0, seed: 1},
		{name: "one row", rows: 1, seed: 7},
		{name: "two thousand rows", rows: 2000, seed: 42},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := GenerateSurge(&out, tc.rows, tc.seed); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if lines[0] != "label\ttext" {
				t.Fatalf("header = %q, want %q", lines[0], "label\ttext")
			}
			rows := lines[1:]
			if len(rows) != tc.rows {
				t.Fatalf("got %d rows, want %d", len(rows), tc.rows)
			}
			for i, line := range rows {
				label, text, _ := strings.Cut(line, "\t")
				if strings.Count(line, "\t") != 1 || label == "" || strings.TrimSpace(text) == "" {
					t.Fatalf("row %d %q is not label<TAB>text", i+1, line)
				}
			}
			examples, err := ReadExamples(&out)
			if tc.rows > 0 && (err != nil || len(examples) != tc.rows) {
				t.Fatalf("ReadExamples = %d rows, %v; want %d rows", len(examples), err, tc.rows)
			}
		})
	}
}

func TestGenerateSurgeDeterministic(t *testing.T) {
	generate := func(seed int64) string {
		var out bytes.Buffer
		if err := GenerateSurge(&out, 500, seed); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if generate(3) != generate(3) {
		t.Error("the same seed gave different output")
	}
	if generate(3) == generate(4) {
		t.Error("different seeds gave the same output")
	}
}

func TestGenerateSurgeMix(t *testing.T) {
	var out bytes.Buffer
	if err := GenerateSurge(&out, 5000, 1); err != nil {
		t.Fatal(err)
	}
	examples, err := ReadExamples(&out)
	if err != nil {
		t.Fatal(err)
	}
	surge := map[string]bool{}
	for _, in := range surgeIntents {
		surge[in.label] = true
	}
	var korean, english, inSurge int
	tailLabels := map[string]bool{}
	for _, ex := range examples {
		if strings.ContainsFunc(ex.Text, func(r rune) bool { return unicode.Is(unicode.Hangul, r) }) {
			korean++
		} else {
			english++
		}
		if surge[ex.Label] {
			inSurge++
		} else {
			tailLabels[ex.Label] = true
		}
	}
	n := len(examples)
	// Loose bounds: the mix is random, these only catch a broken generator.
	if korean < n/2 || english < n/10 {
		t.Errorf("%d Korean and %d English rows of %d, want mostly Korean with some English", korean, english, n)
	}
	if share := float64(inSurge) / float64(n); share < 0.7 || share > 0.9 {
		t.Errorf("surge share %.2f, want about 0.8", share)
	}
	if len(tailLabels) < 50 {
		t.Errorf("%d distinct tail labels, want a long tail (>= 50)", len(tailLabels))
	}
}

func TestParticle(t *testing.T) {
	tests := []struct {
		name, word, want string
	}{
		{name: "closing consonant", word: "등록", want: "등록은"},
		{name: "open syllable", word: "주차", want: "주차는"},
		{name: "not Hangul", word: "OTP", want: "OTP는"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := particle(tc.word, "은", "는"); got != tc.want {
				t.Errorf("particle(%q) = %q, want %q", tc.word, got, tc.want)
			}
		})
	}
}
