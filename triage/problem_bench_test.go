package triage_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/triage"
)

// BenchmarkAssignAndGroup measures what the ingest worker runs per
// inquiry without embeddings: Assign, then the Grouper's Observe, after
// 100,000 surge inquiries. Compare its cpu-ns/op with the clusterer alone
// (the "cluster-only" case, measured in the same run); the goal is at
// least 100,000 inquiries/s on one core (10,000 ns/op).
func BenchmarkAssignAndGroup(b *testing.B) {
	const size = 100_000
	texts := surgeTexts(b, size+100_000)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return start.Add(time.Duration(i) * time.Millisecond) }
	for _, grouped := range []bool{false, true} {
		name := "cluster-only"
		if grouped {
			name = "cluster+problem"
		}
		b.Run(name, func(b *testing.B) {
			c := triage.NewClusterer(triage.DefaultOptions())
			g := triage.NewGrouper(triage.DefaultProblemOptions())
			step := func(i int, text string) {
				a := c.Assign(triage.Item{CustomerID: strconv.Itoa(i % 50_000), Text: text, At: at(i)})
				if grouped {
					g.Observe(a.ClusterID, text, a.Similarity, "")
				}
			}
			for i, text := range texts[:size] {
				step(i, text)
			}
			tail := texts[size:]
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				step(size+i, tail[i%len(tail)])
			}
			b.StopTimer()
			ns := float64(cpuTime()-cpu) / float64(b.N)
			b.ReportMetric(ns, "cpu-ns/op")
			b.ReportMetric(1e9/ns, "inquiries/cpu-s")
		})
	}
}
