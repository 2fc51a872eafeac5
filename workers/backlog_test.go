package workers

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/bus/bustest"
	"github.com/surgedesk/surgedesk/storage/storagetest"
	"github.com/surgedesk/surgedesk/triage"
)

// After a worker dies between commit and ack, accepted (stored + pending +
// dead-lettered) is exact at once, not only after the redelivery.
func TestUnstoredExactAfterCrash(t *testing.T) {
	t.Parallel()
	for name, url := range storagetest.URLs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := testContext(t)
			b := bustest.Embedded(t)
			db := storagetest.Open(t, url)
			dead := bus.NewDeadLetters(b.JetStream)
			check := func(when string, stored, pending, deadLettered uint64) {
				t.Helper()
				got, err := bus.Unstored(ctx, b.JetStream, db, dead)
				if err != nil {
					t.Fatal(err)
				}
				if want := (bus.Backlog{Stored: stored, Pending: pending, DeadLettered: deadLettered}); got != want {
					t.Errorf("%s: %+v, want %+v", when, got, want)
				}
			}
			check("empty", 0, 0, 0)
			ids := publish(t, ctx, b.JetStream, 40, func(i int) string { return fmt.Sprintf("결제 오류 %d", i) })
			check("before any worker", 0, 40, 0)

			var committed atomic.Int64
			crashing := NewIngest(b.JetStream, db, triage.NewClusterer(triage.DefaultOptions()), dead, options(), slog.New(slog.DiscardHandler), nil)
			crashing.afterCommit = func(n int) bool { committed.Add(int64(n)); return false }
			stop := run(t, ctx, crashing)
			eventually(t, ctx, "the crashing worker committed everything", func() bool { return committed.Load() == int64(len(ids)) })
			stop()
			check("after the crash, before redelivery", 40, 0, 0)

			// Ten more, one of which cannot be decoded: dead-lettered above
			// the floor the crashed batch still holds down.
			for i := range 9 {
				data, _ := json.Marshal(bus.Inquiry{ID: fmt.Sprintf("iq_more_%d", i), Source: "web", CustomerID: "c", Text: "환불 문의", ReceivedAt: time.Now().UnixMilli()})
				if _, err := b.JetStream.Publish(ctx, bus.InquirySubject, data); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := b.JetStream.Publish(ctx, bus.InquirySubject, []byte("not json")); err != nil {
				t.Fatal(err)
			}
			opts := options()
			opts.AckWait = time.Hour // the crashed batch stays unacknowledged
			next := NewIngest(b.JetStream, db, triage.NewClusterer(triage.DefaultOptions()), dead, opts, slog.New(slog.DiscardHandler), nil)
			stop = run(t, ctx, next)
			eventually(t, ctx, "the new ten stored or dead-lettered", func() bool {
				n, _ := dead.Count(ctx)
				return count(t, ctx, db) == 49 && n == 1
			})
			stop()
			check("with the crashed batch still unacknowledged", 49, 0, 1)
		})
	}
}
