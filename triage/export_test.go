package triage

import "testing"

func TestFeatures(t *testing.T) {
	for _, tc := range []struct {
		name       string
		a, b       string
		same       bool
		negA, negB bool
	}{
		{"korean spacing and ending", "접속이 안 돼요", "접속 안 됩니다", true, true, true},
		{"english inflection", "my card was charged", "card charges", true, false, false},
		{"negation", "불 켜줘", "불 켜지 마", false, false, true},
		{"english negation", "open the app", "do not open the app", false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fa, na := Features(tc.a)
			fb, nb := Features(tc.b)
			if na != tc.negA || nb != tc.negB {
				t.Errorf("negated = %v, %v; want %v, %v", na, nb, tc.negA, tc.negB)
			}
			same := len(fa) == len(fb)
			for i := 0; same && i < len(fa); i++ {
				same = fa[i].Hash == fb[i].Hash
			}
			if same != tc.same {
				t.Errorf("same features = %v, want %v (%v vs %v)", same, tc.same, fa, fb)
			}
			for i := 1; i < len(fa); i++ {
				if fa[i-1].Hash >= fa[i].Hash {
					t.Fatalf("features not sorted by unique hash: %v", fa)
				}
			}
		})
	}
}
