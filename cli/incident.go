package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/surgedesk/surgedesk/kb"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// updateFlags are the fields of a status update.
type updateFlags struct {
	status, textKO, textEN, eta, workaroundKO, workaroundEN string
}

func (u *updateFlags) register(fs *flag.FlagSet, defaultStatus string) {
	fs.StringVar(&u.status, "status", defaultStatus, "investigating, identified, monitoring or resolved")
	fs.StringVar(&u.textKO, "text-ko", "", "the update's text in Korean")
	fs.StringVar(&u.textEN, "text-en", "", "the update's text in English")
	fs.StringVar(&u.eta, "eta", "", "expected recovery, RFC 3339 (2026-11-22T15:00:00+09:00)")
	fs.StringVar(&u.workaroundKO, "workaround-ko", "", "what customers can do meanwhile, in Korean")
	fs.StringVar(&u.workaroundEN, "workaround-en", "", "what customers can do meanwhile, in English")
}

func (u *updateFlags) update() (kb.Update, error) {
	up := kb.Update{Status: kb.Status(u.status), TextKO: u.textKO, TextEN: u.textEN,
		WorkaroundKO: u.workaroundKO, WorkaroundEN: u.workaroundEN}
	if u.eta != "" {
		t, err := time.Parse(time.RFC3339, u.eta)
		if err != nil {
			return up, fmt.Errorf("--eta: %w", err)
		}
		up.ETA = t
	}
	return up, nil
}

func (u *updateFlags) given() bool { return u.textKO != "" || u.textEN != "" }

// splitID takes a leading positional id, so that both "update ID --flags"
// and "update --flags ID" work.
func splitID(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

func runIncident(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := "usage: surgedesk incident declare|update|resolve|list [flags]"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errUsage
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("incident "+sub, stderr)
	var api apiClient
	api.register(fs)
	switch sub {
	case "declare":
		var inc kb.Incident
		var components listFlag
		var u updateFlags
		fs.StringVar(&inc.ID, "id", "", "incident id (generated when empty)")
		fs.StringVar(&inc.TitleKO, "title-ko", "", "title in Korean")
		fs.StringVar(&inc.TitleEN, "title-en", "", "title in English")
		severity := fs.String("severity", "major", "minor, major or critical")
		fs.Var(&components, "component", "an affected component (repeatable)")
		u.register(fs, string(kb.Investigating))
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		inc.Severity, inc.Components, inc.Status = kb.Severity(*severity), components, kb.Status(u.status)
		var created kb.Incident
		if err := api.do(ctx, http.MethodPost, "/v1/incidents", inc, &created); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "declared %s (%s)\n", created.ID, created.Status)
		if !u.given() {
			return nil
		}
		return postUpdate(ctx, api, created.ID, u, stdout)
	case "update", "resolve":
		id, rest := splitID(args)
		var u updateFlags
		def := ""
		if sub == "resolve" {
			def = string(kb.Resolved)
		}
		u.register(fs, def)
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if id == "" && fs.NArg() == 1 {
			id = fs.Arg(0)
		}
		if id == "" {
			fmt.Fprintf(stderr, "usage: surgedesk incident %s ID [flags]\n", sub)
			return errUsage
		}
		if sub == "resolve" {
			u.status = string(kb.Resolved)
			if !u.given() {
				u.textKO, u.textEN = "복구되었습니다. 이용에 불편을 드려 죄송합니다.", "Resolved. We are sorry for the inconvenience."
			}
		}
		if u.status == "" {
			// An update without --status keeps the current status.
			var cur kb.Incident
			if err := api.do(ctx, http.MethodGet, "/v1/incidents/"+url.PathEscape(id), nil, &cur); err != nil {
				return err
			}
			u.status = string(cur.Status)
		}
		if !u.given() {
			return errors.New("an update needs --text-ko or --text-en")
		}
		return postUpdate(ctx, api, id, u, stdout)
	case "list":
		active := fs.Bool("active", false, "only incidents not yet resolved")
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		var out struct {
			Incidents []kb.Incident `json:"incidents"`
		}
		if err := api.do(ctx, http.MethodGet, fmt.Sprintf("/v1/incidents?active=%v", *active), nil, &out); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tSEVERITY\tUPDATES\tSTARTED\tTITLE")
		for _, inc := range out.Incidents {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", inc.ID, inc.Status, inc.Severity, len(inc.Updates),
				kb.FormatTime(inc.StartedAt, "en"), inc.Title("ko"))
		}
		return tw.Flush()
	default:
		fmt.Fprintln(stderr, usage)
		return errUsage
	}
}

func postUpdate(ctx context.Context, api apiClient, id string, u updateFlags, stdout io.Writer) error {
	up, err := u.update()
	if err != nil {
		return err
	}
	var added kb.Update
	if err := api.do(ctx, http.MethodPost, "/v1/incidents/"+url.PathEscape(id)+"/updates", up, &added); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: update %d, %s\n", id, added.Version, added.Status)
	return nil
}

func runKB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "import" && args[0] != "export") {
		fmt.Fprintln(stderr, "usage: surgedesk kb import FILE | kb export [--out FILE]")
		return errUsage
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("kb "+sub, stderr)
	var api apiClient
	api.register(fs)
	if sub == "export" {
		out := fs.String("out", "", "write to this file instead of standard output")
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		var doc []byte
		if err := api.do(ctx, http.MethodGet, "/v1/kb/export", nil, &doc); err != nil {
			return err
		}
		if *out == "" {
			_, err := stdout.Write(doc)
			return err
		}
		return os.WriteFile(*out, doc, 0o644)
	}
	file, rest := splitID(args)
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	}
	if file == "" {
		fmt.Fprintln(stderr, "usage: surgedesk kb import FILE [--url URL] [--token TOKEN]")
		return errUsage
	}
	doc, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	// Checked here first, so that a bad file is reported without a server.
	if _, err := kb.Decode(strings.NewReader(string(doc))); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	var out struct {
		Incidents int `json:"incidents"`
		Answers   int `json:"answers"`
	}
	if err := api.do(ctx, http.MethodPost, "/v1/kb/import", doc, &out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d incident(s) and %d answer(s) from %s\n", out.Incidents, out.Answers, file)
	return nil
}
