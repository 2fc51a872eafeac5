package workers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/storage"
)

// fakeChannel records what the worker hands a Channel and answers with
// results in turn.
type fakeChannel struct {
	mu      sync.Mutex
	waits   int
	sent    []storage.Delivery
	results []error // one per Send; past the end, success
	retry   bool
}

type retryLater struct{ after time.Duration }

func (e retryLater) Error() string             { return "channel busy" }
func (e retryLater) RetryAfter() time.Duration { return e.after }

func (c *fakeChannel) Wait(ctx context.Context, _ storage.Delivery) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits++
	return ctx.Err()
}

func (c *fakeChannel) Send(_ context.Context, d storage.Delivery) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, d)
	if n := len(c.sent); n <= len(c.results) && c.results[n-1] != nil {
		return c.retry, c.results[n-1]
	}
	return false, nil
}

func TestDeliverThroughChannel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		results      []error
		retry        bool
		wantStatus   string
		wantAttempts int
		wantDelay    time.Duration // least next_at delay after the first attempt
	}{
		{"sent at once", nil, false, storage.DeliveryDelivered, 1, 0},
		{"recovers after a failure", []error{errors.New("slack down")}, true, storage.DeliveryDelivered, 2, 0},
		{"a final failure is not retried", []error{errors.New("channel_not_found")}, false, storage.DeliveryFailed, 1, 0},
		{"retry-after is honoured", []error{retryLater{after: 90 * time.Second}}, true, storage.DeliveryPending, 1, 90 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			s := openStorage(t)
			ch := &fakeChannel{results: tc.results, retry: tc.retry}
			rcv := newReceiver(t, func(int, http.ResponseWriter) int { return http.StatusOK }) // for the web delivery only
			enqueue(t, ctx, s, answerTo("slack:C1/1700000000.000100", "inq-slack"), answerTo(rcv.URL, "inq-web"))
			opts := fastOptions("one")
			opts.Channels = map[string]Channel{"slack": ch}
			before := time.Now().UnixMilli()
			var attempts atomic.Int32 // attempts run concurrently
			runDeliver(t, ctx, s, opts, func(d storage.Delivery, result string) bool {
				if d.InquiryID == "inq-slack" {
					attempts.Add(1)
				}
				return int(attempts.Load()) >= tc.wantAttempts && len(deliveredWeb(t, ctx, s)) == 1
			})
			ds, _ := s.DeliveriesByInquiry(ctx, "inq-slack")
			if len(ds) != 1 || ds[0].Status != tc.wantStatus || ds[0].Attempts != tc.wantAttempts {
				t.Fatalf("slack delivery = %+v; want %s after %d attempts", ds, tc.wantStatus, tc.wantAttempts)
			}
			if n := rcv.count(ds[0].ID); n != 0 {
				t.Errorf("the slack: delivery was POSTed %d times as if it were a URL", n)
			}
			if tc.wantDelay > 0 {
				if moved := time.Duration(ds[0].NextAt-before) * time.Millisecond; moved < tc.wantDelay {
					t.Errorf("next_at moved %v; want at least %v", moved, tc.wantDelay)
				}
			}
			ch.mu.Lock()
			defer ch.mu.Unlock()
			if len(ch.sent) != tc.wantAttempts || ch.waits < tc.wantAttempts {
				t.Fatalf("channel got %d sends and %d waits, want %d of each", len(ch.sent), ch.waits, tc.wantAttempts)
			}
			for _, d := range ch.sent {
				if d.URL != "slack:C1/1700000000.000100" || d.Text == "" {
					t.Errorf("channel was handed %+v", d)
				}
			}
		})
	}
}

// deliveredWeb lists the delivered web (HTTP) deliveries: the POST path
// must keep working beside a channel.
func deliveredWeb(t *testing.T, ctx context.Context, s *storage.Storage) []storage.Delivery {
	t.Helper()
	ds, err := s.DeliveriesByInquiry(ctx, "inq-web")
	if err != nil {
		t.Fatal(err)
	}
	var out []storage.Delivery
	for _, d := range ds {
		if d.Status == storage.DeliveryDelivered {
			out = append(out, d)
		}
	}
	return out
}

// A reply URL goes to the channel of its scheme; every other one, http(s)
// or not, to the webhook, which then fails it as before.
func TestDeliverChoosesChannel(t *testing.T) {
	t.Parallel()
	slack := &fakeChannel{}
	d := NewDeliver(nil, DeliverOptions{Channels: map[string]Channel{"slack": slack}}, slog.New(slog.DiscardHandler), nil)
	for _, tc := range []struct {
		url  string
		want Channel
	}{
		{"slack:D123/1700000000.000100", slack},
		{"https://example.com/hook?token=x", d.webhook},
		{"http://example.com/hook", d.webhook},
		{"slack", d.webhook}, // no scheme: not Slack's
		{"mailto:kim@example.com", d.webhook},
	} {
		if got := d.channel(tc.url); got != tc.want {
			t.Errorf("channel(%q) = %T, want %T", tc.url, got, tc.want)
		}
	}
}
