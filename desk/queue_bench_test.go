package desk_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/surgedesk/surgedesk/desk"
	"github.com/surgedesk/surgedesk/storage/storagetest"
)

// BenchmarkQueueAtScale reads the agents' queue (desk.Queue, as GET
// /v1/queue and the Slack board do) with 1,000,000 stored inquiries, 2,000
// open clusters holding 300,000 of them (the newest 25,000 in the last 15
// minutes) and 20,000 closed clusters holding the rest; goal: at most 50
// ms per read. ns/op is one whole read. "baseline" is the sampling query
// the queue used before (a window over every member of the open
// clusters), measured on the same fixture. The fixture is built with bulk
// SQL (about a minute on SQLite).
//
//	go test ./desk -run '^$' -bench QueueAtScale -benchtime 20x
func BenchmarkQueueAtScale(b *testing.B) {
	for dialect, url := range storagetest.URLs(b) {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			s := storagetest.Open(b, url)
			now := time.Now()
			fill(b, ctx, dialect, url, now.UnixMilli())
			d := desk.New(desk.Options{Store: s, IdleWindow: 6 * time.Hour, Now: func() time.Time { return now }})
			b.Run("queue", func(b *testing.B) {
				for b.Loop() {
					q, err := d.Queue(ctx)
					if err != nil || len(q) != 2000 {
						b.Fatalf("queue: %d items, %v", len(q), err)
					}
					// The page GET /v1/queue shows by default, with samples.
					if err := d.Samples(ctx, q[:50], 3); err != nil || len(q[0].Samples) != 3 {
						b.Fatalf("samples: %v", err)
					}
				}
			})
			since := now.Add(-6 * time.Hour).UnixMilli()
			b.Run("parts/open", func(b *testing.B) {
				for b.Loop() {
					_, _ = s.OpenClusters(ctx, since, 10000)
				}
			})
			open, err := s.OpenClusters(ctx, since, 10000)
			if err != nil {
				b.Fatal(err)
			}
			page := make([]string, 0, 50)
			for _, c := range open[:50] {
				page = append(page, c.ID)
			}
			b.Run("parts/samples", func(b *testing.B) {
				for b.Loop() {
					_, _ = s.ClusterSamples(ctx, page, 3)
				}
			})
			b.Run("parts/recent", func(b *testing.B) {
				for b.Loop() {
					_, _ = s.OpenRecentCounts(ctx, since, now.UnixMilli())
				}
			})
			b.Run("baseline", func(b *testing.B) {
				for b.Loop() {
					if m, err := s.RecentClusterMembers(ctx, now.Add(-6*time.Hour).UnixMilli(), 3); err != nil || len(m) != 2000 {
						b.Fatalf("members of %d clusters, %v", len(m), err)
					}
				}
			})
		})
	}
}

// fill writes the fixture with a connection of its own.
func fill(b *testing.B, ctx context.Context, dialect, url string, now int64) {
	b.Helper()
	driver, dsn := "pgx", url
	if dialect == "sqlite" {
		driver, dsn = "sqlite", strings.TrimPrefix(url, "sqlite:")
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	// Inquiry i: in open cluster (i/10)%2000 when i%10 < 3, else in closed
	// cluster (i/10)%20000; received 36 ms apart going back from now.
	series, id, open, closed := `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %d) SELECT %s FROM n`,
		`printf('iq%07d', i)`, `printf('open%04d', (i / 10) % 2000)`, `printf('old%05d', (i / 10) % 20000)`
	if dialect == "postgres" {
		series, id, open, closed = `SELECT %[2]s FROM generate_series(0, %[1]d) AS n(i)`,
			`'iq' || lpad(i::text, 7, '0')`, `'open' || lpad(((i / 10) % 2000)::text, 4, '0')`, `'old' || lpad(((i / 10) % 20000)::text, 5, '0')`
	}
	stmts := []string{
		`INSERT INTO clusters (id, representative, label, inquiries, customers, first_seen, last_seen, status) ` +
			fmt.Sprintf(series, 1999, fmt.Sprintf(`%s, '앱 접속이 안 돼요 결제도 안되고', '[]', 150, 140, %d, %d - i, 'open'`, strings.ReplaceAll(open, "(i / 10)", "i"), now-5*3600_000, now)),
		`INSERT INTO clusters (id, representative, label, inquiries, customers, first_seen, last_seen, status) ` +
			fmt.Sprintf(series, 19999, fmt.Sprintf(`%s, '배송 조회가 안 돼요', '[]', 35, 30, %d, %d, 'closed'`, strings.ReplaceAll(closed, "(i / 10)", "i"), now-40*86400_000, now-30*86400_000)),
		`INSERT INTO inquiries (id, source, customer_id, text, locale, state, received_at, stored_at, stream_seq, cluster_id) ` +
			fmt.Sprintf(series, 999999, fmt.Sprintf(`%s, 'web', 'c' || (i %% 300000), '앱 접속이 안 돼요 ' || (i %% 97), 'ko', 'stored', %d - i * 36, %d, i,
				CASE WHEN i %% 10 < 3 THEN %s ELSE %s END`, id, now, now, open, closed)),
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatalf("fixture: %v\n%s", err, q)
		}
	}
	if dialect == "postgres" {
		if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
}
