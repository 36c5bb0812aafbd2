package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
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
	settingAccentColour       = "accent_colour"
	settingIntroduction       = "newsroom_introduction"
	settingPressOffice        = "press_office_contact"
	settingLogoID             = "logo_media_id"
	settingSocialImageID      = "social_image_media_id"
)

// siteKeys are every key SiteSettings reads and writes.
var siteKeys = []string{settingOrganisationName, settingDefaultSupporterID, settingAccentColour, settingIntroduction,
	settingPressOffice, settingLogoID, settingSocialImageID}

// SiteSettings are the organisation's own settings.
type SiteSettings struct {
	// OrganisationName is the newsroom's masthead and the name in its titles.
	OrganisationName string
	// DefaultSupporterListID is the list that a signup naming no list joins
	// (the newsroom's "Get our alerts"); empty when none is set.
	DefaultSupporterListID string
	// AccentColour is the newsroom's accent (#rrggbb; "" for the default),
	// used for links and buttons; see AccentWarning.
	AccentColour string
	// Introduction is the newsroom's opening paragraph on /news.
	Introduction string
	// PressOffice is the press office's contact block, shown on every
	// release page.
	PressOffice string
	// LogoID and SocialImageID are media library images: the masthead's logo
	// and the og:image of pages that have no photo of their own. Both are
	// public once chosen (see PublicMediumByHash).
	LogoID, SocialImageID string
}

// SiteSettingsOf reads the organisation's settings, with defaults for those
// never set.
func SiteSettingsOf(ctx context.Context, db *gorm.DB) (*SiteSettings, error) {
	var rows []Setting
	if err := db.WithContext(ctx).Where("key IN ?", siteKeys).Find(&rows).Error; err != nil {
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
		case settingAccentColour:
			s.AccentColour = r.Value
		case settingIntroduction:
			s.Introduction = r.Value
		case settingPressOffice:
			s.PressOffice = r.Value
		case settingLogoID:
			s.LogoID = r.Value
		case settingSocialImageID:
			s.SocialImageID = r.Value
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
	in.AccentColour = strings.ToLower(strings.TrimSpace(in.AccentColour))
	if in.AccentColour != "" && !accentPattern.MatchString(in.AccentColour) {
		v.Add("accent_colour", "Give the accent colour as # and six hex digits, such as #0b57d0.")
	}
	in.Introduction, in.PressOffice = strings.TrimSpace(in.Introduction), strings.TrimSpace(in.PressOffice)
	if len([]rune(in.Introduction)) > 2000 {
		v.Add("newsroom_introduction", "Shorten the introduction to 2,000 characters or fewer.")
	}
	if len([]rune(in.PressOffice)) > 1000 {
		v.Add("press_office_contact", "Shorten the press office's contact block to 1,000 characters or fewer.")
	}
	for field, id := range map[string]*string{"logo_media_id": &in.LogoID, "social_image_media_id": &in.SocialImageID} {
		*id = strings.TrimSpace(*id)
		if *id == "" {
			continue
		}
		m, err := MediumByID(ctx, db, *id)
		switch {
		case errors.Is(err, ErrNotFound):
			v.Add(field, "Give the ID of an image in the media library.")
		case err != nil:
			return err
		case !m.IsImage():
			v.Add(field, "That item is a document; choose an image.")
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
		{Key: settingDefaultSupporterID, Value: in.DefaultSupporterListID, UpdatedAt: now, UpdatedBy: by},
		{Key: settingAccentColour, Value: in.AccentColour, UpdatedAt: now, UpdatedBy: by},
		{Key: settingIntroduction, Value: in.Introduction, UpdatedAt: now, UpdatedBy: by},
		{Key: settingPressOffice, Value: in.PressOffice, UpdatedAt: now, UpdatedBy: by},
		{Key: settingLogoID, Value: in.LogoID, UpdatedAt: now, UpdatedBy: by},
		{Key: settingSocialImageID, Value: in.SocialImageID, UpdatedAt: now, UpdatedBy: by}}
	err := db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at", "updated_by"})}).
		Create(&rows).Error
	if err != nil {
		return fmt.Errorf("models: save site settings: %w", err)
	}
	return nil
}

var accentPattern = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// ContrastRatio is the WCAG 2 contrast ratio of two #rrggbb colours (1 to 21).
func ContrastRatio(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	hex = strings.TrimPrefix(hex, "#")
	if len(hex) != 6 {
		return 1
	}
	var c [3]float64
	for i := range c {
		v, _ := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		x := float64(v) / 255
		if x <= 0.03928 {
			c[i] = x / 12.92
		} else {
			c[i] = math.Pow((x+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

// AccentWarning says why an accent colour fails WCAG AA for normal text
// (4.5:1) as the newsroom uses it: white text on accent buttons and accent
// links on the white page. "" when it passes (or no accent is set). It is a
// warning, not a refusal: the organisation's brand colour is its call.
func AccentWarning(accent string) string {
	if accent == "" {
		return ""
	}
	r := ContrastRatio(accent, "#ffffff")
	if r >= 4.5 {
		return ""
	}
	return fmt.Sprintf("The accent colour %s has a contrast of only %.1f:1 with white; WCAG AA asks for 4.5:1, so links and button labels in it will be hard for many people to read. Choose a darker shade.", accent, r)
}
