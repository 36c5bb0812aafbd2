package app

import (
	"context"
	"errors"
	"fmt"
	"gorm.io/gorm"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/jobs"
	"pressroom/models"
)

// SendsHandler is the admin UI of sends: the new-send form from a release, the
// send page (preview, test, dispatch, live progress, failures, statistics) and
// the list of sends.
type SendsHandler struct {
	s *Server
}

// Register adds the send pages under /admin.
func (h *SendsHandler) Register(r Routes) {
	r.GET("/sends", Staff, h.list)
	r.GET("/releases/:id/send", senders, h.newForm)
	r.POST("/releases/:id/send", senders, h.create)
	r.GET("/sends/:id", Staff, h.show)
	r.GET("/sends/:id/preview", Staff, h.preview)
	r.POST("/sends/:id/test", senders, h.test)
	r.POST("/sends/:id/dispatch", senders, h.dispatch)
	r.POST("/sends/:id/pause", senders, h.pause)
	r.POST("/sends/:id/resume", senders, h.resume)
	r.POST("/sends/:id/cancel", senders, h.cancel)
	r.POST("/sends/:id/retry", senders, h.retry)
	r.POST("/sends/:id/repoint", senders, h.repoint)
}

// sendForm is the new-send form as submitted.
type sendForm struct {
	MediaListIDs        []string
	SupporterListIDs    []string
	MediaSegmentIDs     []string
	SupporterSegmentIDs []string
	Subject             string
	Schedule            string
	ScheduledAt         string
}

// Has reports whether an id was chosen (to re-check boxes after an error).
func (f sendForm) Has(id string) bool {
	for _, l := range [][]string{f.MediaListIDs, f.SupporterListIDs, f.MediaSegmentIDs, f.SupporterSegmentIDs} {
		for _, x := range l {
			if x == id {
				return true
			}
		}
	}
	return false
}

type sendNewPage struct {
	Doc               *models.Document
	Form              sendForm
	MediaLists        []models.ListWithCount
	SupporterLists    []models.ListWithCount
	MediaSegments     []models.Segment
	SupporterSegments []models.Segment
	Embargoed         bool
}

func (h *SendsHandler) list(c *gin.Context) {
	ss, err := models.Sends(c.Request.Context(), h.s.db.Gorm, c.Query("release"), 200)
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.render(c, http.StatusOK, "admin/sends", h.s.page(c, "Sends", "sends", ss))
}

func (h *SendsHandler) newForm(c *gin.Context) {
	h.renderForm(c, http.StatusOK, sendForm{Schedule: models.ScheduleNow}, nil)
}

func (h *SendsHandler) renderForm(c *gin.Context, status int, f sendForm, errs map[string]string) {
	ctx := c.Request.Context()
	db := h.s.db.Gorm
	d, err := models.DocumentByID(ctx, db, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	if !models.CanSend(currentUser(c), d.Kind) {
		_ = c.Error(models.ErrWrongKind)
		return
	}
	p := sendNewPage{Doc: d, Form: f, Embargoed: d.EmbargoAt != nil && d.EmbargoAt.After(h.s.clock.Now())}
	if p.MediaLists, err = models.MediaLists(ctx, db); err == nil {
		if p.SupporterLists, err = models.SupporterLists(ctx, db); err == nil {
			if p.MediaSegments, err = models.Segments(ctx, db, models.AudienceMedia); err == nil {
				p.SupporterSegments, err = models.Segments(ctx, db, models.AudienceSupporters)
			}
		}
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	v := h.s.page(c, "Send: "+d.Revision.Headline, "sends", p)
	v.Errors = errs
	h.s.render(c, status, "admin/send_new", v)
}

func (h *SendsHandler) create(c *gin.Context) {
	_ = c.Request.ParseForm()
	pf := c.Request.PostForm
	f := sendForm{MediaListIDs: pf["media_list_ids"], SupporterListIDs: pf["supporter_list_ids"], MediaSegmentIDs: pf["media_segment_ids"],
		SupporterSegmentIDs: pf["supporter_segment_ids"], Subject: pf.Get("subject"), Schedule: pf.Get("schedule"), ScheduledAt: pf.Get("scheduled_at")}
	in := models.SendInput{DocumentID: c.Param("id"), MediaListIDs: f.MediaListIDs, SupporterListIDs: f.SupporterListIDs,
		MediaSegmentIDs: f.MediaSegmentIDs, SupporterSegmentIDs: f.SupporterSegmentIDs, Subject: f.Subject, Schedule: f.Schedule}
	errs := map[string]string{}
	if f.Schedule == models.ScheduleAt {
		t, err := time.ParseInLocation("2006-01-02T15:04", f.ScheduledAt, h.s.page(c, "", "", nil).Loc)
		if err != nil {
			errs["scheduled_at"] = "choose a date and time"
		} else {
			in.ScheduledAt = &t
		}
	}
	var s *models.Send
	var err error
	if len(errs) == 0 {
		s, err = models.CreateSend(c.Request.Context(), h.s.db.Gorm, currentUser(c), in, h.s.clock.Now())
	}
	var ve *models.ValidationError
	switch {
	case len(errs) > 0:
	case errors.As(err, &ve):
		errs = ve.Fields
		if m, ok := errs["release_id"]; ok {
			errs["form"] = "Release " + m
		}
	case err != nil:
		_ = c.Error(err)
		return
	}
	if len(errs) > 0 {
		h.renderForm(c, http.StatusUnprocessableEntity, f, errs)
		return
	}
	h.s.setFlash(c, "success", "Send prepared. Check the preview, send yourself a test, then dispatch it.")
	redirect(c, "/admin/sends/"+s.ID)
}

// sendPage is the view of one send.
type sendPage struct {
	Send      *models.Send
	Doc       *models.Document
	Progress  *models.SendProgress
	Failures  []models.SendBatch
	Skipped   []models.SendRecipient
	Audiences []models.NamedSendAudience
	Content   *jobs.SendContent
	Kinds     []string // journalist and/or supporter: which previews to show
	CanAct    bool
	// Hold is why the send may not go out because its release changed since
	// it was scheduled (the stored reason, or for a send not yet held, the
	// rule's answer now); CanRepoint when the release has an approved text to
	// re-point it to.
	Hold       string
	CanRepoint bool
	Live       bool   // poll for progress
	ETA        string // estimated time left while sending
	Chart      template.HTML
	// Moment is when the send goes (or went) out, which decides its variant
	// (models.SendMoment); Gone when that is past; Embargoed when the variant
	// carries the embargo banner; HadEmbargo when the release has an embargo
	// at all, so the page says which side of it the preview is.
	Moment             time.Time
	Gone, Embargoed    bool
	HadEmbargo         bool
	Samples            map[string]string // who each preview is addressed to, in words
	DeliveryNotTracked bool              // development outbox: no delivery or open events come back
	// TestSamples name who a test is rendered as, per kind of recipient;
	// Tests are the tests sent so far (the send's history).
	TestSamples []string
	Tests       []models.AuditEvent
}

func (h *SendsHandler) load(c *gin.Context) *models.Send {
	s, err := models.SendByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return nil
	}
	return s
}

func (h *SendsHandler) show(c *gin.Context) {
	ctx := c.Request.Context()
	db := h.s.db.Gorm
	s := h.load(c)
	if s == nil {
		return
	}
	p := sendPage{Send: s, CanAct: models.CanSend(currentUser(c), s.Kind)}
	var err error
	if p.Doc, err = models.DocumentByID(ctx, db, s.DocumentID); err != nil {
		_ = c.Error(err)
		return
	}
	if p.Progress, err = models.ProgressOf(ctx, db, s); err != nil {
		_ = c.Error(err)
		return
	}
	if p.Failures, err = models.SendFailures(ctx, db, s.ID); err != nil {
		_ = c.Error(err)
		return
	}
	skipped, err := models.SuppressedRecipients(ctx, db, s.ID, 100)
	if err != nil {
		_ = c.Error(err)
		return
	}
	for _, r := range skipped { // addresses only for those who may read that audience
		if models.CanReadPeople(currentUser(c), models.RecipientAudience(r.Kind)) {
			p.Skipped = append(p.Skipped, r)
		}
	}
	if p.Audiences, err = models.NamedSendAudiences(ctx, db, s.ID); err != nil {
		_ = c.Error(err)
		return
	}
	now := h.s.clock.Now()
	p.Moment = models.SendMoment(s, now)
	p.Gone = s.MaterialisedAt != nil
	if p.Content, err = jobs.ComposeSend(ctx, db, s, h.s.cfg.BaseURL.String(), h.s.mediaKey, p.Moment); err != nil {
		_ = c.Error(err)
		return
	}
	p.Embargoed, p.HadEmbargo = p.Content.EmbargoAt != nil, p.Doc.EmbargoAt != nil
	p.DeliveryNotTracked = h.s.cfg.SendGridAPIKey == ""
	p.Kinds = audienceKinds(p.Audiences)
	p.Samples = map[string]string{}
	for _, kind := range p.Kinds {
		_, p.Samples[kind] = h.sampleRecipient(c, s, kind)
	}
	if p.CanAct && s.Status == models.SendDraft {
		for _, k := range p.Kinds {
			sample, err := h.s.testSample(ctx, currentUser(c), s, k)
			if err != nil {
				_ = c.Error(err)
				return
			}
			p.TestSamples = append(p.TestSamples, sampleLabel(sample))
		}
	}
	if p.Tests, err = models.AuditEvents(ctx, db, models.AuditFilter{SubjectType: "send", SubjectID: s.ID, Action: "send_tested", Limit: 20}); err != nil {
		_ = c.Error(err)
		return
	}
	p.Hold, p.CanRepoint = sendHold(s, p.Doc, h.s.clock.Now())
	p.CanRepoint = p.CanRepoint && p.CanAct
	p.Live = s.Status == models.SendQueued || s.Status == models.SendSending
	if s.Status == models.SendSending && s.DispatchedAt != nil && p.Progress.Sendable > p.Progress.Queued {
		elapsed := h.s.clock.Now().Sub(*s.DispatchedAt)
		done := p.Progress.Sendable - p.Progress.Queued
		if elapsed > 0 {
			left := time.Duration(float64(elapsed) * float64(p.Progress.Queued) / float64(done))
			p.ETA = left.Round(time.Second).String()
		}
	}
	if s.MaterialisedAt != nil {
		act, err := models.SendActivityByHour(ctx, db, s.ID)
		if err != nil {
			_ = c.Error(err)
			return
		}
		p.Chart = activityChart(act)
	}
	h.s.render(c, http.StatusOK, "admin/send", h.s.page(c, "Send: "+p.Doc.Revision.Headline, "sends", p))
}

// sendHold is what the send page says about a send whose release changed:
// the reason it is (or would be) held, and whether the release has an approved
// revision to re-point it to.
func sendHold(s *models.Send, d *models.Document, now time.Time) (string, bool) {
	switch s.Status {
	case models.SendDraft, models.SendQueued, models.SendSending, models.SendPaused:
	default:
		return "", false
	}
	reason := s.HeldReason
	if reason == "" {
		reason = models.SendableNow(s, models.DocumentState{Status: d.Status, ApprovedRevision: d.ApprovedRevision}, false, now).Hold
	}
	if reason == "" {
		return "", false
	}
	return reason, d.ApprovedRevision != 0 && models.SendableStatus(d.Status)
}

func audienceKinds(as []models.NamedSendAudience) []string {
	var j, s bool
	for _, a := range as {
		switch a.Audience {
		case models.AudienceMediaList, models.AudienceMediaSegment:
			j = true
		default:
			s = true
		}
	}
	var out []string
	if j {
		out = append(out, models.RecipientJournalist)
	}
	if s {
		out = append(out, models.RecipientSupporter)
	}
	return out
}

// Sample recipients' names when the previewer may not see the audience's
// people (or it has none yet): plainly not a real person.
const (
	sampleName  = "Sam Sample"
	sampleEmail = "sample.recipient@example.org"
)

// sampleRecipient is who a send's preview is addressed to, and how the page
// words it: the audience's first recipient for those who may read that
// audience's people, else a clearly labelled sample, never the staff member
// looking at it (nobody on the list is called "Priya Press"). The links stay
// placeholders: a preview must not carry a working unsubscribe link of a real
// supporter.
func (h *SendsHandler) sampleRecipient(c *gin.Context, s *models.Send, kind string) (models.BatchRecipient, string) {
	r := models.BatchRecipient{Kind: kind, Email: sampleEmail, Name: sampleName}
	label := "a sample recipient, " + sampleName + " (not a real " + kind + ")"
	if models.CanReadPeople(currentUser(c), models.RecipientAudience(kind)) {
		first, err := models.SampleRecipient(c.Request.Context(), h.s.db.Gorm, s, kind)
		if err != nil {
			h.s.logger.Warn("sample recipient", "send", s.ID, "err", err)
		} else if first != nil {
			r.Email, r.Name = first.Email, first.Name
			who := first.Name
			if who == "" {
				who = "(no name)"
			}
			label = "the first recipient, " + who + " <" + first.Email + ">"
		}
	}
	if kind == models.RecipientSupporter {
		id := "preview"
		r.SupporterID = &id
	}
	return r, label
}

// previewRecipient is who the test is personalised as: the signed-in user,
// with placeholder links.
func (h *SendsHandler) previewRecipient(c *gin.Context, kind string) models.BatchRecipient {
	u := currentUser(c)
	r := models.BatchRecipient{ID: 0, Kind: kind, Email: u.Email, Name: u.Name}
	if kind == models.RecipientSupporter {
		id := "preview"
		r.SupporterID = &id
	}
	return r
}

// preview serves the HTML (or, with ?format=text, the text) of a send as one
// recipient would see it, for the sandboxed frame of the send page.
func (h *SendsHandler) preview(c *gin.Context) {
	s := h.load(c)
	if s == nil {
		return
	}
	// The variant of the moment the send goes (or went) out, not of now.
	content, err := jobs.ComposeSend(c.Request.Context(), h.s.db.Gorm, s, h.s.cfg.BaseURL.String(), h.s.mediaKey, models.SendMoment(s, h.s.clock.Now()))
	if err != nil {
		_ = c.Error(err)
		return
	}
	kind := c.Query("as")
	if kind != models.RecipientSupporter {
		kind = models.RecipientJournalist
	}
	sample, _ := h.sampleRecipient(c, s, kind)
	rc := content.PersonalizeFor(sample, h.s.cfg.BaseURL.String(), h.s.cfg.UnsubscribeKey(), "")
	m := content.Message(kind)
	c.Header("Content-Security-Policy", "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; frame-ancestors 'self'")
	c.Header("X-Frame-Options", "SAMEORIGIN")
	if c.Query("format") == "text" {
		c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("Subject: "+jobs.Personalize(m.Subject, rc.Substitutions)+"\n\n"+jobs.Personalize(m.Text, rc.Substitutions)))
		return
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(jobs.Personalize(m.HTML, rc.Substitutions)))
}

func (h *SendsHandler) dispatch(c *gin.Context) {
	if _, err := h.s.dispatchSend(c, c.Param("id")); err != nil {
		h.actionFailed(c, err)
		return
	}
	h.s.setFlash(c, "success", "Dispatched. Progress updates live below.")
	redirect(c, "/admin/sends/"+c.Param("id"))
}

func (h *SendsHandler) pause(c *gin.Context) {
	h.change(c, models.PauseSend, "Paused: no further batch goes out until you resume.")
}

func (h *SendsHandler) resume(c *gin.Context) {
	h.change(c, models.ResumeSend, "Resumed.")
}

func (h *SendsHandler) cancel(c *gin.Context) {
	h.change(c, models.CancelSend, "Cancelled: batches not yet submitted will not go out.")
}

func (h *SendsHandler) change(c *gin.Context, fn func(ctx context.Context, db *gorm.DB, by *models.User, id string, now time.Time) (*models.Send, error), msg string) {
	if _, err := fn(c.Request.Context(), h.s.db.Gorm, currentUser(c), c.Param("id"), h.s.clock.Now()); err != nil {
		h.actionFailed(c, err)
		return
	}
	h.s.setFlash(c, "success", msg)
	redirect(c, "/admin/sends/"+c.Param("id"))
}

func (h *SendsHandler) retry(c *gin.Context) {
	n, err := h.s.retryFailed(c, c.Param("id"))
	if err != nil {
		h.actionFailed(c, err)
		return
	}
	h.s.setFlash(c, "success", fmt.Sprintf("%d failed batch(es) queued again.", n))
	redirect(c, "/admin/sends/"+c.Param("id"))
}

// repoint moves a held send to the release's approved revision.
func (h *SendsHandler) repoint(c *gin.Context) {
	s, err := h.s.repointSend(c, c.Param("id"))
	if err != nil {
		h.actionFailed(c, err)
		return
	}
	h.s.setFlash(c, "success", fmt.Sprintf("Re-pointed to revision %d, the approved text: the send goes on (nobody already mailed is mailed again).", s.Revision))
	redirect(c, "/admin/sends/"+c.Param("id"))
}

// actionFailed shows a refused action (wrong state) as a flash on the send page;
// anything else goes to the error middleware.
func (h *SendsHandler) actionFailed(c *gin.Context, err error) {
	if errors.Is(err, models.ErrConflict) && !errors.Is(err, models.ErrNotFound) {
		h.s.setFlash(c, "error", "Not done: "+reason(err))
		redirect(c, "/admin/sends/"+c.Param("id"))
		return
	}
	_ = c.Error(err)
}

// activityChart draws delivered, opened and clicked per hour as an inline SVG
// (no script, no style attribute beyond presentation attributes, so the strict
// CSP holds).
func activityChart(as []models.SendActivity) template.HTML {
	if len(as) == 0 {
		return ""
	}
	const w, hgt, pad = 640, 200, 30
	maxV := 1
	for _, a := range as {
		maxV = max(maxV, a.Delivered, a.Opened, a.Clicked)
	}
	step := float64(w-2*pad) / float64(max(len(as)-1, 1))
	line := func(val func(models.SendActivity) int) string {
		pts := make([]string, len(as))
		for i, a := range as {
			x := float64(pad) + step*float64(i)
			y := float64(hgt-pad) - float64(val(a))*float64(hgt-2*pad)/float64(maxV)
			pts[i] = fmt.Sprintf("%.1f,%.1f", x, y)
		}
		return strings.Join(pts, " ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title" class="chart"><title id="chart-title">Delivered, opened and clicked per hour (UTC), %s to %s</title>`,
		w, hgt, as[0].Hour.Format("2 Jan 15:04"), as[len(as)-1].Hour.Format("2 Jan 15:04"))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="currentColor" stroke-width="1"/>`, pad, hgt-pad, w-pad, hgt-pad)
	fmt.Fprintf(&b, `<text x="2" y="%d" font-size="11" fill="currentColor">%d</text>`, pad, maxV)
	for _, s := range []struct {
		name, color string
		val         func(models.SendActivity) int
	}{
		{"delivered", "#2e7d32", func(a models.SendActivity) int { return a.Delivered }},
		{"opened", "#1565c0", func(a models.SendActivity) int { return a.Opened }},
		{"clicked", "#c62828", func(a models.SendActivity) int { return a.Clicked }},
	} {
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"><title>%s</title></polyline>`, s.color, line(s.val), s.name)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
