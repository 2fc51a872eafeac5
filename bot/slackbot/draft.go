package slackbot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/surgedesk/surgedesk/assist"
)

// Drafter drafts a reply to all with the chat model (assist.Suggester):
// keyed "cluster:ID" or "problem:ID", as the HTTP API's suggestions are,
// so a draft asked for anywhere is reused for ten minutes.
type Drafter interface {
	Cached(key string) (assist.Suggestion, bool)
	Suggest(ctx context.Context, key string, samples []string) (assist.Suggestion, error)
}

// draftJob is a reply form opened before its draft existed: the drafter
// asks the model and shows the draft in the form, still open.
type draftJob struct {
	viewID, hash string
	key          string
	texts        func(ctx context.Context) ([]string, error)
	form         replyForm
	at           time.Time // when the form opened
}

const (
	// draftWithin bounds one draft from the form's opening, the model's
	// answer included; a form that waited longer gets none (its agent
	// has written the reply by then).
	draftWithin = time.Minute
	// draftWorkers drafts are asked for at once (the assist client's
	// rate limit still applies), so a slow model does not hold the forms
	// opened after one.
	draftWorkers = 4
	// draftQueue is how many forms may wait for a draft; past it a form
	// stays without one (it is help, not work that must be done).
	draftQueue = 16
)

// draftKinds: what a reply form says of the chat model's draft.
type draftKind int

const (
	draftNone    draftKind = iota // no chat model
	draftPending                  // asked for; the form is updated when it comes
	draftFailed                   // the model did not answer
	draftShown                    // came while the form was open: shown beneath the box
	draftFilled                   // there when the form opened: in the box
)

// draft is the chat model's draft as a reply form shows it: the reply
// (text), and the model's title of the problem.
type draft struct {
	kind  draftKind
	text  string
	title string
	model string
}

// draftOf is s as form shows it.
func draftOf(kind draftKind, form replyForm, s assist.Suggestion) draft {
	var titles []string
	for _, t := range []string{s.TitleKO, s.TitleEN} {
		if t != "" && !slices.Contains(titles, t) {
			titles = append(titles, t)
		}
	}
	return draft{kind: kind, text: form.draftText(s), title: strings.Join(titles, " / "), model: s.Model}
}

// openReplyForm opens form and, with a chat model, a draft for it: in
// the box at once when one is cached, otherwise asked for in the
// background and shown beneath the box when it comes. Nothing is sent
// until the agent submits the form.
func (a *App) openReplyForm(ctx context.Context, triggerID, key string, form replyForm, texts func(context.Context) ([]string, error)) error {
	d := draft{}
	if a.Drafter != nil {
		d.kind = draftPending
		if s, ok := a.Drafter.Cached(key); ok {
			// A cached draft with no reply in the form's languages is
			// no draft; asking again would only return it.
			d = draftOf(draftFilled, form, s)
			if d.text == "" {
				d = draft{}
			}
		}
	}
	id, hash, err := a.Sender.OpenView(ctx, triggerID, form.modal(d))
	if err != nil || d.kind != draftPending {
		return err
	}
	select {
	case a.drafts <- draftJob{viewID: id, hash: hash, key: key, texts: texts, form: form, at: time.Now()}:
	default:
		a.Log.Warn("slack: too many reply forms wait for a draft; this one gets none", "for", key)
	}
	return nil
}

// runDrafts drafts replies for the forms opened without one, with
// draftWorkers at once, until ctx ends.
func (a *App) runDrafts(ctx context.Context) error {
	var wg sync.WaitGroup
	for range draftWorkers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-a.drafts:
					a.fillDraft(ctx, j)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// fillDraft asks the model for j's draft and shows it in j's form; the
// box the agent may be typing in is left as it is.
func (a *App) fillDraft(ctx context.Context, j draftJob) {
	ctx, cancel := context.WithDeadline(ctx, j.at.Add(draftWithin))
	defer cancel()
	if ctx.Err() != nil {
		a.Log.Info("slack: reply form waited too long for a draft; it gets none", "for", j.key)
		return
	}
	texts, err := j.texts(ctx)
	var s assist.Suggestion
	if err == nil {
		s, err = a.Drafter.Suggest(ctx, j.key, texts)
	}
	d := draftOf(draftShown, j.form, s)
	if err == nil && d.text == "" {
		err = errors.New("slackbot: the draft holds no reply")
	}
	if err != nil {
		a.Log.Warn("slack: no draft for the reply form", "for", j.key, "err", err)
		d = draft{kind: draftFailed}
	}
	if err := a.Sender.UpdateView(ctx, j.viewID, j.hash, j.form.modal(d)); err != nil {
		// Closed or submitted meanwhile, most likely.
		a.Log.Info("slack: reply form not updated with its draft", "for", j.key, "err", err)
	}
}

// draftNote is what the form says of its draft.
func draftNote(d draft) []slack.Block {
	const never = " Nothing is sent until you press Send."
	by := escape(d.model)
	if d.title != "" {
		by += " (" + escape(d.title) + ")"
	}
	switch d.kind {
	case draftPending:
		return []slack.Block{slack.NewContextBlock("draft", mrkdwn(":pencil2: Drafting a reply with the chat model; it appears below in a few seconds."+never))}
	case draftFailed:
		return []slack.Block{slack.NewContextBlock("draft", mrkdwn("No draft came this time; write the reply yourself."))}
	case draftFilled:
		return []slack.Block{slack.NewContextBlock("draft", mrkdwn(":pencil2: Drafted by "+by+": check and edit it."+never))}
	case draftShown:
		return []slack.Block{
			slack.NewContextBlock("draft", mrkdwn(":pencil2: Drafted by "+by+": copy what fits into the box and edit it."+never)),
			slack.NewSectionBlock(plain(d.text), nil, nil),
		}
	}
	return nil
}
