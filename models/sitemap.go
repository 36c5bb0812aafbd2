package models

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// The sitemap: an index of pages, each listing up to SitemapPageSize public
// releases in the newsroom's order (latest publication first), page after page
// by key, so every release is listed exactly once however large the archive,
// and no page costs more than its own rows.

// SitemapPageSize is how many releases one sitemap page covers: under the
// protocol's 50,000 URLs, and small enough (about 2.5 MB) for the page cache.
const SitemapPageSize = 20_000

// maxSitemapPages caps the index (the protocol allows 50,000 sitemaps in one
// index): 500 pages are 10,000,000 releases.
const maxSitemapPages = 500

// SitemapEntry is one release in the sitemap.
type SitemapEntry struct {
	ID          string
	Slug        string
	PublishedAt time.Time
	UpdatedAt   time.Time
	OriginalID  *string
}

// Key is the entry's position in the newsroom's order.
func (e SitemapEntry) Key() PublicKey { return PublicKey{PublishedAt: e.PublishedAt.UTC(), ID: e.ID} }

// sitemapQuery is the published releases with a slug, read from documents
// alone (a sitemap needs no headline), in the newsroom's order after the
// given key: an ordered range of the newsroom's index that stops at the page's
// end. A translation's original is checked apart (visibleOriginals), for the
// few rows that have one: joined over a whole page, PostgreSQL would
// hash-join the entire archive instead.
func sitemapQuery(ctx context.Context, db *gorm.DB, now time.Time, after *PublicKey) *gorm.DB {
	q := db.WithContext(ctx).Table("documents").
		Where("documents.status IN ('published', 'withdrawn') AND documents.published_at IS NOT NULL AND documents.published_at <= ?", now).
		Where("documents.slug IS NOT NULL")
	if after != nil {
		q = q.Where("(documents.published_at < ? OR (documents.published_at = ? AND documents.id < ?))", after.PublishedAt.UTC(), after.PublishedAt.UTC(), after.ID)
	}
	return q.Order("documents.published_at DESC, documents.id DESC")
}

// SitemapPage lists the public releases among the size (SitemapPageSize when
// 0) that follow the given key (nil: from the latest) in the newsroom's order:
// the releases of one sitemap page. A translation shows only while its
// original is public too, as everywhere in the newsroom (visibleSQL).
func SitemapPage(ctx context.Context, db *gorm.DB, now time.Time, after *PublicKey, size int) ([]SitemapEntry, error) {
	if size <= 0 {
		size = SitemapPageSize
	}
	var rows []SitemapEntry
	if err := sitemapQuery(ctx, db, now, after).Select("documents.id, documents.slug, documents.published_at, documents.updated_at, documents.original_id").
		Limit(size).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: sitemap page: %w", err)
	}
	var originals []string
	for _, r := range rows {
		if r.OriginalID != nil {
			originals = append(originals, *r.OriginalID)
		}
	}
	if len(originals) == 0 {
		return rows, nil
	}
	visible := map[string]bool{}
	for chunk := range slices.Chunk(originals, 1000) {
		var ids []string
		if err := db.WithContext(ctx).Table("documents").Where("id IN ?", chunk).
			Where("status IN ('published', 'withdrawn') AND published_at IS NOT NULL AND published_at <= ?", now).Pluck("id", &ids).Error; err != nil {
			return nil, fmt.Errorf("models: sitemap page: originals: %w", err)
		}
		for _, id := range ids {
			visible[id] = true
		}
	}
	out := rows[:0]
	for _, r := range rows {
		if r.OriginalID == nil || visible[*r.OriginalID] {
			out = append(out, r)
		}
	}
	return out, nil
}

// SitemapPageStarts returns the key each sitemap page after the first starts
// after: every size-th release (SitemapPageSize when 0) in the newsroom's
// order, as long as more follow. Each is one bounded range of the newsroom's
// index (size entries skipped, no more); the caller caches the result by
// newsroom version.
func SitemapPageStarts(ctx context.Context, db *gorm.DB, now time.Time, size int) ([]PublicKey, error) {
	if size <= 0 {
		size = SitemapPageSize
	}
	var starts []PublicKey
	var after *PublicKey
	for len(starts) < maxSitemapPages-1 {
		var last []SitemapEntry
		if err := sitemapQuery(ctx, db, now, after).Select("documents.id, documents.published_at").Offset(size - 1).Limit(1).Scan(&last).Error; err != nil {
			return nil, fmt.Errorf("models: sitemap pages: %w", err)
		}
		if len(last) == 0 {
			break
		}
		k := last[0].Key()
		var next []string
		if err := sitemapQuery(ctx, db, now, &k).Limit(1).Pluck("documents.id", &next).Error; err != nil {
			return nil, fmt.Errorf("models: sitemap pages: %w", err)
		}
		if len(next) == 0 {
			break
		}
		starts = append(starts, k)
		after = &k
	}
	return starts, nil
}
