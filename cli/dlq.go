package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func runDLQ(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "replay") {
		fmt.Fprintln(stderr, "usage: surgedesk dlq list|replay [--url URL] [--token TOKEN]")
		return errUsage
	}
	sub := args[0]
	fs := newFlagSet("dlq "+sub, stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "base URL of a running surgedesk")
	token := fs.String("token", os.Getenv("SURGEDESK_ADMIN_TOKEN"), "admin bearer token (default $SURGEDESK_ADMIN_TOKEN)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *token == "" {
		return errors.New("an admin token is required: --token or SURGEDESK_ADMIN_TOKEN")
	}
	method, path := http.MethodGet, "/v1/dead-letters?limit=1000"
	if sub == "replay" {
		method, path = http.MethodPost, "/v1/dead-letters/replay"
	}
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(*url, "/")+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+*token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("unable to reach %s: %w", *url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if sub == "replay" {
		var out struct {
			Replayed int `json:"replayed"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "replayed %d dead letter(s) onto the inquiry stream\n", out.Replayed)
		return nil
	}
	var out struct {
		DeadLetters []struct {
			Seq       uint64          `json:"seq"`
			StreamSeq uint64          `json:"stream_seq"`
			Attempts  int             `json:"attempts"`
			Error     string          `json:"error"`
			FailedAt  string          `json:"failed_at"`
			Inquiry   json.RawMessage `json:"inquiry"`
		} `json:"dead_letters"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return err
	}
	for _, d := range out.DeadLetters {
		fmt.Fprintf(stdout, "%d\tattempts=%d\t%s\t%s\n", d.Seq, d.Attempts, d.FailedAt, d.Error)
	}
	fmt.Fprintf(stdout, "%d dead letter(s)\n", len(out.DeadLetters))
	return nil
}
