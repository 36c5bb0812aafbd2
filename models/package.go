package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// A rapid-response package turns an approved press release, even one still
// under embargo, into a campaign in one step: an action alert draft and a
// petition draft with the same demand, both linked to the release, in the
// release's campaign (or a new one named after it). Each still needs its own
// approval (the alert its sign-off, the petition its opening); once approved,
// both stay off every public surface until the release's embargo lifts and go
// public in the same sweep (the alert follows the release, the petition is
// set to open when the embargo lifts).

// PackageInput is what a campaigner asks the package for.
type PackageInput struct {
	Alert    bool
	Petition bool
	// Targets are ids from the targets directory: the alert's targets, and
	// the petition's target lines.
	Targets []string
	// Demand is the one-sentence ask both drafts share.
	Demand string
	// CallToAction is the alert's call to action; empty, the demand.
	CallToAction string
}

// Package is what LaunchPackage made. AlertID or PetitionID is "" when that
// part was not asked for.
type Package struct {
	CampaignID      string
	CampaignCreated bool
	AlertID         string
	PetitionID      string
}

// ErrNotPackageable refuses a package from a release that is not an approved
// press release.
var ErrNotPackageable = fmt.Errorf("%w: only an approved press release (scheduled under embargo, or published) can launch a campaign", ErrConflict)

// CanLaunchPackage reports whether u may launch a package: it creates an
// action alert, a petition and perhaps a campaign, so it takes the role that
// owns all three (campaigners and admins).
func CanLaunchPackage(u *User) bool {
	return CanManagePetitions(u) && CanEdit(u, KindActionAlert) && CanManageCampaigns(u)
}

// packageable reports whether the release may launch a package: a press
// release whose current text is approved.
func packageable(d *Document) bool {
	if d.Kind != KindPressRelease {
		return false
	}
	switch d.Status {
	case StatusApproved, StatusScheduled, StatusPublished:
		return true
	}
	return false
}

// LaunchPackage creates the package's drafts from the release, all in one
// transaction: either every part exists afterwards or none does.
func LaunchPackage(ctx context.Context, db *gorm.DB, u *User, releaseID string, in PackageInput, now time.Time) (*Package, error) {
	if !CanLaunchPackage(u) {
		return nil, fmt.Errorf("models: package: %w", ErrNotCampaigner)
	}
	var v ValidationError
	in.Demand = strings.TrimSpace(in.Demand)
	switch n := utf8.RuneCountInString(in.Demand); {
	case n == 0:
		v.Add("demand", "is required: say in one sentence what the officials must do")
	case n > 300:
		v.Add("demand", "is too long: keep it to one sentence (at most 300 characters)")
	case strings.ContainsAny(in.Demand, "\r\n"):
		v.Add("demand", "must be one sentence on one line")
	}
	in.CallToAction = strings.Join(strings.Fields(in.CallToAction), " ")
	if in.CallToAction == "" {
		in.CallToAction = in.Demand
	} else if n := utf8.RuneCountInString(in.CallToAction); n > MaxCallToAction {
		v.Add("call_to_action", fmt.Sprintf("is too long: keep it to one or two sentences (at most %d characters; it has %d)", MaxCallToAction, n))
	}
	if !in.Alert && !in.Petition {
		v.Add("parts", "choose the alert, the petition or both")
	}
	var targetIDs []string
	for _, id := range in.Targets {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(targetIDs, id) {
			targetIDs = append(targetIDs, id)
		}
	}
	if len(targetIDs) > MaxActionTargets {
		v.Add("targets", fmt.Sprintf("at most %d targets", MaxActionTargets))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	out := &Package{}
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		targets, err := TargetsByID(ctx, tx, targetIDs)
		if err != nil {
			return err
		}
		for _, id := range targetIDs {
			if !slices.ContainsFunc(targets, func(t Target) bool { return t.ID == id }) {
				return &ValidationError{Fields: map[string]string{"targets": fmt.Sprintf("%q is not a target in the directory", id)}}
			}
		}
		rel, err := lockDocument(tx, releaseID)
		if err != nil {
			return err
		}
		if !packageable(rel) {
			return ErrNotPackageable
		}
		// The approved text, not a correction still in review.
		rev, err := RevisionByNumber(ctx, tx, rel.ID, rel.ApprovedRevision)
		if err != nil {
			return err
		}
		headline := rev.Headline
		if rel.CampaignID != nil {
			out.CampaignID = *rel.CampaignID
		} else {
			cp, err := packageCampaign(ctx, tx, u, rel, headline)
			if err != nil {
				return err
			}
			out.CampaignID, out.CampaignCreated = cp.ID, true
			// The release joins the campaign: the campaign page shows all
			// three parts. Its text and approvals are untouched.
			if err := tx.Model(&Document{}).Where("id = ?", rel.ID).Updates(map[string]any{"campaign_id": cp.ID, "updated_at": now}).Error; err != nil {
				return err
			}
		}
		if in.Alert {
			id, err := packageAlert(ctx, tx, u, rel, rev, out.CampaignID, in.Demand, in.CallToAction, targetIDs, now)
			if err != nil {
				return err
			}
			out.AlertID = id
		}
		if in.Petition {
			lines := make([]string, len(targets))
			for i := range targets {
				lines[i] = targets[i].Describe()
			}
			target := strings.Join(lines, "\n")
			if target == "" {
				target = PackageTargetPlaceholder
			}
			title, demand, body, lang, cmp, relID, lift := headline, in.Demand, rev.Standfirst, rel.Language, out.CampaignID, rel.ID, true
			goal := 10000
			p, err := CreatePetition(ctx, tx, u, PetitionInput{Title: &title, Target: &target, Demand: &demand, Body: &body, Goal: &goal, Language: &lang,
				CampaignID: &cmp, ReleaseID: &relID, OpenOnEmbargoLift: &lift}, now)
			if err != nil {
				return err
			}
			out.PetitionID = p.ID
		}
		return Audit(ctx, tx, AuditEvent{At: now, ActorID: &u.ID, Action: "package_launched", SubjectType: "document", SubjectID: rel.ID,
			Details: fmt.Sprintf("campaign %s, alert %s, petition %s", out.CampaignID, out.AlertID, out.PetitionID)})
	})
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return nil, ve
		}
		return nil, fmt.Errorf("models: package: %w", translate(err))
	}
	return out, nil
}

// PackageTargetPlaceholder is the petition's target while the campaigner has
// named nobody yet; the package page lists it as still to do.
const PackageTargetPlaceholder = "The officials who can act (name them before opening)"

// packageCampaign makes the campaign named after the release; a name already
// taken gets the release's index number.
func packageCampaign(ctx context.Context, tx *gorm.DB, u *User, rel *Document, headline string) (*Campaign, error) {
	names := []string{headline}
	if rel.IndexNumber != nil {
		names = append(names, headline+" ("+*rel.IndexNumber+")")
	}
	names = append(names, headline+" ("+NewID()[:6]+")")
	for _, name := range names {
		var n int64
		if err := tx.WithContext(ctx).Model(&Campaign{}).Where("name = ?", name).Count(&n).Error; err != nil {
			return nil, err
		}
		if n == 0 {
			return CreateCampaign(ctx, tx, u, name, "Campaign launched from the press release "+deref(rel.IndexNumber)+".")
		}
	}
	return nil, &ValidationError{Fields: map[string]string{"campaign": "a campaign with this release's name exists already"}}
}

// packageAlert drafts the action alert: the release's headline, the demand
// as its standfirst and suggested letter, the call to action (the demand
// unless the campaigner wrote one), the targets, the release's standfirst as
// background; it follows the release's embargo.
func packageAlert(ctx context.Context, tx *gorm.DB, u *User, rel *Document, rev *Revision, campaignID, demand, callToAction string, targetIDs []string, now time.Time) (string, error) {
	body := "**" + escapeMarkdown(demand) + "**\n"
	if s := strings.TrimSpace(rev.Standfirst); s != "" {
		body += "\n" + s + "\n"
	}
	headline, standfirst, lang, cmp, tz := rev.Headline, demand, rel.Language, campaignID, rel.EmbargoTZ
	ids := slices.Clone(targetIDs)
	if ids == nil {
		ids = []string{}
	}
	d, err := CreateDocument(ctx, tx, u, DocumentInput{Kind: KindActionAlert, Language: &lang, CampaignID: &cmp, Headline: &headline,
		Standfirst: &standfirst, Body: &body, EmbargoTZ: &tz,
		Action: ActionInput{TargetIDs: &ids, LetterSubject: &headline, LetterBody: &demand, CallToAction: &callToAction}}, now)
	if err != nil {
		return "", err
	}
	if err := tx.Model(&Document{}).Where("id = ?", d.ID).Update("follows_release_id", rel.ID).Error; err != nil {
		return "", err
	}
	return d.ID, nil
}

// escapeMarkdown keeps a campaigner's one-liner from being read as Markdown
// syntax (a leading "#" or "-", emphasis).
func escapeMarkdown(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `[`, `\[`, `]`, `\]`, `<`, `&lt;`, `#`, `\#`)
	return r.Replace(s)
}

// PackagePart is one part of a package as its page shows it: what it is, its
// state, and what it still needs before it can go public.
type PackagePart struct {
	Kind   string // "release", "alert", "petition", "campaign"
	ID     string
	Title  string
	Status string
	// Needs lists what is still to do, in words ("approval", "targets", …).
	Needs []string
	// Public says whether it is on public surfaces now.
	Public bool
}

// PackageOf lists a release's package: the release, the alerts that follow
// it, the petitions linked to it and its campaign, with what each still needs.
func PackageOf(ctx context.Context, db *gorm.DB, releaseID string, now time.Time) (*Document, []PackagePart, error) {
	rel, err := DocumentByID(ctx, db, releaseID)
	if err != nil {
		return nil, nil, err
	}
	q := db.WithContext(ctx)
	parts := []PackagePart{{Kind: "release", ID: rel.ID, Title: rel.Revision.Headline, Status: string(rel.Status), Public: rel.Public(now), Needs: releaseNeeds(rel, now)}}
	var alerts []Document
	if err := q.Where("follows_release_id = ?", rel.ID).Order("created_at").Find(&alerts).Error; err != nil {
		return nil, nil, fmt.Errorf("models: package alerts: %w", err)
	}
	for i := range alerts {
		a := &alerts[i]
		rev, err := RevisionByNumber(ctx, db, a.ID, a.CurrentRevision)
		if err != nil {
			return nil, nil, err
		}
		var needs []string
		switch a.Status {
		case StatusDraft, StatusChangesRequested:
			needs = append(needs, "submitting for approval")
		case StatusInReview:
			needs = append(needs, "approval")
		}
		if c := rev.Content(); c.Action == nil || len(c.Action.TargetIDs) == 0 {
			needs = append(needs, "targets")
		}
		if a.Status == StatusScheduled && !rel.Public(now) {
			needs = append(needs, "the release's embargo to lift (it goes public with it)")
		}
		parts = append(parts, PackagePart{Kind: "alert", ID: a.ID, Title: rev.Headline, Status: string(a.Status), Public: a.Public(now), Needs: needs})
	}
	var pets []Petition
	if err := q.Where("release_id = ?", rel.ID).Order("created_at").Find(&pets).Error; err != nil {
		return nil, nil, fmt.Errorf("models: package petitions: %w", err)
	}
	for i := range pets {
		p := &pets[i]
		var needs []string
		if p.Target == PackageTargetPlaceholder {
			needs = append(needs, "targets")
		}
		if p.Status == PetitionDraft {
			needs = append(needs, "opening (its approval)")
		}
		if p.Status == PetitionOpen && !rel.Public(now) {
			needs = append(needs, "the release's embargo to lift (it opens with it)")
		}
		parts = append(parts, PackagePart{Kind: "petition", ID: p.ID, Title: p.Title, Status: string(p.Status), Public: p.Public(rel, now), Needs: needs})
	}
	return rel, parts, nil
}

func releaseNeeds(d *Document, now time.Time) []string {
	switch {
	case d.Status == StatusScheduled && d.EmbargoAt != nil && d.EmbargoAt.After(now):
		return []string{"its embargo to lift"}
	case d.Status == StatusApproved, d.Status == StatusScheduled:
		return []string{"publication"}
	case d.Status == StatusInReview || d.Status == StatusDraft || d.Status == StatusChangesRequested:
		return []string{"approval of its new text"}
	}
	return nil
}
