package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The demo organisation's campaigns: seedPublishing makes them, the demo
// content goes in them.
const (
	demoArmsCampaign        = "Stop arms transfers"
	demoJournalistsCampaign = "Free the detained journalists"
)

// demoRelease is one release of the demo newsroom, its campaign and how far
// it has come.
type demoRelease struct {
	headline, standfirst, body string
	campaign                   string
	stage                      demoStage
}

type demoStage int

const (
	demoPublished demoStage = iota // signed off by both steps, public now
	demoEmbargoed                  // signed off, public when its embargo lifts tomorrow
	demoInReview                   // waiting for the press desk
)

// What a journalist looks for under every demo release.
var (
	demoNotesToEditors = "1. Spokespeople are available for interview in English, Arabic and French.\n2. The full report is available on request."
	demoPressContacts  = []PressContact{{Name: "Priya Press", Role: "Press officer", Phone: "+44 20 7946 0000", Email: "press@example.org"}}
)

var demoReleases = []demoRelease{
	{"Arms transfers to Syria must stop, say 40 organisations",
		"A coalition of human-rights groups calls on the government to suspend every export licence to the Syrian armed forces.",
		"Forty organisations today asked the government to **suspend all arms export licences** to the Syrian armed forces.\n\n" +
			"## What we found\n\nResearchers documented weapons supplied since 2024 in attacks on hospitals and schools.\n\n" +
			"> \"Every licence is a choice. The government can choose to stop.\" — Director of research", demoArmsCampaign, demoPublished},
	{"Freedonia: release the detained journalists",
		"Three journalists held without charge for 60 days must be released.",
		"The authorities have held **three journalists** without charge since October. Their families have not been allowed to visit.",
		demoJournalistsCampaign, demoPublished},
	{"New evidence of unlawful strikes on civilians",
		"A report published under embargo documents 14 strikes on residential areas.",
		"Our report documents **14 strikes** on residential areas between January and June.", demoArmsCampaign, demoEmbargoed},
	{"Government must publish its arms export data",
		"The annual figures are six months late.",
		"The government has not published its arms export figures for this year. We call on it to do so **without delay**.", demoArmsCampaign, demoInReview},
}

// SeedDemoContent gives a new demo organisation something to look at: in
// its campaigns, two published releases, one signed off under embargo until
// tomorrow, one waiting for the press desk and an open petition, and an
// Urgent Action that writes to a named official. Each goes through the same
// drafting, sign-off and publishing rules as staff's work. It runs once, on a
// new database: one that holds any document, petition or target already is
// left alone (what it would add could clash with what someone made). Call it
// after SeedDemo, whose staff, series, workflows and campaigns it uses (a
// campaign renamed since is left out). It is one transaction (each step's
// own is a savepoint in it): a start that fails half-way leaves nothing, and
// the next start seeds it whole.
func SeedDemoContent(ctx context.Context, db *gorm.DB, now time.Time) error {
	return Transaction(ctx, db, func(tx *gorm.DB) error { return seedDemoContent(ctx, tx, now) })
}

func seedDemoContent(ctx context.Context, db *gorm.DB, now time.Time) error {
	for _, model := range []any{&Document{}, &Petition{}, &Target{}} {
		var n int64
		if err := db.WithContext(ctx).Model(model).Count(&n).Error; err != nil {
			return fmt.Errorf("models: seed demo content: %w", err)
		}
		if n > 0 {
			return nil
		}
	}
	users := map[string]*User{}
	for _, email := range []string{"press@example.org", "head.press@example.org", "legal@example.org", "campaigner@example.org"} {
		u, err := UserByEmail(ctx, db, email)
		if err != nil {
			return fmt.Errorf("models: seed demo content: %s: %w", email, err)
		}
		users[email] = u
	}
	press, desk, legal, campaigner := users["press@example.org"], users["head.press@example.org"], users["legal@example.org"], users["campaigner@example.org"]
	campaigns := map[string]*string{}
	for _, name := range []string{demoArmsCampaign, demoJournalistsCampaign} {
		var ids []string
		if err := db.WithContext(ctx).Model(&Campaign{}).Where("name = ?", name).Limit(1).Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("models: seed demo content: %w", err)
		}
		if len(ids) == 1 {
			campaigns[name] = &ids[0]
		}
	}
	// Published releases a little apart, the older first, so the newsroom
	// lists the latest on top.
	at := now.Add(-2 * time.Hour)
	var lead *Document
	for _, r := range demoReleases {
		var embargo *time.Time
		if r.stage == demoEmbargoed {
			e := now.UTC().Truncate(time.Hour).Add(24 * time.Hour)
			embargo = &e
		}
		d, err := CreateDocument(ctx, db, press, DocumentInput{Kind: KindPressRelease, CampaignID: campaigns[r.campaign], Headline: &r.headline,
			Standfirst: &r.standfirst, Body: &r.body, Dateline: ptr("LONDON, " + at.Format("2 January 2006")), EmbargoAt: &embargo,
			EmbargoTZ: ptr("Europe/London"), NotesToEditors: ptr(demoNotesToEditors), PressContacts: &demoPressContacts}, at)
		if err != nil {
			return fmt.Errorf("models: seed demo release: %w", err)
		}
		if _, err := SubmitDocument(ctx, db, press, d.ID, false, at); err != nil {
			return fmt.Errorf("models: seed demo release: %w", err)
		}
		if r.stage != demoInReview {
			if _, err := ApproveDocument(ctx, db, desk, d.ID, "", at); err != nil {
				return fmt.Errorf("models: seed demo release: %w", err)
			}
			if _, err := ApproveDocument(ctx, db, legal, d.ID, "", at, PublishNowIfEmbargoPassed); err != nil {
				return fmt.Errorf("models: seed demo release: %w", err)
			}
		}
		if lead == nil {
			lead = d
		}
		at = at.Add(30 * time.Minute)
	}
	closes := now.UTC().Truncate(24*time.Hour).AddDate(0, 3, 0)
	p, err := CreatePetition(ctx, db, campaigner, PetitionInput{Title: ptr("Stop arming attacks on Syrian civilians"),
		Target: ptr("The Secretary of State for Business and Trade"),
		Demand: ptr("Suspend every arms export licence to the Syrian armed forces now."),
		Body: ptr("Weapons licensed for export have been found at the sites of attacks on hospitals and schools.\n\n" +
			"The government can stop this with one decision. **Add your name** and we will hand the petition in at the end of the campaign."),
		Goal: ptr(10000), CampaignID: campaigns[demoArmsCampaign], ReleaseID: &lead.ID, ClosesAt: ptr(&closes)}, now)
	if err != nil {
		return fmt.Errorf("models: seed demo petition: %w", err)
	}
	if _, err := OpenPetition(ctx, db, campaigner, p.ID, now); err != nil {
		return fmt.Errorf("models: seed demo petition: %w", err)
	}
	return seedDemoAction(ctx, db, campaigner, desk, legal, now)
}

// seedDemoAction publishes an Urgent Action, a case of its own outside the
// campaigns, whose readers write to a named official (letters go to the outbox
// in dev, like every email).
func seedDemoAction(ctx context.Context, db *gorm.DB, campaigner, desk, legal *User, now time.Time) error {
	minister, err := CreateTarget(ctx, db, campaigner, TargetInput{Name: ptr("Omar Marwan"), Title: ptr("Minister of Justice"),
		Organisation: ptr("Ministry of Justice"), Country: ptr("EG"), Email: ptr("justice.minister@example.org"), Salutation: ptr("Dear Minister"),
		PostalAddress: ptr("Ministry of Justice\nLazoghly Square\nCairo\nEgypt")}, now)
	if err != nil {
		return fmt.Errorf("models: seed demo target: %w", err)
	}
	deadline := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 14)
	d, err := CreateDocument(ctx, db, campaigner, DocumentInput{Kind: KindActionAlert,
		Headline:   ptr("Egypt: free human rights lawyer Sara Ahmed"),
		Standfirst: ptr("Sara Ahmed was arrested for defending people detained at protests. Write to the Minister of Justice."),
		Body: ptr("Sara Ahmed, a human rights lawyer, was **arrested at her office** and has been held without charge since.\n\n" +
			"She has not been allowed to see her family or a lawyer of her choice."),
		Dateline: ptr("CAIRO, " + now.Format("2 January 2006")),
		Action: ActionInput{TargetIDs: &[]string{minister.ID}, AppealDeadline: ptr(&deadline), AppealTimezone: ptr("Africa/Cairo"),
			LetterSubject: ptr("Release Sara Ahmed"),
			LetterBody:    ptr("I urge you to release Sara Ahmed immediately and unconditionally, and to allow her to see her family and a lawyer of her choice."),
			CallToAction:  ptr("Write to the Minister of Justice before the deadline.")}}, now)
	if err != nil {
		return fmt.Errorf("models: seed demo action: %w", err)
	}
	if _, err := SubmitDocument(ctx, db, campaigner, d.ID, false, now); err != nil {
		return fmt.Errorf("models: seed demo action: %w", err)
	}
	if _, err := ApproveDocument(ctx, db, desk, d.ID, "", now); err != nil {
		return fmt.Errorf("models: seed demo action: %w", err)
	}
	if _, err := ApproveDocument(ctx, db, legal, d.ID, "", now, PublishNowIfEmbargoPassed); err != nil {
		return fmt.Errorf("models: seed demo action: %w", err)
	}
	return nil
}
