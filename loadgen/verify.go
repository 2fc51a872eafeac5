package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// pollInterval is how often Verify reads /v1/stats; it bounds how precisely
// the moment "all stored" and so the stored rate are known.
const pollInterval = 100 * time.Millisecond

// Stats are the server's counters from GET /v1/stats.
type Stats struct {
	Accepted     int64 `json:"accepted"`
	Stored       int64 `json:"stored"`
	DeadLettered int64 `json:"dead_lettered"`
	Pending      int64 `json:"pending"` // accepted but neither stored nor dead-lettered yet
}

// FetchStats reads the server's counters.
func FetchStats(ctx context.Context, client *http.Client, baseURL, token string) (Stats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint(baseURL, "/v1/stats"), nil)
	if err != nil {
		return Stats{}, fmt.Errorf("loadgen: unable to read stats: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return Stats{}, fmt.Errorf("loadgen: unable to read stats: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	_, _ = io.Copy(io.Discard, resp.Body) // drain so the connection is reused
	if err != nil {
		return Stats{}, fmt.Errorf("loadgen: unable to read stats: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Stats{}, fmt.Errorf("loadgen: unable to read stats: %s: %.200s", resp.Status, body)
	}
	var s Stats
	if err := json.Unmarshal(body, &s); err != nil {
		return Stats{}, fmt.Errorf("loadgen: unable to read stats: %w", err)
	}
	return s, nil
}

// Verification is the outcome of waiting for accepted inquiries to be stored.
type Verification struct {
	Before, After Stats
	Want          int // unique ids accepted during the run
	// Settled means stored + dead-lettered grew by at least Want and nothing was pending.
	Settled bool
	// SettledAfter runs from the run's first request to the poll that saw it settled.
	SettledAfter time.Duration
	Waited       time.Duration // time spent polling after the run
	LastError    string        // the last failed stats read, if any
}

// Grown is how much stored + dead-lettered grew; other traffic counts too.
func (v Verification) Grown() int64 {
	return v.After.Stored + v.After.DeadLettered - v.Before.Stored - v.Before.DeadLettered
}

// Passed reports whether every accepted inquiry was stored. A run with no
// accepted inquiry fails: there was nothing to prove.
func (v Verification) Passed() bool { return v.Want > 0 && v.Settled }

// StoredRate is unique accepted ids per second from the first request to
// the moment all of them were stored: the end-to-end throughput.
func (v Verification) StoredRate() float64 {
	if !v.Settled {
		return 0
	}
	return perSecond(v.Want, v.SettledAfter)
}

// Verify polls /v1/stats until stored + dead-lettered has grown since
// before by at least the unique ids rep accepted and nothing is pending, or
// until cfg.VerifyTimeout passes. A timeout is a failed Verification, not an
// error; the error is for cancellation.
func Verify(ctx context.Context, cfg Config, before Stats, rep Report) (Verification, error) {
	client := cfg.Client
	if client == nil {
		client = NewClient(1, cfg.RequestTimeout)
	}
	v := Verification{Before: before, After: before, Want: rep.UniqueIDs}
	begin := time.Now()
	deadline := begin.Add(cfg.VerifyTimeout)
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		pollCtx, cancel := context.WithDeadline(ctx, deadline)
		s, err := FetchStats(pollCtx, client, cfg.URL, cfg.Token)
		cancel()
		now := time.Now()
		if err == nil {
			v.After = s
			if v.Grown() >= int64(v.Want) && s.Pending == 0 {
				v.Settled = true
				v.SettledAfter = now.Sub(rep.Start)
			}
		} else if ctx.Err() == nil {
			v.LastError = err.Error()
		}
		v.Waited = now.Sub(begin)
		if v.Settled || v.Want == 0 || !now.Before(deadline) {
			return v, nil
		}
		select {
		case <-ticker.C:
		case <-ctx.Done():
			return v, fmt.Errorf("loadgen: verification interrupted: %w", ctx.Err())
		}
	}
}

func (v Verification) summary() string {
	switch {
	case v.Want == 0:
		return "no request was accepted, nothing was verified"
	case v.Settled:
		return fmt.Sprintf("every 202 was stored: %d of %d", v.Want, v.Want)
	}
	got := max(min(v.Grown(), int64(v.Want)), 0)
	return fmt.Sprintf("not every 202 was stored: %d of %d after %s, %d pending",
		got, v.Want, v.Waited.Round(time.Millisecond), v.After.Pending)
}

func (v Verification) print(w io.Writer) {
	fmt.Fprintln(w, "verification (counts growth of /v1/stats since before the run, so parallel traffic counts too):")
	fmt.Fprintf(w, "  accepted +%d, stored +%d, dead-lettered +%d, pending %d; waited %s after the last response\n",
		v.After.Accepted-v.Before.Accepted, v.After.Stored-v.Before.Stored,
		v.After.DeadLettered-v.Before.DeadLettered, v.After.Pending, v.Waited.Round(time.Millisecond))
	if v.LastError != "" {
		fmt.Fprintf(w, "  last stats error: %s\n", v.LastError)
	}
	if v.Settled {
		fmt.Fprintf(w, "  stored rate %.1f inquiries/s (%d unique ids, first request to all stored in %s, ±%s)\n",
			v.StoredRate(), v.Want, v.SettledAfter.Round(time.Millisecond), pollInterval)
	}
	verdict := "FAIL"
	if v.Passed() {
		verdict = "PASS"
	}
	fmt.Fprintf(w, "%s %s\n", verdict, v.summary())
}
