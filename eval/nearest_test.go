package eval

import (
	"math"
	"testing"
)

func TestNearest(t *testing.T) {
	n := NewNearest([]Example{
		{Label: "refund", Text: "when will I get my refund"},
		{Label: "login", Text: "I can not log in"},
		{Label: "login", Text: "로그인이 안 돼요"},
	})
	for _, tc := range []struct {
		name      string
		text      string
		want      string
		minCosine float64
		maxCosine float64
	}{
		{"exact example", "I can not log in", "login", 0.999, 1.001},
		{"case and spacing fold", "  i CAN NOT   log in ", "login", 0.999, 1.001},
		{"paraphrase", "refund when", "refund", 0.2, 0.999},
		{"korean paraphrase", "로그인 안 돼요", "login", 0.2, 0.999},
		{"nothing shared", "ÿþ", "", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			label, cos := n.Nearest(tc.text)
			if label != tc.want || cos < tc.minCosine || cos > tc.maxCosine || math.IsNaN(cos) {
				t.Fatalf("Nearest(%q) = %q, %.3f; want %q with cosine in [%.3f, %.3f]", tc.text, label, cos, tc.want, tc.minCosine, tc.maxCosine)
			}
		})
	}
}
