package web

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/bus/bustest"
)

// BenchmarkIntake is POST /v1/inquiries over real HTTP on loopback into
// the embedded JetStream, from 64 connections, with no store worker: the
// per-inquiry cost of single intake up to the durable ack (ns/op and
// allocs/op are per inquiry). "bare" is the same client against a handler
// that only reads the body and answers 202, as loadgen --baseline does.
func BenchmarkIntake(b *testing.B) {
	cfg := testConfig()
	cfg.Intake.MaxTextBytes, cfg.Intake.MaxBodyBytes = 8<<10, 64<<10
	bb := bustest.Embedded(b)
	srv := New(Options{Config: cfg, Intake: bot.NewIntake(bb, bot.Limits{MaxTextBytes: cfg.Intake.MaxTextBytes}, cfg.NATS.PublishTimeout),
		Bus: bb, JetStream: bb.JetStream, Log: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry()})
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"id":"x","status":"accepted"}`))
	})
	for _, tc := range []struct {
		name    string
		handler http.Handler
	}{{"bare", bare}, {"surgedesk", srv}} {
		b.Run(tc.name, func(b *testing.B) {
			hs := httptest.NewServer(tc.handler)
			defer hs.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
			var n atomic.Int64
			b.SetParallelism(32) // × GOMAXPROCS goroutines
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					body := fmt.Appendf(nil, `{"source":"loadgen","customer_id":"cust-%d","text":"앱 로그인이 계속 실패해요 오류 코드 E-%d","idempotency_key":"bench-%d","locale":"ko","metadata":{"loadgen_run":"r1"}}`, i%1000, i%50, i)
					req, _ := http.NewRequest("POST", hs.URL+"/v1/inquiries", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+intakeToken)
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusAccepted {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}
