package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// BeforeCreate gives a new campaign its public slug, made from its name and
// unique, whichever code path creates it.
func (c *Campaign) BeforeCreate(tx *gorm.DB) error {
	if c.Slug != "" {
		return nil
	}
	s, err := uniqueSlug(tx.Statement.Context, tx.Session(&gorm.Session{NewDB: true}), "campaigns", c.Name)
	if err != nil {
		return fmt.Errorf("models: campaign slug: %w", err)
	}
	c.Slug = s
	return nil
}

// CampaignByID loads one campaign.
func CampaignByID(ctx context.Context, db *gorm.DB, id string) (*Campaign, error) {
	var c Campaign
	if err := db.WithContext(ctx).First(&c, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: campaign: %w", translate(err))
	}
	return &c, nil
}

// CampaignBySlug loads a campaign by its public slug.
func CampaignBySlug(ctx context.Context, db *gorm.DB, slug string) (*Campaign, error) {
	var c Campaign
	if err := db.WithContext(ctx).First(&c, "slug = ?", slug).Error; err != nil {
		return nil, fmt.Errorf("models: campaign: %w", translate(err))
	}
	return &c, nil
}

// CampaignRelease is a release or alert of a campaign, for staff.
type CampaignRelease struct {
	ID          string
	Kind        Kind
	Status      Status
	Headline    string
	IndexNumber *string
}

// CampaignPetition is a petition of a campaign with its numbers.
type CampaignPetition struct {
	Petition
	Counted int64 // the public count
	Tally   SignatureTally
}

// CampaignSend is a send of one of the campaign's releases.
type CampaignSend struct {
	ID         string
	DocumentID string
	Status     SendStatus
	Recipients int
	Delivered  int
	CreatedAt  time.Time
}

// CampaignParts is everything a campaign groups, for its admin page and API.
type CampaignParts struct {
	Releases  []CampaignRelease
	Petitions []CampaignPetition
	Sends     []CampaignSend
}

// PartsOfCampaign loads a campaign's releases, alerts, petitions and sends.
func PartsOfCampaign(ctx context.Context, db *gorm.DB, id string) (*CampaignParts, error) {
	out := &CampaignParts{}
	q := db.WithContext(ctx)
	if err := q.Table("documents").Select("documents.id, documents.kind, documents.status, documents.index_number, revisions.headline").
		Joins("JOIN revisions ON revisions.document_id = documents.id AND revisions.number = documents.current_revision").
		Where("documents.campaign_id = ?", id).Order("documents.created_at DESC").Scan(&out.Releases).Error; err != nil {
		return nil, fmt.Errorf("models: campaign parts: %w", err)
	}
	ps, err := Petitions(ctx, db, PetitionFilter{CampaignID: id, Limit: 500})
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		cp := CampaignPetition{Petition: p}
		c, err := PetitionCountOf(ctx, db, p.ID)
		if err != nil {
			return nil, err
		}
		cp.Counted = c.Confirmed
		if cp.Tally, err = SignatureTallyOf(ctx, db, p.ID); err != nil {
			return nil, err
		}
		out.Petitions = append(out.Petitions, cp)
	}
	if err := q.Table("sends").Select("sends.id, sends.document_id, sends.status, sends.recipients, sends.delivered, sends.created_at").
		Joins("JOIN documents ON documents.id = sends.document_id").Where("documents.campaign_id = ?", id).
		Order("sends.created_at DESC").Scan(&out.Sends).Error; err != nil {
		return nil, fmt.Errorf("models: campaign parts: %w", err)
	}
	return out, nil
}

// PublicCampaignPetitions lists a campaign's petitions the public may see at
// now (Petition.Public decides, release embargo included).
func PublicCampaignPetitions(ctx context.Context, db *gorm.DB, campaignID string, now time.Time) ([]Petition, error) {
	ps, err := Petitions(ctx, db, PetitionFilter{CampaignID: campaignID, Limit: 500})
	if err != nil {
		return nil, err
	}
	var out []Petition
	for _, p := range ps {
		rel, err := petitionRelease(ctx, db, &p)
		if err != nil {
			return nil, err
		}
		if p.Public(rel, now) {
			out = append(out, p)
		}
	}
	return out, nil
}
