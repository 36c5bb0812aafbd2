package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the SQL engine behind a DB. Dialect-specific SQL (search, a few
// set-based statements) switches on it; everything else goes through GORM.
type Dialect string

// The two supported engines.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// DB is an open database: the GORM handle for domain code, the *sql.DB that
// GORM, goose and River share, and for PostgreSQL the pgx pool behind it (River's
// LISTEN/NOTIFY listener takes connections from it).
type DB struct {
	Gorm    *gorm.DB
	SQL     *sql.DB
	Pool    *pgxpool.Pool // nil on SQLite
	Dialect Dialect
}

// OpenOptions tunes Open. The zero value is fine for production.
type OpenOptions struct {
	// Now replaces GORM's clock for created/updated timestamps (tests inject one).
	Now func() time.Time
	// MaxConns sizes the PostgreSQL pool; 0 means 20.
	MaxConns int32
	// LogSQL prints every statement (debugging only).
	LogSQL bool
}

// ParseDatabaseURL splits DATABASE_URL into its dialect and the driver's DSN.
// Accepted: postgres://… or postgresql://…, and sqlite:PATH.
func ParseDatabaseURL(raw string) (Dialect, string, error) {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return "", "", fmt.Errorf("DATABASE_URL is not a valid postgres URL: %w", err)
		}
		return Postgres, raw, nil
	case strings.HasPrefix(raw, "sqlite:"):
		path := strings.TrimPrefix(raw, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return "", "", errors.New("DATABASE_URL sqlite: needs a file path, e.g. sqlite:./pressroom.db")
		}
		return SQLite, path, nil
	default:
		return "", "", fmt.Errorf("DATABASE_URL must start with postgres:// or sqlite: (got %q)", redactURL(raw))
	}
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = url.User(u.User.Username())
	return u.String()
}

// Open connects to the database named by a DATABASE_URL value.
//
// On PostgreSQL one pgx pool serves GORM (through database/sql) and River, so a
// GORM transaction's *sql.Tx can carry a River insert. On SQLite the database runs
// in WAL mode with a busy timeout and exactly one open connection: River's SQLite
// driver and the writers of a single file otherwise trip over SQLITE_BUSY.
func Open(ctx context.Context, databaseURL string, opts OpenOptions) (*DB, error) {
	dialect, dsn, err := ParseDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	cfg := &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		Logger:                 logger.Default.LogMode(logger.Silent),
	}
	if opts.LogSQL {
		cfg.Logger = logger.Default.LogMode(logger.Info)
	}
	if opts.Now != nil {
		cfg.NowFunc = opts.Now
	} else {
		cfg.NowFunc = func() time.Time { return time.Now().UTC() }
	}

	db := &DB{Dialect: dialect}
	switch dialect {
	case Postgres:
		pcfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("models: parse postgres url: %w", err)
		}
		pcfg.MaxConns = opts.MaxConns
		if pcfg.MaxConns == 0 {
			pcfg.MaxConns = 20
		}
		pool, err := pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			return nil, fmt.Errorf("models: open postgres pool: %w", err)
		}
		db.Pool = pool
		db.SQL = stdlib.OpenDBFromPool(pool)
		db.Gorm, err = gorm.Open(postgres.New(postgres.Config{Conn: db.SQL}), cfg)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("models: open gorm on postgres: %w", err)
		}
	case SQLite:
		if dir := filepath.Dir(dsn); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("models: create sqlite folder: %w", err)
			}
		}
		full := "file:" + dsn + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		db.Gorm, err = gorm.Open(sqlite.Open(full), cfg)
		if err != nil {
			return nil, fmt.Errorf("models: open sqlite: %w", err)
		}
		db.SQL, err = db.Gorm.DB()
		if err != nil {
			return nil, fmt.Errorf("models: sqlite handle: %w", err)
		}
		db.SQL.SetMaxOpenConns(1)
	}
	if err := db.SQL.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("models: ping %s: %w", dialect, err)
	}
	return db, nil
}

// Close releases every connection.
func (db *DB) Close() error {
	err := db.SQL.Close()
	if db.Pool != nil {
		db.Pool.Close()
	}
	return err
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.SQL.PingContext(ctx)
}
