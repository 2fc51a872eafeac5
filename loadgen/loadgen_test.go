package loadgen_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/loadgen"
)

func TestPercentile(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	ten := ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty is zero", nil, 50, 0},
		{"single value for any p", ms(7), 99, 7 * time.Millisecond},
		{"p50 of ten is the fifth", ten, 50, 5 * time.Millisecond},
		{"p90 of ten is the ninth", ten, 90, 9 * time.Millisecond},
		{"p99 of ten rounds up to the tenth", ten, 99, 10 * time.Millisecond},
		{"p100 is the max", ten, 100, 10 * time.Millisecond},
		{"p25 of four is the first", ms(10, 20, 30, 40), 25, 10 * time.Millisecond},
		{"p26 of four is the second", ms(10, 20, 30, 40), 26, 20 * time.Millisecond},
		{"p75 of four is the third", ms(10, 20, 30, 40), 75, 30 * time.Millisecond},
		{"tiny p is the min", ms(10, 20, 30, 40), 0.1, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := loadgen.Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(p%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestParseTexts(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{"tsv keeps the text column", "label\ttext\noutage\t결제가 안 돼요\nother\thello\n", []string{"결제가 안 돼요", "hello"}, ""},
		{"tsv splits on the first tab only", "label\ttext\na\tone\ttwo\n", []string{"one\ttwo"}, ""},
		{"tsv with CRLF and BOM", "\ufefflabel\ttext\r\na\tone\r\n\r\nb\ttwo\r\n", []string{"one", "two"}, ""},
		{"tsv skips empty lines", "label\ttext\n\na\tone\n   \nb\ttwo", []string{"one", "two"}, ""},
		{"plain lines", "first inquiry\nsecond inquiry\n", []string{"first inquiry", "second inquiry"}, ""},
		{"plain skips empty lines", "\nfirst\n\n\nsecond\n", []string{"first", "second"}, ""},
		{"a near-header is plain text", "label\ttexts\nx\ty\n", []string{"label\ttexts", "x\ty"}, ""},
		{"tsv row without tab", "label\ttext\na\tone\nno tab here\n", nil, "line 3: no tab"},
		{"tsv row with empty text", "label\ttext\na\t  \n", nil, "line 2: empty text"},
		{"header only", "label\ttext\n", nil, "no texts"},
		{"empty input", "", nil, "no texts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadgen.ParseTexts(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadTexts(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "surge.tsv")
	if err := os.WriteFile(path, []byte("label\ttext\noutage\t앱이 안 열려요\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := loadgen.ReadTexts(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"앱이 안 열려요"}) {
		t.Errorf("got %q", got)
	}

	_, err = loadgen.ReadTexts(filepath.Join(dir, "missing.tsv"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "loadgen: unable to read data") {
		t.Errorf("missing file: err = %v, want a loadgen read error wrapping ErrNotExist", err)
	}
}

// validConfig is a small run that passes Validate; cases change one thing.
func validConfig(url string) loadgen.Config {
	return loadgen.Config{
		URL:           url,
		Token:         testToken,
		Count:         200,
		Concurrency:   8,
		DupShare:      0.1,
		Source:        "loadgen",
		Customers:     50,
		VerifyTimeout: 5 * time.Second,
		Seed:          42,
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*loadgen.Config)
		wantErr string
	}{
		{"valid", func(*loadgen.Config) {}, ""},
		{"duration instead of count", func(c *loadgen.Config) { c.Count, c.Duration = 0, time.Second }, ""},
		{"neither count nor duration", func(c *loadgen.Config) { c.Count = 0 }, "positive count or a positive duration"},
		{"both count and duration", func(c *loadgen.Config) { c.Duration = time.Second }, "either a count or a duration"},
		{"negative count", func(c *loadgen.Config) { c.Count = -5 }, "count must be positive"},
		{"negative duration", func(c *loadgen.Config) { c.Count, c.Duration = 0, -time.Second }, "duration must be positive"},
		{"negative rate", func(c *loadgen.Config) { c.Rate = -1 }, "rate must be"},
		{"zero concurrency", func(c *loadgen.Config) { c.Concurrency = 0 }, "concurrency must be at least 1"},
		{"dup share of one", func(c *loadgen.Config) { c.DupShare = 1 }, "dup share"},
		{"negative dup share", func(c *loadgen.Config) { c.DupShare = -0.1 }, "dup share"},
		{"no customers", func(c *loadgen.Config) { c.Customers = 0 }, "customers"},
		{"blank source", func(c *loadgen.Config) { c.Source = " " }, "source is empty"},
		{"no token", func(c *loadgen.Config) { c.Token = "" }, "token is empty"},
		{"url without scheme", func(c *loadgen.Config) { c.URL = "127.0.0.1:8080" }, "bad url"},
		{"url with wrong scheme", func(c *loadgen.Config) { c.URL = "ftp://127.0.0.1" }, "scheme must be http or https"},
		{"url that does not parse", func(c *loadgen.Config) { c.URL = "http://[::1" }, "bad url"},
		{"url without host", func(c *loadgen.Config) { c.URL = "http://" }, "no host"},
		{"verify without timeout", func(c *loadgen.Config) { c.Verify, c.VerifyTimeout = true, 0 }, "verify timeout"},
		{"empty text", func(c *loadgen.Config) { c.Texts = []string{"ok", ""} }, "text 2 is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig("http://127.0.0.1:8080")
			tt.change(&cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "loadgen: ") {
				t.Fatalf("err = %v, want a loadgen error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRunAgainstFakeServer(t *testing.T) {
	tests := []struct {
		name      string
		failEvery int
		change    func(*loadgen.Config)
		wantSent  int
		wantDups  bool
		want503   bool
		uncheckOK bool // with 503s some originals are not accepted
	}{
		{"no duplicates", 0, func(c *loadgen.Config) { c.Count, c.DupShare = 500, 0 }, 500, false, false, false},
		{"a fifth duplicates", 0, func(c *loadgen.Config) { c.Count, c.DupShare = 1000, 0.2 }, 1000, true, false, false},
		{"503 with Retry-After every seventh", 7, func(c *loadgen.Config) { c.Count, c.DupShare = 700, 0.2 }, 700, true, true, true},
		{"single worker", 0, func(c *loadgen.Config) { c.Count, c.Concurrency = 200, 1 }, 200, true, false, false},
		{"paced duration sends the scheduled number", 0, func(c *loadgen.Config) {
			c.Count, c.Duration, c.Rate = 0, 200*time.Millisecond, 2000
		}, 400, true, false, false},
		{"custom texts", 0, func(c *loadgen.Config) { c.Texts = []string{"only \"quoted\" text\n"} }, 200, true, false, false},
		{"batches of 50", 0, func(c *loadgen.Config) { c.Count, c.Batch = 1000, 50 }, 1000, true, false, false},
		{"batches with a short last one and 503 items", 7, func(c *loadgen.Config) { c.Count, c.Batch, c.DupShare = 730, 100, 0.2 }, 730, true, true, true},
		{"paced batches", 0, func(c *loadgen.Config) {
			c.Count, c.Duration, c.Rate, c.Batch = 0, 200*time.Millisecond, 5000, 25
		}, 1000, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, url := newFakeServer(t, &fakeServer{failEvery: tt.failEvery})
			cfg := validConfig(url)
			tt.change(&cfg)
			rep, err := loadgen.Run(context.Background(), cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			requests, unavailable, bad, bodyChanged, issued := fake.count()
			if batches := fake.batchCount(); cfg.Batch > 0 && batches != (rep.Sent+cfg.Batch-1)/cfg.Batch || cfg.Batch == 0 && batches != 0 {
				t.Errorf("%d batch requests for %d inquiries, batch %d", batches, rep.Sent, cfg.Batch)
			}
			if rep.Sent != tt.wantSent || requests != tt.wantSent {
				t.Errorf("sent %d, server saw %d, want %d", rep.Sent, requests, tt.wantSent)
			}
			if bad != 0 || bodyChanged != 0 {
				t.Errorf("server saw %d invalid bodies and %d duplicates with a changed body", bad, bodyChanged)
			}
			if rep.TransportErrors != 0 || rep.BadBodies != 0 {
				t.Errorf("transport errors %d (%s), bad bodies %d", rep.TransportErrors, rep.FirstTransportError, rep.BadBodies)
			}
			if got := rep.Statuses[202] + rep.Statuses[503]; got != rep.Sent || len(rep.Latencies) != rep.Sent {
				t.Errorf("statuses %v and %d latencies do not add up to %d sent", rep.Statuses, len(rep.Latencies), rep.Sent)
			}
			if rep.Statuses[503] != unavailable || rep.RetryAfter != unavailable || rep.ErrorCodes["503 stream_unavailable"] != unavailable {
				t.Errorf("503s: statuses %d, with Retry-After %d, codes %v; server sent %d", rep.Statuses[503], rep.RetryAfter, rep.ErrorCodes, unavailable)
			}
			if tt.want503 != (unavailable > 0) {
				t.Errorf("server sent %d 503s", unavailable)
			}
			if repeated := fake.repeatedKeys(); rep.Duplicates != repeated {
				t.Errorf("duplicates %d, server saw %d repeated keys", rep.Duplicates, repeated)
			}
			if tt.wantDups != (rep.Duplicates > 0) {
				t.Errorf("duplicates %d with dup share %v", rep.Duplicates, cfg.DupShare)
			}
			if rep.UniqueIDs != issued {
				t.Errorf("unique ids %d, server issued %d", rep.UniqueIDs, issued)
			}
			if rep.DuplicateMismatches != 0 || (!tt.uncheckOK && rep.DuplicatesUnchecked != 0) {
				t.Errorf("mismatched %d, unchecked %d", rep.DuplicateMismatches, rep.DuplicatesUnchecked)
			}
			if !tt.want503 && rep.DuplicatesMatched != rep.Duplicates {
				t.Errorf("matched %d of %d duplicates", rep.DuplicatesMatched, rep.Duplicates)
			}
			if err := rep.Err(); err != nil {
				t.Errorf("Err() = %v", err)
			}
		})
	}
}

func TestRunCountsMismatchedDuplicates(t *testing.T) {
	fake, url := newFakeServer(t, &fakeServer{brokenDedup: true})
	cfg := validConfig(url)
	cfg.DupShare = 0.3
	rep, err := loadgen.Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Duplicates == 0 || rep.DuplicateMismatches != rep.Duplicates || rep.DuplicatesMatched != 0 {
		t.Fatalf("duplicates %d, mismatched %d, matched %d: every duplicate got a new id",
			rep.Duplicates, rep.DuplicateMismatches, rep.DuplicatesMatched)
	}
	if _, _, _, _, issued := fake.count(); rep.UniqueIDs != issued {
		t.Errorf("unique ids %d, server issued %d", rep.UniqueIDs, issued)
	}
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), "different id") {
		t.Errorf("Err() = %v, want the mismatch reported", err)
	}
	var out bytes.Buffer
	rep.Print(&out)
	if !strings.Contains(out.String(), "ERROR") {
		t.Errorf("report does not flag the mismatch:\n%s", out.String())
	}
}

func TestRunVerify(t *testing.T) {
	tests := []struct {
		name        string
		storeOnPoll int
		timeout     time.Duration
		wantPass    bool
		wantLine    string
	}{
		{"stats grow until all stored", 120, 20 * time.Second, true, "PASS every 202 was stored: "},
		{"nothing is ever stored", 0, 300 * time.Millisecond, false, "FAIL not every 202 was stored: 0 of "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, url := newFakeServer(t, &fakeServer{storeOnPoll: tt.storeOnPoll})
			cfg := validConfig(url)
			cfg.Count = 600
			cfg.Verify = true
			cfg.VerifyTimeout = tt.timeout
			rep, err := loadgen.Run(context.Background(), cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			v := rep.Verification
			if v == nil {
				t.Fatal("no verification in the report")
			}
			_, _, _, _, issued := fake.count()
			if v.Want != issued || v.Want != rep.UniqueIDs {
				t.Errorf("verification wants %d, server issued %d, report has %d unique ids", v.Want, issued, rep.UniqueIDs)
			}
			if v.Passed() != tt.wantPass || (rep.Err() == nil) != tt.wantPass {
				t.Errorf("passed %v, Err() = %v; want pass %v", v.Passed(), rep.Err(), tt.wantPass)
			}
			if tt.wantPass && (v.Grown() < int64(v.Want) || v.After.Pending != 0 || v.StoredRate() <= 0) {
				t.Errorf("passed with growth %d of %d, pending %d, stored rate %v", v.Grown(), v.Want, v.After.Pending, v.StoredRate())
			}
			var out bytes.Buffer
			rep.Print(&out)
			if !strings.Contains(out.String(), tt.wantLine) || !strings.Contains(out.String(), "counts growth") {
				t.Errorf("report lacks %q or the growth note:\n%s", tt.wantLine, out.String())
			}
		})
	}
}

func TestRunNeedsStatsBeforeVerifying(t *testing.T) {
	_, url := newFakeServer(t, &fakeServer{})
	cfg := validConfig(url)
	cfg.Verify = true
	cfg.Token = "wrong"
	_, err := loadgen.Run(context.Background(), cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "stored check needs them before the run") {
		t.Errorf("err = %v, want the stats read reported", err)
	}
}

func TestRunWithBaseline(t *testing.T) {
	fake, url := newFakeServer(t, &fakeServer{})
	cfg := validConfig(url)
	cfg.Count = 300
	cfg.Baseline = true
	var progress bytes.Buffer
	rep, err := loadgen.Run(context.Background(), cfg, &progress)
	if err != nil {
		t.Fatal(err)
	}
	b := rep.Baseline
	if b == nil || !b.Bare || b.Sent != 300 || b.Statuses[202] != 300 {
		t.Fatalf("baseline report = %+v, want 300 accepted by the bare handler", b)
	}
	if requests, _, _, _, _ := fake.count(); requests != 300 || rep.Sent != 300 {
		t.Errorf("server saw %d and report has %d requests, want 300: the baseline must not hit the server", requests, rep.Sent)
	}
	var out bytes.Buffer
	rep.Print(&out)
	for _, want := range []string{"baseline", "server", "server/baseline: throughput", "p99 latency", "latency p99"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(progress.String(), "baseline") {
		t.Errorf("no baseline progress bar drawn: %q", progress.String())
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The server itself cancels the run once it has seen enough requests,
	// so the test does not depend on timing.
	_, url := newFakeServer(t, &fakeServer{onRequest: func(n int) {
		if n == 150 {
			cancel()
		}
	}})
	cfg := validConfig(url)
	cfg.Count = 2000
	rep, err := loadgen.Run(ctx, cfg, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !rep.Interrupted || rep.Sent == 0 || rep.Sent >= 2000 {
		t.Errorf("interrupted %v with %d sent, want a partial run", rep.Interrupted, rep.Sent)
	}
	var out bytes.Buffer
	rep.Print(&out)
	if !strings.Contains(out.String(), "interrupted") || !strings.Contains(out.String(), "requests sent") {
		t.Errorf("partial report missing:\n%s", out.String())
	}
}

// In batch mode both baselines count inquiries: the bare handler answers a
// result per item, and JetStream alone publishes as many messages.
func TestRunBatchWithBaselines(t *testing.T) {
	fake, url := newFakeServer(t, &fakeServer{})
	cfg := validConfig(url)
	cfg.Count, cfg.Batch, cfg.DupShare = 500, 50, 0
	cfg.Baseline, cfg.JetStreamBaseline = true, true
	rep, err := loadgen.Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := rep.Baseline; b == nil || b.Sent != 500 || b.Statuses[202] != 500 {
		t.Fatalf("baseline report = %+v, want 500 accepted items", b)
	}
	if j := rep.JetStream; j == nil || j.Messages != 500 || j.Rate() <= 0 {
		t.Fatalf("jetstream baseline = %+v, want 500 messages at a positive rate", j)
	}
	if requests, _, _, _, _ := fake.count(); requests != 500 || fake.batchCount() != 10 {
		t.Errorf("server saw %d inquiries in %d batches, want 500 in 10", requests, fake.batchCount())
	}
	var out bytes.Buffer
	rep.Print(&out)
	for _, want := range []string{"batch 50 per request", "jetstream alone", "server accepted/jetstream"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
