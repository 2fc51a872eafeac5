package assist

import (
	"sync"
	"time"
)

// breaker is a consecutive-failure circuit breaker: after failures in a row
// it opens for cooldown, then lets one probe through; the probe's success
// closes it, its failure opens it again. A dead endpoint is then called
// once per cooldown instead of once per text.
type breaker struct {
	failures int
	cooldown time.Duration
	now      func() time.Time

	mu        sync.Mutex
	streak    int
	openUntil time.Time
	probing   bool
}

func newBreaker(failures int, cooldown time.Duration) *breaker {
	return &breaker{failures: failures, cooldown: cooldown, now: time.Now}
}

// allow reports whether a call may go out now.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.streak < b.failures {
		return true
	}
	if b.probing || b.now().Before(b.openUntil) {
		return false
	}
	b.probing = true // half-open: one probe
	return true
}

// done records a call's outcome.
func (b *breaker) done(ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	if ok {
		b.streak = 0
		return
	}
	b.streak++
	if b.streak >= b.failures {
		b.openUntil = b.now().Add(b.cooldown)
	}
}

// open reports whether calls are being refused.
func (b *breaker) open() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.streak >= b.failures && (b.probing || b.now().Before(b.openUntil))
}

// release gives back a probe that never went out.
func (b *breaker) release() {
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
}
