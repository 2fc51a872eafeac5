package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Headers a dead letter carries beside the original message.
const (
	headerError     = "Surgedesk-Error"
	headerAttempts  = "Surgedesk-Attempts"
	headerStreamSeq = "Surgedesk-Stream-Seq"
	headerFailedAt  = "Surgedesk-Failed-At"
)

// DeadLetter is one message that could not be stored.
type DeadLetter struct {
	Seq       uint64    `json:"seq"`        // sequence in the dead-letter stream
	StreamSeq uint64    `json:"stream_seq"` // sequence it had in the inquiry stream
	Attempts  int       `json:"attempts"`
	Error     string    `json:"error"`
	FailedAt  time.Time `json:"failed_at"`
	Data      []byte    `json:"-"`
}

// DeadLetters is the dead-letter stream.
type DeadLetters struct {
	js jetstream.JetStream
}

// NewDeadLetters returns the dead-letter stream on js.
func NewDeadLetters(js jetstream.JetStream) *DeadLetters { return &DeadLetters{js: js} }

// Add copies m into the dead-letter stream with why it failed.
func (d *DeadLetters) Add(ctx context.Context, m jetstream.Msg, cause error) error {
	var attempts, seq uint64
	if md, err := m.Metadata(); err == nil {
		attempts, seq = md.NumDelivered, md.Sequence.Stream
	}
	msg := &nats.Msg{Subject: DeadLetterSubject, Data: m.Data(), Header: nats.Header{}}
	msg.Header.Set(headerError, cause.Error())
	msg.Header.Set(headerAttempts, strconv.FormatUint(attempts, 10))
	msg.Header.Set(headerStreamSeq, strconv.FormatUint(seq, 10))
	msg.Header.Set(headerFailedAt, time.Now().UTC().Format(time.RFC3339Nano))
	// One dead letter per inquiry-stream message, even if Add is retried.
	_, err := d.js.PublishMsg(ctx, msg, jetstream.WithMsgID("dl-"+strconv.FormatUint(seq, 10)),
		jetstream.WithExpectStream(DeadLetterStream))
	if err != nil {
		return fmt.Errorf("bus: unable to dead-letter message %d: %w", seq, err)
	}
	return nil
}

// Count returns how many dead letters wait for replay.
func (d *DeadLetters) Count(ctx context.Context) (uint64, error) {
	st, err := d.js.Stream(ctx, DeadLetterStream)
	if err != nil {
		return 0, fmt.Errorf("bus: unable to read dead-letter stream: %w", err)
	}
	return st.CachedInfo().State.Msgs, nil
}

// List returns up to limit dead letters after the dead-letter stream's
// sequence after (0: from the first), oldest first, and whether there are
// more after the last one returned (page on from its Seq).
func (d *DeadLetters) List(ctx context.Context, after uint64, limit int) ([]DeadLetter, bool, error) {
	st, err := d.js.Stream(ctx, DeadLetterStream)
	if err != nil {
		return nil, false, fmt.Errorf("bus: unable to read dead-letter stream: %w", err)
	}
	state := st.CachedInfo().State
	out := []DeadLetter{}
	if state.Msgs == 0 {
		return out, false, nil
	}
	seq := max(state.FirstSeq, after+1)
	for ; seq <= state.LastSeq && len(out) < limit; seq++ {
		raw, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // replayed and deleted
		}
		if err != nil {
			return nil, false, fmt.Errorf("bus: unable to read dead letter %d: %w", seq, err)
		}
		out = append(out, deadLetter(raw))
	}
	// Deleted (replayed) messages can leave holes: more means a message is
	// stored past the last one returned.
	more := false
	if len(out) == limit && seq <= state.LastSeq {
		if last, err := st.GetLastMsgForSubject(ctx, DeadLetterSubject); err == nil {
			more = last.Sequence >= seq
		} else {
			more = true
		}
	}
	return out, more, nil
}

func deadLetter(raw *jetstream.RawStreamMsg) DeadLetter {
	dl := DeadLetter{Seq: raw.Sequence, Data: raw.Data, Error: raw.Header.Get(headerError)}
	dl.StreamSeq, _ = strconv.ParseUint(raw.Header.Get(headerStreamSeq), 10, 64)
	dl.Attempts, _ = strconv.Atoi(raw.Header.Get(headerAttempts))
	dl.FailedAt, _ = time.Parse(time.RFC3339Nano, raw.Header.Get(headerFailedAt))
	return dl
}

// Replay puts every dead letter back on the inquiry stream and removes it
// from the dead-letter stream, oldest first. It returns how many it moved.
func (d *DeadLetters) Replay(ctx context.Context) (int, error) {
	st, err := d.js.Stream(ctx, DeadLetterStream)
	if err != nil {
		return 0, fmt.Errorf("bus: unable to read dead-letter stream: %w", err)
	}
	state := st.CachedInfo().State
	n := 0
	for seq := state.FirstSeq; state.Msgs > 0 && seq <= state.LastSeq; seq++ {
		raw, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("bus: unable to read dead letter %d: %w", seq, err)
		}
		// A fresh message id: the original may still sit in the duplicate
		// window, and dedup would silently drop the replay.
		msg := &nats.Msg{Subject: InquirySubject, Data: raw.Data, Header: nats.Header{}}
		if _, err := d.js.PublishMsg(ctx, msg, jetstream.WithMsgID("replay-"+strconv.FormatUint(seq, 10)),
			jetstream.WithExpectStream(InquiryStream)); err != nil {
			return n, fmt.Errorf("bus: unable to replay dead letter %d: %w", seq, err)
		}
		if err := st.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return n, fmt.Errorf("bus: unable to remove replayed dead letter %d: %w", seq, err)
		}
		n++
	}
	return n, nil
}
