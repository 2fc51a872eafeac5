package bus

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// InquiryConsumer is the durable consumer of the inquiry stream that every
// instance shares, so the work is split between them and survives restarts.
const InquiryConsumer = "store"

// Pending returns how many inquiries JetStream holds that are not yet
// stored: not yet delivered plus delivered and unacknowledged.
func Pending(ctx context.Context, js jetstream.JetStream) (uint64, error) {
	cons, err := js.Consumer(ctx, InquiryStream, InquiryConsumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		info, err := js.Stream(ctx, InquiryStream)
		if err != nil {
			return 0, fmt.Errorf("bus: unable to read stream: %w", err)
		}
		return info.CachedInfo().State.Msgs, nil
	}
	if err != nil {
		return 0, fmt.Errorf("bus: unable to read consumer: %w", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("bus: unable to read consumer: %w", err)
	}
	return info.NumPending + uint64(info.NumAckPending), nil
}
