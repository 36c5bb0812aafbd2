package models

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Notice kinds: what a campaigner is told about a petition, each thing once.
const (
	NoticeMilestone = "milestone"
	NoticeTrending  = "trending"
)

// PetitionNotice records that campaigners were told something about a
// petition: a milestone ("10", "100", …, "goal") or a trending source
// ("ip:203.0.113.7", "domain:example.net"). Its primary key makes each notice
// once-only: the caller that inserts the row sends the email, in the same
// transaction, so overlapping or repeated job runs never send it twice.
type PetitionNotice struct {
	PetitionID string `gorm:"primaryKey"`
	Kind       string `gorm:"primaryKey"`
	Subject    string `gorm:"primaryKey"`
	Value      int64
	CreatedAt  time.Time
}

// ClaimPetitionNotice inserts the notice in tx and reports whether this call
// inserted it (and so must send it); false means it was sent before.
func ClaimPetitionNotice(ctx context.Context, tx *gorm.DB, n PetitionNotice) (bool, error) {
	res := tx.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&n)
	if res.Error != nil {
		return false, fmt.Errorf("models: petition notice: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// MilestoneSteps are the powers of ten from 10 up to n: the counts worth
// telling campaigners about.
func MilestoneSteps(n int64) []int64 {
	var out []int64
	for s := int64(10); s <= n && s > 0; s *= 10 {
		out = append(out, s)
	}
	return out
}

// CountedPetition is a petition with its public count, as the milestone check
// reads it.
type CountedPetition struct {
	Petition
	Confirmed int64
}

// RecentlyCountedPetitions lists the petitions whose counter moved since
// `since`: the only ones that can have passed a milestone. Reading a window
// rather than only the last run's petitions means a run that died between
// counting and notifying is caught up by the next.
func RecentlyCountedPetitions(ctx context.Context, db *gorm.DB, since time.Time) ([]CountedPetition, error) {
	var rows []CountedPetition
	if err := db.WithContext(ctx).Table("petitions").Select("petitions.*, petition_counters.confirmed").
		Joins("JOIN petition_counters ON petition_counters.petition_id = petitions.id").
		Where("petition_counters.updated_at >= ? AND petition_counters.confirmed >= ?", since, 1).Order("petitions.id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: recently counted petitions: %w", err)
	}
	return rows, nil
}

// MilestoneNews is what one petition's count newly reached: the highest power
// of ten not told before (0 for none) and whether the goal was.
type MilestoneNews struct {
	Step int64
	Goal bool
}

// Any reports whether there is something to tell.
func (m MilestoneNews) Any() bool { return m.Step > 0 || m.Goal }

// ClaimMilestones records, in tx, every milestone the count has reached and
// returns those not recorded before. Several steps passed at once (a jump from
// 5 to 1,500) are told as the highest one; a step equal to the goal is told
// as the goal only.
func ClaimMilestones(ctx context.Context, tx *gorm.DB, p *Petition, count int64, now time.Time) (MilestoneNews, error) {
	var news MilestoneNews
	if p.Goal > 0 && count >= int64(p.Goal) {
		ok, err := ClaimPetitionNotice(ctx, tx, PetitionNotice{PetitionID: p.ID, Kind: NoticeMilestone, Subject: "goal", Value: count, CreatedAt: now})
		if err != nil {
			return news, err
		}
		news.Goal = ok
	}
	for _, s := range MilestoneSteps(count) {
		ok, err := ClaimPetitionNotice(ctx, tx, PetitionNotice{PetitionID: p.ID, Kind: NoticeMilestone, Subject: strconv.FormatInt(s, 10), Value: count, CreatedAt: now})
		if err != nil {
			return news, err
		}
		if ok && !(news.Goal && s == int64(p.Goal)) {
			news.Step = s
		}
	}
	return news, nil
}

// SourcesOverThreshold lists every IP and email domain with at least
// threshold signatures on the petition since `since`, busiest first.
func SourcesOverThreshold(ctx context.Context, db *gorm.DB, petitionID string, since time.Time, threshold int) ([]TrendingSource, error) {
	return sourceCounts(ctx, db, petitionID, since, threshold, 0)
}

// sourceCounts groups a petition's signatures since `since` per IP and per
// email domain: those with at least `at` (0: any) signatures, at most `limit`
// of each kind (0: all), marked Over when at least `at`. The trending section
// of the admin page and the trending notice both read it.
func sourceCounts(ctx context.Context, db *gorm.DB, petitionID string, since time.Time, at, limit int) ([]TrendingSource, error) {
	var out []TrendingSource
	for _, k := range []struct{ kind, col string }{{"ip", "ip"}, {"domain", "email_domain"}} {
		var rows []struct {
			Source string
			N      int64
		}
		q := db.WithContext(ctx).Model(&Signature{}).Select(k.col+" AS source, COUNT(*) AS n").
			Where("petition_id = ? AND created_at >= ? AND "+k.col+" <> ''", petitionID, since).Group(k.col)
		if at > 0 && limit == 0 {
			q = q.Having("COUNT(*) >= ?", at)
		}
		if limit > 0 {
			q = q.Limit(limit)
		}
		if err := q.Order("n DESC, source").Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("models: trending sources: %w", err)
		}
		for _, r := range rows {
			out = append(out, TrendingSource{Kind: k.kind, Source: r.Source, N: r.N, Over: at > 0 && r.N >= int64(at)})
		}
	}
	return out, nil
}

// OpenPetitionIDs lists the open petitions, for the sweeps that watch them.
func OpenPetitionIDs(ctx context.Context, db *gorm.DB) ([]string, error) {
	var ids []string
	if err := db.WithContext(ctx).Model(&Petition{}).Where("status = ?", PetitionOpen).Order("id").Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("models: open petitions: %w", err)
	}
	return ids, nil
}

// PetitionCampaigners are the staff to tell about a petition: the active
// campaigners of its campaign (those who created one of its petitions or wrote
// one of its releases or alerts) and the petition's own creator when they may
// manage petitions; when that finds nobody, or the petition has no campaign,
// every active campaigner.
func PetitionCampaigners(ctx context.Context, db *gorm.DB, p *Petition) ([]User, error) {
	q := db.WithContext(ctx)
	var out []User
	if p.CampaignID != nil {
		err := q.Where("disabled_at IS NULL AND ((role = ? AND (id IN (SELECT created_by FROM petitions WHERE campaign_id = ? AND created_by IS NOT NULL) OR id IN (SELECT author_id FROM documents WHERE campaign_id = ?))) OR (id = ? AND role IN ?))",
			RoleCampaigner, *p.CampaignID, *p.CampaignID, deref(p.CreatedBy), []Role{RoleCampaigner, RoleAdmin}).Order("email").Find(&out).Error
		if err != nil {
			return nil, fmt.Errorf("models: petition campaigners: %w", err)
		}
	}
	if len(out) == 0 {
		if err := q.Where("disabled_at IS NULL AND role = ?", RoleCampaigner).Order("email").Find(&out).Error; err != nil {
			return nil, fmt.Errorf("models: petition campaigners: %w", err)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
