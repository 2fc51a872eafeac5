package workers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/surgedesk/surgedesk/storage"
)

// signatureHeader is the header intake checks (web.SignatureHeader);
// replies are signed the same way so that a source verifies both alike.
const signatureHeader = "X-Surgedesk-Signature"

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
	// Channels deliver to reply URLs of their scheme ("slack") instead of
	// a POST; leasing, retries and statuses stay this worker's.
	Channels map[string]Channel
}

// Channel sends the deliveries of one reply_url scheme, such as Slack
// threads. It keeps that channel's own rate limits in Wait; a failure whose
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

// errPrivateAddress refuses a reply to a non-public address; it is final.
var errPrivateAddress = errors.New("workers: reply url resolves to a non-public address")

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

	mu       sync.Mutex
	limiters map[string]*rate.Limiter // by host

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
	return &Deliver{db: db, opts: opts.withDefaults(), log: log, metrics: m, kick: make(chan struct{}, 1), limiters: map[string]*rate.Limiter{}}
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
	var err error
	if ch != nil {
		err = ch.Wait(waitCtx, dl)
	} else {
		err = d.wait(waitCtx, dl.URL)
	}
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
	var retry bool
	if ch != nil {
		sendCtx, cancel := context.WithTimeout(work, d.opts.Timeout)
		retry, err = ch.Send(sendCtx, dl)
		cancel()
	} else {
		retry, err = d.send(work, dl)
	}
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

// channel returns the Channel for rawURL's scheme, or nil for a POST.
func (d *Deliver) channel(rawURL string) Channel {
	scheme, _, ok := strings.Cut(rawURL, ":")
	if !ok || len(d.opts.Channels) == 0 {
		return nil
	}
	return d.opts.Channels[scheme]
}

// wait takes a token from the receiving host's rate limiter.
func (d *Deliver) wait(ctx context.Context, rawURL string) error {
	host := rawURL
	if u, err := url.Parse(rawURL); err == nil {
		host = u.Host
	}
	d.mu.Lock()
	l, ok := d.limiters[host]
	if !ok {
		l = rate.NewLimiter(rate.Limit(d.opts.RatePerHost), d.opts.BurstPerHost)
		d.limiters[host] = l
	}
	d.mu.Unlock()
	return l.Wait(ctx)
}

// payload is the JSON body of a delivery POST.
type payload struct {
	ID            string `json:"id"`
	Kind          string `json:"kind"`
	InquiryID     string `json:"inquiry_id"`
	IncidentID    string `json:"incident_id"`
	UpdateVersion int    `json:"update_version"`
	Locale        string `json:"locale"`
	Text          string `json:"text"`
}

// statusError is a receiver's non-2xx answer.
type statusError struct {
	code       int
	retryAfter time.Duration
}

// RetryAfter is the receiver's Retry-After, 0 if none.
func (e *statusError) RetryAfter() time.Duration { return e.retryAfter }

func (e *statusError) Error() string {
	return fmt.Sprintf("workers: receiver answered %d %s", e.code, http.StatusText(e.code))
}

// send POSTs dl once. It reports whether a failure may succeed later: a
// network error, 429 or 5xx may; another status will not.
func (d *Deliver) send(ctx context.Context, dl storage.Delivery) (retry bool, err error) {
	body, err := json.Marshal(payload{ID: dl.ID, Kind: dl.Kind, InquiryID: dl.InquiryID, IncidentID: dl.IncidentID,
		UpdateVersion: dl.UpdateVersion, Locale: dl.Locale, Text: dl.Text})
	if err != nil {
		return false, fmt.Errorf("workers: unable to encode delivery: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("workers: bad reply url: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "surgedesk")
	secret, ok := d.opts.Secrets[dl.Source]
	if !ok || secret == "" {
		secret = d.opts.Secret
	}
	if secret != "" {
		req.Header.Set(signatureHeader, signatureValue([]byte(secret), time.Now(), body))
	}
	resp, err := d.opts.Client.Do(req)
	if err != nil {
		// Reply URLs often carry tokens: keep them out of logs, last_error
		// and the notifications API.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = withoutSecrets(ue.URL)
		}
		if errors.Is(err, errPrivateAddress) {
			return false, fmt.Errorf("workers: unable to post delivery: %w", err)
		}
		return true, fmt.Errorf("workers: unable to post delivery: %w", err)
	}
	// Drained so the connection is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	se := &statusError{code: resp.StatusCode, retryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500, se
}

// retryAfter parses Retry-After: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// signatureValue is "t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>",
// as intake expects of sources (web.SignatureValue).
func signatureValue(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// withoutSecrets drops the user info and query of a URL.
func withoutSecrets(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable url)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
