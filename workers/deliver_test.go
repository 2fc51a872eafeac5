package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/surgedesk/surgedesk/signature"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// receiver is an httptest server on 127.0.0.1 that answers with status(n)
// for the nth POST of a delivery and counts POSTs by delivery id.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	counts  map[string]int
	headers []http.Header
	bodies  [][]byte
}

func newReceiver(t *testing.T, status func(n int, w http.ResponseWriter) int) *receiver {
	r := &receiver{counts: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var p payload
		if err := json.Unmarshal(body, &p); err != nil || p.ID == "" {
			t.Errorf("undecodable delivery %q: %v", body, err)
		}
		r.mu.Lock()
		r.counts[p.ID]++
		n := r.counts[p.ID]
		r.headers = append(r.headers, req.Header.Clone())
		r.bodies = append(r.bodies, body)
		r.mu.Unlock()
		w.WriteHeader(status(n, w))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[id]
}

// runDeliver runs a Deliver until done says so for an attempt's result,
// and returns once Run has returned.
func runDeliver(t *testing.T, ctx context.Context, db deliveryStore, opts DeliverOptions, done func(d storage.Delivery, result string) bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := NewDeliver(db, opts, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	var once sync.Once
	d.afterAttempt = func(dl storage.Delivery, result string) {
		if done(dl, result) {
			once.Do(cancel)
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	d.Kick()
	if err := <-errc; err != nil {
		t.Error(err)
	}
}

// fastOptions keep backoffs tiny so retries follow one another at once.
func fastOptions(owner string) DeliverOptions {
	return DeliverOptions{Owner: owner, AllowPrivate: true, Timeout: 5 * time.Second, MaxAttempts: 4, MinBackoff: time.Millisecond,
		MaxBackoff: 2 * time.Millisecond, PollInterval: 2 * time.Millisecond, RatePerHost: 1000, BurstPerHost: 1000}
}

func enqueue(t *testing.T, ctx context.Context, s *storage.Storage, ds ...storage.Delivery) {
	t.Helper()
	if _, err := s.EnqueueDeliveries(ctx, ds); err != nil {
		t.Fatal(err)
	}
}

func answerTo(url, inquiry string) storage.Delivery {
	return storage.Delivery{Kind: storage.KindAnswer, InquiryID: inquiry, CustomerKey: "web:c1", URL: url,
		Source: "web", Locale: "ko", Text: "결제 장애를 복구 중입니다."}
}

func TestDeliverRetries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		status       func(n int) int
		wantStatus   string
		wantAttempts int
	}{
		{"recovers after two 503s", func(n int) int {
			if n <= 2 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}, storage.DeliveryDelivered, 3},
		{"accepted at once", func(int) int { return http.StatusAccepted }, storage.DeliveryDelivered, 1},
		{"400 fails at once", func(int) int { return http.StatusBadRequest }, storage.DeliveryFailed, 1},
		{"redirect fails at once", func(int) int { return http.StatusFound }, storage.DeliveryFailed, 1},
		{"429 is retried", func(n int) int {
			if n == 1 {
				return http.StatusTooManyRequests
			}
			return http.StatusNoContent
		}, storage.DeliveryDelivered, 2},
		{"never recovers", func(int) int { return http.StatusBadGateway }, storage.DeliveryFailed, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for dialect, url := range storagetest.URLs(t) {
				t.Run(dialect, func(t *testing.T) {
					ctx := testContext(t)
					s := storagetest.Open(t, url)
					rcv := newReceiver(t, func(n int, _ http.ResponseWriter) int { return tc.status(n) })
					enqueue(t, ctx, s, answerTo(rcv.URL, "inq-1"))
					runDeliver(t, ctx, s, fastOptions("one"), func(_ storage.Delivery, result string) bool {
						return result != resultRetry
					})
					ds, err := s.DeliveriesByInquiry(ctx, "inq-1")
					if err != nil || len(ds) != 1 {
						t.Fatalf("DeliveriesByInquiry = %+v, %v", ds, err)
					}
					d := ds[0]
					if d.Status != tc.wantStatus || d.Attempts != tc.wantAttempts {
						t.Errorf("delivery = %s after %d attempts; want %s after %d (%+v)", d.Status, d.Attempts, tc.wantStatus, tc.wantAttempts, d)
					}
					if got := rcv.count(d.ID); got != tc.wantAttempts {
						t.Errorf("receiver got %d POSTs; want %d", got, tc.wantAttempts)
					}
					if (d.DeliveredAt != 0) != (tc.wantStatus == storage.DeliveryDelivered) {
						t.Errorf("delivered_at = %d", d.DeliveredAt)
					}
					if tc.wantStatus == storage.DeliveryFailed && d.LastError == "" {
						t.Error("failed delivery records no error")
					}
				})
			}
		})
	}
}

func TestDeliverNetworkErrorRetried(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	s := openStorage(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close() // connection refused from now on
	enqueue(t, ctx, s, answerTo(url, "inq-1"))
	opts := fastOptions("one")
	opts.MaxAttempts = 2
	runDeliver(t, ctx, s, opts, func(_ storage.Delivery, result string) bool { return result != resultRetry })
	ds, _ := s.DeliveriesByInquiry(ctx, "inq-1")
	if len(ds) != 1 || ds[0].Status != storage.DeliveryFailed || ds[0].Attempts != 2 {
		t.Errorf("deliveries = %+v; want failed after 2 attempts", ds)
	}
}

func TestDeliverHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		header func(now time.Time) string
		want   time.Duration
	}{
		{"seconds", func(time.Time) string { return "120" }, 120 * time.Second},
		{"http date", func(now time.Time) string { return now.Add(10 * time.Minute).UTC().Format(http.TimeFormat) }, 9 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			s := openStorage(t)
			rcv := newReceiver(t, func(_ int, w http.ResponseWriter) int {
				w.Header().Set("Retry-After", tc.header(time.Now()))
				return http.StatusServiceUnavailable
			})
			enqueue(t, ctx, s, answerTo(rcv.URL, "inq-1"))
			before := time.Now().UnixMilli()
			runDeliver(t, ctx, s, fastOptions("one"), func(storage.Delivery, string) bool { return true })
			ds, _ := s.DeliveriesByInquiry(ctx, "inq-1")
			if len(ds) != 1 || ds[0].Status != storage.DeliveryPending || ds[0].Attempts != 1 {
				t.Fatalf("deliveries = %+v; want pending after 1 attempt", ds)
			}
			if moved := time.Duration(ds[0].NextAt-before) * time.Millisecond; moved < tc.want {
				t.Errorf("next_at moved %v; want at least %v", moved, tc.want)
			}
		})
	}
}

// verify checks a signature header the way intake does.
func verify(header string, secret string, body []byte) bool {
	s, err := signature.Parse(header)
	return err == nil && s.Within(time.Now(), 5*time.Minute) && s.Valid([]byte(secret), body)
}

func TestDeliverSigns(t *testing.T) {
	t.Parallel()
	const webSecret, appSecret, fallback = "web-secret-0123456789", "app-secret-0123456789", "fallback-0123456789"
	for _, tc := range []struct {
		name     string
		source   string
		secrets  map[string]string
		fallback string
		want     string // secret that must verify; "" for unsigned
	}{
		{"source secret", "web", map[string]string{"web": webSecret, "app": appSecret}, fallback, webSecret},
		{"other source's secret", "app", map[string]string{"web": webSecret, "app": appSecret}, "", appSecret},
		{"fallback secret", "kiosk", map[string]string{"web": webSecret}, fallback, fallback},
		{"unsigned", "kiosk", nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			s := openStorage(t)
			rcv := newReceiver(t, func(int, http.ResponseWriter) int { return http.StatusOK })
			dl := answerTo(rcv.URL, "inq-1")
			dl.Source = tc.source
			enqueue(t, ctx, s, dl)
			opts := fastOptions("one")
			opts.Secrets, opts.Secret = tc.secrets, tc.fallback
			runDeliver(t, ctx, s, opts, func(storage.Delivery, string) bool { return true })
			if len(rcv.headers) != 1 {
				t.Fatalf("receiver got %d POSTs", len(rcv.headers))
			}
			h, body := rcv.headers[0], rcv.bodies[0]
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			sig := h.Get(signature.Header)
			switch {
			case tc.want == "" && sig != "":
				t.Errorf("unsigned delivery carries %q", sig)
			case tc.want != "" && !verify(sig, tc.want, body):
				t.Errorf("signature %q does not verify with %q", sig, tc.want)
			}
			var p map[string]any
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"id", "kind", "inquiry_id", "incident_id", "update_version", "locale", "text"} {
				if _, ok := p[k]; !ok {
					t.Errorf("payload lacks %q: %s", k, body)
				}
			}
			if p["text"] != dl.Text || p["kind"] != storage.KindAnswer || p["inquiry_id"] != "inq-1" {
				t.Errorf("payload = %s", body)
			}
		})
	}
}

func TestDeliverTwoInstancesSendOnce(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := testContext(t)
			s := storagetest.Open(t, url)
			other, err := storage.Open(ctx, url, 4) // the second instance's own pool
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			// Some POSTs fail once, so retries are shared out too.
			rcv := newReceiver(t, func(n int, _ http.ResponseWriter) int {
				if n == 1 && time.Now().UnixNano()%3 == 0 {
					return http.StatusServiceUnavailable
				}
				return http.StatusOK
			})
			const n = 60
			var ds []storage.Delivery
			for i := range n {
				ds = append(ds, storage.Delivery{Kind: storage.KindFollowup, InquiryID: fmt.Sprint("inq-", i), CustomerKey: fmt.Sprint("web:c", i),
					IncidentID: "inc-1", UpdateVersion: 1, URL: rcv.URL, Source: "web", Text: "업데이트"})
			}
			enqueue(t, ctx, s, ds...)

			var (
				mu        sync.Mutex
				delivered = map[string]int{}
				wg        sync.WaitGroup
				all       = make(chan struct{})
				closeOnce sync.Once
			)
			for i, db := range []*storage.Storage{s, other} {
				wg.Go(func() {
					ctx, cancel := context.WithCancel(ctx)
					defer cancel()
					go func() {
						select {
						case <-all:
							cancel()
						case <-ctx.Done():
						}
					}()
					runDeliver(t, ctx, db, fastOptions(fmt.Sprint("instance-", i)), func(d storage.Delivery, result string) bool {
						if result == resultRetry {
							return false
						}
						mu.Lock()
						defer mu.Unlock()
						delivered[d.ID]++
						if len(delivered) == n {
							closeOnce.Do(func() { close(all) })
						}
						return false
					})
				})
			}
			wg.Wait()
			got, err := s.DeliveriesByIncident(ctx, "inc-1", 2*n)
			if err != nil || len(got) != n {
				t.Fatalf("DeliveriesByIncident = %d, %v", len(got), err)
			}
			for _, d := range got {
				if d.Status != storage.DeliveryDelivered || delivered[d.ID] != 1 {
					t.Errorf("%s: %s, recorded delivered %d times", d.ID, d.Status, delivered[d.ID])
				}
				// One POST per attempt: no attempt was made twice.
				if rcv.count(d.ID) != d.Attempts {
					t.Errorf("%s: receiver got %d POSTs for %d attempts", d.ID, rcv.count(d.ID), d.Attempts)
				}
			}
		})
	}
}

func TestDeliverBackoff(t *testing.T) {
	t.Parallel()
	d := NewDeliver(nil, DeliverOptions{MinBackoff: time.Second, MaxBackoff: time.Minute}, slog.New(slog.DiscardHandler), nil)
	for _, tc := range []struct {
		name    string
		attempt int
		err     error
		want    time.Duration
	}{
		{"first", 1, nil, time.Second},
		{"doubles", 3, nil, 4 * time.Second},
		{"capped", 10, nil, time.Minute},
		{"far past the cap", 100, nil, time.Minute},
		{"shorter Retry-After", 3, &statusError{code: 503, retryAfter: time.Second}, 4 * time.Second},
		{"longer Retry-After", 1, &statusError{code: 429, retryAfter: 5 * time.Minute}, 5 * time.Minute},
		{"Retry-After capped", 1, &statusError{code: 429, retryAfter: 48 * time.Hour}, maxRetryAfter},
	} {
		if got := d.backoff(tc.attempt, tc.err); got != tc.want {
			t.Errorf("%s: backoff(%d) = %v; want %v", tc.name, tc.attempt, got, tc.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, value string
		want        time.Duration
	}{
		{"absent", "", 0},
		{"seconds", "30", 30 * time.Second},
		{"date", now.Add(time.Minute).Format(http.TimeFormat), time.Minute},
		{"past date", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"garbage", "soon", 0},
		{"negative", "-5", 0},
	} {
		if got := retryAfter(tc.value, now); got != tc.want {
			t.Errorf("%s: retryAfter(%q) = %v; want %v", tc.name, tc.value, got, tc.want)
		}
	}
}

// claimCounter is a deliveryStore with nothing due that reports each claim.
type claimCounter struct{ claims chan struct{} }

func (c claimCounter) ClaimDeliveries(ctx context.Context, _ string, _ int64, _ time.Duration, _ int) ([]storage.Delivery, error) {
	select {
	case c.claims <- struct{}{}:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
func (claimCounter) MarkDelivered(context.Context, string, string) error { return nil }
func (claimCounter) MarkAttemptFailed(context.Context, string, string, string, int64, bool) error {
	return nil
}

func TestDeliverKickClaimsAtOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(testContext(t))
	db := claimCounter{claims: make(chan struct{})}
	// With an hour between polls, only Kick can cause the second claim.
	d := NewDeliver(db, DeliverOptions{PollInterval: time.Hour, AllowPrivate: true}, slog.New(slog.DiscardHandler), nil)
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	for i := range 3 {
		select {
		case <-db.claims:
		case <-ctx.Done():
			t.Fatalf("claim %d never came", i+1)
		}
		d.Kick()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// By default a reply never goes to a non-public address: a reply_url comes
// from outside. The refusal is final, and the URL's token stays out of it.
func TestDeliverRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := openStorage(t)
	var hits atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer hs.Close()
	enqueue(t, ctx, db, storage.Delivery{Kind: storage.KindAnswer, InquiryID: "iq_1", CustomerKey: "web:kim",
		URL: hs.URL + "/reply?token=s3cret", Source: "web", Locale: "ko", Text: "안내"})
	opts := fastOptions("a")
	opts.AllowPrivate = false
	runDeliver(t, ctx, db, opts, func(storage.Delivery, string) bool { return true })
	list, err := db.DeliveriesByInquiry(ctx, "iq_1")
	if err != nil || len(list) != 1 {
		t.Fatalf("deliveries = %v, %v", list, err)
	}
	got := list[0]
	if hits.Load() != 0 || got.Status != storage.DeliveryFailed || got.Attempts != 1 {
		t.Errorf("delivery = %+v, receiver hit %d times; want failed at once, never sent", got, hits.Load())
	}
	if !strings.Contains(got.LastError, "non-public") || strings.Contains(got.LastError, "s3cret") {
		t.Errorf("last_error = %q", got.LastError)
	}
}
