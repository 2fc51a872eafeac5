package assist

import (
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	now := time.Unix(0, 0)
	b := newBreaker(2, time.Minute)
	b.now = func() time.Time { return now }
	steps := []struct {
		name  string
		ok    *bool // the outcome of the allowed call; nil: none made
		allow bool
	}{
		{"closed", ptr(false), true},
		{"one failure: still closed", ptr(false), true},
		{"two failures: open", nil, false},
	}
	for _, s := range steps {
		if got := b.allow(); got != s.allow {
			t.Fatalf("%s: allow = %v", s.name, got)
		}
		if s.ok != nil {
			b.done(*s.ok)
		}
	}
	now = now.Add(61 * time.Second)
	if !b.allow() {
		t.Fatal("after the cooldown one probe must go out")
	}
	if b.allow() {
		t.Fatal("a second call went out while the probe is in flight")
	}
	b.done(false)
	if b.allow() {
		t.Fatal("a failed probe must open the circuit again")
	}
	now = now.Add(61 * time.Second)
	if !b.allow() {
		t.Fatal("no probe after the second cooldown")
	}
	b.done(true)
	if !b.allow() || !b.allow() || b.open() {
		t.Fatal("a successful probe must close the circuit")
	}
}

func ptr(b bool) *bool { return &b }
