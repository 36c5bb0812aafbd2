package app

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// campaignJSON is a campaign as the API shows it.
type campaignJSON struct {
	ID          string    `json:"id"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	PublicURL   string    `json:"public_url"`
	CreatedAt   time.Time `json:"created_at"`
}

type campaignReleaseJSON struct {
	ID          string        `json:"id"`
	Kind        models.Kind   `json:"kind"`
	Status      models.Status `json:"status"`
	Headline    string        `json:"headline"`
	IndexNumber *string       `json:"index_number"`
}

type campaignPetitionJSON struct {
	ID                  string                `json:"id"`
	Slug                string                `json:"slug"`
	Title               string                `json:"title"`
	Status              models.PetitionStatus `json:"status"`
	Goal                int                   `json:"goal"`
	Counted             int64                 `json:"counted"`
	ConfirmedSignatures int64                 `json:"confirmed_signatures"`
	PendingSignatures   int64                 `json:"pending_signatures"`
	FlaggedSignatures   int64                 `json:"flagged_signatures"`
}

type campaignSendJSON struct {
	ID         string            `json:"id"`
	ReleaseID  string            `json:"release_id"`
	Status     models.SendStatus `json:"status"`
	Recipients int               `json:"recipients"`
	Delivered  int               `json:"delivered"`
}

// campaignDetailJSON is a campaign with every part it groups.
type campaignDetailJSON struct {
	campaignJSON
	Releases  []campaignReleaseJSON  `json:"releases"`
	Alerts    []campaignReleaseJSON  `json:"alerts"`
	Petitions []campaignPetitionJSON `json:"petitions"`
	Sends     []campaignSendJSON     `json:"sends"`
}

func (h *PetitionsAPI) campaignJSON(cp *models.Campaign) campaignJSON {
	return campaignJSON{ID: cp.ID, Slug: cp.Slug, Name: cp.Name, Description: cp.Description, PublicURL: h.s.cfg.URL("/c/" + models.EscapeSlug(cp.Slug)), CreatedAt: cp.CreatedAt.UTC()}
}

type campaignRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (h *PetitionsAPI) createCampaign(c *gin.Context) {
	var req campaignRequest
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apiError(c, http.StatusBadRequest, "bad_request", "the body must be a JSON object with name and description", nil)
		return
	}
	cp, err := models.CreateCampaign(c.Request.Context(), h.s.db.Gorm, currentUser(c), req.Name, req.Description)
	if err != nil {
		petitionFail(c, err)
		return
	}
	u := currentUser(c)
	_ = models.Audit(c.Request.Context(), h.s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: "campaign_created", SubjectType: "campaign", SubjectID: cp.ID, IP: c.ClientIP(), Details: cp.Name})
	c.JSON(http.StatusCreated, h.campaignJSON(cp))
}

func (h *PetitionsAPI) listCampaigns(c *gin.Context) {
	cs, err := models.Campaigns(c.Request.Context(), h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	out := listPage[campaignJSON]{Items: []campaignJSON{}}
	for i := range cs {
		out.Items = append(out.Items, h.campaignJSON(&cs[i]))
	}
	c.JSON(http.StatusOK, out)
}

func (h *PetitionsAPI) getCampaign(c *gin.Context) {
	ctx := c.Request.Context()
	cp, err := models.CampaignByID(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		apiError(c, http.StatusNotFound, "not_found", "no such campaign", nil)
		return
	}
	parts, err := models.PartsOfCampaign(ctx, h.s.db.Gorm, cp.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	out := campaignDetailJSON{campaignJSON: h.campaignJSON(cp), Releases: []campaignReleaseJSON{}, Alerts: []campaignReleaseJSON{},
		Petitions: []campaignPetitionJSON{}, Sends: []campaignSendJSON{}}
	for _, r := range parts.Releases {
		j := campaignReleaseJSON{ID: r.ID, Kind: r.Kind, Status: r.Status, Headline: r.Headline, IndexNumber: r.IndexNumber}
		if r.Kind == models.KindActionAlert {
			out.Alerts = append(out.Alerts, j)
		} else {
			out.Releases = append(out.Releases, j)
		}
	}
	for _, p := range parts.Petitions {
		out.Petitions = append(out.Petitions, campaignPetitionJSON{ID: p.ID, Slug: p.Slug, Title: p.Title, Status: p.Status, Goal: p.Goal, Counted: p.Counted,
			ConfirmedSignatures: p.Tally.Confirmed, PendingSignatures: p.Tally.Pending, FlaggedSignatures: p.Tally.Flagged})
	}
	for _, s := range parts.Sends {
		out.Sends = append(out.Sends, campaignSendJSON{ID: s.ID, ReleaseID: s.DocumentID, Status: s.Status, Recipients: s.Recipients, Delivered: s.Delivered})
	}
	c.JSON(http.StatusOK, out)
}
