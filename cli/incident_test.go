package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/config"
)

// serveForCommands starts serve in the test and returns a context with the
// test's deadline, a client of it and run, which runs a surgedesk command
// against it (exit code, output and errors).
func serveForCommands(t *testing.T) (context.Context, client, func(args ...string) (int, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Auth.AdminToken = testToken
	c := serveInProcess(t, cfg)
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, append(args, "--url", c.base, "--token", testToken), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	return ctx, c, run
}

func TestIncidentAndKBCommands(t *testing.T) {
	t.Parallel()
	_, _, run := serveForCommands(t)
	steps := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"declare", []string{"incident", "declare", "--id", "inc-voucher", "--title-ko", "상품권 사용 불가", "--title-en", "Vouchers not accepted",
			"--severity", "critical", "--component", "voucher", "--text-ko", "확인 중입니다"}, 0, "inc-voucher: update 1, investigating"},
		{"update keeps the status", []string{"incident", "update", "inc-voucher", "--text-ko", "계속 확인 중입니다"}, 0, "update 2, investigating"},
		{"update", []string{"incident", "update", "inc-voucher", "--status", "identified", "--text-ko", "원인을 찾았습니다",
			"--eta", "2026-11-22T15:00:00+09:00", "--workaround-ko", "종이 상품권을 사용해 주세요"}, 0, "update 3, identified"},
		{"bad eta", []string{"incident", "update", "inc-voucher", "--text-ko", "x", "--eta", "soon"}, 1, "--eta"},
		{"no text", []string{"incident", "update", "inc-voucher", "--status", "monitoring"}, 1, "--text-ko or --text-en"},
		{"backwards", []string{"incident", "update", "inc-voucher", "--status", "investigating", "--text-ko", "x"}, 1, "invalid_field"},
		{"unknown incident", []string{"incident", "update", "inc-nope", "--text-ko", "x"}, 1, "404"},
		{"list active", []string{"incident", "list", "--active"}, 0, "inc-voucher"},
		{"resolve", []string{"incident", "resolve", "inc-voucher"}, 0, "update 4, resolved"},
		{"resolve twice", []string{"incident", "resolve", "inc-voucher"}, 1, "400"},
		{"no id", []string{"incident", "update", "--text-ko", "x"}, 2, "usage"},
		{"unknown subcommand", []string{"incident", "delete"}, 2, "usage"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			code, out := run(s.args...)
			if code != s.code || !strings.Contains(out, s.want) {
				t.Errorf("%v = %d:\n%s\nwant %d containing %q", s.args, code, out, s.code, s.want)
			}
		})
	}
	if code, out := run("incident", "list", "--active"); code != 0 || strings.Contains(out, "inc-voucher") {
		t.Errorf("resolved incident still listed as active:\n%s", out)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("answers:\n  - id: a\n    examples: {}\n"), 0o600)
	if code, out := run("kb", "import", bad); code != 1 || !strings.Contains(out, "examples") {
		t.Errorf("kb import of a bad file = %d:\n%s", code, out)
	}
	if code, out := run("kb", "import", "../configs/kb.example.yaml"); code != 0 || !strings.Contains(out, "imported 3 incident(s)") {
		t.Fatalf("kb import = %d:\n%s", code, out)
	}
	exported := filepath.Join(t.TempDir(), "kb.yaml")
	if code, out := run("kb", "export", "--out", exported); code != 0 {
		t.Fatalf("kb export = %d:\n%s", code, out)
	}
	doc, _ := os.ReadFile(exported)
	if !strings.Contains(string(doc), "inc-voucher") || !strings.Contains(string(doc), "종이") {
		t.Errorf("export lacks the declared incident or the example's content:\n%.300s", doc)
	}
}
