package app

import (
	"errors"
	"html"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
)

// NewsroomSubscribeHandler is journalists' "Get our releases": a public form
// that makes a pending media contact and emails a confirmation link whose
// page confirms only by POST (mail scanners fetch every link), after which
// the journalist is in the "Newsroom subscribers" media list. Rate-limited
// per IP like supporters' subscribe form, and answered the same whatever the
// address's history.
type NewsroomSubscribeHandler struct {
	s *Server
}

// Register adds the public pages.
func (h *NewsroomSubscribeHandler) Register(r Routes) {
	r.GET("/newsroom/subscribe", Public, h.form)
	r.POST("/newsroom/subscribe", Public, h.submit)
	r.GET("/newsroom/subscribe/thanks", Public, h.thanks)
	r.GET("/newsroom/subscribe/confirm/:token", Public, h.confirmPage)
	r.POST("/newsroom/subscribe/confirm/:token", Public, h.confirm)
}

type newsroomSubscribeForm struct {
	Email, Name, Outlet string
	Beats, Countries    []string
}

// Has reports whether a topic was ticked (to keep it ticked after an error).
func (f newsroomSubscribeForm) Has(v string) bool {
	for _, x := range append(append([]string{}, f.Beats...), f.Countries...) {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

type newsroomSubscribePage struct {
	Form   newsroomSubscribeForm
	Topics models.NewsroomTopics
	State  string // "", "thanks", "confirm", "confirmed"
	Token  string
}

func (h *NewsroomSubscribeHandler) renderForm(c *gin.Context, status int, form newsroomSubscribeForm, errs map[string]string) {
	topics, err := models.NewsroomSubscriptionTopics(c.Request.Context(), h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	v := h.s.page(c, "Get our releases", "", newsroomSubscribePage{Form: form, Topics: topics})
	v.Errors = errs
	h.s.render(c, status, "public/newsroom_subscribe", v)
}

func (h *NewsroomSubscribeHandler) form(c *gin.Context) {
	h.renderForm(c, http.StatusOK, newsroomSubscribeForm{}, nil)
}

func (h *NewsroomSubscribeHandler) submit(c *gin.Context) {
	sub := &SubscribeHandler{s: h.s}
	if !sub.allow(c) {
		return
	}
	form := newsroomSubscribeForm{Email: c.PostForm("email"), Name: c.PostForm("name"), Outlet: c.PostForm("outlet"),
		Beats: c.PostFormArray("beats"), Countries: c.PostFormArray("countries")}
	ctx := c.Request.Context()
	topics, err := models.NewsroomSubscriptionTopics(ctx, h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	err = models.Transaction(ctx, h.s.db.Gorm, func(tx *gorm.DB) error {
		res, err := models.RequestNewsroomSubscription(ctx, tx, models.NewsroomSubscribeInput{Email: form.Email, Name: form.Name, Outlet: form.Outlet,
			Beats: form.Beats, Countries: form.Countries, IP: c.ClientIP()}, topics)
		if err != nil || res.Token == "" {
			return err
		}
		return jobs.EnqueueTx(ctx, h.s.jobs, tx, jobs.DeliverMailArgs{Batch: h.confirmationMail(res.Contact, res.Token), Purpose: "confirm"}, nil)
	})
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		h.renderForm(c, http.StatusUnprocessableEntity, form, ve.Fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	redirect(c, "/newsroom/subscribe/thanks")
}

// confirmationMail is the journalist's double opt-in email.
func (h *NewsroomSubscribeHandler) confirmationMail(ct *models.MediaContact, token string) jobs.Batch {
	link := h.s.cfg.URL("/newsroom/subscribe/confirm/" + token)
	greeting := "Hello,"
	if ct.Name != "" {
		greeting = "Hello " + ct.Name + ","
	}
	text := greeting + "\n\nPlease confirm that you want our press releases by email: open this link and press the button.\n\n" + link +
		"\n\nIf you did not ask for them, ignore this email and you will hear nothing more from us.\n"
	body := "<p>" + html.EscapeString(greeting) + "</p><p>Please confirm that you want our press releases by email:</p>" +
		`<p><a href="` + html.EscapeString(link) + `">Yes, send me your releases</a></p>` +
		"<p>If you did not ask for them, ignore this email and you will hear nothing more from us.</p>"
	from := jobs.Address{Email: h.s.cfg.MailFrom.Address, Name: h.s.cfg.MailFrom.Name}
	return jobs.Batch{From: from, Subject: "Please confirm: press releases by email", Text: text, HTML: body, Categories: []string{"confirm"},
		Recipients: []jobs.Recipient{{To: jobs.Address{Email: ct.Email, Name: ct.Name}}}}
}

func (h *NewsroomSubscribeHandler) thanks(c *gin.Context) {
	h.s.render(c, http.StatusOK, "public/newsroom_subscribe", h.s.page(c, "Check your email", "", newsroomSubscribePage{State: "thanks"}))
}

func (h *NewsroomSubscribeHandler) tokenLimited(c *gin.Context) bool {
	ok, _ := h.s.publicLimiter.Allow("token:" + c.ClientIP())
	if !ok {
		h.s.errorPage(c, http.StatusTooManyRequests, "Too many requests", "Please wait a few minutes and try again.")
	}
	return !ok
}

func (h *NewsroomSubscribeHandler) linkExpired(c *gin.Context) {
	h.s.errorPage(c, http.StatusNotFound, "Link expired", "This confirmation link is not valid any more. Subscribe again on the newsroom to get a new one.")
}

// confirmPage shows the one button and changes nothing.
func (h *NewsroomSubscribeHandler) confirmPage(c *gin.Context) {
	if h.tokenLimited(c) {
		return
	}
	token := strings.TrimSpace(c.Param("token"))
	ct, confirmed, err := models.NewsroomSubscriptionByToken(c.Request.Context(), h.s.db.Gorm, token, h.s.clock.Now())
	if errors.Is(err, models.ErrNotFound) {
		h.linkExpired(c)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := newsroomSubscribePage{State: "confirm", Token: token, Form: newsroomSubscribeForm{Email: ct.Email}}
	title := "Confirm: press releases by email"
	if confirmed {
		p.State, title = "confirmed", "You will get our releases"
	}
	v := h.s.page(c, title, "", p)
	v.NoIndex = true
	h.s.render(c, http.StatusOK, "public/newsroom_subscribe", v)
}

// confirm is the button's POST: the journalist joins the subscribers' list.
func (h *NewsroomSubscribeHandler) confirm(c *gin.Context) {
	if h.tokenLimited(c) {
		return
	}
	ct, err := models.ConfirmNewsroomSubscription(c.Request.Context(), h.s.db.Gorm, strings.TrimSpace(c.Param("token")), c.ClientIP())
	if errors.Is(err, models.ErrNotFound) {
		h.linkExpired(c)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := newsroomSubscribePage{State: "confirmed", Form: newsroomSubscribeForm{Email: ct.Email}}
	h.s.render(c, http.StatusOK, "public/newsroom_subscribe", h.s.page(c, "You will get our releases", "", p))
}
