package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Session lifetimes: a session ends after SessionIdle without use or SessionMax
// after login, whichever comes first.
const (
	SessionIdle = 12 * time.Hour
	SessionMax  = 7 * 24 * time.Hour
)

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

// CreateSession starts a session for a user and returns the cookie value. A fresh
// value at every login is what defeats session fixation.
func CreateSession(ctx context.Context, db *gorm.DB, userID, ip, userAgent string, now time.Time) (string, error) {
	token := NewSecret(32)
	s := &Session{ID: HashSecret(token), UserID: userID, IP: ip, UserAgent: truncate(userAgent, 250),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(SessionMax)}
	if err := db.WithContext(ctx).Create(s).Error; err != nil {
		return "", fmt.Errorf("models: create session: %w", err)
	}
	return token, nil
}

// UserBySession returns the active user behind a cookie value and marks the
// session as used. Expired, idle, revoked and disabled all read as ErrNotFound.
func UserBySession(ctx context.Context, db *gorm.DB, token string, now time.Time) (*User, *Session, error) {
	if token == "" {
		return nil, nil, ErrNotFound
	}
	var s Session
	err := db.WithContext(ctx).First(&s, "id = ?", HashSecret(token)).Error
	if err != nil {
		return nil, nil, fmt.Errorf("models: session: %w", translate(err))
	}
	if s.RevokedAt != nil || !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) > SessionIdle {
		return nil, nil, ErrNotFound
	}
	u, err := UserByID(ctx, db, s.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.DisabledAt != nil {
		return nil, nil, ErrNotFound
	}
	// Touch at most once a minute: one write per page view would serialise SQLite.
	if now.Sub(s.LastSeenAt) > time.Minute {
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

// ActiveSessions lists a user's live sessions, newest first.
func ActiveSessions(ctx context.Context, db *gorm.DB, userID string, now time.Time) ([]Session, error) {
	var ss []Session
	err := db.WithContext(ctx).Where("user_id = ? AND revoked_at IS NULL AND expires_at > ? AND last_seen_at > ?", userID, now, now.Add(-SessionIdle)).
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
