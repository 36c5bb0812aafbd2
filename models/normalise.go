package models

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// EmailRule is how one domain folds addresses into mailboxes: gmail.com ignores
// dots in the local part, googlemail.com is gmail.com, most providers deliver
// "name+tag@" to "name@". Staff edit the rows; NormaliseEmail applies them.
type EmailRule struct {
	Domain          string `gorm:"primaryKey"`
	CanonicalDomain string // "" keeps the domain
	StripDots       bool
	TagSeparator    string // "" when the domain has no sub-addresses
}

// TableName implements gorm's Tabler.
func (EmailRule) TableName() string { return "email_normalisation_rules" }

// EmailRules maps a domain to its rule. Domains without a rule get the default:
// lower-cased, "+tag" removed, dots kept.
type EmailRules map[string]EmailRule

// DefaultEmailRules are the rules the migration seeds, for tests and tools that
// run without a database.
func DefaultEmailRules() EmailRules {
	return EmailRules{
		"gmail.com":      {Domain: "gmail.com", CanonicalDomain: "gmail.com", StripDots: true, TagSeparator: "+"},
		"googlemail.com": {Domain: "googlemail.com", CanonicalDomain: "gmail.com", StripDots: true, TagSeparator: "+"},
	}
}

// LoadEmailRules reads the rules table.
func LoadEmailRules(ctx context.Context, db *gorm.DB) (EmailRules, error) {
	var rows []EmailRule
	if err := db.WithContext(ctx).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: email rules: %w", err)
	}
	out := make(EmailRules, len(rows))
	for _, r := range rows {
		out[strings.ToLower(r.Domain)] = r
	}
	return out, nil
}

// canonical follows the domain's aliases to the one it stands for. Chains
// (a → b → c) are followed; a cycle resolves to its smallest member, so every
// domain of the cycle lands on the same mailbox and a second pass changes
// nothing.
func (rs EmailRules) canonical(domain string) string {
	seen := map[string]bool{}
	d := domain
	for {
		r, ok := rs[d]
		if !ok || r.CanonicalDomain == "" || strings.ToLower(r.CanonicalDomain) == d {
			return d
		}
		if seen[d] {
			min := d
			for c := range seen {
				if c < min {
					min = c
				}
			}
			return min
		}
		seen[d] = true
		d = strings.ToLower(r.CanonicalDomain)
	}
}

// NormaliseEmail is the mailbox an address delivers to, the key of "one
// signature per mailbox per petition": lower-cased and trimmed, its sub-address
// ("+tag") removed, dots removed and the domain replaced where the domain's rule
// says so. It is pure and idempotent (normalising a normalised address changes
// nothing), so stored keys stay comparable when it runs again. It does not
// validate: check the address with ValidEmail first.
func NormaliseEmail(email string, rules EmailRules) string {
	s := strings.ToLower(strings.TrimSpace(email))
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return s
	}
	local, domain := s[:at], s[at+1:]
	domain = rules.canonical(domain)
	// The rule of the address's own domain and of its canonical domain both
	// apply: googlemail.com addresses fold exactly like gmail.com ones.
	apply := func(r EmailRule, ok bool) {
		// Dots go first: cutting at the separator cannot bring a dot or a
		// separator back, so the result is a fixed point of the rule.
		if ok && r.StripDots {
			local = strings.ReplaceAll(local, ".", "")
		}
		sep := "+"
		if ok {
			sep = r.TagSeparator
		}
		if sep != "" {
			if i := strings.Index(local, sep); i >= 0 {
				local = local[:i]
			}
		}
	}
	orig := s[at+1:]
	r, ok := rules[orig]
	apply(r, ok)
	if domain != orig {
		r, ok := rules[domain]
		apply(r, ok)
	}
	// Removing dots can expose spaces that sat between a dot and the start
	// (". a@gmail.com"); trimming them again keeps the result a fixed point.
	return strings.TrimSpace(local) + "@" + domain
}
