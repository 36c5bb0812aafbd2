package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// petitionPagesMax bounds the rendered pages and counts one process keeps;
// past it they are all dropped (each is rebuilt on its next request).
const petitionPagesMax = 500

// petitionPages holds what a spike on one petition asks for again and again:
// its rendered public page and its count (and the same for an Urgent
// Action's page, action_page_cache.go), each rebuilt at most once per ttl
// (the web process's bounded staleness, as for the petition itself; zero keeps
// nothing; never longer than the count interval). A page is rendered for
// nobody in particular and served to everyone as the same bytes, with an ETag
// a revalidating browser or cache gets 304 for: the signing form carries no
// per-visitor token (its POST is checked by origin, petitionFormGuard), and
// the default country picked from Accept-Language is part of the key, a
// bounded set of variants (the valid country codes and none). Signed-in staff
// and visitors carrying a flash message get a page rendered for them alone,
// and so does every answer to a POST (a validation error shows what was
// typed).
type petitionPages struct {
	ttl time.Duration

	mu     sync.Mutex
	pages  map[pageKey]sharedPage
	counts map[string]cachedCount
}

// pageKey is everything a shared petition page depends on besides the count:
// the petition's version and state, the query's source fields (kept in hidden
// inputs) and the default country.
type pageKey struct {
	slug, version, source, src string
	country                    string
	signable, embed            bool // embed: the widget, /p/{slug}/embed
	action                     bool // an Urgent Action's page, /a/{slug} (version: the newsroom's)
}

// sharedPage is one shared render and its validator.
type sharedPage struct {
	body []byte
	etag string
	at   time.Time // process clock
	// until, when set, is the server-clock time the page goes stale whatever
	// its age: an action's appeal deadline, after which its composer must go.
	until time.Time
}

type cachedCount struct {
	count models.PetitionCount
	at    time.Time // process clock
}

// newPetitionPages keeps pages and counts for the process's trust in what it
// read (versionTTL), but never longer than the count interval: a count may be
// an interval behind the counter row at most, whatever the process trusts.
func newPetitionPages(versionTTL, countInterval time.Duration) *petitionPages {
	ttl := versionTTL
	if countInterval > 0 {
		ttl = min(ttl, countInterval)
	}
	return &petitionPages{ttl: ttl}
}

// count returns a petition's count, read at most once per ttl.
func (pp *petitionPages) count(ctx context.Context, db *models.DB, petitionID string) (models.PetitionCount, error) {
	if pp.ttl <= 0 {
		return models.PetitionCountOf(ctx, db.Gorm, petitionID)
	}
	pp.mu.Lock()
	e, ok := pp.counts[petitionID]
	pp.mu.Unlock()
	if ok && time.Since(e.at) < pp.ttl {
		return e.count, nil
	}
	count, err := models.PetitionCountOf(ctx, db.Gorm, petitionID)
	if err != nil {
		return count, err
	}
	pp.mu.Lock()
	if pp.counts == nil || len(pp.counts) >= petitionPagesMax {
		pp.counts = map[string]cachedCount{}
	}
	pp.counts[petitionID] = cachedCount{count: count, at: time.Now()}
	pp.mu.Unlock()
	return count, nil
}

// keeps reports whether pages for a form's defaults are kept: not when the
// cache is off, nor for a query too long to make a key of.
func (pp *petitionPages) keeps(form signForm) bool { return pp.keepsQuery(form.Source, form.Src) }

// sharesWith reports whether a visitor may get a shared page for a query's
// source fields: not signed-in staff, nor one with a flash message waiting,
// nor when keepsQuery says no.
func (pp *petitionPages) sharesWith(c *gin.Context, source, src string) bool {
	if !pp.keepsQuery(source, src) || currentUser(c) != nil {
		return false
	}
	_, err := c.Request.Cookie(flashCookie)
	return err != nil
}

// keepsQuery is keeps for a page's source fields.
func (pp *petitionPages) keepsQuery(source, src string) bool {
	return pp.ttl > 0 && len(source)+len(src) <= 200
}

// shared returns the page of key rendered for nobody in particular, building
// it with build when it is missing or older than ttl.
func (pp *petitionPages) shared(key pageKey, build func() ([]byte, error)) (sharedPage, error) {
	if e, ok := pp.fresh(key, time.Time{}); ok {
		return e, nil
	}
	body, err := build()
	if err != nil {
		return sharedPage{}, err
	}
	return pp.store(key, body, time.Time{}), nil
}

// fresh returns the page of key while it is younger than ttl and, at now
// (the server clock), before its until.
func (pp *petitionPages) fresh(key pageKey, now time.Time) (sharedPage, bool) {
	pp.mu.Lock()
	e, ok := pp.pages[key]
	pp.mu.Unlock()
	return e, ok && time.Since(e.at) < pp.ttl && (e.until.IsZero() || now.Before(e.until))
}

// store keeps a rendered page under key, stale from until (zero: only by age).
func (pp *petitionPages) store(key pageKey, body []byte, until time.Time) sharedPage {
	e := sharedPage{body: body, etag: bodyETag(body), at: time.Now(), until: until}
	pp.mu.Lock()
	if pp.pages == nil || len(pp.pages) >= petitionPagesMax {
		pp.pages = map[pageKey]sharedPage{}
	}
	pp.pages[key] = e
	pp.mu.Unlock()
	return e
}

// cachedPage answers GET /p/{slug} from the shared page when it may: it
// reports false (and writes nothing) for a visitor who needs a page of their
// own.
func (h *PetitionPublicHandler) cachedPage(c *gin.Context, p *models.Petition, form signForm) bool {
	pp := h.s.petitionPages
	if !pp.sharesWith(c, form.Source, form.Src) {
		return false
	}
	page, err := pp.shared(h.pageKey(p, form, false), func() ([]byte, error) {
		v, err := h.pageView(c, p, form, "")
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := h.s.renderer.Render(&buf, "public/petition", v); err != nil {
			return nil, fmt.Errorf("app: petition page: %w", err)
		}
		return buf.Bytes(), nil
	})
	if err != nil {
		_ = c.Error(err)
		return true
	}
	serveShared(c, page, "public, no-cache")
	return true
}

// pageKey is the key of a petition's shared page or widget for a form's
// defaults.
func (h *PetitionPublicHandler) pageKey(p *models.Petition, form signForm, embed bool) pageKey {
	return pageKey{slug: p.Slug, version: p.UpdatedAt.UTC().Format(time.RFC3339Nano) + "|" + string(p.Status), source: form.Source, src: form.Src,
		country: form.Country, signable: p.Signable(h.s.clock.Now()), embed: embed}
}

// serveShared writes a page that is the same for everyone who sent the same
// Accept-Language: any cache may keep it (the petition page must revalidate it
// before each use, no-cache, so a closed or withdrawn petition shows at once;
// the widget may keep it for the count interval, as before); the
// revalidation is a 304 without a body while the page is unchanged.
func serveShared(c *gin.Context, page sharedPage, cacheControl string) {
	hd := c.Writer.Header()
	hd.Set("Cache-Control", cacheControl)
	hd.Add("Vary", "Accept-Language")
	hd.Set("ETag", page.etag)
	if notModified(c, page.etag) {
		return
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", page.body)
}

// bodyETag is the validator of a body: count.json's, a shared petition page's.
func bodyETag(body []byte) string {
	h := fnv.New64a()
	_, _ = h.Write(body)
	return fmt.Sprintf(`"%x"`, h.Sum64())
}

// marshalCount is count.json's body.
func marshalCount(v countJSON) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("app: count: %w", err)
	}
	return b, nil
}
