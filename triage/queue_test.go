package triage

import (
	"testing"
	"time"
)

func TestUrgent(t *testing.T) {
	cases := []struct {
		text string
		want bool
	}{
		{"결제가 두 번 됐어요 환불해주세요", true},
		{"이중 결제 됐어요", true},
		{"계정이 해킹당한 것 같아요", true},
		{"I was charged twice", true},
		{"this is fraud", true},
		{"앱 접속이 안 돼요", false},
		{"app won't open", false},
	}
	for _, tc := range cases {
		if got := Urgent(tc.text); got != tc.want {
			t.Errorf("Urgent(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestPriorityOrdersWhatHurtsMost(t *testing.T) {
	base := QueueSignals{Inquiries: 50, Customers: 40, Last5m: 10, Last15m: 25, Unanswered: 10 * time.Minute}
	with := func(f func(*QueueSignals)) QueueSignals { s := base; f(&s); return s }
	higher := []struct {
		name       string
		more, less QueueSignals
	}{
		{"more customers", with(func(s *QueueSignals) { s.Customers = 400; s.Inquiries = 400 }), base},
		{"growing now", with(func(s *QueueSignals) { s.Last5m = 40; s.Last15m = 40 }), base},
		{"urgent", with(func(s *QueueSignals) { s.Urgent = true }), base},
		{"waiting longer", with(func(s *QueueSignals) { s.Unanswered = 2 * time.Hour }), base},
		{"no incident yet", base, with(func(s *QueueSignals) { s.Incident = true })},
		{"customers over repeats", with(func(s *QueueSignals) { s.Customers = 50 }), with(func(s *QueueSignals) { s.Customers = 5 })},
	}
	for _, tc := range higher {
		if Priority(tc.more) <= Priority(tc.less) {
			t.Errorf("%s: %v <= %v", tc.name, Priority(tc.more), Priority(tc.less))
		}
	}
}
