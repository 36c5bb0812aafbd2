package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// LoginChallengeTTL is how long the code step waits after a right password.
const LoginChallengeTTL = 10 * time.Minute

// LoginChallenge is a sign-in halfway: the password was right, the second
// factor is still to come. It is deliberately not a Session: nothing that
// reads sessions can mistake it for one, so a half-signed-in browser reaches
// no admin page and no API.
type LoginChallenge struct {
	ID        string `gorm:"primaryKey"` // SHA-256 of the cookie value
	UserID    string
	NextPath  string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// CreateLoginChallenge records a right password and returns the cookie value
// that carries the browser to the code step.
func CreateLoginChallenge(ctx context.Context, db *gorm.DB, userID, next string, now time.Time) (string, error) {
	token := NewSecret(32)
	c := &LoginChallenge{ID: HashSecret(token), UserID: userID, NextPath: truncate(next, 500), CreatedAt: now, ExpiresAt: now.Add(LoginChallengeTTL)}
	if err := db.WithContext(ctx).Create(c).Error; err != nil {
		return "", fmt.Errorf("models: login challenge: %w", err)
	}
	return token, nil
}

// LoginChallengeUser returns the active user of a live challenge.
func LoginChallengeUser(ctx context.Context, db *gorm.DB, token string, now time.Time) (*User, *LoginChallenge, error) {
	if token == "" {
		return nil, nil, ErrNotFound
	}
	var c LoginChallenge
	if err := db.WithContext(ctx).First(&c, "id = ?", HashSecret(token)).Error; err != nil {
		return nil, nil, fmt.Errorf("models: login challenge: %w", translate(err))
	}
	if c.UsedAt != nil || !now.Before(c.ExpiresAt) {
		return nil, nil, ErrNotFound
	}
	u, err := UserByID(ctx, db, c.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.DisabledAt != nil {
		return nil, nil, ErrNotFound
	}
	return u, &c, nil
}

// FinishLoginChallenge spends a challenge once its code was right; a second
// request with the same cookie gets ErrNotFound.
func FinishLoginChallenge(ctx context.Context, db *gorm.DB, id string, now time.Time) error {
	res := db.WithContext(ctx).Model(&LoginChallenge{}).Where("id = ? AND used_at IS NULL", id).Update("used_at", now)
	if res.Error != nil {
		return fmt.Errorf("models: finish login challenge: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("models: finish login challenge: %w", ErrNotFound)
	}
	return nil
}
