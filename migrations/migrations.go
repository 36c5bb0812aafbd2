// Package migrations holds Pressroom's schema, one set of SQL files per dialect,
// embedded into the binary and applied by goose, followed by River's own
// migrations for its job tables.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// ErrSchemaBehind is returned by Check when migrations are pending.
var ErrSchemaBehind = errors.New("database schema is behind: run `pressroom migrate`")

func provider(db *sql.DB, dialect string) (*goose.Provider, error) {
	sub, err := fs.Sub(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var gd goose.Dialect
	switch dialect {
	case "postgres":
		gd = goose.DialectPostgres
	case "sqlite":
		gd = goose.DialectSQLite3
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	// Out-of-order migrations are applied rather than refused: feature branches
	// number their migrations independently and merge in any order.
	p, err := goose.NewProvider(gd, db, sub, goose.WithDisableGlobalRegistry(true), goose.WithAllowOutofOrder(true))
	if err != nil {
		return nil, fmt.Errorf("migrations: goose provider: %w", err)
	}
	return p, nil
}

func riverMigrator(db *sql.DB, dialect string) (*rivermigrate.Migrator[*sql.Tx], error) {
	var driver riverdriver.Driver[*sql.Tx]
	if dialect == "sqlite" {
		driver = riversqlite.New(db)
	} else {
		driver = riverdatabasesql.New(db)
	}
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return nil, fmt.Errorf("migrations: river migrator: %w", err)
	}
	return m, nil
}

// Up applies every pending migration, River's first (our tables never reference
// River's, but River's must exist before any job can be enqueued). It is
// idempotent: a second run applies nothing.
func Up(ctx context.Context, db *sql.DB, dialect string) (applied int, err error) {
	rm, err := riverMigrator(db, dialect)
	if err != nil {
		return 0, err
	}
	res, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return 0, fmt.Errorf("migrations: river up: %w", err)
	}
	applied += len(res.Versions)

	p, err := provider(db, dialect)
	if err != nil {
		return applied, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return applied, fmt.Errorf("migrations: up: %w", err)
	}
	return applied + len(results), nil
}

// DownTo rolls our migrations back, newest first, until version is the
// newest applied (0: all of them), and returns how many it rolled back.
// River's tables are left alone: they hold no schema of ours. It is for an
// operator undoing a release's migrations; nothing runs it on its own.
func DownTo(ctx context.Context, db *sql.DB, dialect string, version int64) (int, error) {
	p, err := provider(db, dialect)
	if err != nil {
		return 0, err
	}
	results, err := p.DownTo(ctx, version)
	if err != nil {
		return len(results), fmt.Errorf("migrations: down to %d: %w", version, err)
	}
	return len(results), nil
}

// Count returns how many migrations of ours the dialect has.
func Count(dialect string) (int, error) {
	entries, err := fs.Glob(files, dialect+"/*.sql")
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	return len(entries), nil
}

// Check returns ErrSchemaBehind when any migration, ours or River's, is pending.
// `web` and `worker` call it at start-up and `/readyz` on every probe.
func Check(ctx context.Context, db *sql.DB, dialect string) error {
	p, err := provider(db, dialect)
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("migrations: check: %w", err)
	}
	if pending {
		return ErrSchemaBehind
	}
	rm, err := riverMigrator(db, dialect)
	if err != nil {
		return err
	}
	res, err := rm.Validate(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrations: check river: %w", err)
	}
	if !res.OK {
		return ErrSchemaBehind
	}
	return nil
}

// Files returns the embedded SQL files, one folder per dialect.
func Files() fs.FS { return files }
