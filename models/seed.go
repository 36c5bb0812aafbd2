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
	return out, nil
}
