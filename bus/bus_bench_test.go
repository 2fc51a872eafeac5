package bus_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/config"
)

// BenchmarkPublish measures synchronous JetStream publishes (what intake
// waits for) on the embedded server from 64 goroutines, alone and with a
// consumer draining the stream at the same time, as in the server.
func BenchmarkPublish(b *testing.B) {
	for _, consume := range []bool{false, true} {
		b.Run(fmt.Sprintf("consuming=%v", consume), func(b *testing.B) {
			ctx := context.Background()
			bb, err := bus.Open(ctx, config.Default().NATS, b.TempDir(), slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			defer bb.Close()
			if consume {
				cons, err := bb.JetStream.CreateOrUpdateConsumer(ctx, bus.InquiryStream, jetstream.ConsumerConfig{
					Durable: "bench", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 2048})
				if err != nil {
					b.Fatal(err)
				}
				cc, err := cons.Consume(func(m jetstream.Msg) { _ = m.Ack() }, jetstream.PullMaxMessages(512))
				if err != nil {
					b.Fatal(err)
				}
				defer cc.Stop()
			}
			data := []byte(`{"id":"iq_0123456789abcdef01234567","source":"web","customer_id":"u-1","text":"앱 접속이 안 돼요","received_at":1}`)
			var n atomic.Int64
			b.SetParallelism(32) // × GOMAXPROCS goroutines
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := fmt.Sprint("m", n.Add(1))
					if _, err := bb.PublishMsg(ctx, &nats.Msg{Subject: bus.InquirySubject, Data: data}, jetstream.WithMsgID(id)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
