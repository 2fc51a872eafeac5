package loadgen

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what one load run measured.
type Report struct {
	Config Config    // settings of the run, without texts, client or token
	Target string    // base URL the load was sent to
	Bare   bool      // the target was the bare baseline handler, so ids mean nothing
	Start  time.Time // when the first request was scheduled

	Sent     int           // requests that got a response or a transport error
	Canceled int           // requests cut off by cancellation, counted nowhere else
	Duration time.Duration // first request to last response

	Latencies       []time.Duration // of every response, sorted ascending
	Statuses        map[int]int     // responses by HTTP status
	ErrorCodes      map[string]int  // non-202 responses by "status error.code"
	TransportErrors int             // requests that got no HTTP response
	// FirstTransportError explains the transport errors by example.
	FirstTransportError string
	BadBodies           int // 202 responses without a readable id
	RetryAfter          int // 503 responses that carried Retry-After

	UniqueIDs           int // distinct ids in 202 responses
	Duplicates          int // requests that reused an earlier idempotency key
	DuplicatesMatched   int // accepted duplicates that got their original's id
	DuplicateMismatches int // accepted duplicates that got a different id: a server bug
	DuplicatesUnchecked int // accepted duplicates whose original was not accepted

	LateSends int           // sends more than 10ms behind the open-loop schedule
	MaxLag    time.Duration // worst delay of a send behind the schedule

	Interrupted bool // cancellation stopped the run early

	Baseline     *Report        // the same load against the bare handler, if asked for
	JetStream    *JetStreamRate // JetStream's own async publish rate, if asked for
	Verification *Verification  // the stored check, if asked for
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted latencies: the smallest value with at least p% of values at or below it.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Accepted is the number of 202 responses.
func (r Report) Accepted() int { return r.Statuses[202] }

// AchievedRate is requests per second over the run.
func (r Report) AchievedRate() float64 { return perSecond(r.Sent, r.Duration) }

// AcceptedRate is 202 responses per second over the run.
func (r Report) AcceptedRate() float64 { return perSecond(r.Accepted(), r.Duration) }

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Err reports what makes the run a failure: nothing accepted, duplicates
// answered with a new id, or accepted inquiries the server did not store.
func (r Report) Err() error {
	var errs []error
	if r.Sent > 0 && r.Accepted() == 0 {
		errs = append(errs, errors.New("loadgen: no request was accepted"))
	}
	if r.DuplicateMismatches > 0 {
		errs = append(errs, fmt.Errorf("loadgen: %d duplicate keys came back with a different id than their original", r.DuplicateMismatches))
	}
	if v := r.Verification; v != nil && !v.Passed() {
		errs = append(errs, fmt.Errorf("loadgen: verification failed: %s", v.summary()))
	}
	return errors.Join(errs...)
}

// Print writes the report as a table; with a baseline, both side by side.
func (r Report) Print(w io.Writer) {
	c := r.Config
	amount := fmt.Sprintf("count %d", c.Count)
	if c.Duration > 0 {
		amount = "duration " + c.Duration.String()
	}
	pace := "unlimited rate"
	if c.Rate > 0 {
		pace = fmt.Sprintf("rate %s/s", num(c.Rate))
	}
	batch := ""
	if c.Batch > 0 {
		batch = fmt.Sprintf(", batch %d per request (rates and counts are of inquiries)", c.Batch)
	}
	fmt.Fprintf(w, "loadgen: %s, %s, concurrency %d, dup share %s%s\n", amount, pace, c.Concurrency, num(c.DupShare), batch)
	if r.Interrupted || (r.Baseline != nil && r.Baseline.Interrupted) {
		fmt.Fprintln(w, "interrupted: figures cover only what was sent before the stop")
	}
	fmt.Fprintln(w)

	reports := []Report{r}
	if r.Baseline != nil {
		reports = []Report{*r.Baseline, r}
		if r.Sent == 0 {
			reports = reports[:1] // the server run never started
		}
	}
	printTable(w, reports)

	if b := r.Baseline; b != nil && len(reports) == 2 {
		fmt.Fprintf(w, "\nserver/baseline: throughput %s (accepted %s), p99 latency %s\n",
			ratio(r.AchievedRate(), b.AchievedRate()),
			ratio(r.AcceptedRate(), b.AcceptedRate()),
			ratio(float64(Percentile(r.Latencies, 99)), float64(Percentile(b.Latencies, 99))))
	}
	if j := r.JetStream; j != nil && r.Sent > 0 {
		fmt.Fprintf(w, "\njetstream alone (embedded, async publish, %d messages): %.1f msg/s; server accepted/jetstream %s",
			j.Messages, j.Rate(), ratio(r.AcceptedRate(), j.Rate()))
		if v := r.Verification; v != nil && v.Settled {
			fmt.Fprintf(w, ", stored/jetstream %s", ratio(v.StoredRate(), j.Rate()))
		}
		fmt.Fprintln(w)
	}
	for _, rep := range reports {
		rep.printProblems(w, len(reports) > 1)
	}
	if r.Bare || r.Sent == 0 {
		return
	}
	fmt.Fprintf(w, "\nids: %d unique accepted; %d duplicate keys sent, %d matched their original's id, %d mismatched",
		r.UniqueIDs, r.Duplicates, r.DuplicatesMatched, r.DuplicateMismatches)
	if r.DuplicatesUnchecked > 0 {
		fmt.Fprintf(w, ", %d unchecked (original not accepted)", r.DuplicatesUnchecked)
	}
	fmt.Fprintln(w)
	if r.DuplicateMismatches > 0 {
		fmt.Fprintf(w, "ERROR %d duplicates got a different id: the server stored one inquiry twice\n", r.DuplicateMismatches)
	}
	if v := r.Verification; v != nil {
		fmt.Fprintln(w)
		v.print(w)
	}
}

func printTable(w io.Writer, reports []Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label string, cell func(Report) string) {
		fmt.Fprintf(tw, "%-22s\t", label) // padded so labels stay left-aligned
		for _, rep := range reports {
			fmt.Fprint(tw, cell(rep)+"\t")
		}
		fmt.Fprintln(tw)
	}
	head := func(rep Report) string {
		if rep.Bare {
			return "baseline"
		}
		return "server"
	}
	pct := func(p float64) func(Report) string {
		return func(rep Report) string { return ms(Percentile(rep.Latencies, p)) }
	}
	row("", head)
	row("requests sent", func(rep Report) string { return strconv.Itoa(rep.Sent) })
	row("duration", func(rep Report) string { return rep.Duration.Round(time.Millisecond).String() })
	row("achieved rate (req/s)", func(rep Report) string { return fmt.Sprintf("%.1f", rep.AchievedRate()) })
	row("accepted rate (202/s)", func(rep Report) string { return fmt.Sprintf("%.1f", rep.AcceptedRate()) })
	row("latency p50", pct(50))
	row("latency p90", pct(90))
	row("latency p99", pct(99))
	row("latency max", pct(100))
	statuses := map[int]bool{}
	for _, rep := range reports {
		for s := range rep.Statuses {
			statuses[s] = true
		}
	}
	codes := make([]int, 0, len(statuses))
	for s := range statuses {
		codes = append(codes, s)
	}
	sort.Ints(codes)
	for _, s := range codes {
		row("status "+strconv.Itoa(s), func(rep Report) string { return strconv.Itoa(rep.Statuses[s]) })
	}
	row("transport errors", func(rep Report) string { return strconv.Itoa(rep.TransportErrors) })
	row("503 with Retry-After", func(rep Report) string { return strconv.Itoa(rep.RetryAfter) })
	row("late sends (>10ms)", func(rep Report) string {
		if rep.Config.Rate == 0 {
			return "-" // no schedule when unpaced
		}
		return strconv.Itoa(rep.LateSends)
	})
	_ = tw.Flush()
}

// printProblems explains error figures that the table only counts.
func (r Report) printProblems(w io.Writer, named bool) {
	who := ""
	if named {
		who = "server: "
		if r.Bare {
			who = "baseline: "
		}
	}
	if len(r.ErrorCodes) > 0 {
		keys := make([]string, 0, len(r.ErrorCodes))
		for k := range r.ErrorCodes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s ×%d", k, r.ErrorCodes[k])
		}
		fmt.Fprintf(w, "%serror codes: %s\n", who, strings.Join(parts, ", "))
	}
	if r.FirstTransportError != "" {
		fmt.Fprintf(w, "%sfirst transport error: %s\n", who, r.FirstTransportError)
	}
	if r.BadBodies > 0 {
		fmt.Fprintf(w, "%s%d responses were 202 without a readable id\n", who, r.BadBodies)
	}
	if r.LateSends > 0 {
		fmt.Fprintf(w, "%s%d sends started more than 10ms late (worst %s): all workers were busy, so raise --concurrency or the latency figures understate queueing\n",
			who, r.LateSends, ms(r.MaxLag))
	}
	if r.Canceled > 0 {
		fmt.Fprintf(w, "%s%d requests in flight were cancelled and are not counted\n", who, r.Canceled)
	}
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

func ratio(ours, baseline float64) string {
	if baseline == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", ours/baseline)
}

// num prints a float without trailing zeros.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
