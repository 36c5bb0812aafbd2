package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Setting is one organisation-wide setting an admin changes on the Settings
// page: who must use two-factor sign-in, the organisation's name, its default
// supporter list. Unset keys read as their documented default.
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

// DefaultOrganisationName names an organisation that has not set its own name.
const DefaultOrganisationName = "Pressroom"

// Keys of the organisation's own settings in the settings table.
const (
	settingOrganisationName   = "organisation_name"
	settingDefaultSupporterID = "default_supporter_list_id"
)

// SiteSettings are the organisation's own settings.
type SiteSettings struct {
	// OrganisationName is the newsroom's masthead and the name in its titles.
	OrganisationName string
	// DefaultSupporterListID is the list that a signup naming no list joins
	// (the newsroom's "Get our alerts"); empty when none is set.
	DefaultSupporterListID string
}

// SiteSettingsOf reads the organisation's settings, with defaults for those
// never set.
func SiteSettingsOf(ctx context.Context, db *gorm.DB) (*SiteSettings, error) {
	var rows []Setting
	if err := db.WithContext(ctx).Where("key IN ?", []string{settingOrganisationName, settingDefaultSupporterID}).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: site settings: %w", err)
	}
	s := &SiteSettings{OrganisationName: DefaultOrganisationName}
	for _, r := range rows {
		switch r.Key {
		case settingOrganisationName:
			if r.Value != "" {
				s.OrganisationName = r.Value
			}
		case settingDefaultSupporterID:
			s.DefaultSupporterListID = r.Value
		}
	}
	return s, nil
}

// SaveSiteSettings stores the settings after checking them: a name of at most
// 120 characters, and a default list that exists (or none). actorID is who
// changed them, empty for the demo data.
func SaveSiteSettings(ctx context.Context, db *gorm.DB, in SiteSettings, actorID string, now time.Time) error {
	var v ValidationError
	in.OrganisationName = strings.Join(strings.Fields(in.OrganisationName), " ")
	if in.OrganisationName == "" {
		v.Add("organisation_name", "Enter the organisation's name, as the newsroom should show it.")
	} else if len([]rune(in.OrganisationName)) > 120 {
		v.Add("organisation_name", "Shorten the organisation's name to 120 characters or fewer.")
	}
	if in.DefaultSupporterListID != "" {
		if _, err := SupporterListByID(ctx, db, in.DefaultSupporterListID); errors.Is(err, ErrNotFound) {
			v.Add("default_supporter_list_id", "Choose one of the supporter lists.")
		} else if err != nil {
			return err
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	var by *string
	if actorID != "" {
		by = &actorID
	}
	rows := []Setting{{Key: settingOrganisationName, Value: in.OrganisationName, UpdatedAt: now, UpdatedBy: by},
		{Key: settingDefaultSupporterID, Value: in.DefaultSupporterListID, UpdatedAt: now, UpdatedBy: by}}
	err := db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at", "updated_by"})}).
		Create(&rows).Error
	if err != nil {
		return fmt.Errorf("models: save site settings: %w", err)
	}
	return nil
}
