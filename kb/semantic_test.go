package kb

import (
	"strings"
	"testing"
)

// axisVectors gives every example of entry i the unit vector on axis i,
// slightly tilted towards axis i+1, so entries are far apart by meaning.
func axisVectors(m *Matcher, dims int) [][]float32 {
	out := make([][]float32, len(m.examples))
	for i, ex := range m.examples {
		v := make([]float32, dims)
		v[int(ex.entry)%dims] = 1
		v[(int(ex.entry)+1)%dims] = 0.1
		out[i] = v
	}
	return out
}

func axis(i, dims int) []float32 {
	v := make([]float32, dims)
	v[i] = 1
	return v
}

func TestWithVectors(t *testing.T) {
	const dims = 8
	lexical := newTestMatcher(t, testEntries)
	hybrid, err := lexical.WithVectors(axisVectors(lexical, dims), 0.5, Options{Threshold: 0.2, Margin: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	login := 0 // testEntries[0]
	for _, tc := range []struct {
		name string
		m    *Matcher
		text string
		vec  []float32
		want string
	}{
		// No word in common with any login example: lexically unanswered,
		// answered by meaning.
		{"paraphrase, lexical", lexical, "unable to access my account since this morning", nil, ""},
		{"paraphrase, hybrid", hybrid, "unable to access my account since this morning", axis(login, dims), "login"},
		{"hybrid without a vector is lexical", hybrid, "unable to access my account since this morning", nil, ""},
		{"a vector of another model is ignored", hybrid, "unable to access my account since this morning", axis(login, dims+1), ""},
		{"lexical and semantic agree", hybrid, "로그인이 안 돼요", axis(login, dims), "login"},
		// A vector near no entry leaves a strong lexical match answered.
		{"semantic silence keeps a lexical answer", hybrid, "환불은 언제 되나요", axis(dims-1, dims), "refund"},
		{"nothing by either", hybrid, "what is the capital of france", axis(dims-1, dims), ""},
		// A contrast is matched lexically on its asked part.
		{"contrast keeps its rule", hybrid, "로그인 말고 환불이 아직 안 들어왔어요", axis(login, dims), "refund"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.m.MatchVector(tc.text, tc.vec)
			if tc.want == "" && ok {
				t.Fatalf("MatchVector(%q) = %+v, want no answer", tc.text, got)
			}
			if tc.want != "" && (!ok || got.EntryID != tc.want) {
				t.Fatalf("MatchVector(%q) = %+v, %v; want %q", tc.text, got, ok, tc.want)
			}
		})
	}
	if lexical.sem != nil {
		t.Error("WithVectors changed the lexical matcher")
	}
}

func TestWithVectorsErrors(t *testing.T) {
	m := newTestMatcher(t, testEntries)
	good := axisVectors(m, 4)
	short := append([][]float32{}, good[1:]...)
	mixed := append([][]float32{}, good...)
	mixed[2] = make([]float32, 5)
	for _, tc := range []struct {
		name    string
		vectors [][]float32
		weight  float64
		opts    Options
		want    string
	}{
		{"too few vectors", short, 0.5, DefaultOptions(), "vectors for"},
		{"mixed dimensions", mixed, 0.5, DefaultOptions(), "dimensions"},
		{"weight above 1", good, 1.5, DefaultOptions(), "semantic weight"},
		{"bad threshold", good, 0.5, Options{Threshold: 2}, "threshold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.WithVectors(tc.vectors, tc.weight, tc.opts)
			if err == nil || !strings.HasPrefix(err.Error(), "kb: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want kb: … %s", err, tc.want)
			}
		})
	}
}
