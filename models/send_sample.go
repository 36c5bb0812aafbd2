package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// MaxTestAddresses bounds the addresses one test of a send goes to: a test is
// for the press office, not a small mailing.
const MaxTestAddresses = 5

// TestUnsubscribeToken is the token of the unsubscribe link in a test of a
// send: the page it opens changes nothing (a test's reader is not the sample
// recipient it was rendered as).
const TestUnsubscribeToken = "test"

// TestAddresses checks the addresses a test goes to: each a valid address,
// repeats dropped, at most MaxTestAddresses. None at all is valid: the caller
// then sends to the signed-in user.
func TestAddresses(in []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	var bad []string
	for _, raw := range in {
		for _, a := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
			a = NormalizeEmail(a)
			if a == "" || seen[a] {
				continue
			}
			seen[a] = true
			if !ValidEmail(a) {
				bad = append(bad, a)
				continue
			}
			out = append(out, a)
		}
	}
	var v ValidationError
	switch {
	case len(bad) > 0:
		v.Add("emails", "not a valid address: "+strings.Join(bad, ", "))
	case len(out) > MaxTestAddresses:
		v.Add("emails", fmt.Sprintf("a test goes to at most %d addresses; you gave %d", MaxTestAddresses, len(out)))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateTestPreviewLinks makes one preview link, marked as a test, for each
// address a test of a send goes to, and returns the tokens by address. The
// links work like a journalist's (until expires) so the tester can check them.
func CreateTestPreviewLinks(ctx context.Context, tx *gorm.DB, docID, sendID string, by *User, emails []string, expires, now time.Time) (map[string]string, error) {
	tokens := make(map[string]string, len(emails))
	links := make([]PreviewLink, 0, len(emails))
	for _, e := range emails {
		token := NewSecret(24)
		tokens[e] = token
		links = append(links, PreviewLink{ID: NewID(), DocumentID: docID, Email: e, TokenHash: HashSecret(token), ExpiresAt: expires.UTC(),
			CreatedBy: &by.ID, CreatedAt: now, IsTest: true})
	}
	if len(links) == 0 {
		return tokens, nil
	}
	if err := tx.WithContext(ctx).Omit("Views").Create(&links).Error; err != nil {
		return nil, fmt.Errorf("models: test preview links: %w", err)
	}
	if err := Audit(ctx, tx, AuditEvent{At: now, ActorID: &by.ID, Action: "preview_link_created", SubjectType: "document", SubjectID: docID,
		Details: fmt.Sprintf("%d test links for send %s", len(links), sendID)}); err != nil {
		return nil, fmt.Errorf("models: test preview links: %w", err)
	}
	return tokens, nil
}
