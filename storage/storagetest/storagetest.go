// Package storagetest gives tests a fresh database: SQLite always, and
// PostgreSQL when SURGEDESK_TEST_POSTGRES_URL names a server.
//
// A PostgreSQL database is a schema of its own. Migrating one takes far
// longer than most tests, so each test process migrates a schema once and
// hands it to one test after another, emptying its tables in between.
// Tests that run at the same time get different schemas. Several test
// processes (packages, CI, other developers) may share the database: a
// schema's name is unique to its process, which holds an advisory lock on
// it while it lives, so that a later process can tell an abandoned schema
// (its process killed before dropping it) from one in use, and drop it.
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/surgedesk/surgedesk/storage"
)

// PostgresEnv names the variable that points tests at PostgreSQL.
const PostgresEnv = "SURGEDESK_TEST_POSTGRES_URL"

// schemaPrefix starts the name of every schema this package makes.
const schemaPrefix = "st_"

// URLs returns a fresh SQLite URL and, when PostgreSQL is configured, a URL
// to an empty, migrated schema of the test's own.
func URLs(t testing.TB) map[string]string {
	t.Helper()
	urls := map[string]string{"sqlite": SQLite(t)}
	if os.Getenv(PostgresEnv) != "" {
		urls["postgres"] = Postgres(t)
	}
	return urls
}

// SQLite returns a URL to a new SQLite file in the test's temp dir.
func SQLite(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
}

// Postgres returns a URL to a migrated schema with empty tables, the
// test's alone until it ends, or skips the test when
// SURGEDESK_TEST_POSTGRES_URL is unset.
func Postgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skip("PostgreSQL tests skipped: set " + PostgresEnv + " (e.g. postgres://postgres@127.0.0.1:5432/test)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := pool.take(ctx, base)
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	t.Cleanup(func() { pool.give(s) })
	return s.url
}

// Open opens url and migrates it, closing it when the test ends.
func Open(t testing.TB, url string) *storage.Storage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := storage.Open(ctx, url, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// schema is one migrated schema of this process.
type schema struct {
	name, url string
	used      bool // by an earlier test: its tables need emptying
}

// schemas are this process's schemas, on one server.
type schemas struct {
	mu   sync.Mutex
	base string
	db   *sql.DB
	// owner holds the advisory locks that mark the schemas as in use, for
	// the life of the process.
	owner *sql.Conn
	free  []*schema
}

var pool schemas

// take returns a free schema, emptied, or a new migrated one.
func (p *schemas) take(ctx context.Context, base string) (*schema, error) {
	p.mu.Lock()
	if err := p.connect(ctx, base); err != nil {
		p.mu.Unlock()
		return nil, err
	}
	var s *schema
	if n := len(p.free); n > 0 {
		s, p.free = p.free[n-1], p.free[:n-1]
	}
	p.mu.Unlock()
	if s == nil {
		return p.create(ctx)
	}
	if err := p.empty(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// give puts s back for the next test.
func (p *schemas) give(s *schema) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.used = true
	p.free = append(p.free, s)
}

// connect opens the server once per process and drops the schemas left
// behind by processes that are gone.
func (p *schemas) connect(ctx context.Context, base string) error {
	if p.db != nil {
		if base != p.base {
			return fmt.Errorf("%s changed from %s to %s", PostgresEnv, p.base, base)
		}
		return nil
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		return err
	}
	owner, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return fmt.Errorf("unable to connect to %s: %w", base, err)
	}
	p.base, p.db, p.owner = base, db, owner
	p.dropAbandoned(ctx)
	return nil
}

// dropAbandoned drops this package's schemas whose process no longer
// holds their lock. Best effort: a failure leaves a schema behind, nothing
// worse.
func (p *schemas) dropAbandoned(ctx context.Context) {
	rows, err := p.owner.QueryContext(ctx,
		`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, schemaPrefix)
	if err != nil {
		return
	}
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, n)
		}
	}
	rows.Close()
	for _, n := range names {
		var free bool
		if err := p.owner.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, lockKey(n)).Scan(&free); err != nil || !free {
			continue
		}
		_, _ = p.owner.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+n+` CASCADE`)
		_, _ = p.owner.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, lockKey(n))
	}
}

// create makes and migrates a new schema, locked as this process's.
func (p *schemas) create(ctx context.Context) (*schema, error) {
	var raw [6]byte
	_, _ = rand.Read(raw[:])
	name := fmt.Sprintf("%s%d_%s", schemaPrefix, os.Getpid(), hex.EncodeToString(raw[:]))
	p.mu.Lock()
	_, err := p.owner.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockKey(name))
	if err == nil {
		_, err = p.owner.ExecContext(ctx, `CREATE SCHEMA `+name)
	}
	p.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("unable to create schema on %s: %w", p.base, err)
	}
	u, err := url.Parse(p.base)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	s := &schema{name: name, url: u.String()}
	db, err := storage.Open(ctx, s.url, 1)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// empty deletes every row a test left in s and restarts its sequences; the
// migrations' own table keeps its rows. DELETE, not TRUNCATE: on tables of
// a few rows it is many times faster, and every foreign key cascades.
func (p *schemas) empty(ctx context.Context, s *schema) error {
	if !s.used {
		return nil
	}
	rows, err := p.db.QueryContext(ctx, `
		SELECT 'DELETE FROM ' || quote_ident(tablename) FROM pg_tables
		 WHERE schemaname = $1 AND tablename <> 'goose_db_version'
		UNION ALL
		SELECT 'ALTER SEQUENCE ' || quote_ident(sequencename) || ' RESTART' FROM pg_sequences
		 WHERE schemaname = $1 AND sequencename NOT LIKE 'goose%'`, s.name)
	if err != nil {
		return fmt.Errorf("unable to list the tables of %s: %w", s.name, err)
	}
	stmts := []string{"SET LOCAL search_path TO " + s.name}
	for rows.Next() {
		var stmt string
		if err := rows.Scan(&stmt); err != nil {
			rows.Close()
			return err
		}
		stmts = append(stmts, stmt)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, strings.Join(stmts, "; ")); err != nil {
		return fmt.Errorf("unable to empty %s: %w", s.name, err)
	}
	return tx.Commit()
}

// lockKey is the advisory lock that marks schema name as in use.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("surgedesk storagetest " + name))
	return int64(h.Sum64() >> 1)
}
