package kb

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/surgedesk/surgedesk/bus"
)

// liveSource is the part of storage the live knowledge base reads.
type liveSource interface {
	Incidents(ctx context.Context, activeOnly bool) ([]Incident, error)
	Answers(ctx context.Context) ([]Answer, error)
}

// Live is this instance's in-memory copy of the active incidents and
// every answer: what instant answers are computed from, without a query per
// inquiry. SQL stays the truth; any instance that changes it announces the
// change over NATS and every instance reloads.
type Live struct {
	src liveSource
	log *slog.Logger

	mu        sync.RWMutex
	incidents []Incident
	answers   []Answer
	version   uint64
	// Built at each load from the FAQ and the answers of active incidents;
	// nil when there is nothing to answer with.
	matcher *Matcher
	// hybrid is matcher with its examples' embeddings, once they are
	// computed (off the intake path); nil until then, or without vectors.
	hybrid     *Matcher
	vectors    vectorSource
	semantic   hybridOptions
	byAnswer   map[string]Answer
	byIncident map[string]Incident
}

// NewLive returns an empty Live; call Load, then Follow.
func NewLive(src liveSource, log *slog.Logger) *Live {
	return &Live{src: src, log: log}
}

// Load reads the knowledge base from SQL.
func (k *Live) Load(ctx context.Context) error {
	incidents, err := k.src.Incidents(ctx, true)
	if err != nil {
		return fmt.Errorf("kb: unable to load incidents: %w", err)
	}
	answers, err := k.src.Answers(ctx)
	if err != nil {
		return fmt.Errorf("kb: unable to load answers: %w", err)
	}
	byIncident := make(map[string]Incident, len(incidents))
	for _, inc := range incidents {
		byIncident[inc.ID] = inc
	}
	byAnswer := map[string]Answer{}
	var entries []Entry
	for _, a := range answers {
		// An answer about an incident no longer active must not be given.
		if _, active := byIncident[a.IncidentID]; a.IncidentID != "" && !active {
			continue
		}
		byAnswer[a.ID] = a
		entries = append(entries, Entry{ID: a.ID, IncidentID: a.IncidentID,
			Examples: append(append([]string{}, a.Examples.KO...), a.Examples.EN...), Keywords: a.Keywords})
	}
	var matcher *Matcher
	if len(entries) > 0 {
		if matcher, err = NewMatcher(entries, DefaultOptions()); err != nil {
			return fmt.Errorf("kb: unable to build the answer matcher: %w", err)
		}
	}
	// The periodic reload of an unchanged knowledge base finds every
	// example embedded already: hybrid at once, with no gap.
	hybrid := k.cachedHybrid(matcher)
	k.mu.Lock()
	k.incidents, k.answers = incidents, answers
	k.matcher, k.byAnswer, k.byIncident = matcher, byAnswer, byIncident
	k.hybrid = hybrid
	k.version++
	version := k.version
	k.mu.Unlock()
	if k.vectors != nil && matcher != nil && hybrid == nil {
		go k.embedExamples(version, matcher)
	}
	return nil
}

// InstantAnswer is an answer given to a customer at intake.
type InstantAnswer struct {
	Text          string
	AnswerID      string
	IncidentID    string
	UpdateVersion int
}

// Answer matches an (already redacted) inquiry against the knowledge base
// and renders the answer in locale; ok is false when no entry is confident
// enough, which sends the inquiry to the human queue.
func (k *Live) Answer(text, locale string) (InstantAnswer, bool) {
	k.mu.RLock()
	matcher, byAnswer, byIncident := k.matcher, k.byAnswer, k.byIncident
	if k.hybrid != nil {
		matcher = k.hybrid
	}
	k.mu.RUnlock()
	if matcher == nil {
		return InstantAnswer{}, false
	}
	m, ok := matcher.MatchVector(text, k.vector(text))
	if !ok {
		return InstantAnswer{}, false
	}
	a := byAnswer[m.EntryID]
	inc := byIncident[a.IncidentID]
	latest := inc.Latest()
	rendered, err := Render(a, inc, latest, locale)
	if err != nil {
		// Templates are checked when saved; a failure here is a bug, and
		// no answer beats a broken one.
		k.log.Error("answer not rendered", "answer", a.ID, "err", err)
		return InstantAnswer{}, false
	}
	return InstantAnswer{Text: rendered, AnswerID: a.ID, IncidentID: a.IncidentID, UpdateVersion: latest.Version}, true
}

// Snapshot returns the active incidents and the answers as last loaded,
// with a version that grows with every load. Callers must not modify them.
func (k *Live) Snapshot() (incidents []Incident, answers []Answer, version uint64) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.incidents, k.answers, k.version
}

// Follow reloads on every change announced by any instance until ctx ends.
// Announcements arriving during a reload are folded into one more reload;
// a failed reload is retried, and a reload every resync catches up with
// an announcement lost on the way. Follow returns once the NATS server has
// the subscription; call it before the first Load, so that nothing
// announced in between is missed.
func (k *Live) Follow(ctx context.Context, nc *nats.Conn) error {
	return k.follow(ctx, nc, 30*time.Second)
}

func (k *Live) follow(ctx context.Context, nc *nats.Conn, resync time.Duration) error {
	// Answers from a stale copy could be about a resolved incident: a
	// failed reload is retried soon rather than at the next change.
	if err := bus.FollowKB(ctx, nc, resync, k.Load, k.log, "knowledge base reload failed; retrying"); err != nil {
		return fmt.Errorf("kb: %w", err)
	}
	return nil
}

// AnnounceChange tells every instance, this one included, that the
// knowledge base changed. It is best effort: a missed announcement is
// caught up by the next one or by a restart.
func AnnounceChange(nc *nats.Conn, what string) error {
	if err := nc.Publish(bus.KBChangedSubject, []byte(what)); err != nil {
		return fmt.Errorf("kb: unable to announce a knowledge-base change: %w", err)
	}
	return nil
}
