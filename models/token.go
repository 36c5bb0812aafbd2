package models

import (
	"context"
	"fmt"
	"slices"
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
	ID        string `gorm:"primaryKey"`
	UserID    string
	Name      string
	TokenHash string
	Prefix    string
	// Scopes is what the token may do, as ParseScopes writes it: "read" or
	// "write", then any areas it is limited to ("write releases sends").
	Scopes     string
	ExpiresAt  *time.Time
	CreatedAt  time.Time
	LastUsedAt *time.Time
	LastUsedIP string
	RevokedAt  *time.Time
}

// Token areas: the parts of the API a token can be limited to. A token
// without areas reaches every area its level allows.
const (
	AreaReleases  = "releases"
	AreaAudiences = "audiences"
	AreaSends     = "sends"
	AreaPetitions = "petitions"
	AreaActions   = "actions"
)

// TokenAreas lists every area, in the order forms show them.
var TokenAreas = []string{AreaReleases, AreaAudiences, AreaSends, AreaPetitions, AreaActions}

// Token levels: read tokens may only read (GET); write tokens read and change.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// ParseScopes reads scopes written by people (--scope read,releases or
// "write sends"): at most one level, read or write (default write), and any
// areas. It returns them in canonical form, level first, areas in
// TokenAreas order, or a ValidationError naming what it did not understand.
func ParseScopes(s string) (string, error) {
	level := ""
	var areas []string
	for _, f := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ',' || r == ' ' || r == '+' }) {
		switch {
		case f == ScopeRead || f == ScopeWrite:
			if level != "" && level != f {
				return "", &ValidationError{Fields: map[string]string{"scope": "is either read or write, not both"}}
			}
			level = f
		case slices.Contains(TokenAreas, f):
			if !slices.Contains(areas, f) {
				areas = append(areas, f)
			}
		default:
			return "", &ValidationError{Fields: map[string]string{"scope": fmt.Sprintf("%q is not a scope: use read or write, and optionally any of %s", f, strings.Join(TokenAreas, ", "))}}
		}
	}
	if level == "" {
		level = ScopeWrite
	}
	out := []string{level}
	for _, a := range TokenAreas {
		if slices.Contains(areas, a) {
			out = append(out, a)
		}
	}
	return strings.Join(out, " "), nil
}

// CanWrite reports whether the token may change anything.
func (t *APIToken) CanWrite() bool { return strings.HasPrefix(t.scopes(), ScopeWrite) }

// Areas lists the areas the token is limited to; none means every area.
func (t *APIToken) Areas() []string { return strings.Fields(t.scopes())[1:] }

func (t *APIToken) scopes() string {
	if t.Scopes == "" {
		return ScopeWrite
	}
	return t.Scopes
}

// Allows reports whether the token may make a request to an area ("" for
// endpoints in no area, such as /me) that reads or, with write, changes. A
// token limited to areas reaches nothing outside them.
func (t *APIToken) Allows(area string, write bool) bool {
	if write && !t.CanWrite() {
		return false
	}
	if areas := t.Areas(); len(areas) > 0 && area != "" {
		return slices.Contains(areas, area)
	}
	return true
}

// Expired reports whether the token's expiry has passed at now.
func (t *APIToken) Expired(now time.Time) bool {
	return t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)
}

// NewTokenInput is what it takes to issue a token.
type NewTokenInput struct {
	UserID string
	Name   string
	Scopes string        // as people write them (ParseScopes); empty is write
	TTL    time.Duration // 0: no expiry
	Now    time.Time
}

// CreateAPIToken issues a write token without expiry for a user and returns it
// with its secret.
func CreateAPIToken(ctx context.Context, db *gorm.DB, userID, name string) (*APIToken, string, error) {
	return IssueAPIToken(ctx, db, NewTokenInput{UserID: userID, Name: name, Now: db.NowFunc()})
}

// IssueAPIToken validates and issues a token and returns it with its secret,
// which exists nowhere else: only its hash is stored.
func IssueAPIToken(ctx context.Context, db *gorm.DB, in NewTokenInput) (*APIToken, string, error) {
	scopes, err := ParseScopes(in.Scopes)
	if err != nil {
		return nil, "", err
	}
	if in.TTL < 0 {
		return nil, "", &ValidationError{Fields: map[string]string{"expires": "must be in the future"}}
	}
	if in.Now.IsZero() {
		in.Now = db.NowFunc()
	}
	secret := TokenPrefix + NewSecret(24)
	t := &APIToken{ID: NewID(), UserID: in.UserID, Name: truncate(strings.TrimSpace(in.Name), 200), TokenHash: HashSecret(secret),
		Prefix: secret[:len(TokenPrefix)+6], Scopes: scopes, CreatedAt: in.Now}
	if in.TTL > 0 {
		exp := in.Now.Add(in.TTL)
		t.ExpiresAt = &exp
	}
	if err := db.WithContext(ctx).Create(t).Error; err != nil {
		return nil, "", fmt.Errorf("models: create token: %w", translate(err))
	}
	return t, secret, nil
}

// UserByAPIToken returns the active user a bearer token acts as.
func UserByAPIToken(ctx context.Context, db *gorm.DB, secret string, now time.Time) (*User, error) {
	u, _, err := AuthenticateAPIToken(ctx, db, secret, "", now)
	return u, err
}

// AuthenticateAPIToken returns the active user a bearer token acts as and the
// token (for its scopes), and records where it was used from (at most once a
// minute per token). Unknown, revoked, expired and a disabled user's tokens
// all fail with ErrNotFound.
func AuthenticateAPIToken(ctx context.Context, db *gorm.DB, secret, ip string, now time.Time) (*User, *APIToken, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return nil, nil, fmt.Errorf("models: token: %w", errTokenFormat)
	}
	var t APIToken
	if err := db.WithContext(ctx).First(&t, "token_hash = ?", HashSecret(secret)).Error; err != nil {
		return nil, nil, fmt.Errorf("models: token: %w", translate(err))
	}
	if t.RevokedAt != nil {
		return nil, nil, fmt.Errorf("models: token revoked: %w", ErrNotFound)
	}
	if t.Expired(now) {
		return nil, nil, fmt.Errorf("models: token expired: %w", ErrNotFound)
	}
	u, err := UserByID(ctx, db, t.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.DisabledAt != nil {
		return nil, nil, fmt.Errorf("models: token of disabled user: %w", ErrNotFound)
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute || (ip != "" && ip != t.LastUsedIP) {
		updates := map[string]any{"last_used_at": now}
		if ip != "" {
			updates["last_used_ip"] = ip
		}
		db.WithContext(ctx).Model(&APIToken{}).Where("id = ?", t.ID).Updates(updates)
	}
	return u, &t, nil
}

// APITokensByUser lists a user's tokens, newest first.
func APITokensByUser(ctx context.Context, db *gorm.DB, userID string) ([]APIToken, error) {
	var ts []APIToken
	if err := db.WithContext(ctx).Where("user_id = ?", userID).Order("created_at DESC").Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("models: tokens: %w", err)
	}
	return ts, nil
}

// AllAPITokens lists every user's tokens, newest first, for admins.
func AllAPITokens(ctx context.Context, db *gorm.DB) ([]APIToken, error) {
	var ts []APIToken
	if err := db.WithContext(ctx).Order("created_at DESC").Find(&ts).Error; err != nil {
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
