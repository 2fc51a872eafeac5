package bus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/bus/bustest"
)

// TestDeadLettersPage walks the dead letters a page at a time, with holes
// left by deleted (replayed) messages: each one exactly once, in order, and
// no page promised after the last.
func TestDeadLettersPage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := bustest.Embedded(t)
	for i := range 10 {
		m := &nats.Msg{Subject: bus.DeadLetterSubject, Data: fmt.Appendf(nil, `{"id":"iq_%d"}`, i), Header: nats.Header{}}
		if _, err := b.JetStream.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	st, err := b.JetStream.Stream(ctx, bus.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []uint64{1, 5, 10} { // the first, one inside, the last
		if err := st.DeleteMsg(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	dead := bus.NewDeadLetters(b.JetStream)
	for _, limit := range []int{1, 3, 7, 100} {
		var seen []uint64
		var after uint64
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("limit %d: more than 10 pages", limit)
			}
			list, more, err := dead.List(ctx, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) > limit {
				t.Fatalf("limit %d: a page of %d", limit, len(list))
			}
			for _, dl := range list {
				seen = append(seen, dl.Seq)
			}
			if !more {
				break
			}
			if len(list) == 0 {
				t.Fatalf("limit %d: an empty page promising more", limit)
			}
			after = list[len(list)-1].Seq
		}
		if got, want := fmt.Sprint(seen), "[2 3 4 6 7 8 9]"; got != want {
			t.Errorf("limit %d: pages gave %s, want %s", limit, got, want)
		}
	}
}
