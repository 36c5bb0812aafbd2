package app

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// siteCache keeps the organisation's settings for a few seconds: every page
// shows the organisation's name, and reading a table for it on each request of
// a viral release would be waste. A save through this process refreshes it at
// once; other processes see it within siteCacheTTL, and a newsroom page sooner:
// renaming moves the newsroom version (migration 00023), and a page rendered
// for a newer version than the cached settings were read at reads them again,
// so the page cache never keeps the old name under the new version.
type siteCache struct {
	mu      sync.Mutex
	at      time.Time
	version int64
	site    *models.SiteSettings
}

const siteCacheTTL = 30 * time.Second

// site returns the organisation's settings, falling back to the defaults when
// the database cannot be read (a page is still worth showing).
func (s *Server) site(ctx context.Context) models.SiteSettings {
	return s.siteAt(ctx, 0)
}

// siteFor is site for a request: on a newsroom page it is read at least as
// new as the newsroom version the page is rendered for.
func (s *Server) siteFor(c *gin.Context) models.SiteSettings {
	var version int64
	if v, ok := c.Get(ctxNewsroomState); ok {
		if st, ok := v.(*models.NewsroomState); ok {
			version = st.Version
		}
	}
	return s.siteAt(c.Request.Context(), version)
}

func (s *Server) siteAt(ctx context.Context, version int64) models.SiteSettings {
	s.siteCache.mu.Lock()
	defer s.siteCache.mu.Unlock()
	now := time.Now()
	if s.siteCache.site == nil || now.Sub(s.siteCache.at) > siteCacheTTL || version > s.siteCache.version {
		set, err := models.SiteSettingsOf(ctx, s.db.Gorm)
		if err != nil {
			return models.SiteSettings{OrganisationName: models.DefaultOrganisationName}
		}
		s.siteCache.site, s.siteCache.at = set, now
		s.siteCache.version = max(s.siteCache.version, version)
	}
	return *s.siteCache.site
}

func (s *Server) forgetSite() {
	s.siteCache.mu.Lock()
	s.siteCache.site = nil
	s.siteCache.mu.Unlock()
}

// SettingsHandler edits the organisation-wide settings on the Settings page
// (who must use two-factor sign-in, the organisation's name and its default
// supporter list) and shows each supporter list's signup page and embeddable
// snippet.
type SettingsHandler struct {
	s *Server
}

// Register adds the settings routes.
func (h *SettingsHandler) Register(r Routes) {
	r.POST("/settings/two-factor", Roles(models.RoleAdmin), h.twoFactor)
	r.POST("/settings/organisation", Roles(models.RoleAdmin), h.saveOrganisation)
	r.GET("/supporters/lists/:id/signup", Roles(models.RoleCampaigner), h.signup)
}

// settingsPage is the Settings hub with the organisation and two-factor forms.
type settingsPage struct {
	Site              models.SiteSettings
	AccentWarning     string // the stored accent colour fails WCAG AA
	Lists             []models.ListWithCount
	TwoFactorRequired string
	Options           []struct{ Value, Label string }
}

// render shows the Settings page; site is what the organisation form shows
// (the stored settings, or what was just typed when it was refused).
func (h *SettingsHandler) render(c *gin.Context, status int, site models.SiteSettings, errs map[string]string) {
	ctx := c.Request.Context()
	lists, err := models.SupporterLists(ctx, h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	req, err := models.TwoFactorRequirement(ctx, h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	v := h.s.page(c, "Settings", "settings", settingsPage{Site: site, Lists: lists, TwoFactorRequired: req, Options: models.TwoFactorRequirementLabels,
		AccentWarning: models.AccentWarning(site.AccentColour)})
	v.Errors = errs
	h.s.render(c, status, "admin/settings", v)
}

func (h *SettingsHandler) saveOrganisation(c *gin.Context) {
	ctx := c.Request.Context()
	in := models.SiteSettings{OrganisationName: c.PostForm("organisation_name"), DefaultSupporterListID: c.PostForm("default_supporter_list_id"),
		AccentColour: c.PostForm("accent_colour"), Introduction: c.PostForm("newsroom_introduction"), PressOffice: c.PostForm("press_office_contact"),
		LogoID: c.PostForm("logo_media_id"), SocialImageID: c.PostForm("social_image_media_id")}
	u := currentUser(c)
	err := models.SaveSiteSettings(ctx, h.s.db.Gorm, in, u.ID, h.s.clock.Now())
	if fields := validationFields(err); fields != nil {
		h.render(c, http.StatusUnprocessableEntity, in, fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.forgetSite()
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: ActionSettingsChanged, SubjectType: "setting", SubjectID: "organisation", IP: c.ClientIP(),
		Details: "name " + in.OrganisationName + ", default supporter list " + in.DefaultSupporterListID})
	if w := models.AccentWarning(strings.ToLower(strings.TrimSpace(in.AccentColour))); w != "" {
		h.s.setFlash(c, "error", "Saved, with a warning: "+w)
	} else {
		h.s.setFlash(c, "success", "The organisation's settings are saved.")
	}
	redirect(c, "/admin/settings")
}

func (h *SettingsHandler) twoFactor(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	value := c.PostForm("two_factor_required")
	err := models.SetTwoFactorRequirement(ctx, h.s.db.Gorm, value, u.ID, h.s.clock.Now())
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		h.render(c, http.StatusUnprocessableEntity, h.s.site(ctx), ve.Fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: ActionSettingsChanged, SubjectType: "setting", SubjectID: models.SettingTwoFactorRequired, IP: c.ClientIP(), Details: value})
	h.s.setFlash(c, "success", "Saved. Anyone it now covers who has no second factor sets one up before their next page.")
	redirect(c, "/admin/settings")
}

// signupPage shows one list's public signup address and a snippet to paste
// into the organisation's website.
type signupPage struct {
	List    *models.SupporterList
	URL     string
	Snippet string
	Default bool
}

func (h *SettingsHandler) signup(c *gin.Context) {
	ctx := c.Request.Context()
	l, err := models.SupporterListByID(ctx, h.s.db.Gorm, c.Param("id"))
	if errors.Is(err, models.ErrNotFound) {
		h.s.errorPage(c, http.StatusNotFound, "No such list", "This supporter list does not exist.")
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	link := h.s.cfg.URL("/subscribe?list=" + l.ID)
	p := signupPage{List: l, URL: link, Default: h.s.site(ctx).DefaultSupporterListID == l.ID,
		// A link, not a framed form: the signup page keeps its CSRF token and
		// refuses framing, and a link works on any website and in email.
		Snippet: `<a href="` + link + `" style="display:inline-block;padding:.6em 1.2em;background:#0b57d0;color:#fff;border-radius:4px;text-decoration:none;font-weight:bold">Get our alerts</a>`}
	h.s.render(c, http.StatusOK, "admin/list_signup", h.s.page(c, "Signup for "+l.Name, "supporters", p))
}
