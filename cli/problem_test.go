package cli

import (
	"fmt"
	"strings"
	"testing"
)

// The agents' problem actions from a terminal, against a running serve.
func TestProblemCommands(t *testing.T) {
	t.Parallel()
	ctx, c, run := serveForCommands(t)
	for i := range 3 {
		if code, _, err := c.post(ctx, fmt.Sprintf("login-%d", i), "로그인이 안 돼요 비밀번호를 입력해도 접속이 안 됩니다"); code != 202 || err != nil {
			t.Fatalf("post = %d, %v", code, err)
		}
	}
	c.settle(t, ctx)
	var list struct {
		Problems []problemView `json:"problems"`
	}
	if code, err := c.get(ctx, "/v1/problems", &list); code != 200 || err != nil || len(list.Problems) != 1 {
		t.Fatalf("problems = %d %+v, %v; want one", code, list, err)
	}
	problem := list.Problems[0].ID

	if code, out := run("incident", "declare", "--id", "inc-login", "--title-ko", "로그인 장애"); code != 0 {
		t.Fatalf("declare: exit %d %s", code, out)
	}
	steps := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"list", []string{"problem", "list"}, 0, "1 of 1 problems"},
		{"show", []string{"problem", "show", problem}, 0, "> 로그인이 안 돼요"},
		{"no id", []string{"problem", "resolve"}, 2, "usage: surgedesk problem resolve ID"},
		{"unknown problem", []string{"problem", "show", "p-none"}, 1, "404"},
		{"reply without text", []string{"problem", "reply", problem}, 1, "--text"},
		{"link without incident", []string{"problem", "link", problem}, 1, "--incident"},
		{"link to an unknown incident", []string{"problem", "link", problem, "--incident", "inc-none"}, 1, "404"},
		{"suggest without a chat model", []string{"problem", "suggest", problem}, 1, "assist_disabled"},
		{"name without a title", []string{"problem", "name", problem}, 1, "--ko, --en"},
		{"name", []string{"problem", "name", problem, "--ko", "로그인 장애", "--en", "Login outage"}, 0, "named " + problem + ": 로그인 장애 / Login outage"},
		{"show the name", []string{"problem", "show", problem}, 0, "로그인 장애 / Login outage"},
		{"claim", []string{"problem", "claim", problem}, 0, "(1 clusters)"},
		{"link", []string{"problem", "link", problem, "--incident", "inc-login"}, 0, "1 clusters"},
		{"reply", []string{"problem", "reply", problem, "--text", "로그인 장애를 확인하고 있습니다"}, 0, "replied to " + problem + ": 1 clusters"},
		{"resolve", []string{"problem", "resolve", problem}, 0, "resolved " + problem + ": 1 clusters"},
		{"unknown subcommand", []string{"problem", "frobnicate", problem}, 2, "usage: surgedesk problem"},
	}
	for _, s := range steps {
		code, out := run(s.args...)
		if code != s.code || !strings.Contains(out, s.want) {
			t.Errorf("%s: exit %d, output %q; want %d and %q", s.name, code, out, s.code, s.want)
		}
	}
	var got problemView
	if code, err := c.get(ctx, "/v1/problems/"+problem, &got); code != 200 || err != nil || got.Clusters != 0 {
		t.Errorf("problem after resolve = %d %+v, %v; want no open cluster", code, got, err)
	}
}

func TestShellQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"로그인 장애", `'로그인 장애'`},
		{"$5 charge `x`", "'$5 charge `x`'"},
		{"it's down", `'it'\''s down'`},
	} {
		if got := shellQuote(tc.in); got != tc.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
