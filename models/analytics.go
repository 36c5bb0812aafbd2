package models

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// SourceParam is the query parameter that links in Pressroom's emails carry to
// petition and action pages: the id of the send the email belongs to. It says
// which send brought a signer or letter writer, and nothing about the person
// (every recipient of a send gets the same link).
const SourceParam = "src"

// SendSource returns the send id a link's src parameter carries, or nil when
// the value is not shaped like one: anything else is dropped rather than
// stored. The id is not checked against the sends table here (the signing path
// must not pay a lookup); analytics join on sends, so a made-up id counts
// nowhere. Letters record their source with the same call.
func SendSource(src string) *string {
	src = strings.TrimSpace(src)
	if len(src) != 16 {
		return nil
	}
	for _, r := range src {
		if (r < 'a' || r > 'z') && (r < '2' || r > '7') {
			return nil
		}
	}
	return &src
}

// TrackedURL adds the send's source parameter to a link, keeping its other
// parameters and fragment.
func TrackedURL(raw, sendID string) string {
	u, err := url.Parse(raw)
	if err != nil || sendID == "" {
		return raw
	}
	q := u.Query()
	q.Set(SourceParam, sendID)
	u.RawQuery = q.Encode()
	return u.String()
}

// Analytics granularities: a campaign younger than two days is charted by
// the hour, older ones by the day (UTC).
const (
	ByDay  = "day"
	ByHour = "hour"
)

// TimePoint is one bucket of the series over time.
type TimePoint struct {
	At         time.Time
	Signatures int64
	Letters    int64
}

// CountryRow is one country's confirmed signatures (and letters).
type CountryRow struct {
	Code, Name string
	Signatures int64
	Letters    int64
}

// SendRow is one send with its delivery figures and what it brought.
type SendRow struct {
	ID         string
	DocumentID string
	Headline   string
	Kind       Kind
	Status     SendStatus
	Recipients int
	Delivered  int
	Opened     int
	Clicked    int
	CreatedAt  time.Time
	Signatures int64
	Letters    int64
}

// Analytics is a campaign's or a petition's figures: confirmed signatures
// (and letters) over time, by country and per send. Only confirmed
// signatures count, as on the public counter.
type Analytics struct {
	Granularity string
	Series      []TimePoint
	ByCountry   []CountryRow
	Sends       []SendRow
	Signatures  int64
	Letters     int64
}

// analyticsScope is what a set of figures covers: the petitions whose
// signatures count, the actions whose letters count (nil: none) and the sends
// listed.
type analyticsScope struct {
	petitions *gorm.DB // a subquery selecting petition ids
	actions   *gorm.DB // a subquery selecting action alert ids, or nil
	sends     *gorm.DB // a subquery selecting send ids
}

// CampaignAnalytics is the figures of every petition, action and send of a
// campaign.
func CampaignAnalytics(ctx context.Context, db *gorm.DB, campaignID string) (*Analytics, error) {
	q := db.WithContext(ctx)
	sc := analyticsScope{
		petitions: q.Table("petitions").Select("id").Where("campaign_id = ?", campaignID),
		actions:   q.Table("documents").Select("id").Where("campaign_id = ? AND kind = ?", campaignID, KindActionAlert),
		sends: q.Table("sends").Select("sends.id").Joins("JOIN documents ON documents.id = sends.document_id").
			Where("documents.campaign_id = ?", campaignID),
	}
	return analyticsOf(ctx, db, sc)
}

// PetitionAnalytics is one petition's figures; its sends are those of its
// linked release and of its campaign's releases and alerts.
func PetitionAnalytics(ctx context.Context, db *gorm.DB, p *Petition) (*Analytics, error) {
	q := db.WithContext(ctx)
	docs := q.Table("documents").Select("id").Where("id = ?", deref(p.ReleaseID))
	if p.CampaignID != nil {
		docs = docs.Or("campaign_id = ?", *p.CampaignID)
	}
	sc := analyticsScope{
		petitions: q.Table("petitions").Select("id").Where("id = ?", p.ID),
		sends:     q.Table("sends").Select("id").Where("document_id IN (?)", docs),
	}
	return analyticsOf(ctx, db, sc)
}

// ActionAnalytics is one action alert's figures: its letters, the
// signatures of petitions linked to it, and its own sends. The letters and
// sends are the case's: the original's and its translations' together,
// asked of either.
func ActionAnalytics(ctx context.Context, db *gorm.DB, d *Document) (*Analytics, error) {
	q := db.WithContext(ctx)
	caseID := d.ID
	if d.OriginalID != nil {
		caseID = *d.OriginalID
	}
	caseDocs := func() *gorm.DB {
		return q.Table("documents").Select("id").Where("id = ? OR original_id = ?", caseID, caseID)
	}
	sc := analyticsScope{
		petitions: q.Table("petitions").Select("id").Where("release_id = ?", d.ID),
		actions:   caseDocs(),
		sends:     q.Table("sends").Select("id").Where("document_id IN (?)", caseDocs()),
	}
	return analyticsOf(ctx, db, sc)
}

// analyticsSource is one table of things people did: signatures or letters,
// both confirmed by their writer, both carrying country and send_id.
type analyticsSource struct {
	name    string
	rows    func() *gorm.DB // the confirmed rows in scope
	letters bool
}

func analyticsOf(ctx context.Context, db *gorm.DB, sc analyticsScope) (*Analytics, error) {
	q := db.WithContext(ctx)
	out := &Analytics{Granularity: ByDay}
	sources := []analyticsSource{{name: "signatures", rows: func() *gorm.DB {
		return q.Table("signatures").Where("state = ? AND petition_id IN (?)", SignatureConfirmed, sc.petitions)
	}}}
	if sc.actions != nil {
		sources = append(sources, analyticsSource{name: "letters", letters: true, rows: func() *gorm.DB {
			return q.Table("letters").Where("state = ? AND document_id IN (?)", "confirmed", sc.actions)
		}})
	}
	add := func(src analyticsSource, sig *int64, let *int64, n int64) {
		if src.letters {
			*let += n
		} else {
			*sig += n
		}
	}
	var first, last time.Time
	for _, src := range sources {
		var span struct {
			N           int64
			First, Last *string
		}
		// MIN/MAX come back as text on SQLite; parseBucket reads either dialect.
		if err := src.rows().Select("COUNT(*) AS n, MIN(confirmed_at) AS first, MAX(confirmed_at) AS last").Scan(&span).Error; err != nil {
			return nil, fmt.Errorf("models: analytics span of %s: %w", src.name, err)
		}
		add(src, &out.Signatures, &out.Letters, span.N)
		if span.N == 0 || span.First == nil || span.Last == nil {
			continue
		}
		f, ferr := parseBucket(*span.First)
		l, lerr := parseBucket(*span.Last)
		if ferr != nil || lerr != nil {
			continue
		}
		if first.IsZero() || f.Before(first) {
			first = f
		}
		if l.After(last) {
			last = l
		}
	}
	if !first.IsZero() && last.Sub(first) < 48*time.Hour {
		out.Granularity = ByHour
	}
	bucket := bucketExpr(db, "confirmed_at", out.Granularity)
	points := map[time.Time]*TimePoint{}
	countries := map[string]*CountryRow{}
	for _, src := range sources {
		var rows []struct {
			Bucket string
			N      int64
		}
		if err := src.rows().Select(bucket + " AS bucket, COUNT(*) AS n").Group(bucket).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("models: analytics of %s over time: %w", src.name, err)
		}
		for _, r := range rows {
			t, err := parseBucket(r.Bucket)
			if err != nil {
				return nil, fmt.Errorf("models: analytics over time: %w", err)
			}
			p := points[t]
			if p == nil {
				p = &TimePoint{At: t}
				points[t] = p
			}
			add(src, &p.Signatures, &p.Letters, r.N)
		}
		var cs []struct {
			Country string
			N       int64
		}
		if err := src.rows().Select("country, COUNT(*) AS n").Group("country").Scan(&cs).Error; err != nil {
			return nil, fmt.Errorf("models: analytics of %s by country: %w", src.name, err)
		}
		for _, c := range cs {
			row := countries[c.Country]
			if row == nil {
				row = &CountryRow{Code: c.Country, Name: CountryName(c.Country)}
				countries[c.Country] = row
			}
			add(src, &row.Signatures, &row.Letters, c.N)
		}
	}
	for _, p := range points {
		out.Series = append(out.Series, *p)
	}
	sort.Slice(out.Series, func(i, j int) bool { return out.Series[i].At.Before(out.Series[j].At) })
	out.Series = fillGaps(out.Series, out.Granularity)
	for _, c := range countries {
		out.ByCountry = append(out.ByCountry, *c)
	}
	sort.Slice(out.ByCountry, func(i, j int) bool {
		a, b := out.ByCountry[i], out.ByCountry[j]
		if a.Signatures+a.Letters != b.Signatures+b.Letters {
			return a.Signatures+a.Letters > b.Signatures+b.Letters
		}
		return a.Code < b.Code
	})
	if err := q.Table("sends").Select("sends.id, sends.document_id, sends.kind, sends.status, sends.recipients, sends.delivered, sends.opened, sends.clicked, sends.created_at, revisions.headline").
		Joins("JOIN revisions ON revisions.document_id = sends.document_id AND revisions.number = sends.revision").
		Where("sends.id IN (?)", sc.sends).Order("sends.created_at DESC").Scan(&out.Sends).Error; err != nil {
		return nil, fmt.Errorf("models: analytics sends: %w", err)
	}
	if len(out.Sends) == 0 {
		return out, nil
	}
	ids := make([]string, len(out.Sends))
	idx := make(map[string]int, len(out.Sends))
	for i, s := range out.Sends {
		ids[i], idx[s.ID] = s.ID, i
	}
	for _, src := range sources {
		var per []struct {
			SendID string
			N      int64
		}
		if err := src.rows().Select("send_id, COUNT(*) AS n").Where("send_id IN ?", ids).Group("send_id").Scan(&per).Error; err != nil {
			return nil, fmt.Errorf("models: analytics of %s per send: %w", src.name, err)
		}
		for _, p := range per {
			s := &out.Sends[idx[p.SendID]]
			add(src, &s.Signatures, &s.Letters, p.N)
		}
	}
	return out, nil
}

// bucketExpr truncates a timestamp column to the day or hour, in UTC, as text
// ("2026-07-09" or "2026-07-09 10"). SQLite stores times as text in UTC, so a
// prefix is the bucket; PostgreSQL formats.
func bucketExpr(db *gorm.DB, col, granularity string) string {
	if db.Dialector.Name() == "postgres" {
		if granularity == ByHour {
			return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"
		}
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	if granularity == ByHour {
		return "replace(substr(" + col + ", 1, 13), 'T', ' ')"
	}
	return "substr(" + col + ", 1, 10)"
}

// parseBucket reads a bucket or a stored timestamp of either dialect.
func parseBucket(s string) (time.Time, error) {
	s = strings.Replace(strings.TrimSpace(s), "T", " ", 1)
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05-07", "2006-01-02 15:04:05.999999999-07", "2006-01-02 15:04:05.999999999", "2006-01-02 15", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("models: unreadable time bucket %q", s)
}

// fillGaps adds the empty buckets between the first and last, so a chart's
// x axis is time, not just the buckets that had signatures. A series spanning
// more than a few years is left as it is.
func fillGaps(ps []TimePoint, granularity string) []TimePoint {
	if len(ps) < 2 {
		return ps
	}
	step := 24 * time.Hour
	if granularity == ByHour {
		step = time.Hour
	}
	n := int(ps[len(ps)-1].At.Sub(ps[0].At)/step) + 1
	if n > 2000 || n <= len(ps) {
		return ps
	}
	out := make([]TimePoint, 0, n)
	i := 0
	for t := ps[0].At; !t.After(ps[len(ps)-1].At); t = t.Add(step) {
		if i < len(ps) && ps[i].At.Equal(t) {
			out = append(out, ps[i])
			i++
			continue
		}
		out = append(out, TimePoint{At: t})
	}
	return out
}

// PublicPetitionOfDocument returns a petition the public may sign now that is
// linked to the document or to the release an alert was made from, or nil:
// a supporter email's call to action goes there.
func PublicPetitionOfDocument(ctx context.Context, db *gorm.DB, d *Document, now time.Time) (*Petition, error) {
	ids := []string{d.ID}
	if d.FollowsReleaseID != nil {
		ids = append(ids, *d.FollowsReleaseID)
	}
	var ps []Petition
	if err := db.WithContext(ctx).Where("release_id IN ? AND status = ?", ids, PetitionOpen).Order("created_at").Limit(5).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("models: petition of document: %w", err)
	}
	for i := range ps {
		rel, err := petitionRelease(ctx, db, &ps[i])
		if err != nil {
			return nil, err
		}
		if ps[i].Public(rel, now) && ps[i].Signable(now) {
			return &ps[i], nil
		}
	}
	return nil, nil
}
