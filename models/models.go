// Package models holds Pressroom's data and every domain rule: roles, sessions,
// tokens, the audit log, and (as the product grows) documents, workflows, index
// numbers, embargoes, audiences and sends. It knows nothing of HTTP or templates.
package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Sentinel errors callers test with errors.Is; handlers map them to 404 and 409.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrForbidden = errors.New("forbidden")
)

// ValidationError lists what is wrong with an input, field by field, so a form can
// show each message beside its field and the API can return them in "fields".
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for k, v := range e.Fields {
		parts = append(parts, k+" "+v)
	}
	return "validation failed: " + strings.Join(parts, "; ")
}

// Add records a problem with one field; the first message for a field wins.
func (e *ValidationError) Add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = msg
	}
}

// Err returns the error when any field failed, else nil.
func (e *ValidationError) Err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// translate maps GORM's errors onto ours so callers never import gorm to check.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns an opaque, unguessable 16-character identifier.
func NewID() string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("models: crypto/rand failed: %v", err))
	}
	return idEncoding.EncodeToString(b[:])
}

// sortableEncoding is idEncoding's alphabet in ASCII order, so that the
// encoded IDs sort as their bytes do.
var sortableEncoding = base32.NewEncoding("234567abcdefghijklmnopqrstuvwxyz").WithPadding(base32.NoPadding)

// NewSortableID returns an identifier shaped like NewID's (16 characters of
// the same alphabet) that starts with the time in milliseconds, so that IDs
// made later sort later. A table that takes many rows a second keyed by it
// (signatures) then adds to the right-hand end of its primary key and of
// every index on a column holding it, instead of to a random page of each:
// after a checkpoint every random page touched is written to the WAL in full.
// Its 32 random bits keep two IDs of the same millisecond apart; it is not a
// secret (it says when the row was made, which the row says too). The time
// is the process's clock, not the domain's: it is about where rows land.
func NewSortableID() string {
	var b [10]byte
	ms := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	if _, err := rand.Read(b[6:]); err != nil {
		panic(fmt.Sprintf("models: crypto/rand failed: %v", err))
	}
	return sortableEncoding.EncodeToString(b[:])
}

// NewSecret returns a random token of n bytes for links and credentials.
func NewSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("models: crypto/rand failed: %v", err))
	}
	return idEncoding.EncodeToString(b)
}

// HashSecret is how secrets (session cookies, API tokens, link tokens) are kept at
// rest: a database leak reveals no usable credential.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Clock tells the time. Production uses SystemClock; tests inject a fixed or
// advancing clock so embargoes, SLAs and expiries are testable.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real wall clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// FixedClock is a settable clock for tests, safe for concurrent use (the web
// server and job workers read it while a test moves it).
type FixedClock struct {
	mu sync.Mutex
	T  time.Time
}

// NewFixedClock returns a clock stopped at t.
func NewFixedClock(t time.Time) *FixedClock { return &FixedClock{T: t} }

// Now returns the clock's time.
func (c *FixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.T
}

// Set moves the clock to t.
func (c *FixedClock) Set(t time.Time) {
	c.mu.Lock()
	c.T = t
	c.mu.Unlock()
}

// Advance moves the clock forward.
func (c *FixedClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.T = c.T.Add(d)
	c.mu.Unlock()
}

// Transaction runs fn in a transaction on db, committing when fn returns nil.
func Transaction(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	return db.WithContext(ctx).Transaction(fn)
}
