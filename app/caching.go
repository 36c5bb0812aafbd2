package app

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// The newsroom's cache lifetime is fixed rather than capped at the next embargo
// lift: a max-age that shrank as a lift approached would tell anyone watching
// the headers that a release is about to come out. Ten seconds keeps a release
// that just lifted at most that far behind on a busy cache (and at most
// newsroomMaxAge+newsroomStale on an idle one, which serves one stale copy while
// it revalidates); revalidation is a cheap 304 from the newsroom fingerprint.
const (
	newsroomMaxAge = 10 * time.Second
	newsroomStale  = 20 * time.Second
)

// newsroomCacheControl is the Cache-Control of every cacheable public response.
var newsroomCacheControl = fmt.Sprintf("public, max-age=%d, stale-while-revalidate=%d",
	int(newsroomMaxAge.Seconds()), int(newsroomStale.Seconds()))

// noStore marks a response as one no cache may keep, and drops any validator
// set before the handler decided to answer with it (an error after cacheable
// ran must not be stored or revalidated as the page).
func noStore(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-store")
	h.Del("ETag")
	h.Del("Last-Modified")
}

const ctxSharedCacheable = "pressroom.shared_cacheable"

// sharedCacheable reports whether the response is one a shared cache may store
// (cacheable marked it): it must then hold nothing of one visitor's, such as
// a pending flash message, and set no cookie.
func sharedCacheable(c *gin.Context) bool { return c.GetBool(ctxSharedCacheable) }

// cachePolicy is the caching rule of a route, attached with its role rule:
// whatever needs a sign-in (admin pages, the staff API, exports) is never
// stored, so nothing personal or unpublished outlives the session in a browser
// or proxy cache. Public routes decide for themselves (cacheable, or an error
// page, which is never stored).
func cachePolicy(a Access) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !a.public {
			noStore(c)
		}
		c.Next()
	}
}

// publicCacheablePath reports whether a path is one of the newsroom's cacheable
// public surfaces. They hold no forms, so a safe request to them is served
// without the CSRF cookie: a shared cache that stored a Set-Cookie would hand
// every visitor the same token.
func publicCacheablePath(path string) bool {
	return path == "/" || path == "/news" || strings.HasPrefix(path, "/news/") || path == "/sitemap.xml" || strings.HasPrefix(path, "/sitemap/") || path == "/robots.txt"
}

// queryTag is the part of an ETag that names the query: a hash of the known,
// non-empty parameters, each with its first value (the one handlers read),
// encoded with sorted keys; empty when none is set. Hashing keeps whatever a
// client typed out of the header.
func queryTag(q url.Values, known []string) string {
	out := url.Values{}
	for _, k := range known {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	if len(out) == 0 {
		return ""
	}
	sum := sha256.Sum256([]byte(out.Encode()))
	return "-" + hex.EncodeToString(sum[:8])
}
