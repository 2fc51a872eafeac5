// Package bustest gives tests a JetStream: the embedded server in a temp
// dir, or a fresh set of streams on an external server when
// SURGEDESK_TEST_NATS_URL is set and external is asked for.
package bustest

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/config"
)

// NATSEnv names the variable that points tests at an external NATS.
const NATSEnv = "SURGEDESK_TEST_NATS_URL"

// Embedded opens a bus on a new embedded server, closed at cleanup.
func Embedded(t testing.TB) *bus.Bus {
	t.Helper()
	return open(t, config.Default().NATS, t.TempDir())
}

// External opens a bus on SURGEDESK_TEST_NATS_URL with the streams emptied
// first, or skips the test when the variable is unset.
func External(t testing.TB) *bus.Bus {
	t.Helper()
	url := os.Getenv(NATSEnv)
	if url == "" {
		t.Skip("external NATS tests skipped: set " + NATSEnv + " (e.g. nats://127.0.0.1:4222)")
	}
	cfg := config.Default().NATS
	cfg.URL = url
	b := open(t, cfg, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Tests against a shared server start from empty streams.
	for _, name := range []string{bus.InquiryStream, bus.DeadLetterStream} {
		if err := b.JetStream.DeleteStream(ctx, name); err != nil {
			t.Fatalf("bustest: unable to reset stream %s: %v", name, err)
		}
	}
	b.Close()
	return open(t, cfg, t.TempDir())
}

func open(t testing.TB, cfg config.NATS, dir string) *bus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Open(ctx, cfg, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}
