package slackbot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/storage"
)

// maxReply bounds a reply to all in bytes (desk.MaxReply). The modal's
// input also stops at maxReplyChars characters, Slack's most; a reply of
// Korean text reaches maxReply bytes first, and the modal then says so.
const maxReply = desk.MaxReply

// Interactivity serves POST /slack/interactivity: button clicks on the
// board and alerts, and modal submissions. Slack wants an answer within
// three seconds, so the SQL work is done here (it is fast) and every
// Slack call but views.open (whose trigger expires) is left to the board
// or made in the background.
func (a *App) Interactivity(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r, "interaction")
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	var cb slack.InteractionCallback
	if err == nil {
		err = json.Unmarshal([]byte(form.Get("payload")), &cb)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_payload", "the payload field is not a Slack interaction: "+err.Error())
		return
	}
	if acts(cb) && !a.firstRequest(w, r, interactionTeam(cb), interactionIdentity(cb), func() {
		w.WriteHeader(http.StatusOK) // acted on already; an empty 200 closes a modal
	}) {
		return
	}
	resp, err := a.handleInteraction(r.Context(), cb)
	if err != nil {
		a.Log.Error("Slack interaction", "type", cb.Type, "user", cb.User.ID, "err", err)
		if a.databaseDown() {
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "unavailable", "the database is unavailable; retry later")
			return
		}
		writeError(w, http.StatusInternalServerError, "internal", "unable to act on the interaction")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if resp == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	_ = json.NewEncoder(w).Encode(resp)
}

// interactionIdentity is what a replay of the interaction repeats and two
// genuine ones do not: for a click, who clicked where and each action's
// action_ts (Slack's timestamp of that click); for a modal submission, the
// view's id and hash with the values submitted (a resubmission after a
// validation error keeps the hash but changes the values). Empty when the
// payload lacks them: firstRequest then goes by the signature.
func interactionIdentity(cb slack.InteractionCallback) string {
	var parts []string
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		parts = append(parts, "action", cb.User.ID, cb.Container.Type, cb.Container.ChannelID, cb.Container.MessageTs, cb.Container.ViewID, cb.View.ID)
		for _, act := range cb.ActionCallback.BlockActions {
			if act.ActionTs == "" {
				return ""
			}
			parts = append(parts, act.ActionID, act.ActionTs)
		}
	case slack.InteractionTypeViewSubmission:
		values, err := json.Marshal(cb.View.State)
		if err != nil {
			return ""
		}
		sum := sha256.Sum256(values)
		parts = append(parts, "view", cb.User.ID, cb.View.ID, cb.View.Hash, hex.EncodeToString(sum[:16]))
	}
	return strings.Join(parts, "/")
}

// acts reports whether an interaction changes anything (view_closed and
// the rest do not, and are not recorded).
func acts(cb slack.InteractionCallback) bool {
	return cb.Type == slack.InteractionTypeBlockActions || cb.Type == slack.InteractionTypeViewSubmission
}

func interactionTeam(cb slack.InteractionCallback) string {
	if cb.Team.ID != "" {
		return cb.Team.ID
	}
	return cb.User.TeamID
}

// handleInteraction acts on a button click or modal submission and returns
// what to answer Slack with (nil: an empty 200).
func (a *App) handleInteraction(ctx context.Context, cb slack.InteractionCallback) (any, error) {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		for _, act := range cb.ActionCallback.BlockActions {
			if err := a.blockAction(ctx, cb, act); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case slack.InteractionTypeViewSubmission:
		return a.viewSubmission(ctx, cb)
	}
	return nil, nil // view_closed and the rest need nothing
}

// blockAction acts on one button of the board or of an alert.
func (a *App) blockAction(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction) error {
	user, channel, id := cb.User.ID, cb.Channel.ID, act.Value
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	agent, manager := a.roles(user, channel)
	switch {
	case act.ActionID == actionDeclare && !manager:
		a.ephemeral(ctx, channel, user, "Only managers can declare an incident.")
		return nil
	case !agent:
		a.ephemeral(ctx, channel, user, "Only agents can act on the queue.")
		return nil
	}
	actor := Actor(user)
	switch act.ActionID {
	case actionClaim:
		_, err := a.Desk.Claim(ctx, actor, id)
		var held *storage.ClaimedError
		if errors.As(err, &held) && manager {
			// A manager's click takes the claim over (audited).
			_, previous, terr := a.Desk.TakeOver(ctx, actor, id)
			if terr == nil && previous != "" {
				a.ephemeral(ctx, channel, user, "You took the claim over from "+who(previous)+".")
			}
			err = terr
		}
		if errors.As(err, &held) {
			a.ephemeral(ctx, channel, user, "Claimed by "+who(held.Holder)+" already.")
			return nil
		}
		if err := a.queueError(ctx, channel, user, err); err != nil {
			return err
		}
	case actionResolve:
		if err := a.queueError(ctx, channel, user, a.Desk.Resolve(ctx, actor, id)); err != nil {
			return err
		}
	case actionReply, actionLink:
		return a.openModal(ctx, cb, act.ActionID, id)
	case actionProblemClaim, actionProblemResolve, actionProblemReply, actionProblemLink, actionProblemName:
		return a.problemAction(ctx, cb, act.ActionID, id, manager)
	case actionDeclare:
		return a.declare(ctx, channel, user, id)
	case actionDismiss:
		err := a.Desk.DismissAlert(ctx, actor, id)
		if errors.Is(err, storage.ErrExists) || errors.Is(err, storage.ErrNotFound) {
			a.ephemeral(ctx, channel, user, "This alert was declared or dismissed already.")
			return nil
		}
		if err != nil {
			return err
		}
		a.refresh(ctx, alertSubject(id))
		return nil
	default:
		return nil
	}
	a.refreshCluster(ctx, id)
	return nil
}

// refreshCluster refreshes a cluster's card and its problem's.
func (a *App) refreshCluster(ctx context.Context, id string) {
	subjects := []string{clusterSubject(id)}
	if c, err := a.Store.Cluster(ctx, id); err == nil && c.ProblemID != "" {
		subjects = append(subjects, problemSubject(c.ProblemID))
	}
	a.refresh(ctx, subjects...)
}

// problemAction acts on one button of a problem's card: the same desk
// actions as POST /v1/problems/{id}/claim, /resolve, /reply, /link and
// /name.
func (a *App) problemAction(ctx context.Context, cb slack.InteractionCallback, action, id string, manager bool) error {
	user, channel := cb.User.ID, cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	actor := Actor(user)
	var err error
	switch action {
	case actionProblemClaim:
		_, _, err = a.Desk.ClaimProblem(ctx, actor, id)
		var held *storage.ClaimedError
		if errors.As(err, &held) && manager {
			// A manager's click takes the claim over (audited).
			if _, _, err = a.Desk.TakeOverProblem(ctx, actor, id); err == nil {
				a.ephemeral(ctx, channel, user, "You took the problem's claim over from "+who(held.Holder)+".")
			}
		}
	case actionProblemResolve:
		var skipped int
		_, skipped, err = a.Desk.ResolveProblem(ctx, actor, id)
		if err == nil && skipped > 0 {
			a.ephemeral(ctx, channel, user, fmt.Sprintf("%d of its clusters were claimed meanwhile and stay open.", skipped))
		}
	case actionProblemReply, actionProblemLink, actionProblemName:
		if a.Desk.ProblemStore == nil {
			return a.problemError(ctx, channel, user, desk.ErrNoProblems)
		}
		p, perr := a.Desk.ProblemStore.Problem(ctx, id)
		switch {
		case errors.Is(perr, storage.ErrNotFound) || perr == nil && (p.Status != storage.ProblemOpen || p.Clusters == 0):
			a.ephemeral(ctx, channel, user, "This problem is no longer in the queue.")
			return nil
		case perr != nil:
			return perr
		}
		var opened error
		switch action {
		case actionProblemReply:
			clusters, err := a.Desk.ProblemStore.ProblemClusters(ctx, p.ID)
			if err != nil {
				return err
			}
			opened = a.openReplyForm(ctx, cb.TriggerID, desk.ProblemDraftKey(p.ID), problemReplyModal(p, clusters), func(ctx context.Context) ([]string, error) {
				return a.Desk.ProblemTexts(ctx, p.ID)
			})
		case actionProblemName:
			var s assist.Suggestion
			var model string
			if a.Drafter != nil && p.NamedBy == "" {
				if d, ok := a.Drafter.Cached(desk.ProblemDraftKey(p.ID)); ok && (d.TitleKO != "" || d.TitleEN != "") {
					s, model = d, d.Model
				}
			}
			_, _, opened = a.Sender.OpenView(ctx, cb.TriggerID, nameModal(p, s, model))
		default:
			incidents, err := a.Store.Incidents(ctx, true)
			if err != nil {
				return err
			}
			if len(incidents) == 0 {
				a.ephemeral(ctx, channel, user, "There is no active incident to link to.")
				return nil
			}
			_, _, opened = a.Sender.OpenView(ctx, cb.TriggerID, incidentModal(viewProblemLink, p.ID, problemLabel(p.ID, p.Title, p.OtherTitle),
				fmt.Sprintf("All of its %d clusters are linked; their customers will get the incident's updates.", p.Clusters), incidents))
		}
		if opened != nil {
			a.Log.Warn("modal not opened", "action", action, "problem", id, "err", opened)
			a.ephemeral(ctx, channel, user, "Slack did not open the form; try again.")
		}
		return nil
	}
	if err := a.problemError(ctx, channel, user, err); err != nil {
		return err
	}
	a.refresh(ctx, problemSubject(id))
	return nil
}

// problemError tells the user when the problem is gone or another agent
// holds one of its clusters, and returns the other errors.
func (a *App) problemError(ctx context.Context, channel, user string, err error) error {
	var held *storage.ClaimedError
	switch {
	case errors.Is(err, storage.ErrNotFound) || errors.Is(err, desk.ErrNoProblems):
		a.ephemeral(ctx, channel, user, "This problem is no longer in the queue.")
		return nil
	case errors.As(err, &held):
		a.ephemeral(ctx, channel, user, "Claimed by "+who(held.Holder)+": only they can act on its clusters until the claim expires (a manager can take it over).")
		return nil
	}
	return err
}

// queueError tells the user when the cluster is gone or another agent
// holds it, and returns the other errors.
func (a *App) queueError(ctx context.Context, channel, user string, err error) error {
	var held *storage.ClaimedError
	switch {
	case errors.Is(err, storage.ErrNotFound):
		a.ephemeral(ctx, channel, user, "This cluster is no longer in the queue.")
		return nil
	case errors.As(err, &held):
		a.ephemeral(ctx, channel, user, "Claimed by "+who(held.Holder)+": only they can act on it until the claim expires (a manager can take it over).")
		return nil
	}
	return err
}

// replyRefused is what the reply modal says when a reply to all of a
// cluster or problem (what) is refused for its input or its state.
func replyRefused(err error, what string) (string, bool) {
	if msg, ok := heldText(err); ok {
		return msg, true
	}
	switch {
	case errors.Is(err, desk.ErrMissing):
		return "Write the reply first.", true
	case errors.Is(err, desk.ErrInvalid):
		return fmt.Sprintf("The reply is longer than %d bytes.", maxReply), true
	case errors.Is(err, storage.ErrNotFound) || errors.Is(err, desk.ErrNoProblems):
		return "This " + what + " is no longer in the queue.", true
	}
	return "", false
}

// linkRefused is what the link modal says when a link is refused: another
// agent's claim, an incident gone, or what was linked gone (gone says so).
func linkRefused(err error, gone string) (string, bool) {
	if msg, ok := heldText(err); ok {
		return msg, true
	}
	switch {
	case errors.Is(err, desk.ErrNoIncident):
		return "This incident no longer exists.", true
	case errors.Is(err, storage.ErrNotFound) || errors.Is(err, desk.ErrNoProblems):
		return gone, true
	}
	return "", false
}

// heldText is what a modal says when another agent's claim holds the cluster.
func heldText(err error) (string, bool) {
	var held *storage.ClaimedError
	if errors.As(err, &held) {
		return "Claimed by " + who(held.Holder) + ": only they can act on it until the claim expires.", true
	}
	return "", false
}

// openModal opens the reply or link modal for a cluster still open.
func (a *App) openModal(ctx context.Context, cb slack.InteractionCallback, action, id string) error {
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	c, err := a.Store.Cluster(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || err == nil && c.Status != storage.ClusterOpen {
		a.ephemeral(ctx, channel, cb.User.ID, "This cluster is no longer in the queue.")
		return nil
	}
	if err != nil {
		return err
	}
	var opened error // each case has errors of its own
	switch action {
	case actionReply:
		replies, err := a.Store.ClusterReplies(ctx, []string{id})
		if err != nil {
			return err
		}
		if r, ok := replies[id]; ok {
			a.ephemeral(ctx, channel, cb.User.ID, "Already replied to all by "+who(r.By)+".")
			return nil
		}
		opened = a.openReplyForm(ctx, cb.TriggerID, desk.ClusterDraftKey(c.ID), replyModal(c), func(ctx context.Context) ([]string, error) {
			return a.Desk.ClusterTexts(ctx, c.ID)
		})
	case actionLink:
		incidents, err := a.Store.Incidents(ctx, true)
		if err != nil {
			return err
		}
		if len(incidents) == 0 {
			a.ephemeral(ctx, channel, cb.User.ID, "There is no active incident to link to.")
			return nil
		}
		_, _, opened = a.Sender.OpenView(ctx, cb.TriggerID, linkModal(c, incidents))
	}
	if opened != nil {
		a.Log.Warn("modal not opened", "action", action, "cluster", id, "err", opened)
		a.ephemeral(ctx, channel, cb.User.ID, "Slack did not open the form; try again.")
	}
	return nil
}

// viewSubmission acts on a submitted modal; input problems go back to the
// modal as errors on their block.
func (a *App) viewSubmission(ctx context.Context, cb slack.InteractionCallback) (any, error) {
	id, actor := cb.View.PrivateMetadata, Actor(cb.User.ID)
	value := func(block, action string) slack.BlockAction {
		if cb.View.State == nil {
			return slack.BlockAction{}
		}
		return cb.View.State.Values[block][action]
	}
	fail := func(block, msg string) (any, error) {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{block: msg}), nil
	}
	switch cb.View.CallbackID {
	case viewReply:
		_, err := a.Desk.Reply(ctx, actor, id, value(blockReply, inputReply).Value)
		if msg, ok := replyRefused(err, "cluster"); ok {
			return fail(blockReply, msg)
		}
		switch {
		case errors.Is(err, storage.ErrExists):
			return fail(blockReply, "This cluster was already replied to.")
		case err != nil:
			return nil, err
		}
	case viewLink:
		incident := value(blockIncident, inputIncident).SelectedOption.Value
		if incident == "" {
			return fail(blockIncident, "Choose an incident.")
		}
		err := a.Desk.Link(ctx, actor, id, incident)
		if msg, ok := linkRefused(err, "This cluster no longer exists."); ok {
			return fail(blockIncident, msg)
		}
		if err != nil {
			return nil, err
		}
	case viewProblemLink:
		incident := value(blockIncident, inputIncident).SelectedOption.Value
		if incident == "" {
			return fail(blockIncident, "Choose an incident.")
		}
		_, err := a.Desk.LinkProblem(ctx, actor, id, incident)
		if msg, ok := linkRefused(err, "This problem is no longer in the queue."); ok {
			return fail(blockIncident, msg)
		}
		if err != nil {
			return nil, err
		}
		a.refresh(ctx, problemSubject(id))
		return nil, nil
	case viewProblemName:
		err := a.Desk.NameProblem(ctx, actor, id, value(blockTitleKO, inputTitle).Value, value(blockTitleEN, inputTitle).Value)
		switch {
		case errors.Is(err, desk.ErrMissing):
			return fail(blockTitleKO, "Give the problem a name in Korean, English or both.")
		case errors.Is(err, desk.ErrInvalid):
			return fail(blockTitleKO, fmt.Sprintf("A name is at most %d characters.", desk.MaxTitle))
		case errors.Is(err, storage.ErrNotFound) || errors.Is(err, desk.ErrNoProblems):
			return fail(blockTitleKO, "This problem is no longer in the queue.")
		case err != nil:
			return nil, err
		}
		a.refresh(ctx, problemSubject(id))
		return nil, nil
	case viewProblemReply:
		queued, replied, err := a.Desk.ReplyToProblem(ctx, actor, id, value(blockReply, inputReply).Value)
		if msg, ok := replyRefused(err, "problem"); ok {
			return fail(blockReply, msg)
		}
		switch {
		case err != nil:
			return nil, err
		case replied == 0 && queued == 0:
			return fail(blockReply, "Every cluster of this problem was already replied to.")
		}
		a.refresh(ctx, problemSubject(id))
		return nil, nil
	default:
		return nil, nil
	}
	a.refreshCluster(ctx, id)
	return nil, nil
}

// declare declares an incident from a surge alert for a manager
// (desk.DeclareAlert); the alert's message says so at the board's next tick.
func (a *App) declare(ctx context.Context, channel, user, clusterID string) error {
	_, err := a.Desk.DeclareAlert(ctx, Actor(user), clusterID)
	if errors.Is(err, storage.ErrExists) || errors.Is(err, storage.ErrNotFound) {
		a.ephemeral(ctx, channel, user, "This alert was declared or dismissed already.")
		return nil
	}
	if err != nil {
		return err
	}
	// Committed: what follows must happen even if Slack hangs up now.
	ctx = context.WithoutCancel(ctx)
	a.refresh(ctx, alertSubject(clusterID))
	a.refreshCluster(ctx, clusterID)
	return nil
}

// ephemeral tells one user something in the background: the interaction
// is answered at once, and the message waits its turn in the channel.
func (a *App) ephemeral(ctx context.Context, channel, user, text string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.Config.Timeout)
	go func() {
		defer cancel()
		err := Retry(ctx, func(ctx context.Context) (bool, error) {
			return a.Sender.PostEphemeral(ctx, channel, user, slack.MsgOptionText(text, false))
		})
		if err != nil {
			a.Log.Warn("ephemeral message not sent", "channel", channel, "user", user, "err", err)
		}
	}()
}
