package dashboard

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// Sizes of the desk the refresh benchmark reads.
const (
	benchIncidents       = 10
	benchClusters        = 1000
	benchPerCluster      = 50 // inquiries per cluster over the last hour: 50,000 in all
	benchClustersPerInc  = 5
	benchAlerts          = 20
	benchRepliedClusters = 100
)

// seedDesk fills a database with an hour of a busy desk: benchClusters
// open clusters of benchPerCluster inquiries each, spread over the last
// hour, benchIncidents active incidents with benchClustersPerInc clusters
// linked to each (a third of their inquiries answered automatically),
// open surge alerts and replied clusters.
func seedDesk(b *testing.B, s *storage.Storage, now time.Time) {
	ctx := context.Background()
	for i := range benchIncidents {
		inc := kb.Incident{ID: fmt.Sprintf("inc-%02d", i), TitleKO: fmt.Sprintf("장애 %d", i), TitleEN: fmt.Sprintf("Outage %d", i),
			Severity: kb.Major, StartedAt: now.Add(-time.Hour)}
		if _, err := s.CreateIncident(ctx, "bench", inc); err != nil {
			b.Fatal(err)
		}
		for v := range 3 {
			if _, err := s.AddIncidentUpdate(ctx, "bench", inc.ID, kb.Update{Status: kb.Investigating, TextKO: fmt.Sprintf("안내 %d", v)}); err != nil {
				b.Fatal(err)
			}
		}
	}
	var batch []storage.Inquiry
	var clusters []storage.Cluster
	flush := func() {
		if _, err := s.StoreInquiries(ctx, batch, clusters); err != nil {
			b.Fatal(err)
		}
		batch, clusters = batch[:0], clusters[:0]
	}
	hour := time.Hour.Milliseconds()
	for c := range benchClusters {
		id := fmt.Sprintf("cl-%04d", c)
		clusters = append(clusters, storage.Cluster{ID: id, Representative: "결제가 안 돼요 " + id, LabelJSON: `["결제","안돼요"]`, Status: "open"})
		for k := range benchPerCluster {
			at := now.UnixMilli() - hour + int64(k*benchClusters+c)*hour/int64(benchClusters*benchPerCluster)
			in := storage.Inquiry{ID: fmt.Sprintf("iq-%04d-%03d", c, k), Source: "web", CustomerID: fmt.Sprintf("c-%d", (c*7+k)%20000),
				Text: "결제가 안 돼요", Locale: "ko", Metadata: "{}", State: storage.StateStored, ReceivedAt: at, StoredAt: at, ClusterID: id}
			if inc := c / benchClustersPerInc; inc < benchIncidents && k%3 == 0 {
				in.State, in.AnswerID, in.IncidentID, in.UpdateVersion = storage.StateAnswered, "a", fmt.Sprintf("inc-%02d", inc), 1
			}
			batch = append(batch, in)
		}
		if len(batch) >= 2000 {
			flush()
		}
	}
	flush()
	for c := range benchIncidents * benchClustersPerInc {
		if err := s.LinkCluster(ctx, "bench", fmt.Sprintf("cl-%04d", c), fmt.Sprintf("inc-%02d", c/benchClustersPerInc)); err != nil {
			b.Fatal(err)
		}
	}
	for c := range benchAlerts {
		if _, err := s.RaiseAlert(ctx, storage.Alert{ClusterID: fmt.Sprintf("cl-%04d", 500+c), RaisedAt: now.UnixMilli(), PerMinute: 12, Inquiries: 50, Customers: 40}); err != nil {
			b.Fatal(err)
		}
	}
	for c := range benchRepliedClusters {
		if _, err := s.ReplyToCluster(ctx, "agent", fmt.Sprintf("cl-%04d", 600+c), "확인 중입니다."); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefresh measures what the dashboard costs the server: compute
// is one computation of the figures from SQL (done at most once per
// CacheTTL, 2 s, however many managers watch), live is one viewer's
// refresh served from the cached figures (rendered for its session).
// core% is the share of one core that computing once per CacheTTL takes.
// Run: go test ./pages/dashboard -run '^$' -bench Refresh -benchtime 3s
// (and with SURGEDESK_TEST_POSTGRES_URL set for PostgreSQL).
func BenchmarkRefresh(b *testing.B) {
	for dialect, url := range storagetest.URLs(b) {
		b.Run(dialect, func(b *testing.B) {
			s := storagetest.Open(b, url)
			now := time.Now()
			seedDesk(b, s, now)
			d := New(Options{Auth: testAuth(), Store: s, Alerts: &fakeAlerts{}, Log: slog.New(slog.DiscardHandler), IdleWindow: 2 * time.Hour})
			b.Run("compute", func(b *testing.B) {
				ctx := context.Background()
				for b.Loop() {
					snap, err := d.compute(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if len(snap.Incidents) != benchIncidents || len(snap.Clusters) != maxClusters || snap.Desk.LastHour < benchClusters*benchPerCluster*9/10 {
						b.Fatalf("the snapshot misses data: %d incidents, %d clusters, %d inquiries", len(snap.Incidents), len(snap.Clusters), snap.Desk.LastHour)
					}
				}
				perOp := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(100*perOp/d.opts.CacheTTL.Seconds(), "core%")
			})
			b.Run("compute-whole-hour", func(b *testing.B) {
				ctx := context.Background()
				for b.Loop() {
					// As at start, and at every recount (5 min) and slowEvery (10 s).
					d.desk, d.incidents, d.slow = bucketCache{}, map[string]*bucketCache{}, nil
					if _, err := d.compute(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("live", func(b *testing.B) {
				rec := signIn(d, "viewer-token-0123456789abcdef", false)
				var cookie *http.Cookie
				for _, c := range rec.Result().Cookies() {
					cookie = c
				}
				if _, err := d.current(context.Background()); err != nil {
					b.Fatal(err)
				}
				// Pin the figures: only the rendering per viewer is measured.
				d.opts.CacheTTL = time.Hour
				for b.Loop() {
					req := httptest.NewRequest(http.MethodGet, "/dashboard/live", nil)
					req.AddCookie(cookie)
					w := httptest.NewRecorder()
					d.Live(w, req)
					if w.Code != http.StatusOK {
						b.Fatalf("live: %d", w.Code)
					}
				}
			})
		})
	}
}
