package kb_test

import (
	"bytes"
	"testing"

	"github.com/surgedesk/surgedesk/eval"
	"github.com/surgedesk/surgedesk/kb"
)

// BenchmarkMatch matches synthetic surge inquiries (Korean and English)
// against a knowledge base of 1,500 examples from the same generator.
func BenchmarkMatch(b *testing.B) {
	kbRows := surgeRows(b, 1500, 1)
	queries := surgeRows(b, 4096, 2)
	m, err := kb.NewMatcher(eval.Entries(kbRows), kb.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	answered := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, ok := m.Match(queries[i%len(queries)].Text); ok {
			answered++
		}
	}
	b.ReportMetric(float64(answered)/float64(b.N), "answered/op")
}

func surgeRows(b *testing.B, n int, seed int64) []eval.Example {
	b.Helper()
	var buf bytes.Buffer
	if err := eval.GenerateSurge(&buf, n, seed); err != nil {
		b.Fatal(err)
	}
	rows, err := eval.ReadExamples(&buf)
	if err != nil {
		b.Fatal(err)
	}
	return rows
}
