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

// maxBody caps how much of a response is kept for parsing; the rest is
// drained. A batch's answer holds a result per item.
const maxBody = 4 << 20

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

	var js *JetStreamRate
	if cfg.JetStreamBaseline {
		j, err := measureJetStream(ctx, cfg, progress)
		if err != nil {
			return Report{Config: publicConfig(cfg), Baseline: baseline}, err
		}
		js = &j
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
	rep.JetStream = js
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
	h := http.HandlerFunc(bareHandler)
	if cfg.Batch > 0 {
		h = bareBatchHandler(cfg.Batch)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
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

// bareBatchHandler answers a batch of n as the server would when it
// accepts every item, so the baseline parses a result per item too.
func bareBatchHandler(n int) http.HandlerFunc {
	body := []byte(`{"accepted":` + strconv.Itoa(n) + `,"rejected":0,"unavailable":0,"results":[`)
	for i := range n {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"id":"x","status":"accepted"}`...)
	}
	body = append(body, "]}"...)
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}
}

// job is one request ready to send, of one inquiry or, with --batch, of
// several; its body was built before pacing so the send itself does no
// encoding.
type job struct {
	keys []int64 // idempotency key numbers; duplicates reuse an earlier one
	dups []bool
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
	if cfg.Batch > 0 {
		target = endpoint(base, "/v1/inquiries:batch")
	}
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
				rs, ok := send(ctx, cfg.Client, target, cfg.Token, j, cfg.Batch > 0)
				if !ok {
					out.canceled += len(j.keys)
					continue
				}
				out.results = append(out.results, rs...)
				out.end = time.Now()
				if bar != nil {
					_ = bar.Add(len(rs))
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

// generate paces jobs on an absolute schedule (start + i/rate, i counting
// inquiries) so a slow send is caught up on instead of silently lowering
// the offered rate.
func generate(ctx context.Context, cfg Config, bodies *bodyBuilder, start time.Time, jobs chan<- job) {
	defer close(jobs)
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	deadline := start.Add(cfg.Duration)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	per := max(cfg.Batch, 1)
	var nextKey int64
	for i := 0; cfg.Count == 0 || i < cfg.Count; i += per {
		n := per
		if cfg.Count > 0 {
			n = min(n, cfg.Count-i)
		}
		j := job{keys: make([]int64, n), dups: make([]bool, n)}
		for k := range n {
			j.keys[k] = nextKey
			if nextKey > 0 && rng.Float64() < cfg.DupShare {
				j.keys[k], j.dups[k] = rng.Int64N(nextKey), true
			} else {
				nextKey++
			}
		}
		if cfg.Batch > 0 {
			j.body = bodies.buildBatch(j.keys)
		} else {
			j.body = bodies.build(j.keys[0])
		}

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

// send performs one request and returns a result per inquiry in it; ok is
// false when cancellation cut it off, so an interrupted run does not
// report aborted requests as server errors. A batch item's result is
// counted like a single request's answer: accepted as 202, rejected as
// 400 and unavailable as 503, each with its error code.
func send(ctx context.Context, client *http.Client, target, token string, j job, batch bool) (rs []result, ok bool) {
	rs = make([]result, len(j.keys))
	for k := range rs {
		rs[k] = result{key: j.keys[k], dup: j.dups[k]}
	}
	every := func(f func(r *result)) []result {
		for k := range rs {
			f(&rs[k])
		}
		return rs
	}
	sent := time.Now()
	if !j.due.IsZero() { // unpaced runs have no schedule to fall behind
		lag := sent.Sub(j.due)
		every(func(r *result) { r.lag = lag })
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(j.body))
	if err != nil {
		return every(func(r *result) { r.err = err }), true
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false
		}
		return every(func(r *result) { r.err = err }), true
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	_, _ = io.Copy(io.Discard, resp.Body) // drain so the connection is reused
	resp.Body.Close()
	latency := time.Since(sent)
	every(func(r *result) { r.latency = latency })
	if err != nil {
		if ctx.Err() != nil {
			return nil, false
		}
		return every(func(r *result) { r.err = err }), true
	}
	retryAfter := resp.Header.Get("Retry-After") != ""
	if batch && resp.StatusCode == http.StatusOK {
		var ack struct {
			Results []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
				Error  struct {
					Code string `json:"code"`
				} `json:"error"`
			} `json:"results"`
		}
		if json.Unmarshal(body, &ack) != nil || len(ack.Results) != len(rs) {
			return every(func(r *result) { r.status, r.badBody = http.StatusAccepted, true }), true
		}
		for k, a := range ack.Results {
			r := &rs[k]
			switch a.Status {
			case "accepted":
				r.status, r.id, r.badBody = http.StatusAccepted, a.ID, a.ID == ""
			case "unavailable":
				r.status, r.errCode, r.retryAfter = http.StatusServiceUnavailable, a.Error.Code, retryAfter
			default:
				r.status, r.errCode = http.StatusBadRequest, a.Error.Code
			}
		}
		return rs, true
	}
	status := resp.StatusCode
	if status == http.StatusAccepted && !batch {
		var ack struct {
			ID string `json:"id"`
		}
		bad := json.Unmarshal(body, &ack) != nil || ack.ID == ""
		return every(func(r *result) { r.status, r.id, r.badBody = status, ack.ID, bad }), true
	}
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	return every(func(r *result) {
		r.status, r.errCode = status, e.Error.Code
		r.retryAfter = status == http.StatusServiceUnavailable && retryAfter
	}), true
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

// buildBatch makes the body of one batch request: {"inquiries": [...]}.
func (b *bodyBuilder) buildBatch(keys []int64) []byte {
	buf := make([]byte, 0, len(keys)*256)
	buf = append(buf, `{"inquiries":[`...)
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, b.build(k)...)
	}
	return append(buf, "]}"...)
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
