package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/surgedesk/surgedesk/loadgen"
)

// runLoadgen sends inquiries to a running server and reports throughput,
// latency and whether every accepted inquiry was stored.
func runLoadgen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("loadgen", stderr)
	cfg := loadgen.Config{}
	var data string
	var quiet, noVerify bool
	fs.StringVar(&cfg.URL, "url", loadgen.DefaultURL, "server base `URL`")
	fs.StringVar(&cfg.Token, "token", os.Getenv("SURGEDESK_ADMIN_TOKEN"), "bearer `token` (default $SURGEDESK_ADMIN_TOKEN)")
	fs.StringVar(&data, "data", "", "`file` of texts: a TSV with header \"label<TAB>text\" or one text per line (default: built-in Korean and English outage texts)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "requests per second, open loop; 0 sends as fast as possible")
	fs.IntVar(&cfg.Count, "count", loadgen.DefaultCount, "number of requests to send (exclusive with --duration)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "how long to send (exclusive with --count)")
	fs.IntVar(&cfg.Batch, "batch", 0, "send `N` inquiries per request to POST /v1/inquiries:batch (0: one per POST /v1/inquiries); --rate and --count count inquiries")
	fs.IntVar(&cfg.Concurrency, "concurrency", loadgen.DefaultConcurrency, "requests in flight at most")
	fs.Float64Var(&cfg.DupShare, "dup-share", loadgen.DefaultDupShare, "share of requests that reuse an earlier idempotency key")
	fs.StringVar(&cfg.Source, "source", loadgen.DefaultSource, "inquiry source field")
	fs.IntVar(&cfg.Customers, "customers", loadgen.DefaultCustomers, "number of distinct customer ids to draw from")
	fs.BoolVar(&cfg.Baseline, "baseline", false, "first run the same load against a bare in-process handler and compare")
	fs.BoolVar(&cfg.JetStreamBaseline, "jetstream-baseline", false, "first publish as many messages asynchronously to an embedded JetStream in this process and compare")
	fs.BoolVar(&noVerify, "no-verify", false, "skip checking /v1/stats that every 202 was stored")
	fs.DurationVar(&cfg.VerifyTimeout, "verify-timeout", loadgen.DefaultVerifyTimeout, "how long to wait for every 202 to be stored")
	fs.BoolVar(&quiet, "quiet", false, "no progress bar")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "surgedesk loadgen: unexpected arguments %q\n", fs.Args())
		return errUsage
	}
	// --duration replaces the default count; both given explicitly is an error Validate reports.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["duration"] && !set["count"] {
		cfg.Count = 0
	}
	cfg.Verify = !noVerify

	if data != "" {
		texts, err := loadgen.ReadTexts(data)
		if err != nil {
			return err
		}
		cfg.Texts = texts
	}
	if err := cfg.Validate(); err != nil {
		return err
	}

	var progress io.Writer
	if !quiet && isTerminal(stderr) {
		progress = stderr
	}
	rep, err := loadgen.Run(ctx, cfg, progress)
	if rep.Sent > 0 || rep.Baseline != nil {
		rep.Print(stdout)
	}
	if err != nil {
		return err
	}
	return rep.Err()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
