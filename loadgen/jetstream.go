package loadgen

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/config"
)

// jetStreamCount is how many messages the JetStream baseline publishes
// when the run is given a duration rather than a count.
const jetStreamCount = 200000

// JetStreamRate is JetStream's own async publish rate on this machine: the
// ceiling for intake, which does the same publish plus HTTP, decoding,
// redaction and storing.
type JetStreamRate struct {
	Messages int
	Duration time.Duration // first publish to last ack
}

// Rate is acknowledged messages per second.
func (j JetStreamRate) Rate() float64 { return perSecond(j.Messages, j.Duration) }

// measureJetStream starts an embedded JetStream with surgedesk's streams
// (file storage, in a temporary directory) in this process and publishes
// the run's inquiry bodies to it asynchronously, with a message id each
// (so deduplication is paid for, as intake pays for it) and at most
// bus.MaxPublishPending acks in flight: what intake's publishing costs
// with nothing else around it.
func measureJetStream(ctx context.Context, cfg Config, progress io.Writer) (JetStreamRate, error) {
	dir, err := os.MkdirTemp("", "loadgen-jetstream-")
	if err != nil {
		return JetStreamRate{}, fmt.Errorf("loadgen: jetstream baseline: %w", err)
	}
	defer os.RemoveAll(dir)
	b, err := bus.Open(ctx, config.Default().NATS, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		return JetStreamRate{}, fmt.Errorf("loadgen: jetstream baseline: %w", err)
	}
	defer b.Close()
	n := cfg.Count
	if n == 0 {
		n = jetStreamCount
	}
	bodies := newBodyBuilder(cfg)
	data := make([][]byte, n)
	for i := range data {
		data[i] = bodies.build(int64(i))
	}
	if progress != nil {
		fmt.Fprintf(progress, "jetstream baseline: publishing %d messages asynchronously\n", n)
	}
	futures := make([]jetstream.PubAckFuture, 0, n)
	start := time.Now()
	for i, d := range data {
		f, err := b.PublishMsgAsync(&nats.Msg{Subject: bus.InquirySubject, Data: d},
			jetstream.WithMsgID("js-"+strconv.Itoa(i)), jetstream.WithExpectStream(bus.InquiryStream),
			// At the bound, wait for a slot as intake does, not 200ms.
			jetstream.WithStallWait(time.Minute))
		if err != nil {
			return JetStreamRate{}, fmt.Errorf("loadgen: jetstream baseline: publish %d: %w", i, err)
		}
		futures = append(futures, f)
	}
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return JetStreamRate{}, fmt.Errorf("loadgen: jetstream baseline: ack %d: %w", i, err)
		case <-ctx.Done():
			return JetStreamRate{}, fmt.Errorf("loadgen: jetstream baseline: %w", ctx.Err())
		}
	}
	return JetStreamRate{Messages: n, Duration: time.Since(start)}, nil
}
