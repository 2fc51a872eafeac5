package triage_test

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/eval"
	"github.com/surgedesk/surgedesk/triage"
)

// surgeTexts returns n synthetic surge inquiries from the eval generator.
func surgeTexts(b *testing.B, n int) []string {
	b.Helper()
	var buf bytes.Buffer
	if err := eval.GenerateSurge(&buf, n, 1); err != nil {
		b.Fatal(err)
	}
	texts := make([]string, 0, n)
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	sc.Scan() // header
	for sc.Scan() {
		_, text, _ := strings.Cut(sc.Text(), "\t")
		texts = append(texts, text)
	}
	return texts
}

// BenchmarkAssign measures the cost of one Assign after the clusterer has
// already taken size inquiries, and the index memory per inquiry. The ratio
// of ns/op between sizes shows whether candidate retrieval stays sublinear.
// The 1M case is skipped with -short.
func BenchmarkAssign(b *testing.B) {
	for _, size := range []int{10_000, 1_000_000} {
		b.Run("after="+strconv.Itoa(size), func(b *testing.B) {
			if size > 100_000 && testing.Short() {
				b.Skip("1M warm-up skipped with -short")
			}
			texts := surgeTexts(b, size+100_000)
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			at := func(i int) time.Time { return start.Add(time.Duration(i) * time.Millisecond) }
			warm := func() *triage.Clusterer {
				c := triage.NewClusterer(triage.DefaultOptions())
				for i, text := range texts[:size] {
					c.Assign(triage.Item{CustomerID: strconv.Itoa(i % 50_000), Text: text, At: at(i)})
				}
				return c
			}
			// The clusterer is rebuilt after every size/2 timed inquiries, so
			// the figure is the cost at between 1× and 1.5× size inquiries.
			window := size / 2
			c := warm()
			tail := texts[size:]
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			added := 0
			for i := 0; i < b.N; i++ {
				if added == window {
					b.StopTimer()
					before := cpuTime()
					c, added = warm(), 0
					cpu += cpuTime() - before
					b.StartTimer()
				}
				c.Assign(triage.Item{CustomerID: strconv.Itoa(i % 50_000), Text: tail[i%len(tail)], At: at(size + added)})
				added++
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(c.IndexBytes())/float64(size+added), "indexB/inquiry")
			b.ReportMetric(float64(len(c.Open(at(size+added)))), "clusters")
		})
	}
}

// cpuTime is the process's user+system CPU time. The shared machine makes
// wall time noisy; CPU time per op is the steadier figure.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkNormalize measures the normaliser alone on surge texts.
func BenchmarkNormalize(b *testing.B) {
	texts := surgeTexts(b, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		triage.Normalize(texts[i%len(texts)])
	}
}
