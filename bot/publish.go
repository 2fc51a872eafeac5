package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/surgedesk/surgedesk/bus"
)

// asyncPublisher publishes without a round trip per call: the ack arrives
// on a future. *bus.Bus is one; it bounds the acks in flight, and a
// publish beyond the bound waits (at most its stall wait) for a slot.
type asyncPublisher interface {
	PublishMsgAsync(msg *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error)
}

// pending is one publish whose ack is awaited.
type pending struct {
	future jetstream.PubAckFuture // nil once the result is known
	ack    *jetstream.PubAck
	err    error
}

// start sends msg. With an async publisher it returns at once and the ack
// is read by wait; otherwise it publishes synchronously and wait returns
// the result it already has.
func (in *Intake) start(ctx context.Context, msg *nats.Msg, id string) pending {
	if ap, ok := in.js.(asyncPublisher); ok {
		// A publish that finds the in-flight bound full waits for a slot
		// no longer than the request may take.
		stall := time.Until(deadline(ctx))
		if stall <= 0 {
			return pending{err: fmt.Errorf("%w: %v", ErrUnavailable, context.DeadlineExceeded)}
		}
		f, err := ap.PublishMsgAsync(msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(bus.InquiryStream), jetstream.WithStallWait(stall))
		if err != nil {
			return pending{err: fmt.Errorf("%w: %v", ErrUnavailable, err)}
		}
		return pending{future: f}
	}
	ack, err := in.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(bus.InquiryStream))
	if err != nil {
		return pending{err: fmt.Errorf("%w: %v", ErrUnavailable, err)}
	}
	return pending{ack: ack}
}

// wait returns the ack of a started publish, or ErrUnavailable once ctx
// is done: no answer in time means not accepted.
func (p pending) wait(ctx context.Context) (*jetstream.PubAck, error) {
	if p.future == nil {
		return p.ack, p.err
	}
	select {
	case ack := <-p.future.Ok():
		return ack, nil
	case err := <-p.future.Err():
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
	}
}

func deadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(time.Minute)
}
