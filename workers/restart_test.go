package workers

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/config"
	"github.com/surgedesk/surgedesk/triage"
)

// startNATS starts an in-process nats-server with JetStream on port (-1:
// any) keeping its store in dir, so a restart finds the streams again.
func startNATS(t *testing.T, port int, dir string) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	return ns
}

// A NATS server restarted under a running worker (same port, same store)
// must not stop storing: after the reconnect, a new inquiry is stored and
// Run is still running.
func TestIngestResumesAfterNATSRestart(t *testing.T) {
	t.Parallel()
	for name, early := range map[string]bool{"while consuming": false, "as the worker starts": true} {
		t.Run(name, func(t *testing.T) { testIngestResumesAfterNATSRestart(t, early) })
	}
}

func testIngestResumesAfterNATSRestart(t *testing.T, early bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	dir := t.TempDir()
	ns := startNATS(t, -1, dir)
	port := ns.Addr().(*net.TCPAddr).Port
	cfg := config.Default().NATS
	cfg.URL = ns.ClientURL()
	b, err := bus.Open(ctx, cfg, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	db := openStorage(t)
	w := NewIngest(b.JetStream, db, triage.NewClusterer(triage.DefaultOptions()), bus.NewDeadLetters(b.JetStream), options(), slog.New(slog.DiscardHandler), nil)
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	t.Cleanup(func() { stop(); <-done })

	want := int64(1)
	if !early {
		publish(t, ctx, b.JetStream, 1, func(int) string { return "결제가 안 돼요" })
		eventually(t, ctx, "the first inquiry is stored", func() bool { return count(t, ctx, db) == 1 })
		want = 2
	}

	ns.Shutdown()
	ns.WaitForShutdown()
	time.Sleep(time.Second) // the client notices, and retries a while
	ns = startNATS(t, port, dir)
	t.Cleanup(ns.Shutdown)
	eventually(t, ctx, "the bus reconnects", func() bool { return b.Ping(ctx) == nil })

	data := []byte(`{"id":"iq_after_restart","source":"web","customer_id":"c9","text":"이제 되나요?","received_at":1}`)
	if _, err := b.JetStream.Publish(ctx, bus.InquirySubject, data); err != nil {
		t.Fatal(err)
	}
	for count(t, ctx, db) != want {
		select {
		case err := <-done:
			t.Fatalf("Run returned after the restart: %v", err)
		case <-ctx.Done():
			t.Fatal("the inquiry published after the restart was never stored (Run still running)")
		case <-time.After(20 * time.Millisecond):
		}
	}
}
