package app

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// PublicAPI is the unauthenticated part of the JSON API: the newsroom for the
// organisation's website and other integrators. Like the newsroom pages it shows
// only public releases, in their approved text.
type PublicAPI struct {
	s *Server
}

// Register adds the public endpoints.
func (h *PublicAPI) Register(r Routes) {
	r.GET("/public/releases", Public, h.s.cached("api", publicAPIListParams, h.list))
	r.GET("/public/releases/:slug", Public, h.s.cached("api", nil, h.get))
}

// publicReleaseJSON is a public release as the public API shows it.
type publicReleaseJSON struct {
	Slug             string                `json:"slug"`
	URL              string                `json:"url"`
	Kind             models.Kind           `json:"kind"`
	Status           models.Status         `json:"status"`
	IndexNumber      *string               `json:"index_number"`
	Language         string                `json:"language"`
	Headline         string                `json:"headline"`
	Standfirst       string                `json:"standfirst"`
	Dateline         string                `json:"dateline"`
	Body             string                `json:"body,omitempty"`
	BodyHTML         string                `json:"body_html,omitempty"`
	NotesToEditors   string                `json:"notes_to_editors,omitempty"`
	PressContacts    []models.PressContact `json:"press_contacts,omitempty"`
	Countries        []string              `json:"countries"`
	Regions          []string              `json:"regions"`
	Themes           []string              `json:"themes"`
	Campaign         *string               `json:"campaign"`
	PublishedAt      time.Time             `json:"published_at"`
	UpdatedAt        time.Time             `json:"updated_at"`
	CorrectionNote   string                `json:"correction_note,omitempty"`
	WithdrawalNotice string                `json:"withdrawal_notice,omitempty"`
	Snippet          string                `json:"snippet,omitempty"`
}

func (h *PublicAPI) toJSON(r *models.PublicRelease, full bool) publicReleaseJSON {
	out := publicReleaseJSON{Slug: *r.Slug, URL: h.s.cfg.URL(releasePath(*r.Slug)), Kind: r.Kind, Status: r.Status, IndexNumber: r.IndexNumber,
		Language: r.Language, Headline: r.Headline, Standfirst: r.Standfirst, Dateline: r.Dateline, Countries: nonNil(models.Tags(r.Countries)),
		Regions: nonNil(models.Tags(r.Regions)), Themes: nonNil(models.Tags(r.Themes)), Campaign: r.CampaignName,
		PublishedAt: r.PublishedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), CorrectionNote: r.CorrectionNote, WithdrawalNotice: r.WithdrawalNotice}
	if full && r.Status != models.StatusWithdrawn {
		// BodyHTML, with the body's images, is the caller's (it needs a query).
		out.Body, out.NotesToEditors, out.PressContacts = r.Body, r.NotesToEditors, r.Contacts()
	}
	return out
}

// publicAPIListParams are the parameters a public list depends on.
var publicAPIListParams = []string{"q", "lang", "campaign", "country", "theme", "kind", "limit", "cursor"}

func (h *PublicAPI) list(c *gin.Context) {
	limit, after, ok := pageParams(c)
	if !ok {
		return
	}
	if !h.s.cacheable(c, "api", publicAPIListParams...) {
		return
	}
	out := listPage[publicReleaseJSON]{Items: []publicReleaseJSON{}}
	if q := c.Query("q"); q != "" {
		// Search pages by offset into its ranked results; the list pages by key.
		offset, ok := pageOffset(c, after)
		if !ok {
			return
		}
		configs, err := h.s.publicSearchConfigs(c)
		if err != nil {
			_ = c.Error(err)
			return
		}
		hits, total, err := models.SearchPublic(c.Request.Context(), h.s.db.Gorm, q, models.SearchOptions{Language: c.Query("lang"),
			CampaignID: c.Query("campaign"), Limit: min(limit, models.MaxSearchLimit), Offset: offset, Now: h.s.clock.Now(), Configs: configs})
		if err != nil {
			_ = c.Error(err)
			return
		}
		for _, hit := range hits {
			r, err := models.PublicReleaseBySlug(c.Request.Context(), h.s.db.Gorm, hit.Slug, h.s.clock.Now())
			if err != nil {
				continue // went private between the two queries (withdrawn releases stay public)
			}
			j := h.toJSON(r, false)
			j.Snippet = string(hit.Snippet)
			out.Items = append(out.Items, j)
		}
		if offset+len(hits) < total {
			out.NextCursor = nextCursor(strconv.Itoa(offset + len(hits)))
		}
		c.JSON(http.StatusOK, out)
		return
	}
	f := models.PublicFilter{CampaignID: c.Query("campaign"), Language: c.Query("lang"),
		Country: c.Query("country"), Theme: c.Query("theme"), Kind: models.Kind(c.Query("kind")), Limit: limit, Now: h.s.clock.Now()}
	if after != "" {
		k, ok := parsePublicKey(after)
		if !ok {
			badCursor(c)
			return
		}
		f.After = &k
	}
	items, more, err := models.PublicReleases(c.Request.Context(), h.s.db.Gorm, f)
	if err != nil {
		_ = c.Error(err)
		return
	}
	for i := range items {
		out.Items = append(out.Items, h.toJSON(&items[i], false))
	}
	if more {
		k := items[len(items)-1].Key()
		out.NextCursor = nextCursor(strconv.FormatInt(k.PublishedAt.UnixNano(), 10) + "~" + k.ID)
	}
	c.JSON(http.StatusOK, out)
}

func (h *PublicAPI) get(c *gin.Context) {
	r, err := models.PublicReleaseBySlug(c.Request.Context(), h.s.db.Gorm, c.Param("slug"), h.s.clock.Now())
	if err != nil {
		_ = c.Error(err)
		return
	}
	if !h.s.cacheable(c, "api") {
		return
	}
	out := h.toJSON(r, true)
	if r.Status != models.StatusWithdrawn {
		body, err := h.s.renderBody(c.Request.Context(), r.Body, h.s.MediaURL)
		if err != nil {
			_ = c.Error(err)
			return
		}
		out.BodyHTML = string(body)
	}
	c.JSON(http.StatusOK, out)
}
