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

const (
	tinyKB        = "../kb/testdata/kb.tsv"
	tinyMatchData = "../kb/testdata/data.tsv"
)

func TestEvalMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		args            []string
		want            []string
		wantPredictions []string
	}{
		{
			name: "ours only",
			args: []string{"--kb", tinyKB, "--data", tinyMatchData},
			want: []string{
				"3 entries, 12 examples", `8 rows, 2 labelled "oos"`, "threshold  0.",
				"answered             0.7500", "answer precision     1.0000",
				"in-scope accuracy    1.0000", "oos unanswered       1.0000",
			},
			wantPredictions: []string{"login", "login", "refund", "refund", "voucher", "voucher", "", ""},
		},
		{
			name: "with baseline and sweep",
			args: []string{"--kb", tinyKB, "--data", tinyMatchData, "--baseline", "--sweep", "--sweep-thresholds", "0.3,0.9", "--threshold", "0.4"},
			want: []string{
				"threshold  0.40", "ours  baseline", "0.30", "0.90",
				"best in-scope accuracy  baseline  1.0000 at threshold 0.30",
			},
			wantPredictions: []string{"login", "login", "", "refund", "voucher", "voucher", "", ""},
		},
		{
			// Confidence blends an entry's two closest examples, so
			// nothing reaches 1.
			name:            "strictest threshold answers nothing",
			args:            []string{"--kb", tinyKB, "--data", tinyMatchData, "--threshold", "1"},
			want:            []string{"answered             0.0000", "oos unanswered       1.0000"},
			wantPredictions: []string{"", "", "", "", "", "", "", ""},
		},
		{
			// Each label's first row is the KB, so those rows are refused:
			// scoring them would measure what the matcher was given.
			name: "kb from the data file refuses its KB rows",
			args: []string{"--kb-from", tinyMatchData, "--kb-per-label", "1", "--data", tinyMatchData},
			want: []string{
				"first 1 examples per label", "3 entries, 3 examples",
				"skipped    3 data rows that are also KB examples (not scored); 5 scored",
				"rows                      5", "oos unanswered       1.0000",
			},
			wantPredictions: []string{"", "", "", "", "", "", "", ""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			predictions := filepath.Join(t.TempDir(), "predictions.txt")
			var stdout, stderr bytes.Buffer
			args := append([]string{"match", "--predictions", predictions}, tc.args...)
			if err := runEval(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("runEval: %v\nstderr: %s", err, stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, stdout.String())
				}
			}
			written, err := os.ReadFile(predictions)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(written), "\n"), "\n")
			if strings.Join(lines, "|") != strings.Join(tc.wantPredictions, "|") {
				t.Fatalf("predictions %q, want %q (one line per data row)", lines, tc.wantPredictions)
			}
		})
	}
}

// A data row that repeats a KB example, even in another case or spacing,
// is not scored, and the count is printed.
func TestEvalMatchSkipsKBRows(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := writeFile(t, dir, "data.tsv", "label\ttext\nlogin\t로그인이  안 돼요\nlogin\tI CAN'T LOG IN\nlogin\t로그인이 안되요ㅠㅠ\noos\t오늘 날씨 어때요\n")
	var stdout, stderr bytes.Buffer
	if err := runEval(context.Background(), []string{"match", "--kb", tinyKB, "--data", data}, &stdout, &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	for _, w := range []string{"skipped    2 data rows that are also KB examples (not scored); 2 scored", "rows                      2"} {
		if !strings.Contains(stdout.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, stdout.String())
		}
	}
}

func TestEvalMatchErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string { return writeFile(t, dir, name, content) }
	headerOnly := write("header.tsv", "label\texample\n")
	noTab := write("notab.tsv", "label\texample\na\tfine\nno tab here\n")
	oosOnly := write("oos.tsv", "label\ttext\noos\tanything\n")

	tests := []struct {
		name    string
		args    []string
		wantIs  error
		wantMsg string
	}{
		{name: "missing kb", args: []string{"match", "--data", tinyMatchData}, wantMsg: "--kb or --kb-from is required"},
		{name: "kb and kb-from", args: []string{"match", "--kb", tinyKB, "--kb-from", tinyMatchData, "--data", tinyMatchData}, wantMsg: "not both"},
		{name: "missing data", args: []string{"match", "--kb", tinyKB}, wantMsg: "--data is required"},
		{name: "kb not found", args: []string{"match", "--kb", filepath.Join(dir, "absent.tsv"), "--data", tinyMatchData}, wantIs: fs.ErrNotExist, wantMsg: "match: unable to open data"},
		{name: "kb header only", args: []string{"match", "--kb", headerOnly, "--data", tinyMatchData}, wantIs: eval.ErrNoData},
		{name: "malformed kb", args: []string{"match", "--kb", noTab, "--data", tinyMatchData}, wantMsg: "line 3: no tab"},
		{name: "malformed data", args: []string{"match", "--kb", tinyKB, "--data", noTab}, wantMsg: "line 3: no tab"},
		{name: "kb-from with only oos", args: []string{"match", "--kb-from", oosOnly, "--data", tinyMatchData}, wantMsg: "kb: no entries"},
		{name: "bad per-label count", args: []string{"match", "--kb-from", tinyMatchData, "--kb-per-label", "0", "--data", tinyMatchData}, wantMsg: "--kb-per-label"},
		{name: "threshold above 1", args: []string{"match", "--kb", tinyKB, "--data", tinyMatchData, "--threshold", "2"}, wantMsg: "--threshold must be in 0..1"},
		{name: "bad sweep threshold", args: []string{"match", "--kb", tinyKB, "--data", tinyMatchData, "--sweep", "--sweep-thresholds", "x"}, wantMsg: `match: threshold "x"`},
		{name: "predictions into missing directory", args: []string{"match", "--kb", tinyKB, "--data", tinyMatchData, "--predictions", filepath.Join(dir, "no", "p.txt")}, wantIs: fs.ErrNotExist, wantMsg: "match: predictions"},
		{name: "split without kb-from", args: []string{"match", "--kb", tinyKB, "--split", "tune"}, wantMsg: "--split takes the KB and the data from --kb-from"},
		{name: "split with other data", args: []string{"match", "--kb-from", tinyMatchData, "--data", tinyKB, "--split", "tune"}, wantMsg: "--split takes"},
		{name: "unknown split", args: []string{"match", "--kb-from", tinyMatchData, "--split", "half"}, wantMsg: `--split "half"`},
		{name: "embeddings without a model", args: []string{"match", "--kb", tinyKB, "--data", tinyMatchData, "--embeddings-url", "http://127.0.0.1:1/v1"}, wantMsg: "--embedding-model"},
		{name: "embeddings server down", args: []string{"match", "--kb", tinyKB, "--data", tinyMatchData, "--embeddings-url", "http://127.0.0.1:1/v1", "--embedding-model", "m"}, wantMsg: "match: embedding the KB examples"},
		{name: "stray argument", args: []string{"match", "--kb", tinyKB, "--data", tinyMatchData, "extra"}, wantMsg: `unexpected argument "extra"`},
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
