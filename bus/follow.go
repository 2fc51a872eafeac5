package bus

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
)

// FollowKB calls reload whenever any instance announces a knowledge-base
// change (KBChangedSubject), and every resync, until ctx ends.
// Announcements arriving during a reload fold into one more; a failed
// reload is logged with failed and retried a second later, so that a copy
// kept in memory is never left stale until the next change. FollowKB
// returns once the NATS server has the subscription: call it before the
// first load, so that nothing announced in between is missed.
func FollowKB(ctx context.Context, nc *nats.Conn, resync time.Duration, reload func(context.Context) error, log *slog.Logger, failed string) error {
	pending := make(chan struct{}, 1)
	wake := func() {
		select {
		case pending <- struct{}{}:
		default:
		}
	}
	sub, err := nc.Subscribe(KBChangedSubject, func(*nats.Msg) { wake() })
	if err != nil {
		return fmt.Errorf("bus: unable to follow knowledge-base changes: %w", err)
	}
	// Subscribing only queues the request: until the server has it, a
	// change announced by another instance would pass this one by.
	if err := nc.FlushTimeout(10 * time.Second); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("bus: unable to follow knowledge-base changes: %w", err)
	}
	go func() {
		defer sub.Unsubscribe()
		tick := time.NewTicker(resync)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-pending:
			case <-tick.C:
			}
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := reload(rctx)
			cancel()
			if err == nil || ctx.Err() != nil {
				continue
			}
			log.Error(failed, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			wake()
		}
	}()
	return nil
}
