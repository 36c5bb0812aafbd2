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
)

// Where a journalist's own newsroom subscription stands (media_contacts.newsroom_status).
const (
	NewsroomPending      = "pending"
	NewsroomSubscribed   = "subscribed"
	NewsroomUnsubscribed = "unsubscribed"
)

// NewsroomSubscribersList is the media list confirmed newsroom subscribers
// join; it is made the first time someone confirms.
const NewsroomSubscribersList = "Newsroom subscribers"

// contactSubscriptionToken is a pending newsroom subscription: only the
// token's hash is stored.
type contactSubscriptionToken struct {
	TokenHash string `gorm:"primaryKey"`
	ContactID string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

func (contactSubscriptionToken) TableName() string { return "contact_subscription_tokens" }

// NewsroomTopics are the beats and countries a journalist may choose on the
// subscribe form: the values in use on media contacts, so the press office's
// own vocabulary is what subscribers pick from.
type NewsroomTopics struct {
	Beats     []string
	Countries []string // ISO codes
}

// newsroomTopicRows bounds the rows read to list the topics: distinct
// value strings, not contacts.
const newsroomTopicRows = 5000

// NewsroomSubscriptionTopics lists the beats and countries in use.
func NewsroomSubscriptionTopics(ctx context.Context, db *gorm.DB) (NewsroomTopics, error) {
	var out NewsroomTopics
	for _, col := range []string{"beats", "countries"} {
		var vals []string
		if err := db.WithContext(ctx).Table("media_contacts").Distinct(col).Where(col+" <> ''").Limit(newsroomTopicRows).Pluck(col, &vals).Error; err != nil {
			return out, fmt.Errorf("models: newsroom topics: %w", err)
		}
		seen := map[string]bool{}
		var list []string
		for _, v := range vals {
			for _, x := range strings.Split(v, ",") {
				if x = strings.TrimSpace(x); x != "" && !seen[x] {
					seen[x] = true
					list = append(list, x)
				}
			}
		}
		slices.Sort(list)
		if col == "beats" {
			out.Beats = list
		} else {
			out.Countries = list
		}
	}
	return out, nil
}

// NewsroomSubscribeInput is the public "Get our releases" form.
type NewsroomSubscribeInput struct {
	Email, Name, Outlet string
	Beats, Countries    []string
	IP                  string
}

// NewsroomSubscribeResult says what RequestNewsroomSubscription did: Token is
// set when a confirmation email must go out (in the same transaction).
type NewsroomSubscribeResult struct {
	Contact *MediaContact
	Token   string
}

// RequestNewsroomSubscription starts a journalist's double opt-in. A new
// address becomes a pending media contact, never mailed until it confirms; a
// contact the press office already holds keeps what the office wrote (only
// empty fields are filled) and confirms like anyone else. A confirmed
// subscriber, or an address suppressed for a complaint or by staff, gets no
// email at all; the caller answers the same in every case, so the form tells
// nobody who is subscribed. Beats and countries must be among topics.
func RequestNewsroomSubscription(ctx context.Context, tx *gorm.DB, in NewsroomSubscribeInput, topics NewsroomTopics) (*NewsroomSubscribeResult, error) {
	var v ValidationError
	in.Email, in.Name, in.Outlet = NormalizeEmail(in.Email), strings.TrimSpace(in.Name), strings.TrimSpace(in.Outlet)
	if !ValidEmail(in.Email) {
		v.Add("email", "is not a valid address")
	}
	if in.Name == "" {
		v.Add("name", "is required, so we know who we are writing to")
	} else if len(in.Name) > 200 {
		v.Add("name", "is too long (200 characters at most)")
	}
	if len(in.Outlet) > 200 {
		v.Add("outlet", "is too long (200 characters at most)")
	}
	beats, bad := chosen(in.Beats, topics.Beats, strings.ToLower)
	if len(bad) > 0 {
		v.Add("beats", "choose from the list (not offered: "+strings.Join(bad, ", ")+")")
	}
	countries, bad := chosen(in.Countries, topics.Countries, strings.ToUpper)
	if len(bad) > 0 {
		v.Add("countries", "choose from the list (not offered: "+strings.Join(bad, ", ")+")")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := tx.NowFunc().UTC()
	db := tx.WithContext(ctx)
	sp, err := SuppressionFor(ctx, tx, in.Email)
	switch {
	case err == nil && sp.Reason != SuppressUnsubscribe && sp.Reason != SuppressBounce:
		return &NewsroomSubscribeResult{}, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return nil, err
	}
	var c MediaContact
	err = db.Where("email = ?", in.Email).First(&c).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		c = MediaContact{ID: NewID(), Email: in.Email, EmailHash: EmailHash(in.Email), Name: in.Name, Outlet: in.Outlet,
			Beats: strings.Join(beats, ","), Countries: strings.Join(countries, ","), NewsroomStatus: NewsroomPending, CreatedAt: now, UpdatedAt: now}
		if err := db.Create(&c).Error; err != nil {
			return nil, fmt.Errorf("models: newsroom subscription: %w", translate(err))
		}
	case err != nil:
		return nil, fmt.Errorf("models: newsroom subscription: %w", err)
	case c.NewsroomStatus == NewsroomSubscribed:
		return &NewsroomSubscribeResult{Contact: &c}, nil
	default:
		fill := map[string]any{}
		if c.Name == "" {
			fill["name"] = in.Name
		}
		if c.Outlet == "" && in.Outlet != "" {
			fill["outlet"] = in.Outlet
		}
		if c.Beats == "" && len(beats) > 0 {
			fill["beats"] = strings.Join(beats, ",")
		}
		if c.Countries == "" && len(countries) > 0 {
			fill["countries"] = strings.Join(countries, ",")
		}
		if len(fill) > 0 {
			fill["updated_at"] = now
			if err := db.Model(&c).Updates(fill).Error; err != nil {
				return nil, fmt.Errorf("models: newsroom subscription: %w", err)
			}
		}
	}
	token := NewSecret(20)
	st := contactSubscriptionToken{TokenHash: HashSecret(token), ContactID: c.ID, CreatedAt: now, ExpiresAt: now.Add(ConfirmationTTL)}
	if err := db.Create(&st).Error; err != nil {
		return nil, fmt.Errorf("models: newsroom subscription: %w", err)
	}
	if err := Audit(ctx, tx, AuditEvent{At: now, Action: "newsroom_subscription_requested", SubjectType: "media_contact", SubjectID: c.ID, IP: in.IP}); err != nil {
		return nil, err
	}
	return &NewsroomSubscribeResult{Contact: &c, Token: token}, nil
}

// chosen folds and keeps the values offered, returning those that were not.
func chosen(in, offered []string, fold func(string) string) (ok, bad []string) {
	for _, x := range in {
		x = fold(strings.TrimSpace(x))
		switch {
		case x == "" || slices.Contains(ok, x):
		case slices.Contains(offered, x):
			ok = append(ok, x)
		default:
			bad = append(bad, x)
		}
	}
	return ok, bad
}

// NewsroomSubscriptionByToken finds the contact of a confirmation link
// without changing anything, for the page with the confirm button (mail
// scanners fetch every link). confirmed says the link was already used.
func NewsroomSubscriptionByToken(ctx context.Context, db *gorm.DB, token string, now time.Time) (c *MediaContact, confirmed bool, err error) {
	var st contactSubscriptionToken
	if err := db.WithContext(ctx).First(&st, "token_hash = ?", HashSecret(token)).Error; err != nil {
		return nil, false, fmt.Errorf("models: newsroom subscription token: %w", translate(err))
	}
	if st.UsedAt == nil && now.After(st.ExpiresAt) {
		return nil, false, fmt.Errorf("models: newsroom subscription token: %w", ErrNotFound)
	}
	if c, err = ContactByID(ctx, db, st.ContactID); err != nil {
		return nil, false, err
	}
	return c, st.UsedAt != nil, nil
}

// ConfirmNewsroomSubscription completes a journalist's double opt-in (the
// POST of the confirm button): the contact becomes a subscriber, joins the
// "Newsroom subscribers" media list, their own earlier unsubscribe or bounce
// suppression is lifted, and the confirmation is in the audit log with its
// address. A used link changes nothing; an unknown or expired one is
// ErrNotFound.
func ConfirmNewsroomSubscription(ctx context.Context, db *gorm.DB, token, ip string) (*MediaContact, error) {
	var out *MediaContact
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		now := tx.NowFunc().UTC()
		var st contactSubscriptionToken
		if err := tx.First(&st, "token_hash = ?", HashSecret(token)).Error; err != nil {
			return translate(err)
		}
		c, err := ContactByID(ctx, tx, st.ContactID)
		if err != nil {
			return err
		}
		out = c
		if st.UsedAt != nil {
			return nil
		}
		if now.After(st.ExpiresAt) {
			return ErrNotFound
		}
		if err := tx.Model(&contactSubscriptionToken{}).Where("token_hash = ?", st.TokenHash).Update("used_at", now).Error; err != nil {
			return err
		}
		c.NewsroomStatus, c.UpdatedAt = NewsroomSubscribed, now
		if err := tx.Model(&MediaContact{}).Where("id = ?", c.ID).Updates(map[string]any{"newsroom_status": NewsroomSubscribed, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := Unsuppress(ctx, tx, c.Email, SuppressUnsubscribe, SuppressBounce); err != nil {
			return err
		}
		list, err := newsroomSubscribersList(ctx, tx, now)
		if err != nil {
			return err
		}
		if err := AddContactsToList(ctx, tx, list.ID, []string{c.ID}); err != nil {
			return err
		}
		return Audit(ctx, tx, AuditEvent{At: now, Action: "newsroom_subscription_confirmed", SubjectType: "media_contact", SubjectID: c.ID, IP: ip})
	})
	if err != nil {
		return nil, fmt.Errorf("models: confirm newsroom subscription: %w", err)
	}
	return out, nil
}

// newsroomSubscribersList returns the subscribers' media list, making it the
// first time.
func newsroomSubscribersList(ctx context.Context, tx *gorm.DB, now time.Time) (*MediaList, error) {
	var l MediaList
	err := tx.WithContext(ctx).Where("name = ?", NewsroomSubscribersList).First(&l).Error
	if err == nil {
		return &l, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, err
	}
	return CreateMediaList(ctx, tx, NewsroomSubscribersList, "Journalists who subscribed on the newsroom and confirmed by email.")
}

// UnsubscribeContact is a journalist's own unsubscribe (one click from an
// email, or the button on its page): they leave the subscribers' list, an
// unconfirmed link can no longer subscribe them, and their address is
// suppressed, which every send honours. Repeating it changes nothing.
func UnsubscribeContact(ctx context.Context, db *gorm.DB, contactID, source, ip string) error {
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		c, err := ContactByID(ctx, tx, contactID)
		if err != nil {
			return err
		}
		now := tx.NowFunc().UTC()
		if c.NewsroomStatus != NewsroomUnsubscribed {
			if err := tx.Model(&MediaContact{}).Where("id = ?", c.ID).Updates(map[string]any{"newsroom_status": NewsroomUnsubscribed, "updated_at": now}).Error; err != nil {
				return err
			}
			if err := tx.Model(&contactSubscriptionToken{}).Where("contact_id = ? AND used_at IS NULL", c.ID).Update("used_at", now).Error; err != nil {
				return err
			}
			if err := tx.Exec("DELETE FROM media_list_members WHERE contact_id = ? AND list_id IN (SELECT id FROM media_lists WHERE name = ?)", c.ID, NewsroomSubscribersList).Error; err != nil {
				return err
			}
			if err := Audit(ctx, tx, AuditEvent{At: now, Action: "contact_unsubscribed", SubjectType: "media_contact", SubjectID: c.ID, Details: source, IP: ip}); err != nil {
				return err
			}
		}
		return Suppress(ctx, tx, c.Email, SuppressUnsubscribe, source, nil)
	})
	if err != nil {
		return fmt.Errorf("models: unsubscribe contact: %w", err)
	}
	return nil
}

// contactTokenPrefix tells a journalist's unsubscribe token from a
// supporter's on the one /u/ route.
const contactTokenPrefix = "j-"

// ContactUnsubscribeToken is a journalist's unsubscribe token: their id and
// an HMAC of it (keyed like supporters', with its own label), so every email
// carries it without a lookup.
func ContactUnsubscribeToken(key []byte, contactID string) string {
	return NewUnsubscribeSigner(key).ContactToken(contactID)
}

func contactMAC(key []byte, id string) string {
	return NewUnsubscribeSigner(key).sign(contactUnsubscribeLabel, id)
}

// ContactIDFromUnsubscribeToken checks a journalist's token against each key
// (current first, then rotated-out ones).
func ContactIDFromUnsubscribeToken(keys [][]byte, token string) (string, bool) {
	rest, ok := strings.CutPrefix(token, contactTokenPrefix)
	if !ok {
		return "", false
	}
	id, mac, ok := strings.Cut(rest, ".")
	if !ok || id == "" {
		return "", false
	}
	for _, key := range keys {
		if hmac.Equal([]byte(mac), []byte(contactMAC(key, id))) {
			return id, true
		}
	}
	return "", false
}

// ContactUnsubscribeURL is a journalist's one-click unsubscribe link.
func ContactUnsubscribeURL(baseURL string, key []byte, contactID string) string {
	return NewUnsubscribeSigner(key).ContactURL(baseURL, contactID)
}
