package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// PetitionsAPI is the staff JSON API of petitions and campaigns: campaigners
// and admins change them, everyone signed in reads them.
type PetitionsAPI struct {
	s *Server
}

// Register adds /api/v1/petitions… and /api/v1/campaigns….
func (h *PetitionsAPI) Register(r Routes) {
	manage := Roles(models.RoleCampaigner)
	r.POST("/petitions", manage, h.create)
	r.GET("/petitions", Staff, h.list)
	r.GET("/petitions/:id", Staff, h.get)
	r.PATCH("/petitions/:id", manage, h.update)
	r.POST("/petitions/:id/open", manage, h.open)
	r.POST("/petitions/:id/close", manage, h.close)
	r.GET("/petitions/:id/signatures.csv", manage, h.exportCSV)
	r.GET("/petitions/:id/handin.pdf", manage, h.exportPDF)
	r.POST("/campaigns", manage, h.createCampaign)
	r.GET("/campaigns", Staff, h.listCampaigns)
	r.GET("/campaigns/:id", Staff, h.getCampaign)
	h.registerInvalidations(r)
}

// petitionJSON is a petition as the API shows it.
type petitionJSON struct {
	ID                string                `json:"id"`
	Slug              string                `json:"slug"`
	Status            models.PetitionStatus `json:"status"`
	Title             string                `json:"title"`
	Target            string                `json:"target"`
	Demand            string                `json:"demand"`
	Body              string                `json:"body"`
	Goal              int                   `json:"goal"`
	Language          string                `json:"language"`
	CampaignID        *string               `json:"campaign_id"`
	ReleaseID         *string               `json:"release_id"`
	OpenOnEmbargoLift bool                  `json:"open_on_embargo_lift"`
	OpensAt           *time.Time            `json:"opens_at"`
	ClosesAt          *time.Time            `json:"closes_at"`
	OpenedAt          *time.Time            `json:"opened_at"`
	ClosedAt          *time.Time            `json:"closed_at"`
	TextUpdatedAt     *time.Time            `json:"text_updated_at"`
	Public            bool                  `json:"public"`
	PublicURL         *string               `json:"public_url"`
	CreatedAt         time.Time             `json:"created_at"`
	UpdatedAt         time.Time             `json:"updated_at"`
}

// petitionDetailJSON adds the numbers to a petition.
type petitionDetailJSON struct {
	petitionJSON
	Counted               int64            `json:"counted"`
	ConfirmedSignatures   int64            `json:"confirmed_signatures"`
	PendingSignatures     int64            `json:"pending_signatures"`
	FlaggedSignatures     int64            `json:"flagged_signatures"`
	InvalidatedSignatures int64            `json:"invalidated_signatures"`
	ByCountry             map[string]int64 `json:"by_country"`
}

func (h *PetitionsAPI) toJSON(c *gin.Context, p *models.Petition) (petitionJSON, error) {
	rel, err := models.ReleaseOfPetition(c.Request.Context(), h.s.db.Gorm, p)
	if err != nil {
		return petitionJSON{}, err
	}
	out := petitionJSON{ID: p.ID, Slug: p.Slug, Status: p.Status, Title: p.Title, Target: p.Target, Demand: p.Demand, Body: p.Body, Goal: p.Goal,
		Language: p.Language, CampaignID: p.CampaignID, ReleaseID: p.ReleaseID, OpenOnEmbargoLift: p.OpenOnEmbargoLift,
		OpensAt: utcPtr(p.OpensAt), ClosesAt: utcPtr(p.ClosesAt), OpenedAt: utcPtr(p.OpenedAt), ClosedAt: utcPtr(p.ClosedAt),
		TextUpdatedAt: utcPtr(p.TextUpdatedAt), Public: p.Public(rel, h.s.clock.Now()), CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
	if out.Public {
		u := h.s.cfg.URL("/p/" + models.EscapeSlug(p.Slug))
		out.PublicURL = &u
	}
	return out, nil
}

func (h *PetitionsAPI) detail(c *gin.Context, p *models.Petition) (*petitionDetailJSON, error) {
	ctx := c.Request.Context()
	base, err := h.toJSON(c, p)
	if err != nil {
		return nil, err
	}
	tally, err := models.SignatureTallyOf(ctx, h.s.db.Gorm, p.ID)
	if err != nil {
		return nil, err
	}
	count, err := models.PetitionCountOf(ctx, h.s.db.Gorm, p.ID)
	if err != nil {
		return nil, err
	}
	byCountry, err := models.ConfirmedByCountry(ctx, h.s.db.Gorm, p.ID)
	if err != nil {
		return nil, err
	}
	return &petitionDetailJSON{petitionJSON: base, Counted: count.Confirmed, ConfirmedSignatures: tally.Confirmed, PendingSignatures: tally.Pending,
		FlaggedSignatures: tally.Flagged, InvalidatedSignatures: tally.Invalidated, ByCountry: byCountry}, nil
}

// petitionFields are the writable fields of the API.
var petitionFields = map[string]bool{"title": true, "target": true, "demand": true, "body": true, "goal": true, "opens_at": true, "closes_at": true,
	"campaign_id": true, "release_id": true, "language": true, "open_on_embargo_lift": true, "confirm_text_change": true}

// bindPetition reads a JSON body into a PetitionInput, noting which fields were
// given (PATCH leaves the others alone). Unknown and read-only fields are
// refused by name, so a request can never set the status or the counts.
func bindPetition(c *gin.Context) (models.PetitionInput, bool) {
	var in models.PetitionInput
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 256<<10)).Decode(&raw); err != nil {
		apiError(c, http.StatusBadRequest, "bad_request", "the body must be a JSON object", nil)
		return in, false
	}
	fields := map[string]string{}
	for k := range raw {
		if !petitionFields[k] {
			fields[k] = "is not a writable field of a petition"
		}
	}
	str := func(k string) *string {
		v, ok := raw[k]
		if !ok {
			return nil
		}
		var s *string
		if err := json.Unmarshal(v, &s); err != nil {
			fields[k] = "must be a string"
			return nil
		}
		if s == nil {
			e := ""
			return &e
		}
		return s
	}
	when := func(k string) **time.Time {
		v, ok := raw[k]
		if !ok {
			return nil
		}
		var t *time.Time
		if err := json.Unmarshal(v, &t); err != nil {
			fields[k] = "must be an RFC 3339 time with offset, or null"
			return nil
		}
		return &t
	}
	in.Title, in.Target, in.Demand, in.Body, in.Language = str("title"), str("target"), str("demand"), str("body"), str("language")
	in.CampaignID, in.ReleaseID = str("campaign_id"), str("release_id")
	in.OpensAt, in.ClosesAt = when("opens_at"), when("closes_at")
	if v, ok := raw["goal"]; ok {
		var n int
		if err := json.Unmarshal(v, &n); err != nil {
			fields["goal"] = "must be a whole number"
		} else {
			in.Goal = &n
		}
	}
	for k, into := range map[string]*bool{"open_on_embargo_lift": nil, "confirm_text_change": &in.ConfirmTextChange} {
		v, ok := raw[k]
		if !ok {
			continue
		}
		var b bool
		if err := json.Unmarshal(v, &b); err != nil {
			fields[k] = "must be true or false"
			continue
		}
		if into != nil {
			*into = b
		} else {
			in.OpenOnEmbargoLift = &b
		}
	}
	if len(fields) > 0 {
		apiError(c, http.StatusUnprocessableEntity, "validation_failed", "some fields are not valid", fields)
		return in, false
	}
	return in, true
}

// petitionFail answers a models error in the API's shape.
func petitionFail(c *gin.Context, err error) {
	var ve *models.ValidationError
	var se *models.PetitionStateError
	switch {
	case errors.As(err, &ve):
		apiError(c, http.StatusUnprocessableEntity, "validation_failed", "some fields are not valid", ve.Fields)
	case errors.Is(err, models.ErrTextChangeUnconfirmed):
		apiError(c, http.StatusConflict, "confirmation_required", conflictMessage(models.ErrTextChangeUnconfirmed)+` (send "confirm_text_change": true)`, nil)
	case errors.As(err, &se):
		apiError(c, http.StatusConflict, "conflict", se.Msg, nil)
	case errors.Is(err, models.ErrNotFound):
		apiError(c, http.StatusNotFound, "not_found", "no such petition", nil)
	default:
		_ = c.Error(err)
	}
}

func (h *PetitionsAPI) respond(c *gin.Context, status int, p *models.Petition) {
	out, err := h.detail(c, p)
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.JSON(status, out)
}

func (h *PetitionsAPI) create(c *gin.Context) {
	in, ok := bindPetition(c)
	if !ok {
		return
	}
	p, err := models.CreatePetition(c.Request.Context(), h.s.db.Gorm, currentUser(c), in, h.s.clock.Now())
	if err != nil {
		petitionFail(c, err)
		return
	}
	h.respond(c, http.StatusCreated, p)
}

func (h *PetitionsAPI) update(c *gin.Context) {
	in, ok := bindPetition(c)
	if !ok {
		return
	}
	p, err := models.UpdatePetition(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), in, h.s.clock.Now())
	if err != nil {
		petitionFail(c, err)
		return
	}
	h.respond(c, http.StatusOK, p)
}

func (h *PetitionsAPI) open(c *gin.Context) {
	p, err := models.OpenPetition(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), h.s.clock.Now())
	if err != nil {
		petitionFail(c, err)
		return
	}
	h.respond(c, http.StatusOK, p)
}

func (h *PetitionsAPI) close(c *gin.Context) {
	p, err := models.ClosePetition(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), h.s.clock.Now())
	if err != nil {
		petitionFail(c, err)
		return
	}
	h.respond(c, http.StatusOK, p)
}

func (h *PetitionsAPI) get(c *gin.Context) {
	p, err := models.PetitionByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		petitionFail(c, err)
		return
	}
	h.respond(c, http.StatusOK, p)
}

func (h *PetitionsAPI) list(c *gin.Context) {
	limit, after, ok := pageParams(c)
	if !ok {
		return
	}
	st := models.PetitionStatus(c.Query("status"))
	if st != "" && st != models.PetitionDraft && st != models.PetitionOpen && st != models.PetitionClosed {
		apiError(c, http.StatusBadRequest, "validation_failed", "status must be draft, open or closed", map[string]string{"status": "must be draft, open or closed"})
		return
	}
	ps, err := models.Petitions(c.Request.Context(), h.s.db.Gorm, models.PetitionFilter{Status: st, CampaignID: c.Query("campaign_id"), AfterID: after, Limit: limit})
	if err != nil {
		_ = c.Error(err)
		return
	}
	out := listPage[petitionJSON]{Items: []petitionJSON{}}
	for i := range ps {
		j, err := h.toJSON(c, &ps[i])
		if err != nil {
			_ = c.Error(err)
			return
		}
		out.Items = append(out.Items, j)
	}
	if len(ps) == limit {
		out.NextCursor = nextCursor(ps[len(ps)-1].ID)
	}
	c.JSON(http.StatusOK, out)
}

// exportCSV streams the confirmed signatures for delivery to the target:
// name, country, postcode and date, never an address or IP. The export is
// audited.
func (h *PetitionsAPI) exportCSV(c *gin.Context) {
	p, err := models.PetitionByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		petitionFail(c, err)
		return
	}
	h.s.exportSignatures(c, p)
}

func (h *PetitionsAPI) exportPDF(c *gin.Context) {
	p, err := models.PetitionByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		petitionFail(c, err)
		return
	}
	h.s.handinPDF(c, p)
}

// exportSignatures writes the delivery CSV of a petition and audits it; the
// API and the admin page share it.
func (s *Server) exportSignatures(c *gin.Context, p *models.Petition) {
	ctx := c.Request.Context()
	var buf bytes.Buffer
	w := models.NewCSVWriter(&buf) // signers type these values: no cell may run as a formula
	_ = w.Write([]string{"name", "country", "postcode", "signed_at"})
	n := 0
	err := models.ConfirmedSignatures(ctx, s.db.Gorm, p.ID, func(s models.Signature) error {
		n++
		at := ""
		if s.ConfirmedAt != nil {
			at = s.ConfirmedAt.UTC().Format(time.RFC3339)
		}
		return w.Write([]string{s.Name, s.Country, s.Postcode, at})
	})
	if err != nil {
		_ = c.Error(err)
		return
	}
	w.Flush()
	u := currentUser(c)
	if err := models.Audit(ctx, s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: "petition_signatures_exported", SubjectType: "petition", SubjectID: p.ID,
		IP: c.ClientIP(), Details: fmt.Sprintf("%d confirmed signatures as CSV", n)}); err != nil {
		_ = c.Error(err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+p.Slug+`-signatures.csv"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
