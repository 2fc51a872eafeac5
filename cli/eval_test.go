package cli

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/surgedesk/surgedesk/eval"
)

const tinyData = "../eval/testdata/tiny.tsv"

func TestEvalCluster(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{
			name: "ours only",
			args: []string{"--data", tinyData},
			want: []string{
				"30 rows, 5 labels", `3 rows labelled "oos" are noise`,
				"ARI", "NMI", "pairwise precision", "pairwise recall", "pairwise F1", "purity",
				"clusters", "rows per cluster", "throughput rows/s", "index bytes", "index bytes per row",
			},
		},
		{
			name: "with baseline and sweep",
			args: []string{"--data", tinyData, "--baseline", "--sweep", "--sweep-thresholds", "0.3,0.6", "--threshold", "0.4"},
			want: []string{"threshold  0.40", "baseline", "0.30", "0.60", "best ARI  ours", "best ARI  baseline"},
		},
		{
			name: "noise scored when disabled",
			args: []string{"--data", tinyData, "--noise", ""},
			want: []string{"30 rows, 6 labels", "all 30 rows (no noise label)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assignments := filepath.Join(t.TempDir(), "assignments.txt")
			var stdout, stderr bytes.Buffer
			args := append([]string{"cluster", "--assignments", assignments}, tc.args...)
			if err := runEval(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("runEval: %v\nstderr: %s", err, stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, stdout.String())
				}
			}
			written, err := os.ReadFile(assignments)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(written), "\n"), "\n")
			if len(lines) != 30 {
				t.Fatalf("assignments file has %d lines, want 30 (one per data row)", len(lines))
			}
			for i, id := range lines {
				if id == "" {
					t.Errorf("assignment %d is empty", i+1)
				}
			}
		})
	}
}

func TestEvalClusterErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string { return writeFile(t, dir, name, content) }
	empty := write("empty.tsv", "")
	headerOnly := write("header.tsv", "label\ttext\n")
	noTab := write("notab.tsv", "label\ttext\na\tfine\nno tab here\n")
	noHeader := write("noheader.tsv", "just one column\n")

	tests := []struct {
		name    string
		args    []string
		wantIs  error
		wantMsg string
	}{
		{name: "missing data flag", args: []string{"cluster"}, wantMsg: "--data is required"},
		{name: "file not found", args: []string{"cluster", "--data", filepath.Join(dir, "absent.tsv")}, wantIs: fs.ErrNotExist, wantMsg: "unable to open data"},
		{name: "empty file", args: []string{"cluster", "--data", empty}, wantIs: eval.ErrNoData},
		{name: "header only", args: []string{"cluster", "--data", headerOnly}, wantIs: eval.ErrNoData},
		{name: "line without tab", args: []string{"cluster", "--data", noTab}, wantMsg: "line 3: no tab"},
		{name: "header without tab", args: []string{"cluster", "--data", noHeader}, wantMsg: "line 1: header"},
		{name: "bad sweep threshold", args: []string{"cluster", "--data", tinyData, "--sweep", "--sweep-thresholds", "0.3,high"}, wantMsg: `threshold "high"`},
		{name: "stray argument", args: []string{"cluster", "--data", tinyData, "extra"}, wantMsg: `unexpected argument "extra"`},
		{name: "unknown subcommand", args: []string{"plot"}, wantMsg: `unknown eval command "plot"`},
		{name: "no subcommand", args: nil, wantIs: errUsage},
		{name: "unknown flag", args: []string{"cluster", "--bogus"}, wantIs: errUsage},
		{name: "gen-surge without rows", args: []string{"gen-surge"}, wantMsg: "--rows must be a positive number"},
		{name: "gen-surge into missing directory", args: []string{"gen-surge", "--rows", "1", "--out", filepath.Join(dir, "no", "such.tsv")}, wantIs: fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := runEval(context.Background(), tc.args, &stdout, &stderr)
			if err == nil {
				t.Fatalf("runEval(%q) succeeded, want an error", tc.args)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v, want one wrapping %v", err, tc.wantIs)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q lacks %q", err, tc.wantMsg)
			}
		})
	}
}

func TestEvalGenSurge(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "surge.tsv")
	tests := []struct {
		name string
		args []string
		read func(t *testing.T, stdout string) string
	}{
		{
			name: "stdout",
			args: []string{"gen-surge", "--rows", "20", "--seed", "9"},
			read: func(t *testing.T, stdout string) string { return stdout },
		},
		{
			name: "file",
			args: []string{"gen-surge", "--rows", "20", "--seed", "9", "--out", out},
			read: func(t *testing.T, stdout string) string {
				if stdout != "" {
					t.Errorf("wrote %d bytes to stdout with --out", len(stdout))
				}
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := runEval(context.Background(), tc.args, &stdout, &stderr); err != nil {
				t.Fatalf("runEval: %v", err)
			}
			examples, err := eval.ReadExamples(strings.NewReader(tc.read(t, stdout.String())))
			if err != nil {
				t.Fatal(err)
			}
			if len(examples) != 20 {
				t.Errorf("got %d rows, want 20", len(examples))
			}
		})
	}
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
