package app

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// tagCache keeps the newsroom filters' choices (the countries and themes in
// use) per kind, with the newsroom version they were read at. Reading them
// looks at every public release (hundreds of milliseconds at 100,000), so
// it is done once per version, never per page view, and not in the way of a
// reader: when the version has moved, the choices read at an earlier version
// are served (fresh=false) while one refresh runs in the background. They
// can only lack a tag published since, never offer one still under embargo:
// a release that was not public then was not read.
type tagCache struct {
	mu     sync.Mutex
	byKind map[models.Kind]*kindTags
}

type kindTags struct {
	version    int64
	tags       *models.PublicTags
	refreshing bool
}

// tags returns the filter choices of a kind and whether they are those of
// the newsroom version st (a page showing older ones must not be cached as
// this version's).
func (tc *tagCache) tags(ctx context.Context, db *models.DB, st *models.NewsroomState, kind models.Kind, now time.Time) (*models.PublicTags, bool, error) {
	tc.mu.Lock()
	if tc.byKind == nil {
		tc.byKind = map[models.Kind]*kindTags{}
	}
	k := tc.byKind[kind]
	if k != nil && k.version == st.Version {
		tc.mu.Unlock()
		return k.tags, true, nil
	}
	if k != nil { // an older version's: serve it, refresh once behind it
		if !k.refreshing {
			k.refreshing = true
			go tc.refresh(context.WithoutCancel(ctx), db, st.Version, kind, now)
		}
		tc.mu.Unlock()
		return k.tags, false, nil
	}
	tc.mu.Unlock()
	t, err := models.PublicTagValues(ctx, db.Gorm, kind, now)
	if err != nil {
		return nil, false, err
	}
	tc.store(st.Version, kind, t)
	return t, true, nil
}

// refresh reads a kind's choices for a version, behind the readers.
func (tc *tagCache) refresh(ctx context.Context, db *models.DB, version int64, kind models.Kind, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	t, err := models.PublicTagValues(ctx, db.Gorm, kind, now)
	if err != nil { // keep the older choices; the next page view tries again
		tc.mu.Lock()
		tc.byKind[kind].refreshing = false
		tc.mu.Unlock()
		return
	}
	tc.store(version, kind, t)
}

func (tc *tagCache) store(version int64, kind models.Kind, t *models.PublicTags) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if k := tc.byKind[kind]; k == nil || k.version <= version {
		tc.byKind[kind] = &kindTags{version: version, tags: t}
	}
}

// filterChoice is one option of a newsroom filter's select.
type filterChoice struct {
	Value, Label string
	Selected     bool
}

// filterChoices are the options of a filter: every value in use, and the
// current one even when nothing carries it any more (a bookmarked link), so
// the select shows what the page is filtered by.
func filterChoices(values []string, current string, label func(string) string) []filterChoice {
	current = strings.TrimSpace(current)
	out := make([]filterChoice, 0, len(values)+1)
	found := current == ""
	for _, v := range values {
		sel := current != "" && strings.EqualFold(v, current)
		found = found || sel
		out = append(out, filterChoice{Value: v, Label: label(v), Selected: sel})
	}
	if !found {
		out = slices.Insert(out, 0, filterChoice{Value: current, Label: label(current), Selected: true})
	}
	return out
}

// searchConfigCache keeps the text search configurations of the public
// search rows with the newsroom version they were read at. They change with
// the version (a release in a new language is published), so a search reads
// them once per version instead of in a statement of its own each time: one
// statement per uncached search instead of two. They are read again after
// searchConfigsMaxAge even at the same version, which bounds how long a
// change made without one (a reindex by an operator, midway) goes unseen.
type searchConfigCache struct {
	mu      sync.Mutex
	version int64
	at      time.Time
	configs []string // nil: not read yet
}

// searchConfigsMaxAge is how long configurations read at one version are
// trusted.
const searchConfigsMaxAge = time.Minute

// get returns the configurations for the newsroom version st at now.
func (sc *searchConfigCache) get(ctx context.Context, db *models.DB, st *models.NewsroomState, now time.Time) ([]string, error) {
	sc.mu.Lock()
	if sc.configs != nil && sc.version == st.Version && !now.Before(sc.at) && now.Sub(sc.at) < searchConfigsMaxAge {
		configs := sc.configs
		sc.mu.Unlock()
		return configs, nil
	}
	sc.mu.Unlock()
	configs, err := models.PublicSearchConfigs(ctx, db.Gorm)
	if err != nil {
		return nil, err
	}
	if configs == nil {
		configs = []string{} // read, and none (or SQLite): not nil, which means "read them"
	}
	sc.mu.Lock()
	if sc.configs == nil || sc.version <= st.Version {
		sc.version, sc.configs, sc.at = st.Version, configs, now
	}
	sc.mu.Unlock()
	return configs, nil
}

// publicSearchConfigs is SearchOptions.Configs for a public search in a
// request that has been through cacheable: nil (read them) without a version.
func (s *Server) publicSearchConfigs(c *gin.Context) ([]string, error) {
	st, ok := c.Get(ctxNewsroomState)
	if !ok {
		return nil, nil
	}
	return s.searchConfigs.get(c.Request.Context(), s.db, st.(*models.NewsroomState), s.clock.Now())
}
