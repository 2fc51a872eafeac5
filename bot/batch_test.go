package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
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
