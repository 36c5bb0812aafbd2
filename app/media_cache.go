package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// A public media file is cached for a short, fixed time and then revalidated,
// never "immutable": its name is its content's hash, so the name never
// changes meaning, but whether it may be served does. A withdrawn release's
// photo (perhaps withdrawn because it endangers someone in it) must leave
// every cache within mediaMaxAge+mediaStale, like a withdrawn text. The
// validator is the content hash, so revalidating is a 304 that moves no
// bytes, and the visibility answer behind it is memoised per newsroom
// version, so it costs no query while nothing is published or withdrawn.
const (
	mediaMaxAge = 60 * time.Second
	mediaStale  = 30 * time.Second
)

// mediaCacheControl is the Cache-Control of a public media file.
var mediaCacheControl = fmt.Sprintf("public, max-age=%d, stale-while-revalidate=%d",
	int(mediaMaxAge.Seconds()), int(mediaStale.Seconds()))

// mediaVisibilityEntries bounds the memo: junk hashes cannot grow it.
const mediaVisibilityEntries = 4096

// mediaVisibility memoises models.PublicMediumByHash for one newsroom
// version: every change to what is public (a publication, a lift, a
// withdrawal) bumps the version and empties the memo.
type mediaVisibility struct {
	mu      sync.Mutex
	version int64
	byHash  map[string]*models.Medium // the files public at version
}

// publicMedium answers the visibility rule for a hash, from the memo when the
// newsroom has not changed since it was asked.
func (s *Server) publicMedium(ctx context.Context, hash string) (*models.Medium, error) {
	st, err := s.newsVersion.state(ctx, s.db)
	if err != nil {
		return nil, err
	}
	v := s.mediaVisible
	v.mu.Lock()
	if v.version != st.Version || v.byHash == nil {
		v.version, v.byHash = st.Version, map[string]*models.Medium{}
	}
	m := v.byHash[hash]
	v.mu.Unlock()
	if m != nil {
		return m, nil
	}
	// Only public answers are kept: a withdrawal bumps the version, so they
	// hold for it; a "not public" may end with the clock (an embargo lifting
	// before the job that bumps the version has run), so it is asked afresh.
	m, err = models.PublicMediumByHash(ctx, s.db.Gorm, hash, s.clock.Now())
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if v.version == st.Version {
		if len(v.byHash) >= mediaVisibilityEntries {
			clear(v.byHash)
		}
		v.byHash[hash] = m
	}
	v.mu.Unlock()
	return m, err
}

// notModified answers a revalidation of a public response (a file, a shared
// petition page, a count) whose content is the one the client holds: 304,
// with the caching headers already set renewed. If-None-Match's weak
// comparison: any tag of the list, W/ or not, or "*".
func notModified(c *gin.Context, etag string) bool {
	for _, t := range strings.Split(c.GetHeader("If-None-Match"), ",") {
		if t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "W/")); t == etag || t == "*" {
			c.Status(http.StatusNotModified)
			return true
		}
	}
	return false
}
