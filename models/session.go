package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Default session lifetimes: a session ends after SessionIdle without use or
// SessionMax after login, whichever comes first. SESSION_IDLE_TIMEOUT and
// SESSION_MAX_AGE override them (SessionPolicy).
const (
	SessionIdle = 8 * time.Hour
	SessionMax  = 7 * 24 * time.Hour
)

// SessionTouchInterval is how stale last_seen_at may be: a session is written
// at most once per interval, since a write per page view would serialise
// SQLite. Idle expiry is therefore exact to within this interval.
const SessionTouchInterval = time.Minute

// SessionPolicy is how long sessions last. Both limits are checked on every
// request against the session's own times, so shortening either takes effect
// for sessions that already exist.
type SessionPolicy struct {
	Idle   time.Duration // without use
	MaxAge time.Duration // since sign-in, however busy
}

// DefaultSessionPolicy is SessionIdle and SessionMax.
func DefaultSessionPolicy() SessionPolicy {
	return SessionPolicy{Idle: SessionIdle, MaxAge: SessionMax}
}

func (p SessionPolicy) orDefault() SessionPolicy {
	if p.Idle <= 0 {
		p.Idle = SessionIdle
	}
	if p.MaxAge <= 0 {
		p.MaxAge = SessionMax
	}
	return p
}

// Live reports whether a session is still valid at now.
func (p SessionPolicy) Live(s *Session, now time.Time) bool {
	p = p.orDefault()
	return s.RevokedAt == nil && now.Before(s.ExpiresAt) && now.Sub(s.CreatedAt) < p.MaxAge && now.Sub(s.LastSeenAt) < p.Idle
}

// Session is a signed-in browser. The row's ID is the SHA-256 of the cookie value,
// so a copy of the table cannot be used to sign in.
type Session struct {
	ID         string `gorm:"primaryKey"`
	UserID     string
	IP         string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
}

// CreateSession starts a session with the default lifetimes; see
// SessionPolicy.Create.
func CreateSession(ctx context.Context, db *gorm.DB, userID, ip, userAgent string, now time.Time) (string, error) {
	return DefaultSessionPolicy().Create(ctx, db, userID, ip, userAgent, now)
}

// Create starts a session for a user and returns the cookie value. A fresh
// value at every login is what defeats session fixation.
func (p SessionPolicy) Create(ctx context.Context, db *gorm.DB, userID, ip, userAgent string, now time.Time) (string, error) {
	p = p.orDefault()
	token := NewSecret(32)
	s := &Session{ID: HashSecret(token), UserID: userID, IP: ip, UserAgent: truncate(userAgent, 250),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(p.MaxAge)}
	if err := db.WithContext(ctx).Create(s).Error; err != nil {
		return "", fmt.Errorf("models: create session: %w", err)
	}
	return token, nil
}

// UserBySession is SessionPolicy.User with the default lifetimes.
func UserBySession(ctx context.Context, db *gorm.DB, token string, now time.Time) (*User, *Session, error) {
	return DefaultSessionPolicy().User(ctx, db, token, now)
}

// User returns the active user behind a cookie value and marks the session as
// used (at most once per SessionTouchInterval). Expired, idle, revoked and
// disabled all read as ErrNotFound.
func (p SessionPolicy) User(ctx context.Context, db *gorm.DB, token string, now time.Time) (*User, *Session, error) {
	if token == "" {
		return nil, nil, ErrNotFound
	}
	var s Session
	err := db.WithContext(ctx).First(&s, "id = ?", HashSecret(token)).Error
	if err != nil {
		return nil, nil, fmt.Errorf("models: session: %w", translate(err))
	}
	if !p.Live(&s, now) {
		return nil, nil, ErrNotFound
	}
	u, err := UserByID(ctx, db, s.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.DisabledAt != nil {
		return nil, nil, ErrNotFound
	}
	if now.Sub(s.LastSeenAt) >= SessionTouchInterval {
		db.WithContext(ctx).Model(&Session{}).Where("id = ?", s.ID).Update("last_seen_at", now)
		s.LastSeenAt = now
	}
	return u, &s, nil
}

// RevokeSession ends one session (logout).
func RevokeSession(ctx context.Context, db *gorm.DB, token string, now time.Time) error {
	err := db.WithContext(ctx).Model(&Session{}).Where("id = ? AND revoked_at IS NULL", HashSecret(token)).Update("revoked_at", now).Error
	if err != nil {
		return fmt.Errorf("models: revoke session: %w", err)
	}
	return nil
}

// RevokeSessionByID ends a session by its stored ID (from the sessions list).
func RevokeSessionByID(ctx context.Context, db *gorm.DB, userID, id string, now time.Time) error {
	res := db.WithContext(ctx).Model(&Session{}).Where("id = ? AND user_id = ? AND revoked_at IS NULL", id, userID).Update("revoked_at", now)
	if res.Error != nil {
		return fmt.Errorf("models: revoke session: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("models: revoke session: %w", ErrNotFound)
	}
	return nil
}

// RevokeUserSessions ends every session of a user (password change, disabling).
func RevokeUserSessions(ctx context.Context, db *gorm.DB, userID string, now time.Time) error {
	err := db.WithContext(ctx).Model(&Session{}).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", now).Error
	if err != nil {
		return fmt.Errorf("models: revoke user sessions: %w", err)
	}
	return nil
}

// RevokeOtherSessions ends every session of a user but keepID (the stored ID
// of the session making the request): "sign out everywhere else", and what a
// password or second-factor change does.
func RevokeOtherSessions(ctx context.Context, db *gorm.DB, userID, keepID string, now time.Time) error {
	err := db.WithContext(ctx).Model(&Session{}).Where("user_id = ? AND id <> ? AND revoked_at IS NULL", userID, keepID).Update("revoked_at", now).Error
	if err != nil {
		return fmt.Errorf("models: revoke other sessions: %w", err)
	}
	return nil
}

// ActiveSessions is SessionPolicy.Active with the default lifetimes.
func ActiveSessions(ctx context.Context, db *gorm.DB, userID string, now time.Time) ([]Session, error) {
	return DefaultSessionPolicy().Active(ctx, db, userID, now)
}

// Active lists a user's live sessions, newest first.
func (p SessionPolicy) Active(ctx context.Context, db *gorm.DB, userID string, now time.Time) ([]Session, error) {
	p = p.orDefault()
	var ss []Session
	err := db.WithContext(ctx).Where("user_id = ? AND revoked_at IS NULL AND expires_at > ? AND last_seen_at > ? AND created_at > ?",
		userID, now, now.Add(-p.Idle), now.Add(-p.MaxAge)).
		Order("created_at DESC").Find(&ss).Error
	if err != nil {
		return nil, fmt.Errorf("models: active sessions: %w", err)
	}
	return ss, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

var errTokenFormat = errors.New("malformed token")
