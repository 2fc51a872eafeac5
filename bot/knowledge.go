package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/surgedesk/surgedesk/bus"
	"github.com/surgedesk/surgedesk/kb"
)

// knowledgeSource is the part of storage the live knowledge base reads.
type knowledgeSource interface {
	Incidents(ctx context.Context, activeOnly bool) ([]kb.Incident, error)
	Answers(ctx context.Context) ([]kb.Answer, error)
}

// Knowledge is this instance's in-memory copy of the active incidents and
// every answer: what instant answers are computed from, without a query per
// inquiry. SQL stays the truth; any instance that changes it announces the
// change over NATS and every instance reloads.
type Knowledge struct {
	src knowledgeSource
	log *slog.Logger

	mu        sync.RWMutex
	incidents []kb.Incident
	answers   []kb.Answer
	version   uint64
	// Built at each load from the FAQ and the answers of active incidents;
	// nil when there is nothing to answer with.
	matcher *kb.Matcher
	// hybrid is matcher with its examples' embeddings, once they are
	// computed (off the intake path); nil until then, or without vectors.
	hybrid     *kb.Matcher
	vectors    vectorSource
	semantic   hybridOptions
	byAnswer   map[string]kb.Answer
	byIncident map[string]kb.Incident
}

// NewKnowledge returns an empty Knowledge; call Load, then Follow.
func NewKnowledge(src knowledgeSource, log *slog.Logger) *Knowledge {
	return &Knowledge{src: src, log: log}
}

// Load reads the knowledge base from SQL.
func (k *Knowledge) Load(ctx context.Context) error {
	incidents, err := k.src.Incidents(ctx, true)
	if err != nil {
		return fmt.Errorf("bot: unable to load incidents: %w", err)
	}
	answers, err := k.src.Answers(ctx)
	if err != nil {
		return fmt.Errorf("bot: unable to load answers: %w", err)
	}
	byIncident := make(map[string]kb.Incident, len(incidents))
	for _, inc := range incidents {
		byIncident[inc.ID] = inc
	}
	byAnswer := map[string]kb.Answer{}
	var entries []kb.Entry
	for _, a := range answers {
		// An answer about an incident no longer active must not be given.
		if _, active := byIncident[a.IncidentID]; a.IncidentID != "" && !active {
			continue
		}
		byAnswer[a.ID] = a
		entries = append(entries, kb.Entry{ID: a.ID, IncidentID: a.IncidentID,
			Examples: append(append([]string{}, a.Examples.KO...), a.Examples.EN...), Keywords: a.Keywords})
	}
	var matcher *kb.Matcher
	if len(entries) > 0 {
		if matcher, err = kb.NewMatcher(entries, kb.DefaultOptions()); err != nil {
			return fmt.Errorf("bot: unable to build the answer matcher: %w", err)
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

// Answer is an instant answer for a customer.
type Answer struct {
	Text          string
	AnswerID      string
	IncidentID    string
	UpdateVersion int
}

// Answer matches an (already redacted) inquiry against the knowledge base
// and renders the answer in locale; ok is false when no entry is confident
// enough, which sends the inquiry to the human queue.
func (k *Knowledge) Answer(text, locale string) (Answer, bool) {
	k.mu.RLock()
	matcher, byAnswer, byIncident := k.matcher, k.byAnswer, k.byIncident
	if k.hybrid != nil {
		matcher = k.hybrid
	}
	k.mu.RUnlock()
	if matcher == nil {
		return Answer{}, false
	}
	m, ok := matcher.MatchVector(text, k.vector(text))
	if !ok {
		return Answer{}, false
	}
	a := byAnswer[m.EntryID]
	inc := byIncident[a.IncidentID]
	latest := inc.Latest()
	rendered, err := kb.Render(a, inc, latest, locale)
	if err != nil {
		// Templates are checked when saved; a failure here is a bug, and
		// no answer beats a broken one.
		k.log.Error("answer not rendered", "answer", a.ID, "err", err)
		return Answer{}, false
	}
	return Answer{Text: rendered, AnswerID: a.ID, IncidentID: a.IncidentID, UpdateVersion: latest.Version}, true
}

// Snapshot returns the active incidents and the answers as last loaded,
// with a version that grows with every load. Callers must not modify them.
func (k *Knowledge) Snapshot() (incidents []kb.Incident, answers []kb.Answer, version uint64) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.incidents, k.answers, k.version
}

// Follow reloads on every change announced by any instance until ctx ends.
// Announcements arriving during a reload are folded into one more reload;
// a failed reload is retried, and a reload every resync catches up with
// an announcement lost on the way. Call Follow before the first Load, so
// that nothing announced in between is missed.
func (k *Knowledge) Follow(ctx context.Context, nc *nats.Conn) error {
	return k.follow(ctx, nc, 30*time.Second)
}

func (k *Knowledge) follow(ctx context.Context, nc *nats.Conn, resync time.Duration) error {
	pending := make(chan struct{}, 1)
	sub, err := nc.Subscribe(bus.KBChangedSubject, func(*nats.Msg) {
		select {
		case pending <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return fmt.Errorf("bot: unable to follow knowledge-base changes: %w", err)
	}
	go func() {
		defer sub.Unsubscribe()
		tick := time.NewTicker(resync)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-pending:
			case <-tick.C:
			}
			lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := k.Load(lctx)
			cancel()
			if err != nil {
				// Answers from a stale copy could be about a resolved
				// incident: try again soon rather than at the next change.
				k.log.Error("knowledge base reload failed; retrying", "err", err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
				select {
				case pending <- struct{}{}:
				default:
				}
			}
		}
	}()
	return nil
}

// AnnounceChange tells every instance, this one included, that the
// knowledge base changed. It is best effort: a missed announcement is
// caught up by the next one or by a restart.
func AnnounceChange(nc *nats.Conn, what string) error {
	if err := nc.Publish(bus.KBChangedSubject, []byte(what)); err != nil {
		return fmt.Errorf("bot: unable to announce a knowledge-base change: %w", err)
	}
	return nil
}
