package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/slack-go/slack"

	"github.com/surgedesk/surgedesk/bot"
	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
)

// errWrongCommand is a slash command other than the configured one: the
// Slack app is misconfigured, or the request is not meant for us.
var errWrongCommand = errors.New("slackbot: not our slash command")

// Commands serves POST /slack/commands: it verifies the signature, parses
// the form and answers synchronously with the command's reply. All the work
// is a few SQL statements, well within Slack's three seconds.
func (a *App) Commands(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r, "command")
	if !ok {
		return
	}
	// SlashCommandParse reads the form from the body that verify consumed.
	r.Body = io.NopCloser(bytes.NewReader(body))
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_payload", "the body is not a slash command form")
		return
	}
	if !a.firstRequest(w, r, cmd.TeamID, cmd.TriggerID, func() {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(replyBody(cmdEphemeral("This command was already handled.")))
	}) {
		return
	}
	msg, err := a.handleCommand(r.Context(), cmd)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_payload",
			fmt.Sprintf("command %q is not %s, the command configured as slack.command", cmd.Command, a.Config.Command))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(replyBody(msg))
}

// replyBody is the part of msg a command reply uses, over HTTP and
// Socket Mode alike: slack.Msg would also send empty metadata and message
// fields that mean nothing here.
func replyBody(msg slack.Msg) any {
	return struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}{msg.ResponseType, msg.Text}
}

// handleCommand runs one slash command and returns the reply. Its only
// error is a command other than slack.command; the user's mistakes and the
// service's failures are replies (ephemeral), so that Slack shows them.
func (a *App) handleCommand(ctx context.Context, cmd slack.SlashCommand) (slack.Msg, error) {
	if cmd.Command != a.Config.Command {
		return slack.Msg{}, fmt.Errorf("%w: %q", errWrongCommand, cmd.Command)
	}
	sub, rest := cmdWord(cmd.Text)
	name, ok := cmdSubcommands[strings.ToLower(sub)]
	if !ok {
		text := a.cmdUsage()
		if sub != "" && !strings.EqualFold(sub, "help") {
			text = fmt.Sprintf("Unknown subcommand `%s`.\n\n%s", escape(sub), text)
		}
		return cmdEphemeral(text), nil
	}
	agent, manager := a.roles(cmd.UserID, cmd.ChannelID)
	switch {
	case (name == "declare" || name == "update" || name == "resolve") && !manager:
		return cmdEphemeral(fmt.Sprintf("Only managers can %s incidents. Ask an administrator to add your Slack user ID `%s` to `slack.manager_users`.",
			name, escape(cmd.UserID))), nil
	case !agent:
		return cmdEphemeral(fmt.Sprintf("`%s %s` is for the support team: use it in the agents' channel, or ask an administrator to add your Slack user ID `%s` to `slack.agent_users`.",
			a.Config.Command, name, escape(cmd.UserID))), nil
	}
	var (
		msg slack.Msg
		err error
	)
	switch name {
	case "declare":
		msg, err = a.cmdDeclare(ctx, cmd, rest)
	case "update":
		msg, err = a.cmdUpdate(ctx, cmd, rest, false)
	case "resolve":
		msg, err = a.cmdUpdate(ctx, cmd, rest, true)
	case "status":
		msg, err = a.cmdStatus(ctx, rest)
	case "queue":
		msg, err = a.cmdQueue(ctx)
	}
	if err != nil {
		a.Log.Error("slack command", "command", name, "user", cmd.UserID, "err", err)
		return cmdEphemeral("Sorry, surgedesk could not do that just now; please try again. (" + escape(name) + ")"), nil
	}
	return msg, nil
}

// cmdSubcommands maps what may be typed (English, or Korean for those who
// think in it) to the subcommand.
var cmdSubcommands = map[string]string{
	"declare": "declare", "선언": "declare",
	"update": "update", "업데이트": "update",
	"resolve": "resolve", "해결": "resolve",
	"status": "status", "현황": "status", "상태": "status",
	"queue": "queue", "대기열": "queue", "큐": "queue",
}

func (a *App) cmdUsage() string {
	c := a.Config.Command
	return fmt.Sprintf("*%[1]s — incidents and the queue from Slack*\n"+
		"Managers:\n"+
		"• `%[1]s declare <minor|major|critical> <title>` — declare an incident (status investigating)\n"+
		"• `%[1]s update <incident-id> <status> [eta=HH:MM] <text>` — post a status update; every customer who asked gets it\n"+
		"• `%[1]s resolve <incident-id> [text]` — resolve it and close its clusters in the queue\n"+
		"Agents:\n"+
		"• `%[1]s status [incident-id]` — active incidents, or one in detail\n"+
		"• `%[1]s queue` — the top of the agents' queue\n"+
		"Statuses: investigating (조사 중) → identified (원인 확인) → monitoring (모니터링 중) → resolved (해결됨); forward only.\n"+
		"A title or text in one language is used for both; give both with `ko: 한국어 | en: English`. "+
		"`eta=` is a time in KST (`eta=15:30`) or RFC 3339.",
		c)
}

// cmdDeclare runs declare <severity> <title>.
func (a *App) cmdDeclare(ctx context.Context, cmd slack.SlashCommand, args string) (slack.Msg, error) {
	usage := fmt.Sprintf("Usage: `%s declare <minor|major|critical> <title>`, e.g. `%[1]s declare major 모바일 상품권 결제 장애`", a.Config.Command)
	word, title := cmdWord(args)
	severity, ok := cmdSeverities[strings.ToLower(word)]
	if !ok {
		if word == "" {
			return cmdEphemeral(usage), nil
		}
		return cmdEphemeral(fmt.Sprintf("Unknown severity `%s`.\n%s", escape(word), usage)), nil
	}
	ko, en := cmdBilingual(title)
	if ko == "" && en == "" {
		return cmdEphemeral("The incident needs a title.\n" + usage), nil
	}
	inc, err := a.Desk.DeclareIncident(ctx, Actor(cmd.UserID), kb.Incident{TitleKO: ko, TitleEN: en, Severity: severity})
	if errors.Is(err, kb.ErrInvalid) {
		return cmdEphemeral("Not declared: " + escape(cmdUserMessage(err)) + "\n" + usage), nil
	}
	if err != nil {
		return slack.Msg{}, err
	}
	return a.cmdAnnounce(cmd, fmt.Sprintf("<@%s> declared incident `%s` (%s): *%s*\nStatus: %s. Post updates with `%s update %s <status> <text>`.",
		cmd.UserID, inc.ID, inc.Severity, escape(cmdTitles(inc)), cmdStatusName(inc.Status), a.Config.Command, inc.ID)), nil
}

var cmdSeverities = map[string]kb.Severity{
	"minor": kb.Minor, "major": kb.Major, "critical": kb.Critical,
	"경미": kb.Minor, "주요": kb.Major, "심각": kb.Critical,
}

// cmdUpdate runs update <incident-id> <status> [eta=…] <text>, or for resolve
// <incident-id> [eta=…] [text].
func (a *App) cmdUpdate(ctx context.Context, cmd slack.SlashCommand, args string, resolve bool) (slack.Msg, error) {
	c := a.Config.Command
	usage := fmt.Sprintf("Usage: `%s update <incident-id> <investigating|identified|monitoring|resolved> [eta=HH:MM] <text>`", c)
	if resolve {
		usage = fmt.Sprintf("Usage: `%s resolve <incident-id> [text]`", c)
	}
	id, rest := cmdWord(args)
	status := kb.Resolved
	if !resolve {
		var word string
		word, rest = cmdWord(rest)
		s, ok := cmdStatuses[strings.ToLower(word)]
		if id == "" || word == "" {
			return cmdEphemeral(usage), nil
		}
		if !ok {
			return cmdEphemeral(fmt.Sprintf("Unknown status `%s`.\n%s", escape(word), usage)), nil
		}
		status = s
	} else if id == "" {
		return cmdEphemeral(usage), nil
	}
	u := kb.Update{Status: status}
	if word, after := cmdWord(rest); strings.HasPrefix(strings.ToLower(word), "eta=") {
		eta, err := cmdParseETA(word[len("eta="):], a.Now())
		if err != nil {
			return cmdEphemeral(escape(err.Error()) + "\n" + usage), nil
		}
		u.ETA, rest = eta, after
	}
	u.TextKO, u.TextEN = cmdBilingual(rest)
	if u.TextKO == "" && u.TextEN == "" {
		if !resolve {
			return cmdEphemeral("The update needs a text for the customers.\n" + usage), nil
		}
		u.TextKO, u.TextEN = "문제가 해결되었습니다. 이용에 불편을 드려 죄송합니다.", "The problem is resolved. We apologise for the inconvenience."
	}
	added, err := a.Desk.UpdateIncident(ctx, Actor(cmd.UserID), id, u)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return cmdEphemeral(fmt.Sprintf("There is no incident `%s`. `%s status` lists the active ones.", escape(id), c)), nil
	case errors.Is(err, kb.ErrInvalid):
		return cmdEphemeral(fmt.Sprintf("Incident `%s` not updated: %s", escape(id), escape(cmdUserMessage(err)))), nil
	case err != nil:
		return slack.Msg{}, err
	}
	// The follow-ups are queued in the background (desk.UpdateIncident):
	// Slack gives up on a command after three seconds, and a manager who
	// then ran it again would send everyone a second update.
	closed := ""
	if added.Status == kb.Resolved && added.Closed != nil {
		closed = fmt.Sprintf("\n%s closed in the queue.", cmdCount(len(added.Closed), "cluster"))
	}
	verb := "updated"
	if added.Status == kb.Resolved {
		verb = "resolved"
	}
	text := fmt.Sprintf("<@%s> %s incident `%s` — update %d, %s%s\n>%s%s\nFollow-ups are on their way to every customer who asked about it.",
		cmd.UserID, verb, id, added.Version, cmdStatusName(added.Status), cmdETA(added.ETA),
		strings.ReplaceAll(escape(cmdUpdateText(added.Update)), "\n", "\n>"), closed)
	return a.cmdAnnounce(cmd, text), nil
}

var cmdStatuses = map[string]kb.Status{
	"investigating": kb.Investigating, "identified": kb.Identified, "monitoring": kb.Monitoring, "resolved": kb.Resolved,
	"조사중": kb.Investigating, "원인확인": kb.Identified, "모니터링": kb.Monitoring, "모니터링중": kb.Monitoring,
	"해결": kb.Resolved, "해결됨": kb.Resolved,
}

// cmdZone is the time zone ETAs are typed and shown in (no daylight saving).
var cmdZone = time.FixedZone("KST", 9*60*60)

// cmdParseETA reads "HH:MM" in KST (the next such time from now) or an
// RFC 3339 time.
func cmdParseETA(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	hm, err := time.Parse("15:04", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("eta=%s is neither HH:MM (KST) nor an RFC 3339 time", s)
	}
	local := now.In(cmdZone)
	t := time.Date(local.Year(), local.Month(), local.Day(), hm.Hour(), hm.Minute(), 0, 0, cmdZone)
	if t.Before(local) {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// cmdStatus runs status [incident-id].
func (a *App) cmdStatus(ctx context.Context, args string) (slack.Msg, error) {
	if id, _ := cmdWord(args); id != "" {
		return a.cmdIncident(ctx, id)
	}
	incs, err := a.Store.Incidents(ctx, true)
	if err != nil {
		return slack.Msg{}, err
	}
	if len(incs) == 0 {
		return cmdEphemeral("No active incident."), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*Active incidents (%d)*", len(incs))
	for _, inc := range incs {
		v, err := a.cmdVolume(ctx, inc)
		if err != nil {
			return slack.Msg{}, err
		}
		latest := inc.Latest()
		fmt.Fprintf(&b, "\n\n• `%s` *%s* — %s, %s%s\n   %s", inc.ID, escape(cmdTitles(inc)), inc.Severity, cmdStatusName(inc.Status),
			cmdETA(latest.ETA), v)
		if latest.Version > 0 {
			fmt.Fprintf(&b, "\n   Latest (update %d): %s", latest.Version, escape(truncate(cmdUpdateText(latest), 200)))
		}
	}
	return cmdEphemeral(b.String()), nil
}

func (a *App) cmdIncident(ctx context.Context, id string) (slack.Msg, error) {
	inc, err := a.Store.Incident(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return cmdEphemeral(fmt.Sprintf("There is no incident `%s`. `%s status` lists the active ones.", escape(id), a.Config.Command)), nil
	}
	if err != nil {
		return slack.Msg{}, err
	}
	v, err := a.cmdVolume(ctx, inc)
	if err != nil {
		return slack.Msg{}, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%s* `%s`\nSeverity %s · %s%s · started %s", escape(cmdTitles(inc)), inc.ID, inc.Severity,
		cmdStatusName(inc.Status), cmdETA(inc.Latest().ETA), kb.FormatTime(inc.StartedAt, "ko"))
	if !inc.ResolvedAt.IsZero() {
		fmt.Fprintf(&b, " · resolved %s", kb.FormatTime(inc.ResolvedAt, "ko"))
	}
	fmt.Fprintf(&b, "\n%s", v)
	const shown = 5
	ups := inc.Updates[max(0, len(inc.Updates)-shown):]
	for _, u := range slices.Backward(ups) {
		fmt.Fprintf(&b, "\n\n*Update %d* — %s%s, %s by %s\n%s", u.Version, cmdStatusName(u.Status), cmdETA(u.ETA),
			kb.FormatTime(u.CreatedAt, "ko"), who(u.Author), escape(truncate(cmdUpdateText(u), 500)))
		if w := u.Workaround("ko"); w != "" {
			fmt.Fprintf(&b, "\nWorkaround: %s", escape(truncate(w, 300)))
		}
	}
	if n := len(inc.Updates) - shown; n > 0 {
		fmt.Fprintf(&b, "\n\n…and %s.", cmdCount(n, "earlier update"))
	}
	if len(inc.Updates) == 0 {
		b.WriteString("\n\nNo update yet.")
	}
	return cmdEphemeral(b.String()), nil
}

// cmdEverything is a volume bucket wider than any timestamp: one bucket,
// so that customers are counted distinct over the whole incident.
const cmdEverything = int64(1) << 50

// cmdVolume sums what customers asked about the incident since an hour
// before it started (the support signal often comes first).
func (a *App) cmdVolume(ctx context.Context, inc kb.Incident) (string, error) {
	buckets, err := a.Store.IncidentVolume(ctx, inc.ID, cmdEverything, inc.StartedAt.Add(-time.Hour).UnixMilli())
	if err != nil {
		return "", err
	}
	var total storage.VolumeBucket
	for _, b := range buckets {
		total.Inquiries += b.Inquiries
		total.Answered += b.Answered
		total.Customers += b.Customers
	}
	return fmt.Sprintf("Inquiries: %d from %s, %d answered automatically, %d queued for agents",
		total.Inquiries, cmdCount(int(total.Customers), "customer"), total.Answered, total.Queued()), nil
}

// cmdQueueShown is how many queue items the command lists.
const cmdQueueShown = 10

// cmdQueueClusters is how many of a problem's clusters the command names.
const cmdQueueClusters = 3

// cmdQueue lists the first problems of the agents' queue (desk.ByProblem),
// each with its counts and its first clusters.
func (a *App) cmdQueue(ctx context.Context) (slack.Msg, error) {
	now := a.Now()
	ranked, err := a.Desk.Queue(ctx)
	if err != nil {
		return slack.Msg{}, err
	}
	if len(ranked) == 0 {
		return cmdEphemeral("The queue is empty."), nil
	}
	problems, err := a.Desk.ByProblem(ctx, ranked)
	if err != nil {
		return slack.Msg{}, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*Agents' queue* — top %d of %s (%s)", min(cmdQueueShown, len(problems)), cmdCount(len(problems), "problem"),
		cmdCount(len(ranked), "open cluster"))
	for n, p := range problems[:min(cmdQueueShown, len(problems))] {
		fmt.Fprintf(&b, "\n\n%d. *%s*", n+1, escape(truncate(problemLabel(p.ProblemID, p.Title, p.OtherTitle), 120)))
		if p.ProblemID != "" {
			fmt.Fprintf(&b, " `%s`", p.ProblemID)
		}
		if p.Urgent {
			b.WriteString(" :rotating_light: urgent")
		}
		var incidents []string
		claimed, _ := holders(p, now)
		for _, id := range p.IncidentIDs() {
			incidents = append(incidents, "`"+id+"`")
		}
		fmt.Fprintf(&b, "\n   %s from %s in %s · waiting %s", cmdCount(int(p.Inquiries), "inquiry"),
			cmdCount(int(p.Customers), "customer"), cmdCount(len(p.Clusters), "cluster"), cmdWaiting(now.Sub(time.UnixMilli(p.FirstSeen()))))
		if len(claimed) > 0 {
			fmt.Fprintf(&b, " · claimed by %s", strings.Join(claimed, ", "))
		}
		if len(incidents) > 0 {
			fmt.Fprintf(&b, " · incident %s", strings.Join(incidents, ", "))
		}
		for _, c := range p.Clusters[:min(cmdQueueClusters, len(p.Clusters))] {
			fmt.Fprintf(&b, "\n   > `%s` %s: %s", c.ID, cmdCount(int(c.Inquiries), "inquiry"), escape(truncate(oneLine(c.Representative), 150)))
		}
		if more := len(p.Clusters) - cmdQueueClusters; more > 0 {
			fmt.Fprintf(&b, "\n   > and %s", cmdCount(more, "more cluster"))
		}
	}
	return cmdEphemeral(b.String()), nil
}

// cmdAnnounce is a reply the team sees, except in a support channel, where
// customers would read it too.
func (a *App) cmdAnnounce(cmd slack.SlashCommand, text string) slack.Msg {
	if slices.Contains(a.Config.SupportChannels, cmd.ChannelID) {
		return cmdEphemeral(text)
	}
	return slack.Msg{ResponseType: slack.ResponseTypeInChannel, Text: text}
}

func cmdEphemeral(text string) slack.Msg {
	return slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: text}
}

// cmdWord splits s into its first whitespace-separated word and the rest,
// both trimmed; any Unicode space separates (an ideographic space too).
func cmdWord(s string) (word, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// cmdBilingual reads a title or text: "ko: 한국어 | en: English" gives each
// locale its own; anything else is one text, kept in the locale it is
// written in (Hangul: Korean), which customers of the other locale then
// get too (kb falls back to the other locale). Slack's escapes of &, < and >
// are undone and enclosing quotes dropped.
func cmdBilingual(s string) (ko, en string) {
	s = cmdUnquote(unescape(strings.TrimSpace(s)))
	parts := strings.Split(s, "|")
	byLocale := map[string]string{}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		tag, text, ok := strings.Cut(p, ":")
		tag = strings.ToLower(strings.TrimSpace(tag))
		if !ok || (tag != "ko" && tag != "en") {
			byLocale = nil
			break
		}
		if _, dup := byLocale[tag]; dup {
			byLocale = nil
			break
		}
		byLocale[tag] = cmdUnquote(strings.TrimSpace(text))
	}
	if byLocale != nil {
		return byLocale["ko"], byLocale["en"]
	}
	if bot.DetectLocale(s) == "ko" {
		return s, ""
	}
	return "", s
}

// cmdUnquote drops one pair of enclosing quotes, straight or typographic (as
// macOS and phones type them).
func cmdUnquote(s string) string {
	for _, q := range [][2]string{{`"`, `"`}, {"'", "'"}, {"“", "”"}, {"‘", "’"}, {"「", "」"}} {
		if len(s) >= len(q[0])+len(q[1]) && strings.HasPrefix(s, q[0]) && strings.HasSuffix(s, q[1]) {
			return strings.TrimSpace(s[len(q[0]) : len(s)-len(q[1])])
		}
	}
	return s
}

// cmdTitles is the incident's title in both locales when they differ.
func cmdTitles(inc kb.Incident) string {
	if inc.TitleKO != "" && inc.TitleEN != "" && inc.TitleKO != inc.TitleEN {
		return inc.TitleKO + " / " + inc.TitleEN
	}
	return inc.Title("ko")
}

func cmdUpdateText(u kb.Update) string {
	if u.TextKO != "" && u.TextEN != "" && u.TextKO != u.TextEN {
		return u.TextKO + " / " + u.TextEN
	}
	return u.Text("ko")
}

func cmdStatusName(s kb.Status) string { return fmt.Sprintf("%s (%s)", s, s.Name("ko")) }

func cmdETA(eta time.Time) string {
	if eta.IsZero() {
		return ""
	}
	return ", ETA " + kb.FormatTime(eta, "ko")
}

// cmdUserMessage is a validation error without the prefixes meant for logs.
func cmdUserMessage(err error) string {
	msg := err.Error()
	for _, p := range []string{"storage: ", "kb: invalid: ", "kb: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}

// cmdCount writes n things, in the plural unless one.
func cmdCount(n int, thing string) string {
	switch {
	case n == 1:
		return "1 " + thing
	case strings.HasSuffix(thing, "y"):
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(thing, "y"))
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// cmdWaiting writes a wait to the minute.
func cmdWaiting(d time.Duration) string {
	if d < time.Minute {
		return "under a minute"
	}
	return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
}
