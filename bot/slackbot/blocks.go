package slackbot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

// Action IDs of the board's and alerts' buttons, and callback IDs of the
// modals they open. A button's value is the cluster's id.
const (
	actionClaim   = "claim"
	actionReply   = "reply"
	actionResolve = "resolve"
	actionLink    = "link"
	actionDeclare = "declare"
	actionDismiss = "dismiss"

	viewReply = "reply"
	viewLink  = "link"

	// Block and action IDs of the modals' inputs.
	blockReply    = "reply"
	inputReply    = "text"
	blockIncident = "incident"
	inputIncident = "incident"
)

// boardItem is one cluster as the board shows it.
type boardItem struct {
	desk.QueueItem
	Reply    *storage.Reply
	Incident string // the linked incident's title, when known
}

// done says why a cluster left the queue, "" while it is in it.
func (it boardItem) done(idle bool) string {
	switch {
	case it.Status == storage.ClusterClosed:
		return "Resolved"
	case it.Status != storage.ClusterOpen:
		return "Done (" + it.Status + ")" // merged, or a status to come
	case idle:
		return "Closed: no inquiry for a while"
	}
	return ""
}

// clusterBlocks renders a cluster's board message; final (non-empty: why
// it is done) drops the buttons.
func clusterBlocks(it boardItem, final string, now time.Time) (blocks []slack.Block, fallback string) {
	label := desk.ClusterLabel(it.Cluster)
	counts := fmt.Sprintf("%d inquiries · %d customers · %d in 5 min · %d in 15 min",
		it.Inquiries, it.Customers, it.Last5m, it.Last15m)
	title := "*" + escape(label) + "*"
	if final != "" {
		title = "~" + escape(label) + "~ :white_check_mark: " + final
		counts = fmt.Sprintf("%d inquiries · %d customers", it.Inquiries, it.Customers)
	}
	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(title+"\n"+counts), nil, nil, slack.SectionBlockOptionBlockID("summary")))
	if final == "" && len(it.Samples) > 0 {
		blocks = append(blocks, slack.NewContextBlock("samples", sampleElements(it.Samples)...))
	}
	var state []string
	if it.IncidentID != "" {
		inc := "Incident `" + it.IncidentID + "`"
		if it.Incident != "" {
			inc += " " + escape(it.Incident)
		}
		state = append(state, inc+" (answered automatically)")
	}
	if final == "" && it.ClaimedBy != "" && it.ClaimedUntil > now.UnixMilli() {
		state = append(state, "Claimed by "+who(it.ClaimedBy)+" until "+slackTime(time.UnixMilli(it.ClaimedUntil)))
	}
	if it.Reply != nil {
		state = append(state, "Replied to all by "+who(it.Reply.By)+": "+escape(truncate(oneLine(it.Reply.Text), 150)))
	}
	if len(state) > 0 {
		blocks = append(blocks, contextBlock("state", state))
	}
	if final == "" {
		blocks = append(blocks, slack.NewActionBlock("actions",
			slack.NewButtonBlockElement(actionClaim, it.ID, plain("Claim")),
			slack.NewButtonBlockElement(actionReply, it.ID, plain("Reply to all")).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement(actionResolve, it.ID, plain("Resolve")),
			slack.NewButtonBlockElement(actionLink, it.ID, plain("Link to incident")),
		))
	}
	// The notification's text is mrkdwn too: customers' text escaped.
	return blocks, escape(label) + " — " + counts
}

// alertBlocks renders a surge alert; once decided it drops the buttons and
// says who decided what.
func alertBlocks(a storage.Alert) (blocks []slack.Block, fallback string) {
	// The problem's title (a member text) rather than keywords.
	label := triage.TitleOf(oneLine(a.Representative)).Text
	if label == "" {
		label = strings.Join(a.Label, " ")
	}
	text := fmt.Sprintf(":rotating_light: *Possible incident: %s*\n%.1f inquiries a minute · %d inquiries · %d customers · no incident linked",
		escape(label), a.PerMinute, a.Inquiries, a.Customers)
	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(text), nil, nil, slack.SectionBlockOptionBlockID("summary")))
	if len(a.Samples) > 0 {
		var samples []slack.MixedElement
		for _, s := range a.Samples {
			samples = append(samples, mrkdwn("> "+escape(truncate(oneLine(s), 150))))
		}
		blocks = append(blocks, slack.NewContextBlock("samples", samples...))
	}
	switch {
	case a.Status == storage.AlertOpen:
		blocks = append(blocks, slack.NewActionBlock("actions",
			slack.NewButtonBlockElement(actionDeclare, a.ClusterID, plain("Declare")).WithStyle(slack.StyleDanger),
			slack.NewButtonBlockElement(actionDismiss, a.ClusterID, plain("Dismiss")),
		))
	case a.Status == storage.AlertDeclared:
		blocks = append(blocks, slack.NewContextBlock("decision",
			mrkdwn(":white_check_mark: Declared by "+who(a.DecidedBy)+" as incident `"+a.IncidentID+"`")))
	case a.Status == storage.AlertResolved && a.IncidentID != "":
		blocks = append(blocks, slack.NewContextBlock("decision",
			mrkdwn(":white_check_mark: Resolved: linked to incident `"+a.IncidentID+"` by "+who(a.DecidedBy))))
	case a.Status == storage.AlertResolved:
		blocks = append(blocks, slack.NewContextBlock("decision",
			mrkdwn(":white_check_mark: Resolved: its cluster was dealt with or went quiet ("+who(a.DecidedBy)+")")))
	default:
		blocks = append(blocks, slack.NewContextBlock("decision", mrkdwn("Dismissed by "+who(a.DecidedBy))))
	}
	return blocks, "Possible incident: " + escape(label)
}

// maxReplyChars is the most a plain_text_input takes (Slack allows
// 1–3000 characters); the submission is then held to maxReply bytes, as
// in the HTTP API.
const maxReplyChars = 3000

// replyForm is a reply-to-all modal: what it is for (label, and a note
// saying who gets it), and callback and metadata saying so when it is
// submitted. korean and english are the languages its customers write in,
// for the draft.
type replyForm struct {
	callback, metadata, label, note string
	korean, english                 bool
}

// replyModal asks for the reply to everyone in a cluster.
func replyModal(c storage.Cluster) replyForm {
	ko := triage.Lang(c.Representative) == "ko"
	return replyForm{callback: viewReply, metadata: c.ID, label: desk.ClusterLabel(c),
		note:   fmt.Sprintf("Goes to each of the %d customers in their own channel, once.", c.Customers),
		korean: ko, english: !ko}
}

// modal is the form, with what it says of the chat model's draft.
func (f replyForm) modal(d draft) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(plain("모두에게 보낼 답변 / The reply everyone gets"), inputReply).WithMultiline(true)
	input.MaxLength = maxReplyChars
	if d.kind == draftFilled {
		input.InitialValue = d.text
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn("*"+escape(f.label)+"*\n"+f.note), nil, nil),
		slack.NewInputBlock(blockReply, plain("Reply"), nil, input),
	}
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: f.callback, PrivateMetadata: f.metadata,
		Title: plain("Reply to all"), Submit: plain("Send"), Close: plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: append(blocks, draftNote(d)...)},
	}
}

// draftText is the reply of s in the form's languages (both when it
// knows neither), cut to what the box takes and a reply may hold.
func (f replyForm) draftText(s assist.Suggestion) string {
	var parts []string
	if f.korean || !f.english {
		parts = append(parts, s.ReplyKO)
	}
	if f.english || !f.korean {
		parts = append(parts, s.ReplyEN)
	}
	text := truncate(strings.TrimSpace(strings.Join(slices.DeleteFunc(parts, func(p string) bool { return strings.TrimSpace(p) == "" }), "\n\n")), maxReplyChars)
	if len(text) > maxReply { // Korean runs out of bytes before characters
		text = strings.ToValidUTF8(text[:maxReply-len("…")], "") + "…"
	}
	return text
}

// linkModal offers the active incidents to link a cluster to.
func linkModal(c storage.Cluster, incidents []kb.Incident) slack.ModalViewRequest {
	return incidentModal(viewLink, c.ID, desk.ClusterLabel(c), "Its customers will get the incident's updates.", incidents)
}

// incidentModal offers the active incidents to link what (named label)
// to; callback and metadata say what it is when submitted.
func incidentModal(callback, metadata, label, note string, incidents []kb.Incident) slack.ModalViewRequest {
	var options []*slack.OptionBlockObject
	for _, inc := range incidents[:min(len(incidents), 100)] { // Slack's limit
		options = append(options, slack.NewOptionBlockObject(inc.ID, plain(truncate(inc.ID+" · "+inc.Title("ko"), 75)), nil))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose an incident"), inputIncident, options...)
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: callback, PrivateMetadata: metadata,
		Title: plain("Link to incident"), Submit: plain("Link"), Close: plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn("*"+escape(label)+"*\n"+note), nil, nil),
			slack.NewInputBlock(blockIncident, plain("Incident"), nil, sel),
		}},
	}
}

// digest identifies what a message shows, to update it only on a change.
func digest(blocks []slack.Block) string {
	b, _ := json.Marshal(blocks)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// who shows an audit actor: a Slack user as a mention, others as named.
func who(actor string) string {
	if u, ok := strings.CutPrefix(actor, "slack:"); ok {
		return "<@" + u + ">"
	}
	return escape(actor)
}

// holders names who holds a live claim on a problem's clusters at now, and
// how many of its clusters are claimed.
func holders(p desk.ProblemItem, now time.Time) (names []string, claimed int) {
	ids, claimed := p.Holders(now)
	for _, id := range ids {
		names = append(names, who(id))
	}
	return names, claimed
}

// slackTime shows t in each reader's own time zone, with a UTC fallback.
func slackTime(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{time}|%s>", t.Unix(), t.UTC().Format("15:04 UTC"))
}

// sampleElements quotes the samples' texts, each once: a repeated text
// tells nothing more.
func sampleElements(samples []storage.Inquiry) []slack.MixedElement {
	var els []slack.MixedElement
	seen := map[string]bool{}
	for _, s := range samples {
		text := truncate(oneLine(s.Text), 150)
		if !seen[text] {
			seen[text] = true
			els = append(els, mrkdwn("> "+escape(text)))
		}
	}
	return els
}

// contextBlock shows texts (mrkdwn) side by side in small print.
func contextBlock(id string, texts []string) *slack.ContextBlock {
	els := make([]slack.MixedElement, 0, len(texts))
	for _, s := range texts {
		els = append(els, mrkdwn(s))
	}
	return slack.NewContextBlock(id, els...)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// escape keeps customers' text from forming mentions or links: Slack
// reads <, > and & as control characters.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escape(s string) string { return escaper.Replace(s) }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
