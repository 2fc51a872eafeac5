// Package storage keeps surgedesk's shared state in SQL: SQLite in the data
// dir by default, PostgreSQL when configured. Plain SQL lives in methods
// named after the entity they return, one file per entity.
package storage

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // database/sql driver "sqlite", no cgo
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("storage: not found")

// ErrExists is returned when creating a row whose id is already taken.
var ErrExists = errors.New("storage: already exists")

// ErrInvalid is returned for a request that cannot be carried out as asked
// (a merge into itself, a split of inquiries from another cluster).
var ErrInvalid = errors.New("storage: invalid request")

//go:embed migrations
var migrations embed.FS

func init() { sqlx.BindDriver("sqlite", sqlx.QUESTION) }

// Storage is the SQL database.
type Storage struct {
	db       *sqlx.DB
	postgres bool
}

// Open connects to url: "postgres://…" (or "postgresql://…") for
// PostgreSQL, "sqlite:PATH" for a SQLite file (created with its directory).
// It does not migrate; call Migrate.
func Open(ctx context.Context, url string, maxOpenConns int) (*Storage, error) {
	var (
		db  *sqlx.DB
		err error
		pg  = strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
	)
	switch {
	case pg:
		db, err = sqlx.Open("pgx", url)
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("storage: unable to create %s: %w", filepath.Dir(path), err)
		}
		// WAL lets readers run beside the one writer; immediate transactions
		// take the write lock up front so busy_timeout applies instead of a
		// deadlock-style SQLITE_BUSY on upgrade. synchronous=NORMAL is safe
		// against process crashes in WAL mode; the inquiry is durable in
		// JetStream before it reaches SQL anyway. A 64 MiB page cache (the
		// default is 2 MiB) keeps a surge's random-id index pages in memory
		// instead of re-reading them for every batch (BenchmarkStoreSurge:
		// about 15% less per inquiry at 100,000 rows). The WAL is copied
		// back into the database every 16,000 pages (64 MiB) rather than
		// 1,000: the pages every batch touches (cluster rows, the ends of
		// the time indexes) are then copied once per many batches
		// (BenchmarkStoreSurge: about 29% less per inquiry).
		dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
			"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate&_pragma=cache_size(-65536)" +
			"&_pragma=wal_autocheckpoint(16000)"
		db, err = sqlx.Open("sqlite", dsn)
	default:
		return nil, fmt.Errorf("storage: unsupported database url %q", url)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: unable to open database: %w", err)
	}
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxOpenConns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: unable to reach database: %w", err)
	}
	return &Storage{db: db, postgres: pg}, nil
}

// Migrate applies every pending schema migration for the dialect. On
// PostgreSQL a session lock keeps several instances from racing.
func (s *Storage) Migrate(ctx context.Context) (applied []string, err error) {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	var opts []goose.ProviderOption
	if s.postgres {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
		// The lock guards this schema's migrations, not the whole
		// database's: instances of other schemas need not queue behind it.
		var schema string
		if err := s.db.GetContext(ctx, &schema, `SELECT current_schema()`); err != nil {
			return nil, fmt.Errorf("storage: unable to read the current schema: %w", err)
		}
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID(schema)), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("storage: unable to create migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	p, err := goose.NewProvider(dialect, s.db.DB, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to load migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("storage: unable to migrate: %w", err)
	}
	for _, r := range results {
		applied = append(applied, r.Source.Path)
	}
	return applied, nil
}

// migrationLockID is the advisory lock id of schema's migrations.
func migrationLockID(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("surgedesk migrations " + schema))
	return int64(h.Sum64() >> 1)
}

// Ping checks that the database answers.
func (s *Storage) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Dialect names the database: "postgres" or "sqlite".
func (s *Storage) Dialect() string {
	if s.postgres {
		return "postgres"
	}
	return "sqlite"
}

// Close closes the database.
func (s *Storage) Close() error { return s.db.Close() }
