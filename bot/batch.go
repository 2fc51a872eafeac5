package bot

import (
	"context"
)

// Result is one item of a batch: its receipt, or why it was not accepted
// (an *InputError, or ErrUnavailable).
type Result struct {
	Receipt Receipt
	Err     error
}

// AcceptBatch is Accept for many submissions at once: each is validated,
// redacted and published without waiting for the one before, and
// AcceptBatch returns once every publish is acknowledged or has failed,
// one Result per submission in order. One bad submission fails only
// itself. Every acknowledged one is durable, as with Accept; the whole
// batch shares one publish timeout.
func (in *Intake) AcceptBatch(ctx context.Context, subs []Submission) []Result {
	ctx, cancel := context.WithTimeout(ctx, in.timeout)
	defer cancel()
	results := make([]Result, len(subs))
	started := make([]pending, len(subs))
	waited := 0 // started[:waited] are settled
	settle := func(i int) {
		if results[i].Err != nil {
			return
		}
		ack, err := started[i].wait(ctx)
		if err != nil {
			results[i] = Result{Err: err}
			return
		}
		results[i].Receipt.Duplicate = ack.Duplicate
	}
	for i := range subs {
		// At most batchWindow of this batch in flight: the stream takes
		// messages in order, and a single inquiry published now waits
		// behind every batch message ahead of it.
		for ; waited <= i-batchWindow; waited++ {
			settle(waited)
		}
		s := &subs[i]
		if err := in.validate(s, false); err != nil {
			results[i].Err = err
			continue
		}
		msg, id, answer, err := in.message(*s)
		if err != nil {
			results[i].Err = err
			continue
		}
		results[i].Receipt = Receipt{ID: id, Answer: answer}
		started[i] = in.start(ctx, msg, id)
	}
	for ; waited < len(subs); waited++ {
		settle(waited)
	}
	return results
}

// batchWindow bounds the publishes of one batch in flight. Beside a batch
// load, single inquiries at 2,000/s waited half as long with it
// (docs/scale.md); what storing drains is the same.
const batchWindow = 64
