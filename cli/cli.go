// Package cli holds surgedesk's subcommands; cmd/surgedesk only calls Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
)

// errUsage marks an error already explained to the user by a FlagSet.
var errUsage = errors.New("usage")

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":    {"run the bot: HTTP intake, workers, embedded NATS and SQLite by default", runServe},
		"migrate":  {"apply database schema migrations and exit", runMigrate},
		"version":  {"print the version", runVersion},
		"loadgen":  {"send inquiries to a running server and report throughput and latency", runLoadgen},
		"eval":     {"measure clustering and answer matching on labelled data (eval cluster|match|gen-surge)", runEval},
		"dlq":      {"inspect or replay the dead-letter stream (dlq list|replay)", runDLQ},
		"incident": {"declare, update, resolve or list incidents (incident declare|update|resolve|list)", runIncident},
		"problem":  {"list, show, claim, reply to, resolve, link or merge problems (problem list|show|claim|reply|resolve|link|merge)", runProblem},
		"kb":       {"import or export the knowledge base as YAML (kb import FILE | kb export)", runKB},
	}
}

// Main runs the subcommand named by args[0] and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "surgedesk: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	if err := cmd.run(ctx, args[1:], stdout, stderr); err != nil {
		if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintf(stderr, "surgedesk %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: surgedesk <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
}

// newFlagSet returns a FlagSet that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("surgedesk "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and turns flag errors into errUsage (already printed).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return errUsage
	}
	return nil
}
