package status_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/pages/status"
)

// BenchmarkServe compares, over real HTTP on loopback with keep-alive
// clients in parallel, the status page with a bare handler that writes a
// fixed body: the same bytes as the page (so that only the page's own work
// differs), and two bytes. Each reports req/s; the goal is status ≥ 50% of
// bare-same-body. Run: go test ./pages/status -run '^$' -bench Serve -benchtime 3s
func BenchmarkServe(b *testing.B) {
	incs := []kb.Incident{voucherIncident()}
	for i := range 2 {
		inc := voucherIncident()
		inc.ID = inc.ID + string(rune('a'+i))
		incs = append(incs, inc)
	}
	p := status.New(status.Options{Source: &fakeSource{incs: incs}, Now: func() time.Time { return now }})
	if err := p.Rebuild(context.Background()); err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	p.HTML(rec, httptest.NewRequest("GET", "/status?lang=ko", nil))
	page, etag := rec.Body.Bytes(), rec.Header().Get("ETag")
	handlers := []struct {
		name   string
		h      http.HandlerFunc
		target string
		header map[string]string
	}{
		{"bare-2-bytes", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }, "/", nil},
		{"bare-same-body", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(page)
		}, "/", nil},
		{"status", p.HTML, "/status?lang=ko", nil},
		{"status-negotiated", p.HTML, "/status", map[string]string{"Accept-Language": "en-US,en;q=0.9,ko;q=0.8"}},
		{"status-304", p.HTML, "/status?lang=ko", map[string]string{"If-None-Match": etag}},
		{"status.json", p.JSON, "/status.json", nil},
	}
	for _, hc := range handlers {
		b.Run(hc.name, func(b *testing.B) {
			srv := httptest.NewServer(hc.h)
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", srv.URL+hc.target, nil)
					for k, v := range hc.header {
						req.Header.Set(k, v)
					}
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// BenchmarkServeInterleaved sends each parallel client's requests
// alternately to the status page and to a bare handler writing the same
// bytes, so that both see the same machine at the same moment (this
// machine is shared, and back-to-back runs differ by 2×). It reports the
// mean time per request of each and status/bare, the status page's
// requests per second as a share of the bare handler's at the same
// concurrency. Run: go test ./pages/status -run '^$' -bench ServeInterleaved -benchtime 20000x -count 5
func BenchmarkServeInterleaved(b *testing.B) {
	p := status.New(status.Options{Source: &fakeSource{incs: []kb.Incident{voucherIncident()}}, Now: func() time.Time { return now }})
	if err := p.Rebuild(context.Background()); err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	p.HTML(rec, httptest.NewRequest("GET", "/status", nil))
	page := rec.Body.Bytes()
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	}))
	defer bare.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", p.HTML)
	page2 := httptest.NewServer(mux)
	defer page2.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 512}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var spent [2]atomic.Int64
	var count [2]atomic.Int64
	targets := [2]string{bare.URL + "/status", page2.URL + "/status"}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			k := i % 2
			i++
			req, _ := http.NewRequest("GET", targets[k], nil)
			req.Header.Set("Accept-Language", "ko-KR,ko;q=0.9")
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			spent[k].Add(int64(time.Since(start)))
			count[k].Add(1)
		}
	})
	bareMean := float64(spent[0].Load()) / float64(max(count[0].Load(), 1))
	pageMean := float64(spent[1].Load()) / float64(max(count[1].Load(), 1))
	b.ReportMetric(bareMean/1e3, "bare-µs/req")
	b.ReportMetric(pageMean/1e3, "status-µs/req")
	b.ReportMetric(bareMean/pageMean, "status/bare")
}
