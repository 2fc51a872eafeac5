package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/surgedesk/surgedesk/bus"
)

func TestAcceptBatch(t *testing.T) {
	rec := &recorder{}
	in := NewIntake(rec, Limits{MaxTextBytes: 64}, time.Second)
	subs := []Submission{
		{Source: "web", CustomerID: "u-1", Text: "앱 접속이 안 돼요", IdempotencyKey: "k1"},
		{Source: "web", CustomerID: "u-2"},
		{Source: "web", CustomerID: "u-3", Text: "카드번호 4111 1111 1111 1111 결제 실패"},
		{Source: "web", CustomerID: "u-4", Text: strings.Repeat("가", 30)},
	}
	res := in.AcceptBatch(context.Background(), subs)
	if len(res) != len(subs) {
		t.Fatalf("%d results for %d submissions", len(res), len(subs))
	}
	wantCodes := []string{"", "missing_field", "", "text_too_long"}
	for i, want := range wantCodes {
		var ierr *InputError
		switch {
		case want == "" && res[i].Err != nil:
			t.Errorf("item %d: %v", i, res[i].Err)
		case want == "" && !strings.HasPrefix(res[i].Receipt.ID, "iq_"):
			t.Errorf("item %d: id %q", i, res[i].Receipt.ID)
		case want != "" && (!errors.As(res[i].Err, &ierr) || ierr.Code != want):
			t.Errorf("item %d: error %v, want %s", i, res[i].Err, want)
		}
	}
	if len(rec.msgs) != 2 {
		t.Fatalf("published %d, want 2", len(rec.msgs))
	}
	if strings.Contains(string(rec.msgs[1].Data), "4111") {
		t.Errorf("published unredacted: %s", rec.msgs[1].Data)
	}
	if res[0].Receipt.ID != inquiryID("web", "k1") {
		t.Errorf("keyed id %s, want the derived one", res[0].Receipt.ID)
	}

	down := NewIntake(&recorder{err: errors.New("nats: timeout")}, Limits{MaxTextBytes: 64}, time.Second)
	for i, r := range down.AcceptBatch(context.Background(), subs[:2]) {
		var ierr *InputError
		if i == 0 && !errors.Is(r.Err, ErrUnavailable) || i == 1 && !errors.As(r.Err, &ierr) {
			t.Errorf("stream down, item %d: %v", i, r.Err)
		}
	}
}

// asyncRecorder acknowledges async publishes in order, a little later,
// and records how many were in flight at most.
type asyncRecorder struct {
	recorder
	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	queue       chan *fakeFuture
}

type fakeFuture struct {
	msg *nats.Msg
	ok  chan *jetstream.PubAck
	err chan error
}

func (f *fakeFuture) Ok() <-chan *jetstream.PubAck { return f.ok }
func (f *fakeFuture) Err() <-chan error            { return f.err }
func (f *fakeFuture) Msg() *nats.Msg               { return f.msg }

func (a *asyncRecorder) PublishMsgAsync(m *nats.Msg, _ ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	a.mu.Lock()
	a.inFlight++
	a.maxInFlight = max(a.maxInFlight, a.inFlight)
	a.mu.Unlock()
	f := &fakeFuture{msg: m, ok: make(chan *jetstream.PubAck, 1), err: make(chan error, 1)}
	a.queue <- f
	return f, nil
}

func (a *asyncRecorder) ack(ctx context.Context) {
	for seq := uint64(1); ; seq++ {
		select {
		case <-ctx.Done():
			return
		case f := <-a.queue:
			time.Sleep(200 * time.Microsecond) // slower than publishing
			a.mu.Lock()
			a.inFlight--
			a.mu.Unlock()
			f.ok <- &jetstream.PubAck{Stream: bus.InquiryStream, Sequence: seq}
		}
	}
}

// A batch keeps at most batchWindow publishes in flight: the stream takes
// messages in order, and a single inquiry must not wait behind a whole
// batch.
func TestAcceptBatchBoundsPublishesInFlight(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pub := &asyncRecorder{queue: make(chan *fakeFuture, 1000)}
	go pub.ack(ctx)
	in := NewIntake(pub, Limits{MaxTextBytes: 256}, 5*time.Second)
	subs := make([]Submission, 500)
	for i := range subs {
		subs[i] = Submission{Source: "web", CustomerID: fmt.Sprintf("u-%d", i), Text: fmt.Sprintf("결제가 안 돼요 %d", i)}
	}
	for i, r := range in.AcceptBatch(ctx, subs) {
		if r.Err != nil || r.Receipt.ID == "" {
			t.Fatalf("item %d: %+v", i, r)
		}
	}
	if batchWindow >= len(subs)/2 {
		t.Fatalf("a window of %d does not bound a batch of %d", batchWindow, len(subs))
	}
	if pub.maxInFlight > batchWindow || pub.maxInFlight < 2 {
		t.Errorf("%d publishes in flight at most, want 2..%d", pub.maxInFlight, batchWindow)
	}
}
