package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"pressroom/models/richtext"
)

// MediaKind says what a library item is: images are shown (and derived into
// sizes), documents are downloaded.
type MediaKind string

// The media kinds.
const (
	MediaImage    MediaKind = "image"
	MediaDocument MediaKind = "document"
)

// The variants of a library item. Every item has an original (for images,
// re-encoded without metadata); images also have the derived sizes.
const (
	VariantOriginal = "original"
	VariantThumb    = "thumb"
	VariantSocial   = "social"
	VariantLarge    = "large"
)

// ImageVariants are the sizes derived from every image, in display order.
var ImageVariants = []string{VariantThumb, VariantSocial, VariantLarge}

// Medium is one item of the media library. Its files live in the media store
// under content-addressed keys (see MediaVariant); the row holds everything a
// page needs to show or link it.
type Medium struct {
	ID           string `gorm:"primaryKey"`
	Kind         MediaKind
	Title        string
	Caption      string
	Credit       string
	AltText      string
	Licence      string
	Filename     string
	ContentType  string
	Bytes        int64
	Width        int
	Height       int
	ContentHash  string // SHA-256 of the stored original: the public name
	UploadedByID string
	UploadedAt   time.Time
	Variants     []MediaVariant `gorm:"foreignKey:MediaID"`
	UploadedBy   *User          `gorm:"foreignKey:UploadedByID"`
}

// TableName keeps the plural English.
func (Medium) TableName() string { return "media" }

// Variant returns the named variant, or nil.
func (m *Medium) Variant(name string) *MediaVariant {
	for i := range m.Variants {
		if m.Variants[i].Name == name {
			return &m.Variants[i]
		}
	}
	return nil
}

// PublicPath is the address a variant is served at: content-addressed, so it
// never changes meaning; it answers only once the item is public.
func (m *Medium) PublicPath(variant string) string {
	return "/media/" + m.ContentHash + "/" + variant
}

// IsImage reports whether the item is an image.
func (m *Medium) IsImage() bool { return m.Kind == MediaImage }

// TypeLabel is the short name of the file type people know: PDF, JPEG, PNG, WebP.
func (m *Medium) TypeLabel() string {
	switch m.ContentType {
	case "application/pdf":
		return "PDF"
	case "image/jpeg":
		return "JPEG"
	case "image/png":
		return "PNG"
	case "image/webp":
		return "WebP"
	}
	return m.ContentType
}

// DownloadLabel names the item as a download: "Report (PDF, 2.3 MB)".
func (m *Medium) DownloadLabel() string {
	return m.Title + " (" + m.TypeLabel() + ", " + m.SizeLabel() + ")"
}

// SizeLabel is the file's size as people read it: "2.3 MB", "480 KB".
func (m *Medium) SizeLabel() string { return HumanBytes(m.Bytes) }

// HumanBytes formats a byte count in decimal units, one decimal place from MB.
func HumanBytes(n int64) string {
	switch {
	case n >= 1_000_000_000:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1_000:
		return fmt.Sprintf("%d KB", (n+500)/1000)
	}
	return fmt.Sprintf("%d bytes", n)
}

// MediaVariant is one stored file of an item.
type MediaVariant struct {
	MediaID     string `gorm:"primaryKey"`
	Name        string `gorm:"primaryKey"`
	StorageKey  string
	ContentType string
	Bytes       int64
	Width       int
	Height      int
}

// Limits on the words of a library item.
const (
	MaxMediaTitle = 300
	MaxMediaText  = 2000
	// MaxAttachments bounds a release's downloads.
	MaxAttachments = 20
)

// MediumInput is the describing part of an upload.
type MediumInput struct {
	Title, Caption, Credit, AltText, Licence string
}

// Validate checks the words for an item of the given kind: alt text is
// required for images (a screen-reader user must learn what the photo shows),
// and a missing title falls back to the file name rather than refusing.
func (in *MediumInput) Validate(kind MediaKind, filename string) error {
	var v ValidationError
	in.Title, in.Caption, in.Credit = strings.TrimSpace(in.Title), strings.TrimSpace(in.Caption), strings.TrimSpace(in.Credit)
	in.AltText, in.Licence = strings.TrimSpace(in.AltText), strings.TrimSpace(in.Licence)
	if in.Title == "" {
		in.Title = strings.TrimSpace(strings.TrimSuffix(filename, fileExt(filename)))
	}
	if in.Title == "" {
		v.Add("title", "is required")
	}
	if len(in.Title) > MaxMediaTitle {
		v.Add("title", fmt.Sprintf("is longer than %d characters", MaxMediaTitle))
	}
	for f, s := range map[string]string{"caption": in.Caption, "credit": in.Credit, "alt_text": in.AltText, "licence": in.Licence} {
		if len(s) > MaxMediaText {
			v.Add(f, fmt.Sprintf("is longer than %d characters", MaxMediaText))
		}
	}
	if kind == MediaImage && in.AltText == "" {
		v.Add("alt_text", "is required for an image: describe what it shows for people who cannot see it")
	}
	return v.Err()
}

func fileExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[i:]
	}
	return ""
}

// CanUploadMedia reports whether a role may add to the media library: the
// people who write releases and alerts. Everyone signed in may read it.
func CanUploadMedia(u *User) bool {
	return u != nil && (u.Role == RoleAdmin || u.Role == RolePressOfficer || u.Role == RoleCampaigner)
}

// CreateMedium records an uploaded item and its stored variants (the files are
// already in the media store: a row never points at a missing file).
func CreateMedium(ctx context.Context, db *gorm.DB, by *User, in MediumInput, m *Medium, now time.Time) error {
	if !CanUploadMedia(by) {
		return fmt.Errorf("%w: your role may not upload media", ErrForbidden)
	}
	if err := in.Validate(m.Kind, m.Filename); err != nil {
		return err
	}
	m.ID = NewID()
	m.Title, m.Caption, m.Credit, m.AltText, m.Licence = in.Title, in.Caption, in.Credit, in.AltText, in.Licence
	m.UploadedByID, m.UploadedAt = by.ID, now
	for i := range m.Variants {
		m.Variants[i].MediaID = m.ID
	}
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Omit("Variants", "UploadedBy").Create(m).Error; err != nil {
			return err
		}
		if len(m.Variants) > 0 {
			if err := tx.Create(&m.Variants).Error; err != nil {
				return err
			}
		}
		return Audit(ctx, tx, AuditEvent{At: now, ActorID: &by.ID, Action: "media_uploaded", SubjectType: "media", SubjectID: m.ID,
			Comment: m.Title})
	})
	if err != nil {
		return fmt.Errorf("models: create medium: %w", err)
	}
	return nil
}

// MediumByID loads an item with its variants.
func MediumByID(ctx context.Context, db *gorm.DB, id string) (*Medium, error) {
	var m Medium
	if err := db.WithContext(ctx).Preload("Variants").Preload("UploadedBy").First(&m, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: medium %s: %w", id, translate(err))
	}
	return &m, nil
}

// MediaByIDs loads items with their variants in the order of ids, skipping
// ids that name nothing.
func MediaByIDs(ctx context.Context, db *gorm.DB, ids []string) ([]Medium, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var ms []Medium
	if err := db.WithContext(ctx).Preload("Variants").Where("id IN ?", ids).Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("models: media by ids: %w", err)
	}
	byID := map[string]Medium{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	out := make([]Medium, 0, len(ids))
	for _, id := range ids {
		if m, ok := byID[id]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// SearchMedia lists the library, newest first, narrowed by words in the title,
// caption or credit.
func SearchMedia(ctx context.Context, db *gorm.DB, q string, limit int) ([]Medium, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	tx := db.WithContext(ctx).Preload("Variants").Order("uploaded_at DESC, id").Limit(limit)
	for _, w := range strings.Fields(strings.ToLower(q)) {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(w) + "%"
		tx = tx.Where(`(LOWER(title) LIKE ? ESCAPE '\' OR LOWER(caption) LIKE ? ESCAPE '\' OR LOWER(credit) LIKE ? ESCAPE '\')`, like, like, like)
	}
	var ms []Medium
	if err := tx.Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("models: search media: %w", err)
	}
	return ms, nil
}

// MediaUse is one document that uses a library item in its current or its
// approved revision.
type MediaUse struct {
	DocumentID string
	Kind       Kind
	Status     Status
	Headline   string
	Role       string // lead | attachment | inline
}

// MediumUsedIn lists the releases and actions that use an item now: in the
// revision being edited or in the one approved (older revisions don't count).
func MediumUsedIn(ctx context.Context, db *gorm.DB, id string) ([]MediaUse, error) {
	var uses []MediaUse
	err := db.WithContext(ctx).Table("revision_media").
		Select("DISTINCT documents.id AS document_id, documents.kind, documents.status, cur.headline, revision_media.role").
		Joins("JOIN revisions ON revisions.id = revision_media.revision_id").
		Joins("JOIN documents ON documents.id = revisions.document_id AND (revisions.number = documents.current_revision OR revisions.number = documents.approved_revision)").
		Joins("JOIN revisions cur ON cur.document_id = documents.id AND cur.number = documents.current_revision").
		Where("revision_media.media_id = ?", id).Order("documents.id").Scan(&uses).Error
	if err != nil {
		return nil, fmt.Errorf("models: medium used in: %w", err)
	}
	return uses, nil
}

// validateMedia tidies a revision's media references: no blanks, no repeats,
// a bounded number of attachments. Whether they exist is checked when the
// revision is stored (Revision.AfterCreate).
func (c *Content) validateMedia(v *ValidationError) {
	c.LeadImageID = strings.TrimSpace(c.LeadImageID)
	seen := map[string]bool{}
	var ids []string
	for _, id := range c.AttachmentIDs {
		id = strings.TrimSpace(id)
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	c.AttachmentIDs = ids
	if len(ids) > MaxAttachments {
		v.Add("attachment_ids", fmt.Sprintf("has %d items; a release carries at most %d attachments", len(ids), MaxAttachments))
	}
}

// revisionMedium indexes one media reference of a revision (revision_media).
type revisionMedium struct {
	RevisionID string
	MediaID    string
	Role       string
	Position   int
}

func (revisionMedium) TableName() string { return "revision_media" }

// AfterCreate checks that the media a new revision names exist (the lead image
// being an image) and indexes them in revision_media, whichever path created
// the revision: the visibility rule for media reads that index.
func (r *Revision) AfterCreate(tx *gorm.DB) error {
	c := r.Content()
	inline := richtext.MediaRefs(c.Body)
	if c.LeadImageID == "" && len(c.AttachmentIDs) == 0 && len(inline) == 0 {
		return nil
	}
	db := tx.Session(&gorm.Session{NewDB: true})
	ids := append(append([]string{}, c.AttachmentIDs...), inline...)
	if c.LeadImageID != "" {
		ids = append(ids, c.LeadImageID)
	}
	var found []Medium
	if err := db.Select("id", "kind").Where("id IN ?", ids).Find(&found).Error; err != nil {
		return fmt.Errorf("models: revision media: %w", err)
	}
	kinds := map[string]MediaKind{}
	for _, m := range found {
		kinds[m.ID] = m.Kind
	}
	var v ValidationError
	var rows []revisionMedium
	if c.LeadImageID != "" {
		switch k, ok := kinds[c.LeadImageID]; {
		case !ok:
			v.Add("lead_image_id", "is not an item of the media library")
		case k != MediaImage:
			v.Add("lead_image_id", "is a document, not an image; attach it instead")
		}
		rows = append(rows, revisionMedium{RevisionID: r.ID, MediaID: c.LeadImageID, Role: "lead"})
	}
	for i, id := range c.AttachmentIDs {
		if _, ok := kinds[id]; !ok {
			v.Add("attachment_ids", fmt.Sprintf("%q is not an item of the media library", id))
		}
		rows = append(rows, revisionMedium{RevisionID: r.ID, MediaID: id, Role: "attachment", Position: i})
	}
	// Images in the body are indexed too, so the one visibility rule serves
	// them exactly while the release is public.
	for i, id := range inline {
		switch k, ok := kinds[id]; {
		case !ok:
			v.Add("body", fmt.Sprintf("the image media:%s is not an item of the media library", id))
		case k != MediaImage:
			v.Add("body", fmt.Sprintf("media:%s is a document, not an image; attach it instead", id))
		}
		rows = append(rows, revisionMedium{RevisionID: r.ID, MediaID: id, Role: "inline", Position: i})
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := db.Create(&rows).Error; err != nil {
		return fmt.Errorf("models: revision media: %w", err)
	}
	return nil
}

// RevisionMedia loads a revision's lead image (nil when none) and
// attachments, in order.
func RevisionMedia(ctx context.Context, db *gorm.DB, r *Revision) (*Medium, []Medium, error) {
	c := r.Content()
	var lead *Medium
	if c.LeadImageID != "" {
		ms, err := MediaByIDs(ctx, db, []string{c.LeadImageID})
		if err != nil {
			return nil, nil, err
		}
		if len(ms) == 1 {
			lead = &ms[0]
		}
	}
	att, err := MediaByIDs(ctx, db, c.AttachmentIDs)
	if err != nil {
		return nil, nil, err
	}
	return lead, att, nil
}

// PublicReleaseMedia loads the media of what the public sees of a release:
// its approved revision's, and nothing for a withdrawn release (whose text is
// gone from every surface, and its photos with it).
func PublicReleaseMedia(ctx context.Context, db *gorm.DB, p *PublicRelease) (*Medium, []Medium, error) {
	if p.Withdrawn() || p.ApprovedRevision == 0 {
		return nil, nil, nil
	}
	rev, err := RevisionByNumber(ctx, db, p.ID, p.ApprovedRevision)
	if err != nil {
		return nil, nil, err
	}
	return RevisionMedia(ctx, db, rev)
}

// MediaByHash loads the items stored under a content hash (normally one; the
// same file uploaded twice is two items sharing their files).
func MediaByHash(ctx context.Context, db *gorm.DB, hash string) ([]Medium, error) {
	var ms []Medium
	if err := db.WithContext(ctx).Preload("Variants").Where("content_hash = ?", hash).Order("uploaded_at, id").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("models: media by hash: %w", err)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("models: media %s: %w", hash, ErrNotFound)
	}
	return ms, nil
}

// PublicMediumByHash is the visibility rule for media: a file is public when
// some publicly visible, not withdrawn release shows it in its approved
// revision — the same rule, in the same SQL, as the release pages. A file used
// only by drafts, releases in review, embargoed or withdrawn releases, or by
// nothing, is ErrNotFound: not even its existence is public.
func PublicMediumByHash(ctx context.Context, db *gorm.DB, hash string, now time.Time) (*Medium, error) {
	vis, args := visibleSQL("documents", originalsAlias, now)
	var ids []string
	err := db.WithContext(ctx).Table("revision_media").Select("media.id").
		Joins("JOIN media ON media.id = revision_media.media_id").
		Joins("JOIN revisions ON revisions.id = revision_media.revision_id").
		Joins("JOIN documents ON documents.id = revisions.document_id AND documents.approved_revision = revisions.number").
		Joins("LEFT JOIN documents "+originalsAlias+" ON "+originalsAlias+".id = documents.original_id").
		Where("media.content_hash = ?", hash).
		Where(vis, args...).
		Where("NOT "+withdrawnSQL("documents", originalsAlias)).
		Limit(1).Pluck("media.id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("models: public medium: %w", err)
	}
	if len(ids) == 0 {
		// The newsroom's logo and default social image are public once an
		// admin chooses them: they are on every page.
		err := db.WithContext(ctx).Table("media").Select("media.id").
			Where("media.content_hash = ? AND media.id IN (SELECT value FROM settings WHERE key IN ?)", hash, []string{settingLogoID, settingSocialImageID}).
			Limit(1).Pluck("media.id", &ids).Error
		if err != nil {
			return nil, fmt.Errorf("models: public medium: %w", err)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("models: public medium %s: %w", hash, ErrNotFound)
	}
	return MediumByID(ctx, db, ids[0])
}

// SignedMediumByHash is the rule for a signed media URL, which opens a file
// before it is public: only while the release the URL was made for (docID)
// shows the file in its approved revision and is not withdrawn (nor a
// translation of a withdrawn original), and, for a URL shown through a
// preview link (linkID, "" for none), while that link of that release is not
// revoked. A signature is handed to people outside the organisation (embargo
// preview readers), so it must stop working when the release is withdrawn,
// its photo replaced or the reader's link revoked, not when it happens to
// expire.
func SignedMediumByHash(ctx context.Context, db *gorm.DB, hash, docID, linkID string) (*Medium, error) {
	var ids []string
	q := db.WithContext(ctx).Table("revision_media").Select("media.id").
		Joins("JOIN media ON media.id = revision_media.media_id").
		Joins("JOIN revisions ON revisions.id = revision_media.revision_id").
		Joins("JOIN documents ON documents.id = revisions.document_id AND documents.approved_revision = revisions.number").
		Joins("LEFT JOIN documents "+originalsAlias+" ON "+originalsAlias+".id = documents.original_id").
		Where("media.content_hash = ? AND documents.id = ?", hash, docID).
		Where("NOT " + withdrawnSQL("documents", originalsAlias))
	if linkID != "" {
		q = q.Where("EXISTS (SELECT 1 FROM preview_links WHERE preview_links.id = ? AND preview_links.document_id = documents.id AND preview_links.revoked_at IS NULL)", linkID)
	}
	err := q.Limit(1).Pluck("media.id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("models: signed medium: %w", err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("models: signed medium %s: %w", hash, ErrNotFound)
	}
	return MediumByID(ctx, db, ids[0])
}

// InlineImages loads the library images a body's Markdown names
// (![alt](media:ID)), by id; documents and unknown ids are left out.
func InlineImages(ctx context.Context, db *gorm.DB, body string) (map[string]*Medium, error) {
	refs := richtext.MediaRefs(body)
	if len(refs) == 0 {
		return nil, nil
	}
	ms, err := MediaByIDs(ctx, db, refs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Medium, len(ms))
	for i := range ms {
		if ms[i].IsImage() {
			out[ms[i].ID] = &ms[i]
		}
	}
	return out, nil
}

// InlineResolver resolves a body's library images for one surface: the large
// web size at the URL url gives for it (public, signed or staff-only), scaled
// down to maxWidth when that is narrower (0: as stored), with the library's
// alt text.
func InlineResolver(imgs map[string]*Medium, url func(m *Medium, variant string) string, maxWidth int) richtext.ImageResolver {
	return func(id string) (richtext.Image, bool) {
		m := imgs[id]
		if m == nil {
			return richtext.Image{}, false
		}
		v := m.Variant(VariantLarge)
		if v == nil || v.Width == 0 {
			return richtext.Image{}, false
		}
		w, h := v.Width, v.Height
		if maxWidth > 0 && w > maxWidth {
			w, h = maxWidth, v.Height*maxWidth/v.Width
		}
		return richtext.Image{Src: url(m, VariantLarge), Width: w, Height: h, Alt: m.AltText}, true
	}
}
