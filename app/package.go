package app

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// PackageHandler launches rapid-response packages: from an approved press
// release, one call or one click makes the campaign's action alert and
// petition drafts (models.LaunchPackage), and a page shows the parts and what
// each still needs.
type PackageHandler struct {
	s *Server
}

// Register adds the package page and button (admin) and the API endpoint.
// Launching is for campaigners and admins (the route rule); the kind rule is
// models.CanLaunchPackage.
func (h *PackageHandler) Register(admin, api Routes) {
	launch := Roles(models.RoleCampaigner)
	admin.GET("/releases/:id/package", Staff, h.page)
	admin.POST("/releases/:id/package", launch, h.launchForm)
	api.POST("/releases/:id/package", launch, h.launchAPI)
	api.GET("/releases/:id/package", Staff, h.getAPI)
}

// packageRequest is the API body. Alert and petition default to true.
type packageRequest struct {
	Alert    *bool    `json:"alert"`
	Petition *bool    `json:"petition"`
	Targets  []string `json:"targets"`
	Demand   string   `json:"demand"`
	// CallToAction is the alert's; omitted, the demand.
	CallToAction string `json:"call_to_action"`
}

type packageJSON struct {
	CampaignID string  `json:"campaign_id"`
	AlertID    *string `json:"alert_id"`
	PetitionID *string `json:"petition_id"`
}

func idOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (h *PackageHandler) launchAPI(c *gin.Context) {
	var req packageRequest
	dec := json.NewDecoder(io.LimitReader(c.Request.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apiError(c, http.StatusBadRequest, "bad_json", `the body must be a JSON object such as {"alert":true,"petition":true,"targets":["<target id>"],"demand":"Stop the arms transfers."}`, nil)
		return
	}
	in := models.PackageInput{Alert: req.Alert == nil || *req.Alert, Petition: req.Petition == nil || *req.Petition, Targets: req.Targets, Demand: req.Demand,
		CallToAction: req.CallToAction}
	pkg, err := models.LaunchPackage(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), in, h.s.clock.Now())
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		apiError(c, http.StatusUnprocessableEntity, "validation_failed", "some fields are not valid", ve.Fields)
	case errors.Is(err, models.ErrNotFound):
		apiError(c, http.StatusNotFound, "not_found", "no such release", nil)
	case errors.Is(err, models.ErrForbidden):
		apiError(c, http.StatusForbidden, "forbidden", reason(err), nil)
	case errors.Is(err, models.ErrConflict):
		apiError(c, http.StatusConflict, "conflict", conflictMessage(err), nil)
	case err != nil:
		_ = c.Error(err)
	default:
		c.JSON(http.StatusCreated, packageJSON{CampaignID: pkg.CampaignID, AlertID: idOrNil(pkg.AlertID), PetitionID: idOrNil(pkg.PetitionID)})
	}
}

type packagePartJSON struct {
	Kind   string   `json:"kind"`
	ID     string   `json:"id"`
	Title  string   `json:"title"`
	Status string   `json:"status"`
	Public bool     `json:"public"`
	Needs  []string `json:"needs"`
}

// getAPI lists the release's package: the release, its alerts and petitions,
// each with what it still needs.
func (h *PackageHandler) getAPI(c *gin.Context) {
	rel, parts, err := models.PackageOf(c.Request.Context(), h.s.db.Gorm, c.Param("id"), h.s.clock.Now())
	if errors.Is(err, models.ErrNotFound) {
		apiError(c, http.StatusNotFound, "not_found", "no such release", nil)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	out := struct {
		ReleaseID  string            `json:"release_id"`
		CampaignID *string           `json:"campaign_id"`
		Parts      []packagePartJSON `json:"parts"`
	}{ReleaseID: rel.ID, CampaignID: rel.CampaignID, Parts: []packagePartJSON{}}
	for _, p := range parts {
		needs := p.Needs
		if needs == nil {
			needs = []string{}
		}
		out.Parts = append(out.Parts, packagePartJSON{Kind: p.Kind, ID: p.ID, Title: p.Title, Status: p.Status, Public: p.Public, Needs: needs})
	}
	c.JSON(http.StatusOK, out)
}

// packagePage is the landing page after a launch: the parts and what each
// still needs, and the form when nothing has been launched yet.
type packagePage struct {
	Release  *models.Document
	Parts    []models.PackagePart
	Campaign *models.Campaign
	// Launched is whether any alert or petition exists yet.
	Launched  bool
	CanLaunch bool
	Form      packageForm
	// Directory is the targets a campaigner may pick (the first 200 by name).
	Directory []models.Target
}

// packageForm is what the Launch campaign form posts.
type packageForm struct {
	Demand   string
	Targets  []string // target ids
	Alert    bool
	Petition bool
}

// Picked reports whether the form has the target ticked.
func (f packageForm) Picked(id string) bool { return slices.Contains(f.Targets, id) }

func (h *PackageHandler) page(c *gin.Context) {
	h.render(c, http.StatusOK, nil, nil)
}

// render shows the package page; form is the posted form after an error.
func (h *PackageHandler) render(c *gin.Context, status int, form *packageForm, errs map[string]string) {
	ctx := c.Request.Context()
	rel, parts, err := models.PackageOf(ctx, h.s.db.Gorm, c.Param("id"), h.s.clock.Now())
	if err != nil {
		_ = c.Error(err)
		return
	}
	pg := packagePage{Release: rel, Parts: parts, Launched: len(parts) > 1, CanLaunch: models.CanLaunchPackage(currentUser(c))}
	if pg.CanLaunch {
		if pg.Directory, err = models.Targets(ctx, h.s.db.Gorm, models.TargetFilter{Limit: 200}); err != nil {
			_ = c.Error(err)
			return
		}
	}
	if rel.CampaignID != nil {
		if pg.Campaign, err = models.CampaignByID(ctx, h.s.db.Gorm, *rel.CampaignID); err != nil {
			_ = c.Error(err)
			return
		}
	}
	if form != nil {
		pg.Form = *form
	} else {
		pg.Form = packageForm{Demand: DefaultDemand(rel.Revision.Standfirst, rel.Revision.Headline), Alert: true, Petition: true}
	}
	v := h.s.page(c, "Campaign package: "+rel.Revision.Headline, "releases", pg)
	v.Errors = errs
	h.s.render(c, status, "admin/package", v)
}

// launchForm is the "Launch campaign" button: the release page posts the
// suggested demand, so one click makes the whole package.
func (h *PackageHandler) launchForm(c *gin.Context) {
	f := packageForm{Demand: c.PostForm("demand"), Targets: c.PostFormArray("targets"), Alert: c.PostForm("alert") != "no", Petition: c.PostForm("petition") != "no"}
	_, err := models.LaunchPackage(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), models.PackageInput{Alert: f.Alert, Petition: f.Petition, Targets: f.Targets, Demand: f.Demand}, h.s.clock.Now())
	if fields := validationFields(err); fields != nil {
		h.render(c, http.StatusUnprocessableEntity, &f, fields)
		return
	}
	if errors.Is(err, models.ErrConflict) {
		h.render(c, http.StatusConflict, &f, map[string]string{"form": conflictMessage(err)})
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.setFlash(c, "success", "Campaign launched: the alert and the petition are drafts linked to the release. Each needs its own approval; both go public when the release's embargo lifts.")
	redirect(c, "/admin/releases/"+c.Param("id")+"/package")
}

// DefaultDemand suggests a package's demand from the release: the first
// sentence of its standfirst (or its headline), at most 300 characters.
func DefaultDemand(standfirst, headline string) string {
	s := strings.Join(strings.Fields(standfirst), " ")
	if s == "" {
		s = strings.Join(strings.Fields(headline), " ")
	}
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i+1]
	}
	if utf8.RuneCountInString(s) > 300 {
		r := []rune(s)
		s = strings.TrimSpace(string(r[:299])) + "…"
	}
	return s
}
