package app

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// PublishingHandler manages what releases are built from: index series,
// approval workflows and campaigns.
type PublishingHandler struct {
	s *Server
}

// Register adds the series, workflow and campaign pages.
func (h *PublishingHandler) Register(r Routes) {
	admin := Roles(models.RoleAdmin)
	r.GET("/series", Staff, h.series)
	r.POST("/series", admin, h.createSeries)
	r.GET("/workflows", Staff, h.workflows)
	r.POST("/workflows", admin, h.saveWorkflow)
	r.GET("/campaigns", Staff, h.campaigns)
	r.POST("/campaigns", Roles(models.RoleCampaigner), h.createCampaign)
}

type seriesPage struct {
	Series []models.IndexSeries
	Form   models.SeriesInput
	Year   int
}

func (h *PublishingHandler) renderSeries(c *gin.Context, status int, form models.SeriesInput, errs map[string]string) {
	ss, err := models.AllSeries(c.Request.Context(), h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if form.Format == "" {
		form.Format = "{code}/{serial:03}/{year}"
	}
	v := h.s.page(c, "Index series", "series", seriesPage{Series: ss, Form: form, Year: h.s.clock.Now().Year()})
	v.Errors = errs
	h.s.render(c, status, "admin/series", v)
}

func (h *PublishingHandler) series(c *gin.Context) {
	h.renderSeries(c, http.StatusOK, models.SeriesInput{}, nil)
}

func (h *PublishingHandler) createSeries(c *gin.Context) {
	ctx := c.Request.Context()
	form := models.SeriesInput{Code: c.PostForm("code"), Name: c.PostForm("name"), Format: c.PostForm("format"), Kind: c.PostForm("kind")}
	s, err := models.CreateSeries(ctx, h.s.db.Gorm, form)
	if fields := validationFields(err); fields != nil {
		h.renderSeries(c, http.StatusUnprocessableEntity, form, fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := currentUser(c)
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: "series_created", SubjectType: "index_series", SubjectID: s.ID, IP: c.ClientIP(), Details: s.Code + " " + s.Format})
	h.s.setFlash(c, "success", "Series "+s.Code+" created. Its numbers look like "+s.Example(h.s.clock.Now().Year())+".")
	redirect(c, "/admin/series")
}

type workflowForm struct {
	Name      string
	IsDefault bool
	Steps     []models.StepInput
}

type workflowsPage struct {
	Workflows []models.Workflow
	Groups    []models.GroupWithCount
	Form      workflowForm
}

// workflowRows is how many step rows the workflow form offers.
const workflowRows = 4

// StepRows pads the form's steps to the rows shown.
func (f workflowForm) StepRows() []models.StepInput {
	rows := append([]models.StepInput(nil), f.Steps...)
	for len(rows) < workflowRows {
		rows = append(rows, models.StepInput{ApprovalsNeeded: 1})
	}
	return rows
}

func (h *PublishingHandler) renderWorkflows(c *gin.Context, status int, form workflowForm, errs map[string]string) {
	ctx := c.Request.Context()
	wfs, err := models.Workflows(ctx, h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	gs, err := models.Groups(ctx, h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	v := h.s.page(c, "Workflows", "workflows", workflowsPage{Workflows: wfs, Groups: gs, Form: form})
	v.Errors = errs
	h.s.render(c, status, "admin/workflows", v)
}

func (h *PublishingHandler) workflows(c *gin.Context) {
	h.renderWorkflows(c, http.StatusOK, workflowForm{}, nil)
}

func (h *PublishingHandler) saveWorkflow(c *gin.Context) {
	ctx := c.Request.Context()
	form := workflowForm{Name: c.PostForm("name"), IsDefault: c.PostForm("is_default") == "on"}
	groups, needed, slas := c.PostFormArray("step_group"), c.PostFormArray("step_approvals"), c.PostFormArray("step_sla")
	errs := map[string]string{}
	for i, g := range groups {
		if strings.TrimSpace(g) == "" {
			continue
		}
		st := models.StepInput{Group: g, ApprovalsNeeded: 1}
		if i < len(needed) && needed[i] != "" {
			n, err := strconv.Atoi(needed[i])
			if err != nil {
				errs[fmt.Sprintf("steps.%d.approvals_needed", len(form.Steps))] = "must be a number"
			}
			st.ApprovalsNeeded = n
		}
		if i < len(slas) && slas[i] != "" {
			n, err := strconv.Atoi(slas[i])
			if err != nil {
				errs[fmt.Sprintf("steps.%d.sla_minutes", len(form.Steps))] = "must be a number of minutes"
			}
			st.SLAMinutes = n
		}
		form.Steps = append(form.Steps, st)
	}
	if len(errs) > 0 {
		h.renderWorkflows(c, http.StatusUnprocessableEntity, form, errs)
		return
	}
	wf, err := models.SaveWorkflow(ctx, h.s.db.Gorm, models.WorkflowInput{Name: form.Name, IsDefault: form.IsDefault, Steps: form.Steps})
	if fields := validationFields(err); fields != nil {
		h.renderWorkflows(c, http.StatusUnprocessableEntity, form, fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := currentUser(c)
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: "workflow_saved", SubjectType: "workflow", SubjectID: wf.ID, IP: c.ClientIP(),
		Details: fmt.Sprintf("%s: %d step(s)", wf.Name, len(wf.Steps))})
	h.s.setFlash(c, "success", "Workflow "+wf.Name+" saved.")
	redirect(c, "/admin/workflows")
}

type campaignsPage struct {
	Campaigns []models.Campaign
	Name      string
}

func (h *PublishingHandler) renderCampaigns(c *gin.Context, status int, name string, errs map[string]string) {
	cs, err := models.Campaigns(c.Request.Context(), h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	v := h.s.page(c, "Campaigns", "campaigns", campaignsPage{Campaigns: cs, Name: name})
	v.Errors = errs
	h.s.render(c, status, "admin/campaigns", v)
}

func (h *PublishingHandler) campaigns(c *gin.Context) { h.renderCampaigns(c, http.StatusOK, "", nil) }

func (h *PublishingHandler) createCampaign(c *gin.Context) {
	ctx := c.Request.Context()
	camp, err := models.CreateCampaign(ctx, h.s.db.Gorm, currentUser(c), c.PostForm("name"), c.PostForm("description"))
	if fields := validationFields(err); fields != nil {
		h.renderCampaigns(c, http.StatusUnprocessableEntity, c.PostForm("name"), fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := currentUser(c)
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: "campaign_created", SubjectType: "campaign", SubjectID: camp.ID, IP: c.ClientIP(), Details: camp.Name})
	h.s.setFlash(c, "success", "Campaign "+camp.Name+" created.")
	redirect(c, "/admin/campaigns")
}
