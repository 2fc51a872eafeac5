package assist

import "github.com/prometheus/client_golang/prometheus"

// metrics are what /metrics shows of the provider: calls by operation and
// result, their latency, cache hits and misses, dropped texts, the
// breaker's state.
type metrics struct {
	calls   *prometheus.CounterVec
	latency *prometheus.HistogramVec
	cache   *prometheus.CounterVec
	dropped prometheus.Counter
	open    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "surgedesk_assist_calls_total",
			Help: "Calls to the OpenAI-compatible provider, by operation (embeddings, chat) and result (ok, error, rate_limited, timeout, breaker_open)."},
			[]string{"op", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "surgedesk_assist_call_seconds",
			Help:    "Latency of calls to the provider that were sent, by operation.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"op"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "surgedesk_assist_embedding_cache_total",
			Help: "Embedding cache look-ups, by result (hit, miss)."}, []string{"result"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "surgedesk_assist_embedding_dropped_total",
			Help: "Texts not queued for embedding because the queue was full; they are matched lexically."}),
		open: prometheus.NewGauge(prometheus.GaugeOpts{Name: "surgedesk_assist_breaker_open",
			Help: "1 while the circuit breaker refuses calls to the provider."}),
	}
	if reg != nil {
		reg.MustRegister(m.calls, m.latency, m.cache, m.dropped, m.open)
	}
	return m
}
