package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// storedCounter counts stored inquiries, and among them those that
// arrived with a stream sequence in (after, upTo].
type storedCounter interface {
	InquiryCounts(ctx context.Context, after, upTo uint64) (total, between int64, err error)
}

// Backlog is what /v1/stats sums: inquiries stored, and inquiries in the
// stream neither stored nor dead-lettered yet.
type Backlog struct {
	Stored       uint64
	Pending      uint64
	DeadLettered uint64
}

// Unstored counts the stream's inquiries that are neither stored nor
// dead-lettered. Every message up to the store consumer's ack floor is
// settled; of those above it, the ones already stored (by their stream
// sequence in SQL) or dead-lettered are taken off. The consumer's own
// pending counts would count twice, until redelivery, what a crashed
// worker committed but never acknowledged. Read in this order (floor,
// stream, then SQL in one query), an inquiry stored meanwhile is counted
// once.
func Unstored(ctx context.Context, js jetstream.JetStream, db storedCounter, dead *DeadLetters) (Backlog, error) {
	var floor uint64
	cons, err := js.Consumer(ctx, InquiryStream, InquiryConsumer)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
	case err != nil:
		return Backlog{}, fmt.Errorf("bus: unable to read consumer: %w", err)
	default:
		info, err := cons.Info(ctx)
		if err != nil {
			return Backlog{}, fmt.Errorf("bus: unable to read consumer: %w", err)
		}
		floor = info.AckFloor.Stream
	}
	st, err := js.Stream(ctx, InquiryStream)
	if err != nil {
		return Backlog{}, fmt.Errorf("bus: unable to read stream: %w", err)
	}
	state := st.CachedInfo().State
	// Messages aged out of the stream are gone, stored or not.
	if state.FirstSeq > 0 && floor < state.FirstSeq-1 {
		floor = state.FirstSeq - 1
	}
	last := max(state.LastSeq, floor)
	total, between, err := db.InquiryCounts(ctx, floor, last)
	if err != nil {
		return Backlog{}, err
	}
	deadTotal, deadBetween, err := dead.countBetween(ctx, floor, last)
	if err != nil {
		return Backlog{}, err
	}
	b := Backlog{Stored: uint64(total), DeadLettered: deadTotal}
	if settled := uint64(between) + deadBetween; last-floor > settled {
		b.Pending = last - floor - settled
	}
	return b, nil
}

// countBetween counts dead letters, and those of inquiry-stream messages
// in (after, upTo], in one snapshot of the dead-letter stream. Such messages are dead-lettered just before their
// acknowledgement, so they are among the newest: it reads back from the
// newest and stops at the first older one after a margin.
func (d *DeadLetters) countBetween(ctx context.Context, after, upTo uint64) (total, between uint64, err error) {
	st, err := d.js.Stream(ctx, DeadLetterStream)
	if err != nil {
		return 0, 0, fmt.Errorf("bus: unable to read dead-letter stream: %w", err)
	}
	state := st.CachedInfo().State
	older := 0
	for seq := state.LastSeq; state.Msgs > 0 && seq >= state.FirstSeq && seq > 0 && older < 64; seq-- {
		raw, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return 0, 0, fmt.Errorf("bus: unable to read dead letter %d: %w", seq, err)
		}
		s, _ := strconv.ParseUint(raw.Header.Get(headerStreamSeq), 10, 64)
		if s > after && s <= upTo {
			between++
		} else {
			older++
		}
	}
	return state.Msgs, between, nil
}
