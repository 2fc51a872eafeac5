package loadgen

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode"

	"github.com/schollz/progressbar/v3"
)

// lateThreshold is how far behind the open-loop schedule a send may start
// before it counts as late, i.e. the workers, not the server, set the pace.
const lateThreshold = 10 * time.Millisecond

// maxBody caps how much of a response is kept for parsing; the rest is drained.
const maxBody = 64 * 1024

// Run sends the configured load to cfg.URL and measures it. With
// cfg.Baseline it first sends the same load to a bare in-process handler;
// with cfg.Verify it reads /v1/stats before and polls it afterwards.
// Progress bars are drawn on progress unless it is nil. When ctx is
// cancelled Run stops sending and returns what it measured with an error.
func Run(ctx context.Context, cfg Config, progress io.Writer) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	cfg = withDefaults(cfg)

	var baseline *Report
	if cfg.Baseline {
		b, err := runBaseline(ctx, cfg, progress)
		if err != nil {
			return Report{}, err
		}
		baseline = &b
		if b.Interrupted {
			return Report{Config: b.Config, Baseline: baseline, Interrupted: true},
				fmt.Errorf("loadgen: interrupted during the baseline run: %w", ctx.Err())
		}
	}

	var before Stats
	if cfg.Verify {
		var err error
		before, err = FetchStats(ctx, cfg.Client, cfg.URL, cfg.Token)
		if err != nil {
			return Report{Config: publicConfig(cfg), Baseline: baseline},
				fmt.Errorf("%w; the stored check needs them before the run (skip it with --no-verify)", err)
		}
	}

	rep := load(ctx, cfg, cfg.URL, false, progress)
	rep.Baseline = baseline
	if rep.Interrupted {
		return rep, fmt.Errorf("loadgen: interrupted: %w", ctx.Err())
	}
	if cfg.Verify {
		if progress != nil {
			fmt.Fprintf(progress, "verifying: waiting up to %s for %d accepted ids to be stored\n", cfg.VerifyTimeout, rep.UniqueIDs)
		}
		v, err := Verify(ctx, cfg, before, rep)
		rep.Verification = &v
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func withDefaults(cfg Config) Config {
	if len(cfg.Texts) == 0 {
		cfg.Texts = DefaultTexts
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Client == nil {
		cfg.Client = NewClient(cfg.Concurrency, cfg.RequestTimeout)
	}
	for cfg.Seed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:]) // never fails on supported platforms
		cfg.Seed = binary.LittleEndian.Uint64(b[:])
	}
	return cfg
}

// publicConfig is the copy kept in a Report: settings only, no data or client.
func publicConfig(cfg Config) Config {
	cfg.Texts = nil
	cfg.Client = nil
	cfg.Token = ""
	return cfg
}

// runBaseline serves a handler that does nothing but read the body and
// acknowledge, so the ratio to it shows what the real server costs.
func runBaseline(ctx context.Context, cfg Config, progress io.Writer) (Report, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Report{}, fmt.Errorf("loadgen: unable to start the baseline server: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(bareHandler), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	return load(ctx, cfg, "http://"+ln.Addr().String(), true, progress), nil
}

var bareAck = []byte(`{"id":"x","status":"accepted"}`)

func bareHandler(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write(bareAck)
}

// job is one request ready to send; its body was built before pacing so
// the send itself does no encoding.
type job struct {
	key  int64 // idempotency key number; duplicates reuse an earlier one
	dup  bool
	body []byte
	due  time.Time // when the open-loop schedule wants it sent; zero when unpaced
}

// result is what one request produced, kept compact because runs can be long.
type result struct {
	key        int64
	dup        bool
	status     int // 0 for a transport error
	latency    time.Duration
	lag        time.Duration
	id         string
	errCode    string
	retryAfter bool
	badBody    bool
	err        error
}

func load(ctx context.Context, cfg Config, base string, bare bool, progress io.Writer) Report {
	target := endpoint(base, "/v1/inquiries")
	bodies := newBodyBuilder(cfg)
	bar := newBar(progress, cfg, bare)

	jobs := make(chan job, cfg.Concurrency)
	start := time.Now()
	go generate(ctx, cfg, bodies, start, jobs)

	type workerOut struct {
		results  []result
		canceled int
		end      time.Time
	}
	outs := make([]workerOut, cfg.Concurrency)
	var wg sync.WaitGroup
	for w := range outs {
		wg.Go(func() {
			out := &outs[w]
			for j := range jobs {
				r, ok := send(ctx, cfg.Client, target, cfg.Token, j)
				if !ok {
					out.canceled++
					continue
				}
				out.results = append(out.results, r)
				out.end = time.Now()
				if bar != nil {
					_ = bar.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(progress)
	}

	rep := Report{Config: publicConfig(cfg), Target: base, Bare: bare, Start: start}
	rep.Config.URL = base
	var results []result
	end := start
	for _, o := range outs {
		results = append(results, o.results...)
		rep.Canceled += o.canceled
		if o.end.After(end) {
			end = o.end
		}
	}
	rep.Duration = end.Sub(start)
	rep.Interrupted = ctx.Err() != nil
	rep.tally(results)
	return rep
}

// generate paces jobs on an absolute schedule (start + i/rate) so a slow
// send is caught up on instead of silently lowering the offered rate.
func generate(ctx context.Context, cfg Config, bodies *bodyBuilder, start time.Time, jobs chan<- job) {
	defer close(jobs)
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	deadline := start.Add(cfg.Duration)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var nextKey int64
	for i := 0; cfg.Count == 0 || i < cfg.Count; i++ {
		j := job{key: nextKey}
		if nextKey > 0 && rng.Float64() < cfg.DupShare {
			j.key, j.dup = rng.Int64N(nextKey), true
		} else {
			nextKey++
		}
		j.body = bodies.build(j.key)

		if cfg.Rate > 0 {
			// Computed from i, not summed, so rounding never drifts the rate.
			j.due = start.Add(time.Duration(float64(i) * float64(time.Second) / cfg.Rate))
			if cfg.Duration > 0 && !j.due.Before(deadline) {
				return
			}
			if wait := time.Until(j.due); wait > 0 {
				timer.Reset(wait)
				select {
				case <-timer.C:
				case <-ctx.Done():
					return
				}
			}
		} else if cfg.Duration > 0 && !time.Now().Before(deadline) {
			return
		}
		select {
		case jobs <- j:
		case <-ctx.Done():
			return
		}
	}
}

// send performs one request; ok is false when cancellation cut it off, so
// an interrupted run does not report aborted requests as server errors.
func send(ctx context.Context, client *http.Client, target, token string, j job) (r result, ok bool) {
	r = result{key: j.key, dup: j.dup}
	sent := time.Now()
	if !j.due.IsZero() { // unpaced runs have no schedule to fall behind
		r.lag = sent.Sub(j.due)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(j.body))
	if err != nil {
		r.err = err
		return r, true
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return r, false
		}
		r.err = err
		return r, true
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	_, _ = io.Copy(io.Discard, resp.Body) // drain so the connection is reused
	resp.Body.Close()
	r.latency = time.Since(sent)
	if err != nil {
		if ctx.Err() != nil {
			return r, false
		}
		r.err = err
		return r, true
	}
	r.status = resp.StatusCode
	if r.status == http.StatusAccepted {
		var ack struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(body, &ack) != nil || ack.ID == "" {
			r.badBody = true
		}
		r.id = ack.ID
		return r, true
	}
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil {
		r.errCode = e.Error.Code
	}
	r.retryAfter = r.status == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != ""
	return r, true
}

func newBar(progress io.Writer, cfg Config, bare bool) *progressbar.ProgressBar {
	if progress == nil {
		return nil
	}
	total := int64(cfg.Count)
	if cfg.Duration > 0 {
		total = -1 // a spinner: the number of requests is not known up front
		if cfg.Rate > 0 {
			total = int64(cfg.Rate * cfg.Duration.Seconds())
		}
	}
	label := "server  "
	if bare {
		label = "baseline"
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(progress),
		progressbar.OptionSetDescription(label),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("req"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSpinnerType(14),
	)
}

// bodyBuilder makes the JSON body for a key number. The body depends only on
// the key, so a duplicate resends exactly what its original sent.
type bodyBuilder struct {
	seed      uint64
	source    []byte   // JSON-encoded once
	texts     [][]byte // JSON-encoded once
	locales   []string
	customers uint64
	keyPrefix string
	run       string
}

func newBodyBuilder(cfg Config) *bodyBuilder {
	b := &bodyBuilder{seed: cfg.Seed, customers: uint64(cfg.Customers)}
	b.source, _ = json.Marshal(cfg.Source) // strings always encode
	for _, t := range cfg.Texts {
		enc, _ := json.Marshal(t)
		b.texts = append(b.texts, enc)
		b.locales = append(b.locales, locale(t))
	}
	var id [6]byte
	_, _ = crand.Read(id[:])
	b.run = hex.EncodeToString(id[:])
	b.keyPrefix = "lg-" + b.run + "-"
	return b
}

func (b *bodyBuilder) build(key int64) []byte {
	h := mix(b.seed ^ uint64(key))
	t := int(h % uint64(len(b.texts)))
	buf := make([]byte, 0, 160+len(b.texts[t]))
	buf = append(buf, `{"source":`...)
	buf = append(buf, b.source...)
	buf = append(buf, `,"customer_id":"cust-`...)
	buf = strconv.AppendUint(buf, (h>>32)%b.customers, 10)
	buf = append(buf, `","text":`...)
	buf = append(buf, b.texts[t]...)
	buf = append(buf, `,"idempotency_key":"`...)
	buf = append(buf, b.keyPrefix...)
	buf = strconv.AppendInt(buf, key, 10)
	buf = append(buf, `","locale":"`...)
	buf = append(buf, b.locales[t]...)
	buf = append(buf, `","metadata":{"loadgen_run":"`...)
	buf = append(buf, b.run...)
	buf = append(buf, `"}}`...)
	return buf
}

// mix is splitmix64's finaliser: a cheap, well-spread hash of the key.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func locale(text string) string {
	for _, r := range text {
		if unicode.Is(unicode.Hangul, r) {
			return "ko"
		}
	}
	return "en"
}

// tally turns raw results into the report's counts and sorted latencies.
func (r *Report) tally(results []result) {
	r.Sent = len(results)
	r.Statuses = map[int]int{}
	r.ErrorCodes = map[string]int{}
	r.Latencies = make([]time.Duration, 0, len(results))
	ids := map[string]struct{}{}
	original := map[int64]string{} // key number -> id its original got
	for _, res := range results {
		if res.lag > lateThreshold {
			r.LateSends++
		}
		r.MaxLag = max(r.MaxLag, res.lag)
		if res.dup {
			r.Duplicates++
		}
		if res.err != nil {
			r.TransportErrors++
			if r.FirstTransportError == "" {
				r.FirstTransportError = res.err.Error()
			}
			continue
		}
		r.Latencies = append(r.Latencies, res.latency)
		r.Statuses[res.status]++
		switch {
		case res.status == http.StatusAccepted && res.badBody:
			r.BadBodies++
		case res.status == http.StatusAccepted:
			ids[res.id] = struct{}{}
			if !res.dup {
				original[res.key] = res.id
			}
		default:
			code := res.errCode
			if code == "" {
				code = "(no code)"
			}
			r.ErrorCodes[strconv.Itoa(res.status)+" "+code]++
		}
		if res.retryAfter {
			r.RetryAfter++
		}
	}
	r.UniqueIDs = len(ids)
	// Duplicates are compared only after all originals are known, because
	// a duplicate's response can arrive before its original's.
	for _, res := range results {
		if !res.dup || res.err != nil || res.status != http.StatusAccepted || res.badBody {
			continue
		}
		want, ok := original[res.key]
		switch {
		case !ok:
			// The original was not accepted, so this duplicate becomes the
			// reference for any later one with the same key.
			original[res.key] = res.id
			r.DuplicatesUnchecked++
		case want == res.id:
			r.DuplicatesMatched++
		default:
			r.DuplicateMismatches++
		}
	}
	slices.Sort(r.Latencies)
}
