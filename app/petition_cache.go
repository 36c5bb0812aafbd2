package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"pressroom/models"
)

// petitionCacheMax bounds the petitions one process remembers; past it,
// entries older than the ttl are dropped, then everything if still too many.
const petitionCacheMax = 1000

// petitionCache holds the public petitions a web process read, by slug, for
// ttl: a viral petition then costs no query per signature or count request to
// find it. Only petitions that were public when read are kept, and Public is
// asked again at every hit with the current time, so an embargo lifting or a
// closing time passing takes effect at once; what only the database knows (a
// campaigner closing it, its release withdrawn) shows within ttl, as for the
// newsroom version. A signature stored in that second on a petition a
// campaigner has just closed can never be confirmed (confirming reads the
// petition itself), so it is never counted.
type petitionCache struct {
	ttl   time.Duration
	clock models.Clock

	mu sync.Mutex
	m  map[string]petitionEntry
}

type petitionEntry struct {
	p   models.Petition
	rel *models.Document
	at  time.Time // when it was read, on the process's own clock: the ttl is about staleness, not the domain's time
}

// public returns the petition of slug if the public may see it now, reading
// the database at most once per ttl while it stays public (every time when ttl
// is zero). Anything else is models.ErrNotFound, as PublicPetitionBySlug.
func (pc *petitionCache) public(ctx context.Context, db *models.DB, slug string) (*models.Petition, error) {
	now := pc.clock.Now()
	if pc.ttl <= 0 {
		return models.PublicPetitionBySlug(ctx, db.Gorm, slug, now)
	}
	pc.mu.Lock()
	e, ok := pc.m[slug]
	pc.mu.Unlock()
	if ok && time.Since(e.at) < pc.ttl && e.p.Public(e.rel, now) {
		p := e.p // a copy: callers may not share one petition
		return &p, nil
	}
	p, rel, err := models.PetitionAndReleaseBySlug(ctx, db.Gorm, slug)
	if err != nil {
		return nil, err
	}
	if !p.Public(rel, now) {
		pc.forget(slug)
		return nil, fmt.Errorf("app: public petition: %w", models.ErrNotFound)
	}
	pc.mu.Lock()
	if pc.m == nil {
		pc.m = map[string]petitionEntry{}
	}
	if len(pc.m) >= petitionCacheMax {
		for k, old := range pc.m {
			if time.Since(old.at) >= pc.ttl {
				delete(pc.m, k)
			}
		}
		if len(pc.m) >= petitionCacheMax {
			clear(pc.m)
		}
	}
	pc.m[slug] = petitionEntry{p: *p, rel: rel, at: time.Now()}
	pc.mu.Unlock()
	return p, nil
}

func (pc *petitionCache) forget(slug string) {
	pc.mu.Lock()
	delete(pc.m, slug)
	pc.mu.Unlock()
}
