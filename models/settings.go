package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Setting is one organisation-wide setting an admin changes on the Settings
// page. Unset keys read as their documented default.
type Setting struct {
	Key       string `gorm:"primaryKey"`
	Value     string
	UpdatedAt time.Time
	UpdatedBy *string
}

// SettingTwoFactorRequired is who must have a second factor: one of the
// TwoFactor* requirement values. The default is TwoFactorOptional, so the
// demo and a fresh install work without one.
const SettingTwoFactorRequired = "two_factor_required"

// Two-factor requirements.
const (
	TwoFactorOptional   = "off"
	TwoFactorPrivileged = "privileged" // admins and approvers
	TwoFactorEveryone   = "everyone"
)

// TwoFactorRequirementLabels are the requirements as the Settings page words them.
var TwoFactorRequirementLabels = []struct{ Value, Label string }{
	{TwoFactorOptional, "Optional: each person decides"},
	{TwoFactorPrivileged, "Required for admins and approvers"},
	{TwoFactorEveryone, "Required for everyone"},
}

// TwoFactorRequirement is the current requirement.
func TwoFactorRequirement(ctx context.Context, db *gorm.DB) (string, error) {
	var s Setting
	err := db.WithContext(ctx).First(&s, "key = ?", SettingTwoFactorRequired).Error
	if errors.Is(translate(err), ErrNotFound) {
		return TwoFactorOptional, nil
	}
	if err != nil {
		return "", fmt.Errorf("models: setting: %w", err)
	}
	return s.Value, nil
}

// SetTwoFactorRequirement changes who must have a second factor; those who
// now must and have none enrol at their next page view.
func SetTwoFactorRequirement(ctx context.Context, db *gorm.DB, value, actorID string, now time.Time) error {
	switch value {
	case TwoFactorOptional, TwoFactorPrivileged, TwoFactorEveryone:
	default:
		return &ValidationError{Fields: map[string]string{"two_factor_required": "choose one of the options"}}
	}
	s := Setting{Key: SettingTwoFactorRequired, Value: value, UpdatedAt: now, UpdatedBy: &actorID}
	err := db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at", "updated_by"})}).Create(&s).Error
	if err != nil {
		return fmt.Errorf("models: set setting: %w", err)
	}
	return nil
}

// TwoFactorRequiredFor reports whether a requirement covers a role.
func TwoFactorRequiredFor(requirement string, r Role) bool {
	switch requirement {
	case TwoFactorEveryone:
		return true
	case TwoFactorPrivileged:
		return r == RoleAdmin || r == RoleApprover
	}
	return false
}
