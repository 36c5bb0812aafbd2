package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html/template"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/csrf"

	"pressroom/models"
)

// petitionPagesMax bounds the rendered pages and counts one process keeps;
// past it they are all dropped (each is rebuilt on its next request).
const petitionPagesMax = 500

// petitionPages holds what a spike on one petition asks for again and again:
// its rendered public page and its count, each rebuilt at most once per ttl
// (the web process's bounded staleness, as for the petition itself; zero keeps
// nothing; never longer than the count interval). A page is rendered once for everyone, without the per-visitor
// parts: the form's CSRF field is a placeholder filled per request and the
// default country is marked selected by a second pass over the bytes, so no
// visitor's token or country can reach another. Signed-in staff and visitors
// carrying a flash message get a page rendered for them alone.
type petitionPages struct {
	ttl time.Duration
	// hole stands where each visitor's CSRF field goes; random per process,
	// so no petition text can contain it by chance or by design.
	hole []byte

	mu     sync.Mutex
	pages  map[pageKey]cachedBytes
	counts map[string]cachedCount
}

// pageKey is what the shared part of a petition page depends on besides the
// count: the petition's version and state, and the query's source fields
// (kept in hidden inputs).
type pageKey struct {
	slug, version, source, src string
	signable                   bool
}

type cachedBytes struct {
	body []byte
	at   time.Time // process clock
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
	return &petitionPages{ttl: ttl, hole: []byte("<!--csrf-" + models.NewSecret(12) + "-->")}
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

// shared returns the page of key rendered for nobody in particular, building
// it with build when it is missing or older than ttl.
func (pp *petitionPages) shared(key pageKey, build func() ([]byte, error)) ([]byte, error) {
	pp.mu.Lock()
	e, ok := pp.pages[key]
	pp.mu.Unlock()
	if ok && time.Since(e.at) < pp.ttl {
		return e.body, nil
	}
	body, err := build()
	if err != nil {
		return nil, err
	}
	pp.mu.Lock()
	if pp.pages == nil || len(pp.pages) >= petitionPagesMax {
		pp.pages = map[pageKey]cachedBytes{}
	}
	pp.pages[key] = cachedBytes{body: body, at: time.Now()}
	pp.mu.Unlock()
	return body, nil
}

// personal fills one visitor's parts into a shared page: their CSRF field and
// their default country.
func (pp *petitionPages) personal(shared []byte, csrfField template.HTML, country string) []byte {
	out := bytes.Replace(shared, pp.hole, []byte(csrfField), 1)
	if country != "" && models.ValidCountry(country) {
		option := []byte(`<option value="` + country + `">`)
		out = bytes.Replace(out, option, []byte(`<option value="`+country+`" selected>`), 1)
	}
	return out
}

// cachedPage answers GET /p/{slug} from the shared page when it may: it
// reports false (and writes nothing) for a visitor who needs a page of their
// own.
func (h *PetitionPublicHandler) cachedPage(c *gin.Context, p *models.Petition, form signForm) bool {
	pp := h.s.petitionPages
	if pp.ttl <= 0 || currentUser(c) != nil || len(form.Source)+len(form.Src) > 200 {
		return false
	}
	if _, err := c.Request.Cookie(flashCookie); err == nil {
		return false
	}
	signable := p.Signable(h.s.clock.Now())
	key := pageKey{slug: p.Slug, version: p.UpdatedAt.UTC().Format(time.RFC3339Nano) + "|" + string(p.Status), source: form.Source, src: form.Src, signable: signable}
	shared, err := pp.shared(key, func() ([]byte, error) {
		anyone := form
		anyone.Country = ""
		v, err := h.pageView(c, p, anyone, "")
		if err != nil {
			return nil, err
		}
		v.CSRF = template.HTML(pp.hole)
		v.CSRFToken = ""
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
	c.Data(200, "text/html; charset=utf-8", pp.personal(shared, csrf.TemplateField(c.Request), form.Country))
	return true
}

// countETag is the validator of a count.json body.
func countETag(body []byte) string {
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
