// Package dbtest gives each test a fresh, migrated database: SQLite always, and
// PostgreSQL as well when TEST_DATABASE_URL is set, so every database test runs on
// both engines.
//
// SQLite databases are copies of a template file migrated once per test binary.
// PostgreSQL databases are created from a template database migrated once per
// schema version (guarded by an advisory lock, since `go test ./...` runs packages
// in parallel), then dropped when the test ends.
package dbtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the admin connection

	"pressroom/migrations"
	"pressroom/models"
)

// EnvURL names the variable that points the suite at a PostgreSQL server.
const EnvURL = "TEST_DATABASE_URL"

// Dialects lists the engines tests run on here: sqlite, plus postgres when
// TEST_DATABASE_URL is set.
func Dialects() []models.Dialect {
	ds := []models.Dialect{models.SQLite}
	if os.Getenv(EnvURL) != "" {
		ds = append(ds, models.Postgres)
	}
	return ds
}

// Run runs fn once per dialect as a subtest named after it, each with its own
// fresh database.
func Run(t *testing.T, fn func(t *testing.T, db *models.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) {
			fn(t, New(t, d))
		})
	}
}

// New returns a fresh migrated database of the dialect, closed and removed when
// the test ends.
func New(t testing.TB, dialect models.Dialect) *models.DB {
	t.Helper()
	url := NewURL(t, dialect)
	db, err := models.Open(context.Background(), url, models.OpenOptions{MaxConns: 30})
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewURL creates a fresh migrated database and returns its DATABASE_URL, for
// tests that start the binary or open the database themselves.
func NewURL(t testing.TB, dialect models.Dialect) string {
	t.Helper()
	switch dialect {
	case models.SQLite:
		tmpl, err := sqliteTemplate()
		if err != nil {
			t.Fatalf("dbtest: sqlite template: %v", err)
		}
		path := filepath.Join(t.TempDir(), "test.db")
		if err := copyFile(tmpl, path); err != nil {
			t.Fatalf("dbtest: copy sqlite template: %v", err)
		}
		return "sqlite:" + path
	case models.Postgres:
		u, err := postgresDatabase(t)
		if err != nil {
			t.Fatalf("dbtest: postgres database: %v", err)
		}
		return u
	}
	t.Fatalf("dbtest: unknown dialect %q", dialect)
	return ""
}

var (
	sqliteOnce sync.Once
	sqlitePath string
	sqliteErr  error
)

func sqliteTemplate() (string, error) {
	sqliteOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pressroom-dbtest-")
		if err != nil {
			sqliteErr = err
			return
		}
		sqlitePath = filepath.Join(dir, "template.db")
		ctx := context.Background()
		db, err := models.Open(ctx, "sqlite:"+sqlitePath, models.OpenOptions{})
		if err != nil {
			sqliteErr = err
			return
		}
		defer db.Close()
		if _, err := migrations.Up(ctx, db.SQL, string(models.SQLite)); err != nil {
			sqliteErr = err
			return
		}
		// Fold the WAL into the main file so a plain copy holds the whole schema.
		_, sqliteErr = db.SQL.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	})
	return sqlitePath, sqliteErr
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// schemaVersion fingerprints the PostgreSQL migrations, so a changed migration
// builds a new template instead of reusing a stale one.
func schemaVersion() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.Files(), "postgres", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.Files(), path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12], err
}

var (
	pgOnce     sync.Once
	pgTemplate string
	pgErr      error
)

func withDatabase(raw, name string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func postgresTemplate(admin *sql.DB, baseURL string) (string, error) {
	pgOnce.Do(func() {
		ctx := context.Background()
		version, err := schemaVersion()
		if err != nil {
			pgErr = err
			return
		}
		name := "pressroom_tmpl_" + version
		conn, err := admin.Conn(ctx)
		if err != nil {
			pgErr = err
			return
		}
		defer conn.Close()
		// One builder at a time across every test binary of the run.
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(424242)"); err != nil {
			pgErr = err
			return
		}
		defer conn.ExecContext(ctx, "SELECT pg_advisory_unlock(424242)")
		var exists bool
		if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
			pgErr = err
			return
		}
		if !exists {
			building := name + "_building"
			if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)"); err != nil {
				pgErr = err
				return
			}
			if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+building); err != nil {
				pgErr = err
				return
			}
			u, err := withDatabase(baseURL, building)
			if err != nil {
				pgErr = err
				return
			}
			db, err := models.Open(ctx, u, models.OpenOptions{MaxConns: 2})
			if err != nil {
				pgErr = err
				return
			}
			_, err = migrations.Up(ctx, db.SQL, string(models.Postgres))
			db.Close()
			if err != nil {
				pgErr = fmt.Errorf("migrate template: %w", err)
				return
			}
			if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
				pgErr = err
				return
			}
		}
		pgTemplate = name
	})
	return pgTemplate, pgErr
}

// openServer connects to the PostgreSQL server of TEST_DATABASE_URL, where
// test databases are created and dropped, and returns its URL too.
func openServer() (*sql.DB, string, error) {
	base := os.Getenv(EnvURL)
	if base == "" {
		return nil, "", fmt.Errorf("%s is not set", EnvURL)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return nil, "", err
	}
	return admin, base, nil
}

func postgresDatabase(t testing.TB) (string, error) {
	admin, base, err := openServer()
	if err != nil {
		return "", err
	}
	tmpl, err := postgresTemplate(admin, base)
	admin.Close()
	if err != nil {
		return "", err
	}
	return postgresCopy(t, tmpl)
}

// postgresCopy creates a database copied from tmpl, dropped when the test ends,
// and returns its URL.
func postgresCopy(t testing.TB, tmpl string) (string, error) {
	admin, base, err := openServer()
	if err != nil {
		return "", err
	}
	defer admin.Close()
	name := "pressroom_test_" + strings.ToLower(models.NewID())
	if err := createFromTemplate(context.Background(), admin, name, tmpl); err != nil {
		return "", fmt.Errorf("create test database: %w", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return withDatabase(base, name)
}

// createFromTemplate creates the database name as a copy of tmpl.
func createFromTemplate(ctx context.Context, admin *sql.DB, name, tmpl string) error {
	var err error
	// CREATE DATABASE … TEMPLATE fails while another session is copying the same
	// template; parallel test binaries make that likely, so retry briefly.
	for attempt := 0; ; attempt++ {
		_, err = admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl)
		if err == nil || attempt == 50 || !strings.Contains(err.Error(), "being accessed by other users") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
