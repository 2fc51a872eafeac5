package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

func runDLQ(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "replay") {
		fmt.Fprintln(stderr, "usage: surgedesk dlq list|replay [--url URL] [--token TOKEN]")
		return errUsage
	}
	sub := args[0]
	fs := newFlagSet("dlq "+sub, stderr)
	var api apiClient
	api.register(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if sub == "replay" {
		var out struct {
			Replayed int `json:"replayed"`
		}
		if err := api.do(ctx, http.MethodPost, "/v1/dead-letters/replay", nil, &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "replayed %d dead letter(s) onto the inquiry stream\n", out.Replayed)
		return nil
	}
	// Every page, following next_cursor.
	n, next := 0, ""
	for {
		var out struct {
			DeadLetters []struct {
				Seq      uint64 `json:"seq"`
				Attempts int    `json:"attempts"`
				Error    string `json:"error"`
				FailedAt string `json:"failed_at"`
			} `json:"dead_letters"`
			NextCursor string `json:"next_cursor"`
		}
		if err := api.do(ctx, http.MethodGet, "/v1/dead-letters?limit=1000&cursor="+url.QueryEscape(next), nil, &out); err != nil {
			return err
		}
		for _, d := range out.DeadLetters {
			fmt.Fprintf(stdout, "%d\tattempts=%d\t%s\t%s\n", d.Seq, d.Attempts, d.FailedAt, d.Error)
		}
		n += len(out.DeadLetters)
		if next = out.NextCursor; next == "" {
			break
		}
	}
	fmt.Fprintf(stdout, "%d dead letter(s)\n", n)
	return nil
}
