package models

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// DemoLogin is one seeded account, printed by `pressroom dev`.
type DemoLogin struct {
	Email    string
	Password string
	Role     Role
	Groups   []string
}

// DemoPassword is the password of every demo account. The demo database lives on
// the developer's machine and the dev server listens on localhost only. Being
// published, it is on the common-passwords list: demo accounts are seeded past
// the password rules and need not change it, and no real account may use it.
const DemoPassword = "pressroom-demo"

// demoLogins is the demo organisation's staff: one per role, and an approver in
// each workflow group.
var demoLogins = []struct {
	email, name string
	role        Role
	groups      []string
}{
	{"admin@example.org", "Alex Admin", RoleAdmin, nil},
	{"press@example.org", "Priya Press", RolePressOfficer, nil},
	{"head.press@example.org", "Hana Head-of-Press", RoleApprover, []string{"Press desk"}},
	{"legal@example.org", "Luis Legal", RoleApprover, []string{"Legal"}},
	{"director@example.org", "Dana Director", RoleApprover, []string{"Director"}},
	{"campaigner@example.org", "Cam Campaigner", RoleCampaigner, nil},
	{"viewer@example.org", "Vic Viewer", RoleViewer, nil},
}

var demoGroups = []struct{ name, description string }{
	{"Press desk", "Head of press and senior press officers"},
	{"Legal", "Legal review of claims and named individuals"},
	{"Director", "Regional and programme directors"},
}

// SeedDemo creates the demo organisation once: groups and a user per role. It is
// safe to run on every start; existing rows are left alone.
func SeedDemo(ctx context.Context, db *gorm.DB) ([]DemoLogin, error) {
	for _, g := range demoGroups {
		if _, err := GroupByName(ctx, db, g.name); errors.Is(err, ErrNotFound) {
			if _, err := CreateGroup(ctx, db, g.name, g.description); err != nil {
				return nil, fmt.Errorf("models: seed group: %w", err)
			}
		} else if err != nil {
			return nil, err
		}
	}
	var out []DemoLogin
	for _, d := range demoLogins {
		if _, err := UserByEmail(ctx, db, d.email); errors.Is(err, ErrNotFound) {
			_, err := createUser(ctx, db, NewUserInput{Email: d.email, Name: d.name, Role: d.role, Password: DemoPassword, Groups: d.groups}, false)
			if err != nil {
				return nil, fmt.Errorf("models: seed user: %w", err)
			}
		} else if err != nil {
			return nil, err
		}
		out = append(out, DemoLogin{Email: d.email, Password: DemoPassword, Role: d.role, Groups: d.groups})
	}
	// Backups for escalation: the director backs up the press desk and legal.
	var director User
	if err := db.WithContext(ctx).First(&director, "email = ?", "director@example.org").Error; err == nil {
		for _, name := range []string{"Press desk", "Legal"} {
			g, err := GroupByName(ctx, db, name)
			if err != nil {
				return nil, err
			}
			if err := db.WithContext(ctx).Where(GroupMember{GroupID: g.ID, UserID: director.ID}).
				Attrs(GroupMember{Backup: true}).FirstOrCreate(&GroupMember{}).Error; err != nil {
				return nil, fmt.Errorf("models: seed backups: %w", err)
			}
		}
	}
	if err := seedPublishing(ctx, db); err != nil {
		return nil, err
	}
	return out, nil
}

// seedPublishing sets up the demo organisation's index series and default
// workflow, once.
func seedPublishing(ctx context.Context, db *gorm.DB) error {
	for _, s := range []SeriesInput{
		{Code: "PRE 01", Name: "Press releases", Format: "{code}/{serial:03}/{year}", Kind: string(KindPressRelease)},
		{Code: "UA", Name: "Urgent Actions", Format: "{code} {serial}/{yy}", Kind: string(KindActionAlert)},
		{Code: "MDE 24", Name: "Middle East: Syria", Format: "{code}/{serial:03}/{year}"},
	} {
		if _, err := SeriesByCode(ctx, db, s.Code); errors.Is(err, ErrNotFound) {
			if _, err := CreateSeries(ctx, db, s); err != nil {
				return fmt.Errorf("models: seed series: %w", err)
			}
		} else if err != nil {
			return err
		}
	}
	if _, err := WorkflowByName(ctx, db, "Standard sign-off"); errors.Is(err, ErrNotFound) {
		_, err := SaveWorkflow(ctx, db, WorkflowInput{Name: "Standard sign-off", IsDefault: true, Steps: []StepInput{
			{Group: "Press desk", ApprovalsNeeded: 1, SLAMinutes: 20},
			{Group: "Legal", ApprovalsNeeded: 1, SLAMinutes: 30},
		}})
		if err != nil {
			return fmt.Errorf("models: seed workflow: %w", err)
		}
	} else if err != nil {
		return err
	}
	if _, err := WorkflowByName(ctx, db, "Director sign-off"); errors.Is(err, ErrNotFound) {
		_, err := SaveWorkflow(ctx, db, WorkflowInput{Name: "Director sign-off", Steps: []StepInput{
			{Group: "Press desk", ApprovalsNeeded: 1, SLAMinutes: 20},
			{Group: "Legal", ApprovalsNeeded: 1, SLAMinutes: 30},
			{Group: "Director", ApprovalsNeeded: 1, SLAMinutes: 30},
		}})
		if err != nil {
			return fmt.Errorf("models: seed workflow: %w", err)
		}
	} else if err != nil {
		return err
	}
	if err := seedAudiences(ctx, db); err != nil {
		return err
	}
	var n int64
	if err := db.WithContext(ctx).Model(&Campaign{}).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		var admin User
		if err := db.WithContext(ctx).First(&admin, "role = ?", RoleAdmin).Error; err != nil {
			return fmt.Errorf("models: seed campaigns: %w", err)
		}
		for _, c := range [][2]string{{demoArmsCampaign, "Arms embargoes on governments committing grave violations"}, {demoJournalistsCampaign, "Release of journalists held for their work"}} {
			if _, err := CreateCampaign(ctx, db, &admin, c[0], c[1]); err != nil {
				return err
			}
		}
	}
	return nil
}

// demoJournalists and demoSupporters fill the demo organisation's first lists,
// imported the way a press officer would: from a spreadsheet export.
const demoJournalists = `email,name,outlet,role,beats,countries,languages,phone
amira.haddad@example.net,Amira Haddad,The Daily Ledger,Foreign editor,conflict;arms,Freedonia;Sylvania,en;ar,+44 20 7946 0001
jonas.berg@example.net,Jonas Berg,Nordic Wire,Correspondent,human rights,Freedonia,en;sv,+46 8 555 0102
lucia.mendes@example.net,Lúcia Mendes,Jornal da Tarde,Reporter,arms;trade,Freedonia,pt;en,+351 21 555 0103
tom.okafor@example.net,Tom Okafor,Continental Radio,Producer,conflict,Sylvania,en;fr,+234 1 555 0104
claire.dubois@example.net,Claire Dubois,Le Quotidien,Desk editor,justice,Freedonia,fr;en,+33 1 55 55 01 05
`

const demoSupporters = `email,name,country,language,tags,consent_source,consent_at
ana.silva@example.org,Ana Silva,PT,pt,arms;volunteer,website petition,2026-03-02T10:15:00Z
ben.carter@example.org,Ben Carter,GB,en,arms,street stall,2026-04-11T14:00:00Z
chloe.martin@example.org,Chloé Martin,FR,fr,journalists,website signup,2026-05-20T09:30:00Z
dev.patel@example.org,Dev Patel,GB,en,arms;donor,website petition,2026-06-01T18:45:00Z
eva.novak@example.org,Eva Novák,CZ,en,,newsletter,2026-06-15T08:00:00Z
farid.haddad@example.org,Farid Haddad,LB,ar,arms,website signup,
`

// seedAudiences imports a demo media list and a demo supporter list, once.
func seedAudiences(ctx context.Context, db *gorm.DB) error {
	var n int64
	if err := db.WithContext(ctx).Table("media_lists").Count(&n).Error; err != nil || n > 0 {
		return err
	}
	ml, err := CreateMediaList(ctx, db, "Foreign desks", "Editors and correspondents covering Freedonia and Sylvania")
	if err != nil {
		return fmt.Errorf("models: seed media list: %w", err)
	}
	t, err := ParseCSV([]byte(demoJournalists))
	if err != nil {
		return err
	}
	if _, err := ImportContacts(ctx, db, ml.ID, t, AutoMapping(AudienceMedia, t.Header)); err != nil {
		return fmt.Errorf("models: seed journalists: %w", err)
	}
	sl, err := CreateSupporterList(ctx, db, "Arms campaign supporters", "People who signed up to the arms-transfer campaign")
	if err != nil {
		return fmt.Errorf("models: seed supporter list: %w", err)
	}
	if t, err = ParseCSV([]byte(demoSupporters)); err != nil {
		return err
	}
	if _, err := ImportSupporters(ctx, db, sl.ID, t, AutoMapping(AudienceSupporters, t.Header), nil); err != nil {
		return fmt.Errorf("models: seed supporters: %w", err)
	}
	alerts, err := CreateSupporterList(ctx, db, "Alerts", "Everyone who signed up on the newsroom for our alerts")
	if err != nil {
		return fmt.Errorf("models: seed alerts list: %w", err)
	}
	return SaveSiteSettings(ctx, db, SiteSettings{OrganisationName: "Freedonia Rights Watch", DefaultSupporterListID: alerts.ID}, "", db.NowFunc())
}
