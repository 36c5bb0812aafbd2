package app

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// cachedPage answers GET /a/{slug} from the shared page when it may, as the
// petition page does (petitionPages): a spike on an Urgent Action then costs
// no query while the page is fresh, and a revalidation with its ETag is a
// 304. It reports false (and writes nothing) for a visitor who needs a page
// of their own: signed-in staff, one with a flash message, or a query too
// long to key, or when the cache is off.
//
// A shared page is rendered for nobody in particular (the composer carries
// no per-visitor token: its posts are checked by origin, actionFormPath) and
// kept under the newsroom's version, so a withdrawal, correction or new
// update reaches it as it reaches /news; anything else (an official's
// details) within the cache's ttl. It goes stale at the appeal deadline
// whatever its age, so no composer outlives the deadline.
func (h *ActionPublicHandler) cachedPage(c *gin.Context, form letterForm) bool {
	pp := h.s.petitionPages
	if !pp.sharesWith(c, form.Source, form.Src) {
		return false
	}
	st, err := h.s.newsVersion.state(c.Request.Context(), h.s.db)
	if err != nil {
		_ = c.Error(err)
		return true
	}
	key := pageKey{slug: c.Param("slug"), version: strconv.FormatInt(st.Version, 10), source: form.Source, src: form.Src, country: form.Country, action: true}
	page, ok := pp.fresh(key, h.s.clock.Now())
	if !ok {
		a := h.load(c)
		if a == nil {
			return true // load answered: no such public action
		}
		var buf bytes.Buffer
		if err := h.s.renderer.Render(&buf, "public/action", h.view(c, a, form, "", "", nil)); err != nil {
			_ = c.Error(fmt.Errorf("app: action page: %w", err))
			return true
		}
		var until time.Time
		if a.Open() && a.Action.AppealDeadline != nil {
			until = *a.Action.AppealDeadline
		}
		page = pp.store(key, buf.Bytes(), until)
	}
	serveShared(c, page, "public, no-cache")
	return true
}
