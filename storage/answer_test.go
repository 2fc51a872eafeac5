package storage_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

func loginAnswer() kb.Answer {
	return kb.Answer{ID: "ans-login", IncidentID: "inc-login", Keywords: []string{"로그인", "login"},
		Examples:   kb.Examples{KO: []string{"로그인이 안 돼요", "앱 접속이 안돼요ㅠㅠ"}, EN: []string{"I can't log in"}},
		TemplateKO: "{{.Incident.Title}}: {{.Status}}{{if .ETA}}, 예상 복구 {{.ETA}}{{end}}",
		TemplateEN: "{{.Incident.Title}}: {{.Status}}"}
}

func TestAnswers(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			if _, err := s.CreateIncident(ctx, "mgr", loginIncident()); err != nil {
				t.Fatal(err)
			}
			created, err := s.CreateAnswer(ctx, "mgr", loginAnswer())
			if err != nil {
				t.Fatal(err)
			}
			faq := kb.Answer{ID: "faq-hours", Examples: kb.Examples{EN: []string{"when are you open"}}, TemplateEN: "9 to 6"}
			if _, err := s.CreateAnswer(ctx, "mgr", faq); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateAnswer(ctx, "mgr", faq); !errors.Is(err, storage.ErrExists) {
				t.Errorf("second CreateAnswer = %v, want ErrExists", err)
			}
			got, err := s.Answer(ctx, "ans-login")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, created) {
				t.Errorf("Answer = %+v\nwant %+v", got, created)
			}

			changed := loginAnswer()
			changed.Examples = kb.Examples{EN: []string{"login broken", "cannot sign in"}}
			changed.Keywords = nil
			if _, err := s.UpdateAnswer(ctx, "mgr-2", changed); err != nil {
				t.Fatal(err)
			}
			got, err = s.Answer(ctx, "ans-login")
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Examples.KO) != 0 || !reflect.DeepEqual(got.Examples.EN, changed.Examples.EN) || len(got.Keywords) != 0 ||
				!got.CreatedAt.Equal(created.CreatedAt) {
				t.Errorf("after UpdateAnswer: %+v", got)
			}
			all, err := s.Answers(ctx)
			if err != nil || len(all) != 2 || all[0].ID != "ans-login" || all[1].IncidentID != "" || all[1].Examples.EN[0] != "when are you open" {
				t.Errorf("Answers = %+v, %v", all, err)
			}
			if _, err := s.Answer(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("Answer(nope) = %v", err)
			}
			missing := faq
			missing.ID = "nope"
			if _, err := s.UpdateAnswer(ctx, "mgr", missing); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("UpdateAnswer(nope) = %v", err)
			}
			audit, _ := s.AuditEntries(ctx, "answer:ans-login", 10)
			if len(audit) != 2 || audit[0].Action != "answer.update" || audit[0].Actor != "mgr-2" || audit[1].Action != "answer.create" {
				t.Errorf("audit = %+v", audit)
			}
		})
	}
}

func TestAnswerBadInput(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			if _, err := s.CreateIncident(ctx, "mgr", loginIncident()); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateAnswer(ctx, "mgr", loginAnswer()); err != nil {
				t.Fatal(err)
			}
			before, _ := s.Answers(ctx)
			auditBefore, _ := s.AuditEntries(ctx, "", 100)
			cases := []struct {
				name  string
				edit  func(*kb.Answer)
				wants []string
			}{
				{"unknown incident", func(a *kb.Answer) { a.IncidentID = "inc-nope" }, []string{`unknown incident "inc-nope"`}},
				{"no examples", func(a *kb.Answer) { a.Examples = kb.Examples{} }, []string{"examples: at least one example"}},
				{"template syntax", func(a *kb.Answer) { a.TemplateKO = "{{.Status" }, []string{"template_ko: invalid template"}},
				{"template field", func(a *kb.Answer) { a.TemplateEN = "{{.Incident.Titel}}" }, []string{"template_en: invalid template", "Titel"}},
				{"oversized template and example", func(a *kb.Answer) {
					a.TemplateEN = strings.Repeat("x", kb.MaxTemplate+1)
					a.Examples.KO[0] = strings.Repeat("가", kb.MaxExample+1)
				}, []string{"template_en: is 4001 characters", "examples.ko[0]: is 501 characters"}},
			}
			for _, c := range cases {
				a := loginAnswer()
				c.edit(&a)
				for _, op := range []struct {
					name string
					fn   func(context.Context, string, kb.Answer) (kb.Answer, error)
				}{{"update", s.UpdateAnswer}, {"create", s.CreateAnswer}} {
					if op.name == "create" {
						a.ID = "ans-new"
					}
					_, err := op.fn(ctx, "mgr", a)
					if !errors.Is(err, kb.ErrInvalid) {
						t.Errorf("%s %s: err = %v, want kb.ErrInvalid", op.name, c.name, err)
						continue
					}
					for _, w := range c.wants {
						if !strings.Contains(err.Error(), w) {
							t.Errorf("%s %s: %q does not say %q", op.name, c.name, err, w)
						}
					}
				}
			}
			after, _ := s.Answers(ctx)
			auditAfter, _ := s.AuditEntries(ctx, "", 100)
			if !reflect.DeepEqual(before, after) || len(auditAfter) != len(auditBefore) {
				t.Errorf("bad input changed something:\n%+v\n%+v", before, after)
			}
		})
	}
}
