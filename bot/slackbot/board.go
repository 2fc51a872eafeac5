package slackbot

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

// boardLease is the SQL lease of the instance that drives the board: with
// several instances on one database, one posts and updates.
const boardLease = "slack-board"

// Subjects of the board's messages in storage.
func clusterSubject(id string) string { return "cluster:" + id }
func alertSubject(id string) string   { return "alert:" + id }

// boardTick is how often the board looks at the queue: twice per interval,
// so that a message is updated within one interval of its last update,
// and at least every two seconds, so that what an agent did shows soon
// (such messages are due at once).
func (a *App) boardTick() time.Duration {
	return min(max(a.Config.BoardInterval/2, 100*time.Millisecond), 2*time.Second)
}

// slackBudget bounds the retries of one message's post or update, so that a
// failing one does not hold up the others for long; the next tick tries
// again.
func (a *App) slackBudget() time.Duration {
	return min(max(a.Config.BoardInterval, time.Second), a.Config.Timeout)
}

// runBoard keeps the agents' channel in step with the queue while this
// instance holds the board's lease: one message per cluster of at least
// BoardMinInquiries among the BoardSize first by priority, updated in
// place at most once per BoardInterval when what it shows changed, and
// updated a last time without buttons once the cluster is done; and one
// message per new surge alert, updated once decided.
func (a *App) runBoard(ctx context.Context) error {
	owner := a.Owner
	if owner == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		owner = hex.EncodeToString(b[:])
	}
	tick := a.boardTick()
	ttl := a.boardLeaseTTL()
	t := time.NewTicker(tick)
	defer t.Stop()
	leader := false
	for {
		select {
		case <-ctx.Done():
			if leader {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
				_ = a.Store.ReleaseLease(rctx, boardLease, owner)
				cancel()
			}
			return nil
		case <-t.C:
		}
		leader = a.tickBoard(ctx, owner, ttl, leader)
		a.ticks.Add(1)
	}
}

// tickBoard is one tick: take or renew the lease, and refresh the board
// while holding it. It returns whether this instance leads now.
func (a *App) tickBoard(ctx context.Context, owner string, ttl time.Duration, leader bool) bool {
	held, err := a.Store.AcquireLease(ctx, boardLease, owner, a.Now(), ttl)
	if err != nil {
		if ctx.Err() == nil {
			a.Log.Warn("board lease", "err", err)
		}
		return leader
	}
	if held != leader {
		a.Log.Info("Slack board", "leader", held, "owner", owner)
	}
	if !held {
		return false
	}
	err = a.refreshBoard(ctx, a.holdLease(owner, ttl))
	switch {
	case errors.Is(err, errLeaseLost):
		a.Log.Info("Slack board", "leader", false, "owner", owner)
		return false
	case errors.Is(err, errTickOver):
	case err != nil && ctx.Err() == nil:
		a.Log.Warn("board not refreshed", "err", err)
	}
	return true
}

// boardLeaseTTL is how long the board's lease lasts unless renewed: ten
// ticks, and twice the longest Slack call, which it is renewed before.
func (a *App) boardLeaseTTL() time.Duration {
	return max(10*a.boardTick(), 5*time.Second, 2*a.slackBudget())
}

var (
	// errStopTick ends a tick early: Slack asked us to slow down (429),
	// or is not answering within a call's budget.
	errStopTick = errors.New("slackbot: Slack is rate limiting or not answering in the agents' channel")
	// errLeaseLost ends a tick: another instance drives the board now.
	errLeaseLost = errors.New("slackbot: the board's lease was lost")
	// errTickOver ends a tick that ran for a third of the lease: what it
	// read from SQL is getting old, and the next tick goes on.
	errTickOver = errors.New("slackbot: the board's tick is over")
)

// holdLease returns the check made before each Slack call of a tick: the
// tick is not over, and owner still holds the lease, renewed for ttl
// (compare-and-set on owner). A Slack call lasts at most slackBudget,
// less than ttl, so the lease outlives every call made under it.
func (a *App) holdLease(owner string, ttl time.Duration) func(ctx context.Context) error {
	start := time.Now() // monotonic: the tick's length, whatever the clocks
	return func(ctx context.Context) error {
		if time.Since(start) > ttl/3 {
			return errTickOver
		}
		held, err := a.Store.RenewLease(ctx, boardLease, owner, a.Now(), ttl)
		if err != nil {
			return err
		}
		if !held {
			return errLeaseLost
		}
		return nil
	}
}

// refreshBoard brings every message of the board up to date, once; hold
// is checked before each Slack call and ends the tick when it fails.
func (a *App) refreshBoard(ctx context.Context, hold func(ctx context.Context) error) error {
	now := a.Now()
	// The messages' versions are read before what they show: a click
	// between the two reads then fails the save's compare-and-set, and its
	// message stays due, rather than being saved as showing the click.
	before, err := a.Store.SlackMessages(ctx, nil)
	if err != nil {
		return err
	}
	cards, err := a.boardCards(ctx, now)
	if err != nil {
		return err
	}
	if a.afterQueueRead != nil {
		a.afterQueueRead()
	}
	alerts, err := a.Store.Alerts(ctx, "", 50)
	if err != nil {
		return err
	}
	subjects := make([]string, 0, len(cards)+len(alerts))
	for _, c := range cards {
		subjects = append(subjects, c.subject())
	}
	for _, al := range alerts {
		subjects = append(subjects, alertSubject(al.ClusterID))
	}
	msgs, err := a.Store.SlackMessages(ctx, subjects)
	if err != nil {
		return err
	}
	for subject, m := range msgs {
		if old, ok := before[subject]; ok {
			m.Version = old.Version
			msgs[subject] = m
		}
	}
	b := board{App: a, hold: hold, msgs: msgs}

	// A tick may end early (a third of the lease, a 429), and the next
	// starts again from the top, so the order is what must not starve:
	// alerts first (rare, and what a surge needs declared), then the last
	// updates of problems and clusters that left the queue (below), then
	// cards not on the board yet by priority, then updates, the
	// longest-waiting first.
	shown := map[string]bool{}
	for _, c := range cards {
		shown[c.subject()] = true
	}
	if err := b.showAlerts(ctx, alerts, now, shown); err != nil {
		return err
	}
	if err := b.finalise(ctx, msgs, shown, now); err != nil {
		return err
	}
	slices.SortStableFunc(cards, func(x, y card) int {
		mx, okx := msgs[x.subject()]
		my, oky := msgs[y.subject()]
		switch {
		case !okx || !oky: // not on the board yet: first, by priority
			return cmp.Compare(boolRank(okx), boolRank(oky))
		default:
			return cmp.Compare(mx.UpdatedAt, my.UpdatedAt)
		}
	})
	for _, c := range cards {
		blocks, text := c.blocks("", now)
		if err := b.show(ctx, c.subject(), blocks, text, false); err != nil {
			return err
		}
	}
	return nil
}

// boolRank orders false before true.
func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// finalise gives messages of this channel not shown in this tick and not
// done their last update: clusters that left the queue (closed, merged or
// idle) and alerts too old to be listed. Messages left in another channel
// (agents_channel changed) stay as they were.
func (b *board) finalise(ctx context.Context, msgs map[string]storage.SlackMessage, shown map[string]bool, now time.Time) error {
	a := b.App
	since := now.Add(-a.idleWindow()).UnixMilli()
	for subject, m := range msgs {
		if shown[subject] || m.Done || m.Channel != a.Config.AgentsChannel {
			continue
		}
		if id, ok := strings.CutPrefix(subject, "alert:"); ok {
			al, err := a.Store.Alert(ctx, id)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if err := b.showAlert(ctx, al, since); err != nil {
				return err
			}
			continue
		}
		if id, ok := strings.CutPrefix(subject, "problem:"); ok {
			if err := b.finaliseProblem(ctx, subject, id, since, now); err != nil {
				return err
			}
			continue
		}
		id, ok := strings.CutPrefix(subject, "cluster:")
		if !ok {
			continue
		}
		c, err := a.Store.Cluster(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			c = storage.Cluster{ID: id, Status: storage.ClusterClosed}
		} else if err != nil {
			return err
		}
		it := boardItem{QueueItem: desk.QueueItem{Cluster: c}}
		final := it.done(c.LastSeen < since)
		if final == "" && c.ProblemID != "" && shown[problemSubject(c.ProblemID)] {
			final = "Shown with its problem"
		}
		if final == "" {
			// Still open, out of the top BoardSize: it stays as it was
			// until it comes back or is done.
			continue
		}
		if replies, err := a.Store.ClusterReplies(ctx, []string{id}); err == nil {
			if r, ok := replies[id]; ok {
				it.Reply = &r
			}
		}
		blocks, text := clusterBlocks(it, final, now)
		if err := b.show(ctx, subject, blocks, text, true); err != nil {
			return err
		}
	}
	return nil
}

// finaliseProblem gives the card of a problem that left the queue (merged
// into another, no open cluster left, or idle) its last update.
func (b *board) finaliseProblem(ctx context.Context, subject, id string, since int64, now time.Time) error {
	a := b.App
	if a.Desk.ProblemStore == nil {
		return nil
	}
	p, err := a.Desk.ProblemStore.Problem(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		p = storage.Problem{ID: id}
	} else if err != nil {
		return err
	}
	var final string
	switch {
	case p.Status == storage.ProblemMerged:
		final = "Merged into another problem"
	case p.Clusters == 0:
		final = "Done: no open cluster left"
	case p.LastSeen < since:
		final = "Closed: no inquiry for a while"
	default:
		// Still open, out of the top BoardSize or under
		// BoardMinInquiries: it stays as it was until it comes back or
		// is done.
		return nil
	}
	c := card{Problem: desk.ProblemItem{ProblemID: p.ID, Title: p.Title, OtherTitle: p.OtherTitle,
		Inquiries: p.Inquiries, Customers: p.Customers}}
	blocks, text := problemBlocks(c, final, now)
	return b.show(ctx, subject, blocks, text, true)
}

// boardCards reads the queue from SQL as the HTTP API's does, grouped by
// problem and ordered by triage.Priority: the problems (and clusters not
// placed in one) of at least BoardMinInquiries, at most BoardSize of them,
// plus those already on the board and still open.
func (a *App) boardCards(ctx context.Context, now time.Time) ([]card, error) {
	queue, err := a.Desk.Queue(ctx)
	if err != nil {
		return nil, err
	}
	problems, err := a.Desk.ByProblem(ctx, queue)
	if err != nil {
		return nil, err
	}
	cards := make([]card, 0, len(problems))
	for _, p := range problems {
		if p.Inquiries >= int64(a.Config.BoardMinInquiries) {
			c := card{Problem: p, Clusters: make([]boardItem, len(p.Clusters))}
			for i, q := range p.Clusters {
				c.Clusters[i] = boardItem{QueueItem: q}
			}
			cards = append(cards, c)
		}
	}
	if len(cards) == 0 {
		return nil, nil
	}

	// Beyond the first BoardSize, only those already shown stay.
	if len(cards) > a.Config.BoardSize && a.Config.BoardSize > 0 {
		rest := make([]string, 0, len(cards)-a.Config.BoardSize)
		for _, c := range cards[a.Config.BoardSize:] {
			rest = append(rest, c.subject())
		}
		msgs, err := a.Store.SlackMessages(ctx, rest)
		if err != nil {
			return nil, err
		}
		kept := cards[:a.Config.BoardSize]
		for _, c := range cards[a.Config.BoardSize:] {
			if m, ok := msgs[c.subject()]; ok && !m.Done && m.Channel == a.Config.AgentsChannel {
				kept = append(kept, c)
			}
		}
		cards = kept
	}

	// Replies and incidents for every cluster shown, samples for those
	// listed on their card.
	var ids []string
	var listed []desk.QueueItem
	titles := map[string]string{}
	for _, c := range cards {
		for i, it := range c.Clusters {
			ids = append(ids, it.ID)
			if i < cardClusters {
				listed = append(listed, it.QueueItem)
			}
			if it.IncidentID != "" {
				titles[it.IncidentID] = ""
			}
		}
	}
	replies, err := a.Store.ClusterReplies(ctx, ids)
	if err != nil {
		return nil, err
	}
	perCluster := 3
	if a.Desk.ProblemStore != nil {
		perCluster = 2 // a problem's card lists up to cardClusters clusters
	}
	if err := a.Desk.Samples(ctx, listed, perCluster); err != nil {
		return nil, err
	}
	samples := make(map[string][]storage.Inquiry, len(listed))
	for _, it := range listed {
		samples[it.ID] = it.Samples
	}
	for id := range titles {
		if inc, err := a.Store.Incident(ctx, id); err == nil {
			titles[id] = inc.Title("ko")
		}
	}
	for _, c := range cards {
		for i := range c.Clusters {
			it := &c.Clusters[i]
			it.Samples = samples[it.ID]
			if r, ok := replies[it.ID]; ok {
				it.Reply = &r
			}
			it.Incident = titles[it.IncidentID]
		}
	}
	return cards, nil
}

// board is one tick's work: the messages as read at its start, kept up
// to date as they are posted and updated.
type board struct {
	*App
	hold func(ctx context.Context) error
	msgs map[string]storage.SlackMessage
}

// showAlerts posts each new open alert once and updates the message of
// each decided one, once; shown collects their subjects.
func (b *board) showAlerts(ctx context.Context, alerts []storage.Alert, now time.Time, shown map[string]bool) error {
	since := now.Add(-b.idleWindow()).UnixMilli()
	for _, al := range alerts {
		shown[alertSubject(al.ClusterID)] = true
		if err := b.showAlert(ctx, al, since); err != nil {
			return err
		}
	}
	return nil
}

// showAlert posts an open alert raised since since (unix ms) and updates
// its message once decided.
func (b *board) showAlert(ctx context.Context, al storage.Alert, since int64) error {
	subject := alertSubject(al.ClusterID)
	m, posted := b.msgs[subject]
	posted = posted && m.Channel == b.Config.AgentsChannel
	switch {
	case posted && m.Done:
		return nil
	case !posted && (al.Status != storage.AlertOpen || al.RaisedAt < since):
		return nil // decided elsewhere, or old news
	}
	blocks, text := alertBlocks(al)
	return b.show(ctx, subject, blocks, text, al.Status != storage.AlertOpen)
}

// boardMetadata is the event type of the metadata every board message is
// posted with: it names the message's subject, so that a post whose
// answer was lost can be found in the channel's history.
const boardMetadata = "surgedesk_board"

// show posts the message of subject or updates it in place when what it
// shows changed and its last update is at least BoardInterval old. final
// marks it done. A failure is logged and left to the next tick, unless
// Slack is rate limiting or not answering, which ends the tick.
//
// A post is made by the one instance that reserved its subject in SQL, and
// never blindly again: chat.postMessage is not idempotent, and a post
// whose answer was lost (a timeout, a dropped connection, a 5xx) may well
// be in the channel. Such a post keeps its reservation, and is looked up
// in the channel's history (by its metadata) before it is tried again.
func (b *board) show(ctx context.Context, subject string, blocks []slack.Block, text string, final bool) error {
	channel := b.Config.AgentsChannel
	m, ok := b.msgs[subject]
	ok = ok && m.Channel == channel
	switch {
	case ok && m.TS == "":
		// A post under way elsewhere, or whose outcome is unknown.
		found, err := b.lookUp(ctx, &m)
		switch {
		case err != nil || found == lookUpLater:
			return err
		case found == lookUpNone:
			if final {
				// Never shown: nothing to finalise.
				m.Done, m.UpdatedAt = true, b.Now().UnixMilli()
				return b.save(ctx, m)
			}
			return b.post(ctx, m, blocks, text)
		}
	case !ok && final:
		return nil // never posted: nothing to finalise
	case !ok:
		now := b.Now().UnixMilli()
		reserved, err := b.Store.ReserveSlackMessage(ctx, subject, channel, now)
		if err != nil || !reserved {
			return err // another instance posts it
		}
		return b.post(ctx, storage.SlackMessage{Subject: subject, Channel: channel, UpdatedAt: now, ReservedAt: now}, blocks, text)
	}
	return b.update(ctx, m, blocks, text, final)
}

// What lookUp found.
type lookUpResult int

const (
	lookUpLater lookUpResult = iota // under way, too soon to tell, or another instance's attempt
	lookUpNone                      // not in the channel: the caller's attempt at posting it again
	lookUpFound                     // in the channel: its ts adopted and saved
)

// lookUp looks for the message of a reservation whose post's outcome is
// unknown, once its last attempt is a Slack call's budget old (so that a
// post under way has ended) and the caller took the next attempt.
func (b *board) lookUp(ctx context.Context, m *storage.SlackMessage) (lookUpResult, error) {
	// A time in the future (another host's clock ahead) waits too: looking
	// up while that host's post may still be under way could post twice.
	if b.Now().Sub(time.UnixMilli(m.UpdatedAt)) < b.slackBudget() {
		return lookUpLater, nil
	}
	now := b.Now().UnixMilli()
	lastAttempt := m.UpdatedAt
	if took, err := b.Store.RetrySlackPost(ctx, m.Subject, m.UpdatedAt, now); err != nil || !took {
		return lookUpLater, err
	}
	m.UpdatedAt = now
	if err := b.hold(ctx); err != nil {
		return lookUpLater, err
	}
	ts, err := b.findPosted(ctx, m.Subject, m.ReservedAt, lastAttempt)
	if errors.Is(err, errNotSure) {
		b.Log.Warn("board message not found in the history searched; looking again later rather than posting it twice",
			"subject", m.Subject, "err", err)
		return lookUpLater, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return lookUpLater, ctx.Err()
		}
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			return lookUpLater, errors.Join(errStopTick, err)
		}
		b.Log.Warn("board message not looked up", "subject", m.Subject, "err", err)
		return lookUpLater, nil // the reservation stays; the next attempt looks again
	}
	if ts == "" {
		return lookUpNone, nil
	}
	b.Log.Info("board message found after a lost answer", "subject", m.Subject, "ts", ts)
	// What it shows is not known: due for an update at once.
	m.TS, m.Digest, m.UpdatedAt = ts, "", 0
	return lookUpFound, b.save(ctx, *m)
}

// errNotSure is a history search that ended before the window did: the
// message may be further on, so it must not be posted again yet.
var errNotSure = errors.New("slackbot: the history searched ended before the window")

// findPosted returns the ts of the message of subject posted in the
// agents' channel between its reservation and its last attempt's end (unix
// ms, with a margin for the clocks of Slack and of this host), "" if none.
func (b *board) findPosted(ctx context.Context, subject string, reservedAt, lastAttempt int64) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.slackBudget())
	defer cancel()
	slackTS := func(t time.Time) string { return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000) }
	oldest := time.UnixMilli(reservedAt).Add(-time.Minute)
	latest := time.UnixMilli(max(reservedAt, lastAttempt)).Add(b.slackBudget() + time.Minute)
	params := &slack.GetConversationHistoryParameters{ChannelID: b.Config.AgentsChannel, IncludeAllMetadata: true,
		Limit: 200, Oldest: slackTS(oldest), Latest: slackTS(latest), Inclusive: true}
	for page := range 10 { // 2,000 messages: far more than the board posts in its window
		resp, err := b.Sender.API().GetConversationHistoryContext(ctx, params)
		if err != nil {
			return "", fmt.Errorf("slackbot: conversations.history: %w", err)
		}
		for _, msg := range resp.Messages {
			if msg.Metadata.EventType == boardMetadata && msg.Metadata.EventPayload["subject"] == subject {
				return msg.Timestamp, nil
			}
		}
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			return "", nil
		}
		if page == 9 {
			return "", errNotSure
		}
		params.Cursor = resp.ResponseMetaData.NextCursor
	}
	return "", nil
}

// post makes one attempt at posting the message reserved as m.
func (b *board) post(ctx context.Context, m storage.SlackMessage, blocks []slack.Block, text string) error {
	if err := b.hold(ctx); err != nil {
		// Not posted: the next leader need not look it up.
		return errors.Join(err, b.Store.ForgetSlackMessage(context.WithoutCancel(ctx), m))
	}
	opts := []slack.MsgOption{slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: boardMetadata, EventPayload: map[string]any{"subject": m.Subject}})}
	sctx, cancel := context.WithTimeout(ctx, b.slackBudget())
	defer cancel()
	var ts string
	err := b.Sender.wait(sctx, m.Channel, m.Channel)
	sent := err == nil
	if sent {
		ts, _, err = b.Sender.post(sctx, m.Channel, "", opts...)
	}
	if err != nil {
		if !sent || answered(err) {
			// Surely not posted: the next attempt is a plain post.
			if ferr := b.Store.ForgetSlackMessage(context.WithoutCancel(ctx), m); ferr != nil {
				err = errors.Join(err, ferr)
			}
		} else {
			// Maybe posted: looked up before it is tried again.
			b.Log.Warn("board message posted or not: looked up before the next attempt", "subject", m.Subject, "err", err)
		}
		return b.failed(ctx, m.Subject, err)
	}
	m.TS, m.Digest, m.Done, m.UpdatedAt = ts, digest(blocks), false, b.Now().UnixMilli()
	return b.save(ctx, m)
}

// answered says whether a failed post was refused by Slack as a whole,
// so that it is surely not in the channel: a 429, or an error Slack
// answered other than its own internal ones (which may follow a post).
func answered(err error) bool {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return true
	}
	var resp slack.SlackErrorResponse
	if errors.As(err, &resp) {
		switch resp.Err {
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			return false
		}
		return true
	}
	return false
}

// update replaces the message m, retried within a Slack call's budget
// (chat.update is idempotent).
func (b *board) update(ctx context.Context, m storage.SlackMessage, blocks []slack.Block, text string, final bool) error {
	d := digest(blocks)
	if m.Digest == d && m.Done == final {
		return nil
	}
	if age := b.Now().Sub(time.UnixMilli(m.UpdatedAt)); age >= 0 && age < b.Config.BoardInterval {
		// Throttled: the next tick after the interval shows it. A time in
		// the future is another host's clock running ahead, not a reason
		// to wait for it.
		return nil
	}
	opts := []slack.MsgOption{slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false)}
	sctx, cancel := context.WithTimeout(ctx, b.slackBudget())
	defer cancel()
	err := Retry(sctx, func(ctx context.Context) (bool, error) {
		if err := b.hold(ctx); err != nil {
			return false, err
		}
		retry, err := b.Sender.Update(ctx, m.Channel, m.TS, opts...)
		var ra *RetryAfterError
		if errors.As(err, &ra) {
			return false, err // a 429 ends the tick
		}
		return retry, err
	})
	if err != nil {
		if errors.Is(err, errLeaseLost) || errors.Is(err, errTickOver) {
			return err
		}
		if gone(err) {
			if final {
				b.Log.Warn("board message gone: not finalised", "subject", m.Subject, "ts", m.TS, "err", err)
				m.Done, m.UpdatedAt = true, b.Now().UnixMilli()
				return b.save(ctx, m)
			}
			b.Log.Warn("board message gone: posted anew", "subject", m.Subject, "ts", m.TS, "err", err)
			delete(b.msgs, m.Subject)
			return b.Store.ForgetSlackMessage(ctx, m)
		}
		return b.failed(ctx, m.Subject, err)
	}
	m.Digest, m.Done, m.UpdatedAt = d, final, b.Now().UnixMilli() // when Slack took it, for the throttle
	return b.save(ctx, m)
}

// gone says whether an update failed because its message cannot be
// updated any more, ever: deleted, too old, or its channel archived or
// left. Retrying would fail every tick.
func gone(err error) bool {
	var resp slack.SlackErrorResponse
	if !errors.As(err, &resp) {
		return false
	}
	switch resp.Err {
	case "message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found", "is_archived", "not_in_channel":
		return true
	}
	return false
}

// failed logs a failed Slack call and says whether the tick goes on.
func (b *board) failed(ctx context.Context, subject string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ra *RetryAfterError
	var rl *slack.RateLimitedError
	if errors.As(err, &ra) || errors.As(err, &rl) || errors.Is(err, context.DeadlineExceeded) {
		return errors.Join(errStopTick, err)
	}
	b.Log.Warn("board message not shown", "subject", subject, "err", err)
	return nil
}

// save records m, even if ctx ends now: a message posted and forgotten
// would be posted again.
func (b *board) save(ctx context.Context, m storage.SlackMessage) error {
	b.msgs[m.Subject] = m
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return b.Store.SaveSlackMessage(sctx, m)
}

// idleWindow is how long a cluster with no new inquiry stays in the queue.
func (a *App) idleWindow() time.Duration {
	if a.IdleWindow > 0 {
		return a.IdleWindow
	}
	return triage.DefaultOptions().IdleWindow
}

// refresh makes the board show a subject's new state at its next tick,
// whatever its interval. It is best effort: the change is in SQL already
// and shows at the next interval anyway.
func (a *App) refresh(ctx context.Context, subjects ...string) {
	for _, s := range subjects {
		if err := a.Store.RefreshSlackMessage(ctx, s); err != nil {
			a.Log.Warn("board message not refreshed", "subject", s, "err", err)
		}
	}
}
