// Package loadgen sends inquiries to a surgedesk server and reports
// throughput, acknowledgement latency and whether every accepted inquiry
// was stored.
package loadgen

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults used by the CLI and by Run for zero fields where a zero is meaningless.
const (
	DefaultURL           = "http://127.0.0.1:8080"
	DefaultCount         = 10000
	DefaultConcurrency   = 64
	DefaultDupShare      = 0.05
	DefaultSource        = "loadgen"
	DefaultCustomers     = 1000
	DefaultVerifyTimeout = 60 * time.Second
	// DefaultRequestTimeout bounds one request so a hung server cannot stall a run forever.
	DefaultRequestTimeout = 30 * time.Second
	// MaxBatch is the largest --batch: the server's intake.max_batch_items
	// may be raised up to it.
	MaxBatch = 10000
)

// Config describes one load run.
type Config struct {
	URL   string // server base URL, e.g. http://127.0.0.1:8080
	Token string // bearer token for /v1/inquiries and /v1/stats

	Texts []string // inquiry texts to draw from; nil means DefaultTexts

	Rate        float64       // requests per second, open loop; 0 sends as fast as the workers allow
	Count       int           // requests to send; exclusive with Duration
	Duration    time.Duration // how long to send; exclusive with Count
	Concurrency int           // requests in flight at most
	// Batch, when positive, sends inquiries Batch at a time to
	// POST /v1/inquiries:batch; Rate and Count still count inquiries.
	Batch     int
	DupShare  float64 // share of requests that reuse an earlier idempotency key
	Source    string  // "source" field of every inquiry
	Customers int     // distinct customer ids to draw from

	Baseline bool // first run the same load against a bare in-process handler
	// JetStreamBaseline first publishes as many messages asynchronously to
	// an embedded JetStream in this process, for the ratio to JetStream's
	// own rate.
	JetStreamBaseline bool
	Verify            bool          // check /v1/stats until every accepted inquiry is stored
	VerifyTimeout     time.Duration // how long Verify waits for the server to catch up

	RequestTimeout time.Duration // per request; 0 means DefaultRequestTimeout
	Seed           uint64        // seeds text, customer and duplicate choices; 0 picks one at random
	Client         *http.Client  // nil means NewClient(Concurrency, RequestTimeout)
}

// Validate reports the first setting that makes the run impossible or meaningless.
func (c Config) Validate() error {
	if err := validateURL(c.URL); err != nil {
		return err
	}
	if c.Token == "" {
		return errors.New("loadgen: token is empty; the server requires a bearer token")
	}
	switch {
	case c.Count < 0:
		return fmt.Errorf("loadgen: count must be positive, got %d", c.Count)
	case c.Duration < 0:
		return fmt.Errorf("loadgen: duration must be positive, got %s", c.Duration)
	case c.Count > 0 && c.Duration > 0:
		return errors.New("loadgen: set either a count or a duration, not both")
	case c.Count == 0 && c.Duration == 0:
		return errors.New("loadgen: set a positive count or a positive duration")
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		return fmt.Errorf("loadgen: rate must be 0 (unlimited) or a positive number of requests per second, got %v", c.Rate)
	}
	if c.Concurrency < 1 {
		return fmt.Errorf("loadgen: concurrency must be at least 1, got %d", c.Concurrency)
	}
	if c.Batch < 0 || c.Batch > MaxBatch {
		return fmt.Errorf("loadgen: batch must be between 0 (single requests) and %d, got %d", MaxBatch, c.Batch)
	}
	if !(c.DupShare >= 0 && c.DupShare < 1) {
		return fmt.Errorf("loadgen: dup share must be in [0, 1), got %v", c.DupShare)
	}
	if strings.TrimSpace(c.Source) == "" {
		return errors.New("loadgen: source is empty")
	}
	if c.Customers < 1 {
		return fmt.Errorf("loadgen: customers must be at least 1, got %d", c.Customers)
	}
	if c.Verify && c.VerifyTimeout <= 0 {
		return fmt.Errorf("loadgen: verify timeout must be positive, got %s", c.VerifyTimeout)
	}
	if c.RequestTimeout < 0 {
		return fmt.Errorf("loadgen: request timeout must be positive, got %s", c.RequestTimeout)
	}
	for i, t := range c.Texts {
		if strings.TrimSpace(t) == "" {
			return fmt.Errorf("loadgen: text %d is empty", i+1)
		}
	}
	return nil
}

func validateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("loadgen: bad url %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("loadgen: bad url %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("loadgen: bad url %q: no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("loadgen: bad url %q: want a base URL without query or fragment", raw)
	}
	return nil
}

// endpoint joins the base URL and an API path, tolerating a trailing slash.
func endpoint(base, path string) string {
	return strings.TrimRight(base, "/") + path
}

// NewClient returns a keep-alive client that can hold one idle connection
// per worker, so steady load never pays for new TCP handshakes.
func NewClient(concurrency int, timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	idle := max(concurrency, 1) + 8 // a little headroom for stats polling
	tr := &http.Transport{
		Proxy: nil, // a load test must hit the target directly
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          idle * 2, // baseline and server hosts share the client
		MaxIdleConnsPerHost:   idle,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}
