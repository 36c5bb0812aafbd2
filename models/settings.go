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

// DefaultOrganisationName names an organisation that has not set its own name.
const DefaultOrganisationName = "Pressroom"

// Keys of site_settings.
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

type siteSetting struct {
	Key       string `gorm:"primaryKey"`
	Value     string
	UpdatedAt time.Time
}

func (siteSetting) TableName() string { return "site_settings" }

// SiteSettingsOf reads the organisation's settings, with defaults for those
// never set.
func SiteSettingsOf(ctx context.Context, db *gorm.DB) (*SiteSettings, error) {
	var rows []siteSetting
	if err := db.WithContext(ctx).Find(&rows).Error; err != nil {
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
// 120 characters, and a default list that exists (or none).
func SaveSiteSettings(ctx context.Context, db *gorm.DB, in SiteSettings, now time.Time) error {
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
	rows := []siteSetting{{Key: settingOrganisationName, Value: in.OrganisationName, UpdatedAt: now},
		{Key: settingDefaultSupporterID, Value: in.DefaultSupporterListID, UpdatedAt: now}}
	err := db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"})}).
		Create(&rows).Error
	if err != nil {
		return fmt.Errorf("models: save site settings: %w", err)
	}
	return nil
}
