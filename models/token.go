package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// TokenPrefix starts every API token, so a leaked one is recognisable in logs and
// by secret scanners.
const TokenPrefix = "prs_"

// APIToken lets a script act as its user through the JSON API. Only the SHA-256 of
// the token is stored; the token itself is shown once, at creation.
type APIToken struct {
	ID         string `gorm:"primaryKey"`
	UserID     string
	Name       string
	TokenHash  string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// CreateAPIToken issues a token for a user and returns it with its secret.
func CreateAPIToken(ctx context.Context, db *gorm.DB, userID, name string) (*APIToken, string, error) {
	secret := TokenPrefix + NewSecret(24)
	t := &APIToken{ID: NewID(), UserID: userID, Name: strings.TrimSpace(name), TokenHash: HashSecret(secret), Prefix: secret[:len(TokenPrefix)+6]}
	if err := db.WithContext(ctx).Create(t).Error; err != nil {
		return nil, "", fmt.Errorf("models: create token: %w", translate(err))
	}
	return t, secret, nil
}

// UserByAPIToken returns the active user a bearer token acts as.
func UserByAPIToken(ctx context.Context, db *gorm.DB, secret string, now time.Time) (*User, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return nil, fmt.Errorf("models: token: %w", errTokenFormat)
	}
	var t APIToken
	if err := db.WithContext(ctx).First(&t, "token_hash = ?", HashSecret(secret)).Error; err != nil {
		return nil, fmt.Errorf("models: token: %w", translate(err))
	}
	if t.RevokedAt != nil {
		return nil, fmt.Errorf("models: token revoked: %w", ErrNotFound)
	}
	u, err := UserByID(ctx, db, t.UserID)
	if err != nil {
		return nil, err
	}
	if u.DisabledAt != nil {
		return nil, fmt.Errorf("models: token of disabled user: %w", ErrNotFound)
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		db.WithContext(ctx).Model(&APIToken{}).Where("id = ?", t.ID).Update("last_used_at", now)
	}
	return u, nil
}

// APITokensByUser lists a user's tokens, newest first.
func APITokensByUser(ctx context.Context, db *gorm.DB, userID string) ([]APIToken, error) {
	var ts []APIToken
	if err := db.WithContext(ctx).Where("user_id = ?", userID).Order("created_at DESC").Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("models: tokens: %w", err)
	}
	return ts, nil
}

// RevokeAPIToken revokes a token of a user.
func RevokeAPIToken(ctx context.Context, db *gorm.DB, userID, id string, now time.Time) error {
	res := db.WithContext(ctx).Model(&APIToken{}).Where("id = ? AND user_id = ? AND revoked_at IS NULL", id, userID).Update("revoked_at", now)
	if res.Error != nil {
		return fmt.Errorf("models: revoke token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("models: revoke token: %w", ErrNotFound)
	}
	return nil
}
