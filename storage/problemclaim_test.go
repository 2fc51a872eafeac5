package storage_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// TestClaimProblem: a problem's claim holds every action on its clusters
// by another agent, is all or none, and a manager can take it over.
func TestClaimProblem(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			placed(t, ctx, s, "i1", "ca", "kim", "로그인이 안 돼요", "p-login", "로그인이 안 돼요")
			placed(t, ctx, s, "i2", "cb", "lee", "login keeps failing", "p-login", "")
			placed(t, ctx, s, "i3", "cc", "park", "결제가 안 돼요", "p-pay", "결제가 안 돼요")
			now := time.Now().UnixMilli()
			until := now + 600_000
			holder := func(err error) string {
				var ce *storage.ClaimedError
				if errors.As(err, &ce) {
					return ce.Holder
				}
				return ""
			}

			ids, err := s.ClaimProblem(ctx, "kim.agent", "p-login", now, until)
			slices.Sort(ids)
			if err != nil || !slices.Equal(ids, []string{"ca", "cb"}) {
				t.Fatalf("kim's claim = %v, %v; want [ca cb]", ids, err)
			}
			if ids, err := s.ClaimProblem(ctx, "kim.agent", "p-login", now, until); err != nil || len(ids) != 2 {
				t.Errorf("kim renewing = %v, %v", ids, err)
			}
			refused := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, storage.ErrClaimed) || holder(err) != "kim.agent" {
					t.Errorf("lee's %s: %v, want ErrClaimed naming kim.agent", what, err)
				}
			}
			_, err = s.ClaimProblem(ctx, "lee.agent", "p-login", now, until)
			refused("claim", err)
			_, err = s.ReplyToCluster(ctx, "lee.agent", "cb", "확인 중입니다")
			refused("reply", err)
			refused("resolve", s.ResolveCluster(ctx, "lee.agent", "ca"))
			refused("move", s.MoveCluster(ctx, "lee.agent", "cb", "p-pay", now))
			refused("merge of the other problem in", s.MergeProblems(ctx, "lee.agent", "p-pay", "p-login", now))
			refused("merge of it away", s.MergeProblems(ctx, "lee.agent", "p-login", "p-pay", now))
			if c, err := s.Cluster(ctx, "cb"); err != nil || c.ProblemID != "p-login" || c.Status != storage.ClusterOpen {
				t.Errorf("cb after the refusals: problem %q status %q (%v); want unchanged", c.ProblemID, c.Status, err)
			}

			// All or none: with cc held by lee, kim cannot claim p-pay.
			if err := s.ClaimCluster(ctx, "lee.agent", "cc", now, until); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ClaimProblem(ctx, "kim.agent", "p-pay", now, until); holder(err) != "lee.agent" {
				t.Errorf("kim claiming p-pay: %v, want lee.agent's claim", err)
			}
			// An expired claim is free.
			if _, err := s.ClaimProblem(ctx, "kim.agent", "p-pay", until+1, until+600_000); err != nil {
				t.Errorf("kim claiming p-pay after lee's claim expired: %v", err)
			}

			ids, err = s.TakeOverProblem(ctx, "choi.manager", "p-login", now, until)
			if err != nil || len(ids) != 2 {
				t.Fatalf("takeover = %v, %v", ids, err)
			}
			if _, err := s.ClaimProblem(ctx, "kim.agent", "p-login", now, until); holder(err) != "choi.manager" {
				t.Errorf("kim after the takeover: %v, want choi.manager's claim", err)
			}
			audit, err := s.AuditEntries(ctx, "problem:p-login", 10)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, a := range audit {
				actions = append(actions, a.Action)
			}
			if !slices.Contains(actions, "problem.takeover") || !slices.Contains(actions, "problem.claim") {
				t.Errorf("audit of p-login: %v, want problem.claim and problem.takeover", actions)
			}

			for _, id := range []string{"p-none", ""} {
				if _, err := s.ClaimProblem(ctx, "kim.agent", id, now, until); !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("claim of %q: %v, want ErrNotFound", id, err)
				}
			}
		})
	}
}

// TestClaimProblemRace: two agents claiming one problem at once; exactly
// one wins, every cluster ends with the winner.
func TestClaimProblemRace(t *testing.T) {
	t.Parallel()
	for dialect, url := range storagetest.URLs(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := storagetest.Open(t, url)
			for _, c := range []string{"ca", "cb", "cc", "cd"} {
				placed(t, ctx, s, "i-"+c, c, "kim-"+c, "로그인이 안 돼요 "+c, "p-login", "로그인이 안 돼요")
			}
			for round := range 10 {
				now := time.Now().UnixMilli() + int64(round)*1_000_000
				agents := []string{"kim.agent", "lee.agent"}
				errs := make([]error, 2)
				var wg sync.WaitGroup
				for i, a := range agents {
					wg.Go(func() { _, errs[i] = s.ClaimProblem(ctx, a, "p-login", now, now+500_000) })
				}
				wg.Wait()
				won := -1
				for i, err := range errs {
					switch {
					case err == nil && won < 0:
						won = i
					case err == nil:
						t.Fatalf("round %d: both agents claimed", round)
					case !errors.Is(err, storage.ErrClaimed):
						t.Fatalf("round %d: %s: %v", round, agents[i], err)
					}
				}
				if won < 0 {
					t.Fatalf("round %d: nobody claimed: %v", round, errs)
				}
				cs, err := s.ProblemClusters(ctx, "p-login")
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range cs {
					if c.ClaimedBy != agents[won] {
						t.Errorf("round %d: %s held by %q, want the winner %s", round, c.ID, c.ClaimedBy, agents[won])
					}
				}
			}
		})
	}
}
