package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MediaContact is a journalist the press office sends releases to. Beats,
// countries and languages are stored as comma lists (see joinList) so one LIKE
// works on both dialects.
type MediaContact struct {
	ID           string `gorm:"primaryKey"`
	Email        string // lower-cased; unique
	EmailHash    string
	Name         string
	Outlet       string
	Role         string
	Beats        string
	Countries    string
	Languages    string
	Phone        string
	Notes        string
	DoNotContact bool
	// NewsroomStatus is "" for a contact the press office added, else where
	// their own subscription on the newsroom stands: pending (never mailed
	// until they confirm), subscribed or unsubscribed.
	NewsroomStatus string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// ContactInput is what staff may set on a media contact. DoNotContact is a
// pointer: nil leaves the flag as it is.
type ContactInput struct {
	Email        string
	Name         string
	Outlet       string
	Role         string
	Beats        string
	Countries    string
	Languages    string
	Phone        string
	Notes        string
	DoNotContact *bool
}

func (in *ContactInput) normalize() {
	in.Email = NormalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	in.Outlet = strings.TrimSpace(in.Outlet)
	in.Role = strings.TrimSpace(in.Role)
	in.Beats = normalizeLower(in.Beats)
	in.Countries = normalizeCodes(in.Countries)
	in.Languages = normalizeLower(in.Languages)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Notes = strings.TrimSpace(in.Notes)
}

// Validate normalises and checks the input without touching the database.
func (in *ContactInput) Validate() error {
	in.normalize()
	var v ValidationError
	if !ValidEmail(in.Email) {
		v.Add("email", "is not a valid address")
	}
	if len(in.Name) > 200 {
		v.Add("name", "is too long")
	}
	return v.Err()
}

// CreateContact stores a new media contact.
func CreateContact(ctx context.Context, db *gorm.DB, in ContactInput) (*MediaContact, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	now := db.NowFunc().UTC()
	c := &MediaContact{ID: NewID(), Email: in.Email, EmailHash: EmailHash(in.Email), Name: in.Name, Outlet: in.Outlet, Role: in.Role,
		Beats: in.Beats, Countries: in.Countries, Languages: in.Languages, Phone: in.Phone, Notes: in.Notes,
		DoNotContact: in.DoNotContact != nil && *in.DoNotContact, CreatedAt: now, UpdatedAt: now}
	if err := db.WithContext(ctx).Create(c).Error; err != nil {
		return nil, fmt.Errorf("models: create contact: %w", translate(err))
	}
	return c, nil
}

// UpdateContact changes a contact. Setting do-not-contact is anyone's right who
// edits contacts; clearing it is an admin decision (a journalist asked not to be
// contacted), so canClearDNC must be true to lift it.
func UpdateContact(ctx context.Context, db *gorm.DB, id string, in ContactInput, canClearDNC bool) (*MediaContact, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *MediaContact
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		c, err := ContactByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.DoNotContact != nil && c.DoNotContact && !*in.DoNotContact && !canClearDNC {
			return &ValidationError{Fields: map[string]string{"do_not_contact": "can only be cleared by an admin"}}
		}
		c.Email, c.EmailHash, c.Name, c.Outlet, c.Role = in.Email, EmailHash(in.Email), in.Name, in.Outlet, in.Role
		c.Beats, c.Countries, c.Languages, c.Phone, c.Notes = in.Beats, in.Countries, in.Languages, in.Phone, in.Notes
		if in.DoNotContact != nil {
			c.DoNotContact = *in.DoNotContact
		}
		c.UpdatedAt = tx.NowFunc().UTC()
		if err := tx.Save(c).Error; err != nil {
			return translate(err)
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("models: update contact: %w", err)
	}
	return out, nil
}

// ContactByID loads one contact.
func ContactByID(ctx context.Context, db *gorm.DB, id string) (*MediaContact, error) {
	var c MediaContact
	if err := db.WithContext(ctx).First(&c, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: contact by id: %w", translate(err))
	}
	return &c, nil
}

// MediaFilter selects media contacts: by free text, and by any of the listed
// beats, countries, languages, outlets and list memberships (OR within a field,
// AND across fields). It is what a saved media segment stores, as JSON.
type MediaFilter struct {
	Q         string   `json:"q,omitempty"`
	Beats     []string `json:"beats,omitempty"`
	Countries []string `json:"countries,omitempty"`
	Languages []string `json:"languages,omitempty"`
	Outlets   []string `json:"outlets,omitempty"`
	ListIDs   []string `json:"list_ids,omitempty"`
	// Sendable drops do-not-contact and suppressed contacts: what a send uses.
	Sendable bool `json:"-"`
}

// anyOf ORs one condition per value.
func anyOf(q *gorm.DB, db *gorm.DB, cond string, values []string, arg func(string) any) *gorm.DB {
	if len(values) == 0 {
		return q
	}
	or := db.Session(&gorm.Session{NewDB: true})
	for i, v := range values {
		if i == 0 {
			or = or.Where(cond, arg(v))
		} else {
			or = or.Or(cond, arg(v))
		}
	}
	return q.Where(or)
}

// Apply narrows a query on media_contacts.
func (f MediaFilter) Apply(q *gorm.DB) *gorm.DB {
	if s := strings.TrimSpace(f.Q); s != "" {
		p := likePattern(s)
		q = q.Where("(LOWER(media_contacts.email) LIKE ? ESCAPE '\\' OR LOWER(media_contacts.name) LIKE ? ESCAPE '\\' OR LOWER(media_contacts.outlet) LIKE ? ESCAPE '\\')", p, p, p)
	}
	q = anyOf(q, q, listContains("media_contacts.beats"), splitAll(f.Beats, strings.ToLower), func(v string) any { return listPattern(v) })
	q = anyOf(q, q, listContains("media_contacts.countries"), splitAll(f.Countries, strings.ToUpper), func(v string) any { return listPattern(v) })
	q = anyOf(q, q, listContains("media_contacts.languages"), splitAll(f.Languages, strings.ToLower), func(v string) any { return listPattern(v) })
	q = anyOf(q, q, "LOWER(media_contacts.outlet) = ?", splitAll(f.Outlets, strings.ToLower), func(v string) any { return v })
	if len(f.ListIDs) > 0 {
		q = q.Where("media_contacts.id IN (SELECT contact_id FROM media_list_members WHERE list_id IN ?)", f.ListIDs)
	}
	if f.Sendable {
		q = q.Where("media_contacts.do_not_contact = ? AND media_contacts.newsroom_status <> ?", false, NewsroomPending).Where(NotSuppressedSQL("media_contacts.email_hash"))
	}
	return q
}

// splitAll cleans filter values typed in one box or sent as several.
func splitAll(vs []string, fold func(string) string) []string {
	return splitList(strings.Join(vs, ","), fold)
}

// Contacts lists contacts matching f ordered by email, limit at a time after the
// email `after` (keyset pagination).
func Contacts(ctx context.Context, db *gorm.DB, f MediaFilter, limit int, after string) ([]MediaContact, error) {
	q := f.Apply(db.WithContext(ctx).Model(&MediaContact{})).Order(addressOrder("media_contacts.email", f.Q))
	if after != "" {
		q = q.Where("media_contacts.email > ?", after)
	}
	if limit > 0 {
		q = q.Limit(limit)
	}
	var cs []MediaContact
	if err := q.Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("models: contacts: %w", err)
	}
	return cs, nil
}

// CountContacts counts contacts matching f.
func CountContacts(ctx context.Context, db *gorm.DB, f MediaFilter) (int64, error) {
	var n int64
	if err := f.Apply(db.WithContext(ctx).Model(&MediaContact{})).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("models: count contacts: %w", err)
	}
	return n, nil
}

// MediaList is a static, hand-curated list of contacts.
type MediaList struct {
	ID          string `gorm:"primaryKey"`
	Name        string
	Description string
	CreatedAt   time.Time
}

// ListWithCount is a list and how many people are on it.
type ListWithCount struct {
	ID          string
	Name        string
	Description string
	CreatedAt   time.Time
	Members     int64
}

func validListName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", &ValidationError{Fields: map[string]string{"name": "is required"}}
	}
	if len(name) > 200 {
		return "", &ValidationError{Fields: map[string]string{"name": "is too long"}}
	}
	return name, nil
}

// CreateMediaList stores a new, empty list. Names are unique (ErrConflict).
func CreateMediaList(ctx context.Context, db *gorm.DB, name, description string) (*MediaList, error) {
	name, err := validListName(name)
	if err != nil {
		return nil, err
	}
	l := &MediaList{ID: NewID(), Name: name, Description: strings.TrimSpace(description), CreatedAt: db.NowFunc().UTC()}
	if err := db.WithContext(ctx).Create(l).Error; err != nil {
		return nil, fmt.Errorf("models: create media list: %w", translate(err))
	}
	return l, nil
}

// MediaListByID loads one list.
func MediaListByID(ctx context.Context, db *gorm.DB, id string) (*MediaList, error) {
	var l MediaList
	if err := db.WithContext(ctx).First(&l, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: media list by id: %w", translate(err))
	}
	return &l, nil
}

// MediaLists lists every media list with its member count, by name.
func MediaLists(ctx context.Context, db *gorm.DB) ([]ListWithCount, error) {
	var ls []ListWithCount
	err := db.WithContext(ctx).Table("media_lists AS l").
		Select("l.id, l.name, l.description, l.created_at, (SELECT COUNT(*) FROM media_list_members m WHERE m.list_id = l.id) AS members").
		Order("l.name").Scan(&ls).Error
	if err != nil {
		return nil, fmt.Errorf("models: media lists: %w", err)
	}
	return ls, nil
}

// MediaListMember records a contact on a list.
type MediaListMember struct {
	ListID    string `gorm:"primaryKey"`
	ContactID string `gorm:"primaryKey"`
	AddedAt   time.Time
}

// AddContactsToList puts contacts on a list; those already on it are left alone.
func AddContactsToList(ctx context.Context, db *gorm.DB, listID string, contactIDs []string) error {
	if len(contactIDs) == 0 {
		return nil
	}
	now := db.NowFunc().UTC()
	rows := make([]MediaListMember, 0, len(contactIDs))
	for _, id := range contactIDs {
		rows = append(rows, MediaListMember{ListID: listID, ContactID: id, AddedAt: now})
	}
	err := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 1000).Error
	if err != nil {
		return fmt.Errorf("models: add contacts to list: %w", translate(err))
	}
	return nil
}

// RemoveContactFromList takes one contact off a list.
func RemoveContactFromList(ctx context.Context, db *gorm.DB, listID, contactID string) error {
	if err := db.WithContext(ctx).Where("list_id = ? AND contact_id = ?", listID, contactID).Delete(&MediaListMember{}).Error; err != nil {
		return fmt.Errorf("models: remove contact from list: %w", err)
	}
	return nil
}

// ContactListIDs lists the ids of the lists a contact is on.
func ContactListIDs(ctx context.Context, db *gorm.DB, contactID string) ([]string, error) {
	var ids []string
	if err := db.WithContext(ctx).Model(&MediaListMember{}).Where("contact_id = ?", contactID).Pluck("list_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("models: contact lists: %w", err)
	}
	return ids, nil
}

// Segment is a saved filter over one audience: it is evaluated when used, so it
// always reflects the current contacts or supporters.
type Segment struct {
	ID        string `gorm:"primaryKey"`
	Audience  Audience
	Name      string
	Filter    string // JSON of MediaFilter or SupporterFilter
	CreatedBy *string
	CreatedAt time.Time
}

// CreateSegment saves a named filter (a MediaFilter or SupporterFilter).
func CreateSegment(ctx context.Context, db *gorm.DB, audience Audience, name string, filter any, actorID *string) (*Segment, error) {
	name, err := validListName(name)
	if err != nil {
		return nil, err
	}
	if sf, ok := filter.(SupporterFilter); ok {
		if err := sf.Validate(); err != nil {
			return nil, err
		}
	}
	b, err := json.Marshal(filter)
	if err != nil {
		return nil, fmt.Errorf("models: create segment: %w", err)
	}
	s := &Segment{ID: NewID(), Audience: audience, Name: name, Filter: string(b), CreatedBy: actorID, CreatedAt: db.NowFunc().UTC()}
	if err := db.WithContext(ctx).Create(s).Error; err != nil {
		return nil, fmt.Errorf("models: create segment: %w", translate(err))
	}
	return s, nil
}

// SegmentByID loads a segment of an audience.
func SegmentByID(ctx context.Context, db *gorm.DB, audience Audience, id string) (*Segment, error) {
	var s Segment
	if err := db.WithContext(ctx).First(&s, "id = ? AND audience = ?", id, audience).Error; err != nil {
		return nil, fmt.Errorf("models: segment by id: %w", translate(err))
	}
	return &s, nil
}

// Segments lists an audience's segments by name.
func Segments(ctx context.Context, db *gorm.DB, audience Audience) ([]Segment, error) {
	var ss []Segment
	if err := db.WithContext(ctx).Where("audience = ?", audience).Order("name").Find(&ss).Error; err != nil {
		return nil, fmt.Errorf("models: segments: %w", err)
	}
	return ss, nil
}

// DeleteSegment removes a saved segment.
func DeleteSegment(ctx context.Context, db *gorm.DB, audience Audience, id string) error {
	res := db.WithContext(ctx).Where("id = ? AND audience = ?", id, audience).Delete(&Segment{})
	if res.Error != nil {
		return fmt.Errorf("models: delete segment: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("models: delete segment: %w", ErrNotFound)
	}
	return nil
}

// MediaFilter decodes a media segment's filter.
func (s *Segment) MediaFilter() MediaFilter {
	var f MediaFilter
	_ = json.Unmarshal([]byte(s.Filter), &f)
	return f
}

// SupporterFilter decodes a supporter segment's filter.
func (s *Segment) SupporterFilter() SupporterFilter {
	var f SupporterFilter
	_ = json.Unmarshal([]byte(s.Filter), &f)
	return f
}

// addressOrder orders a list by an address column. With a text search it orders
// by an expression PostgreSQL cannot read from the address index: otherwise the
// planner walks that index in order hoping to fill a page, reading all 100,000
// rows when the words match a dozen, instead of asking the trigram indexes.
func addressOrder(column, q string) string {
	if strings.TrimSpace(q) == "" {
		return column
	}
	return column + " || ''"
}
