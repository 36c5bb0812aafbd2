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
// the developer's machine and the dev server listens on localhost only.
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
			_, err := CreateUser(ctx, db, NewUserInput{Email: d.email, Name: d.name, Role: d.role, Password: DemoPassword, Groups: d.groups})
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
	var n int64
	if err := db.WithContext(ctx).Model(&Campaign{}).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		for _, c := range [][2]string{{"Stop arms transfers", "Arms embargoes on governments committing grave violations"}, {"Free the detained journalists", "Release of journalists held for their work"}} {
			if _, err := CreateCampaign(ctx, db, c[0], c[1]); err != nil {
				return err
			}
		}
	}
	return nil
}
