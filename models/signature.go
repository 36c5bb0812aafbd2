package models

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SignatureState is where a signature stands. Only confirmed signatures count;
// flagged ones (rate limits, the honeypot) and invalidated ones never do.
type SignatureState string

// Signature states.
const (
	SignaturePending     SignatureState = "pending"
	SignatureConfirmed   SignatureState = "confirmed"
	SignatureFlagged     SignatureState = "flagged"
	SignatureInvalidated SignatureState = "invalidated"
)

// MaxSignatureEmails is how many emails one signature may ever cause: a form
// that mails any address on request must not become a way to flood someone.
const MaxSignatureEmails = 3

// PetitionConsentWording is the opt-in sentence of the signing form, stored
// verbatim with every signature that ticks it.
const PetitionConsentWording = "Yes, email me about this campaign and other urgent actions and petitions. I can unsubscribe at any time with one click."

// Signature is one person's name on one petition. Its normalised address is
// unique per petition (the database guarantees it). The IP is kept only for
// the abuse window, then cut to its network prefix.
type Signature struct {
	ID              string `gorm:"primaryKey"`
	PetitionID      string
	Name            string
	Email           *string
	NormalisedEmail string
	EmailDomain     string
	Country         string
	Postcode        string
	OptIn           bool
	ConsentWording  string
	State           SignatureState
	FlagReason      string
	IP              string `gorm:"column:ip"`
	IPErased        bool   `gorm:"column:ip_erased"`
	Source          string
	// SendID is the send whose email link brought the signer (SendSource).
	SendID         *string
	SupporterID    *string
	EmailsSent     int
	CreatedAt      time.Time
	ConfirmedAt    *time.Time
	CountedAt      *time.Time
	InvalidationID *string
	StateBefore    string
	// TokenHash is the hash of the confirmation link the signature's first
	// email carries (later ones are SignatureTokens). Never shown.
	TokenHash *string `json:"-"`
}

// Address is the signer's email, or "" once erased.
func (s *Signature) Address() string {
	if s.Email == nil {
		return ""
	}
	return *s.Email
}

// SignatureToken is a confirmation link emailed again to a pending signer
// (the first is the signature's TokenHash); only its hash is stored.
type SignatureToken struct {
	TokenHash   string `gorm:"primaryKey"`
	SignatureID string
	CreatedAt   time.Time
}

// RateLimit is N events per window.
type RateLimit struct {
	N      int
	Window time.Duration
}

// SignLimits are the abuse limits of public signing. Burst and Sustained are
// per IP and petition and flag a signature (the signer sees no difference);
// Ceiling is per IP across all petitions and refuses (a flood). They are
// counted from the signatures table, so every web process shares them.
type SignLimits struct {
	Burst     RateLimit
	Sustained RateLimit
	Ceiling   RateLimit
}

// DefaultSignLimits are generous enough for a family or an office behind one
// address and tight enough to flag a script.
func DefaultSignLimits() SignLimits {
	return SignLimits{Burst: RateLimit{5, time.Minute}, Sustained: RateLimit{20, time.Hour}, Ceiling: RateLimit{200, time.Minute}}
}

// ErrSignFlood refuses a signature from an address past the flood ceiling.
var ErrSignFlood = errors.New("too many signatures from this address")

// SignInput is a public signing request.
type SignInput struct {
	Name     string
	Email    string
	Country  string
	Postcode string
	OptIn    bool
	// Honeypot is the hidden field people never fill in; a value flags silently.
	Honeypot string
	IP       string
	Source   string // the ?source= of the link that brought them, or "api"
	// Src is the ?src= of an emailed link: the send it came from, kept only
	// when it is shaped like a send id (SendSource).
	Src string
}

// SignEmail says which email a signing request causes.
type SignEmail string

// The emails a signing request can cause. The HTTP answer is the same for all.
const (
	SignEmailNone    SignEmail = ""
	SignEmailConfirm SignEmail = "confirm"        // a new or pending signature: the link
	SignEmailAlready SignEmail = "already_signed" // a confirmed one: "you have already signed"
)

// SignResult is what RequestSignature did. Token is set with a confirm email.
type SignResult struct {
	Signature *Signature
	Email     SignEmail
	Token     string
}

// RequestSignature records a signature on a public, open petition and decides
// which email it causes: call it in a transaction and enqueue that email in the
// same transaction. The insert relies on the unique index on (petition,
// normalised address): a concurrent or repeated signature by the same mailbox
// stores nothing new, and the existing one gets at most MaxSignatureEmails
// emails ever. The caller answers every case the same way.
func RequestSignature(ctx context.Context, tx *gorm.DB, p *Petition, in SignInput, limits SignLimits, rules EmailRules, now time.Time) (*SignResult, error) {
	in, email, err := prepareSignature(p, in, now)
	if err != nil {
		return nil, err
	}
	db := tx.WithContext(ctx)
	state, reason, err := abuseState(db, &Signature{}, "petition_id", p.ID, in.IP, in.Honeypot, limits, now)
	if err != nil {
		return nil, err
	}
	sig := newSignature(p, in, email, NormaliseEmail(email, rules), state, reason, now)
	token := NewSecret(20)
	sig.TokenHash = ptr(HashSecret(token))
	res := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "petition_id"}, {Name: "normalised_email"}}, DoNothing: true}).Create(sig)
	if res.Error != nil {
		return nil, fmt.Errorf("models: sign: %w", res.Error)
	}
	if res.RowsAffected == 1 {
		if err := attachSupporter(ctx, tx, p, sig, in, now); err != nil {
			return nil, err
		}
		return &SignResult{Signature: sig, Email: SignEmailConfirm, Token: token}, nil
	}
	return repeatSignature(ctx, tx, p, sig.NormalisedEmail, now)
}

// prepareSignature validates and tidies a signing request before anything is
// stored: a person's mistake is a ValidationError naming each field, a closed
// petition ErrPetitionClosed. It returns the tidied input and the address.
func prepareSignature(p *Petition, in SignInput, now time.Time) (SignInput, string, error) {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	email := NormalizeEmail(in.Email)
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	in.Postcode = strings.ToUpper(strings.TrimSpace(in.Postcode))
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		v.Add("name", "is required")
	case n > 200:
		v.Add("name", "is too long (at most 200 characters)")
	}
	if !ValidEmail(email) || len(email) > 254 {
		v.Add("email", "is not a valid email address")
	}
	if !ValidCountry(in.Country) {
		v.Add("country", "choose your country from the list")
	}
	if utf8.RuneCountInString(in.Postcode) > 16 {
		v.Add("postcode", "is too long")
	}
	if len(in.Source) > 100 {
		in.Source = in.Source[:100]
	}
	if err := v.Err(); err != nil {
		return in, "", err
	}
	if !p.Signable(now) {
		return in, "", ErrPetitionClosed
	}
	return in, email, nil
}

// namedLimit is a flagging limit with the name its flag reason carries.
type namedLimit struct {
	name string
	RateLimit
}

// flagging lists the limits that flag (burst, then sustained) that are on.
func (l SignLimits) flagging() []namedLimit {
	var out []namedLimit
	for _, nl := range []namedLimit{{"burst", l.Burst}, {"sustained", l.Sustained}} {
		if nl.N > 0 {
			out = append(out, nl)
		}
	}
	return out
}

// abuseState applies the public forms' abuse rules to one more signature or
// letter from ip: past the flood ceiling (all rows of model from ip) it is
// ErrSignFlood; a filled honeypot or a burst or sustained rate within the
// scope (scopeCol = scopeID: the petition, the action) flags it silently.
func abuseState(db *gorm.DB, model any, scopeCol, scopeID, ip, honeypot string, limits SignLimits, now time.Time) (SignatureState, string, error) {
	if limits.Ceiling.N > 0 && ip != "" {
		var n int64
		if err := db.Model(model).Where("ip = ? AND created_at > ?", ip, now.Add(-limits.Ceiling.Window)).Count(&n).Error; err != nil {
			return "", "", fmt.Errorf("models: abuse limits: %w", err)
		}
		if n >= int64(limits.Ceiling.N) {
			return "", "", ErrSignFlood
		}
	}
	if strings.TrimSpace(honeypot) != "" {
		return SignatureFlagged, "honeypot", nil
	}
	if ip != "" {
		for _, l := range limits.flagging() {
			var n int64
			if err := db.Model(model).Where(scopeCol+" = ? AND ip = ? AND created_at > ?", scopeID, ip, now.Add(-l.Window)).Count(&n).Error; err != nil {
				return "", "", fmt.Errorf("models: abuse limits: %w", err)
			}
			if n >= int64(l.N) {
				return SignatureFlagged, "rate_" + l.name, nil
			}
		}
	}
	return SignaturePending, "", nil
}

// newSignature builds the row a new signature stores; its first email (the
// confirmation link) is counted from the start. Its ID is time-ordered
// (NewSortableID): a spike's signatures and their links' tokens go to the
// end of the primary key and of signature_tokens' index on it.
func newSignature(p *Petition, in SignInput, email, norm string, state SignatureState, reason string, now time.Time) *Signature {
	sig := &Signature{ID: NewSortableID(), PetitionID: p.ID, Name: in.Name, Email: &email, NormalisedEmail: norm, EmailDomain: norm[strings.LastIndex(norm, "@")+1:],
		Country: in.Country, Postcode: in.Postcode, OptIn: in.OptIn, State: state, FlagReason: reason, IP: in.IP, Source: in.Source, SendID: SendSource(in.Src), EmailsSent: 1, CreatedAt: now}
	if in.OptIn {
		sig.ConsentWording = PetitionConsentWording
	}
	return sig
}

// attachSupporter makes a new signer who opted in a pending supporter and
// links the signature to them.
func attachSupporter(ctx context.Context, tx *gorm.DB, p *Petition, sig *Signature, in SignInput, now time.Time) error {
	if !in.OptIn {
		return nil
	}
	supID, err := pendingSupporter(ctx, tx, *sig.Email, in.Name, in.Country, "petition:"+p.Slug, in.IP, now)
	if err != nil || supID == "" {
		return err
	}
	sig.SupporterID = &supID
	if err := tx.WithContext(ctx).Model(&Signature{}).Where("id = ?", sig.ID).Update("supporter_id", supID).Error; err != nil {
		return fmt.Errorf("models: sign: %w", err)
	}
	return nil
}

// repeatSignature decides the email of a mailbox that has signed before: one
// more email at most, never more than MaxSignatureEmails in all, claimed by a
// conditional update so concurrent repeats cannot exceed it.
func repeatSignature(ctx context.Context, tx *gorm.DB, p *Petition, norm string, now time.Time) (*SignResult, error) {
	db := tx.WithContext(ctx)
	var old Signature
	if err := db.Where("petition_id = ? AND normalised_email = ?", p.ID, norm).Take(&old).Error; err != nil {
		return nil, fmt.Errorf("models: sign: %w", translate(err))
	}
	if old.State == SignatureInvalidated || old.Email == nil {
		return &SignResult{Signature: &old}, nil
	}
	claim := db.Model(&Signature{}).Where("id = ? AND emails_sent < ?", old.ID, MaxSignatureEmails).Update("emails_sent", gorm.Expr("emails_sent + 1"))
	if claim.Error != nil {
		return nil, fmt.Errorf("models: sign: %w", claim.Error)
	}
	if claim.RowsAffected == 0 {
		return &SignResult{Signature: &old}, nil
	}
	if old.ConfirmedAt != nil {
		return &SignResult{Signature: &old, Email: SignEmailAlready}, nil
	}
	token, err := newSignatureToken(ctx, tx, old.ID, now)
	if err != nil {
		return nil, err
	}
	return &SignResult{Signature: &old, Email: SignEmailConfirm, Token: token}, nil
}

func newSignatureToken(ctx context.Context, tx *gorm.DB, sigID string, now time.Time) (string, error) {
	token := NewSecret(20)
	if err := tx.WithContext(ctx).Create(&SignatureToken{TokenHash: HashSecret(token), SignatureID: sigID, CreatedAt: now}).Error; err != nil {
		return "", fmt.Errorf("models: signature token: %w", err)
	}
	return token, nil
}

// pendingSupporter finds or creates the supporter a signer who opted in
// becomes, pending until the signature is confirmed. Addresses suppressed for
// a complaint, a staff decision or an erasure are never added back ("" then).
func pendingSupporter(ctx context.Context, tx *gorm.DB, email, name, country, source, ip string, now time.Time) (string, error) {
	sp, err := SuppressionFor(ctx, tx, email)
	switch {
	case err == nil && sp.Reason != SuppressUnsubscribe && sp.Reason != SuppressBounce:
		return "", nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return "", err
	}
	sup, err := SupporterByEmail(ctx, tx, email)
	switch {
	case errors.Is(err, ErrNotFound):
		sup = &Supporter{ID: NewID(), Email: &email, EmailHash: EmailHash(email), Name: name, Country: country, Source: source,
			Status: StatusPending, Frequency: "all", CreatedAt: now, UpdatedAt: now}
		if err := tx.WithContext(ctx).Create(sup).Error; err != nil {
			return "", fmt.Errorf("models: petition supporter: %w", translate(err))
		}
	case err != nil:
		return "", err
	case sup.Status == StatusSubscribed:
		return sup.ID, nil
	}
	if err := tx.WithContext(ctx).Create(ptr(consent(sup, now, ConsentRequested, source, ip, nil))).Error; err != nil {
		return "", fmt.Errorf("models: petition supporter: %w", err)
	}
	return sup.ID, nil
}

// SignatureAndPetition loads a signature and its petition, for the email it
// causes.
func SignatureAndPetition(ctx context.Context, db *gorm.DB, id string) (*Signature, *Petition, error) {
	var sig Signature
	if err := db.WithContext(ctx).Take(&sig, "id = ?", id).Error; err != nil {
		return nil, nil, fmt.Errorf("models: signature: %w", translate(err))
	}
	p, err := PetitionByID(ctx, db, sig.PetitionID)
	if err != nil {
		return nil, nil, err
	}
	return &sig, p, nil
}

// SignaturesAndPetitions loads the signatures of ids that still exist, and
// their petitions, by ID, in two statements (a batch of confirmation emails).
func SignaturesAndPetitions(ctx context.Context, db *gorm.DB, ids []string) (map[string]*Signature, map[string]*Petition, error) {
	var sigs []*Signature
	if err := db.WithContext(ctx).Where("id IN ?", ids).Find(&sigs).Error; err != nil {
		return nil, nil, fmt.Errorf("models: signatures: %w", err)
	}
	byID := make(map[string]*Signature, len(sigs))
	petitionIDs := map[string]bool{}
	for _, s := range sigs {
		byID[s.ID] = s
		petitionIDs[s.PetitionID] = true
	}
	petitions := make(map[string]*Petition, len(petitionIDs))
	if len(petitionIDs) == 0 {
		return byID, petitions, nil
	}
	var ps []*Petition
	if err := db.WithContext(ctx).Where("id IN ?", slices.Collect(maps.Keys(petitionIDs))).Find(&ps).Error; err != nil {
		return nil, nil, fmt.Errorf("models: signatures' petitions: %w", err)
	}
	for _, p := range ps {
		petitions[p.ID] = p
	}
	return byID, petitions, nil
}

// SignatureByToken finds the signature and petition of a confirmation link,
// for the page with the confirm button. It changes nothing.
func SignatureByToken(ctx context.Context, db *gorm.DB, token string) (*Signature, *Petition, error) {
	hash := HashSecret(token)
	// A first email's link is on the signature; one sent again is a
	// SignatureToken.
	var sig Signature
	err := db.WithContext(ctx).Take(&sig, "token_hash = ?", hash).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		var st SignatureToken
		if err := db.WithContext(ctx).Take(&st, "token_hash = ?", hash).Error; err != nil {
			return nil, nil, fmt.Errorf("models: signature token: %w", translate(err))
		}
		err = db.WithContext(ctx).Take(&sig, "id = ?", st.SignatureID).Error
	}
	if err != nil {
		return nil, nil, fmt.Errorf("models: signature token: %w", translate(err))
	}
	p, err := PetitionByID(ctx, db, sig.PetitionID)
	if err != nil {
		return nil, nil, err
	}
	return &sig, p, nil
}

// ConfirmSignature confirms the signature of a link: a pending one becomes
// confirmed (the count job then adds it), a flagged one keeps its flag but
// records the confirmation, and the supporter who opted in is subscribed with
// their consent recorded. Confirming twice changes nothing. Only a POST may
// call this: mail scanners fetch every GET link. A petition that closed before
// the confirmation is ErrPetitionClosed.
func ConfirmSignature(ctx context.Context, db *gorm.DB, token, ip string, now time.Time) (*Signature, *Petition, error) {
	var sig *Signature
	var p *Petition
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var err error
		if sig, p, err = SignatureByToken(ctx, tx, token); err != nil {
			return err
		}
		if sig.ConfirmedAt != nil || sig.State == SignatureInvalidated {
			return nil
		}
		if !p.Signable(now) {
			return ErrPetitionClosed
		}
		state := sig.State
		if state == SignaturePending {
			state = SignatureConfirmed
		}
		res := tx.Model(&Signature{}).Where("id = ? AND confirmed_at IS NULL", sig.ID).Updates(map[string]any{"state": state, "confirmed_at": now})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		sig.State, sig.ConfirmedAt = state, &now
		if sig.SupporterID != nil && sig.OptIn {
			return subscribeSigner(ctx, tx, *sig.SupporterID, "petition:"+p.Slug, ip, now)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("models: confirm signature: %w", err)
	}
	return sig, p, nil
}

// subscribeSigner completes the opt-in of a confirmed signer, like
// ConfirmSubscription: subscribed, consent recorded with the petition as its
// source, their own unsubscribe or bounce suppression lifted.
func subscribeSigner(ctx context.Context, tx *gorm.DB, supporterID, source, ip string, now time.Time) error {
	sup, err := SupporterByID(ctx, tx, supporterID)
	if err != nil {
		return err
	}
	if sup.ErasedAt != nil || sup.Status == StatusSubscribed {
		return nil
	}
	if sp, err := SuppressionFor(ctx, tx, sup.Address()); err == nil && sp.Reason != SuppressUnsubscribe && sp.Reason != SuppressBounce {
		return nil
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	sup.Status = StatusSubscribed
	if err := tx.Model(sup).Updates(map[string]any{"status": sup.Status, "last_engaged_at": now, "updated_at": now}).Error; err != nil {
		return err
	}
	if err := tx.Create(ptr(consent(sup, now, ConsentConfirmed, source, ip, nil))).Error; err != nil {
		return err
	}
	return Unsuppress(ctx, tx, sup.Address(), SuppressUnsubscribe, SuppressBounce)
}

// SignatureTally is a petition's signatures by state, straight from the table
// (staff pages and API only; the public count reads the counter rows).
type SignatureTally struct {
	Confirmed, Pending, Flagged, Invalidated int64
}

// SignatureTallyOf counts a petition's signatures by state.
func SignatureTallyOf(ctx context.Context, db *gorm.DB, petitionID string) (SignatureTally, error) {
	var rows []struct {
		State SignatureState
		N     int64
	}
	var t SignatureTally
	if err := db.WithContext(ctx).Model(&Signature{}).Select("state, COUNT(*) AS n").Where("petition_id = ?", petitionID).Group("state").Scan(&rows).Error; err != nil {
		return t, fmt.Errorf("models: signature tally: %w", err)
	}
	for _, r := range rows {
		switch r.State {
		case SignatureConfirmed:
			t.Confirmed = r.N
		case SignaturePending:
			t.Pending = r.N
		case SignatureFlagged:
			t.Flagged = r.N
		case SignatureInvalidated:
			t.Invalidated = r.N
		}
	}
	return t, nil
}

// ConfirmedSignatures calls fn for each confirmed signature of a petition in
// the order they were confirmed, a page at a time, for the delivery export.
func ConfirmedSignatures(ctx context.Context, db *gorm.DB, petitionID string, fn func(Signature) error) error {
	after := ""
	for {
		var page []Signature
		q := db.WithContext(ctx).Where("petition_id = ? AND state = ?", petitionID, SignatureConfirmed)
		if after != "" {
			q = q.Where("id > ?", after)
		}
		if err := q.Order("id").Limit(1000).Find(&page).Error; err != nil {
			return fmt.Errorf("models: confirmed signatures: %w", err)
		}
		for _, s := range page {
			if err := fn(s); err != nil {
				return err
			}
		}
		if len(page) < 1000 {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// ExpirePendingSignatures deletes signatures never confirmed within ttl, with
// their tokens, and returns how many went.
func ExpirePendingSignatures(ctx context.Context, db *gorm.DB, ttl time.Duration, now time.Time) (int64, error) {
	res := db.WithContext(ctx).Where("state = ? AND confirmed_at IS NULL AND created_at < ?", SignaturePending, now.Add(-ttl)).Delete(&Signature{})
	if res.Error != nil {
		return 0, fmt.Errorf("models: expire signatures: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// IPPrefix is what is kept of an address after the abuse window: its /24
// (IPv4) or /48 (IPv6) network, enough to see a pattern, not to find a person.
func IPPrefix(ip string) string {
	a := net.ParseIP(strings.TrimSpace(ip))
	if a == nil {
		return ""
	}
	if v4 := a.To4(); v4 != nil {
		return (&net.IPNet{IP: v4.Mask(net.CIDRMask(24, 32)), Mask: net.CIDRMask(24, 32)}).String()
	}
	return (&net.IPNet{IP: a.Mask(net.CIDRMask(48, 128)), Mask: net.CIDRMask(48, 128)}).String()
}

// EraseSignatureIPs cuts the IP of every signature older than keep to its
// network prefix, a page at a time, and returns how many it changed.
func EraseSignatureIPs(ctx context.Context, db *gorm.DB, keep time.Duration, now time.Time) (int, error) {
	total := 0
	for {
		var rows []struct {
			ID string
			IP string `gorm:"column:ip"`
		}
		if err := db.WithContext(ctx).Model(&Signature{}).Select("id, ip").Where("ip_erased = ? AND created_at < ?", false, now.Add(-keep)).
			Limit(1000).Scan(&rows).Error; err != nil {
			return total, fmt.Errorf("models: erase signature ips: %w", err)
		}
		if len(rows) == 0 {
			return total, nil
		}
		err := Transaction(ctx, db, func(tx *gorm.DB) error {
			for _, r := range rows {
				if err := tx.Model(&Signature{}).Where("id = ?", r.ID).Updates(map[string]any{"ip": IPPrefix(r.IP), "ip_erased": true}).Error; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("models: erase signature ips: %w", err)
		}
		total += len(rows)
	}
}

// ConfirmedByCountry counts a petition's confirmed signatures per country
// from the signatures table, for staff.
func ConfirmedByCountry(ctx context.Context, db *gorm.DB, petitionID string) (map[string]int64, error) {
	var rows []struct {
		Country string
		N       int64
	}
	if err := db.WithContext(ctx).Model(&Signature{}).Select("country, COUNT(*) AS n").Where("petition_id = ? AND state = ?", petitionID, SignatureConfirmed).
		Group("country").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: signatures by country: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Country] = r.N
	}
	return out, nil
}

// SignatureExport is one signature in a supporter's data export.
type SignatureExport struct {
	Petition       string         `json:"petition"`
	PetitionSlug   string         `json:"petition_slug"`
	Name           string         `json:"name"`
	Email          string         `json:"email"`
	Country        string         `json:"country"`
	Postcode       string         `json:"postcode"`
	State          SignatureState `json:"state"`
	OptIn          bool           `json:"opt_in"`
	ConsentWording string         `json:"consent_wording"`
	IP             string         `json:"ip"`
	Source         string         `json:"source"`
	SignedAt       time.Time      `json:"signed_at"`
	ConfirmedAt    *time.Time     `json:"confirmed_at"`
}

// supporterSignatures selects the signatures of a supporter: linked by their
// opt-in, or made with their address.
func supporterSignatures(db *gorm.DB, sup *Supporter) *gorm.DB {
	if sup.Email == nil {
		return db.Where("signatures.supporter_id = ?", sup.ID)
	}
	return db.Where("signatures.supporter_id = ? OR signatures.email = ?", sup.ID, *sup.Email)
}

func signaturesOfSupporter(ctx context.Context, db *gorm.DB, sup *Supporter) ([]SignatureExport, error) {
	var rows []struct {
		Signature
		Title string
		Slug  string
	}
	q := db.WithContext(ctx).Table("signatures").Select("signatures.*, petitions.title, petitions.slug").Joins("JOIN petitions ON petitions.id = signatures.petition_id")
	if err := supporterSignatures(q, sup).Order("signatures.created_at").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: supporter signatures: %w", err)
	}
	out := make([]SignatureExport, 0, len(rows))
	for _, r := range rows {
		out = append(out, SignatureExport{Petition: r.Title, PetitionSlug: r.Slug, Name: r.Name, Email: r.Address(), Country: r.Country, Postcode: r.Postcode,
			State: r.State, OptIn: r.OptIn, ConsentWording: r.ConsentWording, IP: r.IP, Source: r.Source, SignedAt: r.CreatedAt.UTC(), ConfirmedAt: r.ConfirmedAt})
	}
	return out, nil
}

// anonymiseSignatures removes a supporter's personal data from their
// signatures on erasure: name, address, postcode and IP go, the state and
// country stay, so every count stays right. The mailbox key becomes a hash, so
// it still holds its place in the unique index.
func anonymiseSignatures(ctx context.Context, tx *gorm.DB, sup *Supporter) error {
	var ids []struct {
		ID              string
		NormalisedEmail string
	}
	if err := supporterSignatures(tx.WithContext(ctx).Model(&Signature{}), sup).Select("id, normalised_email").Scan(&ids).Error; err != nil {
		return fmt.Errorf("models: anonymise signatures: %w", err)
	}
	for _, r := range ids {
		if err := tx.WithContext(ctx).Model(&Signature{}).Where("id = ?", r.ID).Updates(map[string]any{"name": "", "email": nil, "postcode": "", "ip": "",
			"ip_erased": true, "normalised_email": "erased:" + HashSecret(r.NormalisedEmail), "supporter_id": nil, "token_hash": nil}).Error; err != nil {
			return fmt.Errorf("models: anonymise signatures: %w", err)
		}
		if err := tx.WithContext(ctx).Where("signature_id = ?", r.ID).Delete(&SignatureToken{}).Error; err != nil {
			return fmt.Errorf("models: anonymise signatures: %w", err)
		}
	}
	return nil
}

// TrendingThreshold is the default of how many signatures from one IP or one
// email domain in an hour make a source worth a campaigner's look (UK
// Parliament petitions log at 100 an hour); SIGNATURE_TRENDING_THRESHOLD
// changes it.
const TrendingThreshold = 100

// TrendingSource is one IP or email domain and its signatures in the window.
type TrendingSource struct {
	Kind   string // "ip" or "domain"
	Source string
	N      int64
	Over   bool // at or over the threshold
}

// TrendingSources lists, per IP and per email domain, the petition's
// signatures since `since`, busiest first (at most 10 of each), flagging those
// at or over threshold.
func TrendingSources(ctx context.Context, db *gorm.DB, petitionID string, since time.Time, threshold int) ([]TrendingSource, error) {
	return sourceCounts(ctx, db, petitionID, since, threshold, 10)
}
