package benchkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"

	"pressroom/models"
)

// AdminData is what BuildAdminData made that the admin pages need by id.
type AdminData struct {
	// Release is a published release with a send, whose edit page is measured.
	Release string
	// Send is a draft send of Release to a media list of 1,000 journalists.
	Send string
}

// AdminPage is one admin page measured and the role it is measured as.
type AdminPage struct {
	Path string
	Role models.Role
}

// AdminPages are the pages staff use every day, each as a role that uses it:
// the review queue as an approver of the press desk (1,000 releases wait in
// review), the edit form as the press officer who wrote the releases, the
// rest as an admin, who sees everything.
func AdminPages(d AdminData) []AdminPage {
	a, po, ap := models.RoleAdmin, models.RolePressOfficer, models.RoleApprover
	return []AdminPage{
		{"/admin", a}, {"/admin/releases", a}, {"/admin/releases?q=arms", a}, {"/admin/releases?status=published", a},
		{"/admin/review", ap}, {"/admin/releases/" + d.Release, a}, {"/admin/releases/" + d.Release + "/edit", po},
		{"/admin/media", a}, {"/admin/media?q=journalist4242", a}, {"/admin/supporters", a},
		{"/admin/supporters?q=supporter777", a}, {"/admin/supporters?status=pending", a},
		{"/admin/sends", a}, {"/admin/sends/" + d.Send, a}, {"/admin/audit", a},
	}
}

// BuildAdminData fills a migrated PostgreSQL database that has an index
// series "PRE 01" and a workflow with what the admin pages are measured
// against: 10,000 releases by author (with a revision each; 1,000 in review,
// 1,000 drafts, the rest published), 100,000 media contacts, 100,000
// supporters (one in seven pending), a media list of 1,000 of the contacts and
// a draft send of one release to it, and the releases' search rows. The rows are
// generated set-based, in seconds; SQLite has no generate_series and is not
// where an organisation of this size runs, so it is refused.
func BuildAdminData(ctx context.Context, db *models.DB, author, sender *models.User) (AdminData, error) {
	if db.Dialect != models.Postgres {
		return AdminData{}, errors.New("the admin pages' data is built on PostgreSQL only")
	}
	stmts := []string{
		`INSERT INTO documents (id, kind, language, series_id, workflow_id, author_id, status, current_revision, approved_revision,
			index_number, index_year, index_serial, slug, published_at, countries, themes, created_at, updated_at)
		SELECT 'doc' || g, 'press_release', 'en', (SELECT id FROM index_series WHERE code = 'PRE 01'), (SELECT id FROM workflows ORDER BY id LIMIT 1), @author,
			CASE WHEN g % 10 = 0 THEN 'in_review' WHEN g % 10 = 1 THEN 'draft' ELSE 'published' END, 1,
			CASE WHEN g % 10 < 2 THEN 0 ELSE 1 END,
			CASE WHEN g % 10 < 2 THEN NULL ELSE 'PRE 01/' || lpad(g::text, 5, '0') || '/2026' END,
			CASE WHEN g % 10 < 2 THEN NULL ELSE 2026 END, CASE WHEN g % 10 < 2 THEN NULL ELSE g END,
			CASE WHEN g % 10 < 2 THEN NULL ELSE 'release-' || g END,
			CASE WHEN g % 10 < 2 THEN NULL ELSE now() - g * interval '1 hour' END,
			'Freedonia', 'Arms control', now() - g * interval '1 hour', now() - g * interval '1 hour'
		FROM generate_series(1, 10000) g`,
		`INSERT INTO revisions (id, document_id, number, headline, standfirst, body, content_hash, editor_id, created_at)
		SELECT 'rev' || g, 'doc' || g, 1, 'Release number ' || g || ' on arms transfers', 'Standfirst ' || g,
			repeat('Governments must halt arms transfers to Freedonia. ', 40), md5(g::text), @author, now()
		FROM generate_series(1, 10000) g`,
		`INSERT INTO media_contacts (id, email, email_hash, name, outlet, role, beats, countries, languages, created_at, updated_at)
		SELECT 'mc' || g, 'journalist' || g || '@example.net', md5('j' || g), 'Journalist ' || g, 'Outlet ' || (g % 500), 'Reporter',
			'arms,conflict', 'FR,GB', 'en', now(), now()
		FROM generate_series(1, 100000) g`,
		`INSERT INTO supporters (id, email, email_hash, name, country, language, status, created_at, updated_at)
		SELECT 'sp' || g, 'supporter' || g || '@example.org', md5('s' || g), 'Supporter ' || g, 'GB', 'en',
			CASE WHEN g % 7 = 0 THEN 'pending' ELSE 'subscribed' END, now(), now()
		FROM generate_series(1, 100000) g`,
	}
	// The trigram indexes of the contact tables cost most of the load when
	// kept up row by row; built once afterwards they are the same indexes in a
	// fraction of the time. Their definitions are read from the database, so
	// whatever the migrations say is what is rebuilt.
	var gin []struct{ Indexname, Indexdef string }
	if err := db.Gorm.WithContext(ctx).Raw(`SELECT indexname, indexdef FROM pg_indexes
		WHERE tablename IN ('media_contacts', 'supporters') AND indexdef LIKE '%USING gin%'`).Scan(&gin).Error; err != nil {
		return AdminData{}, fmt.Errorf("admin data: %w", err)
	}
	for _, ix := range gin {
		stmts = append([]string{"DROP INDEX " + ix.Indexname}, stmts...)
		stmts = append(stmts, ix.Indexdef)
	}
	for _, s := range stmts {
		var args []any
		if strings.Contains(s, "@author") {
			args = append(args, map[string]any{"author": author.ID})
		}
		if err := db.Gorm.WithContext(ctx).Exec(s, args...).Error; err != nil {
			return AdminData{}, fmt.Errorf("admin data: %w", err)
		}
	}
	l, err := models.CreateMediaList(ctx, db.Gorm, "Arms desks", "1,000 journalists covering the arms trade")
	if err != nil {
		return AdminData{}, fmt.Errorf("admin data: %w", err)
	}
	if err := db.Gorm.WithContext(ctx).Exec(`INSERT INTO media_list_members (list_id, contact_id, added_at)
		SELECT ?, 'mc' || g, now() FROM generate_series(1, 1000) g`, l.ID).Error; err != nil {
		return AdminData{}, fmt.Errorf("admin data: %w", err)
	}
	// The search rows models.IndexDocumentForSearch would write, set-based
	// (indexing 10,000 releases one transaction each took minutes): staff rows
	// for every release, public ones for the approved.
	if err := db.Gorm.WithContext(ctx).Exec(`INSERT INTO search_entries (document_id, which, revision, language, config, headline, standfirst, body, index_number, index_terms)
		SELECT d.id, w.which, 1, 'en', 'english'::regconfig, r.headline, r.standfirst, rtrim(r.body), coalesce(d.index_number, ''),
			CASE WHEN d.index_number IS NULL THEN '' ELSE
				'pre pre01 pre01' || n || ' pre01' || n || '2026 01 01' || n || ' 01' || n || '2026 ' || n || ' ' || n || '2026 2026' END
		FROM documents d JOIN revisions r ON r.document_id = d.id AND r.number = 1
			CROSS JOIN LATERAL (SELECT lpad(d.index_serial::text, 5, '0') AS n) num
			JOIN (VALUES ('staff'), ('public')) AS w(which) ON w.which = 'staff' OR d.approved_revision = 1
		WHERE d.id LIKE 'doc%'`).Error; err != nil {
		return AdminData{}, fmt.Errorf("admin data: search rows: %w", err)
	}
	if err := db.Gorm.WithContext(ctx).Exec("ANALYZE").Error; err != nil {
		return AdminData{}, fmt.Errorf("admin data: %w", err)
	}
	if err := sameAsIndexed(ctx, db, "doc5000", "doc5001", "doc5002"); err != nil {
		return AdminData{}, err
	}
	d := AdminData{Release: "doc5002"} // 5002 % 10 = 2: published
	send, err := models.CreateSend(ctx, db.Gorm, sender, models.SendInput{DocumentID: d.Release, MediaListIDs: []string{l.ID},
		Subject: "Release number 5002 on arms transfers"}, time.Now())
	if err != nil {
		return AdminData{}, fmt.Errorf("admin data: send: %w", err)
	}
	d.Send = send.ID
	return d, nil
}

// sameAsIndexed checks the set-based search rows of a few releases against
// what models.IndexDocumentForSearch writes for them, so the shortcut cannot
// drift from the real indexing unnoticed.
func sameAsIndexed(ctx context.Context, db *models.DB, ids ...string) error {
	type entry struct{ Which, Headline, Standfirst, Body, IndexNumber, IndexTerms string }
	read := func(id string) ([]entry, error) {
		var es []entry
		err := db.Gorm.WithContext(ctx).Raw(`SELECT which, headline, standfirst, body, index_number, index_terms FROM search_entries
			WHERE document_id = ? ORDER BY which`, id).Scan(&es).Error
		return es, err
	}
	for _, id := range ids {
		bulk, err := read(id)
		if err != nil {
			return fmt.Errorf("admin data: %w", err)
		}
		if err := models.Transaction(ctx, db.Gorm, func(tx *gorm.DB) error { return models.IndexDocumentForSearch(ctx, tx, id) }); err != nil {
			return fmt.Errorf("admin data: %w", err)
		}
		real, err := read(id)
		if err != nil {
			return fmt.Errorf("admin data: %w", err)
		}
		if fmt.Sprint(bulk) != fmt.Sprint(real) {
			return fmt.Errorf("admin data: the bulk search rows of %s differ from the indexed ones:\n%q\n%q", id, bulk, real)
		}
	}
	return nil
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// Login signs in at base with a password the way a browser does (the sign-in
// form's CSRF token, then the form) and returns a client that keeps the
// session cookie and does not follow redirects.
func Login(base, email, password string) (*http.Client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/login")
	if err != nil {
		return nil, err
	}
	page, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	m := csrfField.FindSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("sign-in as %s: no CSRF token on /login (status %d)", email, res.StatusCode)
	}
	form := url.Values{"email": {email}, "password": {password}, "csrf_token": {string(m[1])}}
	res, err = c.Post(base+"/login", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign-in as %s: status %d", email, res.StatusCode)
	}
	return c, nil
}
