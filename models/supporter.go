package models

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SupporterStatus is where a supporter stands: only subscribed supporters are
// mailed, and only when not suppressed.
type SupporterStatus string

// Supporter statuses.
const (
	StatusPending      SupporterStatus = "pending"
	StatusSubscribed   SupporterStatus = "subscribed"
	StatusUnsubscribed SupporterStatus = "unsubscribed"
	StatusBounced      SupporterStatus = "bounced"
	StatusComplained   SupporterStatus = "complained"
)

// SupporterStatuses lists every status, in the order the UI offers them.
func SupporterStatuses() []SupporterStatus {
	return []SupporterStatus{StatusPending, StatusSubscribed, StatusUnsubscribed, StatusBounced, StatusComplained}
}

// Valid reports whether s is a known status.
func (s SupporterStatus) Valid() bool { return slices.Contains(SupporterStatuses(), s) }

// ConsentWordingVersion names the wording of the subscribe form currently shown;
// every consent record stores the version the person agreed to. Change it
// whenever ConsentWording changes.
const ConsentWordingVersion = "2026-07-v1"

// ConsentWording is the sentence next to the subscribe button.
const ConsentWording = "Yes, email me urgent actions, petitions and campaign news. I can unsubscribe at any time with one click."

// ConfirmationTTL is how long a double opt-in link stays valid.
const ConfirmationTTL = 7 * 24 * time.Hour

// Supporter is a member of the public on the mailing lists. Erasure clears every
// personal field and the address; the row stays (with its hash) so aggregate
// counts keep adding up.
type Supporter struct {
	ID            string `gorm:"primaryKey"`
	Email         *string
	EmailHash     string
	Name          string
	Country       string
	Language      string
	Tags          string
	Source        string
	Status        SupporterStatus
	Topics        string
	Frequency     string
	LastEngagedAt *time.Time
	ErasedAt      *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Address is the supporter's email, or "" once erased.
func (s Supporter) Address() string {
	if s.Email == nil {
		return ""
	}
	return *s.Email
}

// Consent actions recorded in consent_records.
const (
	ConsentRequested   = "subscribe_requested"
	ConsentConfirmed   = "confirmed"
	ConsentImported    = "imported"
	ConsentUnsubscribe = "unsubscribed"
	ConsentPreferences = "preferences_changed"
	ConsentErased      = "erased"
)

// ConsentRecord is one change to a supporter's consent. Rows are only ever
// appended; erasure is the one exception, scrubbing the IP address.
type ConsentRecord struct {
	ID             string `gorm:"primaryKey"`
	SupporterID    string
	At             time.Time
	Action         string
	Status         SupporterStatus
	Source         string
	IP             string
	WordingVersion string
	ActorID        *string
}

func consent(sup *Supporter, at time.Time, action, source, ip string, actorID *string) ConsentRecord {
	return ConsentRecord{ID: NewID(), SupporterID: sup.ID, At: at, Action: action, Status: sup.Status, Source: source, IP: ip,
		WordingVersion: ConsentWordingVersion, ActorID: actorID}
}

// SupporterList is a static list of supporters.
type SupporterList struct {
	ID          string `gorm:"primaryKey"`
	Name        string
	Description string
	CreatedAt   time.Time
}

// SupporterListMember records a supporter on a list.
type SupporterListMember struct {
	ListID      string `gorm:"primaryKey"`
	SupporterID string `gorm:"primaryKey"`
	AddedAt     time.Time
}

// SubscriptionToken is a pending double opt-in: only its hash is stored.
type SubscriptionToken struct {
	TokenHash   string `gorm:"primaryKey"`
	SupporterID string
	ListID      *string
	Source      string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      *time.Time
}

// CreateSupporterList stores a new, empty list. Names are unique (ErrConflict).
func CreateSupporterList(ctx context.Context, db *gorm.DB, name, description string) (*SupporterList, error) {
	name, err := validListName(name)
	if err != nil {
		return nil, err
	}
	l := &SupporterList{ID: NewID(), Name: name, Description: strings.TrimSpace(description), CreatedAt: db.NowFunc().UTC()}
	if err := db.WithContext(ctx).Create(l).Error; err != nil {
		return nil, fmt.Errorf("models: create supporter list: %w", translate(err))
	}
	return l, nil
}

// SupporterListByID loads one list.
func SupporterListByID(ctx context.Context, db *gorm.DB, id string) (*SupporterList, error) {
	var l SupporterList
	if err := db.WithContext(ctx).First(&l, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: supporter list by id: %w", translate(err))
	}
	return &l, nil
}

// SupporterLists lists every supporter list with its member count, by name.
func SupporterLists(ctx context.Context, db *gorm.DB) ([]ListWithCount, error) {
	var ls []ListWithCount
	err := db.WithContext(ctx).Table("supporter_lists AS l").
		Select("l.id, l.name, l.description, l.created_at, (SELECT COUNT(*) FROM supporter_list_members m WHERE m.list_id = l.id) AS members").
		Order("l.name").Scan(&ls).Error
	if err != nil {
		return nil, fmt.Errorf("models: supporter lists: %w", err)
	}
	return ls, nil
}

// AddSupportersToList puts supporters on a list; those already on it stay.
func AddSupportersToList(ctx context.Context, db *gorm.DB, listID string, supporterIDs []string) error {
	if len(supporterIDs) == 0 {
		return nil
	}
	now := db.NowFunc().UTC()
	rows := make([]SupporterListMember, 0, len(supporterIDs))
	for _, id := range supporterIDs {
		rows = append(rows, SupporterListMember{ListID: listID, SupporterID: id, AddedAt: now})
	}
	if err := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 1000).Error; err != nil {
		return fmt.Errorf("models: add supporters to list: %w", translate(err))
	}
	return nil
}

// SupporterByID loads one supporter.
func SupporterByID(ctx context.Context, db *gorm.DB, id string) (*Supporter, error) {
	var s Supporter
	if err := db.WithContext(ctx).First(&s, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: supporter by id: %w", translate(err))
	}
	return &s, nil
}

// SupporterByEmail loads a supporter by address, case-insensitively.
func SupporterByEmail(ctx context.Context, db *gorm.DB, email string) (*Supporter, error) {
	var s Supporter
	if err := db.WithContext(ctx).First(&s, "email = ?", NormalizeEmail(email)).Error; err != nil {
		return nil, fmt.Errorf("models: supporter by email: %w", translate(err))
	}
	return &s, nil
}

// SupporterFilter selects supporters: OR within a field, AND across fields. It
// is what a saved supporter segment stores, as JSON, so new criteria are new
// fields: SignedPetitionIDs keeps supporters with a confirmed signature on
// any of the petitions; TookActionIDs is reserved for actions (Validate
// refuses it until that table exists; Apply is the one place that maps a
// field onto SQL).
type SupporterFilter struct {
	Q                 string            `json:"q,omitempty"`
	Statuses          []SupporterStatus `json:"statuses,omitempty"`
	Countries         []string          `json:"countries,omitempty"`
	Languages         []string          `json:"languages,omitempty"`
	Tags              []string          `json:"tags,omitempty"`
	ListIDs           []string          `json:"list_ids,omitempty"`
	EngagedWithinDays int               `json:"engaged_within_days,omitempty"`
	SignedPetitionIDs []string          `json:"signed_petition_ids,omitempty"`
	TookActionIDs     []string          `json:"took_action_ids,omitempty"`
	// Sendable keeps only subscribed, unsuppressed supporters: what a send uses.
	Sendable bool `json:"-"`
}

// Validate checks the filter's values.
func (f SupporterFilter) Validate() error {
	var v ValidationError
	for _, s := range f.Statuses {
		if !s.Valid() {
			v.Add("status", "is not a known status")
		}
	}
	if f.EngagedWithinDays < 0 || f.EngagedWithinDays > 3650 {
		v.Add("engaged_within_days", "must be from 0 to 3650")
	}
	if len(f.TookActionIDs) > 0 {
		v.Add("took_action_ids", "action filters are not available yet")
	}
	return v.Err()
}

// Apply narrows a query on supporters. Erased supporters never match.
func (f SupporterFilter) Apply(q *gorm.DB) *gorm.DB {
	q = q.Where("supporters.erased_at IS NULL")
	if s := strings.TrimSpace(f.Q); s != "" {
		p := likePattern(s)
		q = q.Where("(supporters.email LIKE ? ESCAPE '\\' OR LOWER(supporters.name) LIKE ? ESCAPE '\\')", p, p)
	}
	if len(f.Statuses) > 0 {
		q = q.Where("supporters.status IN ?", f.Statuses)
	}
	q = anyOf(q, q, "supporters.country = ?", splitAll(f.Countries, strings.ToUpper), func(v string) any { return v })
	q = anyOf(q, q, "supporters.language = ?", splitAll(f.Languages, strings.ToLower), func(v string) any { return v })
	q = anyOf(q, q, listContains("supporters.tags"), splitAll(f.Tags, strings.ToLower), func(v string) any { return listPattern(v) })
	if len(f.ListIDs) > 0 {
		q = q.Where("supporters.id IN (SELECT supporter_id FROM supporter_list_members WHERE list_id IN ?)", f.ListIDs)
	}
	if len(f.SignedPetitionIDs) > 0 {
		// Opt-in signers are linked by id; others who are supporters anyway
		// match by the address they signed with.
		q = q.Where("(supporters.id IN (SELECT supporter_id FROM signatures WHERE petition_id IN ? AND state = 'confirmed' AND supporter_id IS NOT NULL)"+
			" OR supporters.email IN (SELECT email FROM signatures WHERE petition_id IN ? AND state = 'confirmed' AND email IS NOT NULL))", f.SignedPetitionIDs, f.SignedPetitionIDs)
	}
	if f.EngagedWithinDays > 0 {
		since := q.NowFunc().UTC().Add(-time.Duration(f.EngagedWithinDays) * 24 * time.Hour)
		q = q.Where("supporters.last_engaged_at >= ?", since)
	}
	if f.Sendable {
		q = q.Where("supporters.status = ?", StatusSubscribed).Where(NotSuppressedSQL("supporters.email_hash"))
	}
	return q
}

// Supporters lists supporters matching f by email, limit at a time after the
// email `after` (keyset pagination).
func Supporters(ctx context.Context, db *gorm.DB, f SupporterFilter, limit int, after string) ([]Supporter, error) {
	q := f.Apply(db.WithContext(ctx).Model(&Supporter{})).Order(addressOrder("supporters.email", f.Q))
	if after != "" {
		q = q.Where("supporters.email > ?", after)
	}
	if limit > 0 {
		q = q.Limit(limit)
	}
	var ss []Supporter
	if err := q.Find(&ss).Error; err != nil {
		return nil, fmt.Errorf("models: supporters: %w", err)
	}
	return ss, nil
}

// CountSupporters counts supporters matching f.
func CountSupporters(ctx context.Context, db *gorm.DB, f SupporterFilter) (int64, error) {
	var n int64
	if err := f.Apply(db.WithContext(ctx).Model(&Supporter{})).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("models: count supporters: %w", err)
	}
	return n, nil
}

// SupporterInput is what staff may edit on a supporter. Status and consent are
// not here: they change only through the supporter's own actions.
type SupporterInput struct {
	Name     string
	Country  string
	Language string
	Tags     string
}

// UpdateSupporter edits a supporter's profile.
func UpdateSupporter(ctx context.Context, db *gorm.DB, id string, in SupporterInput) error {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	in.Language = strings.ToLower(strings.TrimSpace(in.Language))
	if len(in.Name) > 200 {
		v.Add("name", "is too long")
	}
	if len(in.Country) > 3 {
		v.Add("country", "must be a country code such as GB")
	}
	if len(in.Language) > 12 {
		v.Add("language", "must be a language code such as en")
	}
	if err := v.Err(); err != nil {
		return err
	}
	res := db.WithContext(ctx).Model(&Supporter{}).Where("id = ? AND erased_at IS NULL", id).Updates(map[string]any{
		"name": in.Name, "country": in.Country, "language": in.Language, "tags": NormalizeTags(in.Tags), "updated_at": db.NowFunc().UTC()})
	if res.Error != nil {
		return fmt.Errorf("models: update supporter: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("models: update supporter: %w", ErrNotFound)
	}
	return nil
}

// ConsentRecords lists a supporter's consent history, oldest first.
func ConsentRecords(ctx context.Context, db *gorm.DB, supporterID string) ([]ConsentRecord, error) {
	var rs []ConsentRecord
	if err := db.WithContext(ctx).Where("supporter_id = ?", supporterID).Order("at, id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("models: consent records: %w", err)
	}
	return rs, nil
}

// SubscribeInput is a public subscribe request.
type SubscribeInput struct {
	Email    string
	Name     string
	Country  string
	Language string
	ListID   string
	Source   string // e.g. "subscribe_form", "api"
	IP       string
}

// SubscribeResult says what RequestSubscription did. Token is set when a
// confirmation email must be sent (inside the same transaction).
type SubscribeResult struct {
	Supporter *Supporter
	Token     string
}

// CheckSubscribeInput normalises a signup's address, name and country and
// reports every problem with them at once (no database needed, so a form can
// show them beside its other checks).
func CheckSubscribeInput(in *SubscribeInput) ValidationError {
	var v ValidationError
	in.Email = NormalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	in.Language = strings.ToLower(strings.TrimSpace(in.Language))
	if !ValidEmail(in.Email) {
		v.Add("email", "is not a valid address")
	}
	if len(in.Name) > 200 {
		v.Add("name", "is too long")
	}
	if in.Country != "" && !ValidCountry(in.Country) {
		v.Add("country", "must be a country code such as GB")
	}
	return v
}

// RequestSubscription starts double opt-in. A new address becomes a pending
// supporter; a pending, unsubscribed or bounced one keeps its status until it
// confirms (re-subscribing always needs a fresh confirmation). Subscribed
// addresses, and addresses suppressed for a complaint, a staff decision or an
// erasure, get no email at all. The caller answers the same in every case, so
// the form reveals nothing about who is subscribed. Call it inside a transaction
// and enqueue the email in that transaction.
func RequestSubscription(ctx context.Context, tx *gorm.DB, in SubscribeInput) (*SubscribeResult, error) {
	v := CheckSubscribeInput(&in)
	var listID *string
	if in.ListID == "" {
		// A signup naming no list (the newsroom's "Get our alerts") joins the
		// organisation's default list.
		set, err := SiteSettingsOf(ctx, tx)
		if err != nil {
			return nil, err
		}
		in.ListID = set.DefaultSupporterListID
	}
	if in.ListID != "" {
		if _, err := SupporterListByID(ctx, tx, in.ListID); err != nil {
			if !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			v.Add("list_id", "is not a supporter list")
		}
		listID = &in.ListID
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := tx.NowFunc().UTC()
	db := tx.WithContext(ctx)
	sp, err := SuppressionFor(ctx, tx, in.Email)
	switch {
	case err == nil && sp.Reason != SuppressUnsubscribe && sp.Reason != SuppressBounce:
		return &SubscribeResult{}, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return nil, err
	}
	sup, err := SupporterByEmail(ctx, tx, in.Email)
	switch {
	case errors.Is(err, ErrNotFound):
		sup = &Supporter{ID: NewID(), Email: &in.Email, EmailHash: EmailHash(in.Email), Name: in.Name, Country: in.Country,
			Language: in.Language, Source: in.Source, Status: StatusPending, Frequency: "all", CreatedAt: now, UpdatedAt: now}
		if err := db.Create(sup).Error; err != nil {
			return nil, fmt.Errorf("models: request subscription: %w", translate(err))
		}
	case err != nil:
		return nil, err
	case sup.Status == StatusSubscribed:
		return &SubscribeResult{Supporter: sup}, nil
	}
	if err := db.Create(ptr(consent(sup, now, ConsentRequested, in.Source, in.IP, nil))).Error; err != nil {
		return nil, fmt.Errorf("models: request subscription: %w", err)
	}
	token := NewSecret(20)
	st := SubscriptionToken{TokenHash: HashSecret(token), SupporterID: sup.ID, ListID: listID, Source: in.Source, CreatedAt: now, ExpiresAt: now.Add(ConfirmationTTL)}
	if err := db.Create(&st).Error; err != nil {
		return nil, fmt.Errorf("models: request subscription: %w", err)
	}
	return &SubscribeResult{Supporter: sup, Token: token}, nil
}

func ptr[T any](v T) *T { return &v }

// SubscriptionByToken finds the supporter of a double opt-in link without
// changing anything, for the page with the confirm button (a GET, which mail
// scanners fetch). confirmed says the link was already used. An unknown,
// expired or erased link is ErrNotFound.
func SubscriptionByToken(ctx context.Context, db *gorm.DB, token string, now time.Time) (sup *Supporter, confirmed bool, err error) {
	var st SubscriptionToken
	if err := db.WithContext(ctx).First(&st, "token_hash = ?", HashSecret(token)).Error; err != nil {
		return nil, false, fmt.Errorf("models: subscription token: %w", translate(err))
	}
	if sup, err = SupporterByID(ctx, db, st.SupporterID); err != nil {
		return nil, false, err
	}
	if sup.ErasedAt != nil || (st.UsedAt == nil && now.After(st.ExpiresAt)) {
		return nil, false, fmt.Errorf("models: subscription token: %w", ErrNotFound)
	}
	return sup, st.UsedAt != nil, nil
}

// ConfirmSubscription completes double opt-in: the supporter becomes subscribed,
// joins the list they subscribed to, their own earlier unsubscribe or bounce
// suppression is lifted, and the consent is recorded with the IP it came from.
// Following a used link again changes nothing (mail scanners prefetch links).
// An unknown or expired token is ErrNotFound.
func ConfirmSubscription(ctx context.Context, db *gorm.DB, token, ip string) (*Supporter, error) {
	var out *Supporter
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		now := tx.NowFunc().UTC()
		var st SubscriptionToken
		if err := tx.First(&st, "token_hash = ?", HashSecret(token)).Error; err != nil {
			return translate(err)
		}
		sup, err := SupporterByID(ctx, tx, st.SupporterID)
		if err != nil {
			return err
		}
		if sup.ErasedAt != nil {
			return ErrNotFound
		}
		if st.UsedAt != nil {
			out = sup
			return nil
		}
		if now.After(st.ExpiresAt) {
			return ErrNotFound
		}
		if err := tx.Model(&st).Where("token_hash = ?", st.TokenHash).Update("used_at", now).Error; err != nil {
			return err
		}
		sup.Status, sup.LastEngagedAt, sup.UpdatedAt = StatusSubscribed, &now, now
		if err := tx.Model(sup).Updates(map[string]any{"status": sup.Status, "last_engaged_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := tx.Create(ptr(consent(sup, now, ConsentConfirmed, st.Source, ip, nil))).Error; err != nil {
			return err
		}
		if err := Unsuppress(ctx, tx, sup.Address(), SuppressUnsubscribe, SuppressBounce); err != nil {
			return err
		}
		if st.ListID != nil {
			if err := AddSupportersToList(ctx, tx, *st.ListID, []string{sup.ID}); err != nil {
				return err
			}
		}
		out = sup
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("models: confirm subscription: %w", err)
	}
	return out, nil
}

// Unsubscribe ends a supporter's subscription at once and adds them to the
// suppression list. It is idempotent: a second call records nothing new, so
// mail clients retrying a one-click POST do no harm. Bounced and complained
// supporters keep their (stronger) status.
func Unsubscribe(ctx context.Context, db *gorm.DB, supporterID, source, ip string) error {
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		sup, err := SupporterByID(ctx, tx, supporterID)
		if err != nil {
			return err
		}
		if sup.ErasedAt != nil {
			return nil
		}
		now := tx.NowFunc().UTC()
		if sup.Status == StatusSubscribed || sup.Status == StatusPending {
			sup.Status = StatusUnsubscribed
			if err := tx.Model(sup).Updates(map[string]any{"status": sup.Status, "updated_at": now}).Error; err != nil {
				return err
			}
			if err := tx.Create(ptr(consent(sup, now, ConsentUnsubscribe, source, ip, nil))).Error; err != nil {
				return err
			}
			// Outstanding confirmation links must not resubscribe them behind their back.
			if err := tx.Model(&SubscriptionToken{}).Where("supporter_id = ? AND used_at IS NULL", sup.ID).Update("used_at", now).Error; err != nil {
				return err
			}
		}
		return Suppress(ctx, tx, sup.Address(), SuppressUnsubscribe, source, nil)
	})
	if err != nil {
		return fmt.Errorf("models: unsubscribe: %w", err)
	}
	return nil
}

// Topic is one kind of mail a supporter can choose to receive.
type Topic struct {
	Key   string
	Label string
}

// PreferenceTopics lists the topics on the preferences page.
func PreferenceTopics() []Topic {
	return []Topic{{"urgent_actions", "Urgent Actions"}, {"petitions", "Petitions"}, {"news", "Campaign news"}}
}

// Frequencies lists the mail frequencies a supporter can choose.
func Frequencies() []string { return []string{"all", "weekly", "monthly"} }

// UpdatePreferences records a supporter's chosen topics and frequency. It never
// resubscribes anyone.
func UpdatePreferences(ctx context.Context, db *gorm.DB, supporterID string, topics []string, frequency, ip string) error {
	var v ValidationError
	keys := make([]string, 0, len(PreferenceTopics()))
	for _, t := range PreferenceTopics() {
		keys = append(keys, t.Key)
	}
	for _, t := range topics {
		if !slices.Contains(keys, t) {
			v.Add("topics", "contains an unknown topic")
		}
	}
	if !slices.Contains(Frequencies(), frequency) {
		v.Add("frequency", "must be all, weekly or monthly")
	}
	if err := v.Err(); err != nil {
		return err
	}
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		sup, err := SupporterByID(ctx, tx, supporterID)
		if err != nil {
			return err
		}
		if sup.ErasedAt != nil {
			return ErrNotFound
		}
		now := tx.NowFunc().UTC()
		if err := tx.Model(sup).Updates(map[string]any{"topics": strings.Join(topics, ","), "frequency": frequency, "last_engaged_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		return tx.Create(ptr(consent(sup, now, ConsentPreferences, "preferences_page", ip, nil))).Error
	})
	if err != nil {
		return fmt.Errorf("models: update preferences: %w", err)
	}
	return nil
}

// UnsubscribeToken is a supporter's stable unsubscribe token:
// "<supporter id>.<HMAC-SHA256(key, "unsubscribe:"+id), 16 bytes, base32>".
// Derived rather than stored, so sending code can put it in every message
// without a lookup and a database leak reveals no working link. The key must be
// stable (it is derived from SESSION_SECRET): rotating it breaks old links.
func UnsubscribeToken(key []byte, supporterID string) string {
	return NewUnsubscribeSigner(key).SupporterToken(supporterID)
}

func unsubscribeMAC(key []byte, id string) string {
	return NewUnsubscribeSigner(key).sign(supporterUnsubscribeLabel, id)
}

// SupporterIDFromUnsubscribeToken checks a token against each key it may have
// been signed with (the current one first, then keys rotated out) and returns
// the supporter id it was issued for.
func SupporterIDFromUnsubscribeToken(keys [][]byte, token string) (string, bool) {
	id, mac, ok := strings.Cut(token, ".")
	if !ok || id == "" {
		return "", false
	}
	for _, key := range keys {
		if hmac.Equal([]byte(mac), []byte(unsubscribeMAC(key, id))) {
			return id, true
		}
	}
	return "", false
}

// UnsubscribeURL is the per-recipient link for the List-Unsubscribe header and
// the footer of every supporter email; POSTing "List-Unsubscribe=One-Click" to
// it unsubscribes (RFC 8058).
func UnsubscribeURL(baseURL string, key []byte, supporterID string) string {
	return NewUnsubscribeSigner(key).SupporterURL(baseURL, supporterID)
}

// SupporterExport is everything Pressroom holds on one supporter, for a
// data-subject access request.
type SupporterExport struct {
	Supporter      Supporter         `json:"supporter"`
	Lists          []string          `json:"lists"`
	ConsentRecords []ConsentRecord   `json:"consent_records"`
	Suppression    *Suppression      `json:"suppression"`
	Signatures     []SignatureExport `json:"signatures"`
	Letters        []LetterExport    `json:"letters"`
	ExportedAt     time.Time         `json:"exported_at"`
}

// ExportSupporter gathers every row about a supporter.
func ExportSupporter(ctx context.Context, db *gorm.DB, id string) (*SupporterExport, error) {
	sup, err := SupporterByID(ctx, db, id)
	if err != nil {
		return nil, err
	}
	out := &SupporterExport{Supporter: *sup, ExportedAt: db.NowFunc().UTC()}
	if err := db.WithContext(ctx).Table("supporter_lists").Where("id IN (SELECT list_id FROM supporter_list_members WHERE supporter_id = ?)", id).
		Order("name").Pluck("name", &out.Lists).Error; err != nil {
		return nil, fmt.Errorf("models: export supporter: %w", err)
	}
	if out.ConsentRecords, err = ConsentRecords(ctx, db, id); err != nil {
		return nil, err
	}
	if out.Signatures, err = signaturesOfSupporter(ctx, db, sup); err != nil {
		return nil, err
	}
	if out.Letters, err = lettersOfSupporter(ctx, db, sup); err != nil {
		return nil, err
	}
	var sp Suppression
	if err := db.WithContext(ctx).First(&sp, "email_hash = ?", sup.EmailHash).Error; err == nil {
		out.Suppression = &sp
	} else if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("models: export supporter: %w", err)
	}
	return out, nil
}

// EraseSupporter removes a supporter's personal data: address, name, country,
// language, tags, source, preferences and the IP addresses in their consent
// history. The row, its list memberships and its consent actions stay, so counts
// still add up; the suppression list keeps only the hash of the address, so they
// are never mailed again even if they reappear in an import. Erasing twice is
// harmless.
func EraseSupporter(ctx context.Context, db *gorm.DB, id string, actorID *string) error {
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		sup, err := SupporterByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if sup.ErasedAt != nil {
			return nil
		}
		now := tx.NowFunc().UTC()
		var sp Suppression
		err = tx.First(&sp, "email_hash = ?", sup.EmailHash).Error
		switch {
		case err == nil:
			if err := tx.Model(&Suppression{}).Where("id = ?", sp.ID).Updates(map[string]any{"email": nil, "note": ""}).Error; err != nil {
				return err
			}
		case errors.Is(err, gorm.ErrRecordNotFound):
			if err := tx.Create(&Suppression{ID: NewID(), EmailHash: sup.EmailHash, Reason: SuppressErased, CreatedBy: actorID, CreatedAt: now}).Error; err != nil {
				return err
			}
		default:
			return err
		}
		status := sup.Status
		if status == StatusSubscribed || status == StatusPending {
			status = StatusUnsubscribed
		}
		if err := tx.Model(&Supporter{}).Where("id = ?", id).Updates(map[string]any{"email": nil, "name": "", "country": "", "language": "",
			"tags": "", "source": "", "topics": "", "status": status, "erased_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := tx.Model(&ConsentRecord{}).Where("supporter_id = ?", id).Update("ip", "").Error; err != nil {
			return err
		}
		if err := tx.Where("supporter_id = ?", id).Delete(&SubscriptionToken{}).Error; err != nil {
			return err
		}
		if err := anonymiseSignatures(ctx, tx, sup); err != nil {
			return err
		}
		if err := anonymiseLetters(ctx, tx, sup); err != nil {
			return err
		}
		sup.Status = status
		return tx.Create(ptr(consent(sup, now, ConsentErased, "staff", "", actorID))).Error
	})
	if err != nil {
		return fmt.Errorf("models: erase supporter: %w", err)
	}
	return nil
}
