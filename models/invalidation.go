package models

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// InvalidationCriteria select the signatures of one petition a bulk
// invalidation removes. Every given field must match (AND); at least one is
// required, so nobody invalidates a whole petition by an empty form.
type InvalidationCriteria struct {
	IP           string     `json:"ip,omitempty"`
	CIDR         string     `json:"cidr,omitempty"`
	Domain       string     `json:"domain,omitempty"`
	EmailPattern string     `json:"email_pattern,omitempty"` // * is any run of characters
	Country      string     `json:"country,omitempty"`
	State        string     `json:"state,omitempty"`
	From         *time.Time `json:"from,omitempty"`
	To           *time.Time `json:"to,omitempty"`
}

// Validate checks the criteria and returns the parsed network.
func (c *InvalidationCriteria) Validate() (*net.IPNet, error) {
	var v ValidationError
	c.IP, c.CIDR, c.Domain = strings.TrimSpace(c.IP), strings.TrimSpace(c.CIDR), strings.ToLower(strings.TrimSpace(strings.TrimPrefix(c.Domain, "@")))
	c.EmailPattern, c.Country, c.State = strings.ToLower(strings.TrimSpace(c.EmailPattern)), strings.ToUpper(strings.TrimSpace(c.Country)), strings.TrimSpace(c.State)
	var network *net.IPNet
	if c.IP != "" && net.ParseIP(c.IP) == nil {
		v.Add("ip", "is not an IP address")
	}
	if c.CIDR != "" {
		var err error
		if _, network, err = net.ParseCIDR(c.CIDR); err != nil {
			v.Add("cidr", "is not a network such as 203.0.113.0/24")
		}
	}
	if c.Country != "" && !ValidCountry(c.Country) {
		v.Add("country", "is not a country code")
	}
	switch SignatureState(c.State) {
	case "", SignaturePending, SignatureConfirmed, SignatureFlagged:
	default:
		v.Add("state", "must be pending, confirmed or flagged")
	}
	if c.From != nil && c.To != nil && !c.To.After(*c.From) {
		v.Add("to", "must be after from")
	}
	if c.IP == "" && c.CIDR == "" && c.Domain == "" && c.EmailPattern == "" && c.Country == "" && c.State == "" && c.From == nil && c.To == nil {
		v.Add("criteria", "give at least one of ip, cidr, domain, email_pattern, country, state, from, to")
	}
	return network, v.Err()
}

// apply narrows a query on one petition's live (not invalidated) signatures.
// A CIDR is matched in Go by the caller (no portable SQL for it).
func (c InvalidationCriteria) apply(q *gorm.DB, petitionID string) *gorm.DB {
	q = q.Where("petition_id = ? AND state <> ?", petitionID, SignatureInvalidated)
	if c.IP != "" {
		q = q.Where("ip = ?", c.IP)
	}
	if c.Domain != "" {
		q = q.Where("email_domain = ?", c.Domain)
	}
	if c.EmailPattern != "" {
		like := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(c.EmailPattern)
		like = strings.ReplaceAll(like, "*", "%")
		q = q.Where(`(email LIKE ? ESCAPE '\' OR normalised_email LIKE ? ESCAPE '\')`, like, like)
	}
	if c.Country != "" {
		q = q.Where("country = ?", c.Country)
	}
	if c.State != "" {
		q = q.Where("state = ?", c.State)
	}
	if c.From != nil {
		q = q.Where("created_at >= ?", c.From.UTC())
	}
	if c.To != nil {
		q = q.Where("created_at < ?", c.To.UTC())
	}
	return q
}

type invalidationRow struct {
	ID        string
	IP        string `gorm:"column:ip"`
	Country   string
	State     SignatureState
	CountedAt *time.Time
}

// matchingSignatures calls fn with pages of matching signatures.
func matchingSignatures(ctx context.Context, db *gorm.DB, petitionID string, c InvalidationCriteria, network *net.IPNet, lock bool, fn func([]invalidationRow) error) error {
	after := ""
	for {
		var page []invalidationRow
		q := c.apply(db.WithContext(ctx).Model(&Signature{}).Select("id, ip, country, state, counted_at"), petitionID)
		if after != "" {
			q = q.Where("id > ?", after)
		}
		if lock && db.Dialector.Name() == "postgres" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Order("id").Limit(2000).Scan(&page).Error; err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		after = page[len(page)-1].ID
		if network != nil {
			kept := page[:0:0]
			for _, r := range page {
				if ip := net.ParseIP(r.IP); ip != nil && network.Contains(ip) {
					kept = append(kept, r)
				}
			}
			page = kept
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
		}
	}
}

// PreviewInvalidation counts the signatures the criteria would invalidate.
func PreviewInvalidation(ctx context.Context, db *gorm.DB, petitionID string, c InvalidationCriteria) (int, error) {
	network, err := c.Validate()
	if err != nil {
		return 0, err
	}
	if _, err := PetitionByID(ctx, db, petitionID); err != nil {
		return 0, err
	}
	n := 0
	err = matchingSignatures(ctx, db, petitionID, c, network, false, func(rows []invalidationRow) error { n += len(rows); return nil })
	if err != nil {
		return 0, fmt.Errorf("models: preview invalidation: %w", err)
	}
	return n, nil
}

// InvalidationStatus is where a bulk invalidation stands.
type InvalidationStatus string

// Invalidation statuses.
const (
	InvalidationQueued   InvalidationStatus = "queued"
	InvalidationRunning  InvalidationStatus = "running"
	InvalidationDone     InvalidationStatus = "done"
	InvalidationReversed InvalidationStatus = "reversed"
)

// Invalidation is one bulk invalidation: its criteria, progress and fate.
type Invalidation struct {
	ID          string `gorm:"primaryKey"`
	PetitionID  string
	Criteria    string
	Status      InvalidationStatus
	Matched     int
	Invalidated int
	CreatedBy   *string
	CreatedAt   time.Time
	FinishedAt  *time.Time
	ReversedAt  *time.Time
}

// CreateInvalidation records a bulk invalidation to run as a job (enqueue it
// in the same transaction) and audits it with its criteria.
func CreateInvalidation(ctx context.Context, tx *gorm.DB, by *User, petitionID string, c InvalidationCriteria, now time.Time) (*Invalidation, error) {
	if !CanManagePetitions(by) {
		return nil, ErrNotCampaigner
	}
	n, err := PreviewInvalidation(ctx, tx, petitionID, c)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(c)
	inv := &Invalidation{ID: NewID(), PetitionID: petitionID, Criteria: string(b), Status: InvalidationQueued, Matched: n, CreatedBy: &by.ID, CreatedAt: now}
	if err := tx.WithContext(ctx).Create(inv).Error; err != nil {
		return nil, fmt.Errorf("models: create invalidation: %w", err)
	}
	if err := Audit(ctx, tx, AuditEvent{ActorID: &by.ID, At: now, Action: "signatures_invalidated", SubjectType: "petition", SubjectID: petitionID,
		Details: fmt.Sprintf("invalidation %s of %d signatures matching %s", inv.ID, n, b)}); err != nil {
		return nil, err
	}
	return inv, nil
}

// InvalidationByID loads one invalidation.
func InvalidationByID(ctx context.Context, db *gorm.DB, id string) (*Invalidation, error) {
	var inv Invalidation
	if err := db.WithContext(ctx).First(&inv, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: invalidation: %w", translate(err))
	}
	return &inv, nil
}

// RunInvalidation invalidates the matching signatures a page per transaction,
// recording progress. A counted signature is taken off the counters in the
// same transaction, so the public count never includes an invalidated one and
// never loses a valid one. Running it again (a retried job) finds nothing left.
func RunInvalidation(ctx context.Context, db *gorm.DB, id string, now time.Time) error {
	inv, err := InvalidationByID(ctx, db, id)
	if err != nil {
		return err
	}
	if inv.Status == InvalidationDone || inv.Status == InvalidationReversed {
		return nil
	}
	var c InvalidationCriteria
	if err := json.Unmarshal([]byte(inv.Criteria), &c); err != nil {
		return fmt.Errorf("models: run invalidation: %w", err)
	}
	network, err := c.Validate()
	if err != nil {
		return err
	}
	db.WithContext(ctx).Model(inv).Update("status", InvalidationRunning)
	for {
		done := 0
		err := Transaction(ctx, db, func(tx *gorm.DB) error {
			var batch []invalidationRow
			stop := fmt.Errorf("batch full")
			err := matchingSignatures(ctx, tx, inv.PetitionID, c, network, true, func(rows []invalidationRow) error {
				batch = append(batch, rows...)
				if len(batch) >= 2000 {
					return stop
				}
				return nil
			})
			if err != nil && err != stop {
				return err
			}
			if len(batch) == 0 {
				return nil
			}
			var counted []countedRow
			for _, r := range batch {
				if err := tx.Model(&Signature{}).Where("id = ? AND state <> ?", r.ID, SignatureInvalidated).
					Updates(map[string]any{"state": SignatureInvalidated, "state_before": r.State, "invalidation_id": inv.ID, "counted_at": nil}).Error; err != nil {
					return err
				}
				if r.State == SignatureConfirmed && r.CountedAt != nil {
					counted = append(counted, countedRow{PetitionID: inv.PetitionID, Country: r.Country})
				}
			}
			if len(counted) > 0 {
				if err := addCounts(tx, counted, -1, now); err != nil {
					return err
				}
			}
			done = len(batch)
			return tx.Model(&Invalidation{}).Where("id = ?", inv.ID).Update("invalidated", gorm.Expr("invalidated + ?", done)).Error
		})
		if err != nil {
			return fmt.Errorf("models: run invalidation: %w", err)
		}
		if done == 0 {
			break
		}
	}
	return db.WithContext(ctx).Model(&Invalidation{}).Where("id = ?", inv.ID).Updates(map[string]any{"status": InvalidationDone, "finished_at": now}).Error
}

// ReverseInvalidation puts every signature an invalidation took back in the
// state it had; the count job then counts the confirmed ones again. Audited.
func ReverseInvalidation(ctx context.Context, db *gorm.DB, by *User, id string, now time.Time) (*Invalidation, error) {
	if !CanManagePetitions(by) {
		return nil, ErrNotCampaigner
	}
	var inv *Invalidation
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var err error
		if inv, err = InvalidationByID(ctx, tx, id); err != nil {
			return err
		}
		if inv.Status != InvalidationDone {
			return &PetitionStateError{Msg: "only a finished invalidation can be reversed; this one is " + string(inv.Status)}
		}
		if err := tx.Model(&Signature{}).Where("invalidation_id = ? AND state = ?", id, SignatureInvalidated).
			Updates(map[string]any{"state": gorm.Expr("state_before"), "state_before": "", "invalidation_id": nil, "counted_at": nil}).Error; err != nil {
			return err
		}
		inv.Status, inv.ReversedAt = InvalidationReversed, &now
		if err := tx.Model(&Invalidation{}).Where("id = ?", id).Updates(map[string]any{"status": inv.Status, "reversed_at": now}).Error; err != nil {
			return err
		}
		return Audit(ctx, tx, AuditEvent{ActorID: &by.ID, At: now, Action: "signatures_invalidation_reversed", SubjectType: "petition", SubjectID: inv.PetitionID,
			Details: "invalidation " + id})
	})
	if err != nil {
		return nil, fmt.Errorf("models: reverse invalidation: %w", translate(err))
	}
	return inv, nil
}

// InvalidationsOf lists a petition's bulk invalidations, newest first.
func InvalidationsOf(ctx context.Context, db *gorm.DB, petitionID string) ([]Invalidation, error) {
	var out []Invalidation
	if err := db.WithContext(ctx).Where("petition_id = ?", petitionID).Order("created_at DESC, id DESC").Limit(50).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: invalidations: %w", err)
	}
	return out, nil
}
