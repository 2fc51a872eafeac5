package storage_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/kb"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

func document() kb.Document {
	inc := loginIncident()
	inc.Status = kb.Identified
	inc.Updates = []kb.Update{
		{Version: 1, Status: kb.Investigating, TextKO: "확인 중입니다", CreatedAt: started.Add(time.Minute), Author: "mgr"},
		{Version: 2, Status: kb.Identified, TextKO: "원인 확인", TextEN: "Cause found", ETA: started.Add(3 * time.Hour),
			WorkaroundKO: "웹에서 로그인", CreatedAt: started.Add(20 * time.Minute), Author: "mgr"},
	}
	faq := kb.Answer{ID: "faq-hours", Keywords: []string{"영업시간"}, Examples: kb.Examples{KO: []string{"상담 시간이 언제예요"}},
		TemplateKO: "평일 9시-18시입니다."}
	return kb.Document{Incidents: []kb.Incident{inc}, Answers: []kb.Answer{loginAnswer(), faq}}
}

// stable clears what an import sets to its own time.
func stable(d kb.Document) kb.Document {
	for i := range d.Incidents {
		d.Incidents[i].CreatedAt, d.Incidents[i].UpdatedAt = time.Time{}, time.Time{}
	}
	for i := range d.Answers {
		d.Answers[i].CreatedAt, d.Answers[i].UpdatedAt = time.Time{}, time.Time{}
	}
	return d
}

func TestImportKB(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			want := document()
			for range 2 {
				if err := s.ImportKB(ctx, "ops", want); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.ExportKB(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(stable(got), want) {
				t.Errorf("export after importing twice:\n got %+v\nwant %+v", stable(got), want)
			}
			if audit, _ := s.AuditEntries(ctx, "kb", 10); len(audit) != 2 || audit[0].Action != "kb.import" ||
				!strings.Contains(audit[0].Detail, "inc-login") {
				t.Errorf("audit = %+v", audit)
			}

			// A re-import edits and moves forward.
			next := document()
			next.Incidents[0].TitleEN = "Login failures"
			next.Incidents[0].Status = kb.Resolved
			next.Incidents[0].Updates = append(next.Incidents[0].Updates,
				kb.Update{Version: 3, Status: kb.Resolved, TextKO: "해결", CreatedAt: started.Add(time.Hour)})
			if err := s.ImportKB(ctx, "ops", next); err != nil {
				t.Fatal(err)
			}
			inc, err := s.Incident(ctx, "inc-login")
			if err != nil || inc.TitleEN != "Login failures" || inc.Status != kb.Resolved || len(inc.Updates) != 3 ||
				!inc.ResolvedAt.Equal(started.Add(time.Hour)) {
				t.Errorf("after the second import: %+v, %v", inc, err)
			}
		})
	}
}

func TestImportKBBadInput(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			if err := s.ImportKB(ctx, "ops", document()); err != nil {
				t.Fatal(err)
			}
			before, _ := s.ExportKB(ctx)
			cases := []struct {
				name  string
				edit  func(*kb.Document)
				wants []string
			}{
				{"unknown incident", func(d *kb.Document) { d.Answers[0].IncidentID = "inc-nope" },
					[]string{`answers[0].incident_id: unknown incident "inc-nope"`}},
				{"invalid status", func(d *kb.Document) { d.Incidents[0].Updates[1].Status = "fixed" },
					[]string{`incidents[0].updates[1].status: unknown status "fixed"`}},
				{"backwards in the document", func(d *kb.Document) {
					d.Incidents[0].Updates[0].Status, d.Incidents[0].Updates[1].Status = kb.Identified, kb.Investigating
				}, []string{"incidents[0].updates[1].status: status cannot move back", "incidents[0].status: is identified but the latest update says investigating"}},
				{"empty examples and a bad template at once", func(d *kb.Document) {
					d.Answers[1].Examples = kb.Examples{}
					d.Answers[0].TemplateKO = "{{.Nope}}"
				}, []string{"answers[1].examples: at least one", "answers[0].template_ko: invalid template"}},
				{"oversized title", func(d *kb.Document) { d.Incidents[0].TitleKO = strings.Repeat("가", 201) },
					[]string{"incidents[0].title_ko: is 201 characters"}},
				{"backwards against the store", func(d *kb.Document) {
					d.Incidents[0].Status = kb.Investigating
					d.Incidents[0].Updates[1].Status = kb.Investigating
				}, []string{"cannot move back from identified to investigating"}},
				{"fewer updates than stored", func(d *kb.Document) {
					d.Incidents[0].Updates = d.Incidents[0].Updates[:1]
					d.Incidents[0].Status = kb.Identified
					d.Incidents[0].Updates[0].Status = kb.Identified
				}, []string{"has 2 updates stored but 1 in the document"}},
				{"a bad incident after a good one", func(d *kb.Document) {
					d.Incidents = append([]kb.Incident{{ID: "inc-new", TitleKO: "새 장애", Status: kb.Investigating,
						Severity: kb.Minor, StartedAt: started}}, d.Incidents...)
					d.Incidents[1].Status = kb.Investigating
					d.Incidents[1].Updates[1].Status = kb.Investigating
				}, []string{"cannot move back"}},
			}
			for _, c := range cases {
				d := document()
				c.edit(&d)
				err := s.ImportKB(ctx, "ops", d)
				if !errors.Is(err, kb.ErrInvalid) {
					t.Errorf("%s: err = %v, want kb.ErrInvalid", c.name, err)
					continue
				}
				for _, w := range c.wants {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s: %q does not say %q", c.name, err, w)
					}
				}
			}
			after, _ := s.ExportKB(ctx)
			if !reflect.DeepEqual(before, after) {
				t.Errorf("bad imports changed the knowledge base:\n%+v\n%+v", before, after)
			}
			if audit, _ := s.AuditEntries(ctx, "kb", 10); len(audit) != 1 {
				t.Errorf("bad imports were audited: %+v", audit)
			}
		})
	}
}
