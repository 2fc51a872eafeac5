package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/config"
)

// A message the worker cannot store lands in the dead-letter stream;
// `surgedesk dlq list` shows it and `surgedesk dlq replay` puts it back.
func TestDLQCommands(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	natsAddr := freeAddr(t)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Auth.AdminToken = testToken
	cfg.NATS.Embedded.Listen = natsAddr
	c := serveInProcess(t, cfg)

	// A poison message, as a buggy older version might have published.
	nc, err := nats.Connect("nats://" + natsAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Request(bus.InquirySubject, []byte(`{"id":"iq_broken"`), 5*time.Second); err != nil {
		t.Fatalf("publish poison: %v", err)
	}
	waitDead := func(want int) {
		t.Helper()
		for {
			var st stats
			if code, err := c.get(ctx, "/v1/stats", &st); err == nil && code == 200 && st.DeadLettered == want && st.Pending == 0 {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("never %d dead letter(s)", want)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	waitDead(1)

	runAs := func(token string, args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, append(args, "--url", c.base, "--token", token), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	run := func(args ...string) (int, string) { return runAs(testToken, args...) }
	code, out := run("dlq", "list")
	if code != 0 || !strings.Contains(out, "1 dead letter(s)") || !strings.Contains(out, "undecodable") {
		t.Fatalf("dlq list = %d:\n%s", code, out)
	}
	code, out = run("dlq", "replay")
	if code != 0 || !strings.Contains(out, "replayed 1 dead letter(s)") {
		t.Fatalf("dlq replay = %d:\n%s", code, out)
	}
	// Still undecodable, so the worker dead-letters the replay again.
	waitDead(1)
	if code, out := runAs("wrong-token-0123456789", "dlq", "list"); code == 0 || !strings.Contains(out, "401") {
		t.Errorf("dlq list with a bad token = %d:\n%s", code, out)
	}
	var errOut bytes.Buffer
	if code := Main(ctx, []string{"dlq"}, &bytes.Buffer{}, &errOut); code != 2 || !strings.Contains(errOut.String(), "usage") {
		t.Errorf("dlq without a subcommand = %d: %s", code, errOut.String())
	}
}
