package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pressroom/models"
)

// Seeded is a migrated database holding the data every test of a package
// starts from (its accounts, groups, series…), built once per test binary and
// dialect by seed and then copied for each test the way New copies the bare
// template. Building that data per test costs more than the tests themselves
// once it hashes passwords.
//
// The sources live for one test binary: Main removes them when the tests end.
// A binary killed before that leaves its PostgreSQL source behind, which a
// later build drops once it is a day old.
type Seeded struct {
	seed func(ctx context.Context, db *models.DB) error

	mu    sync.Mutex
	built map[models.Dialect]*seededSource
}

type seededSource struct {
	once sync.Once
	// source is the SQLite file or the PostgreSQL database name tests copy.
	source string
	err    error
}

// NewSeeded returns the seeded database that seed fills. seed runs once per
// dialect, on a fresh migrated database, the first time a test asks for one.
func NewSeeded(seed func(ctx context.Context, db *models.DB) error) *Seeded {
	return &Seeded{seed: seed, built: map[models.Dialect]*seededSource{}}
}

// Run runs fn once per dialect as a subtest named after it, each with its own
// copy of the seeded database.
func (s *Seeded) Run(t *testing.T, fn func(t *testing.T, db *models.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) {
			fn(t, s.New(t, d))
		})
	}
}

// New returns a copy of the seeded database of the dialect, closed and removed
// when the test ends.
func (s *Seeded) New(t testing.TB, dialect models.Dialect) *models.DB {
	t.Helper()
	src, err := s.source(dialect)
	if err != nil {
		t.Fatalf("dbtest: seeded %s database: %v", dialect, err)
	}
	var u string
	switch dialect {
	case models.SQLite:
		path := filepath.Join(t.TempDir(), "test.db")
		if err := copyFile(src, path); err != nil {
			t.Fatalf("dbtest: copy seeded sqlite database: %v", err)
		}
		u = "sqlite:" + path
	case models.Postgres:
		u, err = postgresCopy(t, src)
		if err != nil {
			t.Fatalf("dbtest: copy seeded postgres database: %v", err)
		}
	default:
		t.Fatalf("dbtest: unknown dialect %q", dialect)
	}
	db, err := models.Open(context.Background(), u, models.OpenOptions{MaxConns: 30})
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (s *Seeded) source(dialect models.Dialect) (string, error) {
	s.mu.Lock()
	b := s.built[dialect]
	if b == nil {
		b = &seededSource{}
		s.built[dialect] = b
	}
	s.mu.Unlock()
	b.once.Do(func() {
		switch dialect {
		case models.SQLite:
			b.source, b.err = s.buildSQLite()
		case models.Postgres:
			b.source, b.err = s.buildPostgres()
		default:
			b.err = fmt.Errorf("unknown dialect %q", dialect)
		}
	})
	return b.source, b.err
}

func (s *Seeded) buildSQLite() (string, error) {
	tmpl, err := sqliteTemplate()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "pressroom-seeded-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "seeded.db")
	if err := copyFile(tmpl, path); err != nil {
		return "", err
	}
	ctx := context.Background()
	db, err := models.Open(ctx, "sqlite:"+path, models.OpenOptions{})
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := s.seed(ctx, db); err != nil {
		return "", fmt.Errorf("seed: %w", err)
	}
	// Fold the WAL into the main file so a plain copy holds the whole seed.
	if _, err := db.SQL.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return "", err
	}
	return path, nil
}

// seededPrefix names the per-binary PostgreSQL sources; the creation time in
// the name lets a later build recognise one left behind.
const seededPrefix = "pressroom_seeded_"

// seededStaleAfter is how old a leftover source must be before it is dropped:
// far longer than any test binary runs.
const seededStaleAfter = 24 * time.Hour

func (s *Seeded) buildPostgres() (string, error) {
	admin, base, err := openServer()
	if err != nil {
		return "", err
	}
	defer admin.Close()
	ctx := context.Background()
	dropStaleSeeded(ctx, admin)
	tmpl, err := postgresTemplate(admin, base)
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("%s%d_%s", seededPrefix, time.Now().Unix(), strings.ToLower(models.NewID()))
	if err := createFromTemplate(ctx, admin, name, tmpl); err != nil {
		return "", err
	}
	u, err := withDatabase(base, name)
	if err != nil {
		return "", err
	}
	db, err := models.Open(ctx, u, models.OpenOptions{MaxConns: 2})
	if err != nil {
		return "", err
	}
	err = s.seed(ctx, db)
	// A database is copied only while nobody is connected to it.
	db.Close()
	if err != nil {
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return "", fmt.Errorf("seed: %w", err)
	}
	return name, nil
}

// dropStaleSeeded drops the sources of binaries that ended without Main's
// clean-up (a timeout, a kill). Failing to is harmless, so errors are ignored.
func dropStaleSeeded(ctx context.Context, admin *sql.DB) {
	rows, err := admin.QueryContext(ctx, "SELECT datname FROM pg_database WHERE datname LIKE $1", seededPrefix+"%")
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		stamp, _, _ := strings.Cut(strings.TrimPrefix(name, seededPrefix), "_")
		created, err := strconv.ParseInt(stamp, 10, 64)
		if err == nil && time.Since(time.Unix(created, 0)) > seededStaleAfter {
			stale = append(stale, name)
		}
	}
	rows.Close()
	for _, name := range stale {
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
}

// drop removes the sources that were built.
func (s *Seeded) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.built[models.SQLite]; b != nil && b.source != "" {
		os.RemoveAll(filepath.Dir(b.source))
	}
	if b := s.built[models.Postgres]; b != nil && b.source != "" {
		admin, err := sql.Open("pgx", os.Getenv(EnvURL))
		if err != nil {
			return
		}
		defer admin.Close()
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+b.source+" WITH (FORCE)")
	}
}

// Main runs the package's tests and then removes the seeded databases'
// sources; a package using Seeded calls it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(dbtest.Main(m, seeded)) }
func Main(m *testing.M, seeded ...*Seeded) int {
	code := m.Run()
	for _, s := range seeded {
		s.drop()
	}
	return code
}
