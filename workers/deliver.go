package workers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/surgedesk/surgedesk/storage"
)

// maxRetryAfter caps how long a receiver's Retry-After may hold a delivery.
const maxRetryAfter = time.Hour

// deliveryStore is the part of storage the Deliver worker needs.
type deliveryStore interface {
	ClaimDeliveries(ctx context.Context, owner string, now int64, lease time.Duration, limit int) ([]storage.Delivery, error)
	MarkDelivered(ctx context.Context, id, owner string) error
	MarkAttemptFailed(ctx context.Context, id, owner, errText string, nextAt int64, final bool) error
}

// DeliverOptions tune the Deliver worker. Zero values take the defaults
// noted.
type DeliverOptions struct {
	// Owner names this instance in delivery leases; it must differ
	// between instances. Default: hostname, pid and random bytes.
	Owner string
	// Secrets sign a delivery by its source; Secret signs the rest. A
	// delivery with neither is sent unsigned.
	Secrets map[string]string
	Secret  string
	// Timeout bounds one POST. Default 10s.
	Timeout time.Duration
	// MaxAttempts is how many POSTs a delivery gets before it fails.
	// Default 8.
	MaxAttempts int
	// MinBackoff is the delay after the first failed attempt, doubling
	// up to MaxBackoff. Defaults 1s and 10m.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// RatePerHost and BurstPerHost limit POSTs per receiving host.
	// Defaults 10/s, burst 20.
	RatePerHost  float64
	BurstPerHost int
	// PollInterval is how often due deliveries are looked for when
	// nobody calls Kick. Default 500ms.
	PollInterval time.Duration
	// Concurrency bounds the POSTs in flight. Default 8.
	Concurrency int
	// Lease is how long a claimed delivery stays this instance's; it
	// must outlast a POST and its rate-limit wait. Default 2*Timeout+30s.
	Lease time.Duration
	// Client sends the POSTs. Default: a client that follows no
	// redirects (a 3xx is a final failure) and, unless AllowPrivate,
	// connects to public addresses only.
	Client *http.Client
	// AllowPrivate lets replies go to loopback, private and link-local
	// addresses. Off by default: a reply_url comes from outside, and
	// would otherwise let anyone with intake rights probe the network
	// surgedesk runs in (cloud metadata, admin ports).
	AllowPrivate bool
	// Channels deliver to reply URLs of their scheme ("slack"); every
	// other reply URL goes to the webhook channel, a signed POST. Leasing,
	// retries and statuses stay this worker's.
	Channels map[string]Channel
}

// Channel sends the deliveries of one reply_url scheme, such as Slack
// threads or the webhook's http(s) POSTs. It keeps that channel's own rate limits in Wait; a failure whose
// error has a RetryAfter() time.Duration method is retried no sooner.
type Channel interface {
	// Wait blocks until d may be sent, or ctx ends.
	Wait(ctx context.Context, d storage.Delivery) error
	// Send makes one attempt and says whether a failure may succeed later.
	Send(ctx context.Context, d storage.Delivery) (retry bool, err error)
}

// retryAfterError is an error that says when to try again.
type retryAfterError interface {
	error
	RetryAfter() time.Duration
}

func (o DeliverOptions) withDefaults() DeliverOptions {
	if o.Owner == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		o.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxAttempts < 1 {
		o.MaxAttempts = 8
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if o.RatePerHost <= 0 {
		o.RatePerHost = 10
	}
	if o.BurstPerHost < 1 {
		o.BurstPerHost = 20
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 500 * time.Millisecond
	}
	if o.Concurrency < 1 {
		o.Concurrency = 8
	}
	if o.Lease <= 0 {
		o.Lease = 2*o.Timeout + 30*time.Second
	}
	if o.Client == nil {
		dialer := &net.Dialer{Timeout: 10 * time.Second}
		if !o.AllowPrivate {
			dialer.Control = publicOnly
		}
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.DialContext = dialer.DialContext
		transport.Proxy = nil // a proxy would connect on our behalf, past the check
		o.Client = &http.Client{Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return o
}

// Deliver POSTs pending deliveries (instant answers, incident follow-ups)
// to their reply URLs, retrying with backoff. Deliveries are leased in SQL,
// so several instances share the work and each delivery is sent by one at
// a time; a sender that dies mid-POST leaves it to be sent again after the
// lease, so receivers should deduplicate by id.
type Deliver struct {
	db      deliveryStore
	opts    DeliverOptions
	log     *slog.Logger
	metrics deliverMetrics
	kick    chan struct{}
	webhook Channel // for reply URLs no other channel takes

	// afterAttempt, when set (tests), runs after each attempt is recorded.
	afterAttempt func(d storage.Delivery, result string)
}

type deliverMetrics struct {
	results *prometheus.CounterVec
	latency prometheus.Histogram
}

// Attempt results, as counted in surgedesk_deliveries_total.
const (
	resultDelivered = "delivered"
	resultRetry     = "retry"
	resultFailed    = "failed"
	resultLost      = "lease_lost"  // another instance took it over
	resultStore     = "store_error" // the outcome could not be recorded
	resultCancelled = "cancelled"   // shutting down before the POST
)

// NewDeliver returns a Deliver worker; its metrics are registered on reg.
func NewDeliver(db deliveryStore, opts DeliverOptions, log *slog.Logger, reg prometheus.Registerer) *Deliver {
	m := deliverMetrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "surgedesk_deliveries_total",
			Help: "Outbound delivery attempts by result: delivered, retry, failed, lease_lost, store_error, cancelled."}, []string{"result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "surgedesk_delivery_send_seconds",
			Help: "Time to POST one delivery, until the receiver's status.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
	}
	if reg != nil {
		reg.MustRegister(m.results, m.latency)
	}
	return &Deliver{db: db, opts: opts.withDefaults(), log: log, metrics: m, kick: make(chan struct{}, 1), webhook: newWebhook(opts.withDefaults())}
}

// Kick makes Run look for due deliveries now rather than at the next poll;
// call it after enqueuing. It never blocks.
func (d *Deliver) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Run sends deliveries until ctx is cancelled, then waits for the POSTs in
// flight and records their outcome.
func (d *Deliver) Run(ctx context.Context) error {
	var (
		wg    sync.WaitGroup
		slots = make(chan struct{}, d.opts.Concurrency)
		freed = make(chan struct{}, 1)
	)
	defer wg.Wait()
	t := time.NewTicker(d.opts.PollInterval)
	defer t.Stop()
	for {
		if free := cap(slots) - len(slots); free > 0 {
			claimed, err := d.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				d.log.Warn("unable to claim deliveries", "err", err)
			}
			for _, dl := range claimed {
				slots <- struct{}{}
				wg.Go(func() {
					defer func() {
						<-slots
						select {
						case freed <- struct{}{}:
						default:
						}
					}()
					d.attempt(ctx, dl)
				})
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.kick:
		case <-freed:
		case <-t.C:
		}
	}
}

func (d *Deliver) claim(ctx context.Context, limit int) ([]storage.Delivery, error) {
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	return d.db.ClaimDeliveries(ctx, d.opts.Owner, time.Now().UnixMilli(), d.opts.Lease, limit)
}

// attempt sends dl once and records the outcome: delivered, retry at a
// backoff (or the receiver's Retry-After), or failed. It owns the retry
// policy; send only says whether a failure is worth retrying.
func (d *Deliver) attempt(ctx context.Context, dl storage.Delivery) {
	// The rate-limit wait must end while the lease still covers the POST:
	// past it another instance may claim and send the same delivery.
	ch := d.channel(dl.URL)
	waitCtx, cancel := context.WithTimeout(ctx, d.opts.Lease-d.opts.Timeout-time.Second)
	err := ch.Wait(waitCtx, dl)
	cancel()
	if err != nil {
		// Shutting down, or the host's rate cannot fit this one into its
		// lease: the lease runs out and it is sent later, no attempt spent.
		d.metrics.results.WithLabelValues(resultCancelled).Inc()
		return
	}
	// A POST under way finishes even if shutdown begins: the receiver may
	// act on it, so its outcome must be recorded.
	work := context.WithoutCancel(ctx)
	start := time.Now()
	sendCtx, cancel := context.WithTimeout(work, d.opts.Timeout)
	retry, err := ch.Send(sendCtx, dl)
	cancel()
	d.metrics.latency.Observe(time.Since(start).Seconds())

	n := dl.Attempts + 1
	result := resultDelivered
	var rerr error
	switch {
	case err == nil:
		rerr = d.record(work, func(ctx context.Context) error { return d.db.MarkDelivered(ctx, dl.ID, d.opts.Owner) })
	case retry && n < d.opts.MaxAttempts:
		result = resultRetry
		next := time.Now().Add(d.backoff(n, err)).UnixMilli()
		rerr = d.record(work, func(ctx context.Context) error {
			return d.db.MarkAttemptFailed(ctx, dl.ID, d.opts.Owner, err.Error(), next, false)
		})
		d.log.Debug("delivery failed; will retry", "id", dl.ID, "attempt", n, "next_at", next, "err", err)
	default:
		result = resultFailed
		rerr = d.record(work, func(ctx context.Context) error {
			return d.db.MarkAttemptFailed(ctx, dl.ID, d.opts.Owner, err.Error(), time.Now().UnixMilli(), true)
		})
		d.log.Warn("delivery failed for good", "id", dl.ID, "kind", dl.Kind, "inquiry", dl.InquiryID, "attempts", n, "err", err)
	}
	switch {
	case errors.Is(rerr, storage.ErrLeaseLost):
		result = resultLost
		d.log.Warn("delivery lease lost before its outcome was recorded; it may be sent again", "id", dl.ID)
	case rerr != nil:
		result = resultStore
		d.log.Error("delivery outcome not recorded; it will be sent again after the lease", "id", dl.ID, "err", rerr)
	}
	d.metrics.results.WithLabelValues(result).Inc()
	if d.afterAttempt != nil {
		d.afterAttempt(dl, result)
	}
}

func (d *Deliver) record(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	return f(ctx)
}

// backoff is the delay after attempt n failed: MinBackoff doubling up to
// MaxBackoff, or longer when the receiver asked for it with Retry-After.
func (d *Deliver) backoff(n int, err error) time.Duration {
	wait := min(d.opts.MinBackoff<<min(n-1, 30), d.opts.MaxBackoff)
	if wait <= 0 { // shifted past int64
		wait = d.opts.MaxBackoff
	}
	var ra retryAfterError
	if errors.As(err, &ra) && ra.RetryAfter() > wait {
		wait = min(ra.RetryAfter(), maxRetryAfter)
	}
	return wait
}

// channel returns the Channel for rawURL's scheme: the webhook unless
// another channel takes that scheme.
func (d *Deliver) channel(rawURL string) Channel {
	if scheme, _, ok := strings.Cut(rawURL, ":"); ok && d.opts.Channels[scheme] != nil {
		return d.opts.Channels[scheme]
	}
	return d.webhook
}
