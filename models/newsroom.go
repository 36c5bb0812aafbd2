package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The newsroom is every public surface: pages, listings, feeds, sitemap, search,
// previews and the public API. They all ask the one visibility rule below, in
// SQL, rather than deciding on their own:
//
//   - A document is visible when it is published or withdrawn and its
//     publication time has come; a translation is visible only while its
//     original is visible too (a translation is never more public than its
//     original, whatever its own status says).
//   - A visible document shows its approved revision, never a later one.
//   - A withdrawn document, or a translation of a withdrawn original, shows its
//     headline, index number, date and the withdrawal notice, and nothing of
//     its text: standfirst, dateline, body, notes to editors, press contacts and
//     correction note come back empty from every public query, so no surface
//     can render them by mistake.
//   - A correction under review shows nothing of itself, not even its note,
//     until it is approved.

// originalsAlias is the name public queries join a document's original under.
const originalsAlias = "originals"

// visibleSQL is the visibility rule as SQL over a document (alias doc) and its
// original (alias orig, LEFT JOINed on doc.original_id), with its arguments.
// Every condition is a column test or a primary-key probe of the original, so
// it adds no scan to any query.
func visibleSQL(doc, orig string, now time.Time) (string, []any) {
	sql := fmt.Sprintf("%[1]s.status IN ('published', 'withdrawn') AND %[1]s.published_at IS NOT NULL AND %[1]s.published_at <= ?"+
		" AND (%[1]s.original_id IS NULL OR (%[2]s.status IN ('published', 'withdrawn') AND %[2]s.published_at IS NOT NULL AND %[2]s.published_at <= ?))", doc, orig)
	return sql, []any{now, now}
}

// withdrawnSQL is true for a withdrawn document and for a translation of a
// withdrawn original: what shows no text in public.
func withdrawnSQL(doc, orig string) string {
	return fmt.Sprintf("(%[1]s.status = 'withdrawn' OR COALESCE(%[2]s.status, '') = 'withdrawn')", doc, orig)
}

// publicColumns selects a document as the public may see it (the Document
// columns, then the approved revision's words), applying the content rule: a
// withdrawn document's text comes back empty and its status and notice are the
// withdrawal's, its own or its original's.
func publicColumns(doc, orig string) string {
	w := withdrawnSQL(doc, orig)
	text := func(col, as string) string {
		return "CASE WHEN " + w + " THEN '' ELSE " + col + " END AS " + as
	}
	cols := []string{}
	for _, c := range []string{"id", "kind", "language", "original_id", "campaign_id", "series_id", "workflow_id", "author_id",
		"current_revision", "approved_revision", "correction_pending", "rapid", "submitted_at", "escalated_at", "index_number",
		"index_year", "index_serial", "slug", "embargo_at", "embargo_tz", "published_at", "withdrawn_at", "countries", "regions", "themes",
		"created_at", "updated_at"} {
		cols = append(cols, doc+"."+c)
	}
	cols = append(cols,
		"CASE WHEN "+w+" THEN 'withdrawn' ELSE "+doc+".status END AS status",
		"CASE WHEN "+doc+".status = 'withdrawn' THEN "+doc+".withdrawal_notice WHEN "+w+" THEN "+orig+".withdrawal_notice ELSE '' END AS withdrawal_notice",
		// A correction's note is public with its text: not while under review.
		"CASE WHEN "+w+" OR "+doc+".correction_pending THEN '' ELSE "+doc+".correction_note END AS correction_note",
		"revisions.headline",
		text("revisions.standfirst", "standfirst"),
		text("revisions.dateline", "dateline"),
		text("revisions.body", "body"),
		text("revisions.notes_to_editors", "notes_to_editors"),
		"CASE WHEN "+w+" THEN '[]' ELSE revisions.press_contacts END AS press_contacts",
	)
	return strings.Join(cols, ", ")
}

// PublicRelease is a document as the public sees it: its approved revision,
// under the content rule (a withdrawn release carries no text).
type PublicRelease struct {
	Document
	Headline       string
	Standfirst     string
	Dateline       string
	Body           string
	NotesToEditors string
	PressContacts  string
	CampaignName   *string
	CampaignSlug   *string // its public page /c/{slug}; set once, so pages cached by the newsroom version stay right
}

// Withdrawn reports whether the release shows only its withdrawal notice (it
// was withdrawn, or it translates a withdrawn original).
func (p *PublicRelease) Withdrawn() bool { return p.Status == StatusWithdrawn }

// Summary is the one line a surface may show for the release (page
// description, social cards, feed summary): the standfirst, else the body's
// first paragraph trimmed to summaryMax characters (so a shared link still has
// a preview), or only the withdrawal notice once withdrawn. Plain text: escape
// it for its medium.
func (p *PublicRelease) Summary() string {
	if p.Withdrawn() {
		return "Withdrawn: " + p.WithdrawalNotice
	}
	if strings.TrimSpace(p.Standfirst) != "" {
		return p.Standfirst
	}
	return firstParagraph(p.Body, summaryMax)
}

// summaryMax bounds a summary taken from the body: about what social cards
// and search results show.
const summaryMax = 200

// firstParagraph is the plain text of the first paragraph of Markdown with
// words in it, cut at a word boundary to at most max characters.
func firstParagraph(md string, max int) string {
	for _, para := range strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n\n") {
		text := strings.Join(strings.Fields(PlainText(para)), " ")
		if text == "" {
			continue
		}
		runes := []rune(text)
		if len(runes) <= max {
			return text
		}
		cut := string(runes[:max])
		if i := strings.LastIndex(cut, " "); i > max/2 {
			cut = cut[:i]
		}
		return strings.TrimRight(cut, " ,;:.") + "…"
	}
	return ""
}

// Contacts decodes the press contacts of the approved revision.
func (p *PublicRelease) Contacts() []PressContact {
	r := Revision{PressContacts: p.PressContacts}
	return r.Contacts()
}

// PublicFilter narrows the newsroom listing. Listings page by key (After),
// never by offset or count: the cost of a page does not grow with the archive.
type PublicFilter struct {
	CampaignID string
	Country    string
	Region     string
	Theme      string
	Language   string
	Kind       Kind
	Limit      int
	After      *PublicKey // the last release of the previous page, if any
	Now        time.Time
}

// PublicKey is a position in the newsroom's order: latest publication first,
// ties broken by id, so that every release has exactly one place.
type PublicKey struct {
	PublishedAt time.Time
	ID          string
}

// Key is the release's position in the newsroom's order.
func (p *PublicRelease) Key() PublicKey {
	k := PublicKey{ID: p.ID}
	if p.PublishedAt != nil {
		k.PublishedAt = p.PublishedAt.UTC()
	}
	return k
}

// releaseQuery selects documents with their approved revision under the
// content rule, whatever their visibility: previews add their own condition.
func releaseQuery(ctx context.Context, db *gorm.DB) *gorm.DB {
	return db.WithContext(ctx).Table("documents").
		Select(publicColumns("documents", originalsAlias) + ", campaigns.name AS campaign_name, campaigns.slug AS campaign_slug").
		Joins("JOIN revisions ON revisions.document_id = documents.id AND revisions.number = documents.approved_revision").
		Joins("LEFT JOIN documents " + originalsAlias + " ON " + originalsAlias + ".id = documents.original_id").
		Joins("LEFT JOIN campaigns ON campaigns.id = documents.campaign_id")
}

// publicQuery is releaseQuery narrowed to what is visible at now.
func publicQuery(ctx context.Context, db *gorm.DB, now time.Time) *gorm.DB {
	visible, args := visibleSQL("documents", originalsAlias, now)
	return releaseQuery(ctx, db).Where(visible, args...)
}

// tagMatch matches one tag in a comma-separated tag column, case-insensitively.
// On PostgreSQL it tests the tag array, which a GIN index serves and whose
// statistics tell the planner how common the tag is (a LIKE over the joined
// text looked rare to it, and it scanned the archive); SQLite tests the text.
func tagMatch(q *gorm.DB, column, tag string) *gorm.DB {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if q.Dialector.Name() == "postgres" {
		return q.Where("string_to_array(LOWER(documents."+column+"), ',') @> ARRAY[CAST(? AS text)]", tag)
	}
	return q.Where("(',' || LOWER(documents."+column+") || ',') LIKE ?", "%,"+tag+",%")
}

// PublicReleases lists a page of what the newsroom shows, latest publication
// first, after f.After when set, and reports whether more follow. It counts
// nothing: each page is an index range scan (migration 00020) of at most
// Limit+1 rows.
func PublicReleases(ctx context.Context, db *gorm.DB, f PublicFilter) ([]PublicRelease, bool, error) {
	q := publicQuery(ctx, db, f.Now)
	if f.CampaignID != "" {
		q = q.Where("documents.campaign_id = ?", f.CampaignID)
	}
	if f.Language != "" {
		q = q.Where("documents.language = ?", f.Language)
	}
	if f.Kind != "" {
		q = q.Where("documents.kind = ?", f.Kind)
	}
	if f.Country != "" {
		q = tagMatch(q, "countries", f.Country)
	}
	if f.Region != "" {
		q = tagMatch(q, "regions", f.Region)
	}
	if f.Theme != "" {
		q = tagMatch(q, "themes", f.Theme)
	}
	if f.After != nil {
		q = q.Where("(documents.published_at < ? OR (documents.published_at = ? AND documents.id < ?))", f.After.PublishedAt.UTC(), f.After.PublishedAt.UTC(), f.After.ID)
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	var out []PublicRelease
	if err := q.Order("documents.published_at DESC, documents.id DESC").Limit(f.Limit + 1).Scan(&out).Error; err != nil {
		return nil, false, fmt.Errorf("models: public releases: %w", err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, nil
}

// PublicReleaseBySlug returns a public release, or ErrNotFound for anything
// unpublished: an embargoed release does not exist as far as the public knows.
func PublicReleaseBySlug(ctx context.Context, db *gorm.DB, slug string, now time.Time) (*PublicRelease, error) {
	var out []PublicRelease
	if err := publicQuery(ctx, db, now).Where("documents.slug = ?", slug).Limit(1).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("models: public release: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("models: public release %q: %w", slug, ErrNotFound)
	}
	return &out[0], nil
}

// PublicReleaseByIndex finds the public release with an index number, in the
// preferred language when there are translations (else the original).
func PublicReleaseByIndex(ctx context.Context, db *gorm.DB, number, language string, now time.Time) (*PublicRelease, error) {
	key := IndexKey(number)
	if key == "" {
		return nil, fmt.Errorf("models: release by index: %w", ErrNotFound)
	}
	var out []PublicRelease
	err := publicQuery(ctx, db, now).Where(indexKeySQL+" = ?", key).
		Clauses(clause.OrderBy{Expression: clause.Expr{SQL: "CASE WHEN documents.language = ? THEN 0 WHEN documents.original_id IS NULL THEN 1 ELSE 2 END", Vars: []any{language}}}).
		Limit(1).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: release by index: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("models: release by index %q: %w", number, ErrNotFound)
	}
	return &out[0], nil
}

// PublicTranslations lists the other visible language versions of a release:
// a translation only while its original is visible too.
func PublicTranslations(ctx context.Context, db *gorm.DB, d *Document, now time.Time) ([]Document, error) {
	root := d.ID
	if d.OriginalID != nil {
		root = *d.OriginalID
	}
	visible, args := visibleSQL("documents", originalsAlias, now)
	var ds []Document
	err := db.WithContext(ctx).Table("documents").Select("documents.*").
		Joins("LEFT JOIN documents "+originalsAlias+" ON "+originalsAlias+".id = documents.original_id").
		Where("(documents.id = ? OR documents.original_id = ?) AND documents.id <> ?", root, root, d.ID).
		Where(visible, args...).Order("documents.language").Scan(&ds).Error
	if err != nil {
		return nil, fmt.Errorf("models: public translations: %w", err)
	}
	return ds, nil
}

// NewsroomState fingerprints the public newsroom for HTTP caching and for
// the in-process page cache: Version changes in the transaction that changes
// anything a public surface shows.
//
// The version row (newsroom_versions) is bumped by database triggers on
// documents and campaigns (migration 00020), so every path that publishes,
// lifts an embargo, withdraws, corrects, unpublishes, retags, deletes or
// renames bumps it in its own transaction without having to remember to.
// Visibility is decided by status (a document is public once published or
// withdrawn, and its published_at is then never later than the moment it
// turned so), so no page turns public by the clock alone: the embargo lift is
// a status change, and bumps the version like any other.
type NewsroomState struct {
	Version      int64
	LastModified time.Time
	ETag         string
}

// Newsroom reads the newsroom's caching state: one primary-key read, whatever
// the size of the archive.
func Newsroom(ctx context.Context, db *gorm.DB) (*NewsroomState, error) {
	var row struct {
		Version   int64
		ChangedMs int64
	}
	if err := db.WithContext(ctx).Table("newsroom_versions").Select("version, changed_ms").Where("id = 1").Take(&row).Error; err != nil {
		return nil, fmt.Errorf("models: newsroom state: %w", err)
	}
	st := NewsroomState{Version: row.Version, LastModified: time.UnixMilli(row.ChangedMs).UTC().Truncate(time.Second)}
	sum := sha256.Sum256([]byte(fmt.Sprintf("newsroom|%d|%d", row.Version, row.ChangedMs)))
	st.ETag = `"` + hex.EncodeToString(sum[:8]) + `"`
	return &st, nil
}

// PreviewLink lets one journalist read an embargoed release online before the
// embargo lifts.
type PreviewLink struct {
	ID         string `gorm:"primaryKey"`
	DocumentID string
	ContactID  *string
	Email      string
	TokenHash  string
	ExpiresAt  time.Time
	RevokedAt  *time.Time
	CreatedBy  *string
	CreatedAt  time.Time
	// IsTest marks a link made for a test of a send: its page says so, so
	// nobody mistakes a test for the real mailing.
	IsTest bool
	Views  []PreviewView `gorm:"foreignKey:LinkID"`
}

// PreviewView is one opening of a preview link.
type PreviewView struct {
	ID        int64 `gorm:"primaryKey"`
	LinkID    string
	ViewedAt  time.Time
	IP        string
	UserAgent string
}

// Preview link errors, for the 410 page.
var (
	ErrPreviewExpired = fmt.Errorf("%w: this preview link has expired", ErrNotFound)
	ErrPreviewRevoked = fmt.Errorf("%w: this preview link was revoked", ErrNotFound)
)

// CreatePreviewLink makes a link for one journalist and returns its token. Only an
// approved release (scheduled or published) has a text to preview.
func CreatePreviewLink(ctx context.Context, db *gorm.DB, by *User, docID, contactID, email string, expires, now time.Time) (*PreviewLink, string, error) {
	var v ValidationError
	email = NormalizeEmail(email)
	if email == "" && contactID == "" {
		v.Add("email", "is required (or give contact_id)")
	} else if email != "" && !ValidEmail(email) {
		v.Add("email", "is not a valid address")
	}
	if !expires.After(now) {
		v.Add("expires_at", "must be in the future")
	} else if expires.After(now.Add(90 * 24 * time.Hour)) {
		v.Add("expires_at", "must be within 90 days")
	}
	var d Document
	if err := db.WithContext(ctx).First(&d, "id = ?", docID).Error; err != nil {
		return nil, "", fmt.Errorf("models: preview link: %w", translate(err))
	}
	if !CanEdit(by, d.Kind) { // sharing an embargoed text is the kind's editors' call
		return nil, "", fmt.Errorf("models: preview link: %w", ErrWrongKind)
	}
	if d.ApprovedRevision == 0 || (d.Status != StatusScheduled && d.Status != StatusPublished) {
		return nil, "", &TransitionError{Action: "make a preview link for", From: d.Status}
	}
	if contactID != "" && email == "" {
		var row struct{ Email string }
		if err := db.WithContext(ctx).Table("media_contacts").Select("email").Where("id = ?", contactID).Scan(&row).Error; err != nil || row.Email == "" {
			v.Add("contact_id", "is not a media contact")
		}
		email = row.Email
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	token := NewSecret(24)
	l := &PreviewLink{ID: NewID(), DocumentID: d.ID, Email: email, TokenHash: HashSecret(token), ExpiresAt: expires.UTC(), CreatedAt: now}
	if contactID != "" {
		l.ContactID = &contactID
	}
	l.CreatedBy = &by.ID
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Omit("Views").Create(l).Error; err != nil {
			return err
		}
		return Audit(ctx, tx, AuditEvent{At: now, ActorID: &by.ID, Action: "preview_link_created", SubjectType: "document", SubjectID: d.ID,
			Revision: d.ApprovedRevision, Details: "for " + email})
	})
	if err != nil {
		return nil, "", fmt.Errorf("models: preview link: %w", err)
	}
	return l, token, nil
}

// OpenPreview resolves a preview token at now, logs the view, and returns the
// release's approved text under the content rule: once the release (or its
// original) is withdrawn, the link shows the withdrawal notice, not the text.
// Expired and revoked links are errors the page shows as
// 410 Gone.
func OpenPreview(ctx context.Context, db *gorm.DB, token, ip, userAgent string, now time.Time) (*PublicRelease, *PreviewLink, error) {
	var l PreviewLink
	if err := db.WithContext(ctx).First(&l, "token_hash = ?", HashSecret(token)).Error; err != nil {
		return nil, nil, fmt.Errorf("models: preview: %w", translate(err))
	}
	if l.RevokedAt != nil {
		return nil, &l, ErrPreviewRevoked
	}
	if !now.Before(l.ExpiresAt) {
		return nil, &l, ErrPreviewExpired
	}
	var out []PublicRelease
	err := releaseQuery(ctx, db).Where("documents.id = ? AND documents.approved_revision > 0", l.DocumentID).Scan(&out).Error
	if err != nil {
		return nil, nil, fmt.Errorf("models: preview: %w", err)
	}
	if len(out) == 0 {
		return nil, &l, fmt.Errorf("models: preview: %w", ErrNotFound)
	}
	if err := db.WithContext(ctx).Create(&PreviewView{LinkID: l.ID, ViewedAt: now, IP: ip, UserAgent: truncate(userAgent, 250)}).Error; err != nil {
		return nil, nil, fmt.Errorf("models: log preview view: %w", err)
	}
	return &out[0], &l, nil
}

// PreviewLinks lists a document's links with their views, newest first.
func PreviewLinks(ctx context.Context, db *gorm.DB, docID string) ([]PreviewLink, error) {
	var ls []PreviewLink
	err := db.WithContext(ctx).Preload("Views", func(q *gorm.DB) *gorm.DB { return q.Order("viewed_at DESC") }).
		Where("document_id = ?", docID).Order("created_at DESC").Find(&ls).Error
	if err != nil {
		return nil, fmt.Errorf("models: preview links: %w", err)
	}
	return ls, nil
}

// RevokePreviewLink revokes a link of a document, for the document kind's
// editors.
func RevokePreviewLink(ctx context.Context, db *gorm.DB, by *User, docID, linkID string, now time.Time) error {
	var d Document
	if err := db.WithContext(ctx).Select("id", "kind").First(&d, "id = ?", docID).Error; err != nil {
		return fmt.Errorf("models: revoke preview link: %w", translate(err))
	}
	if !CanEdit(by, d.Kind) {
		return fmt.Errorf("models: revoke preview link: %w", ErrWrongKind)
	}
	res := db.WithContext(ctx).Model(&PreviewLink{}).Where("id = ? AND document_id = ? AND revoked_at IS NULL", linkID, docID).Update("revoked_at", now)
	if res.Error != nil {
		return fmt.Errorf("models: revoke preview link: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("models: revoke preview link: %w", ErrNotFound)
	}
	return Audit(ctx, db, AuditEvent{At: now, ActorID: &by.ID, Action: "preview_link_revoked", SubjectType: "document", SubjectID: docID, Details: linkID})
}
