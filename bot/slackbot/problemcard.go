package slackbot

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/surgedesk/surgedesk/assist"
	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/storage"
)

// Action IDs of a problem card's buttons and callback ID of its reply
// modal. A button's value is the problem's id.
const (
	actionProblemClaim   = "problem_claim"
	actionProblemReply   = "problem_reply"
	actionProblemResolve = "problem_resolve"
	actionProblemLink    = "problem_link"
	actionProblemName    = "problem_name"

	viewProblemReply = "problem_reply"
	viewProblemLink  = "problem_link"
	viewProblemName  = "problem_name"

	// The name modal's inputs.
	blockTitleKO = "title_ko"
	blockTitleEN = "title_en"
	inputTitle   = "title"
)

// cardClusters is how many of a problem's clusters its card lists, each
// with its samples; the rest are counted.
const cardClusters = 5

func problemSubject(id string) string { return "problem:" + id }

// card is one message of the board: a problem with its clusters, or a
// cluster not placed in any problem (yet).
type card struct {
	Problem  desk.ProblemItem
	Clusters []boardItem // in the queue's order; the cluster itself for a cluster card
}

// subject names the card's message in storage.
func (c card) subject() string {
	if c.Problem.ProblemID == "" {
		return clusterSubject(c.Clusters[0].ID)
	}
	return problemSubject(c.Problem.ProblemID)
}

// blocks renders the card; final (non-empty: why it is done) drops the
// buttons.
func (c card) blocks(final string, now time.Time) ([]slack.Block, string) {
	if c.Problem.ProblemID == "" {
		return clusterBlocks(c.Clusters[0], final, now)
	}
	return problemBlocks(c, final, now)
}

// problemLabel is a problem's title with the other language's beside it.
func problemLabel(id, title, other string) string {
	label := truncate(oneLine(title), 80)
	if label == "" {
		label = id
	}
	if o := truncate(oneLine(other), 80); o != "" && o != label {
		label += " / " + o
	}
	return label
}

// problemBlocks renders a problem's card: its counts over all its open
// clusters, then its first clusters, each with its counts and samples, the
// state of claims and replies over all of them, and buttons acting on the
// whole problem.
func problemBlocks(c card, final string, now time.Time) (blocks []slack.Block, fallback string) {
	p := c.Problem
	label := problemLabel(p.ProblemID, p.Title, p.OtherTitle)
	var last5, last15 int
	for _, it := range c.Clusters {
		last5, last15 = last5+it.Last5m, last15+it.Last15m
	}
	counts := fmt.Sprintf("%s · %d inquiries · %d customers · %d in 5 min · %d in 15 min",
		cmdCount(len(c.Clusters), "cluster"), p.Inquiries, p.Customers, last5, last15)
	title := "*" + escape(label) + "*"
	if p.Urgent {
		title = ":exclamation: " + title
	}
	if final != "" {
		title = "~" + escape(label) + "~ :white_check_mark: " + final
		counts = ""
		if p.Inquiries > 0 {
			counts = fmt.Sprintf("%d inquiries · %d customers", p.Inquiries, p.Customers)
		}
	}
	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(strings.TrimSpace(title+"\n"+counts)), nil, nil, slack.SectionBlockOptionBlockID("summary")))
	if final == "" {
		for i, it := range c.Clusters[:min(len(c.Clusters), cardClusters)] {
			els := append([]slack.MixedElement{mrkdwn(fmt.Sprintf("*%d inquiries* · %d customers", it.Inquiries, it.Customers))},
				sampleElements(it.Samples)...)
			blocks = append(blocks, slack.NewContextBlock(fmt.Sprintf("cluster-%d", i), els...))
		}
		if more := len(c.Clusters) - cardClusters; more > 0 {
			blocks = append(blocks, slack.NewContextBlock("more", mrkdwn("and "+cmdCount(more, "more cluster"))))
		}
	}
	if state := problemState(c, final != "", now); len(state) > 0 {
		blocks = append(blocks, contextBlock("state", state))
	}
	if final == "" {
		blocks = append(blocks, slack.NewActionBlock("actions",
			slack.NewButtonBlockElement(actionProblemClaim, p.ProblemID, plain("Claim")),
			slack.NewButtonBlockElement(actionProblemReply, p.ProblemID, plain("Reply to all")).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement(actionProblemResolve, p.ProblemID, plain("Resolve")),
			slack.NewButtonBlockElement(actionProblemLink, p.ProblemID, plain("Link to incident")),
			slack.NewButtonBlockElement(actionProblemName, p.ProblemID, plain("Name")),
		))
	}
	fallback = escape(label)
	if counts != "" {
		fallback += " — " + counts
	}
	return blocks, fallback
}

// problemState says what is true of a problem's clusters: the incident
// answering them, who holds them, and who replied to all of them.
func problemState(c card, final bool, now time.Time) []string {
	var state, incidents []string
	held, claimed := holders(c.Problem, now)
	replied := 0
	var reply *storage.Reply
	for _, it := range c.Clusters {
		if it.IncidentID != "" {
			inc := "Incident `" + it.IncidentID + "`"
			if it.Incident != "" {
				inc += " " + escape(it.Incident)
			}
			if !slices.Contains(incidents, inc) {
				incidents = append(incidents, inc)
			}
		}
		if it.Reply != nil {
			replied++
			if reply == nil {
				reply = it.Reply
			}
		}
	}
	if len(incidents) > 0 {
		state = append(state, strings.Join(incidents, ", ")+" (answered automatically)")
	}
	n := len(c.Clusters)
	if !final && claimed > 0 {
		if claimed == n {
			state = append(state, "Claimed by "+strings.Join(held, ", "))
		} else {
			state = append(state, fmt.Sprintf("%d of %d clusters claimed by %s", claimed, n, strings.Join(held, ", ")))
		}
	}
	switch {
	case reply != nil && replied == n:
		state = append(state, "Replied to all by "+who(reply.By)+": "+escape(truncate(oneLine(reply.Text), 150)))
	case reply != nil:
		state = append(state, fmt.Sprintf("%d of %d clusters replied to", replied, n))
	}
	return state
}

// nameModal asks for a problem's name in Korean and English, filled with
// the chat model's titles from a cached draft (model says which) or else
// the titles it has.
func nameModal(p storage.Problem, s assist.Suggestion, model string) slack.ModalViewRequest {
	ko, en := titleIn(p, "ko"), titleIn(p, "en")
	note := "Every queue, card and page shows the name from now on; grouping no longer retitles the problem."
	if model != "" {
		ko, en = s.TitleKO, s.TitleEN
		note = "Filled with the titles " + escape(model) + " drafted; edit them. " + note
	}
	input := func(block, label, value string) slack.Block {
		e := slack.NewPlainTextInputBlockElement(nil, inputTitle)
		// A title the engine cut ends in "…" past MaxTitle: Slack refuses
		// an initial value longer than the box takes.
		e.MaxLength, e.InitialValue = desk.MaxTitle, truncate(value, desk.MaxTitle)
		in := slack.NewInputBlock(block, plain(label), nil, e)
		in.Optional = true
		return in
	}
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: viewProblemName, PrivateMetadata: p.ID,
		Title: plain("Name the problem"), Submit: plain("Name"), Close: plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn("*"+escape(problemLabel(p.ID, p.Title, p.OtherTitle))+"*\n"+note), nil, nil),
			input(blockTitleKO, "한국어 이름 / Korean", ko),
			input(blockTitleEN, "English name", en),
		}},
	}
}

// titleIn is the problem's title in lang, if it has one.
func titleIn(p storage.Problem, lang string) string {
	switch lang {
	case p.TitleLang:
		return p.Title
	case p.OtherLang:
		return p.OtherTitle
	}
	return ""
}

// problemReplyModal asks for the reply to everyone in a problem; its
// draft is in the languages its clusters are written in (not its titles',
// which an agent may have named it in).
func problemReplyModal(p storage.Problem, clusters []storage.Cluster) replyForm {
	f := replyForm{callback: viewProblemReply, metadata: p.ID, label: problemLabel(p.ID, p.Title, p.OtherTitle),
		note: fmt.Sprintf("Goes once to each of the %d customers of its %d clusters, in their own channel. Clusters replied to already keep their reply.",
			p.Customers, p.Clusters)}
	ko, en := desk.MemberLanguages(clusters)
	f.korean, f.english = ko > 0, en > 0
	return f
}
