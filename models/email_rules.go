package models

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Audit actions of the email normalisation rules.
const (
	ActionEmailRuleSaved   = "email_rule_saved"
	ActionEmailRuleDeleted = "email_rule_deleted"
)

// EmailRuleList lists the normalisation rules by domain, for staff.
func EmailRuleList(ctx context.Context, db *gorm.DB) ([]EmailRule, error) {
	var out []EmailRule
	if err := db.WithContext(ctx).Order("domain").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: email rules: %w", err)
	}
	return out, nil
}

// validDomain reports whether s looks like a mail domain: letters, digits,
// hyphens and at least one dot, no empty label.
func validDomain(s string) bool {
	if len(s) < 3 || len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// cleanEmailRule lower-cases and checks a rule as staff typed it.
func cleanEmailRule(r EmailRule) (EmailRule, error) {
	var v ValidationError
	r.Domain = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.Domain), "@")))
	r.CanonicalDomain = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.CanonicalDomain), "@")))
	r.TagSeparator = strings.TrimSpace(r.TagSeparator)
	if !validDomain(r.Domain) {
		v.Add("domain", "must be a mail domain such as example.org")
	}
	if r.CanonicalDomain == r.Domain {
		r.CanonicalDomain = ""
	}
	if r.CanonicalDomain != "" && !validDomain(r.CanonicalDomain) {
		v.Add("canonical_domain", "must be a mail domain such as example.org, or empty to keep the domain")
	}
	if len(r.TagSeparator) > 3 || strings.ContainsAny(r.TagSeparator, "@. \t") || strings.IndexFunc(r.TagSeparator, func(c rune) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c > 127
	}) >= 0 {
		v.Add("tag_separator", "must be empty or one to three punctuation characters such as + or - (not @ or a dot)")
	}
	return r, v.Err()
}

// SaveEmailRule adds a domain's rule or replaces it, and audits the change.
// It applies to signatures made from then on: stored ones keep the key they
// were made with, so the unique index still holds them apart or together as
// before.
func SaveEmailRule(ctx context.Context, db *gorm.DB, by *User, in EmailRule, ip string) (*EmailRule, error) {
	if !CanManagePetitions(by) {
		return nil, ErrNotCampaigner
	}
	r, err := cleanEmailRule(in)
	if err != nil {
		return nil, err
	}
	err = Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "domain"}}, UpdateAll: true}).Create(&r).Error; err != nil {
			return err
		}
		return Audit(ctx, tx, AuditEvent{ActorID: &by.ID, Action: ActionEmailRuleSaved, SubjectType: "email_rule", SubjectID: r.Domain, IP: ip,
			Details: fmt.Sprintf("canonical domain %q, dots ignored %t, tag separator %q", r.CanonicalDomain, r.StripDots, r.TagSeparator)})
	})
	if err != nil {
		return nil, fmt.Errorf("models: save email rule: %w", err)
	}
	return &r, nil
}

// DeleteEmailRule removes a domain's rule (its addresses then fold by the
// default: lower case, "+tag" removed, dots kept), and audits it.
func DeleteEmailRule(ctx context.Context, db *gorm.DB, by *User, domain, ip string) error {
	if !CanManagePetitions(by) {
		return ErrNotCampaigner
	}
	domain = strings.ToLower(strings.TrimSpace(domain))
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var old EmailRule
		if err := tx.Take(&old, "domain = ?", domain).Error; err != nil {
			return translate(err)
		}
		if err := tx.Delete(&EmailRule{}, "domain = ?", domain).Error; err != nil {
			return err
		}
		return Audit(ctx, tx, AuditEvent{ActorID: &by.ID, Action: ActionEmailRuleDeleted, SubjectType: "email_rule", SubjectID: domain, IP: ip,
			Details: fmt.Sprintf("was: canonical domain %q, dots ignored %t, tag separator %q", old.CanonicalDomain, old.StripDots, old.TagSeparator)})
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("models: delete email rule: %w", err)
	}
	return err
}
