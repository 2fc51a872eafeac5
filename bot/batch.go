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
	for i := range subs {
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
	for i := range subs {
		if results[i].Err != nil {
			continue
		}
		ack, err := started[i].wait(ctx)
		if err != nil {
			results[i] = Result{Err: err}
			continue
		}
		results[i].Receipt.Duplicate = ack.Duplicate
	}
	return results
}
