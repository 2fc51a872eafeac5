package workers

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/bus/bustest"
	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
	"github.com/surgedesk/surgedesk/triage"
)

// Problems placed by one instance, and an agent's move and merge, reach a
// second instance over NATS and come back from SQL after a restart, on
// SQLite and PostgreSQL.
func TestProblemsRememberedAcrossInstancesAndRestart(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := testContext(t)
			db := storagetest.Open(t, url)
			b := bustest.Embedded(t)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))

			a := &Ingest{js: b.JetStream, clusters: triage.NewClusterer(triage.DefaultOptions()), opts: IngestOptions{Instance: "a"}}
			ga := triage.NewGrouper(triage.DefaultProblemOptions())
			a.GroupProblems(ga)
			gb := triage.NewGrouper(triage.DefaultProblemOptions())
			sub, err := FollowProblems(b.Conn, "b", gb, log)
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Unsubscribe()

			texts := []string{"로그인이 안 돼요", "로그인 오류 나요 급해요", "login is not working", "결제가 안 돼요", "결제 오류 나요 급해요"}
			now := time.Now().Add(-time.Minute)
			var rows []storage.Inquiry
			for i, text := range texts {
				rows = append(rows, storage.Inquiry{ID: fmt.Sprintf("iq_p%d", i), Source: "web", CustomerID: fmt.Sprint("c", i),
					Text: text, State: storage.StateStored, ReceivedAt: now.Add(time.Duration(i) * time.Second).UnixMilli(), Metadata: "{}"})
			}
			clusters := a.assign(rows)
			inserted, err := db.StoreInquiries(ctx, rows, clusters)
			if err != nil {
				t.Fatal(err)
			}
			a.announce(rows, inserted)
			login, en, pay := rows[0], rows[2], rows[3]
			loginProblem, payProblem := ga.ProblemOf(login.ClusterID), ga.ProblemOf(pay.ClusterID)
			if loginProblem == "" || loginProblem == payProblem || ga.ProblemOf(rows[1].ClusterID) != loginProblem {
				t.Fatalf("unexpected grouping: login %s, payment %s, second login %s", loginProblem, payProblem, ga.ProblemOf(rows[1].ClusterID))
			}
			eventually(t, ctx, "B learns the placements", func() bool {
				return gb.ProblemOf(login.ClusterID) == loginProblem && gb.ProblemOf(pay.ClusterID) == payProblem
			})

			// The agent takes the English cluster out into its own problem,
			// then merges the payment problem into the login one (a wrong
			// merge, but a decision to remember).
			if err := db.MoveCluster(ctx, "kim.agent", en.ClusterID, "p-en", time.Now().UnixMilli()); err != nil {
				t.Fatal(err)
			}
			ga.Move(en.ClusterID, "p-en")
			if err := AnnounceProblemMove(b.Conn, "a", en.ClusterID, "p-en"); err != nil {
				t.Fatal(err)
			}
			if err := db.MergeProblems(ctx, "kim.agent", payProblem, loginProblem, time.Now().UnixMilli()); err != nil {
				t.Fatal(err)
			}
			ga.Merge(payProblem, loginProblem)
			if err := AnnounceProblemMerge(b.Conn, "a", payProblem, loginProblem); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{en.ClusterID: "p-en", pay.ClusterID: loginProblem, login.ClusterID: loginProblem}
			eventually(t, ctx, "B learns the move and the merge", func() bool {
				for cl, p := range want {
					if gb.ProblemOf(cl) != p {
						return false
					}
				}
				return true
			})

			// Restart: a fresh grouper rebuilt from SQL, which keeps the
			// agent's decisions however the clusters grow.
			gc := triage.NewGrouper(triage.DefaultProblemOptions())
			n, err := RestoreProblems(ctx, db, gc, time.Now(), 6*time.Hour, 32)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Fatal("nothing restored")
			}
			for range 16 {
				gc.Observe(en.ClusterID, "login is not working", 1, "")
				gc.Observe(pay.ClusterID, "결제가 안 돼요", 1, "")
				gc.Observe(login.ClusterID, "로그인이 안 돼요", 1, "")
			}
			for cl, p := range want {
				if got := gc.ProblemOf(cl); got != p {
					t.Errorf("after the restart cluster %s is in %s, want %s", cl, got, p)
				}
			}
			// A late placement into the merged problem lands in the target.
			gc.Place("late", payProblem, "결제 실패", false)
			if got := gc.ProblemOf("late"); got != loginProblem {
				t.Errorf("a placement into the merged problem went to %s, want %s", got, loginProblem)
			}
		})
	}
}

// An outage spread over several wordings raises one surge alert for the
// problem, though no single cluster surges.
func TestSurgeAlertPerProblem(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	db := openStorage(t)
	s := &Ingest{db: db, clusters: triage.NewClusterer(triage.DefaultOptions()), alerted: map[string]bool{},
		opts: IngestOptions{SurgePerMinute: 3, SurgeMinCustomers: 10, AckWait: time.Minute}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	// The alert is what is tested, not the grouping: a looser threshold
	// makes sure the wordings form one problem.
	popts := triage.DefaultProblemOptions()
	popts.Threshold = 0.25
	s.GroupProblems(triage.NewGrouper(popts))
	wordings := []string{"상품권 사용이 안 돼요", "상품권 사용 불가라고 떠요", "상품권 번호 입력해도 안 돼요 급해요", "상품권이 안 먹혀요 빨리요"}
	now := time.Now()
	var rows []storage.Inquiry
	for i := range 28 {
		rows = append(rows, storage.Inquiry{ID: fmt.Sprintf("iq_v%d", i), Source: "web", CustomerID: fmt.Sprint("v", i),
			Text: wordings[i%len(wordings)], State: storage.StateStored, ReceivedAt: now.Add(time.Duration(i-28) * time.Second).UnixMilli(), Metadata: "{}"})
	}
	for start := 0; start < len(rows); start += 7 {
		batch := rows[start : start+7]
		clusters := s.assign(batch)
		inserted, err := db.StoreInquiries(ctx, batch, clusters)
		if err != nil {
			t.Fatal(err)
		}
		s.raiseSurges(ctx, batch, inserted)
		if start == 0 { // too few customers for an alert yet; an agent names the problem
			if err := db.NameProblem(ctx, "api:kim", batch[0].ProblemID, "상품권 장애", "ko", "", "", now.UnixMilli()); err != nil {
				t.Fatal(err)
			}
		}
	}
	perCluster := map[string]int{}
	problems := map[string]bool{}
	for _, r := range rows {
		perCluster[r.ClusterID]++
		problems[r.ProblemID] = true
	}
	if len(perCluster) < 2 || len(problems) != 1 {
		t.Fatalf("want several clusters in one problem, got %d clusters, %d problems", len(perCluster), len(problems))
	}
	for id, n := range perCluster {
		if float64(n)/5 >= s.opts.SurgePerMinute && n >= s.opts.SurgeMinCustomers {
			t.Fatalf("cluster %s surges alone (%d inquiries): the scene tests nothing", id, n)
		}
	}
	alerts, err := db.Alerts(ctx, "open", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want one for the problem", len(alerts))
	}
	if alerts[0].Inquiries < 10 {
		t.Errorf("the alert counts %d inquiries, want the whole problem's", alerts[0].Inquiries)
	}
	if alerts[0].Representative != "상품권 장애" {
		t.Errorf("the alert is titled %q, want the problem's name", alerts[0].Representative)
	}
}
