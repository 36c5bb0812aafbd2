package app

import (
	"container/list"
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/singleflight"

	"pressroom/models"
)

// DefaultNewsroomVersionTTL is how long a web process trusts the newsroom
// version it last read before reading it again. It is the newsroom's bounded
// staleness inside one process: a release whose embargo lifts (or a
// withdrawal) reaches this process's pages at most this long after its
// transaction commits. With the lift job running within a second of the
// embargo time, a release is on /news within about two seconds of its lift.
const DefaultNewsroomVersionTTL = time.Second

// Page cache bounds: enough for every listing page and release a spike hits,
// small enough that junk query strings cannot grow the process.
const (
	pageCacheEntries = 4096
	pageCacheBytes   = 64 << 20
)

// versionCache holds the newsroom state a process last read, for ttl: a viral
// page then costs no query at all while nothing changes.
type versionCache struct {
	ttl   time.Duration
	clock models.Clock

	mu sync.Mutex
	st *models.NewsroomState
	at time.Time
}

// state returns the newsroom state, read at most once per ttl (every time when
// ttl is zero).
func (v *versionCache) state(ctx context.Context, db *models.DB) (*models.NewsroomState, error) {
	now := v.clock.Now()
	if v.ttl > 0 {
		v.mu.Lock()
		st, at := v.st, v.at
		v.mu.Unlock()
		if st != nil && !now.Before(at) && now.Sub(at) < v.ttl {
			return st, nil
		}
	}
	st, err := models.Newsroom(ctx, db.Gorm)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	v.st, v.at = st, now
	v.mu.Unlock()
	return st, nil
}

// cachedPage is one rendered public response.
type cachedPage struct {
	key         string
	contentType string
	body        []byte
}

// pageCache is a size-bounded LRU of rendered public responses of one newsroom
// version: when the version moves, everything rendered before is dropped at
// once, so nothing withdrawn or changed outlives its transaction here.
type pageCache struct {
	maxEntries, maxBytes int

	mu      sync.Mutex
	version int64
	bytes   int
	order   *list.List // front: most recently used
	byKey   map[string]*list.Element

	// misses coalesces concurrent misses of one page of one version: a spike
	// on a page nobody asked for since the last change (a new release, a
	// search everyone runs) renders it once, not once per waiting client.
	misses singleflight.Group
}

func newPageCache(entries, bytes int) *pageCache {
	return &pageCache{maxEntries: entries, maxBytes: bytes, order: list.New(), byKey: map[string]*list.Element{}}
}

// resetTo drops every page when the version moved. Caller holds mu.
func (p *pageCache) resetTo(version int64) {
	if version != p.version {
		p.version, p.bytes = version, 0
		p.order.Init()
		clear(p.byKey)
	}
}

func (p *pageCache) get(version int64, key string) *cachedPage {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resetTo(version)
	e, ok := p.byKey[key]
	if !ok {
		return nil
	}
	p.order.MoveToFront(e)
	return e.Value.(*cachedPage)
}

func (p *pageCache) put(version int64, pg *cachedPage) {
	if len(pg.body) > p.maxBytes/16 {
		return // one huge page (a sitemap) must not evict the rest
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if version < p.version {
		return // rendered from a state older than what this process has seen
	}
	p.resetTo(version)
	if e, ok := p.byKey[pg.key]; ok {
		p.bytes -= len(e.Value.(*cachedPage).body)
		p.order.Remove(e)
	}
	p.byKey[pg.key] = p.order.PushFront(pg)
	p.bytes += len(pg.body)
	for p.order.Len() > p.maxEntries || p.bytes > p.maxBytes {
		e := p.order.Back()
		old := e.Value.(*cachedPage)
		p.order.Remove(e)
		delete(p.byKey, old.key)
		p.bytes -= len(old.body)
	}
}

// Len reports how many pages are held (tests).
func (p *pageCache) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.order.Len()
}

// teeWriter keeps a copy of what a handler writes, for the page cache.
type teeWriter struct {
	gin.ResponseWriter
	buf []byte
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) WriteString(s string) (int, error) {
	w.buf = append(w.buf, s...)
	return w.ResponseWriter.WriteString(s)
}

const ctxPageCached = "pressroom.page_cached"

// cached wraps a public newsroom handler with the newsroom's caching: HTTP
// validators and 304 (cacheable), then the in-process page cache keyed by the
// newsroom version, the path, salt and the normalised params. A hit answers
// from memory without touching the database (beyond the version, itself read
// at most once per DefaultNewsroomVersionTTL); a miss runs the handler and
// keeps its answer only when it is a 200 that cacheable marked shared and no
// error was raised, so 404s, errors and anything personal are never kept.
func (s *Server) cached(salt string, params []string, h gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.cacheable(c, salt, params...) {
			return
		}
		st := c.MustGet(ctxNewsroomState).(*models.NewsroomState)
		key := fmt.Sprintf("%s|%s%s", salt, c.Request.URL.Path, queryTag(c.Request.URL.Query(), params))
		if pg := s.pages.get(st.Version, key); pg != nil {
			c.Data(http.StatusOK, pg.contentType, pg.body)
			return
		}
		c.Set(ctxPageCached, true)
		// The first request of a page renders it; those that arrive while it
		// does wait for its page. A render that is not a shareable 200 (an
		// error, a 404, a client gone) gives the waiters nothing, and each
		// then renders for itself as if it had been first.
		leader := false
		v, _, _ := s.pages.misses.Do(fmt.Sprintf("%d|%s", st.Version, key), func() (any, error) {
			leader = true
			return s.renderMiss(c, st.Version, key, h), nil
		})
		if leader {
			return
		}
		if pg, _ := v.(*cachedPage); pg != nil {
			c.Data(http.StatusOK, pg.contentType, pg.body)
			return
		}
		s.renderMiss(c, st.Version, key, h)
	}
}

// renderMiss runs a cached handler on a miss and keeps its answer when it is a
// 200 that cacheable marked shared and no error was raised, returning it then
// (nil otherwise).
func (s *Server) renderMiss(c *gin.Context, version int64, key string, h gin.HandlerFunc) *cachedPage {
	tw := &teeWriter{ResponseWriter: c.Writer}
	c.Writer = tw
	h(c)
	c.Writer = tw.ResponseWriter
	if tw.Status() != http.StatusOK || len(c.Errors) > 0 || !sharedCacheable(c) || tw.Header().Get("Cache-Control") != newsroomCacheControl {
		return nil
	}
	pg := &cachedPage{key: key, contentType: tw.Header().Get("Content-Type"), body: tw.buf}
	s.pages.put(version, pg)
	return pg
}
