package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
)

// problemView is a problem as the HTTP API shows it.
type problemView struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	OtherTitle string `json:"other_title"`
	IncidentID string `json:"incident_id"`
	Status     string `json:"status"`
	Clusters   int64  `json:"clusters"`
	Inquiries  int64  `json:"inquiries"`
	Customers  int64  `json:"customers"`
	Members    []struct {
		ID             string `json:"id"`
		Representative string `json:"representative"`
		Inquiries      int64  `json:"inquiries"`
		Customers      int64  `json:"customers"`
		IncidentID     string `json:"incident_id"`
		Samples        []struct {
			Text string `json:"text"`
		} `json:"samples"`
	} `json:"cluster_list"`
}

// draftView is a chat model's draft as GET /v1/problems/{id}/suggestion
// shows it.
type draftView struct {
	TitleKO string `json:"title_ko"`
	TitleEN string `json:"title_en"`
	ReplyKO string `json:"reply_ko"`
	ReplyEN string `json:"reply_en"`
	Model   string `json:"model"`
	Samples int    `json:"samples"`
}

// runProblem is the agents' problem actions from a terminal, over the same
// HTTP API (and so the same desk actions) as the Slack board.
func runProblem(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := "usage: surgedesk problem list|show|suggest|name|claim|reply|resolve|link|merge [ID] [flags]"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errUsage
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("problem "+sub, stderr)
	var api apiClient
	api.register(fs)
	var (
		limit    = fs.Int("limit", 20, "problems to list (list)")
		text     = fs.String("text", "", "the reply every customer of the problem gets (reply)")
		incident = fs.String("incident", "", "the incident to link the problem's clusters to (link)")
		into     = fs.String("into", "", "the problem to merge into (merge)")
		takeover = fs.Bool("takeover", false, "take another agent's claim over; managers only (claim)")
		titleKO  = fs.String("ko", "", "the problem's name in Korean (name)")
		titleEN  = fs.String("en", "", "the problem's name in English (name)")
	)
	id, rest := splitID(args)
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	}
	if sub != "list" && id == "" {
		fmt.Fprintf(stderr, "usage: surgedesk problem %s ID [flags]\n", sub)
		return errUsage
	}
	path := "/v1/problems/" + url.PathEscape(id)
	var out map[string]any
	switch sub {
	case "list":
		var list struct {
			Problems []problemView `json:"problems"`
			Total    int64         `json:"total"`
		}
		if err := api.do(ctx, http.MethodGet, fmt.Sprintf("/v1/problems?limit=%d", *limit), nil, &list); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCLUSTERS\tINQUIRIES\tCUSTOMERS\tINCIDENT\tTITLE")
		for _, p := range list.Problems {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", p.ID, p.Clusters, p.Inquiries, p.Customers, p.IncidentID, titled(p))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d of %d problems with open clusters\n", len(list.Problems), list.Total)
		return nil
	case "show":
		var p problemView
		if err := api.do(ctx, http.MethodGet, path, nil, &p); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s  %s\n%d clusters · %d inquiries · %d customers · %s\n", p.ID, titled(p), p.Clusters, p.Inquiries, p.Customers, p.Status)
		for _, c := range p.Members {
			fmt.Fprintf(stdout, "\n  %s  %d inquiries · %d customers", c.ID, c.Inquiries, c.Customers)
			if c.IncidentID != "" {
				fmt.Fprintf(stdout, " · incident %s", c.IncidentID)
			}
			fmt.Fprintf(stdout, "\n    %s\n", c.Representative)
			for _, s := range c.Samples {
				fmt.Fprintf(stdout, "    > %s\n", strings.Join(strings.Fields(s.Text), " "))
			}
		}
		return nil
	case "suggest":
		var d draftView
		if err := api.do(ctx, http.MethodGet, path+"/suggestion", nil, &d); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "draft by %s from %d member texts (nothing is sent):\n\ntitle (ko)  %s\ntitle (en)  %s\n\nreply (ko)\n%s\n\nreply (en)\n%s\n\nedit it, then: surgedesk problem reply %s --text '...'\nto name the problem so: surgedesk problem name %s --ko %s --en %s\n",
			d.Model, d.Samples, d.TitleKO, d.TitleEN, d.ReplyKO, d.ReplyEN, id, id, shellQuote(d.TitleKO), shellQuote(d.TitleEN))
	case "name":
		if *titleKO == "" && *titleEN == "" {
			return fmt.Errorf("problem name needs --ko, --en or both")
		}
		var p problemView
		if err := api.do(ctx, http.MethodPost, path+"/name", map[string]string{"title_ko": *titleKO, "title_en": *titleEN}, &p); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "named %s: %s\n", p.ID, titled(p))
	case "claim":
		if err := api.do(ctx, http.MethodPost, path+"/claim", map[string]bool{"takeover": *takeover}, &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "claimed %s for %v until %v (%d clusters)\n", id, out["claimed_by"], out["claimed_until"], len(asList(out["cluster_ids"])))
	case "reply":
		if *text == "" {
			return fmt.Errorf("problem reply needs --text")
		}
		if err := api.do(ctx, http.MethodPost, path+"/reply", map[string]string{"text": *text}, &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "replied to %s: %v clusters, %v deliveries queued\n", id, out["clusters_replied"], out["queued"])
	case "resolve":
		if err := api.do(ctx, http.MethodPost, path+"/resolve", nil, &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "resolved %s: %v clusters (%v claimed meanwhile, left open)\n", id, out["clusters_resolved"], out["clusters_claimed"])
	case "link":
		if *incident == "" {
			return fmt.Errorf("problem link needs --incident")
		}
		if err := api.do(ctx, http.MethodPost, path+"/link", map[string]string{"incident_id": *incident}, &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "linked %s to %s: %v clusters\n", id, *incident, out["clusters_linked"])
	case "merge":
		if *into == "" {
			return fmt.Errorf("problem merge needs --into")
		}
		var p problemView
		if err := api.do(ctx, http.MethodPost, path+"/merge", map[string]string{"into": *into}, &p); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "merged %s into %s: %d clusters · %d inquiries\n", id, p.ID, p.Clusters, p.Inquiries)
	default:
		fmt.Fprintln(stderr, usage)
		return errUsage
	}
	return nil
}

// shellQuote quotes s for a POSIX shell: nothing in it ($, `, \) is
// expanded when the printed command is pasted.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// titled is a problem's title with the other language's beside it.
func titled(p problemView) string {
	if p.OtherTitle != "" && p.OtherTitle != p.Title {
		return p.Title + " / " + p.OtherTitle
	}
	return p.Title
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
