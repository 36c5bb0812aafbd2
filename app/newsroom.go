package app

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/feeds"

	"pressroom/models"
)

// NewsroomHandler serves the public newsroom: listings, release pages, lookup by
// index number, the Atom feed and the sitemap. Every query goes through the
// models' public queries, which apply the embargo rule in SQL; nothing here
// decides visibility on its own.
type NewsroomHandler struct {
	s *Server
}

// Register adds the public newsroom routes.
func (h *NewsroomHandler) Register(r Routes) {
	r.GET("/news", Public, h.s.cached("", newsListParams, h.listOf(newsListing)))
	r.GET("/news/feed.atom", Public, h.s.cached("feed", newsFeedParams, h.feedOf(newsListing)))
	r.GET("/actions", Public, h.s.cached("", newsListParams, h.listOf(actionsListing)))
	r.GET("/actions/feed.atom", Public, h.s.cached("feed", newsFeedParams, h.feedOf(actionsListing)))
	r.GET("/news/search", Public, h.s.cached("search", newsSearchParams, h.search))
	r.GET("/news/index/:number", Public, h.byIndex)
	r.GET("/news/:slug", Public, h.s.cached("", nil, h.release))
	r.GET("/sitemap.xml", Public, h.s.cached("sitemap", nil, h.sitemap))
	r.GET("/sitemap/releases.xml", Public, h.s.cached("sitemap-releases", []string{"after"}, h.sitemapReleases))
	r.GET("/robots.txt", Public, h.robots)
}

// The query parameters each cached surface depends on: they, and only they,
// enter its ETag and its page-cache key.
var (
	newsListParams   = []string{"campaign", "country", "region", "theme", "lang", "after"}
	newsFeedParams   = []string{"campaign", "lang"}
	newsSearchParams = []string{"q", "lang", "page"}
)

// pageLanguage writes a listing in the language it is filtered to, when the
// catalog has that language: an Arabic-only listing reads right to left with
// Arabic labels. Any other value leaves the page in English, so a typed
// ?lang= never reaches the lang attribute.
func (s *Server) pageLanguage(v *view, lang string) {
	if lang != "" && s.renderer.catalog.has(lang) {
		v.Lang, v.Dir = models.BaseLanguage(lang), dirOf(lang)
	}
}

// countryLabel names a country tag: an ISO code by its name, a name as it is.
func countryLabel(tag string) string {
	if len(tag) == 2 {
		return models.CountryName(tag)
	}
	return tag
}

// dirOf is a language's writing direction, "rtl" or "ltr" (models' rule).
func dirOf(lang string) string { return models.TextDirection(lang) }

// releasePath is a release's public path. A slug in another script than
// Latin is percent-encoded, so sitemaps, feeds and redirects carry a valid
// URL; the router decodes it back.
func releasePath(slug string) string { return "/news/" + url.PathEscape(slug) }

const ctxNewsroomState = "pressroom.newsroom_state"

// cacheable applies the newsroom's HTTP caching: ETag and Last-Modified from the
// public state (a fingerprint that changes in the transaction that publishes,
// withdraws or corrects anything), the fixed newsroomCacheControl lifetime, and
// 304 for a client that already has this version. params are the query
// parameters the response depends on: only those, when not empty, enter the
// ETag, in sorted order, so a reordered query or a tracking tag does not make
// a new version. The response is marked shared-cacheable, so it takes no
// flash message. It reports false when it answered 304.
//
// Handlers wrapped by cached have been through it already: their own call
// returns true at once.
func (s *Server) cacheable(c *gin.Context, salt string, params ...string) bool {
	if c.GetBool(ctxPageCached) {
		return true
	}
	st, err := s.newsVersion.state(c.Request.Context(), s.db)
	if err != nil {
		_ = c.Error(err)
		return false
	}
	c.Set(ctxNewsroomState, st)
	etag := strings.TrimSuffix(st.ETag, `"`) + salt + queryTag(c.Request.URL.Query(), params) + `"`
	c.Header("ETag", etag)
	if !st.LastModified.IsZero() {
		c.Header("Last-Modified", st.LastModified.Format(http.TimeFormat))
	}
	c.Header("Cache-Control", newsroomCacheControl)
	c.Set(ctxSharedCacheable, true)
	if inm := c.GetHeader("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			if strings.TrimSpace(t) == etag {
				c.Status(http.StatusNotModified)
				c.Abort()
				return false
			}
		}
		return true
	}
	if ims, err := http.ParseTime(c.GetHeader("If-Modified-Since")); err == nil && !st.LastModified.IsZero() && !st.LastModified.After(ims) {
		c.Status(http.StatusNotModified)
		c.Abort()
		return false
	}
	return true
}

// listing is one public list of the newsroom: journalists' press releases at
// /news, supporters' action alerts at /actions, each with its own feed, so
// an urgent action never sits among the releases a journalist reads.
type listing struct {
	Kind        models.Kind
	Key         string // "news", "actions": the prefix of its messages (templates/i18n)
	Path, Title string
	Description string
	Noun        string // "releases", "actions"
}

var (
	newsListing    = listing{Kind: models.KindPressRelease, Key: "news", Path: "/news", Title: "Newsroom", Description: "Press releases.", Noun: "releases"}
	actionsListing = listing{Kind: models.KindActionAlert, Key: "actions", Path: "/actions", Title: "Actions", Description: "Urgent actions and alerts: what you can do now.", Noun: "actions"}
)

type newsListPage struct {
	Listing   listing
	Items     []models.PublicRelease
	Filter    models.PublicFilter
	Campaigns []models.Campaign
	Countries []filterChoice // the countries in use, for the filter's select
	Themes    []filterChoice
	Latest    string // URL of the first page, when this is a later one
	Older     string // URL of the next page by key, when there is one
	FeedURL   string
}

const newsPageSize = 20

// list is the newsroom listing, paged by key: "Older releases" continues after
// the last release shown, so a page costs the same however deep the archive.
// It shows no total: counting the archive to print a number nobody needs is
// what made every page cost the whole archive.
func (h *NewsroomHandler) listOf(l listing) gin.HandlerFunc {
	return func(c *gin.Context) { h.list(c, l) }
}

func (h *NewsroomHandler) list(c *gin.Context, l listing) {
	if !h.s.cacheable(c, "", newsListParams...) {
		return
	}
	ctx := c.Request.Context()
	f := models.PublicFilter{CampaignID: c.Query("campaign"), Country: c.Query("country"), Region: c.Query("region"), Theme: c.Query("theme"),
		Language: c.Query("lang"), Kind: l.Kind, Limit: newsPageSize, Now: h.s.clock.Now()}
	if a := c.Query("after"); a != "" {
		k, ok := decodePublicKey(a)
		if !ok {
			_ = c.Error(fmt.Errorf("app: newsroom page %q: %w", a, models.ErrNotFound))
			return
		}
		f.After = &k
	}
	items, more, err := models.PublicReleases(ctx, h.s.db.Gorm, f)
	if err != nil {
		_ = c.Error(err)
		return
	}
	camps, err := models.Campaigns(ctx, h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	tags, fresh, err := h.s.newsTags.tags(ctx, h.s.db, c.MustGet(ctxNewsroomState).(*models.NewsroomState), l.Kind, f.Now)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if !fresh {
		// Built with an earlier version's choices: no cache (ours, a
		// browser's or a CDN's) may keep it under this version's ETag.
		noStore(c)
	}
	p := newsListPage{Listing: l, Items: items, Filter: f, Campaigns: camps,
		Countries: filterChoices(tags.Countries, f.Country, countryLabel), Themes: filterChoices(tags.Themes, f.Theme, func(s string) string { return s })}
	q := c.Request.URL.Query()
	q.Del("page")
	if f.After != nil {
		q.Del("after")
		p.Latest = l.Path
		if len(q) > 0 {
			p.Latest += "?" + q.Encode()
		}
	}
	if more {
		q.Set("after", encodePublicKey(items[len(items)-1].Key()))
		p.Older = l.Path + "?" + q.Encode()
	}
	feed := url.Values{}
	if f.CampaignID != "" {
		feed.Set("campaign", f.CampaignID)
	}
	if f.Language != "" {
		feed.Set("lang", f.Language)
	}
	p.FeedURL = l.Path + "/feed.atom"
	if len(feed) > 0 {
		p.FeedURL += "?" + feed.Encode()
	}
	v := h.s.page(c, l.Title, "news", p)
	h.s.pageLanguage(&v, f.Language)
	v.Title = h.s.renderer.catalog.T(v.Lang, l.Key+"Title")
	v.Meta = &pageMeta{Title: v.Title, Description: l.Description, URL: h.s.cfg.URL(l.Path), Type: "website", FeedURL: p.FeedURL,
		Image: h.s.siteImage(c.Request.Context(), v.Site.SocialImageID, models.VariantSocial, v.SiteName)}
	h.s.render(c, http.StatusOK, "public/news", v)
}

// encodePublicKey writes a position in the newsroom's order as an opaque,
// URL-safe token: the listing's "after" and the public API's cursor.
func encodePublicKey(k models.PublicKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(k.PublishedAt.UnixNano(), 10) + "~" + k.ID))
}

// decodePublicKey reads a token encodePublicKey wrote; anything else is not a
// position this newsroom could have issued.
func decodePublicKey(tok string) (models.PublicKey, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return models.PublicKey{}, false
	}
	return parsePublicKey(string(b))
}

// parsePublicKey reads the decoded text of a key token.
func parsePublicKey(raw string) (models.PublicKey, bool) {
	if len(raw) > 128 {
		return models.PublicKey{}, false
	}
	ns, id, ok := strings.Cut(raw, "~")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || n < 0 || id == "" || strconv.FormatInt(n, 10) != ns {
		return models.PublicKey{}, false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return models.PublicKey{}, false
		}
	}
	return models.PublicKey{PublishedAt: time.Unix(0, n).UTC(), ID: id}, true
}

type releasePublicPage struct {
	R            *models.PublicRelease
	Body         template.HTML
	Contacts     []models.PressContact
	Translations []models.Document
	JSONLD       template.JS
	Media        releaseMedia
	// WriteURL is the letter composer of an Urgent Action ("" otherwise):
	// the alert's email and the actions listing lead readers here.
	WriteURL string
	// CallToAction is an action alert's ask, shown beside that link.
	CallToAction string
	// Petition is the open petition linked to the release that the public may
	// sign now, or nil: the page asks its readers to sign it. A change to it
	// bumps the newsroom's version (migration 00046), so cached pages follow.
	Petition *models.Petition
}

func (h *NewsroomHandler) release(c *gin.Context) {
	ctx := c.Request.Context()
	now := h.s.clock.Now()
	r, err := models.PublicReleaseBySlug(ctx, h.s.db.Gorm, c.Param("slug"), now)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if !h.s.cacheable(c, "") {
		return
	}
	trans, err := models.PublicTranslations(ctx, h.s.db.Gorm, &r.Document, now)
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := releasePublicPage{R: r, Contacts: r.Contacts(), Translations: trans}
	call, err := models.PublicActionCallOf(ctx, h.s.db.Gorm, r)
	if err != nil {
		_ = c.Error(err)
		return
	}
	p.CallToAction = call.CallToAction
	if call.NamesTargets {
		p.WriteURL = "/a/" + models.EscapeSlug(*r.Slug)
	}
	if p.Petition, err = models.PublicPetitionOfDocument(ctx, h.s.db.Gorm, &r.Document, now); err != nil {
		_ = c.Error(err)
		return
	}
	if p.Body, err = h.s.renderBody(ctx, r.Body, h.s.MediaURL); err != nil {
		_ = c.Error(err)
		return
	}
	if p.Media, err = h.s.publicReleaseMedia(ctx, r); err != nil {
		_ = c.Error(err)
		return
	}
	pageURL := h.s.cfg.URL(releasePath(*r.Slug))
	ld := map[string]any{
		"@context": "https://schema.org", "@type": "NewsArticle", "headline": r.Headline, "description": r.Summary(),
		"datePublished": r.PublishedAt.UTC().Format(time.RFC3339), "dateModified": r.UpdatedAt.UTC().Format(time.RFC3339),
		"inLanguage": r.Language, "url": pageURL, "mainEntityOfPage": pageURL,
		"publisher": map[string]any{"@type": "Organization", "name": h.s.cfg.MailFrom.Name},
	}
	if r.IndexNumber != nil {
		ld["identifier"] = *r.IndexNumber
	}
	if p.Media.Social != nil {
		ld["image"] = []string{p.Media.Social.Src, p.Media.Lead.Src}
	}
	b, _ := json.Marshal(ld)
	p.JSONLD = template.JS(b)
	v := h.s.page(c, r.Headline, "news", p)
	v.Lang, v.Dir = r.Language, dirOf(r.Language)
	v.Meta = &pageMeta{Title: r.Headline, Description: r.Summary(), URL: pageURL, Type: "article", FeedURL: "/news/feed.atom",
		Published: r.PublishedAt, Image: p.Media.Social}
	if v.Meta.Image == nil { // no photo of its own: the newsroom's default card
		v.Meta.Image = h.s.siteImage(ctx, v.Site.SocialImageID, models.VariantSocial, v.SiteName)
	}
	h.s.render(c, http.StatusOK, "public/news_release", v)
}

type searchPage struct {
	Query string
	Lang  string
	Hits  []models.SearchHit
	Total int
	Page  int
	Prev  string
	Next  string
	Exact bool // Total is the exact number of matches
}

// search is the public full-text search: ranked, with highlighted snippets, over
// public releases only (the model applies the embargo rule at query time).
func (h *NewsroomHandler) search(c *gin.Context) {
	q := strings.TrimSpace(c.Query("q"))
	if !h.s.cacheable(c, "search", "q", "lang", "page") {
		return
	}
	page, _ := strconv.Atoi(c.DefaultQuery("page", "1"))
	page = max(page, 1)
	p := searchPage{Query: q, Lang: c.Query("lang"), Page: page}
	if q != "" {
		configs, err := h.s.publicSearchConfigs(c)
		if err != nil {
			_ = c.Error(err)
			return
		}
		hits, total, err := models.SearchPublic(c.Request.Context(), h.s.db.Gorm, q, models.SearchOptions{Language: p.Lang, Limit: newsPageSize,
			Offset: (page - 1) * newsPageSize, Now: h.s.clock.Now(), Configs: configs})
		if err != nil {
			_ = c.Error(err)
			return
		}
		// The count is exact only when everything fits on the first page; beyond
		// that the engine reports a lower bound.
		p.Hits, p.Total, p.Exact = hits, total, page == 1 && total == len(hits)
		qs := c.Request.URL.Query()
		if page > 1 {
			qs.Set("page", strconv.Itoa(page-1))
			p.Prev = qs.Encode()
		}
		if page*newsPageSize < total {
			qs.Set("page", strconv.Itoa(page+1))
			p.Next = qs.Encode()
		}
	}
	title := "Search"
	if q != "" {
		title = "Search: " + q
	}
	v := h.s.page(c, title, "news", p)
	h.s.pageLanguage(&v, p.Lang)
	v.NoIndex = q != "" // result pages are not content of their own
	h.s.render(c, http.StatusOK, "public/search", v)
}

// byIndex redirects an index number (PRE-01-348-2026) to its release, in the
// language the browser prefers when a translation exists.
func (h *NewsroomHandler) byIndex(c *gin.Context) {
	lang := strings.SplitN(strings.SplitN(c.GetHeader("Accept-Language"), ",", 2)[0], "-", 2)[0]
	r, err := models.PublicReleaseByIndex(c.Request.Context(), h.s.db.Gorm, c.Param("number"), strings.ToLower(strings.TrimSpace(lang)), h.s.clock.Now())
	if err != nil {
		_ = c.Error(err)
		return
	}
	// The target depends on the reader's language and on which translations are
	// public now, so caches must key on the language and keep the answer briefly:
	// a 301 without a lifetime is kept forever by browsers and CDNs.
	c.Header("Vary", "Accept-Language")
	c.Header("Cache-Control", "public, max-age=60")
	c.Redirect(http.StatusMovedPermanently, releasePath(*r.Slug))
}

// feed serves Atom 1.0 for the whole newsroom, or one campaign or language.
func (h *NewsroomHandler) feedOf(l listing) gin.HandlerFunc {
	return func(c *gin.Context) { h.feed(c, l) }
}

func (h *NewsroomHandler) feed(c *gin.Context, l listing) {
	if !h.s.cacheable(c, "feed") {
		return
	}
	ctx := c.Request.Context()
	now := h.s.clock.Now()
	f := models.PublicFilter{CampaignID: c.Query("campaign"), Language: c.Query("lang"), Kind: l.Kind, Limit: 50, Now: now}
	items, _, err := models.PublicReleases(ctx, h.s.db.Gorm, f)
	if err != nil {
		_ = c.Error(err)
		return
	}
	title := h.s.cfg.MailFrom.Name + " " + strings.ToLower(l.Title)
	self := h.s.cfg.URL(c.Request.URL.RequestURI())
	fd := &feeds.Feed{Title: title, Link: &feeds.Link{Href: h.s.cfg.URL(l.Path)}, Id: self, Author: &feeds.Author{Name: h.s.cfg.MailFrom.Name},
		Description: l.Description, Updated: now}
	if len(items) > 0 {
		fd.Updated = items[0].UpdatedAt.UTC()
	}
	for _, r := range items {
		link := h.s.cfg.URL(releasePath(*r.Slug))
		it := &feeds.Item{Title: r.Headline, Link: &feeds.Link{Href: link}, Id: link, Description: r.Summary(),
			Created: r.PublishedAt.UTC(), Updated: r.UpdatedAt.UTC()}
		if !r.Withdrawn() { // the model has emptied a withdrawn release's body; say so here too
			body, err := h.s.renderBody(c.Request.Context(), r.Body, h.s.MediaURL)
			if err != nil {
				_ = c.Error(err)
				return
			}
			it.Content = string(body)
		}
		fd.Items = append(fd.Items, it)
	}
	atom := (&feeds.Atom{Feed: fd}).AtomFeed()
	for _, e := range atom.Entries {
		// gorilla/feeds labels every summary type="html", but ours is plain
		// text (a standfirst or a notice): as html, a feed reader would parse
		// "<" and "&" in it as markup. The content stays html: it is the
		// sanitised rendering, escaped as XML character data.
		if e.Summary != nil {
			e.Summary.Type = "text"
		}
	}
	out, err := xml.MarshalIndent(atom, "", "  ")
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.Data(http.StatusOK, "application/atom+xml; charset=utf-8", append([]byte(xml.Header), out...))
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type sitemapSet struct {
	XMLName xml.Name     `xml:"urlset"`
	Xmlns   string       `xml:"xmlns,attr"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapRef struct {
	Loc string `xml:"loc"`
}

type sitemapIndex struct {
	XMLName  xml.Name     `xml:"sitemapindex"`
	Xmlns    string       `xml:"xmlns,attr"`
	Sitemaps []sitemapRef `xml:"sitemap"`
}

const sitemapXmlns = "http://www.sitemaps.org/schemas/sitemap/0.9"

// sitemap is the sitemap index: one sitemap page per models.SitemapPageSize
// public releases, each after the key where the one before ends, so every
// release is listed once however large the archive. Cached by newsroom
// version, like the pages it lists.
func (h *NewsroomHandler) sitemap(c *gin.Context) {
	if !h.s.cacheable(c, "sitemap") {
		return
	}
	starts, err := models.SitemapPageStarts(c.Request.Context(), h.s.db.Gorm, h.s.clock.Now(), h.s.sitemapPageSize)
	if err != nil {
		_ = c.Error(err)
		return
	}
	idx := sitemapIndex{Xmlns: sitemapXmlns, Sitemaps: []sitemapRef{{Loc: h.s.cfg.URL("/sitemap/releases.xml")}}}
	for _, k := range starts {
		idx.Sitemaps = append(idx.Sitemaps, sitemapRef{Loc: h.s.cfg.URL("/sitemap/releases.xml?after=" + encodePublicKey(k))})
	}
	h.writeXML(c, idx)
}

// sitemapReleases is one page of the sitemap: the newsroom itself on the first,
// then the public releases after the page's key.
func (h *NewsroomHandler) sitemapReleases(c *gin.Context) {
	if !h.s.cacheable(c, "sitemap-releases", "after") {
		return
	}
	var after *models.PublicKey
	if a := c.Query("after"); a != "" {
		k, ok := decodePublicKey(a)
		if !ok {
			_ = c.Error(fmt.Errorf("app: sitemap page %q: %w", a, models.ErrNotFound))
			return
		}
		after = &k
	}
	items, err := models.SitemapPage(c.Request.Context(), h.s.db.Gorm, h.s.clock.Now(), after, h.s.sitemapPageSize)
	if err != nil {
		_ = c.Error(err)
		return
	}
	set := sitemapSet{Xmlns: sitemapXmlns}
	if after == nil {
		set.URLs = append(set.URLs, sitemapURL{Loc: h.s.cfg.URL("/news")})
	}
	for _, r := range items {
		set.URLs = append(set.URLs, sitemapURL{Loc: h.s.cfg.URL(releasePath(r.Slug)), LastMod: r.UpdatedAt.UTC().Format(time.RFC3339)})
	}
	h.writeXML(c, set)
}

func (h *NewsroomHandler) writeXML(c *gin.Context, v any) {
	out, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.Data(http.StatusOK, "application/xml; charset=utf-8", append([]byte(xml.Header), out...))
}

func (h *NewsroomHandler) robots(c *gin.Context) {
	c.String(http.StatusOK, "User-agent: *\nDisallow: /admin/\nDisallow: /preview/\nDisallow: /u/\nSitemap: %s\n", h.s.cfg.URL("/sitemap.xml"))
}

// PreviewHandler serves per-journalist embargo previews, and lets staff make and
// revoke the links.
type PreviewHandler struct {
	s *Server
}

// Register adds the preview routes: the public page under root, staff actions
// under /admin.
func (h *PreviewHandler) Register(root, admin Routes) {
	root.GET("/preview/:token", Public, h.show)
	admin.POST("/releases/:id/preview-links", editors, h.create)
	admin.POST("/releases/:id/preview-links/:link/revoke", editors, h.revoke)
}

type previewPage struct {
	R        *models.PublicRelease
	Body     template.HTML
	Contacts []models.PressContact
	Embargo  string
	For      string
	Test     bool // a link made for a test of a send
	Media    releaseMedia
}

func (h *PreviewHandler) show(c *gin.Context) {
	// Never stored by shared caches, never indexed: the text may still be under
	// embargo.
	c.Header("Cache-Control", "private, no-store")
	c.Header("X-Robots-Tag", "noindex, nofollow")
	r, link, err := models.OpenPreview(c.Request.Context(), h.s.db.Gorm, c.Param("token"), c.ClientIP(), c.Request.UserAgent(), h.s.clock.Now())
	switch {
	case errors.Is(err, models.ErrPreviewExpired), errors.Is(err, models.ErrPreviewRevoked):
		msg := "This preview link has expired."
		if errors.Is(err, models.ErrPreviewRevoked) {
			msg = "This preview link was withdrawn by the press office."
		}
		v := h.s.page(c, "Preview no longer available", "", map[string]string{"Message": msg + " Ask the press office for a new link; once the embargo lifts the release is in the newsroom."})
		h.s.render(c, http.StatusGone, "public/error", v)
		return
	case err != nil:
		_ = c.Error(err)
		return
	}
	p := previewPage{R: r, Contacts: r.Contacts(), For: link.Email, Test: link.IsTest}
	signed := func(m *models.Medium, v string) string {
		return h.s.SignedMediaURL(m, v, r.ID, link.ID, link.ExpiresAt)
	}
	if p.Body, err = h.s.renderBody(c.Request.Context(), r.Body, signed); err != nil {
		_ = c.Error(err)
		return
	}
	if p.Media, err = h.s.previewReleaseMedia(c.Request.Context(), r, signed); err != nil {
		_ = c.Error(err)
		return
	}
	if r.EmbargoAt != nil && r.EmbargoAt.After(h.s.clock.Now()) {
		loc := r.EmbargoLocation(h.s.cfg.DefaultTimezone)
		p.Embargo = EmbargoLabel(*r.EmbargoAt, loc)
		if cat := h.s.renderer.catalog; models.BaseLanguage(r.Language) != "en" && cat.has(r.Language) {
			p.Embargo = strings.ToUpper(cat.T(r.Language, "EmbargoedUntil")) + " " + cat.When(r.Language, *r.EmbargoAt, loc)
		}
	}
	v := h.s.page(c, r.Headline, "", p)
	v.Lang, v.Dir, v.NoIndex = r.Language, dirOf(r.Language), true
	h.s.render(c, http.StatusOK, "public/preview", v)
}

func (h *PreviewHandler) create(c *gin.Context) {
	id := c.Param("id")
	days, _ := strconv.Atoi(c.DefaultPostForm("days", "7"))
	now := h.s.clock.Now()
	_, token, err := models.CreatePreviewLink(c.Request.Context(), h.s.db.Gorm, currentUser(c), id, c.PostForm("contact_id"), c.PostForm("email"),
		now.Add(time.Duration(max(days, 1))*24*time.Hour), now)
	if fields := validationFields(err); fields != nil {
		h.s.setFlash(c, "error", "No link made. "+firstMessage(fields))
		redirect(c, "/admin/releases/"+id+"#previews")
		return
	}
	if err != nil {
		if errors.Is(err, models.ErrConflict) {
			h.s.setFlash(c, "error", "No link made: "+reason(err)+". Preview links are for approved releases.")
			redirect(c, "/admin/releases/"+id+"#previews")
			return
		}
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", "Preview link for "+c.PostForm("email")+": "+h.s.cfg.URL("/preview/"+token)+" — copy it now; it is not shown again.")
	redirect(c, "/admin/releases/"+id+"#previews")
}

func (h *PreviewHandler) revoke(c *gin.Context) {
	id := c.Param("id")
	if err := models.RevokePreviewLink(c.Request.Context(), h.s.db.Gorm, currentUser(c), id, c.Param("link"), h.s.clock.Now()); err != nil {
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", "Preview link revoked: it now shows “no longer available”.")
	redirect(c, "/admin/releases/"+id+"#previews")
}
