package dbtest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"pressroom/models"
)

// Audience is a send audience shaped like a real one, built by BulkAudience:
// journalists on a media list and supporters split over two supporter lists,
// where 5 % of the supporter addresses are on both lists (the second time in
// mixed case, as a separate supporter row, the way two imports from different
// sources leave them), 2 % of the addresses are on the suppression list and
// 1 % of the supporters have unsubscribed. Which address is which follows from
// its number alone, so a test can tell who must be mailed without a query.
type Audience struct {
	Prefix         string
	Supporters     int // distinct supporter mailboxes
	Journalists    int
	SupporterLists [2]string
	MediaList      string
}

// Rows of the audience: supporter i (1…Supporters) is <prefix>-<i>@example.org
// on list A when i ≤ Supporters/2, else on list B; journalist j is
// <prefix>-j<j>@press.example.
func (a *Audience) SupporterEmail(i int) string { return fmt.Sprintf("%s-%d@example.org", a.Prefix, i) }

// JournalistEmail is journalist j's address.
func (a *Audience) JournalistEmail(j int) string {
	return fmt.Sprintf("%s-j%d@press.example", a.Prefix, j)
}

// SupporterID is the id of supporter i's (first) row.
func (a *Audience) SupporterID(i int) string { return fmt.Sprintf("%s-%d", a.Prefix, i) }

// Duplicated: supporter i has a second row, on the other list, in mixed case.
func Duplicated(i int) bool { return i%20 == 0 }

// Suppressed: address number i (supporter or journalist) is on the
// suppression list.
func Suppressed(i int) bool { return i%50 == 0 }

// Unsubscribed: supporter i has unsubscribed (its status; not on the
// suppression list, as an import from another system leaves it).
func Unsubscribed(i int) bool { return i%100 == 1 }

// SupporterDeliverable reports whether supporter i's mailbox may be mailed.
func SupporterDeliverable(i int) bool { return !Suppressed(i) && !Unsubscribed(i) }

// Rows is how many audience rows a send to every list reads, duplicates
// included.
func (a *Audience) Rows() int {
	return a.Supporters + a.Supporters/20 + a.Journalists
}

// Deliverable lists every mailbox a send to the whole audience must reach.
func (a *Audience) Deliverable() map[string]bool {
	out := make(map[string]bool, a.Supporters+a.Journalists)
	for i := 1; i <= a.Supporters; i++ {
		if SupporterDeliverable(i) {
			out[a.SupporterEmail(i)] = true
		}
	}
	for j := 1; j <= a.Journalists; j++ {
		if !Suppressed(j) {
			out[a.JournalistEmail(j)] = true
		}
	}
	return out
}

// BulkAudience builds an Audience of about n mailboxes: n/50 journalists (20,000
// in a million) and the rest supporters, set-based on PostgreSQL, in chunks on
// SQLite, and ANALYZEs what it wrote (a send goes to an audience that has been
// standing for a while, with planner statistics).
func BulkAudience(ctx context.Context, db *models.DB, prefix string, n int) (*Audience, error) {
	a := &Audience{Prefix: prefix, Journalists: n / 50}
	a.Supporters = n - a.Journalists
	fail := func(err error) (*Audience, error) { return nil, fmt.Errorf("dbtest: bulk audience: %w", err) }
	la, err := models.CreateSupporterList(ctx, db.Gorm, prefix+" list A", "")
	if err != nil {
		return fail(err)
	}
	lb, err := models.CreateSupporterList(ctx, db.Gorm, prefix+" list B", "")
	if err != nil {
		return fail(err)
	}
	ml, err := models.CreateMediaList(ctx, db.Gorm, prefix+" journalists", "")
	if err != nil {
		return fail(err)
	}
	a.SupporterLists, a.MediaList = [2]string{la.ID, lb.ID}, ml.ID
	now := time.Now().UTC()
	if db.Dialect == models.Postgres {
		err = bulkAudiencePostgres(ctx, db, a, now)
	} else {
		err = bulkAudienceChunks(ctx, db, a, now)
	}
	if err != nil {
		return fail(err)
	}
	for _, t := range []string{"supporters", "supporter_list_members", "media_contacts", "media_list_members", "suppressions"} {
		if err := db.Gorm.WithContext(ctx).Exec("ANALYZE " + t).Error; err != nil {
			return fail(err)
		}
	}
	return a, nil
}

func bulkAudiencePostgres(ctx context.Context, db *models.DB, a *Audience, now time.Time) error {
	hash := func(e string) string { return "encode(sha256(convert_to(lower(" + e + "), 'UTF8')), 'hex')" }
	p := a.Prefix
	sup := fmt.Sprintf("generate_series(1, %d) AS g(i)", a.Supporters)
	jour := fmt.Sprintf("generate_series(1, %d) AS g(i)", a.Journalists)
	// The list a supporter number's first row is on, and the other one.
	first := fmt.Sprintf("CASE WHEN g.i <= %d THEN '%s' ELSE '%s' END", a.Supporters/2, a.SupporterLists[0], a.SupporterLists[1])
	other := fmt.Sprintf("CASE WHEN g.i <= %d THEN '%s' ELSE '%s' END", a.Supporters/2, a.SupporterLists[1], a.SupporterLists[0])
	email := fmt.Sprintf("'%s-' || g.i || '@example.org'", p)
	mixed := fmt.Sprintf("'%s-' || g.i || '@Example.ORG'", strings.ToUpper(p))
	jemail := fmt.Sprintf("'%s-j' || g.i || '@press.example'", p)
	stmts := []string{
		fmt.Sprintf(`INSERT INTO supporters (id, email, email_hash, name, status, created_at, updated_at)
SELECT '%[1]s-' || g.i, %[2]s, %[3]s, 'Supporter ' || g.i, CASE WHEN g.i %% 100 = 1 THEN 'unsubscribed' ELSE 'subscribed' END, $1, $1 FROM %[4]s`,
			p, email, hash(email), sup),
		fmt.Sprintf(`INSERT INTO supporters (id, email, email_hash, name, status, created_at, updated_at)
SELECT '%[1]s-d' || g.i, %[2]s, %[3]s, 'Supporter ' || g.i, 'subscribed', $1, $1 FROM %[4]s WHERE g.i %% 20 = 0`, p, mixed, hash(mixed), sup),
		fmt.Sprintf(`INSERT INTO supporter_list_members (list_id, supporter_id, added_at) SELECT %s, '%s-' || g.i, $1 FROM %s`, first, p, sup),
		fmt.Sprintf(`INSERT INTO supporter_list_members (list_id, supporter_id, added_at) SELECT %s, '%s-d' || g.i, $1 FROM %s WHERE g.i %% 20 = 0`, other, p, sup),
		fmt.Sprintf(`INSERT INTO media_contacts (id, email, email_hash, name, created_at, updated_at)
SELECT '%[1]s-j' || g.i, %[2]s, %[3]s, 'Journalist ' || g.i, $1, $1 FROM %[4]s`, p, jemail, hash(jemail), jour),
		fmt.Sprintf(`INSERT INTO media_list_members (list_id, contact_id, added_at) SELECT '%s', '%s-j' || g.i, $1 FROM %s`, a.MediaList, p, jour),
		fmt.Sprintf(`INSERT INTO suppressions (id, email, email_hash, reason, created_at)
SELECT '%[1]s-sup' || g.i, %[2]s, %[3]s, 'bounce', $1 FROM %[4]s WHERE g.i %% 50 = 0`, p, email, hash(email), sup),
		fmt.Sprintf(`INSERT INTO suppressions (id, email, email_hash, reason, created_at)
SELECT '%[1]s-jsup' || g.i, %[2]s, %[3]s, 'bounce', $1 FROM %[4]s WHERE g.i %% 50 = 0`, p, jemail, hash(jemail), jour),
	}
	sqlDB := db.SQL
	for _, s := range stmts {
		if _, err := sqlDB.ExecContext(ctx, s, now); err != nil {
			return fmt.Errorf("%.60s…: %w", s, err)
		}
	}
	return nil
}

func bulkAudienceChunks(ctx context.Context, db *models.DB, a *Audience, now time.Time) error {
	g := db.Gorm.WithContext(ctx)
	const chunk = 500
	var sups []models.Supporter
	var members []models.SupporterListMember
	var contacts []models.MediaContact
	var cmembers []models.MediaListMember
	var supps []models.Suppression
	flush := func(force bool) error {
		if len(sups) >= chunk || force {
			if len(sups) > 0 {
				if err := g.Create(&sups).Error; err != nil {
					return err
				}
				if err := g.Create(&members).Error; err != nil {
					return err
				}
			}
			sups, members = sups[:0], members[:0]
		}
		if len(contacts) >= chunk || force {
			if len(contacts) > 0 {
				if err := g.Create(&contacts).Error; err != nil {
					return err
				}
				if err := g.Create(&cmembers).Error; err != nil {
					return err
				}
			}
			contacts, cmembers = contacts[:0], cmembers[:0]
		}
		if len(supps) >= chunk || force {
			if len(supps) > 0 {
				if err := g.Create(&supps).Error; err != nil {
					return err
				}
			}
			supps = supps[:0]
		}
		return nil
	}
	suppress := func(id, e string) {
		supps = append(supps, models.Suppression{ID: id, Email: &e, EmailHash: models.EmailHash(e), Reason: models.SuppressBounce, CreatedAt: now})
	}
	for i := 1; i <= a.Supporters; i++ {
		list, other := a.SupporterLists[0], a.SupporterLists[1]
		if i > a.Supporters/2 {
			list, other = other, list
		}
		e := a.SupporterEmail(i)
		status := models.StatusSubscribed
		if Unsubscribed(i) {
			status = models.StatusUnsubscribed
		}
		sups = append(sups, models.Supporter{ID: a.SupporterID(i), Email: &e, EmailHash: models.EmailHash(e), Name: fmt.Sprintf("Supporter %d", i),
			Status: status, Frequency: "all", CreatedAt: now, UpdatedAt: now})
		members = append(members, models.SupporterListMember{ListID: list, SupporterID: a.SupporterID(i), AddedAt: now})
		if Duplicated(i) {
			m := fmt.Sprintf("%s-%d@Example.ORG", strings.ToUpper(a.Prefix), i)
			id := fmt.Sprintf("%s-d%d", a.Prefix, i)
			sups = append(sups, models.Supporter{ID: id, Email: &m, EmailHash: models.EmailHash(m), Name: fmt.Sprintf("Supporter %d", i),
				Status: models.StatusSubscribed, Frequency: "all", CreatedAt: now, UpdatedAt: now})
			members = append(members, models.SupporterListMember{ListID: other, SupporterID: id, AddedAt: now})
		}
		if Suppressed(i) {
			suppress(fmt.Sprintf("%s-sup%d", a.Prefix, i), e)
		}
		if err := flush(false); err != nil {
			return err
		}
	}
	for j := 1; j <= a.Journalists; j++ {
		e := a.JournalistEmail(j)
		id := fmt.Sprintf("%s-j%d", a.Prefix, j)
		contacts = append(contacts, models.MediaContact{ID: id, Email: e, EmailHash: models.EmailHash(e), Name: fmt.Sprintf("Journalist %d", j), CreatedAt: now, UpdatedAt: now})
		cmembers = append(cmembers, models.MediaListMember{ListID: a.MediaList, ContactID: id, AddedAt: now})
		if Suppressed(j) {
			suppress(fmt.Sprintf("%s-jsup%d", a.Prefix, j), e)
		}
		if err := flush(false); err != nil {
			return err
		}
	}
	return flush(true)
}
